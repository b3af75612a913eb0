"""A pattern's role allows exactly what the pattern documents, or synth fails.

Every route by which ordinary CDK code adds permissions to a role, tried on every role pattern,
in an app that never calls ``IamGuardrails.of`` (the patterns guard themselves). Each failure
names the rule, the construct path of the policy that widened the role, the pattern's own path
and the fix.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_iam import (
    DeveloperReadOnlyRole,
    Ec2S3ReadOnlyRole,
    PropsError,
    S3Access,
    S3Location,
    S3PrefixAccessRole,
    ScalingServiceRole,
    service_principal,
)

from .support import ENV, guardrail_findings, new_app, new_stack

PATTERNS: dict[str, Callable[[Stack, s3.IBucket], object]] = {
    "Ec2S3ReadOnlyRole": lambda stack, bucket: Ec2S3ReadOnlyRole(
        stack, "Pattern", locations=[S3Location(bucket, "reports/")]),
    "S3PrefixAccessRole": lambda stack, bucket: S3PrefixAccessRole(
        stack, "Pattern", assumed_by=service_principal("lambda.amazonaws.com"),
        location=S3Location(bucket, "app/"), access=S3Access.READ),
    "ScalingServiceRole": lambda stack, bucket: ScalingServiceRole(
        stack, "Pattern", instance_role=iam.Role(stack, "Instance", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))),
    "DeveloperReadOnlyRole": lambda stack, bucket: DeveloperReadOnlyRole(
        stack, "Pattern", trusted_account_id="111111111111"),
}

WRITE = iam.PolicyStatement(actions=["s3:PutObject"], resources=["arn:aws:s3:::elsewhere/*"])


def widen_by(route: str, stack: Stack, bucket: s3.Bucket, pattern) -> str:
    """Widen ``pattern``'s role by ``route``; return the construct path of what did it."""
    role = pattern.role
    if route == "bucket.grant_read_write(pattern)":
        bucket.grant_read_write(pattern)
        return "Test/Pattern/Role/DefaultPolicy/Resource"
    if route == "bucket.grant_read_write(pattern.role)":
        bucket.grant_read_write(role)
        return "Test/Pattern/Role/DefaultPolicy/Resource"
    if route == "key.grant_decrypt(pattern)":
        kms.Key(stack, "Key", enable_key_rotation=True).grant_decrypt(pattern)
        return "Test/Pattern/Role/DefaultPolicy/Resource"
    if route == "role.add_to_principal_policy":
        role.add_to_principal_policy(WRITE)
        return "Test/Pattern/Role/DefaultPolicy/Resource"
    if route == "role.attach_inline_policy":
        role.attach_inline_policy(iam.Policy(stack, "Inline", statements=[WRITE]))
        return "Test/Inline/Resource"
    if route == "role.add_managed_policy":
        role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess"))
        return "Test/Pattern/Role/Resource"
    if route == "ManagedPolicy(roles=[role])":
        iam.ManagedPolicy(stack, "Extra", roles=[role], statements=[WRITE])
        return "Test/Extra/Resource"
    if route == "CfnRolePolicy(role_name=...)":
        iam.CfnRolePolicy(stack, "Hatch", role_name=role.role_name, policy_name="extra",
                          policy_document={"Version": "2012-10-17", "Statement": [WRITE.to_statement_json()]})
        return "Test/Hatch"
    if route == "CfnPolicy(roles=[...])":
        iam.CfnPolicy(stack, "Hatch", roles=[role.role_name], policy_name="extra",
                      policy_document={"Version": "2012-10-17", "Statement": [WRITE.to_statement_json()]})
        return "Test/Hatch"
    if route == "CfnRole property override":
        role.node.default_child.add_property_override(
            "Policies", [{"PolicyName": "extra", "PolicyDocument": {"Statement": [WRITE.to_statement_json()]}}])
        return "Test/Pattern/Role/Resource"
    if route == "policy in another stack":
        other = Stack(stack.node.scope, "Other", env=ENV)
        iam.Policy(other, "Extra", roles=[role], statements=[WRITE])
        return "Other/Extra/Resource"
    if route == "bucket policy naming the role":
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[role], actions=["s3:PutObject"], resources=[bucket.arn_for_objects("*")]))
        return "Test/Bucket/Policy/Resource"
    raise AssertionError(route)


ROUTES = [
    "bucket.grant_read_write(pattern)", "bucket.grant_read_write(pattern.role)", "key.grant_decrypt(pattern)",
    "role.add_to_principal_policy", "role.attach_inline_policy", "role.add_managed_policy",
    "ManagedPolicy(roles=[role])", "CfnRolePolicy(role_name=...)", "CfnPolicy(roles=[...])",
    "CfnRole property override", "policy in another stack", "bucket policy naming the role",
]


