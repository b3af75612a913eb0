"""DeveloperReadOnlyPermissionSet: the developer access of ``DeveloperReadOnlyRole``, for people who
sign in through IAM Identity Center."""

from __future__ import annotations

import json
from collections.abc import Sequence

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sso as sso
from constructs import Construct

from . import _validation as v
from .acknowledgments import acknowledge_findings
from .developer_access import (
    MAX_ROLE_INLINE_CHARACTERS,
    DeveloperAccess,
    DeveloperExtra,
    allow_documents,
    check_level,
    classified_actions,
    developer_policies,
)

_INSTANCE_ARN = v.SSO_INSTANCE_ARN
_GROUP_ID = v.IDENTITY_STORE_GROUP_ID
_NAME = v.PERMISSION_SET_NAME
MAX_INLINE_POLICY_CHARACTERS = MAX_ROLE_INLINE_CHARACTERS
"""Identity Center accepts 32,768 characters, but the inline policy becomes the inline policy of a
role in every assigned account, where IAM's 10,240 characters for a role's inline policies apply."""
POLICY_PATH = "/constructs-iam/"
"""The IAM path of the customer managed policies a permission set references."""


def policy_names(name: str, count: int) -> list[str]:
    """The names of the ``count`` allow policies of the permission set called ``name``."""
    return [f"{name}ReadConfiguration" + (str(i + 1) if i else "") for i in range(count)]


class DeveloperReadOnlyPolicies(Construct):
    """The customer managed policies that ``DeveloperReadOnlyPermissionSet`` references, created in
    one account: deploy it in every account the permission set is assigned in (the sample app does
    so in the production-access stack and its StackSet template when Identity Center is
    configured), with the same ``name``, ``access`` and ``extras`` as the permission set.

    A permission set names customer managed policies by name and path; Identity Center fails the
    assignment in an account where they do not exist.

    :param name: the permission set's name. Default: ``DeveloperReadOnly``.
    :param access: the level. Default: ``DeveloperAccess.CONFIGURATION``.
    :param extras: reads opened by name. Default: none.
    """

    def __init__(self, scope: Construct, id: str, *, name: str = "DeveloperReadOnly",
                 access: DeveloperAccess = DeveloperAccess.CONFIGURATION,
                 extras: Sequence[DeveloperExtra] = ()) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            if not v.matches(_NAME, name):
                check.fail("name", name, "must be 1 to 32 letters, digits or +=,.@_-")
            opened, _ = check_level(check, access, extras, ())
        documents = allow_documents(access, opened)
        self.policies: list[iam.ManagedPolicy] = []
        for policy_name, document in zip(policy_names(name, len(documents)), documents):
            policy = iam.ManagedPolicy(self, policy_name, managed_policy_name=policy_name, path=POLICY_PATH,
                                       document=iam.PolicyDocument.from_json(document),
                                       description="Reads of configuration for the developer permission set")
            acknowledge_findings(policy, ["AwsSolutions-IAM5[Resource::*]"] + [
                f"AwsSolutions-IAM5[Action::{p}]" for p in document["Statement"][0]["Action"] if "*" in p],
                "generated allow-list of configuration reads (constructs_iam/data): every wildcard matches only "
                "catalog actions classified config; the permission set's inline Deny backstop holds the data families")
            self.policies.append(policy)


class DeveloperReadOnlyPermissionSet(Construct):
    """A permission set giving exactly what ``DeveloperReadOnlyRole`` gives, from the same policy
    source (``developer_policies``): the Deny backstop as its inline policy (within the 10,240
    characters IAM allows a role's inline policies in each account), and the packed allow-list as
    references to customer managed policies (``<name>ReadConfiguration``, ``...2``, path
    ``/constructs-iam/``), which ``DeveloperReadOnlyPolicies`` creates in every assigned account;
    no AWS managed policy; a short session; optionally assigned to one group in some accounts.

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
        with v.construct_id(type(self).__name__, scope, id):
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
                self.inline_policy = policies.deny_document
                if len(json.dumps(self.inline_policy, separators=(",", ":"))) > MAX_INLINE_POLICY_CHARACTERS:
                    check.fail("additional_denied_actions", len(extra),
                               f"make the inline policy longer than the {MAX_INLINE_POLICY_CHARACTERS:,} characters IAM "
                               "allows a role's inline policies in each assigned account")
        self.managed_policy_arns: list[str] = []  # no AWS managed policy
        self.customer_managed_policies = [{"Name": n, "Path": POLICY_PATH}
                                          for n in policy_names(name, len(policies.allow_documents))]
        self.allow_documents = policies.allow_documents
        self.denied_actions = policies.denied_actions
        self.permission_set = sso.CfnPermissionSet(
            self, "Resource", instance_arn=instance_arn, name=name,
            description="Developers: read-only view of configuration, no data (constructs-iam)",
            inline_policy=self.inline_policy,
            customer_managed_policy_references=[
                sso.CfnPermissionSet.CustomerManagedPolicyReferenceProperty(name=r["Name"], path=r["Path"])
                for r in self.customer_managed_policies],
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
