"""The production-access stack: the role developers assume from the identity account."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_iam import (
    AccessAnalyzer,
    DeveloperAccess,
    DeveloperExtra,
    DeveloperReadOnlyPolicies,
    DeveloperReadOnlyRole,
    SupportRole,
    refuse_offboarded_sessions,
)

from .config import AppConfig


def developer_role(scope: Construct, config: AppConfig) -> DeveloperReadOnlyRole:
    """The developer role as the configuration describes it (one account or every account of the OUs)."""
    role = DeveloperReadOnlyRole(
        scope,
        "DeveloperReadOnly",
        trusted_account_id=config.identity_account_id,
        trusted_principal_arns=list(config.developer_trusted_principal_arns),
        role_name=config.developer_role_name,
        max_session_duration=Duration.hours(config.developer_session_hours),
        access=DeveloperAccess(config.developer_access),
        extras=[DeveloperExtra(extra) for extra in config.developer_extras],
    )
    refuse_offboarded(role.role, config)
    return role


def refuse_offboarded(role: iam.Role, config: AppConfig) -> None:
    """An offboarded person opens no new session of a role people assume, even from a session
    issued before (its source identity names them). Nor does the old user a declared rename leaves
    behind (CloudFormation replaced it and retained the old one, with its password and groups)."""
    offboarded = [user.name for user in config.identity.users if user.offboarded]
    offboarded += [user.renamed_from for user in config.identity.users if user.renamed_from]
    refuse_offboarded_sessions(role, offboarded, account_id=config.identity_account_id)


def permission_set_policies(scope: Construct, config: AppConfig) -> DeveloperReadOnlyPolicies | None:
    """The customer managed policies the Identity Center permission set references, in this account
    (a permission set names them; each assigned account must hold them), when Identity Center is configured."""
    ic = config.identity_center
    if ic is None:
        return None
    return DeveloperReadOnlyPolicies(scope, "PermissionSetPolicies", name=ic.name, access=DeveloperAccess(ic.access),
                                     extras=[DeveloperExtra(e) for e in ic.extras])


def account_baseline(scope: Construct, config: AppConfig) -> tuple[SupportRole, AccessAnalyzer]:
    """CIS 1.16 and 1.19 in a production account: the support role (MFA from the identity
    account) and IAM Access Analyzer in this region."""
    support = SupportRole(scope, "Support", trusted_account_id=config.identity_account_id,
                          role_name=config.support_role_name)
    refuse_offboarded(support.role, config)
    return support, AccessAnalyzer(scope, "AccessAnalyzer")


class ProductionAccessStack(Stack):
    """``DeveloperReadOnlyRole``, trusted by the identity account, MFA required."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.developer_role = developer_role(self, config)
        self.support_role, self.analyzer = account_baseline(self, config)
        self.permission_set_policies = permission_set_policies(self, config)
        CfnOutput(self, "DeveloperRoleArn", value=self.developer_role.role.role_arn)
