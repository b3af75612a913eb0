"""Intent: what each role and person of the sample app can and cannot do, decided by AccessModel.

Each test names the security property it protects; each pattern has at least five requests that
must be allowed and five that must be refused. One synthesis for the module.
"""

from __future__ import annotations

import pytest

from constructs_iam.access import AccessModel
from stacks import AppConfig, build_stacks

from .support import CONTEXT, new_app

BUCKET = "arn:aws:s3:::constructsiam-workload-databuckete3889a50"
DEV_ROLE = "arn:aws:iam::222222222222:role/DeveloperReadOnly"
TLS = {"aws:SecureTransport": "true"}
FRESH_MFA = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "300"}
EC2_ROLE = "ConstructsIam-Workload/Ec2ReadOnly/Role"
APP_ROLE = "ConstructsIam-Workload/AppPrefixAccess/Role"
SCALER = "ConstructsIam-Workload/Scaling/Role"


@pytest.fixture(scope="module")
def app_stacks():
    return build_stacks(new_app(), AppConfig.from_dict(CONTEXT["constructs-iam"]))


@pytest.fixture(scope="module")
def model(app_stacks) -> AccessModel:
    # the Delegation stack holds the platform boundary the production roles carry
    return AccessModel.from_stack(app_stacks.delegation, app_stacks.workload, app_stacks.production_access, app_stacks.identity)


def key_arn(stack, key) -> str:
    """The model names a KMS key by its logical id (computed here, never written by hand)."""
    return f"arn:aws:kms:{stack.region}:{stack.account}:key/{stack.get_logical_id(key.node.default_child)}"


@pytest.fixture(scope="module")
def data_key(app_stacks) -> str:
    return key_arn(app_stacks.workload, app_stacks.workload.data_key)


def check(model: AccessModel, principal: str, cases: list[tuple[str, str, dict, bool]]) -> None:
    failures = []
    for action, resource, context, expected in cases:
        decision = model.evaluate(principal=principal, action=action, resource=resource, context=context)
        if decision.allowed is not expected:
            failures.append(f"{action} {resource} {context}: expected {expected}, got {decision.allowed} ({decision.reason})")
    assert not failures, "\n".join(failures)
    assert sum(1 for c in cases if c[3]) >= 5 and sum(1 for c in cases if not c[3]) >= 5


# ---------------------------------------------------------------------------------- EC2 role


def test_ec2_role_reads_daily_reports_and_nothing_else(model, data_key):
    check(model, EC2_ROLE, [
        ("s3:GetObject", f"{BUCKET}/reports/daily/2026-11-27.csv", TLS, True),
        ("s3:GetObject", f"{BUCKET}/reports/daily/sub/dir/file", TLS, True),
        ("s3:ListBucket", BUCKET, {**TLS, "s3:prefix": "reports/daily/"}, True),
        ("s3:ListBucket", BUCKET, {**TLS, "s3:prefix": "reports/daily/2026/"}, True),
        ("kms:Decrypt", data_key, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}, True),
        ("s3:GetObject", f"{BUCKET}/other/secret.csv", TLS, False),
        ("s3:GetObject", f"{BUCKET}/reports/daily-archive/x.csv", TLS, False),  # sibling with the same start
        ("s3:PutObject", f"{BUCKET}/reports/daily/x.csv", TLS, False),
        ("s3:DeleteObject", f"{BUCKET}/reports/daily/x.csv", TLS, False),
        ("s3:ListBucket", BUCKET, {**TLS, "s3:prefix": "other/"}, False),
        ("s3:ListBucket", BUCKET, TLS, False),  # listing the bucket root
        ("kms:Decrypt", data_key, {}, False),  # not through S3
        ("s3:GetObject", f"{BUCKET}/reports/daily/x.csv", {"aws:SecureTransport": "false"}, False),  # TLS only
        ("s3:GetObject", "arn:aws:s3:::another-bucket/reports/daily/x.csv", TLS, False),
    ])


def test_ec2_role_can_be_assumed_only_by_ec2(model):
    role = EC2_ROLE
    assert model.can_assume(role=role, caller="ec2.amazonaws.com").allowed is True
    assert model.can_assume(role=role, caller="lambda.amazonaws.com").allowed is False
    assert model.can_assume(role=role, caller="arn:aws:iam::222222222222:user/anyone").allowed is False


# ------------------------------------------------------------------------------- prefix role


