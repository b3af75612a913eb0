"""People's lifecycle in the local AWS emulator (moto's server with tools/moto_cfn.py's fills).

What it proves and what it cannot (docs/lifecycle.md):

- Proven: an offboarding deploy (CloudFormation update of a real synthesized template) takes the
  console password, the CloudFormation access key, the credential secrets and every group away and
  keeps the user (same unique id); the revoker's handler code, run against the emulator's IAM API,
  removes a key made outside CloudFormation, a hand-made membership, an SSH key and a password set by
  hand, after which that key no longer authenticates; a removal during an update keeps a retained
  user; a role rename replaces the role; an update that creates a name a removed resource still
  holds fails before anything changes, as the rolled-back update leaves it in AWS.
- Not proven here: the revoker running as a Lambda-backed custom resource (moto cannot run Lambda:
  the stack says complete and the out-of-band key is still there until the handler is run by the
  test); service-specific credentials (moto has no API for them); the deny-all permissions boundary
  on a user (moto's IAM has no user boundaries: the template and the access model prove it,
  tests/test_offboarding.py); trust-policy evaluation; resource import (no ``IMPORT`` change sets:
  the import mapping is checked against the emulator's IAM instead); rollback in general.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import aws_cdk as cdk
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from constructs_iam import HumanUser, PeopleGroup, PersonStatus
from constructs_iam._offboarding_handler import STEPS, revoke
from constructs_iam._offboarding_handler import apply as apply_offboarding
from constructs_iam.lifecycle import identities_of, import_mapping
from tools.emulator import LocalAws

from .support import FLAGS

pytestmark = pytest.mark.deploy
REGION = "us-east-1"
SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDeMr2zJ1ibUkG8jOYTSFDu+TOvl2hl8AoYkz1YUp2m6L0j5sD1J2bI7RbQ3j5Qo9a2fTn"
           "3y+cbV8sTcW2q0WvVx3nHgBBUu8Q0nR1tQ3OdGmDpU/7X2xv3u0NRm8KMpxk0yrT9JqjB4vPGVC8hP4yM8vyZ2t0Qx4lJ9nq9E6m2S5o2b"
           "Ma3B9r5lFqf6JtN2PdH3M0j0h8nqGQ2JmgT0n5G4yY9Cj8v6FhJrVxZ2E7E4tBvN1b0N8wD3R6U8wP3q2Z7uN9X9z8YkM2qJ8R5q1dF0hL"
           "Qn2s7vR1qL2k3PZ4x1pX1wY0yZ9m3c8d test@example")


@pytest.fixture(scope="module")
def aws(tmp_path_factory) -> Iterator[LocalAws]:
    with LocalAws(log_path=tmp_path_factory.mktemp("moto") / "moto.log") as emulator:
        yield emulator


def template(status: PersonStatus, user: str = "dana", group_name: str = "devs") -> dict:
    """One person (console password, access key, a group) in a stack of its own, as synthesized."""
    app = cdk.App(context=FLAGS)
    stack = cdk.Stack(app, "People", env=cdk.Environment(account="123456789012", region=REGION),
                      synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False))
    group = PeopleGroup(stack, "Devs", group_name=group_name)
    HumanUser(stack, "Person", user_name=user, groups=[group] if status is PersonStatus.ACTIVE else [],
              access_key=status is PersonStatus.ACTIVE, status=status)
    return app.synth().get_stack_by_name("People").template


def deploy(aws: LocalAws, name: str, body: dict, *, update: bool = False) -> str:
    cloudformation = aws.client("cloudformation", REGION)
    call = cloudformation.update_stack if update else cloudformation.create_stack
    call(StackName=name, TemplateBody=json.dumps(body), Capabilities=["CAPABILITY_NAMED_IAM"])
    return cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def denied(call) -> str | None:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


# ------------------------------------------------------------------------- offboarding deploys


@pytest.fixture(scope="module")
def offboarded(aws) -> dict:
    iam = aws.client("iam")
    assert deploy(aws, "People", template(PersonStatus.ACTIVE)) == "CREATE_COMPLETE"
    before = iam.get_user(UserName="dana")["User"]
    assert iam.get_login_profile(UserName="dana")["LoginProfile"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="dana")["Groups"]] == ["devs"]
    # what CloudFormation does not know: a rotation's key, a membership and an SSH key added by hand
    iam.create_group(GroupName="hand-made")
    iam.add_user_to_group(GroupName="hand-made", UserName="dana")
    rotated = iam.create_access_key(UserName="dana")["AccessKey"]
    iam.upload_ssh_public_key(UserName="dana", SSHPublicKeyBody=SSH_KEY)
    new_template = template(PersonStatus.OFFBOARDED)
    status = deploy(aws, "People", new_template, update=True)
    return {"iam": iam, "before": before, "rotated": rotated, "status": status, "template": new_template}


def test_offboarding_deploy_keeps_the_user_and_takes_password_key_secrets_and_groups(offboarded, aws):
    iam = offboarded["iam"]
    assert offboarded["status"] == "UPDATE_COMPLETE"
    assert iam.get_user(UserName="dana")["User"]["UserId"] == offboarded["before"]["UserId"]  # the same identity
    assert denied(lambda: iam.get_login_profile(UserName="dana")) == "NoSuchEntity"
    assert "devs" not in [g["GroupName"] for g in iam.list_groups_for_user(UserName="dana")["Groups"]]
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="dana")["AccessKeyMetadata"]]
    assert keys == [offboarded["rotated"]["AccessKeyId"]]  # the CloudFormation key went; the rotation's is the revoker's
    secrets = aws.client("secretsmanager", REGION).list_secrets()["SecretList"]
    assert [s["Name"] for s in secrets if s["Name"].startswith("people/dana/")] == []


def test_the_revokers_custom_resource_does_not_run_in_the_emulator(offboarded):
    """Stated, not hidden: the stack is complete, and the key made outside CloudFormation is still there."""
    assert [k for k in offboarded["template"]["Resources"].values() if k["Type"] == "Custom::OffboardedCredentials"]
    assert offboarded["iam"].list_access_keys(UserName="dana")["AccessKeyMetadata"] != []


def test_revoker_handler_removes_what_cloudformation_does_not_know(offboarded, aws):
    iam = offboarded["iam"]
    (revocation,) = [r for r in offboarded["template"]["Resources"].values() if r["Type"] == "Custom::OffboardedCredentials"]
    assert list(revocation["Properties"]["UserName"]) == ["Ref"]  # the user's name, resolved by CloudFormation
    iam.create_login_profile(UserName="dana", Password="Hand-set-passw0rd!")  # an administrator reset it
    steps = [name for name in STEPS if name != "ServiceSpecificCredentials"]
    removed = revoke("dana", iam, steps=steps)
    assert removed == {"LoginProfile": 1, "AccessKeys": 1, "Groups": 1, "SigningCertificates": 0, "SSHPublicKeys": 1}
    assert iam.list_access_keys(UserName="dana")["AccessKeyMetadata"] == []
    assert iam.list_groups_for_user(UserName="dana")["Groups"] == []
    assert iam.list_ssh_public_keys(UserName="dana")["SSHPublicKeys"] == []
    assert denied(lambda: iam.get_login_profile(UserName="dana")) == "NoSuchEntity"
    assert iam.get_user(UserName="dana")["User"]["UserId"] == offboarded["before"]["UserId"]
    # service-specific credentials: moto has no such API (an internal error, "has not been implemented"),
    # so that step is not proven here
    with pytest.raises(ResponseParserError):
        iam.list_service_specific_credentials(UserName="dana")


def test_a_revoked_key_no_longer_authenticates(offboarded, aws):
    key = offboarded["rotated"]
    client = aws.client("iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    aws.set_auth(enforce=True)
    try:
        assert denied(lambda: client.get_user(UserName="dana")) == "InvalidClientTokenId"
    finally:
        aws.set_auth(enforce=False)


def test_revoking_twice_is_harmless(offboarded, aws):
    removed = apply_offboarding("Update", {"UserName": "dana"}, _WithoutServiceCredentials(offboarded["iam"]))
    assert set(removed.values()) == {0}
    assert apply_offboarding("Delete", {"UserName": "dana"}, offboarded["iam"]) == {}  # nothing given back


class _WithoutServiceCredentials:
    """The emulator's IAM client, answering the one call moto lacks as IAM does for a user with none."""

    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def list_service_specific_credentials(self, **_):
        return {"ServiceSpecificCredentials": []}


