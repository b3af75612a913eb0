"""Workloads that cannot read each other, enforced by the bucket too: the tenant-isolation Deny
statements (ABAC on aws:PrincipalTag) refuse a role that was widened by hand. Decided by AccessModel."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Aws, CliCredentialsStackSynthesizer, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from constructs_iam import (
    IamGuardrails, PropsError, S3Access, S3Location, S3PrefixAccessRole, TenantIsolatedBucket, service_principal,
)
from constructs_iam.access import AccessModel

from .support import ENV, guardrail_findings, nag_findings, new_app

TLS = {"aws:SecureTransport": "true"}


def build(widen: bool = False, tenants: int = 2):
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    shared = TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    roles = {}
    for name in ["billing", "reporting", *[f"t{i}" for i in range(tenants - 2)]]:
        role = S3PrefixAccessRole(stack, name, assumed_by=service_principal("ecs-tasks.amazonaws.com"),
                                  location=S3Location(shared.bucket, f"services/{name}/"), access=S3Access.READ_WRITE,
                                  role_name=name)
        TenantIsolatedBucket.admit(role, f"services/{name}")
        roles[name] = role
    if widen:  # someone widens billing by hand, on purpose, past review
        roles["billing"].extend_policy([iam.PolicyStatement(actions=["s3:GetObject", "s3:ListBucket"],
                                                            resources=[shared.bucket.bucket_arn, shared.bucket.arn_for_objects("*")])],
                                       reason="A mistaken widening, reviewed and merged by accident")
    return app, stack, shared, roles


def bucket_statements(stack: Stack) -> list[dict]:
    (policy,) = Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy").values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_roles_are_tagged_with_their_prefix():
    _, stack, _, _ = build()
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Role", {
        "RoleName": "billing", "Tags": [{"Key": "TenantPrefix", "Value": "services/billing/"}]})


ISOLATION = ["TenantsOnlyInTheirOwnPrefix", "TenantsListOnlyTheirOwnPrefix", "TenantsChangeNothingOnTheBucket",
             "OthersReachNoObjectUnlessAdmin", "OthersListNothingUnlessAdmin", "OthersChangeNothingUnlessAdminOrDeployer",
             "OtherAccountsReachNothingUnlessAdmin"]
BUCKET = "arn:aws:s3:::acme-shared-data"
# what a principal could do to another tenant's data or to the bucket itself, by every S3 API family
OTHER_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
                        "s3:GetObjectAcl", "s3:PutObjectAcl", "s3:GetObjectTagging", "s3:PutObjectVersionTagging",
                        "s3:RestoreObject", "s3:GetObjectAttributes", "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts", "s3:ReplicateObject", "s3:ReplicateDelete"]
BUCKET_CHANGES = ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutReplicationConfiguration",
                  "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutEncryptionConfiguration",
                  "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutInventoryConfiguration",
                  "s3:DeleteBucket"]
LISTINGS = ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"]


def test_the_isolation_is_the_same_whatever_the_number_of_tenants():
    _, few, _, _ = build(tenants=2)
    _, many, _, _ = build(tenants=40)
    assert bucket_statements(few) == bucket_statements(many)
    sids = [s.get("Sid") for s in bucket_statements(few)]
    assert all(sid in sids for sid in ISOLATION)


def test_the_bucket_policy_records_the_tenant_tag_for_the_guardrail():
    _, stack, _, _ = build()
    (policy,) = Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy").values()
    assert policy["Metadata"]["constructs-iam"] == {"tenant_tag": "TenantPrefix"}


@pytest.fixture(scope="module")
def widened() -> AccessModel:
    """billing widened by hand to s3:* on the whole bucket, a stray untagged role with s3:* on '*',
    one with an empty tag, an administrator and the deploying role."""
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    admin = iam.Role(stack, "DataPlatform", assumed_by=iam.AccountRootPrincipal(), role_name="data-platform")
    deployer = iam.Role(stack, "Deployer", assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com"),
                        role_name="deployer")
    shared = TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data", admins=[admin],
                                  deployment_role_arn=deployer.role_arn)
    for name in ("billing", "reporting"):
        role = S3PrefixAccessRole(stack, name, assumed_by=service_principal("ecs-tasks.amazonaws.com"),
                                  location=S3Location(shared.bucket, f"services/{name}/"), access=S3Access.READ_WRITE,
                                  role_name=name)
        TenantIsolatedBucket.admit(role, f"services/{name}")
        if name == "billing":  # someone widens billing by hand, on purpose, past review
            role.extend_policy([iam.PolicyStatement(actions=["s3:*"], resources=[shared.bucket.bucket_arn,
                                                                                 shared.bucket.arn_for_objects("*")])],
                               reason="A mistaken widening, reviewed and merged by accident")
    everything = iam.PolicyStatement(actions=["s3:*"], resources=["*"])
    for name in ("stray", "empty-tag"):
        iam.Role(stack, name, assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"), role_name=name).add_to_policy(everything)
    for role in (admin, deployer):
        role.add_to_policy(everything)
    template = Template.from_stack(stack).to_json()
    for resource in template["Resources"].values():  # a tag set to '' (by hand, another tool, a session tag)
        if resource["Type"] == "AWS::IAM::Role" and resource["Properties"].get("RoleName") == "empty-tag":
            resource["Properties"]["Tags"] = [{"Key": "TenantPrefix", "Value": ""}]
    return AccessModel.from_template(template, account="222222222222", region="eu-west-1")


def decide(model: AccessModel, who: str, action: str, resource: str, **context: str):
    return model.evaluate(principal=f"arn:aws:iam::222222222222:role/{who}", action=action, resource=resource,
                          context={**TLS, **context})


@pytest.mark.parametrize("action", OTHER_OBJECT_ACTIONS)
def test_a_widened_tenant_reaches_no_other_tenants_object_by_any_api(widened, action):
    for key in ("services/reporting/r.csv", "r.csv", "services/billingx/r.csv"):
        decision = decide(widened, "billing", action, f"{BUCKET}/{key}")
        assert decision.allowed is False and "TenantsOnlyInTheirOwnPrefix" in decision.reason, (key, decision)


@pytest.mark.parametrize("action", ["s3:ListBucket", "s3:ListBucketVersions"])
def test_a_widened_tenant_lists_only_its_own_prefix_versions_included(widened, action):
    for prefix in ("services/reporting/", "services/", ""):
        decision = decide(widened, "billing", action, BUCKET, **{"s3:prefix": prefix})
        assert decision.allowed is False and "TenantsListOnlyTheirOwnPrefix" in decision.reason, prefix
    assert decide(widened, "billing", action, BUCKET).allowed is False  # no prefix: the whole bucket
    assert decide(widened, "billing", action, BUCKET, **{"s3:prefix": "services/billing/2026/"}).allowed is True


@pytest.mark.parametrize("action", ["s3:ListBucketMultipartUploads", *BUCKET_CHANGES])
def test_a_widened_tenant_cannot_list_uploads_or_change_the_bucket(widened, action):
    decision = decide(widened, "billing", action, BUCKET, **{"s3:prefix": "services/billing/"})
    assert decision.allowed is False and "TenantsChangeNothingOnTheBucket" in decision.reason, decision


def test_a_principal_of_another_account_tagged_as_a_tenant_reaches_nothing(widened):
    # another account sets its own roles' tags: given any Allow (a grant to that account), its role tagged
    # services/billing/ would otherwise be billing to the bucket
    other = {"aws:PrincipalAccount": "333333333333", "aws:PrincipalTag/TenantPrefix": "services/billing/"}
    for action, resource in [("s3:GetObject", f"{BUCKET}/services/billing/b.csv"), ("s3:PutObject", f"{BUCKET}/services/billing/b.csv"),
                             ("s3:ListBucket", BUCKET), ("s3:GetBucketPolicy", BUCKET)]:
        decision = decide(widened, "billing", action, resource, **other, **{"s3:prefix": "services/billing/"})
        assert decision.allowed is False and "OtherAccountsReachNothingUnlessAdmin" in decision.reason, (action, decision)


def test_a_tenant_still_reads_writes_and_lists_its_own_prefix(widened):
    for who in ("billing", "reporting"):
        own = f"{BUCKET}/services/{who}/2026/data.csv"
        assert decide(widened, who, "s3:GetObject", own).allowed is True
        assert decide(widened, who, "s3:PutObject", own).allowed is True
        assert decide(widened, who, "s3:ListBucket", BUCKET, **{"s3:prefix": f"services/{who}/"}).allowed is True


@pytest.mark.parametrize("who", ["stray", "empty-tag"])
def test_an_untagged_or_empty_tagged_principal_with_s3_star_reaches_no_object_and_no_listing(widened, who):
    for action in OTHER_OBJECT_ACTIONS:
        decision = decide(widened, who, action, f"{BUCKET}/services/billing/b.csv")
        assert decision.allowed is False and "OthersReachNoObjectUnlessAdmin" in decision.reason, (action, decision)
    for action in LISTINGS:
        decision = decide(widened, who, action, BUCKET, **{"s3:prefix": "services/billing/"})
        assert decision.allowed is False and "OthersListNothingUnlessAdmin" in decision.reason, (action, decision)
    for action in BUCKET_CHANGES:
        decision = decide(widened, who, action, BUCKET)
        assert decision.allowed is False and "OthersChangeNothingUnlessAdminOrDeployer" in decision.reason, action
    # the control: the same identity policy on a bucket without the isolation is allowed (the bucket refuses)
    assert decide(widened, who, "s3:GetObject", "arn:aws:s3:::another-bucket/k").allowed is True


def test_an_administrator_reads_lists_and_manages_the_whole_bucket(widened):
    assert decide(widened, "data-platform", "s3:GetObject", f"{BUCKET}/services/billing/b.csv").allowed is True
    for action in LISTINGS:
        assert decide(widened, "data-platform", action, BUCKET).allowed is True, action
    assert decide(widened, "data-platform", "s3:PutBucketPolicy", BUCKET).allowed is True


def test_the_deploying_role_manages_the_bucket_but_reads_and_lists_nothing(widened):
    for action in BUCKET_CHANGES:
        assert decide(widened, "deployer", action, BUCKET).allowed is True, action
    assert decide(widened, "deployer", "s3:GetObject", f"{BUCKET}/services/billing/b.csv").allowed is False
    assert decide(widened, "deployer", "s3:ListBucket", BUCKET).allowed is False


def test_by_default_the_synthesizers_cloudformation_execution_role_manages_the_bucket():
    _, stack, shared, _ = build()
    assert stack.resolve(shared.deployment_role_arn) == \
        "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-eu-west-1"
    (statement,) = [s for s in bucket_statements(stack) if s.get("Sid") == "OthersChangeNothingUnlessAdminOrDeployer"]
    assert statement["Condition"]["ArnNotEquals"] == {"aws:PrincipalArn": stack.resolve(shared.deployment_role_arn)}


def test_the_bucket_passes_every_check_but_the_two_the_caller_decides():
    app, stack, _, _ = build()
    # access logging needs a log bucket (server_access_logs_bucket) and replication a second region:
    # the caller's decisions (the app passes its log bucket and acknowledges replication)
    unexpected = [f for f in nag_findings(stack) if not f.startswith((
        "AwsSolutions-S1 ", "NIST.800.53.R5-S3BucketLoggingEnabled ", "NIST.800.53.R5-S3BucketReplicationEnabled "))]
    assert unexpected == []
    assert [f for f in guardrail_findings(app, plugin="IamGuardrails")] == []


@pytest.mark.parametrize("pattern_first", [True, False], ids=["pattern-then-role", "role-then-pattern"])
def test_admit_refuses_a_pattern_and_its_own_role_as_two_tenants(pattern_first):
    # one role, one TenantPrefix tag: admitting the pattern and then its role (or back) would retag it silently
    stack = Stack(App(), "S", env=ENV)
    shared = TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    tenant = S3PrefixAccessRole(stack, "billing", assumed_by=service_principal("ecs-tasks.amazonaws.com"),
                                location=S3Location(shared.bucket, "services/billing/"))
    first, second = (tenant, tenant.role) if pattern_first else (tenant.role, tenant)
    TenantIsolatedBucket.admit(first, "services/billing/")
    with pytest.raises(ValueError, match="holds the role already admitted as S/billing"):
        TenantIsolatedBucket.admit(second, "services/orders/")


@pytest.mark.parametrize(("prefix", "message"), [
    ("", "must not be empty"),
    ("a(b)/", "must be a valid tag value"),
])
def test_admit_refuses_prefixes_a_tag_cannot_hold(prefix, message):
    stack = Stack(App(), "S", env=ENV)
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    with pytest.raises(ValueError, match=message):
        TenantIsolatedBucket.admit(role, prefix)


def test_admit_refuses_a_prefix_that_nests_with_another_tenants():
    # the tag admits to <prefix>*: tenant 'teams/a/' would read every object of 'teams/a/b/'
    stack = Stack(App(), "S", env=ENV)
    roles = [iam.Role(stack, name, assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")) for name in "ABCD"]
    TenantIsolatedBucket.admit(roles[0], "teams/a/b/")
    TenantIsolatedBucket.admit(roles[1], "teams/a/b/")  # two roles of one tenant
    TenantIsolatedBucket.admit(roles[2], "teams/ab/")  # a sibling whose name starts the same
    with pytest.raises(ValueError, match="prefix 'teams/a/' overlaps the prefix 'teams/a/b/' of tenant S/A"):
        TenantIsolatedBucket.admit(roles[3], "teams/a")
    with pytest.raises(ValueError, match="prefix 'teams/ab/c/' overlaps the prefix 'teams/ab/'"):
        TenantIsolatedBucket.admit(roles[3], "teams/ab/c/")
    TenantIsolatedBucket.admit(iam.Role(Stack(App(), "T", env=ENV), "A", assumed_by=iam.AccountRootPrincipal()),
                               "teams/a/")  # another app


# the tag is the key: no policy of the app may let a principal set it (IamGuardrails-TenantTag) -----------------

def tag_findings(statement: iam.PolicyStatement | None = None, *, bucket: bool = True, trust: bool = False,
                 guardrails_of: bool = True, managed: str | None = None) -> list[tuple[str, str]]:
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    if bucket:
        shared = TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
        tenant = S3PrefixAccessRole(stack, "billing", assumed_by=service_principal("ecs-tasks.amazonaws.com"),
                                    location=S3Location(shared.bucket, "services/billing/"), role_name="billing")
        TenantIsolatedBucket.admit(tenant, "services/billing/")
    other = iam.Role(stack, "Automation", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com").with_session_tags()
                     if trust else iam.ServicePrincipal("lambda.amazonaws.com"))
    if statement is not None:
        other.add_to_policy(statement)
    if managed is not None:
        other.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name(managed))
    if guardrails_of:
        IamGuardrails.of(app)
    return [(rule, path) for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"]


ROLES = "arn:aws:iam::222222222222:role/*"


@pytest.mark.parametrize("statement", [
    iam.PolicyStatement(actions=["iam:TagRole"], resources=["arn:aws:iam::222222222222:role/billing"]),  # a tenant tagging itself
    iam.PolicyStatement(actions=["iam:UntagRole"], resources=[ROLES]),
    iam.PolicyStatement(actions=["iam:Tag*"], resources=[ROLES]),
    iam.PolicyStatement(actions=["iam:CreateRole"], resources=[ROLES]),
    iam.PolicyStatement(actions=["iam:TagUser"], resources=["arn:aws:iam::222222222222:user/*"]),
    iam.PolicyStatement(actions=["sts:TagSession"], resources=[ROLES]),
    iam.PolicyStatement(actions=["sts:TagSession"], resources=[ROLES],  # IAM tag keys are case-insensitive
                        conditions={"ForAllValues:StringEquals": {"aws:TagKeys": ["Team", "tenantprefix"]}}),
    iam.PolicyStatement(actions=["sts:TagSession"], resources=[ROLES],
                        conditions={"ForAllValues:StringLike": {"aws:TagKeys": ["Tenant*"]}}),
    iam.PolicyStatement(actions=["sts:TagSession"], resources=[ROLES],  # ForAnyValue limits nothing
                        conditions={"ForAnyValue:StringEquals": {"aws:TagKeys": ["Team"]}}),
    iam.PolicyStatement(actions=["iam:TagRole"], resources=[ROLES],  # the variable's value is the caller's choice
                        conditions={"ForAllValues:StringEquals": {"aws:TagKeys": ["Team", "${aws:PrincipalTag/TagKey}"]}}),
    # the rule looks only at statements that can name iam or sts: these must still be found
    iam.PolicyStatement(actions=["*"], resources=[ROLES]),
    iam.PolicyStatement(actions=["IAM:TagRole"], resources=[ROLES]),  # IAM compares actions without case
    iam.PolicyStatement(actions=["iam:*Role"], resources=[ROLES]),
    iam.PolicyStatement(not_actions=["s3:*"], resources=[ROLES]),
], ids=["tag-own-role", "untag-role", "iam-tag-star", "create-role", "tag-user", "tag-session", "tag-key-case",
        "tag-key-pattern", "for-any-value", "policy-variable", "every-action", "upper-case-service", "service-pattern",
        "not-action"])
def test_a_policy_that_lets_a_principal_set_the_tenant_tag_fails_synth(statement):
    assert tag_findings(statement) == [("IamGuardrails-TenantTag", "Shared/Automation/DefaultPolicy/Resource")]


def test_the_tenant_tag_rule_holds_in_an_app_that_never_calls_iam_guardrails_of():
    statement = iam.PolicyStatement(actions=["iam:TagRole"], resources=["arn:aws:iam::222222222222:role/billing"])
    assert tag_findings(statement, guardrails_of=False) == [("IamGuardrails-TenantTag", "Shared/Automation/DefaultPolicy/Resource")]


@pytest.mark.parametrize("name", [
    "IAMFullAccess", "AdministratorAccess",
    "PowerUserAccess",  # NotAction iam:*: sts:TagSession is left in
    "iamfullaccess",  # IAM policy names ignore case
    "AWSPolicyPublishedAfterTheCatalog",  # not in the catalog: what it allows cannot be read, so it fails closed
])
def test_an_attached_aws_managed_policy_is_judged_by_its_content(name):
    assert tag_findings(managed=name, guardrails_of=False) == [("IamGuardrails-TenantTag", "Shared/Automation/Resource")]


@pytest.mark.parametrize("name", ["ReadOnlyAccess", "service-role/AWSLambdaBasicExecutionRole", "AWSSupportAccess"])
def test_an_aws_managed_policy_that_cannot_tag_passes(name):
    assert tag_findings(managed=name) == []


def test_a_permission_set_with_an_aws_managed_policy_that_can_tag_fails_synth():
    from aws_cdk import aws_sso as sso

    stack = Stack(new_app(), "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    sso.CfnPermissionSet(stack, "Operators", instance_arn="arn:aws:sso:::instance/ssoins-1234567890abcdef", name="Operators",
                         managed_policies=["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess"])
    findings = [(rule, path, message) for rule, path, message in guardrail_findings(stack.node.root)
                if rule == "IamGuardrails-TenantTag"]
    assert [(rule, path) for rule, path, _ in findings] == [("IamGuardrails-TenantTag", "Shared/Operators")]
    assert "AWS managed policy PowerUserAccess allows sts:TagSession" in findings[0][2]


def attached_arn_findings(arn_of: object) -> list[tuple[str, str]]:
    """TenantTag findings of an app whose role 'Worker' attaches the managed policy ``arn_of(app, stack)`` names."""
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    worker = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    worker.add_managed_policy(iam.ManagedPolicy.from_managed_policy_arn(stack, "Attached", arn_of(app, stack)))
    return [(rule, path) for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"]


def _export(app: App, stack: Stack) -> str:
    from aws_cdk import CfnOutput, Fn

    common = Stack(app, "Common", env=ENV)
    CfnOutput(common, "OpsArn", value=f"arn:{Aws.PARTITION}:iam::aws:policy/AdministratorAccess", export_name="OpsPolicyArn")
    return Fn.import_value("OpsPolicyArn")


@pytest.mark.parametrize("arn_of", [
    lambda app, stack: __import__("aws_cdk").CfnParameter(
        stack, "OpsPolicyArn", default="arn:aws:iam::aws:policy/ReadOnlyAccess").value_as_string,
    lambda app, stack: __import__("aws_cdk").CfnMapping(stack, "Policies", mapping={
        "aws": {"ops": "arn:aws:iam::aws:policy/IAMFullAccess"}, "aws-cn": {"ops": "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"},
    }).find_in_map(Aws.PARTITION, "ops"),
    _export,
    lambda app, stack: __import__("aws_cdk").aws_ssm.StringParameter.value_for_string_parameter(stack, "/org/policies/ops"),
    lambda app, stack: f"arn:{Aws.PARTITION}:iam::aws:policy/{__import__('aws_cdk').CfnParameter(stack, 'Name').value_as_string}",
], ids=["parameter", "mapping", "export-in-the-app", "ssm-parameter", "name-from-a-parameter"])
def test_an_attached_policy_arn_is_resolved_in_the_app_or_fails_closed(arn_of):
    assert attached_arn_findings(arn_of) == [("IamGuardrails-TenantTag", "Shared/Worker/Resource")]


def test_a_managed_policy_of_the_app_attached_across_stacks_and_to_a_nested_stack_passes():
    from aws_cdk import NestedStack

    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    common = Stack(app, "Common", env=ENV)
    policy = iam.ManagedPolicy(common, "Reads", statements=[iam.PolicyStatement(actions=["s3:GetObject"],
                                                                                 resources=["arn:aws:s3:::acme-reports/*"])])
    iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), managed_policies=[policy])
    nested = NestedStack(common, "Workers")
    iam.Role(nested, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), managed_policies=[policy])
    assert [(rule, path) for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"] == []


def sam_function_findings(policies: object) -> list[tuple[str, str]]:
    from aws_cdk import aws_sam as sam

    stack = Stack(new_app(), "Shared", env=ENV)
    stack.add_transform("AWS::Serverless-2016-10-31")
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    function = sam.CfnFunction(stack, "Fn", runtime="python3.13", handler="index.handler",
                               inline_code="def handler(e, c): pass")
    function.add_property_override("Policies", policies)  # as written: the L1's typed structs would rename the keys
    return [(rule, path) for rule, path, _ in guardrail_findings(stack.node.root) if rule == "IamGuardrails-TenantTag"]


@pytest.mark.parametrize("policies", [
    ["IAMFullAccess"],
    "arn:aws:iam::aws:policy/PowerUserAccess",
    [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*"}]}],
    [{"S3ReadPolicy": {"BucketName": "acme-reports"}}],  # a SAM policy template: expanded only by SAM, not readable
], ids=["managed-name", "managed-arn", "document", "sam-policy-template"])
def test_a_sam_function_whose_policies_may_tag_fails_synth(policies):
    assert sam_function_findings(policies) == [("IamGuardrails-TenantTag", "Shared/Fn")]


def test_a_sam_function_whose_policies_cannot_tag_passes():
    assert sam_function_findings(["AWSLambdaBasicExecutionRole", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-reports/*"}]}]) == []


SESSION_TAGS_FROM_THE_ACCOUNT = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}


def sam_role_findings(tmp_path, function: dict, globals_section: dict | None = None) -> list[tuple[str, str, str]]:
    """TenantTag findings of a SAM function's properties (and the template's SAM Globals), as CfnInclude reads them."""
    from aws_cdk import cloudformation_include as cfn_inc

    body = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {"Type": "AWS::Serverless::Function",
            "Properties": {"Runtime": "python3.13", "Handler": "index.handler", "InlineCode": "x", **function}}}}
    if globals_section is not None:
        body["Globals"] = globals_section
    (tmp_path / "sam.json").write_text(json.dumps(body))
    stack = Stack(new_app(), "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    cfn_inc.CfnInclude(stack, "Sam", template_file=str(tmp_path / "sam.json"))
    return [f for f in guardrail_findings(stack.node.root) if f[0] == "IamGuardrails-TenantTag"]


@pytest.mark.parametrize(("function", "globals_section", "message"), [
    ({"AssumeRolePolicyDocument": SESSION_TAGS_FROM_THE_ACCOUNT}, None, "allows sts:TagSession"),
    ({"Tags": {"TenantPrefix": "services/bill"}}, None, "is not a tenant prefix"),
    ({}, {"Function": {"Tags": {"TenantPrefix": "services/bill"}}}, "is not a tenant prefix"),
    ({}, {"Function": {"AssumeRolePolicyDocument": SESSION_TAGS_FROM_THE_ACCOUNT}}, "allows sts:TagSession"),
], ids=["trust", "tags", "globals-tags", "globals-trust"])
def test_the_role_sam_creates_is_read_from_the_functions_trust_and_tags(tmp_path, function, globals_section, message):
    findings = sam_role_findings(tmp_path, function, globals_section)
    assert [rule for rule, _, _ in findings] == ["IamGuardrails-TenantTag"]
    assert message in findings[0][2]


def test_a_sam_function_with_its_own_role_is_read_through_that_role(tmp_path):
    # with Role given, SAM creates no role: the function's Tags and trust reach no principal
    assert sam_role_findings(tmp_path, {"Role": "arn:aws:iam::111111111111:role/existing",
                                        "Tags": {"TenantPrefix": "services/bill"}}) == []


@pytest.mark.parametrize("tagged", ["stack", "nested stack resource"])
def test_a_tenant_tag_on_a_stack_reaches_its_roles_and_fails_synth(tagged):
    from aws_cdk import NestedStack, Tags

    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    if tagged == "stack":
        ops = Stack(app, "Ops", env=ENV, tags={"TenantPrefix": "services/"})
        iam.Role(ops, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    else:
        nested = NestedStack(stack, "Workers")
        iam.Role(nested, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        Tags.of(stack).add("TenantPrefix", "services/", include_resource_types=["AWS::CloudFormation::Stack"])
    findings = [message for rule, _, message in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"]
    assert findings and all("CloudFormation copies" in message for message in findings)


def test_a_tag_key_decided_at_deploy_fails_synth():
    from aws_cdk import CfnParameter, Tags

    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    worker = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    Tags.of(worker).add(CfnParameter(stack, "TenantTagKey", default="TenantPrefix").value_as_string, "services/")
    assert [(rule, path) for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"] \
        == [("IamGuardrails-TenantTag", "Shared/Worker/Resource")]


@pytest.mark.parametrize("where", ["document", "statement"])
def test_a_policy_written_by_a_transform_at_deploy_is_read_as_allowing_everything(where):
    include = {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://acme-snippets/ops.json"}}}
    document = include if where == "document" else {"Version": "2012-10-17", "Statement": [include]}
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    worker = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    worker.node.default_child.add_property_override("Policies", [{"PolicyName": "shared", "PolicyDocument": document}])
    assert [(rule, path) for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"] \
        == [("IamGuardrails-TenantTag", "Shared/Worker/Resource")]


TAGGING_ROLE_TEMPLATE = {"Resources": {"Ops": {"Type": "AWS::IAM::Role", "Properties": {
    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
    "Policies": [{"PolicyName": "tag", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*"}]}}]}}}}


@pytest.mark.parametrize(("deploys", "message"), [
    ("stackset-inline", "allows iam:TagRole"),  # an inline TemplateBody is read like any template
    ("stackset-yaml", "a StackSet whose template is not in the cloud assembly"),
    ("nested-external", "a nested stack whose template is not in the cloud assembly"),
    ("sam-application", "a SAM application"),
])
def test_templates_the_app_deploys_are_read_or_fail_closed(deploys, message):
    from aws_cdk import CfnResource, CfnStack, CfnStackSet

    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    if deploys.startswith("stackset"):
        body = json.dumps(TAGGING_ROLE_TEMPLATE) if deploys == "stackset-inline" else "Resources:\n  Ops: {}\n"
        CfnStackSet(stack, "OrgRoles", stack_set_name="org-roles", permission_model="SELF_MANAGED", template_body=body)
    elif deploys == "nested-external":
        CfnStack(stack, "Roles", template_url="https://acme-templates.s3.amazonaws.com/ops-roles.json")
    else:
        stack.add_transform("AWS::Serverless-2016-10-31")
        CfnResource(stack, "Tools", type="AWS::Serverless::Application", properties={"Location": {
            "ApplicationId": "arn:aws:serverlessrepo:us-east-1:123456789012:applications/ops-tools", "SemanticVersion": "1.0.0"}})
    findings = [message for rule, _, message in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"]
    assert len(findings) == 1 and message in findings[0]


def app_with_tenant_bucket() -> tuple[App, Stack]:
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    return app, stack


def tenant_tag_messages(app: App) -> list[str]:
    return [message for rule, _, message in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"]


def test_a_customer_managed_policy_named_by_name_passes():
    app, stack = app_with_tenant_bucket()
    worker = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    worker.add_managed_policy(iam.ManagedPolicy.from_managed_policy_name(stack, "Team", "team-readonly"))
    assert tenant_tag_messages(app) == []


@pytest.mark.parametrize("document", [
    lambda stack: __import__("aws_cdk").aws_ssm.StringParameter.value_for_string_parameter(stack, "/platform/policies/ops"),
    lambda stack: __import__("aws_cdk").CfnParameter(stack, "OpsPolicyDocument").value_as_string,
    lambda stack: "{{resolve:ssm:/platform/policies/ops}}",
], ids=["ssm-parameter", "parameter", "dynamic-reference"])
def test_a_policy_document_decided_at_deploy_fails_closed(document):
    app, stack = app_with_tenant_bucket()
    ops = iam.Role(stack, "Ops", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.CfnRolePolicy(stack, "OpsPolicy", policy_name="ops", role_name=ops.role_name, policy_document=document(stack))
    assert len(tenant_tag_messages(app)) == 1


def test_a_trust_deny_closes_session_tagging_only_for_every_principal():
    def trust(deny_principal: object) -> list[str]:
        app, stack = app_with_tenant_bucket()
        iam.CfnRole(stack, "Partner", assume_role_policy_document={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
             "Action": ["sts:AssumeRole", "sts:TagSession"]},
            {"Effect": "Deny", "Principal": deny_principal, "Action": "sts:TagSession",
             "Condition": {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["TenantPrefix"]}}}]})
        return tenant_tag_messages(app)

    assert len(trust({"AWS": "arn:aws:iam::333333333333:root"})) == 1  # denies another account: closes nothing
    assert trust({"AWS": "*"}) == []


def test_the_rule_holds_when_an_aspect_replaces_the_bucket_policys_metadata():
    import jsii
    from aws_cdk import Aspects, CfnResource, IAspect

    @jsii.implements(IAspect)
    class Suppressions:
        def visit(self, node):
            if isinstance(node, CfnResource) and node.cfn_resource_type == "AWS::S3::BucketPolicy":
                node.cfn_options.metadata = {"cfn_nag": {"rules_to_suppress": [{"id": "F16", "reason": "Deny-only"}]}}

    app, stack = app_with_tenant_bucket()
    iam.Role(stack, "Tagger", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com")).add_to_policy(
        iam.PolicyStatement(actions=["iam:TagRole"], resources=["*"]))
    Aspects.of(app).add(Suppressions())
    assert len(tenant_tag_messages(app)) == 1


@pytest.mark.parametrize(("resource", "message"), [
    (("AWS::CloudFormation::StackSet", {"StackSetName": "org-roles", "PermissionModel": "SELF_MANAGED",
                                        "TemplateURL": "https://acme.s3.amazonaws.com/roles.json",
                                        "Tags": [{"Key": "TenantPrefix", "Value": "services/"}]}),
     "the StackSet is tagged TenantPrefix=services/"),
    (("AWS::ServiceCatalog::CloudFormationProvisionedProduct", {"ProductName": "roles", "ProvisioningArtifactName": "v1"}),
     "a Service Catalog product"),
    (("Acme::Platform::TenantRole::MODULE", {}), "a module or a registry type"),
    (("AWS::SSO::InstanceAccessControlAttributeConfiguration", {
        "InstanceArn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
        "AccessControlAttributes": [{"Key": "Team", "Value": {"Source": ["${path:enterprise.department}"]}}]}),
     "Identity Center attributes for access control"),  # whatever keys it lists: SAML may send AccessControl:<key>
    (("AWS::Cognito::IdentityPoolPrincipalTag", {"IdentityPoolId": "eu-west-1:1234", "IdentityProviderName": "idp",
                                                 "PrincipalTags": {"TenantPrefix": "custom:tenant"}}),
     "maps TenantPrefix into every session's tags"),
], ids=["stackset-tags", "service-catalog", "module", "identity-center-attributes", "cognito-principal-tags"])
def test_what_sets_tags_or_deploys_unread_templates_fails_closed(resource, message):
    from aws_cdk import CfnResource

    app, stack = app_with_tenant_bucket()
    CfnResource(stack, "Thing", type=resource[0], properties=resource[1])
    messages = tenant_tag_messages(app)
    assert any(message in m for m in messages), messages


def test_a_template_macro_fails_closed():
    app, stack = app_with_tenant_bucket()
    stack.add_transform("AcmeRoleFactory")
    assert any("the template transform AcmeRoleFactory" in m for m in tenant_tag_messages(app))


def test_an_arn_from_a_mappings_default_value_is_read():
    from aws_cdk import CfnMapping, Fn

    app, stack = app_with_tenant_bucket()
    stack.add_transform("AWS::LanguageExtensions")
    CfnMapping(stack, "Policies", mapping={"aws": {"ops": "arn:aws:iam::aws:policy/ReadOnlyAccess"}})
    worker = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    arn = Fn.find_in_map("Policies", "aws-cn", "ops", default_value="arn:aws:iam::aws:policy/IAMFullAccess")
    worker.add_managed_policy(iam.ManagedPolicy.from_managed_policy_arn(stack, "P", arn))
    assert any("AWS managed policy IAMFullAccess" in m for m in tenant_tag_messages(app))


@pytest.mark.parametrize("condition", [
    {"Null": {"aws:TagKeys": "true"}},  # no tags at all
    {"ForAllValues:StringNotEqualsIgnoreCase": {"aws:TagKeys": ["TenantPrefix"]}},
])
def test_conditions_that_keep_the_tenant_tag_out_pass(condition):
    assert tag_findings(iam.PolicyStatement(actions=["iam:CreateRole", "iam:TagRole"], resources=[ROLES],
                                            conditions=condition)) == []


def test_a_nested_stack_template_in_yaml_is_unread_not_a_crash(tmp_path):
    from constructs_iam.guardrails.templates import Assembly

    (tmp_path / "roles.yaml").write_text("Resources:\n  Ops:\n    Type: AWS::IAM::Role\n")
    (tmp_path / "Parent.template.json").write_text(json.dumps({"Resources": {"Roles": {
        "Type": "AWS::CloudFormation::Stack", "Metadata": {"aws:asset:path": "roles.yaml"},
        "Properties": {"TemplateURL": "https://example.com/roles.yaml"}}}}))
    assembly = Assembly.load([str(tmp_path / "Parent.template.json")])
    assert [(logical_id, what) for _, logical_id, what in assembly.unread] == [
        ("Roles", "a nested stack whose template is not JSON")]


def test_the_aws_managed_policy_catalog_is_what_the_pinned_moto_holds():
    from tools import aws_managed_tagging

    assert aws_managed_tagging.main(["--check"]) == 0


def test_a_trust_policy_that_accepts_session_tags_fails_synth():
    assert tag_findings(trust=True) == [("IamGuardrails-TenantTag", "Shared/Automation/Resource")]


@pytest.mark.parametrize("action", [
    {"Fn::Join": ["", ["iam:", "TagRole"]]},
    [{"Fn::Sub": "iam:TagRole"}],
    {"Ref": "TaggingAction"},
    {"Fn::Split": [",", "s3:GetObject,iam:TagRole"]},
], ids=["join", "sub", "parameter", "split"])
def test_an_action_the_check_cannot_read_fails_closed(action):
    from aws_cdk import CfnParameter

    stack = Stack(new_app(), "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    CfnParameter(stack, "TaggingAction", default="iam:TagRole")
    role = iam.Role(stack, "Automation", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.CfnPolicy(stack, "Tagging", policy_name="tagging", roles=[role.role_name], policy_document={
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
    assert [(rule, path) for rule, path, _ in guardrail_findings(stack.node.root) if rule == "IamGuardrails-TenantTag"] \
        == [("IamGuardrails-TenantTag", "Shared/Tagging")]


def test_a_deny_the_check_cannot_read_does_not_close_a_tagging_allow():
    stack = Stack(new_app(), "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    role = iam.Role(stack, "Automation", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.CfnPolicy(stack, "Tagging", policy_name="tagging", roles=[role.role_name], policy_document={
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*"},
            {"Effect": "Deny", "Action": {"Fn::Join": ["", ["iam:", "TagRole"]]}, "Resource": "*",
             "Condition": {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["TenantPrefix"]}}}]})
    assert [(rule, path) for rule, path, _ in guardrail_findings(stack.node.root) if rule == "IamGuardrails-TenantTag"] \
        == [("IamGuardrails-TenantTag", "Shared/Tagging")]


def test_a_role_whose_inline_policy_list_is_wrapped_in_fn_if_is_read_as_both_lists():
    from aws_cdk import CfnCondition, Fn

    stack = Stack(new_app(), "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    CfnCondition(stack, "Always", expression=Fn.condition_equals("a", "a"))
    tagging = [{"PolicyName": "tagging", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*"}]}}]
    role = iam.Role(stack, "Wrapped", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    role.node.default_child.add_property_override("Policies", {"Fn::If": ["Always", tagging, []]})
    IamGuardrails.of(stack.node.root)
    assert [(rule, path) for rule, path, _ in guardrail_findings(stack.node.root) if rule == "IamGuardrails-TenantTag"] \
        == [("IamGuardrails-TenantTag", "Shared/Wrapped/Resource")]


def test_a_permission_set_that_lets_its_roles_tag_fails_synth():
    from aws_cdk import aws_sso as sso

    stack = Stack(new_app(), "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    sso.CfnPermissionSet(stack, "Operators", instance_arn="arn:aws:sso:::instance/ssoins-1234567890abcdef", name="Operators",
                         inline_policy={"Version": "2012-10-17",
                                        "Statement": [{"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*"}]})
    IamGuardrails.of(stack.node.root)
    assert [(rule, path) for rule, path, _ in guardrail_findings(stack.node.root) if rule == "IamGuardrails-TenantTag"] \
        == [("IamGuardrails-TenantTag", "Shared/Operators")]


def test_a_tenant_tag_set_by_hand_must_be_a_prefix_that_nests_with_no_other():
    from aws_cdk import Tags

    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    for name, value in [("Billing", "services/billing/"), ("Loose", "services/bill"), ("Outer", "services/"),
                        ("Untagged", "")]:
        Tags.of(iam.Role(stack, name, assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))).add("TenantPrefix", value)
    IamGuardrails.of(app)
    findings = {path: message for rule, path, message in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"}
    assert sorted(findings) == ["Shared/Billing/Resource", "Shared/Loose/Resource"]
    assert "is not a tenant prefix" in findings["Shared/Loose/Resource"]
    assert "tenant prefix services/billing/ lies inside tenant prefix services/" in findings["Shared/Billing/Resource"]


@pytest.mark.parametrize("admitted", ["pattern", "pattern's role", "aws_iam.Role"])
def test_a_tag_set_by_hand_after_admit_that_moves_the_role_fails_synth(admitted):
    from aws_cdk import Tags

    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    shared = TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    pattern = S3PrefixAccessRole(stack, "billing", assumed_by=service_principal("ecs-tasks.amazonaws.com"),
                                 location=S3Location(shared.bucket, "services/billing/"), role_name="billing")
    role = iam.Role(stack, "Plain", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")) \
        if admitted == "aws_iam.Role" else pattern.role
    TenantIsolatedBucket.admit({"pattern": pattern}.get(admitted, role), "services/billing/")
    Tags.of(role).add("TenantPrefix", "services/payroll/")  # another tenant's prefix
    findings = [(path, message) for rule, path, message in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"]
    assert [path for path, _ in findings] == [role.node.default_child.node.path]
    assert "admitted with tenant prefix services/billing/ (TenantIsolatedBucket.admit) but its tenant tag is " \
           "services/payroll/" in findings[0][1]


def test_tagging_with_other_keys_only_passes():
    limited = iam.PolicyStatement(actions=["sts:TagSession", "iam:TagRole"], resources=[ROLES],
                                  conditions={"ForAllValues:StringEquals": {"aws:TagKeys": ["Team", "CostCenter"]}})
    assert tag_findings(limited) == []


def test_eks_pod_identity_passes_once_its_trust_lists_the_session_tag_keys_eks_sets():
    keys = ["eks-cluster-arn", "eks-cluster-name", "kubernetes-namespace", "kubernetes-service-account",
            "kubernetes-pod-name", "kubernetes-pod-uid"]
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    role = iam.Role(stack, "Pod", assumed_by=iam.ServicePrincipal("pods.eks.amazonaws.com"))
    role.assume_role_policy.add_statements(iam.PolicyStatement(
        actions=["sts:TagSession"], principals=[iam.ServicePrincipal("pods.eks.amazonaws.com")],
        conditions={"ForAllValues:StringEquals": {"aws:TagKeys": keys}}))
    assert guardrail_findings(app) == []


def test_without_a_tenant_isolated_bucket_the_rule_has_nothing_to_protect():
    assert tag_findings(iam.PolicyStatement(actions=["iam:TagRole"], resources=[ROLES]), bucket=False) == []


@pytest.mark.parametrize(("props", "message"), [
    ({"admins": ["arn:aws:iam::222222222222:role/admin"]}, "admins 'arn:aws:iam::222222222222:role/admin' must be aws_iam.IRole"),
    ({"deployment_role_arn": "deployer"}, "deployment_role_arn 'deployer' must be the ARN of an IAM role"),
])
def test_admins_and_the_deployment_role_are_checked(props, message):
    with pytest.raises(PropsError, match=message):
        TenantIsolatedBucket(Stack(App(), "S", env=ENV), "Shared", **props)


def test_admins_and_the_deployment_role_name_one_principal_not_a_pattern():
    # ArnNotEquals treats '*' and '?' as wildcards: role/* would exempt every role of the account
    stack = Stack(App(), "S", env=ENV)
    with pytest.raises(PropsError, match=r"admins 'arn:aws:iam::222222222222:role/\*' must name one principal"):
        TenantIsolatedBucket(stack, "Shared", admins=[iam.Role.from_role_arn(stack, "Any", "arn:aws:iam::222222222222:role/*")])
    with pytest.raises(PropsError, match=r"deployment_role_arn 'arn:aws:iam::222222222222:role/cdk-\?' must name one role"):
        TenantIsolatedBucket(stack, "Other", deployment_role_arn="arn:aws:iam::222222222222:role/cdk-?")
    with pytest.raises(PropsError, match="deployment_role_arn .* must name one role"):  # a token does not hide it
        TenantIsolatedBucket(stack, "Third", deployment_role_arn=f"arn:{Aws.PARTITION}:iam::222222222222:role/*")


def test_a_synthesizer_without_an_execution_role_needs_the_deployment_role_named():
    stack = Stack(App(), "S", env=ENV, synthesizer=CliCredentialsStackSynthesizer())
    with pytest.raises(PropsError, match="deployment_role_arn None is required with a stack synthesizer that has no"):
        TenantIsolatedBucket(stack, "Shared")
    named = TenantIsolatedBucket(stack, "Named", deployment_role_arn="arn:aws:iam::222222222222:role/deployer")
    assert named.deployment_role_arn == "arn:aws:iam::222222222222:role/deployer"


def test_a_default_synthesizer_built_in_python_needs_the_deployment_role_named():
    # CDK binds a copy of a reusable synthesizer; from Python its execution role reads as unbound (a jsii error)
    from aws_cdk import DefaultStackSynthesizer

    stack = Stack(App(), "S", env=ENV, synthesizer=DefaultStackSynthesizer(qualifier="acme1"))
    with pytest.raises(PropsError, match="deployment_role_arn None is required with a DefaultStackSynthesizer created in Python"):
        TenantIsolatedBucket(stack, "Shared")
    TenantIsolatedBucket(stack, "Named", deployment_role_arn="arn:aws:iam::222222222222:role/cdk-acme1-cfn-exec-role-222222222222-eu-west-1")


def test_in_a_nested_stack_the_parents_execution_role_manages_the_bucket():
    from aws_cdk import NestedStack

    parent = Stack(new_app(), "Parent", env=ENV)
    shared = TenantIsolatedBucket(NestedStack(parent, "Data"), "Shared")
    assert parent.resolve(shared.deployment_role_arn) == \
        "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-eu-west-1"


def _tag_policy_findings(operator: str) -> list[tuple[str, str]]:
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    iam.ManagedPolicy(stack, "Tagger", document=iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": [
        {"Sid": "TagTeamRoles", "Effect": "Allow", "Action": ["iam:TagRole", "iam:CreateRole"], "Resource": ROLES},
        {"Sid": "NeverTheTenantTag", "Effect": "Deny", "Action": ["iam:TagRole", "iam:CreateRole"], "Resource": "*",
         "Condition": {operator: {"aws:TagKeys": ["TenantPrefix"]}}}]}))
    return [(rule, path) for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"]


def test_a_tagging_allow_closed_by_a_deny_of_the_tenant_key_in_the_same_policy_passes():
    assert _tag_policy_findings("ForAnyValue:StringEqualsIgnoreCase") == []


def test_a_case_sensitive_deny_of_the_tenant_key_does_not_close_it():  # 'tenantprefix' is the same IAM tag
    assert _tag_policy_findings("ForAnyValue:StringEquals") == [("IamGuardrails-TenantTag", "Shared/Tagger/Resource")]


# ------------------------------------------------------- third look: what AWS deploys, other accounts


def test_secrets_managers_own_rotation_passes_hosted_and_from_the_serverless_application_repository():
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_secretsmanager as sm

    app, stack = app_with_tenant_bucket()
    sm.Secret(stack, "Hosted").add_rotation_schedule("Rotation", hosted_rotation=sm.HostedRotation.mysql_single_user())
    vpc = ec2.Vpc(stack, "Vpc", nat_gateways=0)
    database = ec2.Connections(security_groups=[ec2.SecurityGroup(stack, "Db", vpc=vpc)], default_port=ec2.Port.tcp(3306))
    sm.SecretRotation(stack, "FromTheRepository", application=sm.SecretRotationApplication.MYSQL_ROTATION_SINGLE_USER,
                      secret=sm.Secret(stack, "Database"), target=database, vpc=vpc)
    assert tenant_tag_messages(app) == []


def test_a_template_level_finding_names_its_stack_so_cdk_can_acknowledge_it_there():
    # constructs_iam.acknowledge refuses whole stacks; CDK's own API on the stack is the way for a macro
    from aws_cdk import Acknowledgment, Validations

    app, stack = app_with_tenant_bucket()
    stack.add_transform("AcmeRoleFactory")
    Validations.of(stack).acknowledge(Acknowledgment(id="IamGuardrails::IamGuardrails-TenantTag",
                                                     reason="AcmeRoleFactory is the platform's reviewed macro."))
    assert tenant_tag_messages(app) == []


def test_principals_of_another_account_cannot_reach_the_bucket_and_pass():
    from aws_cdk import Environment

    app, _ = app_with_tenant_bucket()
    identity = Stack(app, "Identity", env=Environment(account="333333333333", region="eu-west-1"))
    iam.Role(identity, "BreakGlass", assumed_by=iam.AccountPrincipal("333333333333"),
             managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess")])
    same = Stack(app, "SameAccount", env=ENV)
    iam.Role(same, "Admin", assumed_by=iam.AccountPrincipal(ENV.account),
             managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess")])
    assert [path for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"] \
        == ["SameAccount/Admin/Resource"]


TRANSFORMED = {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://acme-snippets/ops.json"}}}


@pytest.mark.parametrize("override", [
    ("Policies", [TRANSFORMED]), ("Policies", TRANSFORMED), ("Tags", [TRANSFORMED]), ("Tags", TRANSFORMED),
], ids=["policy-item", "policy-list", "tag-item", "tag-list"])
def test_a_role_property_written_by_a_transform_fails_closed(override):
    app, stack = app_with_tenant_bucket()
    role = iam.Role(stack, "Worker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.node.default_child.add_property_override(*override)
    assert [path for rule, path, _ in guardrail_findings(app) if rule == "IamGuardrails-TenantTag"] \
        == ["Shared/Worker/Resource"]


def test_a_service_catalog_product_fails_closed():
    from aws_cdk import CfnResource

    app, stack = app_with_tenant_bucket()
    CfnResource(stack, "Roles", type="AWS::ServiceCatalog::CloudFormationProduct", properties={
        "Name": "roles", "Owner": "platform",
        "ProvisioningArtifactParameters": [{"Info": {"LoadTemplateFromURL": "https://acme.s3.amazonaws.com/roles.json"}}]})
    assert any("a Service Catalog product" in m for m in tenant_tag_messages(app))


@pytest.mark.parametrize("application_id", [
    {"Fn::FindInMap": ["RotationApps", "no-such-partition", "id",
                       {"DefaultValue": "arn:aws:serverlessrepo:us-east-1:666666666666:applications/Tagger"}]},
    "arn:aws:serverlessrepo:us-east-1:666666666666:applications/Tagger-x:serverlessrepo:a:297356227824:applications/"
    "SecretsManagerRotation",
], ids=["default-value", "look-alike-id"])
def test_only_aws_published_rotation_applications_pass(application_id):
    from aws_cdk import CfnMapping, CfnResource

    app, stack = app_with_tenant_bucket()
    stack.add_transform("AWS::LanguageExtensions")
    stack.add_transform("AWS::Serverless-2016-10-31")
    CfnMapping(stack, "RotationApps", mapping={"aws": {
        "id": "arn:aws:serverlessrepo:us-east-1:297356227824:applications/SecretsManagerRDSPostgreSQLRotationSingleUser"}})
    CfnResource(stack, "Rotation", type="AWS::Serverless::Application", properties={
        "Location": {"ApplicationId": application_id, "SemanticVersion": "1.0.0"}})
    assert any("a SAM application" in m for m in tenant_tag_messages(app))