def test_application_role_writes_only_inside_its_prefix(model, data_key):
    check(model, APP_ROLE, [
        ("s3:PutObject", f"{BUCKET}/app/uploads/a.bin", TLS, True),
        ("s3:GetObject", f"{BUCKET}/app/uploads/a.bin", TLS, True),
        ("s3:AbortMultipartUpload", f"{BUCKET}/app/uploads/big.bin", TLS, True),
        ("s3:ListMultipartUploadParts", f"{BUCKET}/app/uploads/big.bin", TLS, True),
        ("s3:ListBucket", BUCKET, {**TLS, "s3:prefix": "app/uploads/"}, True),
        ("kms:GenerateDataKey", data_key, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}, True),
        ("s3:PutObject", f"{BUCKET}/app/other/a.bin", TLS, False),
        ("s3:PutObject", f"{BUCKET}/reports/daily/x.csv", TLS, False),
        ("s3:GetObject", f"{BUCKET}/reports/daily/x.csv", TLS, False),
        ("s3:DeleteObject", f"{BUCKET}/app/uploads/a.bin", TLS, False),
        ("s3:PutObjectAcl", f"{BUCKET}/app/uploads/a.bin", TLS, False),
        ("s3:ListBucket", BUCKET, {**TLS, "s3:prefix": "app/"}, False),
        ("s3:ListBucketMultipartUploads", BUCKET, TLS, False),
    ])


def test_application_role_trusts_only_its_service_in_this_account(model):
    role = APP_ROLE
    same = {"aws:SourceAccount": "222222222222"}
    assert model.can_assume(role=role, caller="ecs-tasks.amazonaws.com", context=same).allowed is True
    assert model.can_assume(role=role, caller="ecs-tasks.amazonaws.com", context={"aws:SourceAccount": "999999999999"}).allowed is False
    assert model.can_assume(role=role, caller="ecs-tasks.amazonaws.com").allowed is False  # confused deputy: no source
    assert model.can_assume(role=role, caller="lambda.amazonaws.com", context=same).allowed is False


# ------------------------------------------------------------------------------ scaling role


def test_scaling_role_passes_only_the_instance_role_and_only_to_ec2(model, app_stacks):
    ec2_role, app_role = model.arn(EC2_ROLE), model.arn(APP_ROLE)
    region = {"aws:RequestedRegion": "eu-west-1"}
    tag = app_stacks.workload.scaler.launch_tag[1]
    instance = "arn:aws:ec2:eu-west-1:222222222222:instance/i-0123456789abcdef0"
    check(model, SCALER, [
        ("iam:PassRole", ec2_role, {"iam:PassedToService": "ec2.amazonaws.com"}, True),
        ("cloudwatch:GetMetricData", "*", region, True),
        ("ec2:RunInstances", instance, {"aws:RequestTag/managed-by": tag, "ec2:InstanceType": "t3.micro",
                                        "ec2:MetadataHttpTokens": "required"}, True),
        ("ec2:TerminateInstances", instance, {"aws:ResourceTag/managed-by": tag}, True),
        ("ec2:CreateTags", instance, {"ec2:CreateAction": "RunInstances"}, True),
        ("ec2:DescribeInstances", "*", region, True),
        ("iam:PassRole", ec2_role, {"iam:PassedToService": "lambda.amazonaws.com"}, False),
        ("iam:PassRole", app_role, {"iam:PassedToService": "ec2.amazonaws.com"}, False),
        ("iam:PassRole", DEV_ROLE, {"iam:PassedToService": "ec2.amazonaws.com"}, False),
        ("ec2:TerminateInstances", instance, {"aws:ResourceTag/managed-by": "someone-else"}, False),
        ("ec2:RunInstances", instance, {"aws:RequestTag/managed-by": tag, "ec2:InstanceType": "p5.48xlarge"}, False),
        ("ec2:RunInstances", instance, {"ec2:InstanceType": "t3.micro"}, False),  # untagged launch
        ("ec2:RunInstances", instance, {"aws:RequestTag/managed-by": tag, "ec2:InstanceType": "t3.micro",
                                        "ec2:MetadataHttpTokens": "optional"}, False),  # IMDSv1 allowed
        ("ec2:RunInstances", "arn:aws:ec2:eu-west-1:222222222222:key-pair/ops", {}, False),  # no SSH key pairs
        ("ec2:CreateTags", instance, {"ec2:CreateAction": "CreateTags"}, False),  # retagging someone's instance
        ("cloudwatch:GetMetricData", "*", {"aws:RequestedRegion": "us-east-1"}, False),
        ("s3:GetObject", f"{BUCKET}/reports/daily/a.csv", TLS, False),
    ])


# ------------------------------------------------------------------- instance session role


