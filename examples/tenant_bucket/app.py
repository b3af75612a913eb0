"""One bucket shared by two tenants, each confined to its own prefix by its role AND by the bucket."""

import aws_cdk as cdk
from aws_cdk import Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from constructs_iam import IamGuardrails, S3Location, S3PrefixAccessRole, TenantIsolatedBucket, acknowledge, service_principal

app = cdk.App()
stack = cdk.Stack(app, "Tenants", env=cdk.Environment(account="222222222222", region="eu-west-1"))

logs = s3.Bucket.from_bucket_name(stack, "AccessLogs", "acme-access-logs")  # where S3 server access logs go
shared = TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-tenant-data", server_access_logs_bucket=logs)
# one finding, acknowledged on this bucket with the reason (replication is a recovery decision per bucket)
acknowledge(shared.bucket, "NIST.800.53.R5-S3BucketReplicationEnabled",
            "Versioned and retained; cross-region replication is the data owner's recovery decision, not this example's")
for tenant in ("billing", "search"):
    role = S3PrefixAccessRole(stack, f"Tenant-{tenant}", assumed_by=service_principal("ecs-tasks.amazonaws.com"),
                              location=S3Location(shared.bucket, f"services/{tenant}/"))
    TenantIsolatedBucket.admit(role, f"services/{tenant}/")  # tags the role TenantPrefix=services/<tenant>/

IamGuardrails.of(app)
Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
app.synth()
