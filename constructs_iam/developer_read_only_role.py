"""DeveloperReadOnlyRole: developers see production's configuration, never its data.

Deployed in the production account, assumed from the identity account, only with fresh MFA, for a
short session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _nag, _role
from . import _validation as v
from ._pattern import RolePattern
from .trust import MAX_MFA_AGE_LIMIT, check_principal_arns, cross_account_principal

VIEW_ONLY_POLICY = "job-function/ViewOnlyAccess"
"""AWS managed, maintained by AWS as services launch: List/Describe/Get of configuration and
metadata (about 1,700 actions), and no credential-exposure action (measured with cloudsplaining)."""

DENIED_DATA_ACTIONS: tuple[str, ...] = (
    # S3 object contents
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTorrent",
    "s3:GetObjectVersionTorrent",
    # secret and parameter values, decryption
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    # database items and query results
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:GetRecords",
    "dynamodb:ExportTableToPointInTime",
    "rds-data:ExecuteStatement",
    "rds-data:BatchExecuteStatement",
    "athena:GetQueryResults",
    # queue messages and stream records
    "sqs:ReceiveMessage",
    "kinesis:GetRecords",
    "kinesis:SubscribeToShard",
    # calls that issue credentials or open sessions
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "sts:GetSessionToken",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "ecr:GetAuthorizationToken",
    "codeartifact:GetAuthorizationToken",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "rds-db:connect",
    "ec2:GetPasswordData",
    "ec2-instance-connect:SendSSHPublicKey",
    "ssm:StartSession",
    # function code (a download URL) can embed secrets
    "lambda:GetFunction",
)
"""Explicitly denied, whatever ViewOnlyAccess grants today or tomorrow: the data itself."""

Grantee = Union[iam.IGroup, iam.IRole, iam.IUser]


class DeveloperReadOnlyRole(RolePattern):
    """A production role that developers from the identity account assume to look, not touch.

    Trust: ``arn:aws:iam::<trusted_account_id>:root`` (optionally only ``trusted_principal_arns``
    via ``aws:PrincipalArn``), only with ``aws:MultiFactorAuthPresent`` true and
    ``aws:MultiFactorAuthAge`` below ``max_mfa_age``.

    Permissions: AWS managed ``ViewOnlyAccess`` plus a customer managed policy that denies
    ``DENIED_DATA_ACTIONS`` (and ``additional_denied_actions``) on ``*``.

    :param trusted_account_id: the identity account developers come from (12 digits).
    :param max_session_duration: 1 to 12 hours. Default: one hour.
    :param trusted_principal_arns: only these roles/users of the trusted account. Default: any
        principal that the identity account allows (through its groups) to assume the role.
    :param max_mfa_age: how recent the caller's MFA sign-in must be, 1 minute to 12 hours.
        Default: one hour.
    :param additional_denied_actions: more actions to deny, e.g. ``["logs:GetLogEvents"]``.
        Default: none.
    :param role_name: the IAM role name; set it so the identity account can name the role's ARN.
        Default: generated.
    :param path: the IAM path. Default: ``/``.
    :param description: the role's description. Default: a sentence naming the pattern.
    :param permissions_boundary: a managed policy capping the role. Default: none.

    ``.policy`` (also ``.deny_policy``) is the pattern's own managed policy. The role holds only
    that and ``ViewOnlyAccess``: anything else reaching it fails synth with
    ``IamGuardrails-PatternWidened``; ``extend_policy(statements, reason=...)`` widens it on purpose.
    """

    WIDEN_FIX = ("developers only look: deny more with additional_denied_actions, or give write access "
                 "through a separate, reviewed break-glass role")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        trusted_account_id: str,
        max_session_duration: Duration = v.ONE_HOUR,
        trusted_principal_arns: Sequence[str] = (),
        max_mfa_age: Duration = v.ONE_HOUR,
        additional_denied_actions: Sequence[str] = (),
        role_name: str | None = None,
        path: str = "/",
        description: str | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        extra: list[str] = []
        with v.Checks(self) as check:
            check(v.account_id, "trusted_account_id", trusted_account_id)
            check(v.duration_between, "max_session_duration", max_session_duration, v.ONE_HOUR, v.TWELVE_HOURS)
            check(v.duration_between, "max_mfa_age", max_mfa_age, v.ONE_MINUTE, MAX_MFA_AGE_LIMIT)
            check(check_principal_arns, "trusted_principal_arns", trusted_principal_arns, trusted_account_id)
            with check.each():
                extra = v.sequence("additional_denied_actions", additional_denied_actions, what="IAM actions")
                for action in extra:
                    if not isinstance(action, str) or not _is_action(action):
                        raise v.fail("additional_denied_actions", action, "must be an IAM action such as 'logs:GetLogEvents'")
            check(_role.check_role_props, role_name=role_name, path=path, description=description,
                  permissions_boundary=permissions_boundary)
        self.trusted_account_id = trusted_account_id
        self.max_mfa_age = max_mfa_age
        self.role_name = role_name
        self.path = path
        self.role: iam.Role = _role.build_role(
            self,
            assumed_by=cross_account_principal(
                trusted_account_id,
                principal_arns=trusted_principal_arns,
                require_mfa=True,
                max_mfa_age=max_mfa_age,
            ),
            role_name=role_name,
            path=path,
            description=description
            or "Developers: read-only view of configuration, no data, MFA required",
            permissions_boundary=permissions_boundary,
            max_session_duration=max_session_duration,
        )
        view_only = iam.ManagedPolicy.from_aws_managed_policy_name(VIEW_ONLY_POLICY)
        self.role.add_managed_policy(view_only)
        self.deny_policy: iam.ManagedPolicy = _role.attach_policy(
            self,
            self.role,
            [
                iam.PolicyStatement(
                    sid="DenyDataAndCredentials",
                    effect=iam.Effect.DENY,
                    actions=sorted(set(DENIED_DATA_ACTIONS) | set(extra)),
                    resources=["*"],  # a Deny: the data is refused wherever it is
                )
            ],
            "Denies reading data (objects, secrets, parameters, items, messages) and issuing credentials",
            id="DenyDataAccess",
        )
        _nag.acknowledge(
            self.role,
            f"AwsSolutions-IAM4[Policy::{_nag.flatten(Stack.of(self).resolve(view_only.managed_policy_arn))}]",
            "ViewOnlyAccess is the AWS-maintained job-function policy for viewing configuration and "
            "metadata across services (no credential-exposure actions); data reads are explicitly "
            "denied by the DenyDataAccess policy attached to the same role.",
        )
        self.policy: iam.ManagedPolicy = self.deny_policy
        self._seal(scope, policies=[self.deny_policy], allowed_managed_policy_arns=[view_only.managed_policy_arn],
                   policy_ids=["DenyDataAccess"])

    # ----------------------------------------------------------------------------------- grants

    @staticmethod
    def arn_for(*, account_id: str, role_name: str, path: str = "/", partition: str = "aws") -> str:
        """The ARN of a role named ``role_name`` in ``account_id``, for use in another account."""
        v.account_id("account_id", account_id)
        v.iam_name("role_name", role_name, max_length=64)
        v.iam_path("path", path)
        return f"arn:{partition}:iam::{account_id}:role{path}{role_name}"

    @staticmethod
    def grant_assume_by_arn(
        scope: Construct,
        id: str,
        *,
        role_arn: str,
        grantee: Grantee,
        max_mfa_age: Duration = v.ONE_HOUR,
    ) -> iam.ManagedPolicy:
        """Let ``grantee`` (a group, role or user) call ``sts:AssumeRole`` on ``role_arn``, with MFA.

        Creates a customer managed policy in ``scope`` attached to ``grantee``; the condition
        matches the role's trust policy, so a caller without fresh MFA is refused on both sides.
        """
        if not v.is_token(role_arn) and (
            not isinstance(role_arn, str) or not role_arn.startswith("arn:") or ":role/" not in role_arn or "*" in role_arn
        ):
            raise v.fail("role_arn", role_arn, "must be one IAM role ARN without wildcards")
        v.duration_between("max_mfa_age", max_mfa_age, v.ONE_MINUTE, MAX_MFA_AGE_LIMIT)
        statement = iam.PolicyStatement(
            sid="AssumeDeveloperReadOnlyWithMfa",
            actions=["sts:AssumeRole"],
            resources=[role_arn],
            conditions={
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "NumericLessThan": {"aws:MultiFactorAuthAge": str(int(max_mfa_age.to_seconds()))},
            },
        )
        policy = iam.ManagedPolicy(
            scope, id, statements=[statement], description="Assume the production read-only developer role with MFA"
        )
        if v.has(grantee, "group_arn"):
            policy.attach_to_group(grantee)  # type: ignore[arg-type]
        elif v.has(grantee, "role_arn"):
            policy.attach_to_role(grantee)  # type: ignore[arg-type]
        elif v.has(grantee, "user_arn"):
            policy.attach_to_user(grantee)  # type: ignore[arg-type]
        else:
            raise v.fail("grantee", grantee, "must be an aws_iam.IGroup, IRole or IUser")
        return policy

    def grant_assume(self, grantee: Grantee, *, scope: Construct | None = None, id: str | None = None) -> iam.ManagedPolicy:
        """Let ``grantee`` assume this role with MFA (see ``grant_assume_by_arn``).

        The policy is created in ``scope`` (default: the grantee's stack). When that stack is not
        this role's stack (the usual case: the identity account), the role is named by a literal
        ARN built from ``role_name``, so no cross-account reference is needed; ``role_name`` is
        then required.
        """
        target_scope = scope or Stack.of(grantee)
        if Stack.of(target_scope) is Stack.of(self):
            arn = self.role.role_arn
        else:
            account = Stack.of(self).account
            if self.role_name is None or Token.is_unresolved(account):
                raise v.fail(
                    "role_name",
                    self.role_name,
                    "must be set, and this role's stack must have an explicit account, to grant "
                    "assume from another stack (its ARN is written literally there)",
                )
            arn = self.arn_for(account_id=account, role_name=self.role_name, path=self.path, partition=Stack.of(self).partition)
        return self.grant_assume_by_arn(
            target_scope,
            id or f"Assume{self.node.id}",
            role_arn=arn,
            grantee=grantee,
            max_mfa_age=self.max_mfa_age,
        )


def _is_action(action: str) -> bool:
    service, _, name = action.partition(":")
    return bool(service) and bool(name) and service.replace("-", "").isalnum() and name.replace("*", "").isalnum()
