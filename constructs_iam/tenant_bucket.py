"""TenantIsolatedBucket: one bucket, many workloads, each confined to its own prefix by the bucket too.

The workload roles already grant only their own prefix. The bucket adds a second, independent
gate with attribute-based access control: each workload role carries the tag
``TenantPrefix=<its prefix>`` (``TenantIsolatedBucket.admit``), and the bucket policy's Deny
statements, the same for one or a thousand workloads, fail closed:

- a *tenant* (a principal whose ``TenantPrefix`` tag is not empty) reaches no object outside
  ``<bucket>/${aws:PrincipalTag/TenantPrefix}*``, by any S3 action (``NotResource``); lists the
  bucket (``s3:ListBucket``, ``s3:ListBucketVersions``) only with an ``s3:prefix`` inside its own;
  and may do nothing else on the bucket itself (no policy, replication, configuration, no listing
  of multipart uploads, which has no prefix condition key);
- any other principal (no tag, or an empty one) reaches no object and no listing, unless it is
  named in ``admins``; bucket management stays with ``admins`` and the role that deploys the stack
  (CloudFormation's execution role), so a stray ``s3:*`` elsewhere in the account reads nothing;
- a principal of another account (which sets its own tags) reaches nothing unless it is an admin.

The tag is then the key: ``IamGuardrails-TenantTag`` refuses policies of the app that let a
principal set it (``iam:TagRole``, ``iam:CreateRole`` with tags, ``sts:TagSession``, ...). The
construct records the tag key in its bucket policy's metadata, where that rule reads it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Union

from aws_cdk import Annotations, DefaultStackSynthesizer, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from . import _facts
from . import _validation as v
from .key_policy import kms_key_policy
from .s3_location import normalize_s3_prefix

TENANT_TAG = "TenantPrefix"
"""The role tag the bucket policy reads (``aws:PrincipalTag/TenantPrefix``)."""

TENANT_METADATA = "constructs-iam:tenant-prefix"
"""The metadata key ``admit`` writes on a role that is not a pattern's: the prefix it tagged the role with."""

INTENT_METADATA = "constructs-iam"
"""The ``Metadata`` key of the bucket policy where the construct records its tenant tag
(``{"tenant_tag": "TenantPrefix"}``), read by the ``IamGuardrails-TenantTag`` rule."""

LIST_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions")
"""The listings a tenant may make, each with an ``s3:prefix`` inside its own prefix."""

ADMIN_LIST_ACTIONS = (*LIST_ACTIONS, "s3:ListBucketMultipartUploads")
"""Every listing of the bucket's keys (``ListBucketMultipartUploads`` has no prefix condition key)."""

