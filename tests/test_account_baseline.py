"""CIS 1.16 and 1.19, and people through IAM Identity Center: SupportRole, AccessAnalyzer and
DeveloperReadOnlyPermissionSet (the same access as DeveloperReadOnlyRole, from one policy source)."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from constructs_iam import (
    AccessAnalyzer,
    DeveloperExtra,
    DeveloperReadOnlyPermissionSet,
    DeveloperReadOnlyPolicies,
    DeveloperReadOnlyRole,
    PropsError,
    SupportRole,
)
from constructs_iam.access import AccessModel
from constructs_iam.developer_access import classified_actions

from .support import ENV, nag_findings, new_app
from .test_developer_access import DATA_READS, DEBUGGING_READS, REVIEWED_FAMILIES, RUNTIME_SETTINGS, WRITES, visible_in

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"


def aws_managed(name: str) -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{name}"]]}
GROUP = "12345678-1234-1234-1234-123456789012"


@pytest.fixture(scope="module")
def baseline():
    stack = Stack(new_app(), "Baseline", env=ENV)
    support = SupportRole(stack, "Support", trusted_account_id="111111111111", role_name="Support")
    analyzer = AccessAnalyzer(stack, "Analyzer")
    permission_set = DeveloperReadOnlyPermissionSet(stack, "Developers", instance_arn=INSTANCE, group_id=GROUP,
                                                    account_ids=["222222222222", "333333333333"])
    DeveloperReadOnlyPolicies(stack, "DeveloperPolicies")  # what each assigned account deploys
    return stack, Template.from_stack(stack), support, analyzer, permission_set


def test_support_role_has_aws_support_access_and_mfa_only_trust(baseline):
    stack, template, support, _, _ = baseline
    template.has_resource_properties("AWS::IAM::Role", {
        "RoleName": "Support",
        "ManagedPolicyArns": [aws_managed("AWSSupportAccess")],
    })
    model = AccessModel.from_stack(stack)
    role = "arn:aws:iam::222222222222:role/Support"
    mfa = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60", "aws:username": "ops"}
    assert model.can_assume(role=role, caller="arn:aws:iam::111111111111:user/ops",
                            context={**mfa, "sts:SourceIdentity": "ops"}).allowed
    # the trust pins the source identity to the caller's own IAM user name
    assert not model.can_assume(role=role, caller="arn:aws:iam::111111111111:user/ops",
                                context={**mfa, "sts:SourceIdentity": "alice"}).allowed
    assert not model.can_assume(role=role, caller="arn:aws:iam::111111111111:user/ops", context=mfa).allowed
    assert not model.can_assume(role=role, caller="arn:aws:iam::111111111111:user/ops").allowed
    assert not model.can_assume(role=role, caller="arn:aws:iam::999999999999:user/ops", context=mfa).allowed


def test_access_analyzer_is_of_the_account_or_the_organization(baseline):
    _, template, _, analyzer, _ = baseline
    template.has_resource_properties("AWS::AccessAnalyzer::Analyzer", {"Type": "ACCOUNT"})
    stack = Stack(App(), "Org", env=ENV)
    AccessAnalyzer(stack, "Analyzer", organization=True, analyzer_name="org-analyzer")
    Template.from_stack(stack).has_resource_properties("AWS::AccessAnalyzer::Analyzer",
                                                       {"Type": "ORGANIZATION", "AnalyzerName": "org-analyzer"})


def test_the_baseline_passes_the_nag_packs(baseline):
    assert nag_findings(baseline[0]) == []


def test_permission_set_is_short_and_assigned_to_the_group_in_each_account(baseline):
    _, template, _, _, _ = baseline
    template.has_resource_properties("AWS::SSO::PermissionSet", {
        "InstanceArn": INSTANCE, "Name": "DeveloperReadOnly", "SessionDuration": "PT1H",
        "CustomerManagedPolicyReferences": [{"Name": "DeveloperReadOnlyReadConfiguration", "Path": "/constructs-iam/"},
                                            *[{"Name": f"DeveloperReadOnlyReadConfiguration{i}", "Path": "/constructs-iam/"}
                                              for i in range(2, 10)]],
    })
    (permission_set,) = template.find_resources("AWS::SSO::PermissionSet").values()
    assert "ManagedPolicies" not in permission_set["Properties"]  # no AWS managed policy
    inline = permission_set["Properties"]["InlinePolicy"]
    assert len(json.dumps(inline, separators=(",", ":"))) <= 10240  # a role's inline limit in each account
    assignments = template.find_resources("AWS::SSO::Assignment")
    assert sorted(a["Properties"]["TargetId"] for a in assignments.values()) == ["222222222222", "333333333333"]
    assert {a["Properties"]["PrincipalId"] for a in assignments.values()} == {GROUP}


def model_of_permission_set(template: dict) -> AccessModel:
    """What a session of the permission set may do in an assigned account, read from synthesized
    templates only: a role holding the permission set's inline policy and the customer managed
    policies of the account's template that its references name (by name and path)."""
    resources = dict(template["Resources"])
    (permission_set,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SSO::PermissionSet"]
    wanted = {(r["Name"], r.get("Path", "/")) for r in permission_set.get("CustomerManagedPolicyReferences", [])}
    found = {(p["Properties"].get("ManagedPolicyName"), p["Properties"].get("Path", "/")): logical_id
             for logical_id, p in resources.items() if p["Type"] == "AWS::IAM::ManagedPolicy"}
    assert wanted <= set(found), f"references without a policy in the account: {sorted(wanted - set(found))}"
    inline = permission_set["InlinePolicy"]
    resources["PermissionSetSession"] = {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "PermissionSetSession",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
        "ManagedPolicyArns": [{"Ref": found[ref]} for ref in sorted(wanted)]
        + [a for a in permission_set.get("ManagedPolicies", [])],
        "Policies": [{"PolicyName": "inline", "PolicyDocument": json.loads(inline) if isinstance(inline, str) else inline}],
    }}
    return AccessModel.from_template({**template, "Resources": resources}, account="222222222222", region="eu-west-1")


