"""TenantIsolatedBucket: one bucket, many workloads, each confined to its own prefix by the bucket too.

The workload roles already grant only their own prefix. The bucket adds a second, independent
gate with attribute-based access control: each workload role carries the tag
``TenantPrefix=<its prefix>`` (``TenantIsolatedBucket.admit``), and two Deny statements of the
bucket policy, the same for one or a thousand workloads, refuse any tagged principal

- every object action outside ``<bucket>/${aws:PrincipalTag/TenantPrefix}*`` (``NotResource``), and
- listing the bucket with a prefix outside its own (``StringNotLike s3:prefix``).

A role widened by mistake (a ``grant_*`` that slipped past review, an acknowledged finding) still
cannot read, write or list another tenant's data in this bucket. Untagged principals (the account's
administrators, replication) are not affected by these two statements.
"""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Annotations, RemovalPolicy, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from . import _validation as v
from .key_policy import kms_key_policy
from .s3_location import normalize_s3_prefix

TENANT_TAG = "TenantPrefix"
"""The role tag the bucket policy reads (``aws:PrincipalTag/TenantPrefix``)."""

OBJECT_ACTIONS = ["s3:*Object*", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
"""Every action on objects (get, put, delete, versions, tags, ACLs, attributes, restore) and on uploads."""

# IAM tag values: letters, digits, spaces and _ . : / = + - @ (and at most 256 characters)
_LOG_PREFIX = re.compile(r"^[A-Za-z0-9!_.'()=+@,:/-]{1,1024}\Z")
_TAG_VALUE = re.compile(r"^[\w.:/=+@ -]{1,256}\Z")


class TenantIsolatedBucket(Construct):
    """A bucket for many workloads' prefixes, with the tenant-isolation Deny statements above.

    Secure defaults as every bucket here: SSE-KMS with a rotating key used only through S3
    (``kms_key_policy``), bucket keys, TLS only, public access blocked, objects owned by the bucket
    owner, versioned, retained on delete, access-logged when ``server_access_logs_bucket`` is given.

    :param bucket_name: the bucket's name. Default: generated.
    :param encryption_key: the bucket's key. Default: a new key (rotation on, used only via S3).
    :param server_access_logs_bucket: where to write access logs. Default: none.
    :param server_access_logs_prefix: their prefix. Default: ``shared-bucket/``.
    :param removal_policy: Default: ``RemovalPolicy.RETAIN``.
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
    ) -> None:
        v.construct_id(type(self).__name__, scope, id)
        super().__init__(scope, id)
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
        for statement in isolation_statements(self.bucket.bucket_arn):
            self.bucket.add_to_resource_policy(iam.PolicyStatement.from_json(statement))

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
        too, naming both. A prefix other than the pattern's own S3 location is a synth warning."""
        role = getattr(pattern, "role", pattern) if v.has(pattern, "role") else pattern
        where = pattern.node.path if v.has(pattern, "node") else f"{pattern!r}"
        problems = []
        normalised = None
        try:
            normalised = TenantIsolatedBucket.tenant_prefix(prefix)
        except ValueError as error:
            problems.append(str(error))
        if not isinstance(role, iam.Role) or not isinstance(role.node.default_child, iam.CfnRole):
            problems.append(str(v.fail(
                "pattern", where, "must be a role this app creates (a constructs_iam pattern or an aws_iam.Role): "
                "a group, user, imported role or service principal cannot carry the TenantPrefix tag, so the "
                "bucket could not tell it apart from an administrator")))
        if problems:
            raise v.PropsError(where, "TenantIsolatedBucket.admit", problems)
        assert normalised is not None
        tenants = _tenants(role)
        for other_path, other_prefix in tenants.items():
            if other_path == role.node.path:
                problems.append(str(v.fail("pattern", where, f"is already admitted with prefix {other_prefix!r}; a role "
                                           "has one TenantPrefix tag (the last would win silently)")))
            elif normalised.startswith(other_prefix) or other_prefix.startswith(normalised):
                how = "is the prefix" if normalised == other_prefix else "overlaps the prefix"
                problems.append(str(v.fail("prefix", normalised, f"{how} {other_prefix!r} of tenant {other_path}: one "
                                           "tenant would read or overwrite the other's data; give each its own prefix")))
        if problems:
            raise v.PropsError(where, "TenantIsolatedBucket.admit", problems)
        tenants[role.node.path] = normalised
        own = [location.prefix for location in _locations(pattern)]
        if own and normalised not in own:
            Annotations.of(role).add_warning_v2(
                "constructs-iam:TenantIsolatedBucket.admit.prefix",
                f"prefix {normalised!r} is not the role's own S3 location ({', '.join(repr(p) for p in own)}): the bucket "
                "will deny the role its own data and allow it the tenant prefix instead")
        Tags.of(role).add(TENANT_TAG, normalised)
        return normalised


_TENANTS: dict[int, tuple[Any, dict[str, str]]] = {}


def _tenants(construct: Any) -> dict[str, str]:
    """The roles admitted in ``construct``'s app (construct path -> prefix): the tag is read by every
    isolated bucket, so tenants are unique across the app."""
    root = construct.node.root
    entry = _TENANTS.get(id(root))
    if entry is None or entry[0] is not root:
        entry = (root, {})
        _TENANTS[id(root)] = entry
    return entry[1]


def _locations(pattern: Any) -> list[Any]:
    if v.has(pattern, "location") and getattr(pattern, "location", None) is not None:
        return [pattern.location]
    return list(getattr(pattern, "locations", None) or []) if v.has(pattern, "locations") else []


def isolation_statements(bucket_arn: str) -> list[dict[str, Any]]:
    """The two Deny statements, as policy JSON: constant, whatever the number of tenants."""
    tag = f"aws:PrincipalTag/{TENANT_TAG}"
    tagged = {"Null": {tag: "false"}}
    return [
        {
            "Sid": "TenantsOnlyInTheirOwnPrefix", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": OBJECT_ACTIONS, "NotResource": f"{bucket_arn}/${{{tag}}}*", "Condition": tagged,
        },
        {
            "Sid": "TenantsListOnlyTheirOwnPrefix", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": "s3:ListBucket", "Resource": bucket_arn,
            "Condition": {**tagged, "StringNotLike": {"s3:prefix": f"${{{tag}}}*"}},
        },
    ]
