"""Each fill in tools/moto_cfn.py exists because plain moto has the gap: these tests show it does.

They run against plain moto in this process (the fills are loaded only into the emulator server
that tests/test_deploy_local.py starts). When one of these fails, the installed moto has fixed
that gap: delete the fill (and its line in tools/moto_cfn.py's docstring), then this test.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.iam import models as iam_models

from .support import ROOT

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def plain_moto(monkeypatch):
    assert not getattr(iam_models, "_constructs_iam_cfn_installed", False), "the fills are loaded in this process"
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


def deploy(name: str, resources: dict, parameters: list | None = None) -> str:
    cfn = boto3.client("cloudformation", region_name=REGION)
    body = json.dumps({"Resources": resources, **({"Parameters": parameters[1]} if parameters else {})})
    cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
                     Parameters=parameters[0] if parameters else [])
    return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def physical(stack: str, logical: str) -> str | None:
    cfn = boto3.client("cloudformation", region_name=REGION)
    found = [r for r in cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"] if r["LogicalResourceId"] == logical]
    return found[0].get("PhysicalResourceId") if found else None


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}


def test_plain_moto_creates_no_iam_group():
    deploy("g", {"G": {"Type": "AWS::IAM::Group", "Properties": {"GroupName": "people"}}})
    with pytest.raises(ClientError, match="NoSuchEntity|cannot be found"):
        boto3.client("iam").get_group(GroupName="people")


def test_plain_moto_ignores_a_users_groups_and_managed_policies():
    iam = boto3.client("iam")
    iam.create_group(GroupName="people")
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    deploy("u", {"U": {"Type": "AWS::IAM::User", "Properties": {"UserName": "alice", "Groups": ["people"],
                                                                  "ManagedPolicyArns": [arn]}}})
    assert iam.list_groups_for_user(UserName="alice")["Groups"] == []
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []


def test_plain_moto_ignores_a_roles_managed_policy_arns():
    iam = boto3.client("iam")
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(DOC))["Policy"]["Arn"]
    deploy("r", {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r", "AssumeRolePolicyDocument": TRUST,
                                                                  "ManagedPolicyArns": [arn]}}})
    assert iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"] == []


def test_plain_moto_does_not_update_a_managed_policy_in_place():
    cfn, iam = boto3.client("cloudformation", region_name=REGION), boto3.client("iam")
    template = {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": "mp", "PolicyDocument": DOC}}}
    deploy("mp", template)
    wider = json.loads(json.dumps(template))
    wider["P"]["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = "s3:GetObject"
    cfn.update_stack(StackName="mp", TemplateBody=json.dumps({"Resources": wider}), Capabilities=["CAPABILITY_NAMED_IAM"])
    arn = next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "mp")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    assert "s3:GetObject" not in json.dumps(document)


@pytest.mark.parametrize(("kind", "properties"), [
    ("AWS::SecretsManager::Secret", {"Name": "people/alice/password", "SecretString": "x"}),
    ("AWS::SNS::TopicPolicy", {"Topics": ["arn:aws:sns:us-east-1:123456789012:t"], "PolicyDocument": DOC}),
    ("AWS::SNS::Subscription", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Protocol": "email",
                                "Endpoint": "a@example.com"}),
    ("AWS::SecretsManager::ResourcePolicy", {"SecretId": "s", "ResourcePolicy": DOC}),
    ("AWS::IAM::OIDCProvider", {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]}),
])
def test_plain_moto_has_no_cloudformation_model_for(kind, properties):
    from moto.cloudformation import parsing

    parsing.get_model_map.cache_clear()
    assert kind not in parsing.get_model_map()


def test_plain_moto_fails_to_delete_a_change_set_that_does_not_exist():
    cfn = boto3.client("cloudformation", region_name=REGION)
    deploy("cs", {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}}})
    with pytest.raises(Exception):
        cfn.delete_change_set(StackName="cs", ChangeSetName="missing")


def test_plain_moto_answers_a_missing_change_set_with_the_wrong_error():
    cfn = boto3.client("cloudformation", region_name=REGION)
    deploy("cs", {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}}})
    with pytest.raises(ClientError) as error:
        cfn.describe_change_set(StackName="cs", ChangeSetName="missing")
    assert error.value.response["Error"]["Code"] != "ChangeSetNotFound"


def test_the_fills_refuse_another_moto_version():
    # in a subprocess: importing tools.moto_cfn registers its CloudFormation models in moto
    import subprocess
    import sys

    code = ("from tools.moto_cfn import check_moto_version, MOTO_VERSION\n"
            "import moto; check_moto_version(moto.__version__)\n"
            "try:\n    check_moto_version('5.3.0')\nexcept RuntimeError as e:\n    print(e)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "fills the CloudFormation gaps of moto 5.2.5; installed moto is 5.3.0" in result.stdout


def test_plain_moto_ignores_a_trust_policy_update():
    cfn, iam = boto3.client("cloudformation", region_name=REGION), boto3.client("iam")
    template = {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r", "AssumeRolePolicyDocument": TRUST,
                                                                 "MaxSessionDuration": 3600}}}
    deploy("ru", template)
    changed = json.loads(json.dumps(template))
    changed["R"]["Properties"]["MaxSessionDuration"] = 7200
    changed["R"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
    cfn.update_stack(StackName="ru", TemplateBody=json.dumps({"Resources": changed}), Capabilities=["CAPABILITY_NAMED_IAM"])
    role = iam.get_role(RoleName="r")["Role"]
    assert role["MaxSessionDuration"] == 3600 or "ec2.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])


def test_plain_moto_cannot_delete_a_managed_policy_that_names_its_role():
    cfn, iam = boto3.client("cloudformation", region_name=REGION), boto3.client("iam")
    deploy("del", {
        "R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "holder", "AssumeRolePolicyDocument": TRUST}},
        "P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "ManagedPolicyName": "attached", "PolicyDocument": DOC, "Roles": [{"Ref": "R"}]}},
    })
    arn = next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "attached")
    try:
        cfn.delete_stack(StackName="del")
    except Exception:
        return  # refused outright: the gap
    # CloudFormation detaches and deletes; plain moto leaves the policy (or the stack) behind
    policies = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    statuses = [s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "del"]
    assert arn in policies or "DELETE_FAILED" in statuses, (policies, statuses)


def test_plain_moto_does_not_resolve_a_weak_cross_stack_reference():
    cfn, iam = boto3.client("cloudformation", region_name=REGION), boto3.client("iam")
    producer = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "producer", "AssumeRolePolicyDocument": TRUST}}},
                "Outputs": {"RoleName": {"Value": {"Ref": "R"}}}}
    cfn.create_stack(StackName="producer", TemplateBody=json.dumps(producer), Capabilities=["CAPABILITY_NAMED_IAM"])
    consumer = {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
        "ManagedPolicyName": "consumer", "PolicyDocument": DOC,
        "Roles": [{"Fn::GetStackOutput": {"StackName": "producer", "OutputName": "RoleName"}}]}}}
    try:
        deploy("consumer", consumer)
    except Exception:
        return  # refused: the gap
    assert iam.list_attached_role_policies(RoleName="producer")["AttachedPolicies"] == []


def update(name: str, resources: dict) -> None:
    boto3.client("cloudformation", region_name=REGION).update_stack(
        StackName=name, TemplateBody=json.dumps({"Resources": resources}), Capabilities=["CAPABILITY_NAMED_IAM"])


def test_plain_moto_deletes_a_retained_resource_that_an_update_removes():
    role = {"Type": "AWS::IAM::Role", "DeletionPolicy": "Retain",
            "Properties": {"RoleName": "retained", "AssumeRolePolicyDocument": TRUST}}
    other = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "other", "AssumeRolePolicyDocument": TRUST}}
    deploy("retain", {"Kept": role, "Other": other})
    update("retain", {"Other": other})
    with pytest.raises(ClientError, match="NoSuchEntity|cannot be found"):
        boto3.client("iam").get_role(RoleName="retained")


def test_plain_moto_does_not_replace_a_renamed_role():
    iam = boto3.client("iam")
    deploy("rename", {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "first", "AssumeRolePolicyDocument": TRUST}}})
    # CloudFormation makes a new role "second" and deletes "first"; moto looks "second" up and fails
    with pytest.raises(ClientError, match="Role second not found"):
        update("rename", {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "second", "AssumeRolePolicyDocument": TRUST}}})
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["first"]


def test_plain_moto_fails_any_update_of_a_named_user():
    deploy("named", {"U": {"Type": "AWS::IAM::User", "Properties": {"UserName": "named", "Path": "/"}}})
    with pytest.raises(ClientError, match="already exists"):
        update("named", {"U": {"Type": "AWS::IAM::User", "Properties": {"UserName": "named", "Path": "/people/"}}})


def test_plain_moto_deletes_before_it_creates_so_a_moved_name_succeeds():
    iam = boto3.client("iam")
    deploy("move", {"Old": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "moving", "AssumeRolePolicyDocument": TRUST}}})
    update("move", {"New": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "moving", "AssumeRolePolicyDocument": TRUST}}})
    assert iam.get_role(RoleName="moving")  # CloudFormation fails: "moving" already exists when New is created


def test_plain_moto_cannot_describe_a_key_its_cloudformation_created():
    deploy("key", {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                "Action": "kms:*", "Resource": "*"}]}}}})
    key_id = physical("key", "K")
    with pytest.raises(TypeError, match="JSON object must be str"):
        boto3.client("kms", region_name=REGION).describe_key(KeyId=key_id)