def build(pattern_name: str, route: str | None = None):
    app = new_app()
    stack = new_stack(app)
    bucket = s3.Bucket(stack, "Bucket", enforce_ssl=True)
    pattern = PATTERNS[pattern_name](stack, bucket)
    source = widen_by(route, stack, bucket, pattern) if route else None
    return app, pattern, source


@pytest.mark.parametrize("pattern_name", PATTERNS)
def test_a_pattern_used_as_documented_synthesizes(pattern_name):
    app, _, _ = build(pattern_name)
    assert guardrail_findings(app) == []


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("pattern_name", PATTERNS)
def test_every_widening_route_fails_synth_naming_pattern_source_and_fix(pattern_name, route):
    app, pattern, source = build(pattern_name, route)
    found = [f for f in guardrail_findings(app) if f[0] == "IamGuardrails-PatternWidened"]
    assert found, f"{route} widened {pattern_name} silently"
    assert source in {path for _, path, _ in found}
    message = next(description for _, path, description in found if path == source)
    assert f"Test/Pattern ({pattern_name})" in message
    assert "Fix: " in message and "extend_policy" in message


def test_a_plain_role_with_a_narrow_policy_still_synthesizes():
    app = new_app()
    stack = new_stack(app)
    bucket = s3.Bucket(stack, "Bucket", enforce_ssl=True)
    PATTERNS["Ec2S3ReadOnlyRole"](stack, bucket)  # a pattern in the app turns the plugin on
    role = iam.Role(stack, "Plain", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    bucket.grant_read(role, "reports/*")
    assert guardrail_findings(app) == []


def test_the_fix_names_the_prop_to_change():
    app, _, _ = build("Ec2S3ReadOnlyRole", "bucket.grant_read_write(pattern)")
    (_, _, message), = guardrail_findings(app)
    assert "add the location to `locations`" in message
    app, _, _ = build("S3PrefixAccessRole", "bucket.grant_read_write(pattern)")
    (_, _, message), = guardrail_findings(app)
    assert "S3Access.READ_WRITE" in message


def test_extend_policy_widens_on_purpose_and_is_recorded_with_its_reason():
    app = new_app()
    stack = new_stack(app)
    bucket = s3.Bucket(stack, "Bucket", enforce_ssl=True)
    reader = PATTERNS["Ec2S3ReadOnlyRole"](stack, bucket)
    reader.extend_policy([iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects("status/ok.json")])],
                         reason="The fleet writes its one health file after each run.")
    assert guardrail_findings(app) == []
    template = app.synth().get_stack_by_name("Test").template
    role = next(r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role")
    record = role["Metadata"]["constructs-iam"]
    assert record["pattern"] == "Ec2S3ReadOnlyRole" and record["path"] == "Test/Pattern"
    assert record["extensions"] == [{"reason": "The fleet writes its one health file after each run.",
                                     "actions": ["s3:PutObject"]}]
    policy = next(r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy")
    assert "s3:PutObject" in [s["Action"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]


@pytest.mark.parametrize(("statements", "reason", "message"), [
    ([], "a good long reason", r"statements \[\] must list at least one item"),
    ([WRITE], "", "reason '' must say why"),
    (["s3:PutObject"], "a good long reason", "must contain only aws_iam.PolicyStatement"),
])
def test_extend_policy_refuses_no_statements_or_no_reason(statements, reason, message):
    _, reader, _ = build("Ec2S3ReadOnlyRole")
    with pytest.raises(PropsError, match=message):
        reader.extend_policy(statements, reason=reason)


def test_patterns_are_grantable_and_expose_the_same_attributes():
    app = new_app()
    stack = new_stack(app)
    bucket = s3.Bucket(stack, "Bucket")
    for name, make in PATTERNS.items():
        scope = Stack(app, name, env=ENV)
        pattern = make(scope, s3.Bucket(scope, "B"))
        assert pattern.grant_principal is pattern.role
        grant = s3.Bucket(scope, "Other").grant_read(pattern)  # accepted as an iam.IGrantable
        assert isinstance(grant, iam.Grant)
        assert isinstance(pattern.policy, iam.ManagedPolicy)
        assert pattern.role_arn == pattern.role.role_arn


def test_every_problem_of_one_construct_is_reported_at_once_with_its_path():
    stack = new_stack()
    with pytest.raises(PropsError) as error:
        DeveloperReadOnlyRole(stack, "Dev", trusted_account_id="12345", role_name="has space",
                              additional_denied_actions=["nope"])
    message = str(error.value)
    assert message.startswith("Test/Dev (DeveloperReadOnlyRole): 3 problems:")
    for part in ("trusted_account_id '12345' must be 12 digits", "role_name 'has space' may contain only",
                 "additional_denied_actions 'nope' must be an IAM action"):
        assert part in message
    assert isinstance(error.value, ValueError) and len(error.value.problems) == 3
