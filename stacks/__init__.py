"""The app's stacks: composition only, from the typed configuration in ``stacks.config``."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Environment, Stack, Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks
from constructs import Construct

from constructs_iam import IamGuardrails
from constructs_iam.lifecycle import acknowledge_lifecycle_change

from .config import AppConfig, ConfigError, load_cdk_json
from .ci_stack import CiStack
from .identity_center_stack import IdentityCenterStack
from .identity_stack import IdentityStack
from .production_access_stack import ProductionAccessStack
from .root_activity_stack import RootActivityStack
from .production_access_stackset import ProductionAccessStackSetStack
from .workload_shards import WorkloadShardStack, place
from .workload_stack import WorkloadStack

__all__ = [
    "AppConfig",
    "AppStacks",
    "CiStack",
    "ConfigError",
    "IdentityCenterStack",
    "IdentityStack",
    "ProductionAccessStack",
    "RootActivityStack",
    "WorkloadShardStack",
    "WorkloadStack",
    "ProductionAccessStackSetStack",
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
    workload_shards: tuple[WorkloadShardStack, ...] = ()
    production_access_stackset: ProductionAccessStackSetStack | None = None
    ci: CiStack | None = None
    identity_center: IdentityCenterStack | None = None

    def all(self) -> list[Stack]:
        extra = [s for s in (self.production_access_stackset, self.ci, self.identity_center) if s is not None]
        return [self.workload, self.production_access, self.identity, *self.root_activity, *self.workload_shards, *extra]


def build_stacks(scope: Construct, config: AppConfig) -> AppStacks:
    """Every stack of the app, with stable construct ids (they are the CloudFormation stack names)."""
    production = Environment(account=config.production_account_id, region=config.region)
    identity = Environment(account=config.identity_account_id, region=config.region)
    prefix = config.stack_prefix
    stackset = None
    if config.stacksets.enabled:
        stackset = ProductionAccessStackSetStack(
            scope, f"{prefix}-ProductionAccessStackSet", config=config, env=identity,
            description="constructs-iam: DeveloperReadOnlyRole to every account of the configured OUs",
        )
    ci = None
    if config.ci is not None:
        ci = CiStack(scope, f"{prefix}-CiDeploy", config=config, env=production,
                     description="constructs-iam: GitHub Actions deploys over OIDC (no stored keys)")
    identity_center = None
    if config.identity_center is not None:
        identity_center = IdentityCenterStack(
            scope, f"{prefix}-IdentityCenter", config=config, env=identity,
            description="constructs-iam: developer permission set in IAM Identity Center")
    workload = WorkloadStack(
        scope, f"{prefix}-Workload", config=config, env=production,
        description="constructs-iam: data bucket and least-privilege workload roles",
    )
    shared_key = workload.shared_bucket.key if workload.shared_bucket else None
    shards = tuple(
        WorkloadShardStack(
            scope, f"{prefix}-Workloads-{shard:02d}", config=config, workloads=items, env=production, shared_bucket_key=shared_key,
            description=f"constructs-iam: workload roles, shard {shard:02d} of {config.workloads.shards}",
        )
        for shard, items in place(config.workloads.items, config.workloads.shards).items()
    )
    stacks = AppStacks(
        workload=workload,
        production_access=ProductionAccessStack(
            scope, f"{prefix}-ProductionAccess", config=config, env=production,
            description="constructs-iam: MFA-only read-only developer role, support role and Access Analyzer for production",
        ),
        identity=IdentityStack(
            scope, f"{prefix}-Identity", config=config, env=identity,
            description="constructs-iam: password policy, people, groups (identity account)",
        ),
        root_activity=tuple(
            RootActivityStack(
                scope, f"{prefix}-RootActivity-{region}", config=config,
                env=Environment(account=config.identity_account_id, region=region),
                description=f"constructs-iam: alarm on root user activity and IAM Access Analyzer in {region}",
            )
            for region in config.identity.root_alarm_regions
        ),
        workload_shards=shards,
        production_access_stackset=stackset,
        ci=ci,
        identity_center=identity_center,
    )
    record_lifecycle_acknowledgments(stacks, config)
    return stacks


def record_lifecycle_acknowledgments(stacks: AppStacks, config: AppConfig) -> None:
    """cdk.json's ``lifecycle.acknowledge`` into the templates, where the lifecycle gate reads them: on
    the stack the construct path names, or on the identity stack when that stack is gone."""
    by_name = {stack.stack_name: stack for stack in stacks.all()}
    for ack in config.lifecycle.acknowledge:
        stack = by_name.get(ack.resource.split("/", 1)[0], stacks.identity)
        acknowledge_lifecycle_change(stack, ack.resource, ack.change, ack.reason)


def register_checks(app: App) -> None:
    """The checks that gate synthesis of the whole app.

    - ``IamGuardrails`` (users only in groups, no admin statements, no open trust or resource
      policy, patterns not widened) and the cdk-nag 3 packs, all policy-validation plugins over the
      templates: a finding fails ``cdk synth`` and ``app.synth()``.
    """
    IamGuardrails.of(app)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