def test_developers_open_shells_only_on_the_scalers_instances_and_end_only_their_own_sessions(model, app_stacks):
    tag = app_stacks.workload.scaler.launch_tag[1]
    instance = "arn:aws:ec2:eu-west-1:222222222222:instance/i-0123456789abcdef0"
    session = "arn:aws:ssm:eu-west-1:222222222222:session/alice-0123456789abcdef0"
    alice, bob = "AROAEXAMPLE:alice.example", "AROAEXAMPLE:bob.example"
    check(model, "ConstructsIam-Workload/InstanceSession/Role", [
        ("ssm:StartSession", instance, {"ssm:resourceTag/managed-by": tag}, True),
        ("ssm:StartSession", "arn:aws:ssm:eu-west-1:222222222222:document/SSM-SessionManagerRunShell", {}, True),
        ("ssm:TerminateSession", session, {"aws:userid": alice, "ssm:resourceTag/aws:ssmmessages:session-id": alice}, True),
        ("ssm:ResumeSession", session, {"aws:userid": alice, "ssm:resourceTag/aws:ssmmessages:session-id": alice}, True),
        ("kms:GenerateDataKey", key_arn(app_stacks.workload, app_stacks.workload.session_preferences.key),
         {"kms:EncryptionContext:aws:ssm:SessionId": "alice.example-0123456789abcdef0"}, True),
        ("ssm:StartSession", instance, {"ssm:resourceTag/managed-by": "someone-else"}, False),
        ("ssm:StartSession", "arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSession", {}, False),
        ("ssm:TerminateSession", session, {"aws:userid": alice, "ssm:resourceTag/aws:ssmmessages:session-id": bob}, False),
        ("ssm:SendCommand", instance, {"ssm:resourceTag/managed-by": tag}, False),
        ("kms:Decrypt", key_arn(app_stacks.workload, app_stacks.workload.session_preferences.key),
         {"kms:EncryptionContext:aws:ssm:SessionId": "alice.example-0123456789abcdef0"}, False),
        ("s3:GetObject", f"{BUCKET}/reports/daily/a.csv", TLS, False),
    ])


# --------------------------------------------------------------------------- developer role


def as_person(name: str) -> dict[str, str]:
    """Fresh MFA and the person's own name as source identity, as `aws sts assume-role --source-identity` sets it."""
    return {**FRESH_MFA, "sts:SourceIdentity": name}


def test_developer_role_cannot_be_assumed_without_fresh_mfa_or_from_elsewhere(model):
    alice = "arn:aws:iam::111111111111:user/alice.example"
    assert model.can_assume(role=DEV_ROLE, caller=alice, context=as_person("alice.example")).allowed is True
    assert model.can_assume(role=DEV_ROLE, caller="arn:aws:iam::111111111111:user/bob.example",
                            context=as_person("bob.example")).allowed is True
    assert model.can_assume(role=DEV_ROLE, caller=alice, context={"sts:SourceIdentity": "alice.example"}).allowed is False  # no MFA
    assert model.can_assume(role=DEV_ROLE, caller=alice, context={"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "7200",
                                                                   "sts:SourceIdentity": "alice.example"}).allowed is False
    assert model.can_assume(role=DEV_ROLE, caller="arn:aws:iam::333333333333:user/alice.example", context=as_person("alice.example")).allowed is False
    assert model.can_assume(role=DEV_ROLE, caller="ec2.amazonaws.com").allowed is False


def test_developer_role_knows_who_did_what_the_caller_must_name_themself(model):
    alice = "arn:aws:iam::111111111111:user/alice.example"
    without = model.can_assume(role=DEV_ROLE, caller=alice, context=FRESH_MFA)
    assert without.allowed is False  # no source identity: refused (both sides ask for it)
    pretending = model.can_assume(role=DEV_ROLE, caller=alice, context=as_person("bob.example"))
    # only one's own name, refused by the role's trust itself (sts:SourceIdentity == ${aws:username})
    assert pretending.allowed is False and pretending.reason.startswith("trust conditions not met")


def test_people_outside_the_developers_group_cannot_assume_the_production_role(model):
    decision = model.can_assume(role=DEV_ROLE, caller="arn:aws:iam::111111111111:user/carol.example",
                                context=as_person("carol.example"))
    assert decision.allowed is False and decision.reason.startswith("caller side")


