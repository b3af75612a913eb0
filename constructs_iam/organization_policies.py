"""Organisation guardrails: service control policies (SCPs) and resource control policies (RCPs).

Each guardrail is a ``StatementSet``: a stable id, the reason a platform team wants it, and a few
statements computed here as plain data. ``pack`` puts sets into as few policy documents as first
fit finds within Organizations' quotas, in a stable order, and refuses a set that cannot fit.
``OrganizationPolicies`` synthesizes the documents as ``AWS::Organizations::Policy`` resources
attached to roots, OUs or accounts (deploy it in the management account).

Quotas (AWS Organizations User Guide, "Quotas and service limits", checked 2026-11): an SCP or an
RCP is at most 5,120 characters; at most 5 SCPs and 5 RCPs are attached to one root, OU or
account. ``FullAWSAccess`` (SCP) and ``RCPFullAWSAccess`` (RCP, which cannot be detached) count
toward those 5, so 4 slots per target are left for these guardrails by default.

What SCPs and RCPs do not touch (AWS Organizations User Guide): the management account (its
principals and its resources), service-linked roles (SCPs and RCPs), AWS managed KMS keys (RCPs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from aws_cdk import aws_organizations as organizations
from constructs import Construct

from . import _validation as v

MAX_POLICY_CHARACTERS = 5120
"""Organizations' maximum size of one SCP or RCP document, in characters."""
MAX_POLICIES_PER_TARGET = 5
"""Organizations' maximum number of SCPs (and, separately, RCPs) attached to one root, OU or account."""
DEFAULT_SLOTS = MAX_POLICIES_PER_TARGET - 1
"""Slots left for these guardrails per target: ``FullAWSAccess``/``RCPFullAWSAccess`` takes one."""

ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
TARGET_ID = re.compile(r"r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|\d{12}")
ACCOUNT = re.compile(r"\d{12}")
DEPLOYER_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/-]*[\w+=,.@-]{3,}[\w+=,.@/*-]*", re.ASCII)
"""A deployment role's ARN pattern: a role whose name starts with at least 3 literal characters (``*`` only after them)."""
METADATA_KEY = "constructs-iam:organization-policy"
"""Template metadata on each ``AWS::Organizations::Policy``: the sets it holds, with their reasons."""


class OrganizationPolicyType(Enum):
    SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
    RESOURCE_CONTROL_POLICY = "RESOURCE_CONTROL_POLICY"


@dataclass(frozen=True)
class StatementSet:
    """One guardrail: a stable id (each statement's Sid starts with it), why, and its statements."""

    id: str
    reason: str
    statements: tuple[Mapping[str, Any], ...]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9]{1,64}", self.id):
            raise v.fail("id", self.id, "must be 1-64 letters or digits (it prefixes each statement's Sid)")
        v.reason("reason", self.reason, "the guardrail exists")
        if not self.statements:
            raise v.fail("statements", self.statements, "must hold at least one statement")


@dataclass(frozen=True)
class PerimeterException:
    """One documented hole in the data perimeter, with its reason.

    :param principal_accounts: accounts outside the organisation whose principals may reach the
        organisation's resources (RCP), e.g. a vendor that reads a bucket.
    :param resource_accounts: accounts outside the organisation whose resources the
        organisation's principals may write to (SCP), e.g. a partner's bucket.
    :param principal_arns: the organisation's principals (``ArnLike`` patterns) that the
        resource perimeter does not restrict (SCP).
    """

    reason: str
    principal_accounts: tuple[str, ...] = ()
    resource_accounts: tuple[str, ...] = ()
    principal_arns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        v.reason("reason", self.reason, "the perimeter has this hole")
        for prop in ("principal_accounts", "resource_accounts", "principal_arns"):
            if isinstance(getattr(self, prop), str):
                raise v.fail(prop, getattr(self, prop), "must be a tuple of strings, not one string")
        for prop in ("principal_accounts", "resource_accounts"):
            for account in getattr(self, prop):
                if not isinstance(account, str) or not ACCOUNT.fullmatch(account):
                    raise v.fail(prop, account, "must be 12-digit account ids")
        for arn in self.principal_arns:
            if not isinstance(arn, str) or not re.fullmatch(r"arn:aws[a-z-]*:(iam|sts)::(\d{12}|\*):\S+", arn):
                raise v.fail("principal_arns", arn, "must be IAM principal ARNs (account may be '*')")
            if re.fullmatch(r"[^:]*:[^:]*:[^:]*::[^:]*:[a-z-]*/?[*?/]*", arn):
                raise v.fail("principal_arns", arn, "names every principal of a kind: name the roles or users the hole is for")
        if not (self.principal_accounts or self.resource_accounts or self.principal_arns):
            raise v.fail("PerimeterException", self.reason, "names no account or principal: it would change nothing")


# ----------------------------------------------------------------------------- the guardrails

DEFAULT_DEPLOYER_ARNS = ("arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",)
"""The platform's deployment role: CloudFormation's execution role of the CDK bootstrap (qualifier
``hnb659fds``), which is what calls IAM during ``cdk deploy``."""


def deny_root_user() -> StatementSet:
    """Member accounts' root user may do nothing, except in a task-scoped root session that the
    management account starts with ``sts:AssumeRoot`` (those carry ``aws:AssumedRoot``)."""
    return StatementSet(
        "DenyRootUser",
        "The root user of a member account is not for daily work (CIS 1.6); with centralized root "
        "access only the management account's task-scoped root sessions (aws:AssumedRoot) remain.",
        ({"Sid": "DenyRootUser", "Effect": "Deny", "Action": "*", "Resource": "*",
          "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:*:iam::*:root"}, "Null": {"aws:AssumedRoot": "true"}}},),
    )