OBJECT_ACTIONS = ["s3:*Object*", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
"""The object actions a tenant role is granted on its own prefix (the bucket denies every S3
action outside it, these and any other)."""

Admin = Union[iam.IRole, iam.IUser]

# IAM tag values: letters, digits, spaces and _ . : / = + - @ (and at most 256 characters)
_LOG_PREFIX = re.compile(r"^[A-Za-z0-9!_.'()=+@,:/-]{1,1024}\Z")
_TAG_VALUE = re.compile(r"^[\w.:/=+@ -]{1,256}\Z")


class TenantIsolatedBucket(Construct):
    """A bucket for many workloads' prefixes, with the fail-closed tenant isolation above.

    Secure defaults as every bucket here: SSE-KMS with a rotating key used only through S3
    (``kms_key_policy``), bucket keys, TLS only, public access blocked, objects owned by the bucket
    owner, versioned, retained on delete, access-logged when ``server_access_logs_bucket`` is given.

    :param bucket_name: the bucket's name. Default: generated.
    :param encryption_key: the bucket's key. Default: a new key (rotation on, used only via S3).
    :param server_access_logs_bucket: where to write access logs. Default: none.
    :param server_access_logs_prefix: their prefix. Default: ``shared-bucket/``.
    :param removal_policy: Default: ``RemovalPolicy.RETAIN``.
    :param admins: roles or users (without the tenant tag) that may read, list and manage the whole
        bucket, e.g. a break-glass or data-platform role; each still needs an identity policy that
        allows it. Default: none.
    :param deployment_role_arn: the role CloudFormation deploys the stack with, which keeps bucket
        management (not objects, not listings). Default: the stack synthesizer's CloudFormation
        execution role (``cdk-<qualifier>-cfn-exec-role-<account>-<region>``); required with a
        synthesizer that has none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket_name: str | None = None,
        encryption_key: kms.IKey | None = None,
        server_access_logs_bucket: s3.IBucket | None = None,
        server_access_logs_prefix: str = "shared-bucket/",
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        admins: Sequence[Admin] = (),
        deployment_role_arn: str | None = None,
    ) -> None:
        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
        admin_arns: list[str] = []
        with v.Checks(self) as check:
            if bucket_name is not None:
                check(v.bucket_name, "bucket_name", bucket_name)
            if encryption_key is not None and not v.has(encryption_key, "key_arn"):
                check.fail("encryption_key", encryption_key, "must be an aws_kms.IKey")
            if server_access_logs_bucket is not None and not v.has(server_access_logs_bucket, "bucket_arn"):
                check.fail("server_access_logs_bucket", server_access_logs_bucket, "must be an aws_s3.IBucket")
            if not isinstance(server_access_logs_prefix, str) or (
                    server_access_logs_prefix and (not v.matches(_LOG_PREFIX, server_access_logs_prefix)
                                                   or server_access_logs_prefix.startswith("/"))):
                check.fail("server_access_logs_prefix", server_access_logs_prefix,
                           "must be a key prefix of letters, digits and !_.'()=+@,:-/, not starting with '/' (S3 keys are relative; "
                           "e.g. 'shared-bucket/')")
            if not isinstance(removal_policy, RemovalPolicy):
                check.fail("removal_policy", removal_policy, "must be an aws_cdk.RemovalPolicy")
            for admin in check(v.sequence, "admins", admins, what="roles or users") or []:
                arn = _arn_of(admin)
                if arn is None:
                    check.fail("admins", admin, "must be aws_iam.IRole or aws_iam.IUser objects (the bucket names "
                               "them by ARN in aws:PrincipalArn)")
                elif _has_wildcard(arn):
                    check.fail("admins", arn, "must name one principal: aws:PrincipalArn is compared with ArnNotEquals, "
                               "where '*' and '?' are wildcards (every matching principal would be an administrator)")
                else:
                    admin_arns.append(arn)
            deployer = deployment_role_arn if deployment_role_arn is not None else _deployment_role_arn(self)
            if deployer is _UNREADABLE:
                check.fail("deployment_role_arn", deployment_role_arn, "is required with a DefaultStackSynthesizer "
                           "created in Python and passed to the stack: CDK binds a copy of it that Python cannot read; "
                           "name the role CloudFormation deploys with (cdk-<qualifier>-cfn-exec-role-<account>-<region>)")
                deployer = None
            elif deployer is None:
                check.fail("deployment_role_arn", deployment_role_arn, "is required with a stack synthesizer that has no "
                           "CloudFormation execution role: name the role that deploys the stack, or the bucket "
                           "would refuse its own management")
            elif not isinstance(deployer, str) or not (v.is_token(deployer) or re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/", deployer)):
                check.fail("deployment_role_arn", deployer, "must be the ARN of an IAM role")
            elif _has_wildcard(deployer):
                check.fail("deployment_role_arn", deployer, "must name one role: aws:PrincipalArn is compared with "
                           "ArnNotEquals, where '*' and '?' are wildcards (every matching role could change the bucket)")
        self.admin_arns: tuple[str, ...] = tuple(admin_arns)
        self.deployment_role_arn: str = deployer  # type: ignore[assignment]
        self.key: kms.IKey = encryption_key or kms.Key(
            self, "Key", enable_key_rotation=True, removal_policy=removal_policy,
            description="Encrypts the shared workload bucket", policy=kms_key_policy(self, used_through=["s3"]),
        )
        self.bucket = s3.Bucket(
            self, "Bucket", bucket_name=bucket_name,
            encryption=s3.BucketEncryption.KMS, encryption_key=self.key, bucket_key_enabled=True,
            enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, versioned=True,
            server_access_logs_bucket=server_access_logs_bucket,
            server_access_logs_prefix=server_access_logs_prefix if server_access_logs_bucket else None,
            removal_policy=removal_policy,
        )
        for statement in isolation_statements(self.bucket.bucket_arn, admins=admin_arns, deployer=self.deployment_role_arn,
                                              account=Stack.of(self).account):
            self.bucket.add_to_resource_policy(iam.PolicyStatement.from_json(statement))
        assert self.bucket.policy is not None
        self.bucket.policy.node.default_child.add_metadata(INTENT_METADATA, {"tenant_tag": TENANT_TAG})  # type: ignore[union-attr]
        # the tenant tag is the key to the tenants' data: IamGuardrails-TenantTag runs in every app
        # that holds this bucket, whether or not it calls IamGuardrails.of
        from .guardrails import IamGuardrails

        # in process too: an Aspect that replaces the bucket policy's metadata (cfn_nag suppressions...)
        # must not switch the rule off
        facts = _facts.stack(Stack.of(self))
        account = facts.account
        IamGuardrails.for_stack(facts.stack).tenant_buckets.add(
            (TENANT_TAG, None if v.is_token(account) else account))

    @staticmethod
    def tenant_prefix(prefix: str) -> str:
        """``prefix`` normalised, or a ``ValueError``: it must not be empty (a whole-bucket workload
        has no place in a shared bucket) and must be one a tag can hold (letters, digits,
        ``_ . : / = + - @`` and spaces)."""
        normalised = normalize_s3_prefix(prefix)
        if not normalised:
            raise v.fail("prefix", prefix, "must not be empty: a tenant of a shared bucket owns one prefix, not the bucket")
        if not v.matches(_TAG_VALUE, normalised):
            raise v.fail("prefix", normalised, "must be a valid tag value (letters, digits and _ . : / = + - @) to "
                         "isolate it with aws:PrincipalTag")
        return normalised

    @staticmethod
    def admit(pattern: Any, prefix: str) -> str:
        """Tag ``pattern``'s role (or a role) with its tenant prefix (``tenant_prefix``); return it.

        Only a role this app creates can carry the tag (a pattern of this library, or an
        ``aws_iam.Role``): a group, a user, an imported role or a service principal is refused with
        ``PropsError``, since nothing would be tagged and the tenant would not be isolated. A role
        admitted twice, and a prefix that overlaps another admitted tenant's (one starts with the
        other: the bucket's ``<prefix>*`` would let one tenant reach the other's data), are refused
        too, naming both; several roles of one tenant may share the same prefix. A prefix other than the
        pattern's own S3 location is a synth warning."""
        from ._pattern import RolePattern

        record = getattr(pattern, "_record", None) if isinstance(pattern, RolePattern) else None
        if record is not None:  # a pattern of this library: its role is its own, its path and stack known in Python
            role, where, owner = pattern.role, str(record["path"]), pattern._stack_facts
        else:
            role = getattr(pattern, "role", pattern) if v.has(pattern, "role") else pattern
            where = pattern.node.path if v.has(pattern, "node") else f"{pattern!r}"
            owner = None
        problems = []
        normalised = None
        try:
            normalised = TenantIsolatedBucket.tenant_prefix(prefix)
        except ValueError as error:
            problems.append(str(error))
        cfn_role = role.node.default_child if record is None and isinstance(role, iam.Role) else None
        if record is None and not isinstance(cfn_role, iam.CfnRole):
            problems.append(str(v.fail(
                "pattern", where, "must be a role this app creates (a constructs_iam pattern or an aws_iam.Role): "
                "a group, user, imported role or service principal cannot carry the TenantPrefix tag, so the "
                "bucket could not tell it apart from an administrator")))
        if problems:
            raise v.PropsError(where, "TenantIsolatedBucket.admit", problems)
        assert normalised is not None
        tenants = _tenants((owner or _facts.scope(role).stack).root)
        role_path = where  # read once: each read is a round trip to the CDK, and tenants may be thousands
        earlier = _ADMITTED.get(id(role))
        if earlier is not None and earlier[0] is role and earlier[1] != role_path:  # the pattern, then its role (or back)
            problems.append(str(v.fail("pattern", where, f"holds the role already admitted as {earlier[1]} with prefix "
                                       f"{tenants.get(earlier[1])!r}; a role has one TenantPrefix tag (the last would "
                                       "win silently)")))
        for other_path, other_prefix in tenants.items():
            if other_path == role_path:
                problems.append(str(v.fail("pattern", where, f"is already admitted with prefix {other_prefix!r}; a role "
                                           "has one TenantPrefix tag (the last would win silently)")))
            elif other_prefix != normalised and (normalised.startswith(other_prefix) or other_prefix.startswith(normalised)):
                problems.append(str(v.fail("prefix", normalised, f"overlaps the prefix {other_prefix!r} of tenant {other_path}: "
                                           "a tenant reaches every key under its prefix, so one tenant would read or "
                                           "overwrite the other's data; give each its own prefix")))
        if problems:
            raise v.PropsError(where, "TenantIsolatedBucket.admit", problems)
        tenants[role_path] = normalised
        _ADMITTED[id(role)] = (role, role_path)
        own = [location.prefix for location in _locations(pattern)]
        if own and normalised not in own:
            Annotations.of(role).add_warning_v2(
                "constructs-iam:TenantIsolatedBucket.admit.prefix",
                f"prefix {normalised!r} is not the role's own S3 location ({', '.join(repr(p) for p in own)}): the bucket "
                "will deny the role its own data and allow it the tenant prefix instead")
        Tags.of(role).add(TENANT_TAG, normalised)
        # what admit tagged, for IamGuardrails-TenantTag to compare with the tag the template holds: a tag set
        # later by hand (Tags.of) would move the role into another tenant silently
        if record is not None:
            pattern._intent.tenant = normalised  # in process: no round trip
        else:
            cfn_role.add_metadata(TENANT_METADATA, normalised)  # type: ignore[union-attr]
        return normalised


