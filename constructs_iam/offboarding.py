"""Offboarding as a state: a person who leaves keeps their IAM user (audit history) and loses everything else.

``HumanUser(..., status=PersonStatus.OFFBOARDED)`` builds an offboarded person:

- no console password (``LoginProfile`` removed) and no access key in the template;
- no group membership (``Groups`` empty);
- a deny-all permissions boundary (``deny_all_boundary``: ``Deny * on *``, one managed policy per
  stack): whatever policy is still attached or attached later, the user can do nothing. A boundary,
  not a user policy, so ``IamGuardrails``' "no policy on a user" rule holds;
- a custom resource (``CredentialRevoker``, one small Lambda function per stack) that removes what
  CloudFormation does not know about: access keys made by rotation or self-service, a console
  password set by hand, memberships added by hand, signing certificates, SSH public keys and
  service-specific credentials. Its role may do exactly that, on exactly the offboarded users.

Sessions already issued live on until they expire (IAM cannot revoke them for a user). The roles
people assume refuse new sessions for an offboarded person: ``refuse_offboarded_sessions(role,
people, account_id)`` adds a ``Deny`` to the role's trust policy for any caller whose
``sts:SourceIdentity`` names one of them (a session chained from an existing one keeps its source
identity), and for the users' own ARNs (``aws:PrincipalArn``).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import _role
from . import _validation as v
from .acknowledgments import acknowledge_wildcard_resources
from .key_policy import kms_key_policy
from .password_policy import _HANDLER_ACKNOWLEDGMENTS  # the same reasons hold for every custom resource handler

from .lifecycle import PERSON_METADATA  # noqa: E402  (the gate reads it without the CDK)

HANDLER_SOURCE = (Path(__file__).parent / "_offboarding_handler.py").read_text()

REVOKE_ACTIONS_ON_USER: tuple[str, ...] = (
    "iam:DeleteLoginProfile",
    "iam:ListAccessKeys",
    "iam:DeleteAccessKey",
    "iam:ListGroupsForUser",
    "iam:ListSigningCertificates",
    "iam:DeleteSigningCertificate",
    "iam:ListSSHPublicKeys",
    "iam:DeleteSSHPublicKey",
    "iam:ListServiceSpecificCredentials",
    "iam:DeleteServiceSpecificCredential",
)
"""What the revoker may do, on the offboarded users' ARNs only."""


class PersonStatus(enum.Enum):
    """Where a person is in their lifecycle."""

    ACTIVE = "active"
    """Signs in, belongs to groups, holds the credentials the configuration gives."""
    OFFBOARDED = "offboarded"
    """Has left: the IAM user stays for audit, with no credential, no group and a deny-all boundary."""


DENY_ALL_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "OffboardedDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}


