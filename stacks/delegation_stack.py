"""Delegated role creation for one team, and a CDK bootstrap that is not administrator (production).

``DelegationStack`` (the platform's, deployed before ``cdk bootstrap``): the team's
``DelegationBoundary``, its ``RoleCreator`` granted to the team's deployer role, and the
CloudFormation execution policies of both bootstraps, generated from the reviewed resource types
in ``bootstrap_resource_types.json``. ``TeamStack``: what the team deploys with its own bootstrap
(qualifier), a workload role under its path, every role of it bounded (``IamGuardrails``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, CfnOutput, DefaultStackSynthesizer, Stack, Tags
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_iam import DelegationBoundary, IamGuardrails, RoleCreator, cross_account_principal
from constructs_iam.bootstrap import CdkExecutionPolicies, PlatformBoundary
from constructs_iam.delegation import GUARDRAIL_TAG
from constructs_iam.tenant_bucket import TENANT_TAG

from .config import AppConfig, ConfigError, DelegationConfig

TYPES_FILE = Path(__file__).resolve().parent / "bootstrap_resource_types.json"
"""The reviewed resource types each bootstrap qualifier deploys (``python -m constructs_iam.bootstrap
cdk.out --write stacks/bootstrap_resource_types.json``; a test checks it against the app)."""
IAM_FILE = Path(__file__).resolve().parent / "bootstrap_iam.json"
"""The reviewed IAM resources the platform's stacks create, by qualifier and account (``python -m
constructs_iam.bootstrap cdk.out --iam --write stacks/bootstrap_iam.json``; a test checks it against the app)."""
PLATFORM_BOUNDARY = "platform-boundary"
PLATFORM_PATH = "/platform/"
"""The path of the platform's roles and policies whose names CloudFormation generates (``set_iam_paths``)."""


def platform_boundary_arn(config: AppConfig) -> str:
    return f"arn:aws:iam::{config.production_account_id}:policy/guardrails/{PLATFORM_BOUNDARY}"


def unbounded_platform_roles(config: AppConfig) -> dict[str, str]:
    """The platform roles created without the platform boundary, by exact name, and why."""
    return {f"/{config.developer_role_name}": (
        "read-only across every service of the developer access catalog: a boundary that keeps its allow-list as "
        "'<service>:<Verb>*' is ~15,900 characters over 387 services (IAM allows 6,144), '*:Get*' is not IAM's "
        "grammar (CDK refuses it), and 'service:*' or '*' in a boundary is what Control Tower's IAM controls "
        "refuse (tests/test_developer_boundary.py); it holds no write and no IAM action, the pattern seal "
        "refuses any widening at synth, and the platform's execution role may only read it and its policies (an "
        "administrator deploys their changes)")}


def boundary_arn(config: AppConfig, delegation: DelegationConfig) -> str:
    return f"arn:aws:iam::{config.production_account_id}:policy/guardrails/{delegation.boundary_name}"


