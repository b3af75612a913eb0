"""AccountPasswordPolicy: CIS defaults, IAM's ranges enforced, a narrow handler role."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from constructs_iam import AccountPasswordPolicy
from constructs_iam._password_policy_handler import parameters

from .support import logical_id, nag_findings, new_app, new_stack, policy_statements, trust_statements


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    boundary = iam.ManagedPolicy.from_managed_policy_name(stack, "Boundary", "workload-boundary")
    policy = AccountPasswordPolicy(stack, "PasswordPolicy", permissions_boundary=boundary)
    return stack, Template.from_stack(stack), policy


def test_defaults_meet_cis(built):
    _, template, _ = built
    template.has_resource_properties("Custom::AccountPasswordPolicy", {
        "MinimumPasswordLength": 14,
        "PasswordReusePrevention": 24,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "AllowUsersToChangePassword": True,
        "HardExpiry": False,
        "MaxPasswordAge": Match.absent(),
    })


def test_handler_role_may_only_manage_the_password_policy_and_its_logs(built):
    _, template, policy = built
    statements = {s["Sid"]: s for s in policy_statements(template, _managed_policy(policy))}
    assert set(statements) == {"ManagePasswordPolicy", "WriteOwnLogs"}
    assert sorted(statements["ManagePasswordPolicy"]["Action"]) == ["iam:DeleteAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"]
    assert statements["WriteOwnLogs"]["Resource"] == {"Fn::GetAtt": [logical_id(policy.log_group), "Arn"]}
    assert trust_statements(template, policy.role) == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]


def _managed_policy(policy: AccountPasswordPolicy) -> iam.ManagedPolicy:
    return policy.node.find_child("Policy")  # type: ignore[return-value]


def test_handler_role_carries_the_permissions_boundary(built):
    _, template, policy = built
    role = template.to_json()["Resources"][logical_id(policy.role)]
    assert role["Properties"]["PermissionsBoundary"] == "arn:aws:iam::222222222222:policy/workload-boundary"


def test_handler_logs_are_encrypted_and_kept_a_year(built):
    _, template, _ = built
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365, "KmsKeyId": Match.any_value()})


def test_handler_waits_for_its_permissions(built):
    _, template, policy = built
    function = template.to_json()["Resources"][logical_id(policy.function)]
    assert function["DependsOn"] == [logical_id(_managed_policy(policy))]


def test_passes_nag_packs(built):
    stack, *_ = built
    assert nag_findings(stack) == []


def test_max_age_and_hard_expiry_are_props():
    stack = new_stack()
    AccountPasswordPolicy(stack, "P", max_age=Duration.days(90), hard_expiry=True, minimum_length=20)
    Template.from_stack(stack).has_resource_properties(
        "Custom::AccountPasswordPolicy", {"MaxPasswordAge": 90, "HardExpiry": True, "MinimumPasswordLength": 20}
    )


def test_length_below_cis_is_allowed_by_iam_but_warned():
    stack = new_stack()
    AccountPasswordPolicy(stack, "P", minimum_length=8)
    Annotations.from_stack(stack).has_warning("/Test/P", Match.string_like_regexp("below 14"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minimum_length": 5}, "minimum_length 5 must be from 6 to 128"),
        ({"minimum_length": 129}, "minimum_length 129 must be from 6 to 128"),
        ({"reuse_prevention": 0}, "reuse_prevention 0 must be from 1 to 24"),
        ({"reuse_prevention": 25}, "reuse_prevention 25 must be from 1 to 24"),
        ({"max_age": Duration.days(1096)}, "max_age '1096 days' must be between 1 day and 1095 days"),
        ({"max_age": Duration.hours(12)}, "max_age '12 hours' must be between"),
        ({"hard_expiry": True}, "hard_expiry True needs max_age"),
        ({"require_symbols": "yes"}, "require_symbols 'yes' must be True or False"),
        ({"minimum_length": True}, "minimum_length True must be a whole number"),
    ],
)
def test_out_of_range_values_are_a_value_error_naming_prop_and_value(kwargs, message):
    with pytest.raises(ValueError) as error:
        AccountPasswordPolicy(new_stack(), "P", **kwargs)
    assert message in str(error.value)


def test_handler_converts_cloudformation_strings_to_api_types():
    assert parameters({
        "ServiceToken": "arn:aws:lambda:eu-west-1:222222222222:function:x",
        "MinimumPasswordLength": "14", "PasswordReusePrevention": "24", "MaxPasswordAge": "90",
        "RequireSymbols": "true", "HardExpiry": "false",
    }) == {
        "MinimumPasswordLength": 14, "PasswordReusePrevention": 24, "MaxPasswordAge": 90,
        "RequireSymbols": True, "HardExpiry": False,
    }


def test_handler_can_run_in_a_vpc_with_reserved_concurrency_for_control_tower():
    from aws_cdk import aws_ec2 as ec2

    app = new_app()
    stack = new_stack(app)
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    AccountPasswordPolicy(stack, "PasswordPolicy", vpc=vpc, reserved_concurrent_executions=1)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::Function", {
        "Description": Match.string_like_regexp("password policy"),
        "ReservedConcurrentExecutions": 1,
        "VpcConfig": {"SubnetIds": Match.any_value(), "SecurityGroupIds": Match.any_value()},
    })
    # the two acknowledgments that no longer apply are gone: a VPC and concurrency satisfy the rules
    handler = next(r for r in template.to_json()["Resources"].values()
                   if r["Type"] == "AWS::Lambda::Function" and "password policy" in r["Properties"].get("Description", ""))
    skipped = {entry["id"] for entry in handler.get("Metadata", {}).get("checkov", {}).get("skip", [])}
    assert skipped == {"CKV_AWS_116"}
    findings = [f for f in nag_findings(stack) if "Vpc" not in f]  # the sample VPC itself is not ours
    assert findings == []


def test_vpc_props_without_a_vpc_are_refused():
    from aws_cdk import aws_ec2 as ec2

    stack = new_stack()
    with pytest.raises(ValueError, match="vpc_subnets/security_groups .* need vpc"):
        AccountPasswordPolicy(stack, "P", vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS))