_TENANTS: dict[int, tuple[Any, dict[str, str]]] = {}
_ADMITTED: dict[int, tuple[Any, str]] = {}
"""Each admitted role (held, so its id is not reused) -> the path it was admitted under: a pattern and
its own role are one tenant, whichever of the two is admitted."""


def _tenants(root: Any) -> dict[str, str]:
    """The roles admitted in the app of ``root`` (the pattern's or role's path -> prefix): the tag is
    read by every isolated bucket, so tenants are unique across the app. The root comes from the
    stack's facts (``_facts``), read once per stack."""
    entry = _TENANTS.get(id(root))
    if entry is None or entry[0] is not root:
        entry = (root, {})
        _TENANTS[id(root)] = entry
    return entry[1]


def _locations(pattern: Any) -> list[Any]:
    if v.has(pattern, "location") and getattr(pattern, "location", None) is not None:
        return [pattern.location]
    return list(getattr(pattern, "locations", None) or []) if v.has(pattern, "locations") else []


def _has_wildcard(arn: str) -> bool:
    """Whether ``arn``'s literal text (tokens aside) holds an ARN-condition wildcard."""
    return re.search(r"[*?]", re.sub(r"\$\{Token\[[^\]]*\]\}", "", arn)) is not None


def _arn_of(admin: Any) -> str | None:
    for attribute in ("role_arn", "user_arn"):
        if v.has(admin, attribute):
            return getattr(admin, attribute)  # type: ignore[no-any-return]
    return None


