"""The app's stacks: composition only, from the typed configuration in ``stacks.config``."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from constructs import Construct

from .config import AppConfig, ConfigError, load_cdk_json
from .production_access_stack import ProductionAccessStack
from .workload_stack import WorkloadStack

__all__ = [
    "AppConfig",
    "AppStacks",
    "ConfigError",
    "ProductionAccessStack",
    "WorkloadStack",
    "build_stacks",
    "load_cdk_json",
    "register_checks",
]

CHECKS = ("AwsSolutions", "NIST.800.53.R5")


@dataclass(frozen=True)
class AppStacks:
    workload: WorkloadStack
    production_access: ProductionAccessStack

    def all(self) -> list[Stack]:
        return [self.workload, self.production_access]


def build_stacks(scope: Construct, config: AppConfig) -> AppStacks:
    """Every stack of the app, with stable construct ids (they are the CloudFormation stack names)."""
    production = Environment(account=config.production_account_id, region=config.region)
    prefix = config.stack_prefix
    return AppStacks(
        workload=WorkloadStack(
            scope, f"{prefix}-Workload", config=config, env=production,
            description="constructs-iam: data bucket and least-privilege workload roles",
        ),
        production_access=ProductionAccessStack(
            scope, f"{prefix}-ProductionAccess", config=config, env=production,
            description="constructs-iam: MFA-only read-only developer role for production",
        ),
    )


def register_checks(app: App) -> None:
    """cdk-nag 3 packs as policy-validation plugins: a finding fails ``cdk synth``."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
