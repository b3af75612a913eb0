"""IamGuardrails: each rule is a pair, a stack that passes and one that fails with the message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs_iam import HumanUser, IamGuardrails, PeopleGroup, S3Location, S3PrefixAccessRole

from .support import new_app, new_stack


def synth_problems(build: Callable[[Stack], None], **guardrail_props) -> str:
    """Build a stack, apply the guardrails to it, synthesize; return the error text ('' if none)."""
    app = new_app()
    stack = new_stack(app)
    build(stack)
    IamGuardrails.of(stack, **guardrail_props)
    try:
        app.synth()
    except Exception as error:  # jsii surfaces the construct validation error as RuntimeError
        return str(error)
    return ""


def people(stack: Stack) -> HumanUser:
    group = PeopleGroup(stack, "Devs")
    return HumanUser(stack, "Alice", user_name="alice.example", groups=[group])


# 1. no policy attached directly to a user ---------------------------------------------------

def test_user_in_groups_only_passes():
    assert synth_problems(people) == ""


def test_inline_policy_on_a_user_fails():
    def build(stack):
        people(stack).user.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"]))

    message = synth_problems(build)
    assert "[Test/Alice/User/DefaultPolicy/Resource] IamGuardrails: policy is attached directly to a user" in message


def test_managed_policy_on_a_user_fails():
    def build(stack):
        people(stack).user.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"))

    assert "IamGuardrails: user has managed policies attached" in synth_problems(build)


def test_managed_policy_naming_a_user_fails():
    def build(stack):
        human = people(stack)
        iam.ManagedPolicy(stack, "Direct", users=[human.user],
                          statements=[iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"])])

    assert "[Test/Direct/Resource] IamGuardrails: policy is attached directly to a user" in synth_problems(build)


# 2. no "*" on "*" ------------------------------------------------------------------------------

def test_exact_actions_pass():
    def build(stack):
        iam.ManagedPolicy(stack, "Narrow", statements=[iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::b/*"])])

    assert synth_problems(build) == ""


@pytest.mark.parametrize("statement", [
    {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "Admin", "Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]},
    {"Sid": "Admin", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
])
def test_star_on_star_fails_even_through_an_escape_hatch(statement):
    def build(stack):
        iam.CfnManagedPolicy(stack, "Admin", policy_document={"Version": "2012-10-17", "Statement": [statement]})

    assert "[Test/Admin] IamGuardrails: statement Admin allows" in synth_problems(build)


def test_star_on_star_from_the_l2_fails():
    def build(stack):
        iam.ManagedPolicy(stack, "Admin", statements=[iam.PolicyStatement(actions=["*"], resources=["*"])])

    assert "[Test/Admin/Resource] IamGuardrails: statement (no Sid) allows '*' on '*'" in synth_problems(build)


def test_star_on_star_in_a_role_inline_policy_fails():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), inline_policies={
            "all": iam.PolicyDocument(statements=[iam.PolicyStatement(actions=["*"], resources=["*"])])})

    assert "[Test/R/Resource] IamGuardrails: statement (no Sid) allows '*' on '*'" in synth_problems(build)


# 3. no trust open to "*" without a condition --------------------------------------------------

def test_trust_open_to_an_organization_passes():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.PrincipalWithConditions(
            iam.AnyPrincipal(), {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}))

    assert synth_problems(build) == ""


def test_trust_open_to_anyone_fails():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.AnyPrincipal())

    assert "[Test/R/Resource] IamGuardrails: trust policy lets any principal ('*') assume the role" in synth_problems(build)


def test_trust_open_to_anyone_with_an_unrelated_condition_fails():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.PrincipalWithConditions(
            iam.AnyPrincipal(), {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))

    assert "trust policy lets any principal ('*')" in synth_problems(build)


# 4. permissions boundary on every role and user when configured -------------------------------

def boundary(stack: Stack) -> iam.IManagedPolicy:
    return iam.ManagedPolicy.from_managed_policy_name(stack, "Boundary", "workload-boundary")


def test_boundary_is_applied_to_every_role_and_user():
    app = new_app()
    stack = new_stack(app)
    people(stack)
    S3PrefixAccessRole(stack, "App", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                       location=S3Location(s3.Bucket(stack, "B"), "x/"))
    IamGuardrails.of(stack, permissions_boundary=boundary(stack))
    template = app.synth().get_stack_by_name("Test").template
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::User"):
            assert resource["Properties"]["PermissionsBoundary"] == "arn:aws:iam::222222222222:policy/workload-boundary"
    assert len([r for r in template["Resources"].values() if r["Type"] in ("AWS::IAM::Role", "AWS::IAM::User")]) == 2


def test_role_without_the_boundary_fails_when_only_checking():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))

    app = new_app()
    stack = new_stack(app)
    build(stack)
    IamGuardrails.of(stack, permissions_boundary=boundary(stack), apply_boundary=False)
    with pytest.raises(Exception) as error:
        app.synth()
    assert ("[Test/R/Resource] IamGuardrails: role has no permissions boundary; expected "
            "arn:aws:iam::222222222222:policy/workload-boundary") in str(error.value)


def test_role_with_another_boundary_fails():
    app = new_app()
    stack = new_stack(app)
    other = iam.ManagedPolicy.from_managed_policy_name(stack, "Other", "too-wide")
    iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), permissions_boundary=other)
    IamGuardrails.of(stack, permissions_boundary=boundary(stack))
    with pytest.raises(Exception) as error:
        app.synth()
    assert "role has permissions boundary arn:aws:iam::222222222222:policy/too-wide; expected" in str(error.value)


def test_several_problems_are_reported_together():
    def build(stack):
        iam.Role(stack, "Open", assumed_by=iam.AnyPrincipal())
        iam.ManagedPolicy(stack, "Admin", statements=[iam.PolicyStatement(actions=["*"], resources=["*"])])

    message = synth_problems(build)
    assert "Test/Open/Resource" in message and "Test/Admin/Resource" in message


def test_guardrail_rejects_a_non_policy_boundary():
    with pytest.raises(ValueError, match="permissions_boundary 'workload-boundary' must be an aws_iam.IManagedPolicy"):
        IamGuardrails.of(new_stack(), permissions_boundary="workload-boundary")  # type: ignore[arg-type]
