"""PeopleGroup: permissions live on groups; MFA is enforced; self-service is scoped to oneself."""

from __future__ import annotations

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from constructs_iam import ALLOWED_WITHOUT_MFA, PeopleGroup

from .support import logical_id, nag_findings, new_stack, policy_statements

OWN_USER = "arn:aws:iam::222222222222:user/${aws:username}"


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    group = PeopleGroup(stack, "Developers", group_name="developers",
                        managed_policies=[iam.ManagedPolicy(stack, "Extra", statements=[
                            iam.PolicyStatement(actions=["sts:GetCallerIdentity"], resources=["*"])])])
    template = Template.from_stack(stack)
    return stack, template, group, {s["Sid"]: s for s in policy_statements(template, group.mfa_policy)}


def test_everything_but_mfa_setup_is_denied_without_mfa(built):
    *_, statements = built
    assert statements["DenyAllExceptListedIfNoMFA"] == {
        "Sid": "DenyAllExceptListedIfNoMFA",
        "Effect": "Deny",
        "NotAction": list(ALLOWED_WITHOUT_MFA),
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    }


def test_first_sign_in_password_change_works_without_mfa(built):
    *_, statements = built
    not_actions = statements["DenyAllExceptListedIfNoMFA"]["NotAction"]
    assert "iam:ChangePassword" in not_actions and "iam:GetAccountPasswordPolicy" in not_actions
    # deactivating MFA or managing access keys is not possible without MFA
    assert "iam:DeactivateMFADevice" not in not_actions
    assert "iam:CreateAccessKey" not in not_actions


def test_self_service_is_scoped_to_the_callers_own_user(built):
    *_, statements = built
    for sid in ("AllowManageOwnPasswords", "AllowManageOwnAccessKeys", "AllowManageOwnUserMFA"):
        assert statements[sid]["Resource"] == OWN_USER, sid
    assert set(statements["AllowManageOwnAccessKeys"]["Action"]) == {
        "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetAccessKeyLastUsed",
    }
    assert statements["AllowManageOwnVirtualMFADevice"]["Resource"] == "arn:aws:iam::222222222222:mfa/*"


def test_policies_are_attached_to_the_group_as_managed_policies(built):
    _, template, group, _ = built
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.has_resource_properties("AWS::IAM::ManagedPolicy", {"Groups": [{"Ref": logical_id(group.group)}]})
    template.has_resource_properties("AWS::IAM::Group", {"GroupName": "developers", "ManagedPolicyArns": [{"Ref": logical_id_of_extra(template)}]})


def logical_id_of_extra(template: Template) -> str:
    (extra,) = [k for k, r in template.find_resources("AWS::IAM::ManagedPolicy").items() if not r["Properties"].get("Groups")]
    return extra


def test_passes_nag_packs(built):
    stack, *_ = built
    assert [f for f in nag_findings(stack) if "/Extra/" not in f] == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group_name": "has space"}, "group_name 'has space' may contain only"),
        ({"group_name": "g" * 129}, "group_name"),
        ({"path": "x"}, "path 'x' must be '/'"),
        ({"managed_policies": ["ReadOnlyAccess"]}, "managed_policies 'ReadOnlyAccess' must be an aws_iam.IManagedPolicy"),
        ({"managed_policies": "ReadOnlyAccess"}, "managed_policies 'ReadOnlyAccess' must be a list of managed policies"),
        ({"removal_policy": "retain"}, "removal_policy 'retain' must be an aws_cdk.RemovalPolicy"),
    ],
)
def test_bad_input_is_a_value_error_naming_prop_and_value(kwargs, message):
    with pytest.raises(ValueError) as error:
        PeopleGroup(new_stack(), "G", **kwargs)
    assert message in str(error.value)
