"""The CI stack: GitHub Actions deploys with the CDK over OIDC, no stored keys (production account)."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from constructs_iam import GitHubActionsRole, GitHubOidcProvider

from .config import AppConfig


class CiStack(Stack):
    """``GitHubOidcProvider`` and the ``GitHubActionsRole`` of ``ci.repository``."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        ci = config.ci
        assert ci is not None
        self.provider = GitHubOidcProvider(self, "GitHub")
        self.role = GitHubActionsRole(
            self, "GitHubActions",
            repository=ci.repository, branches=list(ci.branches), environments=list(ci.environments),
            tags=list(ci.tags), provider=self.provider.provider, deploy_accounts=list(ci.deploy_accounts),
            deploy_regions=list(ci.deploy_regions) or [config.region], workflow=ci.workflow,
            cdk_qualifier=ci.cdk_qualifier, role_name=ci.role_name,
        )
        CfnOutput(self, "GitHubActionsRoleArn", value=self.role.role_arn)
