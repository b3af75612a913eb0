"""The production-access role in every account of some OUs, through a service-managed StackSet."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from cdk_stacksets import (
    Capability,
    DeploymentType,
    OperationPreferences,
    RegionConcurrencyType,
    StackSet,
    StackSetStack,
    StackSetTarget,
    StackSetTemplate,
)
from constructs import Construct

from .config import AppConfig
from .production_access_stack import account_baseline, developer_role, permission_set_policies


class ProductionAccessStackSetTemplate(StackSetStack):
    """What each target account gets: ``DeveloperReadOnlyRole`` trusted by the identity account."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig) -> None:
        super().__init__(scope, id)
        self.developer_role = developer_role(self, config)
        self.support_role, self.analyzer = account_baseline(self, config)
        self.permission_set_policies = permission_set_policies(self, config)


class ProductionAccessStackSetStack(Stack):
    """Deployed in the management (or delegated administrator) account; auto-deploys to new accounts."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        settings = config.stacksets
        self.template_stack = ProductionAccessStackSetTemplate(self, "ProductionAccess", config=config)
        self.stack_set = StackSet(
            self,
            "StackSet",
            stack_set_name=f"{config.stack_prefix}-ProductionAccess",
            description="constructs-iam: MFA-only read-only developer role in every account of the OUs",
            template=StackSetTemplate.from_stack_set_stack(self.template_stack),
            target=StackSetTarget.from_organizational_units(
                organizational_units=list(settings.organizational_unit_ids), regions=list(settings.regions)
            ),
            deployment_type=DeploymentType.service_managed(
                auto_deploy_enabled=True, auto_deploy_retain_stacks=True, delegated_admin=settings.delegated_admin
            ),
            operation_preferences=OperationPreferences(
                failure_tolerance_percentage=settings.failure_tolerance_percentage,
                max_concurrent_percentage=settings.max_concurrent_percentage,
                region_concurrency_type=RegionConcurrencyType.PARALLEL,
            ),
            capabilities=[Capability.NAMED_IAM],
        )
