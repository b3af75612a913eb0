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
"""

from ._validation import ACCOUNT_ID as ACCOUNT_ID_PATTERN
from ._validation import REGION as REGION_PATTERN
from ._validation import PropsError
from .acknowledgments import (
    CHECKOV_EQUIVALENTS,
    acknowledge,
    acknowledge_all,
    acknowledge_wildcard_resources,
    checkov_equivalents,
    wildcard_resource_finding,
)
from .delegation import DelegationBoundary, RoleCreator
from .developer_access import DENIED_DATA_ACTIONS, DeveloperAccess, DeveloperExtra, developer_policies
from .developer_read_only_role import DeveloperReadOnlyRole
from .ec2_s3_read_only_role import Ec2S3ReadOnlyRole
from .guardrails import IamGuardrails
from .access_analyzer import AccessAnalyzer
from .centralized_root_access import CentralizedRootAccess
from .credential_hygiene import CredentialHygiene
from .key_rotation import AccessKeyRotation
from .session_access import InstanceSessionAccess, SessionDocument, SessionPreferences, session_agent_statements
from .github_actions import GitHubActionsRole, GitHubOidcProvider
from .human_user import HumanUser
from .key_policy import kms_key_policy
from .organization_policies import (
    OrganizationPolicies,
    OrganizationPolicyType,
    PerimeterException,
    PolicyAttachment,
    StatementSet,
)
from .lifecycle import acknowledge_lifecycle_change
from .offboarding import CredentialRevoker, PersonStatus, deny_all_boundary, refuse_offboarded_sessions
from .password_policy import AccountPasswordPolicy
from .people_group import ALLOWED_WITHOUT_MFA, PeopleGroup
from .root_activity_alarm import RootActivityAlarm
from .s3_location import S3Access, S3Location, normalize_s3_prefix
from .s3_prefix_access_role import S3PrefixAccessRole
from .permission_set import DeveloperReadOnlyPermissionSet, DeveloperReadOnlyPolicies
from .scaling_service_role import ScalingServiceRole
from .support_role import SupportRole
from .tenant_bucket import TenantIsolatedBucket
from .trust import cross_account_principal, service_principal

__all__ = [
    "AccessAnalyzer",
    "CentralizedRootAccess",
    "OrganizationPolicies",
    "OrganizationPolicyType",
    "PerimeterException",
    "PolicyAttachment",
    "StatementSet",
    "DelegationBoundary",
    "RoleCreator",
    "AccessKeyRotation",
    "CredentialHygiene",
    "InstanceSessionAccess",
    "SessionDocument",
    "SessionPreferences",
    "session_agent_statements",
    "DeveloperReadOnlyPermissionSet",
    "DeveloperReadOnlyPolicies",
    "GitHubActionsRole",
    "GitHubOidcProvider",
    "SupportRole",
    "TenantIsolatedBucket",
    "ACCOUNT_ID_PATTERN",
    "REGION_PATTERN",
    "CHECKOV_EQUIVALENTS",
    "PropsError",
    "checkov_equivalents",
    "acknowledge",
    "acknowledge_all",
    "acknowledge_wildcard_resources",
    "wildcard_resource_finding",
    "ALLOWED_WITHOUT_MFA",
    "AccountPasswordPolicy",
    "DENIED_DATA_ACTIONS",
    "DeveloperAccess",
    "DeveloperExtra",
    "DeveloperReadOnlyRole",
    "developer_policies",
    "Ec2S3ReadOnlyRole",
    "HumanUser",
    "IamGuardrails",
    "PeopleGroup",
    "RootActivityAlarm",
    "S3Access",
    "S3Location",
    "S3PrefixAccessRole",
    "ScalingServiceRole",
    "cross_account_principal",
    "kms_key_policy",
    "normalize_s3_prefix",
    "service_principal",
    "CredentialRevoker",
    "PersonStatus",
    "deny_all_boundary",
    "refuse_offboarded_sessions",
    "acknowledge_lifecycle_change",
]

__version__ = "0.1.0"
