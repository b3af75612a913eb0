"""SupportRole: a role to manage incidents with AWS Support (CIS AWS Foundations 1.16)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _nag, _role
from . import _validation as v
from .acknowledgments import acknowledge
from ._pattern import RolePattern
from .trust import MAX_MFA_AGE_LIMIT, check_principal_arns, cross_account_principal

SUPPORT_POLICY = "AWSSupportAccess"


class SupportRole(RolePattern):
    """A role with AWS's ``AWSSupportAccess`` (open and follow support cases), assumed from the
    identity account with fresh MFA and the caller's own IAM user name as its source identity
    (``sts:SourceIdentity`` equal to ``${aws:username}``, required by the trust; callers run
    ``aws sts assume-role --source-identity <their user name> ...``), like ``DeveloperReadOnlyRole``.

    :param trusted_account_id: the account the support engineers come from (12 digits).
    :param trusted_principal_arns: only these roles/users there. Default: any the account allows.
    :param max_session_duration: 1 to 12 hours. Default: one hour.
    :param max_mfa_age: 1 minute to 12 hours. Default: one hour.
    :param role_name: the IAM role name. Default: generated.
    :param path: the IAM path. Default: ``/``.
    :param description: the role's description. Default: a sentence naming the pattern.
    :param permissions_boundary: a managed policy capping the role. Default: none.

    ``.policy`` is the AWS managed ``AWSSupportAccess``; the role holds nothing else.
    """

    WIDEN_FIX = "a support role only talks to AWS Support: give other access through its own role"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        trusted_account_id: str,
        trusted_principal_arns: Sequence[str] = (),
        max_session_duration: Duration = v.ONE_HOUR,
        max_mfa_age: Duration = v.ONE_HOUR,
        role_name: str | None = None,
        path: str = "/",
        description: str | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            check(v.account_id, "trusted_account_id", trusted_account_id)
            check(check_principal_arns, "trusted_principal_arns", trusted_principal_arns, trusted_account_id)
            check(v.duration_between, "max_session_duration", max_session_duration, v.ONE_HOUR, v.TWELVE_HOURS)
            check(v.duration_between, "max_mfa_age", max_mfa_age, v.ONE_MINUTE, MAX_MFA_AGE_LIMIT)
            _role.check_role_props(check, role_name=role_name, path=path, description=description,
                  permissions_boundary=permissions_boundary)
        self.role: iam.Role = _role.build_role(
            self,
            assumed_by=cross_account_principal(trusted_account_id, principal_arns=trusted_principal_arns,
                                               require_mfa=True, max_mfa_age=max_mfa_age,
                                               require_source_identity=True),
            role_name=role_name, path=path,
            description=description or "AWS Support cases (CIS 1.16), MFA required",
            permissions_boundary=permissions_boundary, max_session_duration=max_session_duration,
        )
        # the caller names itself in the same AssumeRole call (its own IAM user name, pinned by the trust)
        self.role.node.default_child.add_property_override(  # type: ignore[union-attr]
            "AssumeRolePolicyDocument.Statement.0.Action", ["sts:AssumeRole", "sts:SetSourceIdentity"])
        support = iam.ManagedPolicy.from_aws_managed_policy_name(SUPPORT_POLICY)
        self.role.add_managed_policy(support)
        self.policy = support  # type: ignore[assignment]  # an IManagedPolicy: AWS maintains it
        acknowledge(
            self.role,
            f"AwsSolutions-IAM4[Policy::{_nag.flatten(Stack.of(self).resolve(support.managed_policy_arn))}]",
            "CIS AWS Foundations 1.16 asks for a support role with the AWS managed AWSSupportAccess policy; it "
            "grants only the AWS Support API (support:*), kept current by AWS.",
        )
        self._seal(scope, policies=[], allowed_managed_policy_arns=[support.managed_policy_arn], policy_ids=[],
                   trust_actions=["sts:AssumeRole", "sts:SetSourceIdentity"])
