"""Key policies as tight as the role policies (public API): ``kms_key_policy``.

CDK's default key policy gives the account root ``kms:*``: every IAM principal that an identity
policy allows may then use, re-grant and reconfigure the key. AWS's KMS best practices separate
the two jobs and limit grants; this policy does:

- ``KeyAdministration``: the account (so IAM decides *who* administers, and the key can never
  become unmanageable) may administer the key, with an exact list of actions: no use of the key,
  no ``kms:CreateGrant``, and no ``kms:DisableKeyRotation`` (rotation stays on);
- ``UseOnlyThroughServices`` (with ``used_through``): principals of this account may encrypt,
  decrypt and generate data keys only through those services (``kms:ViaService``) and only as
  callers of this account (``kms:CallerAccount``);
- ``GrantsOnlyForAwsResources`` (with ``used_through``): ``kms:CreateGrant`` only when an
  integrated AWS service asks for it on a principal's behalf (``kms:GrantIsForAWSResource``),
  through the same services.

- ``DenyGrantsNotForAwsResources`` (always): an explicit Deny of ``kms:CreateGrant`` to every
  principal (``"*"``) unless an AWS service asks for it, with ``BoolIfExists`` false on both
  ``kms:GrantIsForAWSResource`` and ``aws:PrincipalIsAWSService`` (AWS Control Tower's proactive
  control CT.KMS.PR.3 requires exactly this statement). Whatever an identity policy or a later
  statement of the key allows, nobody can grant the key's use to someone else.

Service principals that encrypt for themselves (CloudWatch Logs, EventBridge) are added by the
construct that needs them, each with its own condition.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from . import _facts
from . import _validation as v

ADMIN_ACTIONS: tuple[str, ...] = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
"""Administration without use: manage, describe, tag, schedule deletion, rotate."""

USE_ACTIONS: tuple[str, ...] = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


DENY_GRANTS_NOT_FOR_AWS_RESOURCES: dict[str, object] = {
    "Sid": "DenyGrantsNotForAwsResources",
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "kms:CreateGrant",
    "Resource": "*",
    "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
}
"""The statement AWS Control Tower's CT.KMS.PR.3 looks for, in every key policy of the library."""


def kms_key_policy(scope: IConstruct, *, used_through: Sequence[str] = ()) -> iam.PolicyDocument:
    """The key policy above, for a key in ``scope``'s stack.

    :param used_through: the services that may use the key for this account's principals, as
        service names (``"s3"``, ``"secretsmanager"``); each becomes ``<name>.<region>.amazonaws.com``
        in ``kms:ViaService``. Default: none (only the statements a construct adds itself).

    Pass it as ``kms.Key(..., policy=kms_key_policy(self, used_through=["s3"]))``.
    """
    if not v.has(scope, "node"):
        raise v.fail("scope", scope, "must be a construct (the key's scope: its stack gives the account and region)")
    services = v.sequence("used_through", used_through, what="service names")
    for service in services:
        if not isinstance(service, str) or not service.replace("-", "").isalnum():
            raise v.fail("used_through", service, "must be a service name such as 's3' or 'secretsmanager'")
    facts = _facts.stack(Stack.of(scope))  # region and account read once per stack
    account = {"AWS": f"arn:{facts.partition}:iam::{facts.account}:root"}  # what iam.AccountRootPrincipal renders
    statements: list[dict[str, object]] = [
        # in a key policy, "*" means this key
        {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": account, "Action": list(ADMIN_ACTIONS), "Resource": "*"},
        dict(DENY_GRANTS_NOT_FOR_AWS_RESOURCES),
    ]
    if services:
        via = [f"{service}.{facts.region}.amazonaws.com" for service in services]
        scoped = {"StringEquals": {"kms:ViaService": via if len(via) > 1 else via[0], "kms:CallerAccount": facts.account}}
        statements += [
            {"Sid": "UseOnlyThroughServices", "Effect": "Allow", "Principal": account, "Action": list(USE_ACTIONS),
             "Resource": "*", "Condition": scoped},
            {"Sid": "GrantsOnlyForAwsResources", "Effect": "Allow", "Principal": account, "Action": "kms:CreateGrant",
             "Resource": "*", "Condition": {**scoped, "Bool": {"kms:GrantIsForAWSResource": "true"}}},
        ]
    # one object for CDK: the statements as data (kms.Key adds its own statements to this document)
    return iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": statements})
