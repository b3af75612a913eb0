"""The workload stack: a data bucket with secure defaults and the three workload roles on it."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_iam import (
    Ec2S3ReadOnlyRole,
    InstanceSessionAccess,
    SessionPreferences,
    S3Access,
    S3Location,
    S3PrefixAccessRole,
    ScalingServiceRole,
    acknowledge,
    acknowledge_all,
    TenantIsolatedBucket,
    kms_key_policy,
    service_principal,
)

from .config import AppConfig

REPLICATION_REASON = (
    "Cross-region replication is a disaster-recovery decision that needs a second region and "
    "bucket; this sample keeps one region. Versioning protects against overwrite and deletion."
)


class WorkloadStack(Stack):
    """Data bucket (KMS, TLS only, no public access, versioned, access-logged) + workload roles."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge_all(self.log_bucket, [
            ("AwsSolutions-S1", "This is the server access log destination; logging it to itself would loop."),
            ("NIST.800.53.R5-S3BucketLoggingEnabled",
             "This is the server access log destination; logging it to itself would loop."),
            ("NIST.800.53.R5-S3DefaultEncryptionKMS",
             "S3 server access logging delivers only to buckets encrypted with SSE-S3, not SSE-KMS."),
            ("NIST.800.53.R5-S3BucketReplicationEnabled", REPLICATION_REASON),
        ])

        self.data_key = kms.Key(
            self, "DataKey", enable_key_rotation=True, description="Encrypts the workload data bucket",
            removal_policy=RemovalPolicy.RETAIN,
            policy=kms_key_policy(self, used_through=["s3"]),  # the roles use it only through S3
        )
        self.data_bucket = s3.Bucket(
            self,
            "DataBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.data_key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix="data-bucket/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(self.data_bucket, "NIST.800.53.R5-S3BucketReplicationEnabled", REPLICATION_REASON)

        # Session Manager instead of SSH keys: the account's preferences (logged, encrypted sessions)
        self.session_preferences = SessionPreferences(self, "SessionPreferences")
        self.ec2_reader = Ec2S3ReadOnlyRole(
            self,
            "Ec2ReadOnly",
            locations=[S3Location(self.data_bucket, prefix) for prefix in config.ec2_read_prefixes],
            session_manager=self.session_preferences,
        )
        self.app_role = S3PrefixAccessRole(
            self,
            "AppPrefixAccess",
            assumed_by=service_principal(config.app_service),
            location=S3Location(self.data_bucket, config.app_prefix),
            access=S3Access.READ_WRITE,
        )
        self.scaler = ScalingServiceRole(
            self,
            "Scaling",
            instance_role=self.ec2_reader.role,
            instance_types=list(config.scaling_instance_types),
        )
        # people open shells (with MFA) only on the instances the scaler launched, as themselves
        self.session_access = InstanceSessionAccess(
            self,
            "InstanceSession",
            trusted_account_id=config.identity_account_id,
            instance_tag_key=self.scaler.launch_tag[0],
            instance_tag_value=self.scaler.launch_tag[1],
            preferences=self.session_preferences,
            role_name=config.session_role_name,
        )
        self.shared_bucket: TenantIsolatedBucket | None = None
        if config.workloads.create_bucket:
            # the many workloads' bucket, each tenant confined to its prefix by the bucket too
            self.shared_bucket = TenantIsolatedBucket(
                self, "SharedBucket", bucket_name=config.workloads.bucket_name,
                server_access_logs_bucket=self.log_bucket, server_access_logs_prefix="shared-bucket/",
            )
            acknowledge(self.shared_bucket.bucket, "NIST.800.53.R5-S3BucketReplicationEnabled", REPLICATION_REASON)
        CfnOutput(self, "DataBucketName", value=self.data_bucket.bucket_name)
        CfnOutput(self, "Ec2ReadOnlyRoleArn", value=self.ec2_reader.role.role_arn)
        CfnOutput(self, "Ec2InstanceProfileArn", value=self.ec2_reader.instance_profile.instance_profile_arn)
        CfnOutput(self, "AppPrefixAccessRoleArn", value=self.app_role.role.role_arn)
        CfnOutput(self, "ScalingRoleArn", value=self.scaler.role.role_arn)
        CfnOutput(self, "InstanceSessionRoleArn", value=self.session_access.role.role_arn)
        CfnOutput(self, "SessionLogGroupName", value=self.session_preferences.log_group_name)
