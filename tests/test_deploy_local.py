"""Deploy every stack with the real CDK CLI into a local AWS API emulator, and check the effects.

The emulator is moto's server (tools/emulator.py) with the CloudFormation fills of
tools/moto_cfn.py. What it proves and what it cannot:

- Proven: the templates deploy through the real CLI (bootstrap, change sets, ordering); IAM then
  holds exactly the synthesized trust policies, permission documents, attachments, session lengths
  and group memberships; identity policies are enforced on real S3 calls (moto's IAM enforcement
  for S3 actions and resources); updates keep roles, users and groups (same unique ids); destroy
  keeps retained identities.
- Not proven here: trust-policy evaluation (moto does not evaluate trust policies as AWS does, so
  the MFA conditions of DeveloperReadOnlyRole are checked by template tests and the access model
  instead); most condition operators in identity policies (``s3:prefix`` on ListBucket,
  ``kms:ViaService``) are ignored by moto; S3 bucket policies are not deployed (moto would apply
  their Deny statements without conditions); Lambda-backed custom resources do not run (no Docker),
  although moto reports them CREATE_COMPLETE: for the password policy, the handler's own code is
  run against the emulator's IAM API with the template's parameters instead.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_iam._password_policy_handler import apply as apply_password_policy
from constructs_iam.lifecycle import import_mapping, read_lock
from tools.deploy_local import LOCAL_CONTEXT, app_regions, deploy, stack_statuses, write_lock
from tools.emulator import ACCOUNT, LocalAws

from .deployed import DeployedStack, canonical
from .support import CONTEXT

pytestmark = pytest.mark.deploy

STACKS = {
    "ConstructsIam-Workload": "eu-west-1",
    "ConstructsIam-ProductionAccess": "eu-west-1",
    "ConstructsIam-Identity": "eu-west-1",
    "ConstructsIam-RootActivity-us-east-1": "us-east-1",
    "ConstructsIam-Workloads-10": "eu-west-1",
    "ConstructsIam-Workloads-12": "eu-west-1",
    "ConstructsIam-CiDeploy": "eu-west-1",
    "ConstructsIam-Workloads-15": "eu-west-1",
    "ConstructsIam-Delegation": "eu-west-1",
    "ConstructsIam-Team-payments": "eu-west-1",
}
PEOPLE = {user["name"] for user in CONTEXT["constructs-iam"]["identity"]["users"]}
UPDATED_CONTEXT = {
    "constructs-iam.ec2_read_prefixes": '["reports/weekly/"]',
    "constructs-iam.developer_trusted_principal_arns": f'["arn:aws:iam::{ACCOUNT}:role/oncall"]',
}


@pytest.fixture(scope="module")
def aws(tmp_path_factory) -> Iterator[LocalAws]:
    with LocalAws(log_path=tmp_path_factory.mktemp("moto") / "moto.log") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def deployed(aws, tmp_path_factory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("cdk.out.local")
    statuses = deploy(aws, outdir)
    stacks = {name: DeployedStack(aws, outdir, name, region) for name, region in STACKS.items()}
    return {"statuses": statuses, "stacks": stacks, "outdir": outdir}


def iam_ids(aws: LocalAws) -> dict[str, str]:
    iam = aws.client("iam")
    ids = {f"role:{r['RoleName']}": r["RoleId"] for r in iam.list_roles()["Roles"] if not r["RoleName"].startswith("cdk-")}
    ids |= {f"user:{u['UserName']}": u["UserId"] for u in iam.list_users()["Users"]}
    ids |= {f"group:{g['GroupName']}": g["GroupId"] for g in iam.list_groups()["Groups"]}
    ids |= {f"profile:{p['InstanceProfileName']}": p["InstanceProfileId"] for p in iam.list_instance_profiles()["InstanceProfiles"]}
    return ids


# ------------------------------------------------------------------------------- first deploy


def test_every_stack_deploys_with_the_real_cli(deployed):
    assert deployed["statuses"] == {name: "CREATE_COMPLETE" for name in STACKS}


def test_roles_hold_exactly_the_synthesized_trust_session_and_boundary(deployed):
    iam_checked = 0
    for stack in deployed["stacks"].values():
        for logical_id, resource in stack.resources("AWS::IAM::Role").items():
            properties = stack.resolve(resource["Properties"])
            role = stack.iam.get_role(RoleName=stack.ref(logical_id))["Role"]
            assert canonical(role["AssumeRolePolicyDocument"]) == canonical(properties["AssumeRolePolicyDocument"]), logical_id
            assert role["MaxSessionDuration"] == properties.get("MaxSessionDuration", 3600), logical_id
            assert role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == properties.get("PermissionsBoundary"), logical_id
            assert role["Path"] == properties.get("Path", "/")
            iam_checked += 1
    # 3 workload, instance session, developer, 2 support (production, identity), password policy handler,
    # dave's key rotation, 3 sample workloads, CI, the delegated team's deployer and its workload role
    # (with the team's boundary)
    assert iam_checked == 15


def test_managed_policies_hold_exactly_the_synthesized_documents_and_attachments(deployed):
    checked = 0
    for stack in deployed["stacks"].values():
        for logical_id, resource in stack.resources("AWS::IAM::ManagedPolicy").items():
            properties = stack.resolve(resource["Properties"])
            arn = stack.ref(logical_id)
            policy = stack.iam.get_policy(PolicyArn=arn)["Policy"]
            version = stack.iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
            assert canonical(version["Document"]) == canonical(properties["PolicyDocument"]), logical_id
            entities = stack.iam.list_entities_for_policy(PolicyArn=arn)
            assert sorted(r["RoleName"] for r in entities["PolicyRoles"]) == sorted(properties.get("Roles", []))
            assert sorted(g["GroupName"] for g in entities["PolicyGroups"]) == sorted(properties.get("Groups", []))
            assert entities["PolicyUsers"] == [], f"{logical_id} is attached to a user"
            checked += 1
    # 4 workload, 10 production access (Deny backstop, 9 allow-list parts), 6 identity, 3 sample workloads, 1 CI,
    # 5 delegation (boundary, creator, 3 bootstrap execution policies), 1 of the delegated team
    assert checked == 30


def test_the_developer_role_holds_our_allow_list_and_backstop_and_no_aws_managed_policy(deployed):
    iam = deployed["stacks"]["ConstructsIam-ProductionAccess"].iam
    attached = iam.list_attached_role_policies(RoleName="DeveloperReadOnly")["AttachedPolicies"]
    assert [p for p in attached if ":iam::aws:policy/" in p["PolicyArn"]] == []
    names = {p["PolicyName"] for p in attached}
    assert len(attached) <= 10 and any("DenyDataAccess" in n for n in names) and any("ReadConfiguration" in n for n in names)


def test_instance_profile_carries_the_ec2_role(deployed):
    stack = deployed["stacks"]["ConstructsIam-Workload"]
    (logical_id,) = stack.resources("AWS::IAM::InstanceProfile")
    profile = stack.iam.get_instance_profile(InstanceProfileName=stack.ref(logical_id))["InstanceProfile"]
    (role_id,) = [k for k in stack.resources("AWS::IAM::Role") if k.startswith("Ec2ReadOnly")]
    assert [r["RoleName"] for r in profile["Roles"]] == [stack.ref(role_id)]


def test_people_are_only_in_groups_with_console_reset_and_one_key_when_asked(deployed):
    stack = deployed["stacks"]["ConstructsIam-Identity"]
    iam = stack.iam
    users = {u["UserName"] for u in iam.list_users()["Users"]}
    assert users == PEOPLE
    for logical_id, resource in stack.resources("AWS::IAM::User").items():
        name = resource["Properties"]["UserName"]
        groups = sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"])
        assert groups == sorted(stack.resolve(resource["Properties"]["Groups"]))
        assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
        assert iam.list_user_policies(UserName=name)["PolicyNames"] == []
        if "LoginProfile" in resource["Properties"]:
            assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is True
    assert iam.list_access_keys(UserName="alice.example")["AccessKeyMetadata"] == []
    # dave's key is rotated by Secrets Manager: the first rotation creates it, which moto cannot run
    assert iam.list_access_keys(UserName="dave.example")["AccessKeyMetadata"] == []
    (key,) = iam.list_access_keys(UserName="bob.example")["AccessKeyMetadata"]
    assert key["Status"] == "Active"


def test_access_key_secret_holds_the_deployed_key_and_is_encrypted_with_the_users_key(deployed):
    stack = deployed["stacks"]["ConstructsIam-Identity"]
    secrets = stack.aws.client("secretsmanager", "eu-west-1")
    (logical_id,) = [k for k in stack.resources("AWS::SecretsManager::Secret") if k.startswith("UserbobexampleAccessKeySecret")]
    described = secrets.describe_secret(SecretId=stack.ref(logical_id))
    (key_id,) = [k for k in stack.resources("AWS::KMS::Key") if k.startswith("UserSecretsKey")]
    assert described["KmsKeyId"] == stack.get_att(key_id, "Arn")
    value = json.loads(secrets.get_secret_value(SecretId=stack.ref(logical_id))["SecretString"])
    (key,) = stack.iam.list_access_keys(UserName="bob.example")["AccessKeyMetadata"]
    assert value["AccessKeyId"] == key["AccessKeyId"]  # compared, never printed
    assert described["Name"] == "people/bob.example/access-key"  # bob reads it through PeopleGroup, with MFA


def test_session_preferences_document_is_deployed_with_logging_and_encryption(deployed):
    stack = deployed["stacks"]["ConstructsIam-Workload"]
    ssm = stack.aws.client("ssm", "eu-west-1")
    document = ssm.get_document(Name="SSM-SessionManagerRunShell", DocumentFormat="JSON")
    # moto 5.2.5's CloudFormation stores a JSON-object Content as Python's repr of the dict
    inputs = ast.literal_eval(document["Content"])["inputs"]
    (group_id,) = [k for k in stack.resources("AWS::Logs::LogGroup") if k.startswith("SessionPreferencesLogs")]
    (key_id,) = [k for k in stack.resources("AWS::KMS::Key") if k.startswith("SessionPreferencesKey")]
    assert inputs["cloudWatchLogGroupName"] == stack.ref(group_id)
    assert inputs["kmsKeyId"] == stack.get_att(key_id, "Arn")
    assert inputs["cloudWatchEncryptionEnabled"] is True and inputs["runAsEnabled"] is False
    assert document["DocumentType"] == "Session"


def test_what_the_emulator_cannot_create_config_rules_and_rotation_schedules(deployed, aws):
    """moto's CloudFormation skips AWS::Config::ConfigRule and AWS::SecretsManager::RotationSchedule:
    their definitions are checked by tests/test_credential_hygiene.py (put_config_rule) and the
    rotation steps by tests/test_key_rotation_emulator.py instead."""
    assert aws.client("config", "eu-west-1").describe_config_rules()["ConfigRules"] == []
    secrets = aws.client("secretsmanager", "eu-west-1")
    described = secrets.describe_secret(SecretId="people/dave.example/access-key")
    assert not described.get("RotationEnabled")


def test_password_policy_parameters_are_accepted_by_the_real_api_shape(deployed, aws):
    """moto does not run the custom resource's Lambda; run its handler code against the emulator."""
    stack = deployed["stacks"]["ConstructsIam-Identity"]
    (resource,) = stack.resources("Custom::AccountPasswordPolicy").values()
    properties = {k: json.dumps(v) if isinstance(v, bool) else str(v) for k, v in resource["Properties"].items() if k != "ServiceToken"}
    iam = aws.client("iam")
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_account_password_policy()  # proof that moto did not run the custom resource
    apply_password_policy("Create", properties, iam)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["PasswordReusePrevention"] == 24
    assert policy["MaxPasswordAge"] == 90 and policy["AllowUsersToChangePassword"] is True
    assert all(policy[k] for k in ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireNumbers", "RequireSymbols"))
    apply_password_policy("Delete", properties, iam)
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_account_password_policy()


# ---------------------------------------------------------------------- access, for real


@pytest.fixture(scope="module")
def probe(deployed, aws) -> Iterator[dict[str, Any]]:
    """Probe users the test controls, each with one deployed workload policy attached, and objects.

    moto's IAM enforcement is switched on only around each access test (``enforced``).
    """
    stack = deployed["stacks"]["ConstructsIam-Workload"]
    iam, s3 = aws.client("iam"), aws.client("s3", "eu-west-1")
    (bucket_id,) = [k for k in stack.resources("AWS::S3::Bucket") if k.startswith("DataBucket")]
    bucket = stack.ref(bucket_id)
    for key in ("reports/daily/a.csv", "other/b.csv", "app/uploads/in.txt", "app/other/x.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"payload")
    clients = {}
    for name, prefix in (("ec2-reader", "Ec2ReadOnlyPolicy"), ("app-writer", "AppPrefixAccessPolicy")):
        (policy_id,) = [k for k in stack.resources("AWS::IAM::ManagedPolicy") if k.startswith(prefix)]
        iam.create_user(UserName=f"probe-{name}")
        iam.attach_user_policy(UserName=f"probe-{name}", PolicyArn=stack.ref(policy_id))
        key = iam.create_access_key(UserName=f"probe-{name}")["AccessKey"]
        clients[name] = aws.client("s3", "eu-west-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    try:
        yield {"bucket": bucket, **clients}
    finally:
        for name in ("ec2-reader", "app-writer"):
            user = f"probe-{name}"
            for policy in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]:
                iam.detach_user_policy(UserName=user, PolicyArn=policy["PolicyArn"])
            for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
                iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
            iam.delete_user(UserName=user)


@pytest.fixture()
def enforced(probe, aws) -> Iterator[dict[str, Any]]:
    aws.set_auth(enforce=True)
    try:
        yield probe
    finally:
        aws.set_auth(enforce=False)


def denied(call) -> bool:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException", "403")
    return False


def test_ec2_read_only_policy_reads_under_its_prefix(enforced):
    body = enforced["ec2-reader"].get_object(Bucket=enforced["bucket"], Key="reports/daily/a.csv")["Body"].read()
    assert body == b"payload"


def test_ec2_read_only_policy_is_refused_outside_its_prefix_and_for_writes(enforced):
    reader, bucket = enforced["ec2-reader"], enforced["bucket"]
    assert denied(lambda: reader.get_object(Bucket=bucket, Key="other/b.csv"))
    assert denied(lambda: reader.get_object(Bucket=bucket, Key="app/uploads/in.txt"))
    assert denied(lambda: reader.put_object(Bucket=bucket, Key="reports/daily/new.csv", Body=b"x"))
    assert denied(lambda: reader.delete_object(Bucket=bucket, Key="reports/daily/a.csv"))


def test_prefix_policy_writes_and_reads_inside_its_prefix(enforced):
    writer, bucket = enforced["app-writer"], enforced["bucket"]
    writer.put_object(Bucket=bucket, Key="app/uploads/out.txt", Body=b"result")
    assert writer.get_object(Bucket=bucket, Key="app/uploads/in.txt")["Body"].read() == b"payload"


def test_prefix_policy_is_refused_outside_its_prefix(enforced):
    writer, bucket = enforced["app-writer"], enforced["bucket"]
    assert denied(lambda: writer.put_object(Bucket=bucket, Key="app/other/y.txt", Body=b"x"))
    assert denied(lambda: writer.get_object(Bucket=bucket, Key="app/other/x.txt"))
    assert denied(lambda: writer.get_object(Bucket=bucket, Key="reports/daily/a.csv"))
    assert denied(lambda: writer.delete_object(Bucket=bucket, Key="app/uploads/in.txt"))  # READ_WRITE has no delete


CROSS_CHECK = [
    ("ec2-reader", "ConstructsIam-Workload/Ec2ReadOnly/Role", "s3:GetObject", "reports/daily/a.csv"),
    ("ec2-reader", "ConstructsIam-Workload/Ec2ReadOnly/Role", "s3:GetObject", "other/b.csv"),
    ("ec2-reader", "ConstructsIam-Workload/Ec2ReadOnly/Role", "s3:PutObject", "reports/daily/model.csv"),
    ("ec2-reader", "ConstructsIam-Workload/Ec2ReadOnly/Role", "s3:DeleteObject", "reports/daily/a.csv"),
    ("app-writer", "ConstructsIam-Workload/AppPrefixAccess/Role", "s3:PutObject", "app/uploads/model.txt"),
    ("app-writer", "ConstructsIam-Workload/AppPrefixAccess/Role", "s3:PutObject", "app/other/model.txt"),
    ("app-writer", "ConstructsIam-Workload/AppPrefixAccess/Role", "s3:GetObject", "app/uploads/in.txt"),
    ("app-writer", "ConstructsIam-Workload/AppPrefixAccess/Role", "s3:GetObject", "reports/daily/a.csv"),
    ("app-writer", "ConstructsIam-Workload/AppPrefixAccess/Role", "s3:DeleteObject", "app/uploads/in.txt"),
]


def test_access_model_agrees_with_the_emulator_on_s3_requests(enforced, deployed):
    """For what moto enforces (identity-policy actions and resources on S3), model and emulator agree.

    The model resolves the bucket to its synthesized name; the emulator gave it a physical one. The
    model request carries aws:SecureTransport=true, as a real client would (the emulator is HTTP
    and does not apply the TLS-only bucket policy)."""
    from constructs_iam.access import AccessModel

    stack = deployed["stacks"]["ConstructsIam-Workload"]
    model = AccessModel.from_template(stack.template, account=ACCOUNT, region="eu-west-1", stack_name=stack.name)
    (bucket_id,) = [k for k in stack.resources("AWS::S3::Bucket") if k.startswith("DataBucket")]
    model_bucket = f"{stack.name}-{bucket_id}".lower()  # the model's name for an unnamed bucket
    calls = {
        "s3:GetObject": lambda c, k: c.get_object(Bucket=enforced["bucket"], Key=k),
        "s3:PutObject": lambda c, k: c.put_object(Bucket=enforced["bucket"], Key=k, Body=b"m"),
        "s3:DeleteObject": lambda c, k: c.delete_object(Bucket=enforced["bucket"], Key=k),
    }
    disagreements = []
    for probe_name, role, action, key in CROSS_CHECK:
        emulator_allows = not denied(lambda: calls[action](enforced[probe_name], key))
        decision = model.evaluate(principal=role, action=action, resource=f"arn:aws:s3:::{model_bucket}/{key}",
                                  context={"aws:SecureTransport": "true"})
        if decision.allowed is not emulator_allows:
            disagreements.append(f"{role} {action} {key}: emulator {emulator_allows}, model {decision.allowed} ({decision.reason})")
    assert disagreements == []


# -------------------------------------------------------------------- update without loss


@pytest.fixture(scope="module")
def redeployed(deployed, aws) -> dict[str, Any]:
    before = iam_ids(aws)
    statuses = deploy(aws, deployed["outdir"], context=UPDATED_CONTEXT)
    after = iam_ids(aws)
    stacks = {name: DeployedStack(aws, deployed["outdir"], name, region) for name, region in STACKS.items()}
    return {"before": before, "after": after, "statuses": statuses, "stacks": stacks}


def test_update_keeps_every_role_user_group_and_profile(redeployed):
    assert redeployed["after"] == redeployed["before"]
    assert redeployed["statuses"]["ConstructsIam-Workload"] == "UPDATE_COMPLETE"
    assert redeployed["statuses"]["ConstructsIam-ProductionAccess"] == "UPDATE_COMPLETE"


def test_update_changed_the_documents_in_place(redeployed):
    workload = redeployed["stacks"]["ConstructsIam-Workload"]
    (policy_id,) = [k for k in workload.resources("AWS::IAM::ManagedPolicy") if k.startswith("Ec2ReadOnlyPolicy")]
    arn = workload.ref(policy_id)
    policy = workload.iam.get_policy(PolicyArn=arn)["Policy"]
    document = workload.iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert "reports/weekly/*" in json.dumps(document) and "reports/daily" not in json.dumps(document)
    trust = workload.iam.get_role(RoleName="DeveloperReadOnly")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["ArnEquals"] == {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/oncall"}


# ---------------------------------------------------------------------------------- destroy


@pytest.fixture(scope="module")
def lock_before_destroy(redeployed, deployed, aws, tmp_path_factory) -> Any:
    """What `make deploy-local` writes after its deploy: the lifecycle lock, with physical ids."""
    path = tmp_path_factory.mktemp("lock") / "lifecycle.lock.json"
    write_lock(aws, deployed["outdir"], path)
    return path


@pytest.fixture(scope="module")
def destroyed(redeployed, lock_before_destroy, aws, tmp_path_factory) -> dict[str, Any]:
    aws.cdk("destroy", "--all", "--force", "-o", str(tmp_path_factory.mktemp("cdk.out.destroy")),
            context={**LOCAL_CONTEXT, **UPDATED_CONTEXT})
    return {"statuses": stack_statuses(aws, app_regions()), "iam": aws.client("iam"), "aws": aws}


def test_destroy_removes_the_stacks_and_workload_roles(destroyed):
    assert all(status == "DELETE_COMPLETE" for status in destroyed["statuses"].values()), destroyed["statuses"]
    roles = [r["RoleName"] for r in destroyed["iam"].list_roles()["Roles"] if not r["RoleName"].startswith("cdk-")]
    assert roles == []


def test_destroy_keeps_people_their_groups_and_mfa_enforcement(destroyed):
    iam = destroyed["iam"]
    people = {u["UserName"] for u in iam.list_users()["Users"] if not u["UserName"].startswith("probe-")}
    assert people == PEOPLE
    assert {g["GroupName"] for g in iam.list_groups_for_user(UserName="bob.example")["Groups"]} == {"developers", "auditors"}
    attached = [p["PolicyName"] for p in iam.list_attached_group_policies(GroupName="developers")["AttachedPolicies"]]
    assert any("MfaAndSelfService" in name for name in attached)
    assert not any("AssumeProductionReadOnly" in name for name in attached)  # access to production went with the stack
    assert iam.get_login_profile(UserName="alice.example")["LoginProfile"]["UserName"] == "alice.example"


def test_import_mapping_of_the_sample_names_what_destroy_retained(destroyed, lock_before_destroy):
    """Recovery (docs/lifecycle.md): from the lock the deploy wrote, the mapping for `cdk import` names
    every identity the destroy retained, and each exists. moto runs an IMPORT change set as a create
    ("already exists"), so `cdk import` itself is not proven here."""
    mapping, missing = import_mapping(read_lock(lock_before_destroy), "ConstructsIam-Identity")
    assert missing == []
    iam, kms = destroyed["iam"], boto3_kms(destroyed)
    kinds = set()
    for identifier in mapping.values():
        ((key, value),) = identifier.items()
        kinds.add(key)
        if key == "UserName":
            assert iam.get_user(UserName=value)["User"]["UserName"] == value
        elif key == "GroupName":
            assert iam.get_group(GroupName=value)["Group"]["GroupName"] == value
        elif key == "PolicyArn":  # the groups' retained MFA policies, still attached
            assert iam.get_policy(PolicyArn=value)["Policy"]["Arn"] == value
        else:
            assert key == "KeyId" and kms.describe_key(KeyId=value)["KeyMetadata"]["KeyId"]
    assert kinds == {"UserName", "GroupName", "KeyId", "PolicyArn"}
    assert sorted(m["UserName"] for m in mapping.values() if "UserName" in m) == sorted(PEOPLE)


def boto3_kms(destroyed: dict[str, Any]) -> Any:
    return destroyed["aws"].client("kms", "eu-west-1")
