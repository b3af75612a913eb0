"""The rotation function's steps against the local emulator's IAM, STS and Secrets Manager.

moto cannot run Lambda functions here (no Docker), so the test plays Secrets Manager's part the
way it does in AWS: ``RotateSecret`` on the emulator labels a new version ``AWSPENDING`` (with a
stand-in function that moto cannot run), then the test calls the library's handler with each
step (``createSecret``, ``setSecret``, ``testSecret``, ``finishSecret``) and the daily cleanup
event, exactly as Secrets Manager and EventBridge would. What this cannot prove: that Secrets
Manager invokes the function on schedule (the template tests check the schedule) and that the
function's role is enough in AWS (the AccessModel tests check it allows exactly these calls).
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from constructs_iam._key_rotation.handler import USER_TAG, Rotation, handler
from tools.emulator import LocalAws

pytestmark = pytest.mark.deploy

USER, OTHER = "dave.example", "erin.example"
LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def aws(tmp_path_factory) -> Iterator[LocalAws]:
    with LocalAws(log_path=tmp_path_factory.mktemp("moto") / "moto.log") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def world(aws: LocalAws) -> dict[str, Any]:
    iam, secrets = aws.client("iam"), aws.client("secretsmanager")
    iam.create_user(UserName=USER)
    iam.create_user(UserName=OTHER)
    other_key = iam.create_access_key(UserName=OTHER)["AccessKey"]["AccessKeyId"]
    # as HumanUser creates it: a placeholder until the first rotation creates the key
    arn = secrets.create_secret(Name=f"people/{USER}/access-key", Tags=[{"Key": USER_TAG, "Value": USER}],
                                SecretString=json.dumps({"AccessKeyId": "", "Placeholder": "x"}))["ARN"]
    untagged = secrets.create_secret(Name="people/nobody/access-key", SecretString="{}")["ARN"]
    role = iam.create_role(RoleName="stand-in", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    pass\n")
    function = aws.client("lambda").create_function(
        FunctionName="stand-in", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()})["FunctionArn"]
    clients = {
        "iam": iam, "secretsmanager": secrets,
        "sts_factory": lambda key_id, secret: aws.client("sts", aws_access_key_id=key_id, aws_secret_access_key=secret),
    }
    return {"aws": aws, "arn": arn, "function": function, "clients": clients, "other_key": other_key,
            "untagged": untagged}


def start_rotation(world: dict[str, Any], token: str) -> None:
    """What Secrets Manager does first: a new version labelled AWSPENDING, rotation enabled."""
    secrets = world["clients"]["secretsmanager"]
    # moto 5.2.5 inverts its own rule ("AWSPENDING on the AWSCURRENT version means the rotation
    # finished") and refuses the next RotateSecret: take the finished label off first
    for version, stages in secrets.describe_secret(SecretId=world["arn"]).get("VersionIdsToStages", {}).items():
        if "AWSPENDING" in stages and "AWSCURRENT" in stages:
            secrets.update_secret_version_stage(SecretId=world["arn"], VersionStage="AWSPENDING",
                                                RemoveFromVersionId=version)
    secrets.rotate_secret(
        SecretId=world["arn"], ClientRequestToken=token, RotationLambdaARN=world["function"],
        RotationRules={"AutomaticallyAfterDays": 90}, RotateImmediately=True)


def run_step(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, event: dict[str, Any]) -> None:
    handler(event, None, clients=world["clients"])


def rotate(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    start_rotation(world, token)
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        run_step(world, monkeypatch, {"Step": step, "SecretId": world["arn"], "ClientRequestToken": token})


def keys(world: dict[str, Any], user: str = USER) -> dict[str, str]:
    metadata = world["clients"]["iam"].list_access_keys(UserName=user)["AccessKeyMetadata"]
    return {key["AccessKeyId"]: key["Status"] for key in metadata}


def current(world: dict[str, Any]) -> dict[str, str]:
    value = world["clients"]["secretsmanager"].get_secret_value(SecretId=world["arn"], VersionStage="AWSCURRENT")
    return json.loads(value["SecretString"])


def test_first_rotation_creates_the_key_and_the_person_reads_it_from_the_secret(world, monkeypatch):
    rotate(world, monkeypatch, "00000000-0000-4000-8000-000000000001")
    value = current(world)
    assert keys(world) == {value["AccessKeyId"]: "Active"}
    sts = world["aws"].client("sts", aws_access_key_id=value["AccessKeyId"], aws_secret_access_key=value["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{USER}")


def test_each_rotation_leaves_one_active_key_and_deactivates_the_old_one(world, monkeypatch):
    before = current(world)["AccessKeyId"]
    rotate(world, monkeypatch, "00000000-0000-4000-8000-000000000002")
    after = current(world)["AccessKeyId"]
    assert after != before
    assert keys(world) == {after: "Active", before: "Inactive"}


def test_a_step_already_done_is_not_repeated(world, monkeypatch):
    token = "00000000-0000-4000-8000-000000000002"  # now AWSCURRENT
    run_step(world, monkeypatch, {"Step": "createSecret", "SecretId": world["arn"], "ClientRequestToken": token})
    assert len(keys(world)) == 2


def test_the_old_key_is_deleted_only_after_the_grace_period(world, monkeypatch):
    rotation = Rotation(secret_arn=world["arn"], grace_seconds=7 * 24 * 3600, clients=world["clients"])
    now = datetime.datetime.now(datetime.timezone.utc)
    rotation.cleanup(now=now + datetime.timedelta(days=6))
    assert sorted(keys(world).values()) == ["Active", "Inactive"]
    rotation.cleanup(now=now + datetime.timedelta(days=8))
    assert keys(world) == {current(world)["AccessKeyId"]: "Active"}


def test_a_rotation_within_the_grace_period_deletes_the_inactive_key_first(world, monkeypatch):
    rotate(world, monkeypatch, "00000000-0000-4000-8000-000000000003")
    first_old = [k for k, s in keys(world).items() if s == "Inactive"]
    rotate(world, monkeypatch, "00000000-0000-4000-8000-000000000004")  # IAM allows two keys per user
    statuses = keys(world)
    assert sorted(statuses.values()) == ["Active", "Inactive"] and first_old[0] not in statuses


def test_a_second_active_key_made_by_hand_is_refused_then_deactivated_by_the_cleanup(world, monkeypatch):
    iam = world["clients"]["iam"]
    for key_id, status in keys(world).items():
        if status == "Inactive":
            iam.delete_access_key(UserName=USER, AccessKeyId=key_id)
    stray = iam.create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]
    start_rotation(world, "00000000-0000-4000-8000-000000000005")
    with pytest.raises(RuntimeError, match="refusing to create a third"):
        run_step(world, monkeypatch, {"Step": "createSecret", "SecretId": world["arn"],
                                      "ClientRequestToken": "00000000-0000-4000-8000-000000000005"})
    run_step(world, monkeypatch, {"Cleanup": True, "SecretId": world["arn"], "GraceSeconds": 7 * 24 * 3600})
    assert keys(world)[stray] == "Inactive"
    assert list(keys(world).values()).count("Active") == 1


def test_another_users_keys_are_never_touched(world):
    assert keys(world, OTHER) == {world["other_key"]: "Active"}


def test_the_function_refuses_a_secret_that_names_no_user(world, monkeypatch):
    with pytest.raises(ValueError, match="has no tag constructs-iam:access-key-of"):
        run_step(world, monkeypatch, {"Step": "createSecret", "SecretId": world["untagged"],
                                      "ClientRequestToken": "00000000-0000-4000-8000-000000000009"})


def test_no_secret_value_is_ever_logged(world, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG, logger="constructs_iam.key_rotation")
    iam = world["clients"]["iam"]
    for key_id, status in keys(world).items():
        if status == "Inactive":
            iam.delete_access_key(UserName=USER, AccessKeyId=key_id)
    rotate(world, monkeypatch, "00000000-0000-4000-8000-000000000006")
    value = current(world)
    assert caplog.records, "the function logs its steps"
    assert value["SecretAccessKey"] not in caplog.text and value["AccessKeyId"] not in caplog.text


def test_the_cleanup_leaves_a_rotation_in_progress_alone_so_its_retry_succeeds(world, monkeypatch):
    # a testSecret that failed (IAM slow to propagate) is retried by Secrets Manager with the same
    # version: if the daily cleanup deactivated its key in between, every retry would fail
    iam = world["clients"]["iam"]
    for key_id, status in keys(world).items():
        if status == "Inactive":
            iam.delete_access_key(UserName=USER, AccessKeyId=key_id)
    token = "00000000-0000-4000-8000-000000000007"
    start_rotation(world, token)
    run_step(world, monkeypatch, {"Step": "createSecret", "SecretId": world["arn"], "ClientRequestToken": token})
    run_step(world, monkeypatch, {"Cleanup": True, "SecretId": world["arn"], "GraceSeconds": 7 * 24 * 3600})
    assert sorted(keys(world).values()) == ["Active", "Active"]
    for step in ("testSecret", "finishSecret"):
        run_step(world, monkeypatch, {"Step": step, "SecretId": world["arn"], "ClientRequestToken": token})
    assert keys(world)[current(world)["AccessKeyId"]] == "Active"
    assert list(keys(world).values()).count("Active") == 1


def test_a_stuck_rotations_key_is_deactivated_once_the_grace_period_is_over(world, monkeypatch):
    iam = world["clients"]["iam"]
    for key_id, status in keys(world).items():
        if status == "Inactive":
            iam.delete_access_key(UserName=USER, AccessKeyId=key_id)
    token = "00000000-0000-4000-8000-000000000008"
    start_rotation(world, token)
    run_step(world, monkeypatch, {"Step": "createSecret", "SecretId": world["arn"], "ClientRequestToken": token})
    rotation = Rotation(secret_arn=world["arn"], grace_seconds=7 * 24 * 3600, clients=world["clients"])
    rotation.cleanup(now=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=8))
    # never two active keys longer than the grace period: the person's current key stays on
    statuses = keys(world)
    assert statuses.pop(current(world)["AccessKeyId"]) == "Active"
    assert "Active" not in statuses.values()  # deactivated (and, its grace over too, deleted)
