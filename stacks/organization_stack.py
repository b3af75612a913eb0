"""The management account's stack: SCPs, RCPs and centralized root access for the organisation."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from constructs_iam import CentralizedRootAccess
from constructs_iam.organization_policies import (
    DEFAULT_DEPLOYER_ARNS,
    OrganizationPolicies,
    OrganizationPolicyType,
    PerimeterException,
    PolicyAttachment,
    data_perimeter_rcp,
    deny_iam_users,
    deny_leaving_organization,
    deny_root_user,
    protect_roles,
    protect_security_services,
    resource_perimeter_scp,
    restrict_regions,
)
from constructs_iam.access.organization import ORGANIZATION_METADATA

from .config import AppConfig


def deployer_arns(config: AppConfig) -> tuple[str, ...]:
    """Who may change the protected roles and the security services: the configured deployment
    roles, else the CDK bootstrap's CloudFormation execution role (and StackSets' execution role
    when the developer role is rolled out by StackSets)."""
    assert config.organization is not None
    if config.organization.deployment_role_arns:
        return config.organization.deployment_role_arns
    qualifier = config.ci.cdk_qualifier if config.ci else "hnb659fds"
    arns = [DEFAULT_DEPLOYER_ARNS[0].replace("hnb659fds", qualifier)]
    if config.stacksets.enabled:
        arns.append("arn:aws:iam::*:role/stacksets-exec-*")
    return tuple(arns)


def protected_role_names(config: AppConfig) -> list[str]:
    """The library's roles that ``ProtectPlatformRoles`` keeps for the deployment role."""
    return [config.developer_role_name, config.support_role_name, *([config.ci.role_name] if config.ci else [])]


class OrganizationStack(Stack):
    """Guardrails every member account gets (root), those only workload accounts get (no IAM
    users: people live in the identity account), the data perimeter, centralized root access."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        org = config.organization
        assert org is not None
        deployers = deployer_arns(config)
        exceptions = [PerimeterException(e.reason, e.principal_accounts, e.resource_accounts, e.principal_arns)
                      for e in org.perimeter_exceptions]
        roles = protected_role_names(config)
        everywhere = [deny_root_user(), deny_leaving_organization(), protect_security_services(deployers),
                      protect_roles(roles, deployers), resource_perimeter_scp(org.organization_id, exceptions)]
        if org.allowed_regions:
            everywhere.append(restrict_regions(org.allowed_regions))
        scp_attachments = [PolicyAttachment(tuple(everywhere), (org.root_id,), "Guardrails")]
        if org.workload_ou_ids:
            scp_attachments.append(PolicyAttachment((deny_iam_users(),), org.workload_ou_ids, "Workloads"))
        self.service_control_policies = OrganizationPolicies(
            self, "ServiceControlPolicies", policy_type=OrganizationPolicyType.SERVICE_CONTROL_POLICY,
            attachments=scp_attachments)
        self.resource_control_policies = OrganizationPolicies(
            self, "ResourceControlPolicies", policy_type=OrganizationPolicyType.RESOURCE_CONTROL_POLICY,
            attachments=[PolicyAttachment((data_perimeter_rcp(org.organization_id, exceptions),), (org.root_id,), "DataPerimeter")])
        self.root_access = CentralizedRootAccess(self, "CentralizedRootAccess") if org.centralized_root_access else None
        self.template_options.metadata = {ORGANIZATION_METADATA: {
            "organization_id": org.organization_id,
            "management_account_id": org.management_account_id,
            "root_id": org.root_id,
            "accounts": {account: list(ous) for account, ous in org.accounts},
        }}
