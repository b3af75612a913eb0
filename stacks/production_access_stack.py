"""The production-access stack: the role developers assume from the identity account."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from constructs import Construct

from constructs_iam import DeveloperAccess, DeveloperExtra, DeveloperReadOnlyRole

from .config import AppConfig


def developer_role(scope: Construct, config: AppConfig) -> DeveloperReadOnlyRole:
    """The developer role as the configuration describes it (one account or every account of the OUs)."""
    return DeveloperReadOnlyRole(
        scope,
        "DeveloperReadOnly",
        trusted_account_id=config.identity_account_id,
        trusted_principal_arns=list(config.developer_trusted_principal_arns),
        role_name=config.developer_role_name,
        max_session_duration=Duration.hours(config.developer_session_hours),
        access=DeveloperAccess(config.developer_access),
        extras=[DeveloperExtra(extra) for extra in config.developer_extras],
    )


class ProductionAccessStack(Stack):
    """``DeveloperReadOnlyRole``, trusted by the identity account, MFA required."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.developer_role = developer_role(self, config)
        CfnOutput(self, "DeveloperRoleArn", value=self.developer_role.role.role_arn)