def test_developer_role_sees_configuration_but_not_data(model, data_key):
    check(model, DEV_ROLE, [
        ("ec2:DescribeInstances", "*", {}, True),
        ("iam:ListRoles", "*", {}, True),
        ("s3:ListAllMyBuckets", "*", {}, True),
        ("cloudwatch:ListMetrics", "*", {}, True),
        ("lambda:ListFunctionUrlConfigs", "arn:aws:lambda:eu-west-1:222222222222:function:f", {}, True),
        ("lambda:ListFunctions", "*", {}, False),  # environment variables: DeveloperExtra.RUNTIME_CONFIG
        ("s3:GetObject", f"{BUCKET}/reports/daily/a.csv", TLS, False),
        ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:222222222222:secret:db", {}, False),
        ("ssm:GetParameter", "arn:aws:ssm:eu-west-1:222222222222:parameter/db/password", {}, False),
        ("kms:Decrypt", data_key, {}, False),
        ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:222222222222:table/orders", {}, False),
        ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:222222222222:jobs", {}, False),
        ("iam:CreateAccessKey", "arn:aws:iam::222222222222:user/x", {}, False),
        ("s3:PutObject", f"{BUCKET}/reports/daily/a.csv", TLS, False),
        ("ec2:TerminateInstances", "arn:aws:ec2:eu-west-1:222222222222:instance/i-1", {}, False),
    ])


# ------------------------------------------------------------------------------------ people


def test_people_without_mfa_can_only_set_up_their_password_and_mfa(model):
    own = "arn:aws:iam::111111111111:user/alice.example"
    check(model, "alice.example", [
        ("iam:ChangePassword", own, {}, True),
        ("iam:CreateVirtualMFADevice", "arn:aws:iam::111111111111:mfa/alice-phone", {}, True),
        ("iam:EnableMFADevice", own, {}, True),
        ("iam:GetAccountPasswordPolicy", "*", {}, True),
        ("iam:CreateAccessKey", own, FRESH_MFA, True),
        ("iam:CreateAccessKey", own, {}, False),  # no MFA yet
        ("iam:DeactivateMFADevice", own, {}, False),
        ("iam:ChangePassword", "arn:aws:iam::111111111111:user/bob.example", FRESH_MFA, False),
        ("iam:CreateAccessKey", "arn:aws:iam::111111111111:user/bob.example", FRESH_MFA, False),
        ("sts:AssumeRole", DEV_ROLE, {}, False),
        ("iam:AttachUserPolicy", own, FRESH_MFA, False),
    ])


def test_an_access_key_secret_is_readable_only_by_its_owner_with_mfa(model, app_stacks):
    secret = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:people/bob.example/access-key-AbCdEf"
    key = key_arn(app_stacks.identity, app_stacks.identity.secrets_key)
    via_sm = {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com", "kms:EncryptionContext:SecretARN": secret}
    read = dict(action="secretsmanager:GetSecretValue", resource=secret)
    assert model.evaluate(principal="bob.example", context=FRESH_MFA, **read).allowed is True
    assert model.evaluate(principal="bob.example", action="kms:Decrypt", resource=key, context={**FRESH_MFA, **via_sm}).allowed is True
    assert model.evaluate(principal="bob.example", context={}, **read).allowed is False  # no MFA
    assert model.evaluate(principal="alice.example", context=FRESH_MFA, **read).allowed is False  # not hers
    assert model.evaluate(principal="alice.example", action="kms:Decrypt", resource=key, context={**FRESH_MFA, **via_sm}).allowed is False
    assert model.evaluate(principal="bob.example", action="kms:Decrypt", resource=key, context=FRESH_MFA).allowed is False  # not via SM


def test_password_policy_handler_can_only_set_the_password_policy(model, app_stacks):
    handler = "ConstructsIam-Identity/PasswordPolicy/Role"
    stack = app_stacks.identity
    log_group = f"arn:aws:logs:eu-west-1:111111111111:log-group:ConstructsIam-Identity-{stack.get_logical_id(stack.password_policy.log_group.node.default_child)}:*"
    check(model, handler, [
        ("iam:UpdateAccountPasswordPolicy", "*", {}, True),
        ("iam:DeleteAccountPasswordPolicy", "*", {}, True),
        ("logs:PutLogEvents", log_group, {}, True),
        ("logs:CreateLogStream", log_group, {}, True),
        ("iam:UpdateAccountPasswordPolicy", "arn:aws:iam::111111111111:root", {}, True),
        ("iam:CreateUser", "*", {}, False),
        ("iam:AttachRolePolicy", "*", {}, False),
        ("iam:PassRole", "*", {}, False),
        ("logs:PutLogEvents", "arn:aws:logs:eu-west-1:111111111111:log-group:other:*", {}, False),
        ("sts:AssumeRole", "*", {}, False),
    ])
