"""The app's typed configuration, read from cdk.json's context key ``constructs-iam``.

Every value is checked here, and a missing or malformed one raises ``ConfigError`` naming the
context key (``constructs-iam.production_account_id``), the value and the rule, before any
construct is built.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Union

from constructs_iam import ACCOUNT_ID_PATTERN, TenantIsolatedBucket, normalize_s3_prefix
from constructs_iam import _validation as v
from constructs_iam.organization_policies import DEPLOYER_ARN
from constructs_iam.trust import check_principal_arns

CONTEXT_KEY = "constructs-iam"
ROOT = Path(__file__).resolve().parent.parent

# Every pattern is matched whole (``re.fullmatch`` in ``_Reader``), and the values a construct checks
# again are checked here by the same shared functions (``constructs_iam._validation``), so a value
# that the reader accepts is never refused later by a construct under a prop name instead of its key.
_NAME = re.compile(r"^[\w+=,.@-]{1,64}\Z", re.ASCII)
_EMAIL = v.EMAIL
_WORKLOAD = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,39}\Z")
_OU = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})\Z")
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com\Z")


_TOP_KEYS = (
    "region", "identity_account_id", "production_account_id", "ec2_read_prefixes", "app_prefix", "app_service",
    "developer_role_name", "developer_session_hours", "developer_trusted_principal_arns", "developer_access",
    "developer_extras", "scaling_instance_types",
    "stack_prefix", "identity", "workloads", "stacksets", "ci", "identity_center", "support_role_name",
    "organization",
    "delegation",
    "session_role_name",
    "lifecycle",
)
_DELEGATION_KEYS = ("team", "role_path", "boundary_name", "qualifier", "allowed_services", "pass_to_services",
                    "managed_policy_arns", "regions")
_CI_KEYS = ("repository", "branches", "environments", "tags", "deploy_accounts", "deploy_regions", "cdk_qualifier",
            "role_name", "workflow")
_IDENTITY_CENTER_KEYS = ("instance_arn", "group_id", "account_ids", "access", "extras", "session_hours", "name")
_IDENTITY_KEYS = ("groups", "users", "alarm_emails", "password_policy", "developer_group", "root_alarm_regions")
_USER_KEYS = ("name", "groups", "console_access", "access_key", "rotate_access_key_days", "status", "renamed_from")
_LIFECYCLE_KEYS = ("acknowledge",)
_ACKNOWLEDGE_KEYS = ("resource", "change", "reason")
_PASSWORD_KEYS = ("minimum_length", "reuse_prevention", "max_age_days")
_WORKLOADS_KEYS = ("bucket_name", "shards", "items", "kms_key_arn", "create_bucket")
_WORKLOAD_KEYS = ("name", "prefix", "access", "service", "role", "reads_from", "whole_bucket")
_STACKSETS_KEYS = ("enabled", "organizational_unit_ids", "regions", "failure_tolerance_percentage",
                   "max_concurrent_percentage", "delegated_admin")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})\Z")


class ConfigError(ValueError):
    """A context value in cdk.json is missing or malformed."""


@dataclass(frozen=True)
class UserConfig:
    name: str
    groups: tuple[str, ...]
    console_access: bool = True
    access_key: bool = False
    rotate_access_key_days: int | None = None  # Secrets Manager rotates the key (HumanUser rotate_every)
    status: str = "active"  # or "offboarded": the user stays (audit), every credential, group and permission goes
    renamed_from: str | None = None  # the user name the person was first deployed with (a declared rename)

    @property
    def offboarded(self) -> bool:
        return self.status == "offboarded"


@dataclass(frozen=True)
class PasswordPolicyConfig:
    minimum_length: int = 14
    reuse_prevention: int = 24
    max_age_days: int | None = 90


@dataclass(frozen=True)
class IdentityConfig:
    groups: tuple[str, ...] = ("developers",)
    users: tuple[UserConfig, ...] = ()
    alarm_emails: tuple[str, ...] = ()
    password_policy: PasswordPolicyConfig = field(default_factory=PasswordPolicyConfig)
    developer_group: str = "developers"
    root_alarm_regions: tuple[str, ...] = ("us-east-1",)


@dataclass(frozen=True)
class WorkloadConfig:
    """One service with its own S3PrefixAccessRole on its own prefix of the shared bucket."""

    name: str
    prefix: str
    access: str = "read-write"
    service: str = "ecs-tasks.amazonaws.com"
    role: str = "s3-prefix"  # or "ec2-read": an Ec2S3ReadOnlyRole with its instance profile
    reads_from: tuple[str, ...] = ()  # other workloads whose prefixes this one may read
    whole_bucket: bool = False  # prefix "" on purpose: only when it is the bucket's one workload


@dataclass(frozen=True)
class WorkloadsConfig:
    bucket_name: str = ""
    shards: int = 16
    items: tuple[WorkloadConfig, ...] = ()
    kms_key_arn: str | None = None  # the bucket's customer managed key: roles get kms:Decrypt/GenerateDataKey via S3
    create_bucket: bool = False  # the app creates the bucket as a TenantIsolatedBucket (ABAC deny per tenant)


@dataclass(frozen=True)
class StackSetConfig:
    """Roll the production-access stack out to every account of some OUs (service-managed)."""

    enabled: bool = False
    organizational_unit_ids: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    failure_tolerance_percentage: int = 0
    max_concurrent_percentage: int = 25
    delegated_admin: bool = False


@dataclass(frozen=True)
class CiConfig:
    """GitHub Actions deploys with the CDK through an OIDC role (no stored keys)."""

    repository: str
    branches: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    deploy_accounts: tuple[str, ...] = ()
    deploy_regions: tuple[str, ...] = ()  # default: the app's region
    cdk_qualifier: str = "hnb659fds"
    role_name: str = "GitHubActionsDeploy"
    workflow: str | None = None  # pin the workflow file (needs the repository's custom OIDC subject template)


@dataclass(frozen=True)
class IdentityCenterConfig:
    """The developer permission set in IAM Identity Center (deployed in the identity account)."""

    instance_arn: str
    group_id: str | None = None
    account_ids: tuple[str, ...] = ()
    access: str = "configuration"
    extras: tuple[str, ...] = ()
    session_hours: int = 1
    name: str = "DeveloperReadOnly"


@dataclass(frozen=True)
class DelegationConfig:
    """One team that creates its own roles under a DelegationBoundary, and deploys with its own
    CDK bootstrap (qualifier) whose execution role is under that boundary."""

    team: str
    role_path: str
    boundary_name: str
    qualifier: str
    allowed_services: tuple[tuple[str, str], ...]  # (service prefix, reason)
    pass_to_services: tuple[tuple[str, str], ...]  # (service principal, reason)
    managed_policy_arns: tuple[tuple[str, str], ...] = ()  # (policy ARN, reason)
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class LifecycleAcknowledgment:
    """A removal or replacement of a stateful identity, accepted by the lifecycle gate (construct path)."""

    resource: str
    change: str  # "remove" or "replace"
    reason: str


@dataclass(frozen=True)
class LifecycleConfig:
    """``lifecycle.acknowledge``: the changes ``python -m constructs_iam.lifecycle`` lets through."""

    acknowledge: tuple[LifecycleAcknowledgment, ...] = ()


@dataclass(frozen=True)
class AppConfig:
    """Everything app.py needs, validated."""

    region: str
    identity_account_id: str
    production_account_id: str
    ec2_read_prefixes: tuple[str, ...]
    app_prefix: str
    app_service: str
    developer_role_name: str
    developer_session_hours: int = 1
    developer_trusted_principal_arns: tuple[str, ...] = ()
    developer_access: str = "configuration"  # or "view-only"
    developer_extras: tuple[str, ...] = ()  # "logs", "traces"
    scaling_instance_types: tuple[str, ...] = ()
    stack_prefix: str = "ConstructsIam"
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    workloads: WorkloadsConfig = field(default_factory=WorkloadsConfig)
    stacksets: StackSetConfig = field(default_factory=StackSetConfig)
    ci: CiConfig | None = None
    identity_center: IdentityCenterConfig | None = None
    support_role_name: str = "Support"
    organization: OrganizationConfig | None = None
    delegation: DelegationConfig | None = None
    session_role_name: str = "InstanceSession"  # InstanceSessionAccess in the production account
    lifecycle: LifecycleConfig = field(default_factory=lambda: LifecycleConfig())

    @classmethod
    def from_context(cls, node: Any) -> AppConfig:
        """Read ``constructs-iam`` from a construct node's context (an App's, usually)."""
        raw = node.try_get_context(CONTEXT_KEY)
        if raw is None:
            raise ConfigError(f"context key '{CONTEXT_KEY}' is missing: see cdk.json for a complete sample")
        overrides = {}
        for key in _OVERRIDABLE:
            value = node.try_get_context(f"{CONTEXT_KEY}.{key}")
            if value is not None:
                overrides[key] = _parse_override(key, value)
        return cls.from_dict({**raw, **overrides})

    @classmethod
    def from_dict(cls, raw: Any) -> AppConfig:
        r = _Reader(raw, CONTEXT_KEY, _TOP_KEYS)
        identity = r.sub("identity", _IDENTITY_KEYS)
        users = tuple(_user(u) for u in identity.items("users", _USER_KEYS))
        for index, user in enumerate(users):
            if user.rotate_access_key_days and not user.access_key:
                raise ConfigError(f"{CONTEXT_KEY}.identity.users[{index}].rotate_access_key_days needs access_key: true")
        _refuse_duplicates(f"{CONTEXT_KEY}.identity.users", [u.name for u in users], "user name", ".name")
        for index, user in enumerate(users):
            _refuse_duplicates(f"{CONTEXT_KEY}.identity.users[{index}].groups", list(user.groups), "group")
        groups = tuple(identity.strings("groups", _NAME, "must be IAM group names", default=["developers"]))
        _refuse_duplicates(f"{CONTEXT_KEY}.identity.groups", list(groups), "group")
        _refuse_duplicates(f"{CONTEXT_KEY}.identity.users", [u.renamed_from or u.name for u in users],
                           "first user name (renamed_from, else name)", "")
        for user in users:
            for group in () if user.offboarded else user.groups:  # an offboarded person's groups are a record
                if group not in groups:
                    raise ConfigError(
                        f"{CONTEXT_KEY}.identity.users[{user.name}].groups {group!r} is not one of "
                        f"{CONTEXT_KEY}.identity.groups {list(groups)}"
                    )
        developer_group = identity.string("developer_group", _NAME, "must be a group name", default="developers")
        if developer_group not in groups:
            raise ConfigError(
                f"{CONTEXT_KEY}.identity.developer_group {developer_group!r} is not one of "
                f"{CONTEXT_KEY}.identity.groups {list(groups)}"
            )
        pp = identity.sub("password_policy", _PASSWORD_KEYS)
        workloads = r.sub("workloads", _WORKLOADS_KEYS)
        items = tuple(
            WorkloadConfig(
                name=w.string("name", _WORKLOAD, "must be 1-40 letters, digits or '-', starting with a letter"),
                prefix=w.string("prefix", None, ""),
                access=w.string("access", re.compile(r"read|write|read-write|read-write-delete"),
                                "must be one of read, write, read-write, read-write-delete", default="read-write"),
                service=w.string("service", v.service_principal, "",
                                 default="ecs-tasks.amazonaws.com"),
                role=w.string("role", re.compile(r"s3-prefix|ec2-read"), "must be s3-prefix or ec2-read", default="s3-prefix"),
                reads_from=tuple(w.strings("reads_from", _WORKLOAD, "must name other workloads", default=[])),
                whole_bucket=w.boolean("whole_bucket", False),
            )
            for w in workloads.items("items", _WORKLOAD_KEYS)
        )
        items = _check_workloads(items)
        if items and not workloads.raw.get("bucket_name"):
            raise ConfigError(f"{CONTEXT_KEY}.workloads.bucket_name is missing: the bucket the workloads' prefixes are in")
        if workloads.raw.get("create_bucket") is True:
            _check_isolated(items, workloads.raw)
        stacksets = r.sub("stacksets", _STACKSETS_KEYS)
        ci = None
        if "ci" in r.raw:
            c = r.sub("ci", _CI_KEYS)
            ci = CiConfig(
                repository=c.string("repository", v.github_repository, ""),
                branches=tuple(c.strings("branches", lambda key, x: v.git_ref_name(key, x, "branch"), "", default=[],
                                         unique=True)),
                environments=tuple(c.strings("environments", v.github_environment, "", default=[], unique=True)),
                tags=tuple(c.strings("tags", lambda key, x: v.git_ref_name(key, x, "tag"), "", default=[], unique=True)),
                deploy_accounts=tuple(c.strings("deploy_accounts", v.account_id, "", default=[], unique=True)),
                cdk_qualifier=c.string("cdk_qualifier", v.CDK_QUALIFIER, "must be a bootstrap qualifier",
                                       default="hnb659fds"),
                role_name=c.string("role_name", _NAME, "must be an IAM role name", default="GitHubActionsDeploy"),
                deploy_regions=tuple(c.strings("deploy_regions", v.region, "must be region names", default=[])),
                workflow=None if c.raw.get("workflow") is None else c.string(
                    "workflow", re.compile(r"^\.github/workflows/[A-Za-z0-9_.-]+\.ya?ml$"),
                    "must be the path of a workflow file, e.g. '.github/workflows/deploy.yml'"),
            )
            if not (ci.branches or ci.environments or ci.tags):
                raise ConfigError(f"{CONTEXT_KEY}.ci needs branches, environments or tags: a trust on the repository "
                                  "alone lets every branch and pull request deploy")
        identity_center = None
        if "identity_center" in r.raw:
            ic = r.sub("identity_center", _IDENTITY_CENTER_KEYS)
            identity_center = IdentityCenterConfig(
                instance_arn=ic.string("instance_arn", v.SSO_INSTANCE_ARN,
                                       "must be an IAM Identity Center instance ARN"),
                group_id=ic.string("group_id", v.IDENTITY_STORE_GROUP_ID, "must be an identity store group id") if "group_id" in ic.raw else None,
                account_ids=tuple(ic.strings("account_ids", v.account_id, "", default=[], unique=True)),
                access=ic.string("access", re.compile(r"configuration|view-only"), "must be configuration or view-only",
                                 default="configuration"),
                extras=tuple(ic.strings("extras", re.compile(r"logs|traces"), "must be logs or traces", default=[], unique=True)),
                session_hours=ic.integer("session_hours", 1, 1, 12),
                name=ic.string("name", v.PERMISSION_SET_NAME, "must be a permission set name", default="DeveloperReadOnly"),
            )
        delegation = None
        if "delegation" in r.raw:
            d = r.sub("delegation", _DELEGATION_KEYS)
            delegation = DelegationConfig(
                team=d.string("team", _WORKLOAD, "must be 1-40 letters, digits or '-', starting with a letter"),
                role_path=d.string("role_path", re.compile(r"^/(?:[\x21-\x7E]+/)+$"),
                                   "must be the team's IAM path such as '/teams/payments/' (not '/')"),
                boundary_name=d.string("boundary_name", _NAME, "must be an IAM policy name"),
                qualifier=d.string("qualifier", re.compile(r"^[a-z0-9]{1,10}$"), "must be a bootstrap qualifier"),
                allowed_services=_reasons(d, "allowed_services", re.compile(r"^[a-z0-9-]{1,40}$"),
                                          "must be service prefixes such as 's3'"),
                pass_to_services=_reasons(d, "pass_to_services", re.compile(r"^[a-z0-9.-]+\.amazonaws\.com$"),
                                          "must be service principals"),
                managed_policy_arns=_reasons(d, "managed_policy_arns", re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/.+$"),
                                             "must be IAM policy ARNs", required=False),
                regions=tuple(d.strings("regions", v.region, "must be AWS regions", default=[])),
            )
        stackset_enabled = stacksets.boolean("enabled", False)
        lifecycle = _lifecycle(r.sub("lifecycle", _LIFECYCLE_KEYS))
        identity_account_id = r.string("identity_account_id", v.account_id, "must be 12 digits")
        config = cls(
            delegation=delegation,
            lifecycle=lifecycle,
            region=r.string("region", v.region, ""),
            identity_account_id=identity_account_id,
            production_account_id=r.string("production_account_id", v.account_id, "must be 12 digits"),
            ec2_read_prefixes=tuple(r.strings("ec2_read_prefixes", _prefix, "", non_empty=True, unique=True)),
            app_prefix=r.string("app_prefix", _prefix, ""),
            app_service=r.string("app_service", v.service_principal, ""),
            developer_role_name=r.string("developer_role_name", _NAME, "must be an IAM role name"),
            developer_session_hours=r.integer("developer_session_hours", 1, 1, 12),
            developer_trusted_principal_arns=tuple(
                r.strings("developer_trusted_principal_arns",
                          lambda key, arn: check_principal_arns(key, [arn], identity_account_id),
                          "", default=[], unique=True)
            ),
            developer_access=r.string("developer_access", re.compile(r"configuration|view-only"),
                                      "must be configuration or view-only", default="configuration"),
            developer_extras=tuple(r.strings("developer_extras", re.compile(r"logs|traces"),
                                             "must be logs or traces", default=[], unique=True)),
            scaling_instance_types=tuple(
                r.strings("scaling_instance_types", re.compile(r"[a-z][a-z0-9-]*\.(\*|[a-z0-9]+)"),
                          "must be instance types such as 't3.micro'", default=[], unique=True)
            ),
            ci=ci,
            identity_center=identity_center,
            organization=read_organization(r) if "organization" in r.raw else None,
            support_role_name=r.string("support_role_name", _NAME, "must be an IAM role name", default="Support"),
            session_role_name=r.string("session_role_name", _NAME, "must be an IAM role name", default="InstanceSession"),
            stack_prefix=r.string("stack_prefix", re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}"),
                                  "must start with a letter and contain letters, digits, '-'", default="ConstructsIam"),
            identity=IdentityConfig(
                groups=groups,
                users=users,
                alarm_emails=tuple(identity.strings("alarm_emails", _EMAIL, "must be e-mail addresses", default=[], unique=True)),
                password_policy=PasswordPolicyConfig(
                    minimum_length=pp.integer("minimum_length", 14, 14, 128),
                    reuse_prevention=pp.integer("reuse_prevention", 24, 1, 24),
                    max_age_days=pp.optional_integer("max_age_days", 90, 1, 1095),
                ),
                developer_group=developer_group,
                root_alarm_regions=tuple(identity.strings(
                    "root_alarm_regions", v.region, "", default=["us-east-1"], non_empty=True, unique=True)),
            ),
            workloads=WorkloadsConfig(
                bucket_name=workloads.string("bucket_name", v.bucket_name,
                                             "must be an S3 bucket name", default="") if items else "",
                shards=workloads.integer("shards", 16, 1, 200),
                items=items,
                kms_key_arn=workloads.string("kms_key_arn", _KMS_KEY_ARN,
                                             "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
                if "kms_key_arn" in workloads.raw else None,
                create_bucket=workloads.boolean("create_bucket", False),
            ),
            stacksets=StackSetConfig(
                enabled=stackset_enabled,
                organizational_unit_ids=tuple(stacksets.strings(
                    "organizational_unit_ids", _OU, "must be OU ids (ou-xxxx-yyyyyyyy) or a root id (r-xxxx)",
                    default=[], non_empty=stackset_enabled, unique=True)),
                regions=tuple(stacksets.strings("regions", v.region, "", default=[], non_empty=stackset_enabled, unique=True)),
                failure_tolerance_percentage=stacksets.integer("failure_tolerance_percentage", 0, 0, 100),
                max_concurrent_percentage=stacksets.integer("max_concurrent_percentage", 25, 1, 100),
                delegated_admin=stacksets.boolean("delegated_admin", False),
            ),
        )
        _refuse_shared_role_names(config)
        return config


def _user(u: _Reader) -> UserConfig:
    """One person; an offboarded one needs no groups (any listed are kept as a record, not applied)."""
    status = u.string("status", re.compile(r"^(active|offboarded)$"), "must be active or offboarded", default="active")
    offboarded = status == "offboarded"
    name = u.string("name", _NAME, "must be an IAM user name (1-64 of letters, digits, +=,.@_-)")
    renamed_from = u.string("renamed_from", _NAME, "must be the IAM user name the person had before") \
        if "renamed_from" in u.raw else None
    if renamed_from is not None and renamed_from.lower() == name.lower():
        raise ConfigError(f"{u.path}.renamed_from {renamed_from!r} is the name itself: give the previous user name")
    return UserConfig(
        name=name,
        groups=tuple(u.strings("groups", _NAME, "must name groups", non_empty=not offboarded,
                               default=[] if offboarded else _Reader._MISSING)),
        console_access=u.boolean("console_access", True),
        access_key=u.boolean("access_key", False),
        rotate_access_key_days=u.optional_integer("rotate_access_key_days", None, 1, 365),
        status=status,
        renamed_from=renamed_from,
    )


def _lifecycle(lifecycle: _Reader) -> LifecycleConfig:
    acknowledgments = tuple(
        LifecycleAcknowledgment(
            resource=a.string("resource", re.compile(r"^[^\s/][^\s]*/[^\s]+$"),
                              "must be a construct path such as 'ConstructsIam-Identity/User-bob.example/User'"),
            change=a.string("change", re.compile(r"^(remove|replace)$"), "must be remove or replace"),
            reason=a.string("reason", lambda key, value: v.reason(key, value, "the change is safe"), ""),
        )
        for a in lifecycle.items("acknowledge", _ACKNOWLEDGE_KEYS)
    )
    return LifecycleConfig(acknowledge=acknowledgments)


# Top-level fields that `cdk ... -c constructs-iam.<field>=<value>` may override (the CLI cannot set
# nested context keys). Values are JSON when they parse as JSON ('["a/"]', '4'), else strings.
_OVERRIDABLE = (
    "region",
    "identity_account_id",
    "production_account_id",
    "ec2_read_prefixes",
    "app_prefix",
    "app_service",
    "developer_role_name",
    "developer_session_hours",
    "developer_trusted_principal_arns",
    "developer_access",
    "developer_extras",
    "scaling_instance_types",
    "stack_prefix",
    "organization",  # '{"enabled": false}' switches the management account's stack off
)


# Which cdk.json key each construct prop of the app is built from: a value the reader let through
# and a construct refused is reported under its key (``config_error``).
_PROP_KEYS: dict[str, dict[str, str]] = {
    "GitHubActionsRole": {"repository": "ci.repository", "branches": "ci.branches", "environments": "ci.environments",
                          "tags": "ci.tags", "deploy_accounts": "ci.deploy_accounts", "cdk_qualifier": "ci.cdk_qualifier",
                          "role_name": "ci.role_name", "provider": "production_account_id"},
    "GitHubOidcProvider": {"url": "production_account_id"},
    "DeveloperReadOnlyPermissionSet": {"instance_arn": "identity_center.instance_arn", "group_id": "identity_center.group_id",
                                       "account_ids": "identity_center.account_ids", "name": "identity_center.name",
                                       "session_duration": "identity_center.session_hours",
                                       "access": "identity_center.access", "extras": "identity_center.extras"},
    "DeveloperReadOnlyRole": {"trusted_account_id": "identity_account_id", "role_name": "developer_role_name",
                              "trusted_principal_arns": "developer_trusted_principal_arns",
                              "max_session_duration": "developer_session_hours", "access": "developer_access",
                              "extras": "developer_extras"},
    "SupportRole": {"role_name": "support_role_name", "trusted_account_id": "identity_account_id"},
    "RootActivityAlarm": {"emails": "identity.alarm_emails"},
    "AccessAnalyzer": {"organization": "identity.root_alarm_regions"},
    "Ec2S3ReadOnlyRole": {"locations": "ec2_read_prefixes"},
    "S3PrefixAccessRole": {"location": "app_prefix", "assumed_by": "app_service"},
    "ScalingServiceRole": {"instance_types": "scaling_instance_types"},
    "TenantIsolatedBucket": {"bucket_name": "workloads.bucket_name"},
    "TenantIsolatedBucket.admit": {"prefix": "workloads.items", "pattern": "workloads.items"},
}


def config_error(error: Any) -> ConfigError:
    """A construct's ``PropsError`` for a value from cdk.json, as a ``ConfigError`` naming its key
    (each problem ``prop 'value' rule`` becomes ``constructs-iam.<key>: prop 'value' rule``)."""
    keys = _PROP_KEYS.get(error.kind, {})
    lines = []
    for problem in error.problems:
        prop = problem.split(" ", 1)[0].split("[", 1)[0]
        key = keys.get(prop)
        where = f"{CONTEXT_KEY}.{key}" if key else f"{CONTEXT_KEY} (the value of {prop})"
        lines.append(f"{where}: {problem} (refused by {error.path}, {error.kind})")
    return ConfigError("\n".join(lines))


def _refuse_shared_role_names(config: AppConfig) -> None:
    """Role names are unique per account (case-insensitively): two keys naming one role in the
    production account would pass synth and fail at deploy."""
    named = [("developer_role_name", config.developer_role_name), ("support_role_name", config.support_role_name)]
    if config.ci is not None:
        named.append(("ci.role_name", config.ci.role_name))
    seen: dict[str, str] = {}
    for key, name in named:
        if name.lower() in seen:
            raise ConfigError(f"{CONTEXT_KEY}.{seen[name.lower()]} and {CONTEXT_KEY}.{key}: role name {name!r} is used twice "
                              f"in the production account {config.production_account_id}; IAM role names are unique per account")
        seen[name.lower()] = key


def _refuse_duplicates(path: str, values: list[str], what: str, suffix: str = "", *, fold: bool = True) -> None:
    """Refuse a value listed twice (case-insensitively, as IAM names are, unless ``fold`` is False),
    naming both entries."""
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        key = value.lower() if fold else value
        if key in first:
            raise ConfigError(f"{path}[{first[key]}]{suffix} and {path}[{index}]{suffix}: {what} {value!r} "
                              "is listed more than once")
        first[key] = index


def _check_workloads(items: tuple[WorkloadConfig, ...]) -> tuple[WorkloadConfig, ...]:
    """Names unique, prefixes normalised and pairwise disjoint, reads_from naming real workloads,
    a whole-bucket workload only on purpose and only alone: one tenant never sees another by accident."""
    path = f"{CONTEXT_KEY}.workloads.items"
    _refuse_duplicates(path, [item.name for item in items], "name", ".name")
    normalised = []
    for index, item in enumerate(items):
        try:
            prefix = normalize_s3_prefix(item.prefix)
        except ValueError as error:
            raise ConfigError(f"{path}[{index}].prefix {item.prefix!r}: {error}") from None
        if prefix == "" and not item.whole_bucket:
            raise ConfigError(
                f"{path}[{index}].prefix '' gives workload {item.name!r} the whole bucket ({item.access}, every "
                "tenant's data); give it its own prefix, or set whole_bucket: true if it really is the only workload"
            )
        if prefix != "" and item.whole_bucket:
            raise ConfigError(f"{path}[{index}].whole_bucket is true but prefix is {item.prefix!r}; use one or the other")
        normalised.append(replace(item, prefix=prefix))
    # sorted, a prefix of another sorts right before it or before something it also prefixes:
    # comparing neighbours finds every overlap in O(n log n)
    order = sorted(range(len(normalised)), key=lambda k: normalised[k].prefix)
    for i, j in zip(order, order[1:]):
        a, b = normalised[i], normalised[j]
        if b.prefix.startswith(a.prefix):
            how = "the same prefix" if a.prefix == b.prefix else "nested prefixes"
            first, second = sorted((i, j))
            raise ConfigError(
                f"{path}[{first}] ({normalised[first].name}, prefix {normalised[first].prefix!r}) and {path}[{second}] "
                f"({normalised[second].name}, prefix {normalised[second].prefix!r}) have {how}: one would read or "
                "overwrite the other's data. Give each its own prefix; to let one read another's data, name it in reads_from"
            )
    names = {item.name.lower(): item.name for item in normalised}
    for index, item in enumerate(normalised):
        _refuse_duplicates(f"{path}[{index}].reads_from", list(item.reads_from), "workload")
        for other in item.reads_from:
            if other.lower() not in names:
                close = difflib.get_close_matches(other, list(names.values()), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"{path}[{index}].reads_from {other!r} is not a workload name{hint}")
            if other.lower() == item.name.lower():
                raise ConfigError(f"{path}[{index}].reads_from {other!r} names the workload itself")
    return tuple(normalised)


def _check_isolated(items: tuple[WorkloadConfig, ...], raw: dict[str, Any]) -> None:
    """With create_bucket the bucket denies each tenant outside its own prefix: refuse what that
    would break, naming the key, rather than a role that is refused at run time."""
    path = f"{CONTEXT_KEY}.workloads"
    if "kms_key_arn" in raw:
        raise ConfigError(f"{path}.kms_key_arn: with create_bucket the app creates the bucket and its key; remove one of them")
    for index, item in enumerate(items):
        if item.reads_from:
            raise ConfigError(f"{path}.items[{index}].reads_from: with create_bucket the bucket denies each workload every "
                              "prefix but its own (tenant isolation); share data through a bucket without it")
        if item.whole_bucket:
            raise ConfigError(f"{path}.items[{index}].whole_bucket: a tenant of an isolated bucket owns one prefix")
        try:
            TenantIsolatedBucket.tenant_prefix(item.prefix)
        except ValueError as error:  # "prefix '<value>' <rule>": name the key instead
            rule = str(error).removeprefix(f"prefix {item.prefix!r} ")
            raise ConfigError(f"{path}.items[{index}].prefix {item.prefix!r} {rule}") from None


def _parse_override(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return value
    # account ids must stay strings even though they parse as numbers
    return value if key.endswith("account_id") or isinstance(parsed, str) else parsed


def _reasons(reader: _Reader, key: str, pattern: re.Pattern[str], rule: str, *,
             required: bool = True) -> tuple[tuple[str, str], ...]:
    """A mapping of value -> reason (at least 10 characters): each allowance says why."""
    value = reader.raw.get(key, {} if not required else None)
    if not isinstance(value, dict) or (required and not value):
        raise ConfigError(f"{reader.path}.{key} {value!r} must map each value to the reason it is allowed")
    for item, why in value.items():
        if not pattern.match(item):
            raise ConfigError(f"{reader.path}.{key} {item!r} {rule}")
        if not isinstance(why, str) or len(why.strip()) < 10:
            raise ConfigError(f"{reader.path}.{key}.{item} {why!r} must say why it is allowed (10 characters or more)")
    return tuple(value.items())


def load_cdk_json(path: Path | str = ROOT / "cdk.json") -> dict[str, Any]:
    """cdk.json's ``context`` (feature flags and ``constructs-iam``), for tests and tools."""
    return dict(json.loads(Path(path).read_text())["context"])


