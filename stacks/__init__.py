"""The app's stacks: composition only, from the typed configuration in ``stacks.config``."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from constructs import Construct

from constructs_iam import IamGuardrails

from .config import AppConfig, ConfigError, load_cdk_json
from .identity_stack import IdentityStack
from .production_access_stack import ProductionAccessStack
from .root_activity_stack import RootActivityStack
from .workload_stack import WorkloadStack

__all__ = [
    "AppConfig",
    "AppStacks",
    "ConfigError",
    "IdentityStack",
    "ProductionAccessStack",
    "RootActivityStack",
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
    identity: IdentityStack
    root_activity: tuple[RootActivityStack, ...]

    def all(self) -> list[Stack]:
        return [self.workload, self.production_access, self.identity, *self.root_activity]


def build_stacks(scope: Construct, config: AppConfig) -> AppStacks:
    """Every stack of the app, with stable construct ids (they are the CloudFormation stack names)."""
    production = Environment(account=config.production_account_id, region=config.region)
    identity = Environment(account=config.identity_account_id, region=config.region)
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
        identity=IdentityStack(
            scope, f"{prefix}-Identity", config=config, env=identity,
            description="constructs-iam: password policy, people, groups (identity account)",
        ),
        root_activity=tuple(
            RootActivityStack(
                scope, f"{prefix}-RootActivity-{region}", config=config,
                env=Environment(account=config.identity_account_id, region=region),
                description=f"constructs-iam: alarm on root user activity in {region}",
            )
            for region in config.identity.root_alarm_regions
        ),
    )


def register_checks(app: App) -> None:
    """The checks that gate synthesis of the whole app.

    - ``IamGuardrails`` (users only in groups, no ``*`` on ``*``, no open trust): construct
      validation errors;
    - cdk-nag 3 packs as policy-validation plugins: a finding fails ``cdk synth``.
    """
    IamGuardrails.of(app)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