def test_the_permission_set_and_the_developer_role_allow_and_deny_the_same_requests(baseline):
    stack, _, _, _, permission_set = baseline
    role_stack = Stack(new_app(), "Prod", env=ENV)
    DeveloperReadOnlyRole(role_stack, "Dev", trusted_account_id="111111111111", role_name="DeveloperReadOnly")
    role_model = AccessModel.from_stack(role_stack)
    set_model = model_of_permission_set(Template.from_stack(stack).to_json())
    for action, resource in [*DEBUGGING_READS, *DATA_READS, *REVIEWED_FAMILIES, *RUNTIME_SETTINGS, *WRITES]:
        by_role = role_model.evaluate(principal="arn:aws:iam::222222222222:role/DeveloperReadOnly", action=action, resource=resource)
        by_set = set_model.evaluate(principal="arn:aws:iam::222222222222:role/PermissionSetSession", action=action, resource=resource)
        assert by_role.allowed == by_set.allowed, (action, resource, by_role.reason, by_set.reason)
    session = "arn:aws:iam::222222222222:role/PermissionSetSession"
    assert visible_in(set_model, session) == visible_in(role_model, "arn:aws:iam::222222222222:role/DeveloperReadOnly")
    assert [a for a in visible_in(set_model, session) if classified_actions()[a] != "config"] == []


def test_extras_reach_the_permission_set_too():
    stack = Stack(new_app(), "S", env=ENV)
    DeveloperReadOnlyPermissionSet(stack, "P", instance_arn=INSTANCE, extras=[DeveloperExtra.LOGS])
    DeveloperReadOnlyPolicies(stack, "Policies", extras=[DeveloperExtra.LOGS])
    model = model_of_permission_set(Template.from_stack(stack).to_json())
    decision = model.evaluate(principal="arn:aws:iam::222222222222:role/PermissionSetSession",
                              action="logs:GetLogEvents", resource="arn:aws:logs:eu-west-1:222222222222:log-group:a")
    assert decision.allowed


@pytest.mark.parametrize(("props", "message"), [
    ({"instance_arn": "ssoins-1"}, "instance_arn 'ssoins-1' must be an IAM Identity Center instance ARN"),
    ({"account_ids": ["222222222222"]}, "account_ids \\['222222222222'\\] need group_id"),
    ({"group_id": "developers"}, "group_id 'developers' must be an identity store group id"),
    ({"name": "x" * 33}, "name 'x{33}' must be 1 to 32"),
])
def test_bad_permission_set_props_are_refused(props, message):
    with pytest.raises(PropsError, match=message):
        DeveloperReadOnlyPermissionSet(Stack(App(), "S", env=ENV), "P", **{"instance_arn": INSTANCE, **props})
