"""IamGuardrails: each rule is a pair, a stack that passes and one that fails naming rule and path.

The guardrails are a policy-validation plugin over the synthesized templates, so each case is
built as a user would write it (L2, L1 escape hatch, resource policy) and read back from the
validation report CDK writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from constructs_iam import HumanUser, IamGuardrails, PeopleGroup, S3Location, S3PrefixAccessRole, acknowledge
from constructs_iam.guardrails import RULES

from .support import guardrail_findings, new_app, new_stack


def findings(build: Callable[[Stack], None], **guardrail_props) -> list[tuple[str, str, str]]:
    """Build a stack, apply the guardrails to it, synthesize; return the guardrail findings."""
    app = new_app()
    stack = new_stack(app)
    build(stack)
    IamGuardrails.of(stack, **guardrail_props)
    return guardrail_findings(app)


def rules_at(build: Callable[[Stack], None], **props) -> set[tuple[str, str]]:
    return {(rule, path) for rule, path, _ in findings(build, **props)}


def people(stack: Stack) -> HumanUser:
    group = PeopleGroup(stack, "Devs")
    return HumanUser(stack, "Alice", user_name="alice.example", groups=[group])


def test_every_rule_has_a_stable_id_an_explanation_and_a_fix():
    assert [rule.id for rule in RULES] == [
        "IamGuardrails-UserPolicy", "IamGuardrails-AdminAccess", "IamGuardrails-OpenTrust",
        "IamGuardrails-OpenResourcePolicy", "IamGuardrails-PermissionsBoundary", "IamGuardrails-Ec2KeyPair",
        "IamGuardrails-PatternWidened",
        "IamGuardrails-TenantTag",  # its cases: tests/test_tenant_bucket.py
        "IamGuardrails-PatternPrincipalUnresolved", "IamGuardrails-PatternChangedAtDeploy",
    ]
    assert all(rule.explanation and rule.fix and rule.title for rule in RULES)


# 1. no policy attached directly to a user ---------------------------------------------------

def test_user_in_groups_only_passes():
    assert findings(people) == []


def test_inline_policy_on_a_user_fails():
    def build(stack):
        people(stack).user.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"]))

    assert ("IamGuardrails-UserPolicy", "Test/Alice/User/DefaultPolicy/Resource") in rules_at(build)
    assert "policy is attached directly to a user" in findings(build)[0][2]


def test_managed_policy_on_a_user_fails():
    def build(stack):
        people(stack).user.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"))

    (rule, path, message), = findings(build)
    assert (rule, path) == ("IamGuardrails-UserPolicy", "Test/Alice/User/Resource")
    assert "user has managed policies attached" in message


def test_managed_policy_naming_a_user_fails():
    def build(stack):
        human = people(stack)
        iam.ManagedPolicy(stack, "Direct", users=[human.user],
                          statements=[iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"])])

    assert rules_at(build) == {("IamGuardrails-UserPolicy", "Test/Direct/Resource")}


def test_user_policy_escape_hatch_fails():
    def build(stack):
        human = people(stack)
        iam.CfnUserPolicy(stack, "Hatch", user_name=human.user.user_name, policy_name="p",
                          policy_document={"Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]})

    assert rules_at(build) == {("IamGuardrails-UserPolicy", "Test/Hatch")}


# 2. no administrator statements ---------------------------------------------------------------

def test_exact_actions_pass():
    def build(stack):
        iam.ManagedPolicy(stack, "Narrow", statements=[iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::b/*"])])

    assert findings(build) == []


@pytest.mark.parametrize("statement", [
    {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Sid": "Admin", "Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]},
    {"Sid": "Admin", "Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
    {"Sid": "Admin", "Effect": "Allow", "Action": ["s3:GetObject", "iam:*"], "Resource": "*"},
])
@pytest.mark.parametrize("resource_type", ["managed", "policy", "role-policy", "group-policy", "role-inline", "group-inline"])
def test_admin_statement_fails_in_every_policy_cloudformation_can_hold(statement, resource_type):
    document = {"Version": "2012-10-17", "Statement": [statement]}

    def build(stack):
        role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        group = iam.Group(stack, "G")
        if resource_type == "managed":
            iam.CfnManagedPolicy(stack, "Admin", policy_document=document)
        elif resource_type == "policy":
            iam.CfnPolicy(stack, "Admin", policy_name="a", policy_document=document, roles=[role.role_name])
        elif resource_type == "role-policy":
            iam.CfnRolePolicy(stack, "Admin", policy_name="a", policy_document=document, role_name=role.role_name)
        elif resource_type == "group-policy":
            iam.CfnGroupPolicy(stack, "Admin", policy_name="a", policy_document=document, group_name=group.group_name)
        elif resource_type == "role-inline":
            iam.CfnRole(stack, "Admin", assume_role_policy_document={"Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                policies=[iam.CfnRole.PolicyProperty(policy_name="a", policy_document=document)])
        else:
            iam.CfnGroup(stack, "Admin", policies=[iam.CfnGroup.PolicyProperty(policy_name="a", policy_document=document)])

    found = findings(build)
    assert {(rule, path) for rule, path, _ in found} == {("IamGuardrails-AdminAccess", "Test/Admin")}
    assert "statement Admin allows" in found[0][2]


def test_admin_statement_from_the_l2_fails():
    def build(stack):
        iam.ManagedPolicy(stack, "Admin", statements=[iam.PolicyStatement(actions=["*"], resources=["*"])])

    (rule, path, message), = findings(build)
    assert (rule, path) == ("IamGuardrails-AdminAccess", "Test/Admin/Resource")
    assert "statement (no Sid) allows '*' on '*'" in message


def test_administrator_access_managed_policy_fails():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                 managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess")])

    assert rules_at(build) == {("IamGuardrails-AdminAccess", "Test/R/Resource")}


def test_a_deny_of_everything_passes():
    def build(stack):
        iam.ManagedPolicy(stack, "Deny", statements=[iam.PolicyStatement(effect=iam.Effect.DENY, actions=["*"], resources=["*"])])

    assert findings(build) == []


# 3. no trust open to "*" without a condition --------------------------------------------------

def test_trust_open_to_an_organization_passes():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.PrincipalWithConditions(
            iam.AnyPrincipal(), {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}))

    assert findings(build) == []


def test_trust_open_to_anyone_fails():
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.AnyPrincipal())

    (rule, path, message), = findings(build)
    assert (rule, path) == ("IamGuardrails-OpenTrust", "Test/R/Resource")
    assert "lets any principal ('*') assume the role" in message


@pytest.mark.parametrize("condition", [
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},                 # does not say who
    {"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}},    # negated
    {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123def4"}},  # absent key passes
    {"StringLike": {"aws:PrincipalArn": "*"}},                         # pins nothing
])
def test_trust_open_to_anyone_with_a_condition_that_pins_no_caller_fails(condition):
    def build(stack):
        iam.Role(stack, "R", assumed_by=iam.PrincipalWithConditions(iam.AnyPrincipal(), condition))

    assert rules_at(build) == {("IamGuardrails-OpenTrust", "Test/R/Resource")}


# 4. no resource policy open to "*" ------------------------------------------------------------

OPEN = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": "*"}
PINNED = {**OPEN, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}}


def resource_policies(stack: Stack, statement: dict) -> None:
    document = {"Version": "2012-10-17", "Statement": [statement]}
    bucket = s3.CfnBucket(stack, "Bucket")
    s3.CfnBucketPolicy(stack, "BucketPolicy", bucket=bucket.ref, policy_document=document)
    queue = sqs.CfnQueue(stack, "Queue")
    sqs.CfnQueuePolicy(stack, "QueuePolicy", queues=[queue.ref], policy_document=document)
    topic = sns.CfnTopic(stack, "Topic")
    sns.CfnTopicPolicy(stack, "TopicPolicy", topics=[topic.ref], policy_document=document)
    kms.CfnKey(stack, "Key", key_policy=document, enable_key_rotation=True)
    secret = secretsmanager.CfnSecret(stack, "Secret")
    secretsmanager.CfnResourcePolicy(stack, "SecretPolicy", secret_id=secret.ref, resource_policy=document)


def test_resource_policies_pinned_to_an_organization_pass():
    assert findings(lambda stack: resource_policies(stack, PINNED)) == []


def test_resource_policies_open_to_anyone_fail():
    assert rules_at(lambda stack: resource_policies(stack, OPEN)) == {
        ("IamGuardrails-OpenResourcePolicy", f"Test/{name}")
        for name in ("BucketPolicy", "QueuePolicy", "TopicPolicy", "Key", "SecretPolicy")
    }


def test_the_l2_queue_policy_open_to_anyone_fails():
    def build(stack):
        queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
        queue.grant_send_messages(iam.AnyPrincipal())

    assert rules_at(build) == {("IamGuardrails-OpenResourcePolicy", "Test/Queue/Policy/Resource")}


def test_lambda_permission_for_anyone_fails_and_with_source_account_passes():
    def build(open_: bool):
        def inner(stack):
            fn = lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="i.h",
                                  code=lambda_.Code.from_inline("def h(e, c): pass"))
            fn.add_permission("Invoke", principal=iam.AnyPrincipal() if open_ else iam.ServicePrincipal("s3.amazonaws.com"),
                              source_account=None if open_ else "222222222222")
        return inner

    assert ("IamGuardrails-OpenResourcePolicy", "Test/Fn/Invoke") in rules_at(build(True))
    assert not [f for f in findings(build(False)) if f[0] == "IamGuardrails-OpenResourcePolicy"]


# 5. permissions boundary on every role and user when configured -------------------------------

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
    (rule, path, message), = guardrail_findings(app)
    assert (rule, path) == ("IamGuardrails-PermissionsBoundary", "Test/R/Resource")
    assert "role has no permissions boundary; expected arn:aws:iam::222222222222:policy/workload-boundary" in message


def test_role_with_another_boundary_fails():
    app = new_app()
    stack = new_stack(app)
    other = iam.ManagedPolicy.from_managed_policy_name(stack, "Other", "too-wide")
    iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), permissions_boundary=other)
    IamGuardrails.of(stack, permissions_boundary=boundary(stack))
    (_, _, message), = guardrail_findings(app)
    assert "role has permissions boundary arn:aws:iam::222222222222:policy/too-wide; expected" in message


# reporting, acknowledgment, idempotence --------------------------------------------------------

def test_several_problems_are_reported_together():
    def build(stack):
        iam.Role(stack, "Open", assumed_by=iam.AnyPrincipal())
        iam.ManagedPolicy(stack, "Admin", statements=[iam.PolicyStatement(actions=["*"], resources=["*"])])

    assert rules_at(build) == {("IamGuardrails-OpenTrust", "Test/Open/Resource"),
                               ("IamGuardrails-AdminAccess", "Test/Admin/Resource")}


def test_one_finding_can_be_acknowledged_on_its_resource_with_a_reason():
    def build(stack):
        queue = sqs.Queue(stack, "Public", enforce_ssl=True)
        queue.grant_send_messages(iam.AnyPrincipal())
        acknowledge(queue, "IamGuardrails-OpenResourcePolicy", "A public intake queue: anyone may send, by design.")
        other = sqs.Queue(stack, "Other", enforce_ssl=True)
        other.grant_send_messages(iam.AnyPrincipal())

    # the acknowledged queue passes; the same finding elsewhere still fails
    assert rules_at(build) == {("IamGuardrails-OpenResourcePolicy", "Test/Other/Policy/Resource")}


def test_the_acknowledgment_and_its_reason_are_in_the_report():
    app = new_app()
    stack = new_stack(app)
    queue = sqs.Queue(stack, "Public", enforce_ssl=True)
    queue.grant_send_messages(iam.AnyPrincipal())
    acknowledge(queue, "IamGuardrails-OpenResourcePolicy", "A public intake queue: anyone may send, by design.")
    IamGuardrails.of(stack)
    assembly = app.synth()
    report = json.loads((__import__("pathlib").Path(assembly.directory) / "validation-report.json").read_text())
    (suppressed,) = [s for p in report["pluginReports"] if p["pluginName"] == "IamGuardrails"
                     for s in p.get("suppressedViolations", [])]
    assert suppressed["ruleName"] == "IamGuardrails-OpenResourcePolicy"
    assert suppressed["reason"] == "A public intake queue: anyone may send, by design."


@pytest.mark.parametrize(("scope", "reason", "message"), [
    ("stack", "long enough reason", "must be the resource"),
    ("queue", "", "reason '' must say why"),
    ("queue", "ok", "reason 'ok' must say why"),
])
def test_acknowledgments_are_refused_when_too_wide_or_without_a_reason(scope, reason, message):
    stack = new_stack()
    queue = sqs.Queue(stack, "Q")
    with pytest.raises(ValueError, match=message):
        acknowledge(stack if scope == "stack" else queue, "IamGuardrails-OpenResourcePolicy", reason)


def test_of_is_idempotent():
    app = new_app()
    stack = new_stack(app)
    first = IamGuardrails.of(stack)
    assert IamGuardrails.of(stack) is first
    assert IamGuardrails.of(app) is first  # one plugin per stage
    iam.Role(stack, "Open", assumed_by=iam.AnyPrincipal())
    assert len(guardrail_findings(app)) == 1  # reported once, not once per call


def test_only_the_guarded_scope_is_checked():
    app = new_app()
    guarded, free = new_stack(app, "Guarded"), new_stack(app, "Free")
    iam.Role(guarded, "Open", assumed_by=iam.AnyPrincipal())
    iam.Role(free, "Open", assumed_by=iam.AnyPrincipal())
    IamGuardrails.of(guarded)
    assert {(r, p) for r, p, _ in guardrail_findings(app)} == {("IamGuardrails-OpenTrust", "Guarded/Open/Resource")}


def test_guardrail_rejects_a_non_policy_boundary():
    with pytest.raises(ValueError, match="permissions_boundary 'workload-boundary' must be an aws_iam.IManagedPolicy"):
        IamGuardrails.of(new_stack(), permissions_boundary="workload-boundary")  # type: ignore[arg-type]


# ------------------------------------------------------------- network perimeters are not open policies


def _private_api(stack: Stack) -> None:
    from aws_cdk import aws_apigateway as apigw
    from aws_cdk import aws_ec2 as ec2

    endpoint = ec2.Vpc(stack, "Vpc", nat_gateways=0).add_interface_endpoint(
        "Api", service=ec2.InterfaceVpcEndpointAwsService.APIGATEWAY)
    api = apigw.RestApi(stack, "Api", endpoint_configuration=apigw.EndpointConfiguration(
        types=[apigw.EndpointType.PRIVATE], vpc_endpoints=[endpoint]), policy=iam.PolicyDocument(statements=[
            iam.PolicyStatement(principals=[iam.AnyPrincipal()], actions=["execute-api:Invoke"], resources=["execute-api:/*"],
                                conditions={"StringEquals": {"aws:SourceVpce": endpoint.vpc_endpoint_id}})]))
    api.root.add_method("GET")


def _efs_default_policy(stack: Stack) -> None:
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_efs as efs

    stack.node.set_context("@aws-cdk/aws-efs:denyAnonymousAccess", True)
    efs.FileSystem(stack, "Files", vpc=ec2.Vpc(stack, "Vpc", nat_gateways=0), encrypted=True)


def _endpoint_policy(stack: Stack) -> None:
    from aws_cdk import aws_ec2 as ec2

    endpoint = ec2.Vpc(stack, "Vpc", nat_gateways=0).add_gateway_endpoint(
        "S3", service=ec2.GatewayVpcEndpointAwsService.S3)
    endpoint.add_to_policy(iam.PolicyStatement(principals=[iam.AnyPrincipal()], actions=["s3:GetObject"],
                                               resources=["arn:aws:s3:::acme-*/*"]))


@pytest.mark.parametrize("build", [_private_api, _efs_default_policy, _endpoint_policy],
                         ids=["private-api-by-vpc-endpoint", "efs-default-policy", "vpc-endpoint-policy"])
def test_a_resource_policy_pinned_to_the_network_or_an_endpoint_policy_is_not_open(build):
    assert [f for f in findings(build) if f[0] == "IamGuardrails-OpenResourcePolicy"] == []


def test_a_resource_policy_open_to_any_vpc_endpoint_is_still_open():
    def build(stack: Stack) -> None:
        topic = sns.Topic(stack, "Topic")
        topic.add_to_resource_policy(iam.PolicyStatement(principals=[iam.AnyPrincipal()], actions=["sns:Publish"],
                                                         resources=[topic.topic_arn],
                                                         conditions={"StringLike": {"aws:SourceVpce": "vpce-*"}}))

    assert [f[0] for f in findings(build)] == ["IamGuardrails-OpenResourcePolicy"]


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:SourceVpce": "${aws:SourceVpce}"}},  # a policy variable: the caller's own endpoint
    {"ForAllValues:StringEquals": {"aws:PrincipalAccount": "111111111111"}},  # true when the key is missing
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*"}},  # every principal of every account
    {"StringLike": {"aws:SourceAccount": "?*"}},
    {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},  # an EFS key, on a bucket
], ids=["policy-variable", "for-all-values", "arn-any-account", "account-pattern", "efs-key-elsewhere"])
def test_a_condition_that_pins_no_one_leaves_a_bucket_policy_open(condition):
    from aws_cdk import Fn

    def build(stack: Stack) -> None:
        bucket = s3.CfnBucket(stack, "Bucket")
        s3.CfnBucketPolicy(stack, "Policy", bucket=bucket.ref, policy_document={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": Fn.sub("${Bucket.Arn}/*"),
            "Condition": condition}]})

    assert [f[0] for f in findings(build)] == ["IamGuardrails-OpenResourcePolicy"]


@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/*"}},  # one account's roles
    {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-logs/*"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"}},
], ids=["roles-of-one-account", "one-bucket", "one-organisation"])
def test_a_wildcard_after_the_account_or_organisation_still_pins_the_caller(condition):
    def build(stack: Stack) -> None:
        topic = sns.Topic(stack, "Topic")
        topic.add_to_resource_policy(iam.PolicyStatement(principals=[iam.AnyPrincipal()], actions=["sns:Publish"],
                                                         resources=[topic.topic_arn], conditions=condition))

    assert findings(build) == []
