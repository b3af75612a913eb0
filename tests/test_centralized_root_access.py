"""CentralizedRootAccess: the handler enables exactly what is missing, keeps it on when deleted
unless asked, and its role can do nothing else. The IAM calls of centralized root access are not in
the emulator (moto 5.2.5), so the handler runs against botocore's Stubber: the real client, the
real request validation against the service model, no network."""

from __future__ import annotations

import boto3
import pytest
from aws_cdk.assertions import Template
from botocore.stub import Stubber

from constructs_iam import CentralizedRootAccess, PropsError
from constructs_iam._centralized_root_access_handler import apply

from .support import logical_id, nag_findings, new_stack, policy_statements, trust_statements

ORG = "o-a1b2c3d4e5"
BOTH = ["RootCredentialsManagement", "RootSessions"]


def clients():
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    organizations = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return iam, organizations


def features(enabled):
    return {"OrganizationId": ORG, "EnabledFeatures": enabled}


def test_create_enables_trusted_access_and_both_features():
    iam, organizations = clients()
    with Stubber(iam) as i, Stubber(organizations) as o:
        o.add_response("enable_aws_service_access", {}, {"ServicePrincipal": "iam.amazonaws.com"})
        i.add_response("list_organizations_features", features([]), {})
        i.add_response("enable_organizations_root_credentials_management", features(["RootCredentialsManagement"]), {})
        i.add_response("enable_organizations_root_sessions", features(BOTH), {})
        assert apply("Create", {}, iam, organizations) == BOTH
        i.assert_no_pending_responses()
        o.assert_no_pending_responses()


def test_a_second_run_enables_nothing_again():
    iam, organizations = clients()
    with Stubber(iam) as i, Stubber(organizations) as o:
        o.add_response("enable_aws_service_access", {}, {"ServicePrincipal": "iam.amazonaws.com"})
        i.add_response("list_organizations_features", features(BOTH), {})
        assert apply("Update", {}, iam, organizations) == BOTH  # a further Enable call would fail the stubber
        i.assert_no_pending_responses()


def test_only_the_missing_feature_is_enabled():
    iam, organizations = clients()
    with Stubber(iam) as i, Stubber(organizations) as o:
        o.add_response("enable_aws_service_access", {}, {"ServicePrincipal": "iam.amazonaws.com"})
        i.add_response("list_organizations_features", features(["RootCredentialsManagement"]), {})
        i.add_response("enable_organizations_root_sessions", features(BOTH), {})
        assert apply("Create", {}, iam, organizations) == BOTH
        i.assert_no_pending_responses()


def test_delete_leaves_root_access_centralized_by_default():
    iam, organizations = clients()
    with Stubber(iam), Stubber(organizations):  # any call would fail: none is expected
        assert apply("Delete", {"DisableOnDelete": "false"}, iam, organizations) == []
        assert apply("Delete", {}, iam, organizations) == []


def test_delete_with_disable_on_delete_turns_off_what_is_on():
    iam, organizations = clients()
    with Stubber(iam) as i, Stubber(organizations):
        i.add_response("list_organizations_features", features(BOTH), {})
        i.add_response("disable_organizations_root_sessions", features(["RootCredentialsManagement"]), {})
        i.add_response("disable_organizations_root_credentials_management", features([]), {})
        assert apply("Delete", {"DisableOnDelete": "true"}, iam, organizations) == []
        i.assert_no_pending_responses()


def test_delete_after_trusted_access_was_removed_succeeds():
    iam, organizations = clients()
    with Stubber(iam) as i, Stubber(organizations):
        i.add_client_error("list_organizations_features", "ServiceAccessNotEnabledException", http_status_code=400)
        assert apply("Delete", {"DisableOnDelete": "true"}, iam, organizations) == []


def test_errors_reach_cloudformation_instead_of_being_swallowed():
    iam, organizations = clients()
    with Stubber(iam), Stubber(organizations) as o:
        o.add_client_error("enable_aws_service_access", "AccessDeniedException", http_status_code=400)
        with pytest.raises(organizations.exceptions.AccessDeniedException):
            apply("Create", {}, iam, organizations)


# -------------------------------------------------------------------------------- construct


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    construct = CentralizedRootAccess(stack, "RootAccess")
    return stack, Template.from_stack(stack), construct


def test_handler_role_may_only_enable_centralized_root_access_and_write_its_logs(built):
    _, template, construct = built
    policy = construct.node.find_child("Policy")
    statements = {s["Sid"]: s for s in policy_statements(template, policy)}
    assert set(statements) == {"TrustedAccessForIamOnly", "CentralizedRootAccess", "WriteOwnLogs"}
    assert statements["TrustedAccessForIamOnly"]["Action"] == "organizations:EnableAWSServiceAccess"
    assert statements["TrustedAccessForIamOnly"]["Condition"] == {
        "StringEquals": {"organizations:ServicePrincipal": "iam.amazonaws.com"}}
    assert sorted(statements["CentralizedRootAccess"]["Action"]) == [
        "iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions",
        "iam:ListOrganizationsFeatures"]
    assert statements["WriteOwnLogs"]["Resource"] == {"Fn::GetAtt": [logical_id(construct.log_group), "Arn"]}
    assert trust_statements(template, construct.role) == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]


def test_disable_actions_only_with_disable_on_delete():
    stack = new_stack()
    construct = CentralizedRootAccess(stack, "RootAccess", disable_on_delete=True)
    template = Template.from_stack(stack)
    actions = {s["Sid"]: s for s in policy_statements(template, construct.node.find_child("Policy"))}["CentralizedRootAccess"]["Action"]
    assert "iam:DisableOrganizationsRootSessions" in actions and "iam:DisableOrganizationsRootCredentialsManagement" in actions
    template.has_resource_properties("Custom::CentralizedRootAccess", {"DisableOnDelete": True})


def test_the_custom_resource_keeps_root_access_on_when_deleted_by_default(built):
    _, template, _ = built
    template.has_resource_properties("Custom::CentralizedRootAccess", {"DisableOnDelete": False})


def test_passes_nag_packs(built):
    stack, *_ = built
    assert nag_findings(stack) == []


def test_wrong_props_name_the_construct():
    with pytest.raises(PropsError, match=r"Test/RootAccess \(CentralizedRootAccess\): disable_on_delete 'yes' must be True or False"):
        CentralizedRootAccess(new_stack(), "RootAccess", disable_on_delete="yes")  # type: ignore[arg-type]
