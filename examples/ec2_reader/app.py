"""An EC2 instance role that reads one S3 prefix (reports/daily/) of one bucket, and nothing else."""

import aws_cdk as cdk
from aws_cdk import Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from constructs_iam import Ec2S3ReadOnlyRole, IamGuardrails, S3Location

app = cdk.App()
stack = cdk.Stack(app, "Ec2Reader", env=cdk.Environment(account="222222222222", region="eu-west-1"))

reports = s3.Bucket.from_bucket_name(stack, "Reports", "acme-reports")  # an existing bucket
reader = Ec2S3ReadOnlyRole(stack, "ReportsReader", locations=[S3Location(reports, "reports/daily/")])
# reader.role gets s3:GetObject on acme-reports/reports/daily/* and s3:ListBucket of that prefix: nothing else

IamGuardrails.of(app)
Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
app.synth()
