"""DeveloperReadOnlyPermissionSet: the developer access of ``DeveloperReadOnlyRole``, for people who
sign in through IAM Identity Center."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import Aws, Duration
from aws_cdk import aws_sso as sso
from constructs import Construct

from . import _validation as v
from .developer_access import DeveloperAccess, DeveloperExtra, check_level, classified_actions, developer_policies

_INSTANCE_ARN = v.SSO_INSTANCE_ARN
_GROUP_ID = v.IDENTITY_STORE_GROUP_ID
_NAME = v.PERMISSION_SET_NAME
MAX_INLINE_POLICY_CHARACTERS = 32768
"""IAM Identity Center's limit for a permission set's inline policy."""


class DeveloperReadOnlyPermissionSet(Construct):
    """A permission set giving exactly what ``DeveloperReadOnlyRole`` gives, from the same policy
    source (``developer_policies``): the level's AWS managed policy, and the same deny statements as
    one inline policy; a short session; optionally assigned to one group in some accounts.

    :param instance_arn: the IAM Identity Center instance (``arn:aws:sso:::instance/ssoins-...``).
    :param access: the level. Default: ``DeveloperAccess.CONFIGURATION``.
    :param extras: data opened by name (``DeveloperExtra.LOGS``, ``TRACES``). Default: none.
    :param additional_denied_actions: more actions to deny. Default: none.
    :param session_duration: 1 to 12 hours. Default: one hour.
    :param name: the permission set's name (1-32 characters). Default: ``DeveloperReadOnly``.
    :param group_id: the Identity Center group to assign (its identity store id). Default: none.
    :param account_ids: the accounts to assign the group in (needs ``group_id``). Default: none.

    Deploy it in the organization's management account (or Identity Center's delegated
    administrator), where the Identity Center instance lives.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance_arn: str,
        access: DeveloperAccess = DeveloperAccess.CONFIGURATION,
        extras: Sequence[DeveloperExtra] = (),
        additional_denied_actions: Sequence[str] = (),
        session_duration: Duration = v.ONE_HOUR,
        name: str = "DeveloperReadOnly",
        group_id: str | None = None,
        account_ids: Sequence[str] = (),
    ) -> None:
        v.construct_id(type(self).__name__, scope, id)
        super().__init__(scope, id)
        accounts: list[str] = []
        with v.Checks(self) as check:
            if not v.is_token(instance_arn) and (not isinstance(instance_arn, str) or not v.matches(_INSTANCE_ARN, instance_arn)):
                check.fail("instance_arn", instance_arn,
                                                 "must be an IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-...)")
            opened, extra = check_level(check, access, extras, additional_denied_actions)
            v.warn_unknown_actions("additional_denied_actions", extra, classified_actions(), "the developer role is granted")
            check(v.duration_between, "session_duration", session_duration, v.ONE_HOUR, v.TWELVE_HOURS)
            if not isinstance(name, str) or not v.matches(_NAME, name):
                check.fail("name", name, "must be 1 to 32 letters, digits or +=,.@_-")
            if group_id is not None and not v.is_token(group_id) and (not isinstance(group_id, str) or not v.matches(_GROUP_ID, group_id)):
                check.fail("group_id", group_id, "must be an identity store group id")
            listed = check(v.sequence, "account_ids", account_ids, what="account ids") or []
            for account in listed:
                if check(v.account_id, "account_ids", account) is not None:
                    accounts.append(account)
            check(v.unique_items, "account_ids", listed)  # in Python: two assignments with one id crash in jsii
            if accounts and group_id is None:
                check.fail("account_ids", accounts, "need group_id: who is assigned there")
            if not check.problems:
                policies = developer_policies(access, opened, extra, partition=Aws.PARTITION)
                statements = [s for document in policies.deny_documents for s in document["Statement"]]
                self.inline_policy = {"Version": "2012-10-17", "Statement": statements}
                if len(json.dumps(self.inline_policy, separators=(",", ":"))) > MAX_INLINE_POLICY_CHARACTERS:
                    check.fail("additional_denied_actions", len(extra),
                                                     "make the inline policy longer than Identity Center's 32,768 characters")
        self.managed_policy_arns = [f"arn:{Aws.PARTITION}:iam::aws:policy/{policies.managed_policy}"]
        self.denied_actions = policies.denied_actions
        self.permission_set = sso.CfnPermissionSet(
            self, "Resource", instance_arn=instance_arn, name=name,
            description="Developers: read-only view of configuration, no data (constructs-iam)",
            managed_policies=self.managed_policy_arns, inline_policy=self.inline_policy,
            session_duration=iso_duration(v.seconds_of(session_duration) or 3600),
        )
        self.assignments = [
            sso.CfnAssignment(
                self, f"Assignment{account}", instance_arn=instance_arn,
                permission_set_arn=self.permission_set.attr_permission_set_arn,
                principal_id=group_id, principal_type="GROUP",  # type: ignore[arg-type]
                target_id=account, target_type="AWS_ACCOUNT",
            )
            for account in accounts
        ]


def iso_duration(seconds: float) -> str:
    """``seconds`` exactly as an ISO-8601 duration (``PT1H30M``): 90 minutes stay 90 minutes."""
    whole = int(seconds)
    if whole != seconds:
        raise v.fail("session_duration", seconds, "must be a whole number of seconds")
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n) if whole else "PT0S"
