"""DeveloperReadOnlyRole: assumed from the identity account with fresh MFA; sees config, not data."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from constructs_iam.access.matching import wildcard_match
from constructs_iam import DENIED_DATA_ACTIONS, DeveloperAccess, DeveloperReadOnlyRole, developer_policies

from .support import ENV, nag_findings, new_app, new_stack, policy_statements, trust_statements

IDENTITY = "111111111111"


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    dev = DeveloperReadOnlyRole(stack, "Dev", trusted_account_id=IDENTITY, role_name="DeveloperReadOnly")
    return stack, Template.from_stack(stack), dev


def test_cannot_be_assumed_without_fresh_mfa_or_a_source_identity_from_the_identity_account(built):
    _, template, dev = built
    assert trust_statements(template, dev.role) == [
        {
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{IDENTITY}:root"},
            "Condition": {
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                "StringEquals": {"sts:SourceIdentity": "${aws:username}"},
            },
        }
    ]


def test_session_is_one_hour_by_default(built):
    _, template, _ = built
    template.has_resource_properties("AWS::IAM::Role", {"MaxSessionDuration": 3600, "RoleName": "DeveloperReadOnly"})


def test_sees_configuration_through_its_own_allow_list_and_no_aws_managed_policy(built):
    stack, template, dev = built
    arns = template.find_resources("AWS::IAM::Role")
    (role,) = arns.values()
    assert "ManagedPolicyArns" not in role["Properties"]  # our policies attach themselves (Roles), no AWS one
    assert len(dev.allow_policies) == len(developer_policies().allow_documents) <= 9
    first = policy_statements(template, dev.allow_policies[0])
    assert [s["Sid"] for s in first] == ["ReadConfiguration"] and first[0]["Effect"] == "Allow"
    assert first[0]["Action"] == list(developer_policies().allow_documents[0]["Statement"][0]["Action"])


@pytest.fixture(scope="module")
def view_only():
    stack = new_stack()
    dev = DeveloperReadOnlyRole(stack, "Dev", trusted_account_id=IDENTITY, role_name="DeveloperReadOnly",
                                access=DeveloperAccess.VIEW_ONLY)
    return stack, Template.from_stack(stack), dev


def test_view_only_level_is_built_the_same_way_from_list_level_reads(view_only):
    _, template, dev = view_only
    patterns = [p for policy in dev.allow_policies for s in policy_statements(template, policy) for p in s["Action"]]
    assert patterns == list(developer_policies(DeveloperAccess.VIEW_ONLY).allowed_patterns)
    def allows(action):
        return any(wildcard_match(p, action, case_sensitive=False) for p in patterns)

    assert allows("iam:ListRoles") and allows("ec2:DescribeVpcs")
    assert not allows("ec2:DescribeLaunchTemplateVersions") and not allows("iam:GetRole")  # user data; not a List


def test_view_only_level_cannot_read_data_or_get_credentials(view_only):
    _, template, dev = view_only
    deny, api_keys = policy_statements(template, dev.deny_policy)
    assert deny["Effect"] == "Deny" and deny["Resource"] == "*"
    denied = set(deny["Action"])
    for action in [
        "s3:GetObject*", "secretsmanager:*SecretValue*", "ssm:GetParameter*", "kms:Decrypt*",
        "dynamodb:*Item*", "dynamodb:Query*", "dynamodb:Scan*", "sqs:ReceiveMessage*", "kinesis:GetRecords*",
        "sts:GetFederationToken", "iam:CreateAccessKey", "ecr:GetAuthorizationToken", "rds-db:connect",
    ]:
        assert action in denied, action
    assert denied == set(DENIED_DATA_ACTIONS)
    assert api_keys["Sid"] == "DenyApiKeyValues" and api_keys["Action"] == "apigateway:GET"


def test_configuration_level_denies_the_data_and_credential_families_by_wildcard(built):
    _, template, dev = built
    (deny, _) = policy_statements(template, dev.deny_policy)
    assert deny["Sid"] == "DenyDataAndCredentials" and deny["Resource"] == "*"
    assert set(DENIED_DATA_ACTIONS) == set(deny["Action"])
    assert {"s3:GetObject*", "dynamodb:Query*", "ssm:GetParameter*", "ec2:GetConsole*", "ecr:BatchGetImage",
            "ec2:DescribeLaunchTemplateVersions", "cognito-idp:DescribeUserPoolClient*"} <= set(deny["Action"])


def test_every_policy_fits_iam_size_limits(built):
    import json as _json

    _, template, dev = built
    assert len(dev.deny_policies) == 1 and 1 <= len(dev.allow_policies) <= 9
    for policy in [*dev.deny_policies, *dev.allow_policies]:
        document = {"Version": "2012-10-17", "Statement": policy_statements(template, policy)}
        assert len(_json.dumps(document, separators=(",", ":"))) <= 6144


def test_the_only_allow_statements_are_the_generated_reads(built):
    _, template, dev = built
    assert all(s["Effect"] == "Deny" for s in policy_statements(template, dev.deny_policy))
    assert all(s["Effect"] == "Allow" and s["Sid"].startswith("ReadConfiguration")
               for p in dev.allow_policies for s in policy_statements(template, p))


def test_passes_nag_packs_with_one_named_acknowledgment(built):
    stack, _, _ = built
    assert nag_findings(stack) == []


def test_only_named_principals_when_given():
    stack = new_stack()
    dev = DeveloperReadOnlyRole(
        stack, "Dev", trusted_account_id=IDENTITY,
        trusted_principal_arns=[f"arn:aws:iam::{IDENTITY}:role/platform-engineers"],
        max_session_duration=Duration.hours(4), max_mfa_age=Duration.minutes(15),
    )
    template = Template.from_stack(stack)
    (statement,) = trust_statements(template, dev.role)
    assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": f"arn:aws:iam::{IDENTITY}:role/platform-engineers"}
    assert statement["Condition"]["NumericLessThan"] == {"aws:MultiFactorAuthAge": "900"}
    template.has_resource_properties("AWS::IAM::Role", {"MaxSessionDuration": 14400})


def test_grant_assume_from_the_identity_stack_uses_a_literal_arn_and_mfa():
    app = new_app()
    production = Stack(app, "Prod", env=ENV)
    identity = Stack(app, "Identity", env={"account": IDENTITY, "region": "eu-west-1"})
    dev = DeveloperReadOnlyRole(production, "Dev", trusted_account_id=IDENTITY, role_name="DeveloperReadOnly")
    group = iam.Group(identity, "Developers")
    dev.grant_assume(group)
    template = Template.from_stack(identity)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Sid": "AssumeDeveloperReadOnlyWithMfa",
                        "Effect": "Allow",
                        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                        "Resource": "arn:aws:iam::222222222222:role/DeveloperReadOnly",
                        "Condition": {
                            "Bool": {"aws:MultiFactorAuthPresent": "true"},
                            "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                            "StringEquals": {"sts:SourceIdentity": "${aws:username}"},
                        },
                    }
                ],
                "Version": "2012-10-17",
            },
            "Groups": [{"Ref": Match.string_like_regexp("^Developers")}],
        },
    )
    app.synth()  # no cross-environment reference was created


def test_grant_assume_across_stacks_needs_a_role_name():
    app = App()
    production = Stack(app, "Prod", env=ENV)
    identity = Stack(app, "Identity", env={"account": IDENTITY, "region": "eu-west-1"})
    dev = DeveloperReadOnlyRole(production, "Dev", trusted_account_id=IDENTITY)
    with pytest.raises(ValueError, match="role_name None must be set"):
        dev.grant_assume(iam.Group(identity, "Developers"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trusted_account_id": "12345"}, "trusted_account_id '12345' must be 12 digits"),
        ({"trusted_account_id": "11111111111a"}, "trusted_account_id '11111111111a' must be 12 digits"),
        ({"max_session_duration": Duration.hours(13)}, "max_session_duration '13 hours' must be between 1 hour and 12 hours"),
        ({"max_session_duration": Duration.minutes(59)}, "max_session_duration '59 minutes' must be between"),
        ({"max_mfa_age": Duration.days(1)}, "max_mfa_age '1 day' must be between"),
        ({"trusted_principal_arns": ["arn:aws:iam::333333333333:role/x"]},
         "trusted_principal_arns 'arn:aws:iam::333333333333:role/x' must be in the trusted account 111111111111"),
        ({"trusted_principal_arns": [f"arn:aws:iam::{IDENTITY}:role/*"]}, "trusted_principal_arns 'arn:aws:iam::111111111111:role/*' must not contain wildcards"),
        ({"trusted_principal_arns": "arn:aws:iam::111111111111:role/x"}, "must be a list of ARNs"),
        ({"role_name": "a" * 65}, "role_name"),
        ({"additional_denied_actions": ["not an action"]}, "additional_denied_actions 'not an action' must be an IAM action"),
        ({"additional_denied_actions": "logs:GetLogEvents"}, "additional_denied_actions 'logs:GetLogEvents' must be a list of IAM actions"),
        ({"trusted_principal_arns": None}, "trusted_principal_arns None must be a list of ARNs"),
        ({"trusted_account_id": 111111111111}, "trusted_account_id 111111111111 must be a string of 12 digits"),
        ({"max_session_duration": 3600}, "max_session_duration 3600 must be an aws_cdk.Duration"),
    ],
)
def test_bad_input_is_a_value_error_naming_prop_and_value(kwargs, message):
    props = {"trusted_account_id": IDENTITY, **kwargs}
    with pytest.raises(ValueError) as error:
        DeveloperReadOnlyRole(new_stack(), "Dev", **props)
    assert message in str(error.value)


def test_grant_assume_returns_a_grant_and_writes_no_inline_policy():
    app = new_app()
    production = Stack(app, "Prod", env=ENV)
    identity = Stack(app, "Identity", env={"account": IDENTITY, "region": "eu-west-1"})
    dev = DeveloperReadOnlyRole(production, "Dev", trusted_account_id=IDENTITY, role_name="DeveloperReadOnly")
    grant = dev.grant_assume(iam.Group(identity, "Developers"))
    assert isinstance(grant, iam.Grant) and grant.success
    template = Template.from_stack(identity)
    assert template.find_resources("AWS::IAM::Policy") == {}
    assert len(template.find_resources("AWS::IAM::ManagedPolicy")) == 1


def test_grant_assume_refuses_a_grantee_that_is_not_a_group_role_or_user():
    dev = DeveloperReadOnlyRole(new_stack(), "Dev", trusted_account_id=IDENTITY, role_name="DeveloperReadOnly")
    with pytest.raises(ValueError, match="grantee .* must be an aws_iam.IGrantable"):
        dev.grant_assume(iam.ServicePrincipal("ec2.amazonaws.com"))