def deny_all_boundary(scope: Construct) -> iam.ManagedPolicy:
    """The stack's ``OffboardedDenyAll`` managed policy (created once per stack): ``Deny *`` on ``*``,
    used as the permissions boundary of offboarded users."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child("OffboardedDenyAll")
    if existing is not None:
        return cast(iam.ManagedPolicy, existing)
    return iam.ManagedPolicy(
        stack, "OffboardedDenyAll",
        description="Permissions boundary of offboarded people: denies every action",
        document=iam.PolicyDocument.from_json(DENY_ALL_DOCUMENT),
    )


def user_arn(account_id: str, user_name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:user{path}{user_name}"


def refuse_offboarded_sessions(role: iam.Role, people: Sequence[str], *, account_id: str, path: str = "/") -> None:
    """Add to ``role``'s trust policy a ``Deny`` of ``sts:AssumeRole``, ``sts:SetSourceIdentity`` and
    ``sts:TagSession`` for callers whose source identity is one of ``people`` (IAM user names), and for
    those users themselves (``aws:PrincipalArn`` in ``account_id``). Nothing is added for no people.

    Roles that require a source identity pinned to ``${aws:username}`` (``DeveloperReadOnlyRole``) see
    the person's name in every session chained from theirs, so a session issued before offboarding
    cannot open a new one."""
    names = sorted(v.sequence("people", people, what="IAM user names"))
    if not names:
        return
    v.account_id("account_id", account_id)
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    role.assume_role_policy.add_statements(  # type: ignore[union-attr]
        iam.PolicyStatement(
            sid="DenyOffboardedBySourceIdentity", effect=iam.Effect.DENY, actions=actions,
            principals=[iam.AnyPrincipal()],  # a Deny: whoever the caller is
            conditions={"StringEquals": {"sts:SourceIdentity": names}},
        ),
        iam.PolicyStatement(
            sid="DenyOffboardedUsers", effect=iam.Effect.DENY, actions=actions,
            principals=[iam.AnyPrincipal()],
            conditions={"ArnEquals": {"aws:PrincipalArn": [user_arn(account_id, n, path) for n in names]}},
        ),
    )


class CredentialRevoker(Construct):
    """One Lambda-backed custom resource type per stack that revokes an offboarded user's credentials
    (``_offboarding_handler.py``). Use ``CredentialRevoker.of(scope).revoke(user)``; ``HumanUser`` does.

    Its role may call ``REVOKE_ACTIONS_ON_USER`` on the offboarded users' ARNs and
    ``iam:RemoveUserFromGroup`` on this account's groups (IAM authorizes that action on the group,
    and a membership added by hand may be in any group), and write its own encrypted log group."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        key = kms.Key(self, "LogKey", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY,
                      description="Encrypts the offboarding custom resource's logs", policy=kms_key_policy(self))
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchLogsForThisAccountsLogGroups",
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"],
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={"StringLike": {"kms:EncryptionContext:aws:logs:arn":
                                       f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"}},
        ))
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=key,
                                       removal_policy=RemovalPolicy.DESTROY)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="Revokes the credentials of offboarded people (custom resource)")
        self._on_users = iam.PolicyStatement(sid="RevokeOffboardedCredentials", actions=list(REVOKE_ACTIONS_ON_USER))
        groups = stack.format_arn(service="iam", region="", resource="group", resource_name="*")
        self._from_groups = iam.PolicyStatement(sid="RemoveOffboardedFromGroups", actions=["iam:RemoveUserFromGroup"],
                                                resources=[groups])
        policy = iam.ManagedPolicy(self, "Policy", roles=[self.role],
                                   description="Revoke offboarded people's credentials; write own logs",
                                   statements=[self._on_users, self._from_groups, iam.PolicyStatement(
                                       sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                       resources=[self.log_group.log_group_arn])])
        acknowledge_wildcard_resources(
            policy, [groups],
            "iam:RemoveUserFromGroup is authorized on the group, and an offboarded person may have been added "
            "to any group by hand; the handler only removes, and only the users named by this stack's "
            "offboarding resources.")
        self.function = _role.handler_function(
            self, source=HANDLER_SOURCE, role=self.role, log_group=self.log_group, policy=policy,
            timeout=Duration.minutes(2), description="Revokes offboarded people's credentials (CloudFormation custom resource)",
            acknowledgments=list(_HANDLER_ACKNOWLEDGMENTS.items()))

    @classmethod
    def of(cls, scope: Construct) -> CredentialRevoker:
        """The stack's revoker (created on first use)."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child("OffboardingRevoker")
        return cast(CredentialRevoker, existing) if existing is not None else cls(stack, "OffboardingRevoker")

    def revoke(self, scope: Construct, user: iam.User) -> CustomResource:
        """A ``Custom::OffboardedCredentials`` resource under ``scope`` that revokes ``user``'s credentials
        when it is created (the deploy that offboards the person) and again when its properties change.
        It refers to the user, so CloudFormation has already removed the password and groups and set the
        boundary when it runs."""
        self._on_users.add_resources(user.user_arn)
        resource = CustomResource(
            scope, "RevokeCredentials", service_token=self.function.function_arn,
            resource_type="Custom::OffboardedCredentials", properties={"UserName": user.user_name},
        )
        return resource  # its Ref to the user orders it after the user's update

