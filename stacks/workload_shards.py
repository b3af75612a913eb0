"""Many workloads, each with its own S3PrefixAccessRole, placed in stacks stably and within limits.

Placement is a pure function of the workload's name: ``crc32(name) % shards`` picks its stack
(``<prefix>-Workloads-NN``) and the name is its construct id, so adding, removing or reordering
workloads never moves an existing role to another stack or changes its logical id. Only changing
``workloads.shards`` moves roles (and replaces them): pick it once, with room to grow.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_iam import (
    Ec2S3ReadOnlyRole,
    S3Access,
    S3Location,
    S3PrefixAccessRole,
    TenantIsolatedBucket,
    acknowledge_wildcard_resources,
    service_principal,
)
from constructs_iam.bootstrap import service_path

from .config import CONTEXT_KEY, AppConfig, ConfigError, WorkloadConfig

# CloudFormation allows 500 resources per stack; keep room for CDK's own (metadata, rules).
MAX_RESOURCES_PER_STACK = 480
# the role and its managed policy; an EC2 role also has its instance profile
RESOURCES_PER_WORKLOAD = {"s3-prefix": 2, "ec2-read": 3}
ACCESS = {
    "read": S3Access.READ,
    "write": S3Access.WRITE,
    "read-write": S3Access.READ_WRITE,
    "read-write-delete": S3Access.READ_WRITE_DELETE,
}


def read_statements(bucket: s3.IBucket, prefixes: Sequence[str], region: str) -> list[iam.PolicyStatement]:
    """Read (get + list) on other workloads' prefixes, as ``S3Access.READ`` writes it for one's own."""
    statements = [
        iam.PolicyStatement(sid="ReadsFromObjects", actions=["s3:GetObject"],
                            resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes]),
        iam.PolicyStatement(sid="ReadsFromList", actions=["s3:ListBucket"], resources=[bucket.bucket_arn],
                            conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}),
    ]
    if bucket.encryption_key is not None:
        statements.append(iam.PolicyStatement(
            sid="ReadsFromDecrypt", actions=["kms:Decrypt"], resources=[bucket.encryption_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}))
    return statements


def shard_of(name: str, shards: int) -> int:
    return zlib.crc32(name.lower().encode()) % shards


def place(workloads: Sequence[WorkloadConfig], shards: int) -> dict[int, list[WorkloadConfig]]:
    """Workloads per shard, checked against the per-stack resource limit."""
    placement: dict[int, list[WorkloadConfig]] = {}
    for workload in workloads:
        placement.setdefault(shard_of(workload.name, shards), []).append(workload)
    for shard, items in placement.items():
        resources = sum(RESOURCES_PER_WORKLOAD[w.role] for w in items)
        if resources > MAX_RESOURCES_PER_STACK:
            raise ConfigError(
                f"{CONTEXT_KEY}.workloads.shards {shards} puts {len(items)} workloads in shard {shard:02d} "
                f"({resources} resources, limit {MAX_RESOURCES_PER_STACK}); "
                "raise it (this moves existing roles once) or split the workloads across apps"
            )
    return dict(sorted(placement.items()))


class WorkloadShardStack(Stack):
    """One shard: a role per workload on its prefix of the shared bucket (``S3PrefixAccessRole``, or
    ``Ec2S3ReadOnlyRole`` for ``role: ec2-read``)."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, workloads: Sequence[WorkloadConfig],
                 shared_bucket_key: kms.IKey | None = None, iam_path: str | None = None,
                 permissions_boundary_arn: str | None = None, **kwargs: Any) -> None:
        """:param iam_path: the platform's path: each role under ``<iam_path><its service>/`` with its policy
        (what the platform's execution policy names). Default: ``/``.
        :param permissions_boundary_arn: the platform boundary every role carries. Default: none."""
        super().__init__(scope, id, **kwargs)
        self._iam_path = iam_path
        if permissions_boundary_arn:  # CDK's own aspect, in Node: no round trip per workload
            iam.PermissionsBoundary.of(self).apply(
                iam.ManagedPolicy.from_managed_policy_arn(self, "PlatformBoundary", permissions_boundary_arn))
        settings = config.workloads
        if shared_bucket_key is not None:  # the app's TenantIsolatedBucket (its key, from the workload stack)
            bucket = s3.Bucket.from_bucket_attributes(
                self, "SharedBucket", bucket_name=settings.bucket_name, encryption_key=shared_bucket_key)
        elif settings.kms_key_arn:
            # an imported bucket cannot tell its key: name it, so roles get kms:Decrypt/GenerateDataKey via S3
            key = kms.Key.from_key_arn(self, "SharedBucketKey", settings.kms_key_arn)
            bucket = s3.Bucket.from_bucket_attributes(
                self, "SharedBucket", bucket_name=settings.bucket_name, encryption_key=key)
        else:
            bucket = s3.Bucket.from_bucket_name(self, "SharedBucket", settings.bucket_name)
        by_name = {w.name.lower(): w for w in settings.items}
        self.roles: dict[str, S3PrefixAccessRole | Ec2S3ReadOnlyRole] = {}
        self.cross_workload_reads: dict[str, tuple[str, ...]] = {}
        for workload in workloads:
            self._add(workload, bucket, config)
            if settings.create_bucket:
                TenantIsolatedBucket.admit(self.roles[workload.name], workload.prefix)
            if workload.reads_from:
                others = [by_name[name.lower()] for name in workload.reads_from]
                self.cross_workload_reads[workload.name] = tuple(o.name for o in others)
                role = self.roles[workload.name]
                role.extend_policy(
                    read_statements(bucket, [o.prefix for o in others], self.region),
                    reason=f"reads_from in cdk.json: {workload.name} reads the data of "
                           + ", ".join(f"{o.name} ({o.prefix})" for o in others),
                )
                acknowledge_wildcard_resources(
                    role.policy, [bucket.arn_for_objects(f"{o.prefix}*") for o in others],
                    "IAM names the objects under an S3 prefix only with a trailing '*'; reads_from grants "
                    "s3:GetObject on exactly the named workloads' prefixes.",
                )

    def _add(self, workload: WorkloadConfig, bucket: s3.IBucket, config: AppConfig) -> None:
        where = f"s3://{config.workloads.bucket_name}/{workload.prefix}"
        if workload.role == "ec2-read":
            self.roles[workload.name] = Ec2S3ReadOnlyRole(
                self,
                workload.name,
                path=service_path(self._iam_path, "ec2.amazonaws.com") if self._iam_path else "/",
                locations=[S3Location(bucket, workload.prefix)],
                description=f"Workload {workload.name}: EC2 reads {where}",
            )
            return
        self.roles[workload.name] = S3PrefixAccessRole(
            self,
            workload.name,
            path=service_path(self._iam_path, workload.service) if self._iam_path else "/",
            assumed_by=service_principal(workload.service),
            location=S3Location(bucket, workload.prefix),
            access=ACCESS[workload.access],
            description=f"Workload {workload.name}: {workload.access} on {where}",
        )
