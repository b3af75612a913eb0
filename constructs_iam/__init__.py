"""constructs_iam: AWS CDK v2 constructs for secure IAM patterns.

Workload roles (``Ec2S3ReadOnlyRole``, ``S3PrefixAccessRole``, ``ScalingServiceRole``), human access
(``DeveloperReadOnlyRole``), people in the identity account (``PeopleGroup``, ``HumanUser``,
``AccountPasswordPolicy``, ``RootActivityAlarm``), delegated role creation (``DelegationBoundary``,
``RoleCreator``), credential checks and rotation (``CredentialHygiene``, ``AccessKeyRotation``),
instances reached without SSH keys (``SessionPreferences``, ``InstanceSessionAccess``), account-wide
``IamGuardrails``, and trust helpers (``service_principal``, ``cross_account_principal``).
Every pattern grants exact actions on exact ARNs and fails at construction with a ``PropsError``
(a ``ValueError``) naming the construct path and every bad prop, value and rule. A role pattern is
``iam.IGrantable`` and holds only what it documents: a widening from elsewhere fails synth
(``IamGuardrails-PatternWidened``); ``extend_policy(statements, reason=...)`` widens it on purpose.
``acknowledge`` accepts one checker finding on one construct, with the reason.

Importing the package loads nothing of the CDK: each public name is imported on first use
(PEP 562), so ``constructs_iam.access`` and ``python -m constructs_iam.report`` run where only
Python is installed (no Node, no jsii).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and IDEs; at run time, __getattr__ below imports on first use
    from ._validation import ACCOUNT_ID as ACCOUNT_ID_PATTERN
    from ._validation import PropsError
    from ._validation import REGION as REGION_PATTERN
    from .access_analyzer import AccessAnalyzer
    from .acknowledgments import CHECKOV_EQUIVALENTS
    from .acknowledgments import acknowledge
    from .acknowledgments import acknowledge_all
    from .acknowledgments import acknowledge_wildcard_resources
    from .acknowledgments import checkov_equivalents
    from .acknowledgments import wildcard_resource_finding
    from .centralized_root_access import CentralizedRootAccess
    from .credential_hygiene import CredentialHygiene
    from .delegation import DelegationBoundary
    from .delegation import RoleCreator
    from .developer_access import DENIED_DATA_ACTIONS
    from .developer_access import DeveloperAccess
    from .developer_access import DeveloperExtra
    from .developer_access import developer_policies
    from .developer_read_only_role import DeveloperReadOnlyRole
    from .ec2_s3_read_only_role import Ec2S3ReadOnlyRole
    from .github_actions import GitHubActionsRole
    from .github_actions import GitHubOidcProvider
    from .guardrails import IamGuardrails
    from .human_user import HumanUser
    from .key_policy import kms_key_policy
    from .key_rotation import AccessKeyRotation
    from .lifecycle import acknowledge_lifecycle_change
    from .offboarding import CredentialRevoker
    from .offboarding import PersonStatus
    from .offboarding import deny_all_boundary
    from .offboarding import refuse_offboarded_sessions
    from .organization_policies import OrganizationPolicies
    from .organization_policies import OrganizationPolicyType
    from .organization_policies import PerimeterException
    from .organization_policies import PolicyAttachment
    from .organization_policies import StatementSet
    from .password_policy import AccountPasswordPolicy
    from .people_group import ALLOWED_WITHOUT_MFA
    from .people_group import PeopleGroup
    from .permission_set import DeveloperReadOnlyPermissionSet
    from .permission_set import DeveloperReadOnlyPolicies
    from .root_activity_alarm import RootActivityAlarm
    from .s3_location import S3Access
    from .s3_location import S3Location
    from .s3_location import normalize_s3_prefix
    from .s3_prefix_access_role import S3PrefixAccessRole
    from .scaling_service_role import ScalingServiceRole
    from .session_access import InstanceSessionAccess
    from .session_access import SessionDocument
    from .session_access import SessionPreferences
    from .session_access import session_agent_statements
    from .support_role import SupportRole
    from .tenant_bucket import TenantIsolatedBucket
    from .trust import cross_account_principal
    from .trust import service_principal

_EXPORTS: dict[str, tuple[str, str]] = {
    # public name: (module, name in that module)
    "AccessAnalyzer": (".access_analyzer", "AccessAnalyzer"),
    "AccessKeyRotation": (".key_rotation", "AccessKeyRotation"),
    "ACCOUNT_ID_PATTERN": ("._validation", "ACCOUNT_ID"),
    "AccountPasswordPolicy": (".password_policy", "AccountPasswordPolicy"),
    "acknowledge": (".acknowledgments", "acknowledge"),
    "acknowledge_all": (".acknowledgments", "acknowledge_all"),
    "acknowledge_lifecycle_change": (".lifecycle", "acknowledge_lifecycle_change"),
    "acknowledge_wildcard_resources": (".acknowledgments", "acknowledge_wildcard_resources"),
    "ALLOWED_WITHOUT_MFA": (".people_group", "ALLOWED_WITHOUT_MFA"),
    "CentralizedRootAccess": (".centralized_root_access", "CentralizedRootAccess"),
    "CHECKOV_EQUIVALENTS": (".acknowledgments", "CHECKOV_EQUIVALENTS"),
    "checkov_equivalents": (".acknowledgments", "checkov_equivalents"),
    "CredentialHygiene": (".credential_hygiene", "CredentialHygiene"),
    "CredentialRevoker": (".offboarding", "CredentialRevoker"),
    "cross_account_principal": (".trust", "cross_account_principal"),
    "DelegationBoundary": (".delegation", "DelegationBoundary"),
    "DENIED_DATA_ACTIONS": (".developer_access", "DENIED_DATA_ACTIONS"),
    "deny_all_boundary": (".offboarding", "deny_all_boundary"),
    "developer_policies": (".developer_access", "developer_policies"),
    "DeveloperAccess": (".developer_access", "DeveloperAccess"),
    "DeveloperExtra": (".developer_access", "DeveloperExtra"),
    "DeveloperReadOnlyPermissionSet": (".permission_set", "DeveloperReadOnlyPermissionSet"),
    "DeveloperReadOnlyPolicies": (".permission_set", "DeveloperReadOnlyPolicies"),
    "DeveloperReadOnlyRole": (".developer_read_only_role", "DeveloperReadOnlyRole"),
    "Ec2S3ReadOnlyRole": (".ec2_s3_read_only_role", "Ec2S3ReadOnlyRole"),
    "GitHubActionsRole": (".github_actions", "GitHubActionsRole"),
    "GitHubOidcProvider": (".github_actions", "GitHubOidcProvider"),
    "HumanUser": (".human_user", "HumanUser"),
    "IamGuardrails": (".guardrails", "IamGuardrails"),
    "InstanceSessionAccess": (".session_access", "InstanceSessionAccess"),
    "kms_key_policy": (".key_policy", "kms_key_policy"),
    "normalize_s3_prefix": (".s3_location", "normalize_s3_prefix"),
    "OrganizationPolicies": (".organization_policies", "OrganizationPolicies"),
    "OrganizationPolicyType": (".organization_policies", "OrganizationPolicyType"),
    "PeopleGroup": (".people_group", "PeopleGroup"),
    "PerimeterException": (".organization_policies", "PerimeterException"),
    "PersonStatus": (".offboarding", "PersonStatus"),
    "PolicyAttachment": (".organization_policies", "PolicyAttachment"),
    "PropsError": ("._validation", "PropsError"),
    "refuse_offboarded_sessions": (".offboarding", "refuse_offboarded_sessions"),
    "REGION_PATTERN": ("._validation", "REGION"),
    "RoleCreator": (".delegation", "RoleCreator"),
    "RootActivityAlarm": (".root_activity_alarm", "RootActivityAlarm"),
    "S3Access": (".s3_location", "S3Access"),
    "S3Location": (".s3_location", "S3Location"),
    "S3PrefixAccessRole": (".s3_prefix_access_role", "S3PrefixAccessRole"),
    "ScalingServiceRole": (".scaling_service_role", "ScalingServiceRole"),
    "service_principal": (".trust", "service_principal"),
    "session_agent_statements": (".session_access", "session_agent_statements"),
    "SessionDocument": (".session_access", "SessionDocument"),
    "SessionPreferences": (".session_access", "SessionPreferences"),
    "StatementSet": (".organization_policies", "StatementSet"),
    "SupportRole": (".support_role", "SupportRole"),
    "TenantIsolatedBucket": (".tenant_bucket", "TenantIsolatedBucket"),
    "wildcard_resource_finding": (".acknowledgments", "wildcard_resource_finding"),
}

__all__ = sorted(_EXPORTS)

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'constructs_iam' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value  # imported once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
