"""GitHub Actions deploys with OIDC: no stored keys; only main and the production environment of one
repository may assume the role, and it can only assume the CDK bootstrap roles."""

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from constructs_iam import GitHubActionsRole, GitHubOidcProvider, IamGuardrails

app = cdk.App()
stack = cdk.Stack(app, "CiDeploy", env=cdk.Environment(account="222222222222", region="eu-west-1"))

provider = GitHubOidcProvider(stack, "GitHub")  # one per account; or GitHubOidcProvider.existing(stack, "GitHub")
GitHubActionsRole(
    stack, "Deploy",
    repository="acme/platform",
    branches=["main"], environments=["production"],  # exact subjects only: no pull requests, no forks
    provider=provider.provider,
    role_name="GitHubActionsDeploy",
)

IamGuardrails.of(app)
Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
app.synth()