_UNREADABLE = "<the synthesizer's execution role, unreadable from Python>"


def _deployment_role_arn(scope: Construct) -> str | None:
    """The CloudFormation execution role of the stack's synthesizer (``DefaultStackSynthesizer``); a
    nested stack is deployed by its parent's deployment."""
    stack = Stack.of(scope)
    while stack.nested_stack_parent is not None:
        stack = stack.nested_stack_parent
    synthesizer = stack.synthesizer
    if not isinstance(synthesizer, DefaultStackSynthesizer):
        return None
    try:
        arn = synthesizer.cloud_formation_execution_role_arn
    except RuntimeError:  # CloudFormationExecutionRoleArnGetterOnlyCalled: Python sees the unbound original
        return _UNREADABLE
    # the synthesizer writes placeholders the CLI fills in; in a template they are pseudo parameters
    return (arn.replace("${AWS::Partition}", stack.partition).replace("${AWS::AccountId}", stack.account)
            .replace("${AWS::Region}", stack.region))


def isolation_statements(bucket_arn: str, *, admins: Sequence[str] = (), deployer: str | None = None,
                         account: str | None = None) -> list[dict[str, Any]]:
    """The Deny statements, as policy JSON: constant, whatever the number of tenants.

    :param admins: ARNs of the untagged principals that keep the whole bucket (aws:PrincipalArn).
    :param deployer: the ARN of the role that deploys the bucket; it keeps bucket management.
    :param account: the bucket's account: a principal of another account (which sets its own tags,
        so could name any tenant) reaches nothing unless it is an admin, whatever a later Allow grants.
    """
    tag = f"aws:PrincipalTag/{TENANT_TAG}"
    tenant = {"StringLike": {tag: "?*"}}  # the tag is there and not empty
    not_tenant = {"StringNotLikeIfExists": {tag: "?*"}}  # no tag, or an empty one
    objects = f"{bucket_arn}/*"

    def unless(arns: Sequence[str]) -> dict[str, Any]:
        return {"ArnNotEquals": {"aws:PrincipalArn": list(arns) if len(arns) > 1 else arns[0]}} if arns else {}

    managers = [*admins, *([deployer] if deployer else [])]
    return [
        {
            "Sid": "TenantsOnlyInTheirOwnPrefix", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": "s3:*", "NotResource": [f"{bucket_arn}/${{{tag}}}*", bucket_arn], "Condition": tenant,
        },
        {
            "Sid": "TenantsListOnlyTheirOwnPrefix", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": list(LIST_ACTIONS), "Resource": bucket_arn,
            "Condition": {**tenant, "StringNotLike": {"s3:prefix": f"${{{tag}}}*"}},
        },
        {
            "Sid": "TenantsChangeNothingOnTheBucket", "Effect": "Deny", "Principal": {"AWS": "*"},
            "NotAction": [*LIST_ACTIONS, "s3:Get*"], "Resource": bucket_arn, "Condition": tenant,
        },
        {
            "Sid": "OthersReachNoObjectUnlessAdmin", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": "s3:*", "Resource": objects, "Condition": {**not_tenant, **unless(admins)},
        },
        {
            "Sid": "OthersListNothingUnlessAdmin", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": list(ADMIN_LIST_ACTIONS), "Resource": bucket_arn, "Condition": {**not_tenant, **unless(admins)},
        },
        {
            "Sid": "OthersChangeNothingUnlessAdminOrDeployer", "Effect": "Deny", "Principal": {"AWS": "*"},
            "NotAction": ["s3:Get*", "s3:List*"], "Resource": bucket_arn, "Condition": {**not_tenant, **unless(managers)},
        },
        *([{
            "Sid": "OtherAccountsReachNothingUnlessAdmin", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": "s3:*", "Resource": [bucket_arn, objects],
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalAccount": account}, **unless(managers)},
        }] if account else []),
    ]
