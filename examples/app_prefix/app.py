"""An application (ECS task) role with read and write on one S3 "directory" (app/uploads/)."""

import aws_cdk as cdk
from aws_cdk import Validations
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from constructs_iam import IamGuardrails, S3Access, S3Location, S3PrefixAccessRole, service_principal

app = cdk.App()
stack = cdk.Stack(app, "AppPrefix", env=cdk.Environment(account="222222222222", region="eu-west-1"))

data = s3.Bucket.from_bucket_name(stack, "Data", "acme-app-data")
uploads = S3PrefixAccessRole(
    stack, "Uploads",
    assumed_by=service_principal("ecs-tasks.amazonaws.com"),  # pinned to this account (aws:SourceAccount)
    location=S3Location(data, "app/uploads/"),
    access=S3Access.READ_WRITE,                                # READ, WRITE, READ_WRITE, READ_WRITE_DELETE
)
# uploads.role is the task role of your ECS task definition

IamGuardrails.of(app)
Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
app.synth()
