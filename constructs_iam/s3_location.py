"""S3Location (one bucket, optionally one "directory") and S3Access (what a role may do there).

The statements built here are the only S3 statements the patterns write, so the exact action
lists live in one place and the README can quote them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3

from . import _facts
from . import _validation as v

# Characters S3 documents as safe in object keys, plus '=' (Hive-style partitions such as
# 'year=2026/') and '@', ',', '+', ':'. Everything else (IAM wildcards '*' and '?', '$' of policy
# variables, '#', '%', '\\', quotes, spaces, control characters) is refused.
_SEGMENT = re.compile(r"^[A-Za-z0-9!_.'()=+@,:-]+\Z")
_MAX_KEY_BYTES = 1024


class S3Access(enum.Enum):
    """What a role may do with the objects under one S3 location."""

    READ = "read"
    """List the prefix and read its objects (``s3:ListBucket``, ``s3:GetObject``)."""
    WRITE = "write"
    """Write objects, multipart uploads included, without reading or listing them."""
    READ_WRITE = "read-write"
    """READ and WRITE. Objects cannot be deleted (versioned buckets keep every write anyway)."""
    READ_WRITE_DELETE = "read-write-delete"
    """READ_WRITE plus ``s3:DeleteObject`` on the prefix."""

    @property
    def reads(self) -> bool:
        return self in (S3Access.READ, S3Access.READ_WRITE, S3Access.READ_WRITE_DELETE)

    @property
    def writes(self) -> bool:
        return self is not S3Access.READ

    @property
    def object_actions(self) -> list[str]:
        """The object-level actions, on ``bucket/prefix*``."""
        actions: list[str] = []
        if self.reads:
            actions.append("s3:GetObject")
        if self.writes:
            # PutObject covers CreateMultipartUpload, UploadPart and CompleteMultipartUpload.
            actions += ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        if self is S3Access.READ_WRITE_DELETE:
            actions.append("s3:DeleteObject")
        return actions

    @property
    def bucket_actions(self) -> list[str]:
        """The bucket-level actions, on the bucket, conditioned on ``s3:prefix``."""
        return ["s3:ListBucket"] if self.reads else []

    @property
    def kms_actions(self) -> list[str]:
        """What a customer managed key must allow, and only through S3 (``kms:ViaService``)."""
        actions = []
        if self.reads or self.writes:
            # Reading decrypts; a multipart upload also decrypts the data keys of its parts.
            actions.append("kms:Decrypt")
        if self.writes:
            actions.append("kms:GenerateDataKey")
        return actions


@dataclass(frozen=True)
class S3Location:
    """One bucket, optionally narrowed to one "directory" (key prefix).

    ``prefix`` is normalized to end with ``/`` so that ``"daily"`` means the directory ``daily/``
    and never also ``daily-secret/``. An empty prefix means the whole bucket. A prefix with IAM
    wildcards (``*``, ``?``), policy variables (``${...}``), a leading ``/``, empty or ``.``/``..``
    segments, or characters outside S3's safe set is refused with a ``ValueError``.
    """

    bucket: s3.IBucket
    prefix: str = ""

    def __post_init__(self) -> None:
        if not (v.has(self.bucket, "bucket_arn") and v.has(self.bucket, "arn_for_objects")):
            raise v.fail("S3Location.bucket", self.bucket, "must be an aws_s3.IBucket")
        object.__setattr__(self, "prefix", _normalize_prefix(self.prefix))

    @property
    def is_whole_bucket(self) -> bool:
        return self.prefix == ""

    @property
    def objects_arn(self) -> str:
        """``arn:aws:s3:::bucket/prefix/*``: every object under the prefix, and nothing else.

        Written as ``Bucket.arn_for_objects`` writes it (``<bucket ARN>/<key pattern>``), from the
        bucket ARN read once per bucket."""
        return f"{_facts.bucket(self.bucket).arn}/{self.prefix}*"

    @property
    def list_prefixes(self) -> list[str]:
        """The ``s3:prefix`` values a ListObjects request may carry: the directory and below."""
        return [f"{self.prefix}*"]

    def describe(self) -> str:
        return f"{self.bucket.node.path}/{self.prefix}"


def normalize_s3_prefix(prefix: str) -> str:
    """A key prefix as the patterns write it: ``""`` (whole bucket) or ``"a/b/"``; a ``ValueError``
    for wildcards, policy variables, a leading ``/``, empty/``.``/``..`` segments or unsafe characters.

    Two locations overlap exactly when one normalised prefix starts with the other."""
    return _normalize_prefix(prefix)


def object_findings(stack: Stack, locations: Sequence[S3Location]) -> list[str]:
    """The AwsSolutions-IAM5 finding id of each location's object ARN (``<bucket ARN>/<prefix>*``),
    as cdk-nag writes it, computed in Python from the bucket ARN resolved once per stack."""
    return [f"AwsSolutions-IAM5[Resource::{_facts.flat_bucket_arn(stack, loc.bucket)}/{loc.prefix}*]" for loc in locations]


def _normalize_prefix(prefix: Any) -> str:
    if not isinstance(prefix, str):
        raise v.fail("S3Location.prefix", prefix, "must be a string (use '' for the whole bucket)")
    if v.is_token(prefix):
        raise v.fail(
            "S3Location.prefix",
            prefix,
            "must be known at synth time: IAM conditions and ARNs are written from it",
        )
    if prefix == "":
        return ""
    rule = None
    if "*" in prefix or "?" in prefix:
        rule = "must not contain the IAM wildcard characters '*' or '?'"
    elif "${" in prefix:
        rule = "must not contain IAM policy variables ('${...}')"
    elif prefix.startswith("/"):
        rule = "must not start with '/' (S3 keys are relative: write 'reports/' not '/reports/')"
    elif len(prefix.encode()) > _MAX_KEY_BYTES:
        rule = f"must be at most {_MAX_KEY_BYTES} bytes (the S3 key limit)"
    else:
        segments = prefix[:-1].split("/") if prefix.endswith("/") else prefix.split("/")
        for segment in segments:
            if segment in ("", ".", ".."):
                rule = "must not contain empty, '.' or '..' path segments"
                break
            if not v.matches(_SEGMENT, segment):
                rule = (
                    "may contain only letters, digits, '/' between segments and the characters "
                    "!_.'()=+@,:-"
                )
                break
    if rule:
        raise v.fail("S3Location.prefix", prefix, rule)
    return prefix if prefix.endswith("/") else prefix + "/"


def _check_reachable(prop: str, location: S3Location, scope: Any) -> None:
    bucket = location.bucket
    if not v.has(bucket, "node") or not v.is_token(_facts.bucket(bucket).name):
        return  # imported by name, or named: its ARN is known anywhere
    here, there = Stack.of(scope), Stack.of(bucket)
    if here is there:
        return
    for name, ours, theirs in (("account", here.account, there.account), ("region", here.region, there.region)):
        if not v.is_token(ours) and not v.is_token(theirs) and ours != theirs:
            raise v.fail(prop, location.describe(), f"is a bucket of {name} {theirs} (stack {there.node.path}) with a "
                         f"name CDK generates, and this stack's {name} is {ours}: its ARN cannot be referenced across "
                         "environments; give the bucket an explicit bucket_name, or import it by name")


def check_locations(prop: str, locations: Sequence[S3Location], scope: Any = None) -> list[S3Location]:
    """Validate a list of locations: non-empty, S3Location items, no duplicates or overlaps, and (with
    ``scope``) no bucket of another account or region whose name CDK generates (it could not be referenced)."""
    items = v.non_empty(prop, locations, what="S3Location objects")
    for item in items:
        if not isinstance(item, S3Location):
            raise v.fail(prop, item, "must contain only S3Location objects")
        if scope is not None:
            _check_reachable(prop, item, scope)
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if a.bucket is b.bucket and (a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)):
                raise v.fail(
                    prop,
                    [a.describe(), b.describe()],
                    "must not list the same or nested locations twice (the outer one already covers "
                    "the inner one)",
                )
    return items


def s3_statements(
    stack: Stack, locations: Sequence[S3Location], access: S3Access
) -> list[dict[str, Any]]:
    """The exact statements for ``access`` on ``locations``, as plain policy JSON.

    - object actions on ``bucket/prefix*`` for every location (one statement);
    - ``s3:ListBucket`` on each bucket, conditioned on ``s3:prefix`` unless the location is the
      whole bucket;
    - for buckets with a customer managed KMS key: the key actions on that key, only via S3.

    Computed in Python from the props (ARNs stay tokens), so a pattern hands CDK one document.
    """
    statements: list[dict[str, Any]] = [
        {"Sid": "ObjectAccess", "Effect": "Allow", "Action": _one(access.object_actions),
         "Resource": _one([loc.objects_arn for loc in locations])}
    ]
    if access.bucket_actions:
        by_bucket: dict[int, list[S3Location]] = {}
        for loc in locations:
            by_bucket.setdefault(id(loc.bucket), []).append(loc)
        for index, locs in enumerate(by_bucket.values()):
            statement: dict[str, Any] = {
                "Sid": f"ListPrefix{index}" if index else "ListPrefix", "Effect": "Allow",
                "Action": _one(access.bucket_actions), "Resource": _facts.bucket(locs[0].bucket).arn,
            }
            if not any(loc.is_whole_bucket for loc in locs):
                statement["Condition"] = {"StringLike": {"s3:prefix": [p for loc in locs for p in loc.list_prefixes]}}
            statements.append(statement)
    keys: list[Any] = []
    key_locations: list[S3Location] = []
    for loc in locations:
        key = _facts.bucket(loc.bucket).key
        if key is not None and all(key is not k for k in keys):
            keys.append(key)
            key_locations.append(loc)
    if keys:
        statements.append({
            "Sid": "KmsViaS3", "Effect": "Allow", "Action": _one(access.kms_actions),
            "Resource": _one([_facts.bucket(loc.bucket).key_arn for loc in key_locations]),
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{_facts.stack(stack).region}.amazonaws.com"}},
        })
    return statements


def _one(values: list[Any]) -> Any:
    """A one-item list as IAM (and CDK's rendering) writes it: the item itself."""
    return values[0] if len(values) == 1 else values