Check = Union[re.Pattern[str], Callable[[str, Any], Any], None]
"""A regex matched whole, or a shared check ``f(prop, value)`` that raises ``ValueError``."""


def _prefix(key: str, value: str) -> str:
    try:
        return normalize_s3_prefix(value)
    except ValueError as error:  # "S3Location.prefix '<value>' <rule>": name the key instead
        raise ValueError(str(error).replace("S3Location.prefix", key, 1)) from None


class _Reader:
    """Typed access to one level of the context, with errors that name the full key.

    ``known`` lists the keys this level may have: any other key is refused with its path and the
    closest valid name, so a misspelt key never silently falls back to a default."""

    _MISSING = object()

    def __init__(self, raw: Any, path: str, known: Iterable[str] | None = None) -> None:
        if not isinstance(raw, dict):
            raise ConfigError(f"{path} must be an object, got {raw!r}")
        self.raw, self.path = raw, path
        if known is not None:
            names = sorted(known)
            for key in raw:
                if key not in names:
                    close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
                    hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(names)}"
                    raise ConfigError(f"{path}.{key} is not a known key; {hint}")

    def _get(self, key: str, default: Any) -> Any:
        value = self.raw.get(key, default)
        if value is self._MISSING:
            raise ConfigError(f"{self.path}.{key} is missing")
        return value

    def string(self, key: str, pattern: Check, rule: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        self._check(key, value, pattern, rule)
        return value

    def strings(self, key: str, pattern: Check, rule: str, *, default: Any = _MISSING,
                non_empty: bool = False, unique: bool = False) -> list[str]:
        value = self._get(key, default)
        if not isinstance(value, list) or (non_empty and not value):
            raise ConfigError(f"{self.path}.{key} {value!r} must be a {'non-empty ' if non_empty else ''}list of strings")
        for item in value:
            self._check(f"{key} item", item, pattern, rule)
        if unique:
            _refuse_duplicates(f"{self.path}.{key}", value, "value", fold=False)
        return value

    def _check(self, key: str, value: Any, pattern: Check, rule: str) -> None:
        """A pattern matched whole, or a shared check (``constructs_iam._validation``) called with the
        full key as its prop, so its message names the key."""
        if not isinstance(value, str):
            raise ConfigError(f"{self.path}.{key} {value!r} {rule or 'must be a string'}")
        if callable(pattern):
            try:
                pattern(f"{self.path}.{key}", value)
            except ValueError as error:
                raise ConfigError(str(error)) from None
        elif pattern is not None and not v.matches(pattern, value):
            raise ConfigError(f"{self.path}.{key} {value!r} {rule or 'must be a string'}")

    def integer(self, key: str, default: Any, minimum: int, maximum: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ConfigError(f"{self.path}.{key} {value!r} must be a whole number from {minimum} to {maximum}")
        return value

    def optional_integer(self, key: str, default: Any, minimum: int, maximum: int) -> int | None:
        if self.raw.get(key, default) is None:
            return None
        return self.integer(key, default, minimum, maximum)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.path}.{key} {value!r} must be true or false")
        return value

    def sub(self, key: str, known: Iterable[str] | None = None) -> _Reader:
        return _Reader(self.raw.get(key, {}), f"{self.path}.{key}", known)

    def items(self, key: str, known: Iterable[str] | None = None) -> list[_Reader]:
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise ConfigError(f"{self.path}.{key} {value!r} must be a list")
        return [_Reader(item, f"{self.path}.{key}[{i}]", known) for i, item in enumerate(value)]


# ------------------------------------------------------------------------------ organization

_ORGANIZATION_KEYS = ("enabled", "organization_id", "management_account_id", "root_id", "workload_ou_ids", "accounts",
                      "allowed_regions", "deployment_role_arns", "perimeter_exceptions", "centralized_root_access")
_EXCEPTION_KEYS = ("reason", "principal_accounts", "resource_accounts", "principal_arns")


@dataclass(frozen=True)
class PerimeterExceptionConfig:
    reason: str
    principal_accounts: tuple[str, ...] = ()
    resource_accounts: tuple[str, ...] = ()
    principal_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrganizationConfig:
    """The management account's guardrails (SCPs, RCPs, centralized root access).

    Synthesis needs no organisation: the ids come from here. ``accounts`` maps each member account
    to its OUs from the root down, for AccessModel and the access report."""

    enabled: bool
    organization_id: str
    management_account_id: str
    root_id: str
    workload_ou_ids: tuple[str, ...] = ()
    accounts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    allowed_regions: tuple[str, ...] = ()
    deployment_role_arns: tuple[str, ...] = ()  # default: the CDK bootstrap's CloudFormation execution role
    perimeter_exceptions: tuple[PerimeterExceptionConfig, ...] = ()
    centralized_root_access: bool = True


def read_organization(r: _Reader) -> OrganizationConfig | None:
    o = r.sub("organization", _ORGANIZATION_KEYS)
    path = f"{CONTEXT_KEY}.organization"
    if not o.boolean("enabled", True):
        return None  # switched off: no management-account stack, nothing else of the section is read
    ou = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
    raw_accounts = o.raw.get("accounts", {})
    if not isinstance(raw_accounts, dict):
        raise ConfigError(f"{path}.accounts {raw_accounts!r} must map account ids to their OU ids (root first)")
    accounts = []
    for account, ous in raw_accounts.items():
        if not v.matches(ACCOUNT_ID_PATTERN, str(account)):
            raise ConfigError(f"{path}.accounts key {account!r} must be a 12-digit account id")
        if not isinstance(ous, list) or not all(isinstance(x, str) and ou.match(x) for x in ous):
            raise ConfigError(f"{path}.accounts[{account}] {ous!r} must list OU ids (ou-xxxx-yyyyyyyy), root first")
        accounts.append((str(account), tuple(ous)))
    management = o.string("management_account_id", v.account_id, "must be 12 digits")
    if management in dict(accounts):
        raise ConfigError(f"{path}.accounts lists the management account {management!r}: SCPs and RCPs never apply to it")
    exceptions = []
    for e in o.items("perimeter_exceptions", _EXCEPTION_KEYS):
        reason = e.string("reason", re.compile(r"^.{10,}$", re.S), "must say why (10 characters or more)")
        exception = PerimeterExceptionConfig(
            reason=reason,
            principal_accounts=tuple(e.strings("principal_accounts", v.account_id, "must be 12-digit account ids", default=[])),
            resource_accounts=tuple(e.strings("resource_accounts", v.account_id, "must be 12-digit account ids", default=[])),
            principal_arns=tuple(e.strings("principal_arns", re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}|\*):.+$"),
                                           "must be IAM principal ARNs (the account may be '*')", default=[])),
        )
        if not (exception.principal_accounts or exception.resource_accounts or exception.principal_arns):
            raise ConfigError(f"{e.path} names no account or principal: it would change nothing")
        if exception in exceptions:
            raise ConfigError(f"{e.path} repeats perimeter_exceptions[{exceptions.index(exception)}]")
        exceptions.append(exception)
    workload_ou_ids = tuple(o.strings("workload_ou_ids", ou, "must be OU ids (ou-xxxx-yyyyyyyy)", default=[]))
    if len(set(workload_ou_ids)) != len(workload_ou_ids):
        raise ConfigError(f"{path}.workload_ou_ids {list(workload_ou_ids)!r} must not name an OU twice")
    deployment_role_arns = tuple(o.strings("deployment_role_arns", re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/.+$"),
                                           "must be IAM role ARNs (the account may be '*')", default=[]))
    for arn in deployment_role_arns:
        if not DEPLOYER_ARN.fullmatch(arn):
            raise ConfigError(f"{path}.deployment_role_arns item {arn!r} must name roles (at least 3 characters of a name "
                              "before any '*'): the guardrails exempt whoever it matches")
    return OrganizationConfig(
        enabled=True,
        organization_id=o.string("organization_id", re.compile(r"^o-[a-z0-9]{10,32}$"), "must be an organization id (o-...)"),
        management_account_id=management,
        root_id=o.string("root_id", re.compile(r"^r-[0-9a-z]{4,32}$"), "must be a root id (r-xxxx)"),
        workload_ou_ids=workload_ou_ids,
        accounts=tuple(accounts),
        allowed_regions=tuple(o.strings("allowed_regions", v.region, "must be AWS regions", default=[])),
        deployment_role_arns=deployment_role_arns,
        perimeter_exceptions=tuple(exceptions),
        centralized_root_access=o.boolean("centralized_root_access", True),
    )
