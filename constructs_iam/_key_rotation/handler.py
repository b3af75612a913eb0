"""Secrets Manager rotation function for one IAM user's access key (shipped with ``HumanUser``).

Secrets Manager calls it with ``Step`` = ``createSecret``, ``setSecret``, ``testSecret`` and
``finishSecret`` (the Lambda rotation contract); a daily EventBridge schedule calls it with
``{"Cleanup": true, "SecretId": ..., "GraceSeconds": ...}`` to delete the old key once the grace
period has passed.

- createSecret: delete any *inactive* key of the user that is not the current one (IAM allows two
  keys per user), create a new key, store it as the secret's ``AWSPENDING`` version.
- setSecret: nothing: IAM made the key live when it created it.
- testSecret: sign ``sts:GetCallerIdentity`` with the pending key (retried while IAM propagates it)
  and check that it is this user's.
- finishSecret: move ``AWSCURRENT`` to the new version, then deactivate every other key of the
  user: two keys are active only between createSecret and finishSecret.
- scheduled cleanup: deactivate any other active key (one created by hand), and delete the
  inactive ones once ``GraceSeconds`` have passed since the current version was created. The key
  of a rotation still in progress (the ``AWSPENDING`` version, e.g. a ``testSecret`` that Secrets
  Manager retries) is left alone until it is ``GraceSeconds`` old: deactivating it would make
  every retry fail; after that it is deactivated like any other.

The user whose keys it manages is named by the secret's tag ``constructs-iam:access-key-of``
(no environment variables); its role allows only that user's keys and that one secret, so a
changed tag can only make the rotation fail. It logs steps and the last four characters of key
ids, never a secret value.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from typing import Any

import boto3

LOG = logging.getLogger("constructs_iam.key_rotation")
LOG.setLevel(logging.INFO)

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"


USER_TAG = "constructs-iam:access-key-of"


def handler(event: dict[str, Any], context: Any = None, *, clients: dict[str, Any] | None = None) -> None:
    """The Lambda entry point. ``clients`` (``iam``, ``secretsmanager``, ``sts_factory``) are for tests."""
    if event.get("Cleanup") is True:
        Rotation(secret_arn=event["SecretId"], grace_seconds=int(event["GraceSeconds"]), clients=clients).cleanup()
        return
    secret_id, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    rotation = Rotation(secret_arn=secret_id, clients=clients)
    if not rotation.ready(token):
        return
    steps = {"createSecret": rotation.create, "setSecret": rotation.set, "testSecret": rotation.test,
             "finishSecret": rotation.finish}
    if step not in steps:
        raise ValueError(f"unknown rotation step {step!r}")
    LOG.info("step %s of %s for user %s", step, secret_id, rotation.user_name)
    steps[step](token)


def _short(key_id: str | None) -> str:
    return f"...{key_id[-4:]}" if key_id else "(none)"


class Rotation:
    def __init__(self, *, secret_arn: str, grace_seconds: int = 0, clients: dict[str, Any] | None = None) -> None:
        self.secret_arn, self.grace_seconds = secret_arn, grace_seconds
        clients = clients or {}
        self.iam = clients.get("iam") or boto3.client("iam")
        self.secrets = clients.get("secretsmanager") or boto3.client("secretsmanager")
        tags = {t["Key"]: t["Value"] for t in self.secrets.describe_secret(SecretId=secret_arn).get("Tags", [])}
        if not tags.get(USER_TAG):
            raise ValueError(f"secret {secret_arn} has no tag {USER_TAG} naming the user whose key it holds")
        self.user_name: str = tags[USER_TAG]
        self._sts_factory = clients.get("sts_factory") or (
            lambda key_id, secret: boto3.client("sts", aws_access_key_id=key_id, aws_secret_access_key=secret))

    # ----------------------------------------------------------------------------- the contract

    def ready(self, token: str) -> bool:
        """Whether ``token`` is a version being rotated (False: already current, nothing to do)."""
        metadata = self.secrets.describe_secret(SecretId=self.secret_arn)
        versions = metadata.get("VersionIdsToStages", {})
        if token not in versions:
            raise ValueError(f"version {token} of {self.secret_arn} has no stage for rotation")
        if CURRENT in versions[token]:
            LOG.info("version %s is already current", token)
            return False
        if PENDING not in versions[token]:
            raise ValueError(f"version {token} of {self.secret_arn} is not pending")
        return True

    def create(self, token: str) -> None:
        try:
            self.secrets.get_secret_value(SecretId=self.secret_arn, VersionId=token, VersionStage=PENDING)
            LOG.info("pending version %s exists already", token)
            return
        except self.secrets.exceptions.ResourceNotFoundException:
            pass
        current = self._current_key_id()
        for key in self._keys():
            if key["AccessKeyId"] != current and key["Status"] == "Inactive":
                # IAM allows two keys: the previous rotation's inactive key goes now
                self.iam.delete_access_key(UserName=self.user_name, AccessKeyId=key["AccessKeyId"])
                LOG.info("deleted inactive key %s before creating the next", _short(key["AccessKeyId"]))
        others = [k for k in self._keys() if k["AccessKeyId"] != current]
        if others:
            raise RuntimeError(
                f"user {self.user_name} has an active key {_short(others[0]['AccessKeyId'])} that is not the "
                "secret's current key; refusing to create a third")
        created = self.iam.create_access_key(UserName=self.user_name)["AccessKey"]
        value = {"AccessKeyId": created["AccessKeyId"], "SecretAccessKey": created["SecretAccessKey"]}
        self.secrets.put_secret_value(SecretId=self.secret_arn, ClientRequestToken=token,
                                      SecretString=json.dumps(value), VersionStages=[PENDING])
        LOG.info("created key %s as pending version %s", _short(created["AccessKeyId"]), token)

    def set(self, token: str) -> None:
        LOG.info("nothing to set: IAM activated the key when it created it")

    def test(self, token: str, attempts: int = 10, delay: float = 3.0) -> None:
        value = json.loads(self.secrets.get_secret_value(
            SecretId=self.secret_arn, VersionId=token, VersionStage=PENDING)["SecretString"])
        sts = self._sts_factory(value["AccessKeyId"], value["SecretAccessKey"])
        for attempt in range(1, attempts + 1):
            try:
                arn = sts.get_caller_identity()["Arn"]
                break
            except Exception as error:  # new keys take seconds to propagate through IAM
                if attempt == attempts:
                    raise RuntimeError(f"the new key {_short(value['AccessKeyId'])} does not sign requests: "
                                       f"{type(error).__name__}") from None
                time.sleep(delay)
        if not arn.endswith(f"/{self.user_name}") or ":user/" not in arn:
            raise RuntimeError(f"the new key signs as {arn}, not as user {self.user_name}")
        LOG.info("key %s signs as %s", _short(value["AccessKeyId"]), arn)

    def finish(self, token: str) -> None:
        metadata = self.secrets.describe_secret(SecretId=self.secret_arn)
        current_version = next((version for version, stages in metadata["VersionIdsToStages"].items()
                                if CURRENT in stages), None)
        if current_version != token:
            self.secrets.update_secret_version_stage(SecretId=self.secret_arn, VersionStage=CURRENT,
                                                     MoveToVersionId=token, RemoveFromVersionId=current_version)
            LOG.info("version %s is current now (was %s)", token, current_version)
        self._deactivate_others()

    # ---------------------------------------------------------------------------------- cleanup

    def cleanup(self, now: datetime.datetime | None = None) -> None:
        """Deactivate stray active keys; delete inactive ones once the grace period is over."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        current = self._current_key_id()
        rotated_at = self.secrets.get_secret_value(SecretId=self.secret_arn, VersionStage=CURRENT)["CreatedDate"]
        if rotated_at.tzinfo is None:
            rotated_at = rotated_at.replace(tzinfo=datetime.timezone.utc)
        pending, pending_at = self._pending_key()
        in_progress = pending if pending_at is not None and (now - pending_at).total_seconds() < self.grace_seconds else None
        if in_progress:
            LOG.info("key %s belongs to a rotation in progress: left alone", _short(in_progress))
        self._deactivate_others(current, keep=in_progress)
        for key in self._keys():
            if key["AccessKeyId"] in (current, in_progress) or key["Status"] != "Inactive":
                continue
            if (now - rotated_at).total_seconds() >= self.grace_seconds:
                self.iam.delete_access_key(UserName=self.user_name, AccessKeyId=key["AccessKeyId"])
                LOG.info("deleted key %s: grace period over", _short(key["AccessKeyId"]))
            else:
                LOG.info("key %s stays inactive until the grace period ends", _short(key["AccessKeyId"]))

    # ---------------------------------------------------------------------------------- helpers

    def _keys(self) -> list[dict[str, Any]]:
        return list(self.iam.list_access_keys(UserName=self.user_name)["AccessKeyMetadata"])

    def _current_key_id(self) -> str | None:
        raw = self.secrets.get_secret_value(SecretId=self.secret_arn, VersionStage=CURRENT)["SecretString"]
        try:
            value = json.loads(raw)
        except ValueError:
            return None  # the placeholder the secret was created with: no key yet
        return value.get("AccessKeyId") if isinstance(value, dict) else None

    def _pending_key(self) -> tuple[str | None, datetime.datetime | None]:
        """The key id of a rotation in progress (an AWSPENDING version that is not current) and when it was made."""
        stages = self.secrets.describe_secret(SecretId=self.secret_arn).get("VersionIdsToStages", {})
        version = next((v for v, labels in stages.items() if PENDING in labels and CURRENT not in labels), None)
        if version is None:
            return None, None
        try:
            pending = self.secrets.get_secret_value(SecretId=self.secret_arn, VersionId=version, VersionStage=PENDING)
            value = json.loads(pending["SecretString"])
        except (self.secrets.exceptions.ResourceNotFoundException, ValueError):
            return None, None  # createSecret has not stored a key yet
        created = pending["CreatedDate"]
        if created.tzinfo is None:
            created = created.replace(tzinfo=datetime.timezone.utc)
        return (value.get("AccessKeyId") if isinstance(value, dict) else None), created

    def _deactivate_others(self, current: str | None = None, keep: str | None = None) -> None:
        current = current or self._current_key_id()
        for key in self._keys():
            if key["AccessKeyId"] not in (current, keep) and key["Status"] == "Active":
                self.iam.update_access_key(UserName=self.user_name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
                LOG.info("deactivated key %s", _short(key["AccessKeyId"]))