def deny_leaving_organization() -> StatementSet:
    """No member account leaves the organisation (it would leave every guardrail with it)."""
    return StatementSet(
        "DenyLeaveOrganization",
        "An account that leaves the organisation sheds every SCP and RCP, and its logs and findings with them.",
        ({"Sid": "DenyLeaveOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},),
    )


SECURITY_SERVICE_ACTIONS = (
    "access-analyzer:CreateArchiveRule", "access-analyzer:DeleteAnalyzer", "access-analyzer:UpdateArchiveRule",
    "cloudtrail:DeleteEventDataStore", "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors",
    "cloudtrail:StopEventDataStoreIngestion", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail",
    "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel", "config:DeleteRetentionConfiguration",
    "config:PutConfigurationRecorder", "config:StopConfigurationRecorder",
    "guardduty:CreateFilter", "guardduty:CreateIPSet", "guardduty:DeleteDetector", "guardduty:DeleteMembers",
    "guardduty:DisassociateFromAdministratorAccount", "guardduty:DisassociateFromMasterAccount",
    "guardduty:DisassociateMembers", "guardduty:StopMonitoringMembers", "guardduty:UpdateDetector",
    "guardduty:UpdateFilter", "guardduty:UpdateIPSet",
)
"""Actions that stop, delete or silence CloudTrail, AWS Config, GuardDuty (filters and trusted IP
lists hide findings) and IAM Access Analyzer (archive rules hide findings)."""


def _check_deployers(deployer_arns: Sequence[str]) -> list[str]:
    if isinstance(deployer_arns, str) or not deployer_arns:
        raise v.fail("deployer_arns", deployer_arns, "must be a non-empty list of deployment role ARN patterns")
    for arn in deployer_arns:
        if not isinstance(arn, str) or not DEPLOYER_ARN.fullmatch(arn):
            raise v.fail("deployer_arns", arn, "must be role ARN patterns such as "
                         "'arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*' (a name, not a bare wildcard)")
    return sorted(set(deployer_arns))


def protect_deployers(deployer_arns: Sequence[str]) -> dict[str, Any]:
    """The statement that keeps the deployment roles' names and trust for the deployment roles: the
    exception of ``ProtectPlatformRoles`` and ``ProtectSecurityServices`` is a principal ARN, so
    whoever could create a role of that name, or change the trust of the real one, would be a deployer.
    Both sets carry the same statement; ``render`` writes it once per document."""
    deployers = _check_deployers(deployer_arns)
    return {"Sid": "ProtectDeploymentRoles", "Effect": "Deny", "Action": list(DEPLOYER_CHANGE_ACTIONS),
            "Resource": deployers, "Condition": {"ArnNotLike": {"aws:PrincipalArn": deployers}}}


def protect_security_services(deployer_arns: Sequence[str] = DEFAULT_DEPLOYER_ARNS) -> StatementSet:
    """No one but the platform's deployment role disables or silences the security services."""
    deployer_arns = _check_deployers(deployer_arns)
    return StatementSet(
        "ProtectSecurityServices",
        "Turning off CloudTrail, Config, GuardDuty or Access Analyzer is how an intruder hides; only "
        "the platform's deployment role changes them.",
        ({"Sid": "ProtectSecurityServices", "Effect": "Deny", "Action": list(SECURITY_SERVICE_ACTIONS), "Resource": "*",
          "Condition": {"ArnNotLike": {"aws:PrincipalArn": list(deployer_arns)}}},
         protect_deployers(deployer_arns)),
    )


ROLE_CHANGE_ACTIONS = (
    "iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription",
)
"""Every IAM action that changes a role, its policies, boundary, trust, tags, or deletes it."""

DEPLOYER_CHANGE_ACTIONS = ("iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy")
"""How one becomes a deployment role: create a role of its name (after deleting the real one, if
need be) or change the real one's trust. What a deployment role may do is its own business."""


PROTECTED_POLICY_PATH = "/constructs-iam/protected/"
"""The path of the customer managed policies attached to protected roles (``protect_policies``): a
policy's path never changes, so the SCP names them by it."""

POLICY_CHANGE_ACTIONS = ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                         "iam:SetDefaultPolicyVersion")
"""Every IAM action that changes what a customer managed policy grants or denies."""


def protect_roles(role_names: Sequence[str], deployer_arns: Sequence[str] = DEFAULT_DEPLOYER_ARNS,
                  policy_path: str = PROTECTED_POLICY_PATH) -> StatementSet:
    """The roles this library deploys change only through the platform's deployment role.

    Roles are named by ARN in every account and under any path (``role/<name>`` and
    ``role/*/<name>``): a role's name is unique in its account whatever its path, so changing the
    path (which replaces the role) does not escape the guardrail. The customer managed policies
    attached to them are named by their path (``policy_path``; ``protect_policies`` puts them
    there): a new version of such a policy would change the role without touching it."""
    if isinstance(role_names, str):
        raise v.fail("role_names", role_names, "must be a list of role names, not one string")
    deployer_arns = _check_deployers(deployer_arns)
    names = sorted(set(role_names))
    if not names:
        raise v.fail("role_names", list(role_names), "must name at least one role")
    for name in names:
        if not isinstance(name, str) or not v.IAM_NAME.match(name) or len(name) > 64:
            raise v.fail("role_names", name, "must be IAM role names")
    if not isinstance(policy_path, str) or not re.fullmatch(r"/([\w+=,.@-]+/)+", policy_path, re.ASCII):
        raise v.fail("policy_path", policy_path, "must be an IAM path below the root, such as '/constructs-iam/protected/'")
    resources = [arn for name in names for arn in (f"arn:*:iam::*:role/{name}", f"arn:*:iam::*:role/*/{name}")]
    resources.append(f"arn:*:iam::*:policy{policy_path}*")
    return StatementSet(
        "ProtectPlatformRoles",
        "The developer, support and CI roles are the platform's promises (read-only, MFA, one repository); "
        "an account administrator must not widen them outside the reviewed deployment.",
        ({"Sid": "ProtectPlatformRoles", "Effect": "Deny", "Action": [*ROLE_CHANGE_ACTIONS, *POLICY_CHANGE_ACTIONS],
          "Resource": resources,
          "Condition": {"ArnNotLike": {"aws:PrincipalArn": list(deployer_arns)}}},
         protect_deployers(deployer_arns)),
    )


def deny_iam_users() -> StatementSet:
    """No IAM users, passwords or access keys in workload accounts: people live in the identity account."""
    return StatementSet(
        "DenyIamUsers",
        "People sign in once, in the identity account (or IAM Identity Center), and reach workload "
        "accounts through roles; a user or long-lived key in a workload account escapes that.",
        ({"Sid": "DenyIamUsers", "Effect": "Deny",
          "Action": ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:CreateUser"], "Resource": "*"},),
    )


GLOBAL_SERVICE_ACTIONS = (
    "a4b:*", "access-analyzer:*", "account:*", "acm:*", "activate:*", "artifact:*", "aws-marketplace-management:*",
    "aws-marketplace:*", "aws-portal:*", "billing:*", "billingconductor:*", "budgets:*", "ce:*", "chatbot:*",
    "chime:*", "cloudfront:*", "cloudtrail:LookupEvents", "compute-optimizer:*", "config:*", "consoleapp:*",
    "consolidatedbilling:*", "cur:*", "datapipeline:GetAccountLimits", "devicefarm:*", "directconnect:*",
    "discovery-marketplace:*", "ec2:DescribeRegions", "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways",
    "ecr-public:*", "fms:*", "freetier:*", "globalaccelerator:*", "health:*", "iam:*", "importexport:*",
    "invoicing:*", "iq:*", "license-manager:ListReceivedLicenses", "lightsail:Get*", "mobileanalytics:*",
    "networkmanager:*", "notifications-contacts:*", "notifications:*", "organizations:*", "payments:*",
    "pricing:*", "resource-explorer-2:*", "route53-recovery-cluster:*", "route53-recovery-control-config:*",
    "route53-recovery-readiness:*", "route53:*", "route53domains:*", "s3:CreateMultiRegionAccessPoint",
    "s3:DeleteMultiRegionAccessPoint", "s3:DescribeMultiRegionAccessPointOperation",
    "s3:GetAccountPublicAccessBlock", "s3:GetBucketLocation", "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock", "s3:GetMultiRegionAccessPoint", "s3:GetMultiRegionAccessPointPolicy",
    "s3:GetMultiRegionAccessPointPolicyStatus", "s3:GetStorageLensConfiguration", "s3:GetStorageLensDashboard",
    "s3:ListAllMyBuckets", "s3:ListMultiRegionAccessPoints", "s3:ListStorageLensConfigurations",
    "s3:PutAccountPublicAccessBlock", "s3:PutMultiRegionAccessPointPolicy", "savingsplans:*", "shield:*", "sso:*",
    "sts:*", "support:*", "supportapp:*", "supportplans:*", "sustainability:*", "tag:GetResources", "tax:*",
    "trustedadvisor:*", "vendor-insights:ListEntitledSecurityProfiles", "waf-regional:*", "waf:*", "wafv2:*",
)
"""Global services and operations exempt from a region restriction: the ``NotAction`` list of AWS's
example SCP "Deny access to AWS based on the requested AWS Region" (AWS Organizations User Guide,
as of 2026-11). AWS says it may not include every global service: extend it with what you use."""


def restrict_regions(regions: Sequence[str], global_actions: Sequence[str] = GLOBAL_SERVICE_ACTIONS) -> StatementSet:
    """Nothing outside ``regions``, except the global services (their endpoints live in us-east-1)."""
    if isinstance(regions, str) or not regions:
        raise v.fail("regions", regions, "must be a non-empty list of regions")
    for region in regions:
        if not isinstance(region, str) or not re.fullmatch(v.REGION.pattern.strip("^$"), region):
            raise v.fail("regions", region, "must be AWS regions such as 'eu-west-1'")
    return StatementSet(
        "RestrictRegions",
        "Data and resources stay in the regions the organisation operates and monitors; global services "
        "are exempt because their single endpoint is in us-east-1.",
        ({"Sid": "RestrictRegions", "Effect": "Deny", "NotAction": list(global_actions), "Resource": "*",
          "Condition": {"StringNotEquals": {"aws:RequestedRegion": sorted(set(regions))}}},),
    )


RCP_SERVICE_ACTIONS: tuple[str, ...] = (
    "aoss:*", "ecr:*", "kms:*", "s3:*", "secretsmanager:*", "sqs:*",
    "sts:AssumeRole", "sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo", "sts:GetFederationToken",
    "sts:GetServiceBearerToken", "sts:GetSessionToken", "sts:SetContext",
)
"""The actions the data-perimeter RCP covers: every action of the services RCPs support (Amazon S3,
AWS STS, AWS KMS, Amazon SQS, AWS Secrets Manager since 2024-11; Amazon ECR and Amazon OpenSearch
Serverless since 2025-06), except the STS calls in ``FEDERATION_EXCEPTIONS``."""

FEDERATION_EXCEPTIONS: Mapping[str, str] = {
    "sts:AssumeRoleWithWebIdentity": "an outside identity provider (GitHub Actions' OIDC for the CI role) "
    "calls it by design; the role's trust policy pins the provider, audience and subject",
    "sts:AssumeRoleWithSAML": "IAM Identity Center and other SAML providers call it by design; the trust "
    "policy pins the SAML provider",
    "sts:TagSession": "accompanies the web-identity and SAML calls (session tags from the token); an "
    "AssumeRole that adds tags is refused on sts:AssumeRole already",
    "sts:SetSourceIdentity": "accompanies the same federation calls; AssumeRole itself stays inside the perimeter",
}
"""STS actions left out of the identity perimeter, each with its reason."""


def data_perimeter_rcp(organization_id: str, exceptions: Sequence[PerimeterException] = (),
                       actions: Sequence[str] = RCP_SERVICE_ACTIONS) -> StatementSet:
    """Only the organisation's principals reach its resources, AWS services only on its behalf, TLS only.

    - ``EnforceOrgIdentities``: principals outside the organisation (and anonymous requests) are
      refused, unless an AWS service principal makes the request (``aws:PrincipalIsAWSService``) or an
      exception names the principal's account;
    - ``EnforceConfusedDeputyProtection``: an AWS service principal acting for a resource
      (``aws:SourceAccount`` present) must act for the organisation (``aws:SourceOrgID``);
    - ``EnforceSecureTransport``: no request without TLS.
    """
    _check_organization_id(organization_id)
    _check_exceptions(list(exceptions))
    accounts = sorted({a for e in exceptions for a in e.principal_accounts})
    identity: dict[str, Any] = {"aws:PrincipalOrgID": organization_id}
    source: dict[str, Any] = {"aws:SourceOrgID": organization_id}
    if accounts:
        identity["aws:PrincipalAccount"] = accounts
        source["aws:SourceAccount"] = accounts
    base = {"Effect": "Deny", "Principal": "*", "Action": list(actions), "Resource": "*"}
    return StatementSet(
        "DataPerimeterResources",
        "Only the organisation's principals reach its resources, whatever a bucket, key or queue policy "
        "says; AWS services only when they act for the organisation; never without TLS.",
        (
            {"Sid": "EnforceOrgIdentities", **base, "Condition": {
                "StringNotEqualsIfExists": identity, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
            {"Sid": "EnforceConfusedDeputyProtection", **base, "Condition": {
                "StringNotEqualsIfExists": source, "Null": {"aws:SourceAccount": "false"},
                "Bool": {"aws:PrincipalIsAWSService": "true"}}},
            {"Sid": "EnforceSecureTransport", **base, "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
        ),
    )


WRITE_ACTIONS = (
    "dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "events:PutEvents",
    "firehose:PutRecord", "firehose:PutRecordBatch", "kinesis:PutRecord", "kinesis:PutRecords",
    "lambda:InvokeFunction", "logs:PutLogEvents", "s3:PutObject", "s3:PutObjectAcl", "s3:ReplicateObject",
    "secretsmanager:PutSecretValue", "sns:Publish", "sqs:SendMessage",
)
"""Calls that move data into a resource: what the resource perimeter SCP keeps inside the organisation."""


def resource_perimeter_scp(organization_id: str, exceptions: Sequence[PerimeterException] = (),
                           actions: Sequence[str] = WRITE_ACTIONS) -> StatementSet:
    """The organisation's principals write only to the organisation's resources (``aws:ResourceOrgID``).

    AWS services that act for you with their own principals (service principals, service-linked
    roles) are not restricted by SCPs, so log delivery and replication by services are unaffected."""
    _check_organization_id(organization_id)
    _check_exceptions(list(exceptions))
    resource: dict[str, Any] = {"aws:ResourceOrgID": organization_id}
    accounts = sorted({a for e in exceptions for a in e.resource_accounts})
    if accounts:
        resource["aws:ResourceAccount"] = accounts
    condition: dict[str, Any] = {"StringNotEqualsIfExists": resource}
    principals = sorted({p for e in exceptions for p in e.principal_arns})
    if principals:
        condition["ArnNotLikeIfExists"] = {"aws:PrincipalArn": principals}
    return StatementSet(
        "DataPerimeterWrites",
        "The organisation's data leaves only through reviewed exceptions: its principals cannot write to a "
        "bucket, queue, topic or stream of another organisation.",
        ({"Sid": "EnforceResourcePerimeterWrites", "Effect": "Deny", "Action": list(actions), "Resource": "*",
          "Condition": condition},),
    )


def _check_exceptions(exceptions: Sequence[PerimeterException]) -> None:
    for index, exception in enumerate(exceptions):
        if not isinstance(exception, PerimeterException):
            raise v.fail("exceptions", exception, "must be PerimeterException objects")
        if exception in exceptions[:index]:
            raise v.fail("exceptions", exception.reason, f"repeats exceptions[{list(exceptions).index(exception)}]")


def _check_organization_id(organization_id: str) -> None:
    if not isinstance(organization_id, str) or not ORGANIZATION_ID.fullmatch(organization_id):
        raise v.fail("organization_id", organization_id, "must be an organization id (o- and 10-32 lowercase letters or digits)")


# -------------------------------------------------------------------------------------- packing


def render(statements: Iterable[Mapping[str, Any]]) -> str:
    """A policy document as Organizations stores it: compact JSON (every character counts). A
    statement that two sets share (``protect_deployers``) is written once."""
    unique: list[Mapping[str, Any]] = []
    for statement in statements:
        if statement not in unique:
            unique.append(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": unique}, separators=(",", ":"))


def protect_policies(scope: Construct, role_names: Sequence[str], path: str = PROTECTED_POLICY_PATH,
                     role_paths: Mapping[str, str] | None = None) -> list[str]:
    """Put the customer managed policies attached to the roles named ``role_names`` (anywhere under
    ``scope``) on ``path``, where ``protect_roles`` keeps them from being edited. Returns the
    construct paths of the policies moved. Changing a policy's path replaces it (new physical id,
    same logical id); the role keeps a policy attached throughout. ``role_paths``: role name -> a
    path of its own for that role's policies (under ``path``, so ``protect_roles`` still names them)."""
    from aws_cdk import Stack
    from aws_cdk import aws_iam as iam

    own = dict(role_paths or {})
    names = set(role_names) | set(own)
    found = scope.node.find_all()  # one list; the type tests below are Python's, without round trips
    named = {id(c): (c, c.role_name) for c in found if isinstance(c, iam.CfnRole)}
    roles = [c for c, name in named.values() if name in names]
    policies = [c for c in found if isinstance(c, iam.CfnManagedPolicy)]
    if not roles or not policies:
        return []
    stacks: dict[int, Stack] = {}  # jsii hands back one Python object per CDK object: group by identity
    by_stack: dict[int, tuple[list[Any], list[Any]]] = {}
    for kind, items in ((0, roles), (1, policies)):
        for item in items:
            owner = Stack.of(item)
            stacks[id(owner)] = owner
            by_stack.setdefault(id(owner), ([], []))[kind].append(item)
    moved = []
    for key, (stack_roles, stack_policies) in by_stack.items():
        if not stack_roles or not stack_policies:
            continue
        resolved = stacks[key].resolve([[r.ref for r in stack_roles], [p.roles for p in stack_policies]])  # one trip
        refs = {json.dumps(r, sort_keys=True): own.get(named[id(role)][1] or "", path)
                for r, role in zip(resolved[0], stack_roles)}
        for policy, attached in zip(stack_policies, resolved[1]):
            keys = [json.dumps(r, sort_keys=True) for r in attached or []]
            paths = sorted({refs[k] for k in keys if k in refs}, key=len, reverse=True)
            if paths:  # a policy shared with a role of its own path goes there (the narrower one)
                policy.path = paths[0]
                moved.append(policy.node.path)
    return moved


@dataclass(frozen=True)
class PackedPolicy:
    """One policy document and the statement sets it holds."""

    sets: tuple[StatementSet, ...]
    content: str

    @property
    def size(self) -> int:
        return len(self.content)


class PolicyPackingError(ValueError):
    """The statement sets cannot fit Organizations' quotas."""


def pack(sets: Sequence[StatementSet], *, slots: int = DEFAULT_SLOTS, kind: str = "SCP",
         max_characters: int = MAX_POLICY_CHARACTERS) -> list[PackedPolicy]:
    """Documents of at most ``max_characters`` that hold ``sets``, each set whole, as few as first fit finds.

    First fit in the given order: a set goes into the first document it fits into, so the same
    sets always give the same documents (a sort by size could save a document in rare cases, at the
    price of documents that reshuffle when one set grows). Raises ``PolicyPackingError`` naming the set and the sizes
    when one set alone is too large, or when more than ``slots`` documents are needed."""
    ids = [s.id for s in sets]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise PolicyPackingError(f"{kind} statement sets {duplicates} are given more than once")
    bins: list[list[StatementSet]] = []
    for statement_set in sets:
        alone = len(render(statement_set.statements))
        if alone > max_characters:
            raise PolicyPackingError(
                f"{kind} statement set {statement_set.id!r} is {alone} characters, more than the {max_characters} "
                "Organizations allows in one policy: split it into smaller sets or shorten its lists")
        for bin_ in bins:
            if len(render([st for s in [*bin_, statement_set] for st in s.statements])) <= max_characters:
                bin_.append(statement_set)
                break
        else:
            bins.append([statement_set])
    if len(bins) > slots:
        sizes = ", ".join(f"{s.id} ({len(render(s.statements))})" for s in sets)
        raise PolicyPackingError(
            f"{kind} statement sets need {len(bins)} policies of at most {max_characters} characters, but only "
            f"{slots} can be attached to one target (Organizations allows {MAX_POLICIES_PER_TARGET}, the full-access "
            f"policy takes one): {sizes}. Attach some sets to another level (an OU instead of the root) or drop some")
    return [PackedPolicy(tuple(b), render([st for s in b for st in s.statements])) for b in bins]


# ------------------------------------------------------------------------------------ construct


@dataclass(frozen=True)
class PolicyAttachment:
    """Statement sets attached together to the same roots, OUs or accounts."""

    statement_sets: tuple[StatementSet, ...]
    target_ids: tuple[str, ...]
    name: str = "Guardrails"


class OrganizationPolicies(Construct):
    """SCPs or RCPs as ``AWS::Organizations::Policy``, packed within Organizations' quotas.

    Deploy it in the management account (or a delegated administrator for policy management),
    with the policy type enabled on the root. Each attachment is packed on its own
    (``pack``); a target that would hold more than ``slots`` policies of this type fails synth
    with a ``PropsError``. Every policy records in its metadata the sets it holds and their reasons
    (``METADATA_KEY``), which ``constructs_iam.access.organization`` and the access report read.

    :param policy_type: ``SERVICE_CONTROL_POLICY`` or ``RESOURCE_CONTROL_POLICY``.
    :param attachments: statement sets and the root, OU or account ids they attach to.
    :param name_prefix: policy names are ``<name_prefix>-<attachment name>-<n>``. Default: ``constructs-iam``.
    :param slots: policies of this type the guardrails may use per target. Default: 4 (Organizations'
        5 minus the full-access policy); lower it when other policies (Control Tower's) are attached too.
    """

    def __init__(self, scope: Construct, id: str, *, policy_type: OrganizationPolicyType,
                 attachments: Sequence[PolicyAttachment], name_prefix: str = "constructs-iam",
                 slots: int = DEFAULT_SLOTS) -> None:
        super().__init__(scope, id)
        kind = "SCP" if policy_type is OrganizationPolicyType.SERVICE_CONTROL_POLICY else "RCP"
        self.policies: list[organizations.CfnPolicy] = []
        self.packed: dict[str, list[PackedPolicy]] = {}
        with v.Checks(self) as check:
            if not isinstance(policy_type, OrganizationPolicyType):
                check.fail("policy_type", policy_type, "must be an OrganizationPolicyType")
            check(v.int_between, "slots", slots, 1, MAX_POLICIES_PER_TARGET)
            if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", str(name_prefix)):
                check.fail("name_prefix", name_prefix, "must be 1-64 letters, digits or '-'")
            names = [a.name for a in attachments]
            if not attachments:
                check.fail("attachments", list(attachments), "must hold at least one attachment")
            for attachment in attachments:
                if names.count(attachment.name) > 1:
                    check.fail("attachments", attachment.name, "names must be unique")
                if not attachment.statement_sets:
                    check.fail(f"attachments[{attachment.name}].statement_sets", [], "must hold at least one statement set")
                if isinstance(attachment.target_ids, str) or not attachment.target_ids:
                    check.fail(f"attachments[{attachment.name}].target_ids", attachment.target_ids,
                               "must be a non-empty list of root, OU or account ids")
                    continue
                if len(set(attachment.target_ids)) != len(attachment.target_ids):
                    check.fail(f"attachments[{attachment.name}].target_ids", list(attachment.target_ids),
                               "must not name a target twice")
                for statement_set in attachment.statement_sets:
                    for statement in statement_set.statements:
                        if statement.get("Effect") not in ("Allow", "Deny") or "NotPrincipal" in statement:
                            check.fail(f"attachments[{attachment.name}]", statement_set.id,
                                       "statements need Effect 'Allow' or 'Deny' and no NotPrincipal (not in SCP or RCP grammar)")
                for target in attachment.target_ids:
                    if not isinstance(target, str) or not TARGET_ID.fullmatch(target):
                        check.fail(f"attachments[{attachment.name}].target_ids", target,
                                   "must be a root id (r-...), an OU id (ou-...-...) or a 12-digit account id")
                if policy_type is OrganizationPolicyType.RESOURCE_CONTROL_POLICY:
                    for statement_set in attachment.statement_sets:
                        for statement in statement_set.statements:
                            if statement.get("Effect") != "Deny" or statement.get("Principal") != "*" or "NotAction" in statement:
                                check.fail(f"attachments[{attachment.name}]", statement_set.id,
                                           "RCP statements must be Deny with Principal '*' and Action (Allow is reserved "
                                           "for RCPFullAWSAccess, NotAction is not supported)")
                elif any("Principal" in st for s in attachment.statement_sets for st in s.statements):
                    check.fail(f"attachments[{attachment.name}]", attachment.name, "SCP statements have no Principal")
                with check.each():
                    self.packed[attachment.name] = pack(attachment.statement_sets, slots=slots, kind=kind)
        per_target: dict[str, int] = {}
        for attachment in attachments:
            for target in attachment.target_ids:
                per_target[target] = per_target.get(target, 0) + len(self.packed[attachment.name])
        crowded = {t: n for t, n in per_target.items() if n > slots}
        if crowded:
            raise v.PropsError(self.node.path, type(self).__name__, [
                f"target {t!r} would hold {n} {kind}s, more than the {slots} slots (Organizations allows "
                f"{MAX_POLICIES_PER_TARGET} per target, the full-access policy takes one)" for t, n in sorted(crowded.items())])
        for attachment in attachments:
            for index, packed in enumerate(self.packed[attachment.name], start=1):
                policy = organizations.CfnPolicy(
                    self, f"{attachment.name}{index}",
                    name=f"{name_prefix}-{attachment.name}-{index}",
                    type=policy_type.value,
                    content=json.loads(packed.content),  # CloudFormation sends it compact, as sized
                    target_ids=list(attachment.target_ids),
                    description=("constructs-iam guardrails: " + ", ".join(s.id for s in packed.sets))[:512],
                )
                policy.add_metadata(METADATA_KEY, {
                    "type": policy_type.value,
                    "sets": [{"id": s.id, "reason": s.reason} for s in packed.sets],
                })
                self.policies.append(policy)


__all__ = [
    "DEFAULT_DEPLOYER_ARNS",
    "FEDERATION_EXCEPTIONS",
    "GLOBAL_SERVICE_ACTIONS",
    "MAX_POLICIES_PER_TARGET",
    "MAX_POLICY_CHARACTERS",
    "OrganizationPolicies",
    "OrganizationPolicyType",
    "PackedPolicy",
    "PerimeterException",
    "PolicyAttachment",
    "PolicyPackingError",
    "PROTECTED_POLICY_PATH",
    "RCP_SERVICE_ACTIONS",
    "StatementSet",
    "WRITE_ACTIONS",
    "data_perimeter_rcp",
    "deny_iam_users",
    "deny_leaving_organization",
    "deny_root_user",
    "pack",
    "protect_policies",
    "protect_roles",
    "protect_security_services",
    "resource_perimeter_scp",
    "restrict_regions",
]
