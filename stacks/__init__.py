"""The app's stacks: composition only, from the typed configuration in ``stacks.config``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import App, Environment, Stack, Validations
from constructs import Construct

from constructs_iam import IamGuardrails
from constructs_iam.organization_policies import PROTECTED_POLICY_PATH, protect_policies
from constructs_iam.lifecycle import acknowledge_lifecycle_change

from constructs_iam import PropsError

from .config import CONTEXT_KEY, AppConfig, ConfigError, config_error, load_cdk_json
from .ci_stack import CiStack
from .delegation_stack import PLATFORM_PATH, DelegationStack, TeamStack, platform_boundary_arn, unbounded_platform_roles
from .identity_stack import IdentityStack
from .organization_stack import OrganizationStack, protected_role_names
from .production_access_stack import ProductionAccessStack
from .root_activity_stack import RootActivityStack
from .workload_shards import WorkloadShardStack, place
from .workload_stack import WorkloadStack

if TYPE_CHECKING:
    from .identity_center_stack import IdentityCenterStack
    from .production_access_stackset import ProductionAccessStackSetStack

_LAZY = {"IdentityCenterStack": ".identity_center_stack", "ProductionAccessStackSetStack": ".production_access_stackset"}
"""Stacks imported when an app enables them: their modules load cdk-stacksets' and aws_sso's bindings
(cdk-stacksets is a jsii assembly Node loads: about 30 ms a synth that has no StackSet would pay)."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AppConfig",
    "AppStacks",
    "CiStack",
    "DelegationStack",
    "TeamStack",
    "ConfigError",
    "IdentityCenterStack",
    "IdentityStack",
    "OrganizationStack",
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
    organization: OrganizationStack | None = None
    delegation: DelegationStack | None = None
    team: TeamStack | None = None

    def all(self) -> list[Stack]:
        extra = [s for s in (self.production_access_stackset, self.ci, self.identity_center, self.organization,
                             self.delegation, self.team)
                 if s is not None]
        return [self.workload, self.production_access, self.identity, *self.root_activity, *self.workload_shards, *extra]


def build_stacks(scope: Construct, config: AppConfig) -> AppStacks:
    """Every stack of the app, with stable construct ids (they are the CloudFormation stack names).

    A value the configuration reader let through and a construct refused is a ``ConfigError``
    naming the ``cdk.json`` key (``config_error``), not a ``PropsError`` naming a construct prop."""
    try:
        return _build_stacks(scope, config)
    except PropsError as error:
        raise config_error(error) from None
    except RuntimeError as error:  # CDK itself refused a value (a jsii error): its first line, not a Node trace
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(f"{CONTEXT_KEY}: CDK refused the configuration: {first}") from None


def _build_stacks(scope: Construct, config: AppConfig) -> AppStacks:
    production = Environment(account=config.production_account_id, region=config.region)
    identity = Environment(account=config.identity_account_id, region=config.region)
    prefix = config.stack_prefix
    stackset = None
    if config.stacksets.enabled:
        from .production_access_stackset import ProductionAccessStackSetStack

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
        from .identity_center_stack import IdentityCenterStack

        identity_center = IdentityCenterStack(
            scope, f"{prefix}-IdentityCenter", config=config, env=identity,
            description="constructs-iam: developer permission set in IAM Identity Center")
    organization = None
    if config.organization is not None and config.organization.enabled:
        # Organizations' API lives in us-east-1; the stack goes to the management account there
        organization = OrganizationStack(
            scope, f"{prefix}-Organization", config=config,
            env=Environment(account=config.organization.management_account_id, region="us-east-1"),
            description="constructs-iam: SCPs, RCPs and centralized root access (management account)")
    delegation = team = None
    if config.delegation is not None:
        delegation = DelegationStack(
            scope, f"{prefix}-Delegation", config=config, env=production,
            description="constructs-iam: a team's permissions boundary and role creator; CDK execution policies")
        team = TeamStack(
            scope, f"{prefix}-Team-{config.delegation.team}", config=config, env=production,
            description=f"constructs-iam: team {config.delegation.team}'s roles, created under its boundary")
        team.add_stack_dependency(delegation)  # its roles need the boundary policy to exist
    workload = WorkloadStack(
        scope, f"{prefix}-Workload", config=config, env=production,
        description="constructs-iam: data bucket and least-privilege workload roles",
    )
    shared_key = workload.shared_bucket.key if workload.shared_bucket else None
    shards = tuple(
        WorkloadShardStack(
            scope, f"{prefix}-Workloads-{shard:02d}", config=config, workloads=items, env=production, shared_bucket_key=shared_key,
            # set at construction (a walk of every workload's constructs would cost round trips per workload)
            iam_path=PLATFORM_PATH if delegation is not None else None,
            permissions_boundary_arn=(platform_boundary_arn(config) if delegation is not None
                                      and delegation.platform_boundary is not None else None),
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
                # one account-level analyzer per account and region: production access has one in config.region
                analyzer=not (config.identity_account_id == config.production_account_id and region == config.region),
                description=f"constructs-iam: alarm on root user activity and IAM Access Analyzer in {region}",
            )
            for region in config.identity.root_alarm_regions
        ),
        workload_shards=shards,
        production_access_stackset=stackset,
        ci=ci,
        identity_center=identity_center,
        organization=organization,
        delegation=delegation,
        team=team,
    )
    # the policies of a platform role without the boundary get a path of their own, which the platform's
    # execution role may not write (under the protected path, so ProtectPlatformRoles still names them)
    unbounded = {name.rsplit("/", 1)[-1]: UNBOUNDED_POLICY_PATH for name in unbounded_platform_roles(config)
                 } if delegation is not None else {}
    if organization is not None:
        # the customer managed policies of the protected roles go where ProtectPlatformRoles keeps them
        # (only the stacks that hold them: a scan of every workload shard would cost round trips per workload)
        for stack in (stacks.production_access, stacks.identity, stacks.ci, stacks.production_access_stackset):
            if stack is not None:
                protect_policies(stack, protected_role_names(config),
                                 role_paths=unbounded if stack is stacks.production_access else None)
    elif unbounded and stacks.production_access is not None:
        protect_policies(stacks.production_access, [], role_paths=unbounded)
    if delegation is not None:
        bound_platform_roles(stacks, config, bounded=delegation.platform_boundary is not None)
    record_lifecycle_acknowledgments(stacks, config)
    return stacks


UNBOUNDED_POLICY_PATH = f"{PROTECTED_POLICY_PATH}unbounded/"
"""The path of the customer managed policies of the platform roles without the boundary
(``unbounded_platform_roles``): the platform's execution role may read, never write, them."""


def bound_platform_roles(stacks: AppStacks, config: AppConfig, *, bounded: bool = True) -> None:
    """The production account's platform stacks (deployed by the platform's execution role): every role
    and policy CloudFormation names gets a path the execution policy can name, and every role the platform
    boundary (but those ``unbounded_platform_roles`` names, with the reason)."""
    from constructs_iam.bootstrap import set_iam_paths, set_permissions_boundary

    exempt = [name.rsplit("/", 1)[-1] for name in unbounded_platform_roles(config)]
    for stack in (stacks.workload, stacks.production_access, stacks.ci):  # the shards have both from construction
        if stack is not None:
            set_iam_paths(stack, PLATFORM_PATH)
            if bounded:  # the boundary exists (the Delegation stack creates it)
                set_permissions_boundary(stack, platform_boundary_arn(config), except_role_names=exempt)


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
    from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks  # its jsii assembly: loaded by the apps that check

    IamGuardrails.of(app)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