# ------------------------------------------------------------------ CloudFormation as in AWS


def test_a_retained_user_survives_its_removal_in_an_update(aws):
    user = {"Type": "AWS::IAM::User", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"UserName": "kept"}}
    other = {"Type": "AWS::IAM::Group", "Properties": {"GroupName": "placeholder"}}
    deploy(aws, "Retained", {"Resources": {"User": user, "Other": other}})
    deploy(aws, "Retained", {"Resources": {"Other": other}}, update=True)
    assert aws.client("iam").get_user(UserName="kept")["User"]["UserName"] == "kept"


def test_a_role_rename_replaces_the_role(aws):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam = aws.client("iam")
    deploy(aws, "Renamed", {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "before", "AssumeRolePolicyDocument": trust}}}})
    old_id = iam.get_role(RoleName="before")["Role"]["RoleId"]
    deploy(aws, "Renamed", {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "after", "AssumeRolePolicyDocument": trust}}}}, update=True)
    assert iam.get_role(RoleName="after")["Role"]["RoleId"] != old_id  # a new role: trusts naming the old one break
    assert denied(lambda: iam.get_role(RoleName="before")) == "NoSuchEntity"


def test_a_name_moved_to_another_logical_id_fails_as_in_aws(aws):
    iam = aws.client("iam")
    deploy(aws, "Moved", {"Resources": {"Old": {"Type": "AWS::IAM::Group", "Properties": {"GroupName": "moving"}}}})
    group_id = iam.get_group(GroupName="moving")["Group"]["GroupId"]
    with pytest.raises(ClientError, match="already exists"):
        deploy(aws, "Moved", {"Resources": {"New": {"Type": "AWS::IAM::Group", "Properties": {"GroupName": "moving"}}}},
               update=True)
    assert iam.get_group(GroupName="moving")["Group"]["GroupId"] == group_id  # untouched, as after a rollback