class DelegationStack(Stack):
    """The team's boundary, its creator role and grant, and the bootstrap execution policies."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        delegation = config.delegation
        assert delegation is not None
        account = config.production_account_id
        platform_qualifier = config.ci.cdk_qualifier if config.ci else "hnb659fds"
        protected_roles = {f"arn:aws:iam::{account}:role/cdk-*": "the CDK bootstrap roles of every qualifier"}
        if config.ci:
            protected_roles[f"arn:aws:iam::{account}:role/{config.ci.role_name}"] = "the platform's CI role"
        self.boundary = DelegationBoundary(
            self, "Boundary", managed_policy_name=delegation.boundary_name, role_path=delegation.role_path,
            allowed_services=dict(delegation.allowed_services), regions=list(delegation.regions),
            protected_role_arns=protected_roles, bootstrap_qualifier=delegation.qualifier,
            protected_tag_keys={TENANT_TAG: "the shared bucket confines each tenant to its prefix by this role tag"},
        )
        self.creator = RoleCreator(
            self, "Creator", boundary=self.boundary, pass_to_services=dict(delegation.pass_to_services),
            managed_policy_arns=dict(delegation.managed_policy_arns),
            managed_policy_name=f"{delegation.team}-role-creator",
        )
        self.deployer = iam.Role(
            self, "Deployer", role_name=f"{delegation.team}-deployer", path="/delegation/",
            assumed_by=cross_account_principal(config.identity_account_id, require_mfa=True),
            description=f"Team {delegation.team}: creates roles under {delegation.role_path} with its boundary",
        )
        Tags.of(self.deployer).add(*GUARDRAIL_TAG)
        self.creator.grant(self.deployer)
        types = json.loads(TYPES_FILE.read_text())
        platform_iam = json.loads(IAM_FILE.read_text()).get(platform_qualifier, {}).get(account)
        unbounded = unbounded_platform_roles(config)
        self.platform_boundary: PlatformBoundary | None = None
        if platform_iam is None or not set(unbounded) <= set(platform_iam.get("role", [])):
            # the reviewed file comes from another configuration (another account, other role names): no IAM
            # for the platform's execution role (it fails closed: it cannot write IAM) and no platform boundary
            Annotations.of(self).add_warning_v2("constructs-iam:bootstrap-iam", (
                f"{IAM_FILE.name} does not describe this configuration's platform IAM in {account}: the platform's "
                "execution policies hold no IAM action and no platform boundary is created; synthesize, then python "
                f"-m constructs_iam.bootstrap cdk.out --iam --write stacks/{IAM_FILE.name}, and synthesize again"))
            self.platform_policies = CdkExecutionPolicies(
                self, "PlatformExecution", qualifier=platform_qualifier, resource_types=types.get(platform_qualifier, []))
        else:
            users = {f"arn:aws:iam::{account}:role/{config.ci.role_name}": "the CI role deploys through the bootstrap "
                     "roles"} if config.ci else {}
            self.platform_boundary = PlatformBoundary(
                self, "PlatformBoundary", managed_policy_name=PLATFORM_BOUNDARY, iam_resources=platform_iam,
                unbounded_roles=unbounded, bootstrap_role_users=users, bootstrap_qualifier=platform_qualifier)
            self.platform_policies = CdkExecutionPolicies(
                self, "PlatformExecution", qualifier=platform_qualifier, resource_types=types.get(platform_qualifier, []),
                iam_resources=platform_iam, permissions_boundary=self.platform_boundary.managed_policy_arn,
                unbounded_roles=unbounded)
        team_types = types.get(delegation.qualifier, [])
        self.team_policies = CdkExecutionPolicies(
            self, "TeamExecution", qualifier=delegation.qualifier, resource_types=team_types, delegated=True,
            protected_policy_arns=[self.boundary.managed_policy_arn])
        _check_team_services(delegation, self.team_policies.documents)
        team_policies = [*self.team_policies.policy_arns, self.creator.managed_policy_arn]
        CfnOutput(self, "PlatformBootstrap", value=(
            f"cdk bootstrap aws://{account}/{config.region} --qualifier {platform_qualifier} "
            f"--cloudformation-execution-policies {','.join(self.platform_policies.policy_arns)}"))
        CfnOutput(self, "TeamBootstrap", value=(
            f"cdk bootstrap aws://{account}/{config.region} --qualifier {delegation.qualifier} "
            f"--toolkit-stack-name CDKToolkit-{delegation.qualifier} "
            f"--cloudformation-execution-policies {','.join(team_policies)} "
            f"--custom-permissions-boundary guardrails/{delegation.boundary_name}"))


def _check_team_services(delegation: DelegationConfig, documents: list[dict[str, Any]]) -> None:
    """The team's execution role is under its boundary: every service its handlers need must be allowed."""
    allowed = {service for service, _ in delegation.allowed_services} | {"ssm"}
    needed = {a.split(":", 1)[0] for d in documents for s in d["Statement"] if s["Effect"] == "Allow"
              for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    missing = sorted(needed - allowed)
    if missing:
        raise ConfigError(f"constructs-iam.delegation.allowed_services lacks {missing}: the team's stacks deploy "
                          "resources whose handlers need them, and its execution role is under the boundary")


class TeamStack(Stack):
    """What the team deploys with its own bootstrap: a workload role under its path, bounded."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        delegation = config.delegation
        assert delegation is not None
        super().__init__(scope, id, synthesizer=DefaultStackSynthesizer(qualifier=delegation.qualifier), **kwargs)
        boundary = DelegationBoundary.reference(self, "Boundary", boundary_arn(config, delegation))
        IamGuardrails.of(self, permissions_boundary=boundary)
        service = delegation.pass_to_services[0][0]
        self.workload_role = iam.Role(
            self, "Workload", role_name=f"{delegation.team}-workload", path=delegation.role_path,
            assumed_by=iam.ServicePrincipal(service),
            description=f"Team {delegation.team}'s workload, created by the team under its boundary",
        )
        table = (f"arn:aws:dynamodb:{config.region}:{config.production_account_id}:table/{delegation.team}-orders")
        iam.ManagedPolicy(  # the team's own policy, under its path (the creator may attach only those)
            self, "WorkloadPolicy", path=delegation.role_path, roles=[self.workload_role],
            document=iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": [{
                "Sid": "OrdersTable", "Effect": "Allow", "Resource": table,
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]}]}),
            description=f"Team {delegation.team}'s workload: its orders table",
        )
        CfnOutput(self, "WorkloadRoleArn", value=self.workload_role.role_arn)
