"""Developers reach production read-only: people live in the identity account (one user each, groups
only, MFA, a strong password policy); the production account holds a role they assume with MFA, for
one hour, under their own name (source identity), that shows configuration and never data."""

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from constructs_iam import (
    AccountPasswordPolicy,
    DeveloperReadOnlyRole,
    HumanUser,
    IamGuardrails,
    PeopleGroup,
)

IDENTITY, PRODUCTION = "111111111111", "222222222222"
app = cdk.App()

production = cdk.Stack(app, "ProductionAccess", env=cdk.Environment(account=PRODUCTION, region="eu-west-1"))
DeveloperReadOnlyRole(production, "DeveloperReadOnly", trusted_account_id=IDENTITY, role_name="DeveloperReadOnly")

identity = cdk.Stack(app, "Identity", env=cdk.Environment(account=IDENTITY, region="eu-west-1"))
AccountPasswordPolicy(identity, "PasswordPolicy")  # CIS defaults: 14 characters, 24 remembered
developers = PeopleGroup(identity, "Developers", group_name="developers")  # MFA enforced, self-service
HumanUser(identity, "Alice", user_name="alice.example", groups=[developers])
DeveloperReadOnlyRole.grant_assume_by_arn(
    identity, "AssumeProductionReadOnly", grantee=developers.group,
    role_arn=DeveloperReadOnlyRole.arn_for(account_id=PRODUCTION, role_name="DeveloperReadOnly"),
)

IamGuardrails.of(app)
Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
app.synth()