# ------------------------------------------------------------------------------------ recovery


def test_import_mapping_names_resources_that_exist_after_the_stack_is_deleted(aws):
    """As far as the emulator goes: after deleting the stack, every identity the mapping names exists.
    moto has no IMPORT change sets, so ``cdk import`` itself is not run here."""
    body = template(PersonStatus.ACTIVE, user="erin", group_name="recovered")
    assert deploy(aws, "Recover", body) == "CREATE_COMPLETE"
    cloudformation = aws.client("cloudformation", REGION)
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                for r in cloudformation.describe_stack_resources(StackName="Recover")["StackResources"]}
    identities = [dataclasses.replace(i, physical_id=physical.get(i.logical_id)) for i in identities_of("Recover", body)]
    cloudformation.delete_stack(StackName="Recover")
    mapping, missing = import_mapping(identities, "Recover")
    assert missing == []
    iam, kms = aws.client("iam"), aws.client("kms", REGION)
    for logical_id, identifier in mapping.items():
        ((key, value),) = identifier.items()
        if key == "UserName":
            iam.get_user(UserName=value)
        elif key == "GroupName":
            iam.get_group(GroupName=value)
        elif key == "KeyId":
            assert kms.describe_key(KeyId=value)["KeyMetadata"]["KeyState"] in ("Enabled", "PendingDeletion")
        elif key == "PolicyArn":  # the group's retained MFA policy
            iam.get_policy(PolicyArn=value)
        else:
            raise AssertionError(f"unexpected identifier {key} for {logical_id}")
    assert {k for m in mapping.values() for k in m} >= {"UserName", "GroupName"}
