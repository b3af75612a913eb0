"""The identity (management) account: people, their groups, the password policy."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from constructs_iam import (
    AccountPasswordPolicy,
    CredentialHygiene,
    DeveloperReadOnlyRole,
    HumanUser,
    PeopleGroup,
    PersonStatus,
    SupportRole,
    kms_key_policy,
)

from .config import AppConfig
from .production_access_stack import refuse_offboarded


class IdentityStack(Stack):
    """Password policy, MFA-enforcing groups, one user per person, developers -> production role."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        identity = config.identity
        policy = identity.password_policy
        self.password_policy = AccountPasswordPolicy(
            self,
            "PasswordPolicy",
            minimum_length=policy.minimum_length,
            reuse_prevention=policy.reuse_prevention,
            max_age=Duration.days(policy.max_age_days) if policy.max_age_days else None,
        )
        # CIS 1.3-1.5, 1.7-1.9, 1.11, 1.13-1.15 checked by AWS Config (needs the account's recorder)
        self.credential_hygiene = CredentialHygiene(self, "CredentialHygiene", password_policy=self.password_policy)
        self.groups = {name: PeopleGroup(self, f"Group-{name}", group_name=name) for name in identity.groups}
        self.developer_role_arn = DeveloperReadOnlyRole.arn_for(
            account_id=config.production_account_id, role_name=config.developer_role_name
        )
        self.assume_production = DeveloperReadOnlyRole.grant_assume_by_arn(
            self,
            "AssumeProductionReadOnly",
            role_arn=self.developer_role_arn,
            grantee=self.groups[identity.developer_group].group,
        )
        # developers open Session Manager sessions through the session role (MFA, source identity)
        self.session_role_arn = DeveloperReadOnlyRole.arn_for(
            account_id=config.production_account_id, role_name=config.session_role_name)
        self.assume_session = DeveloperReadOnlyRole.grant_assume_by_arn(
            self, "AssumeInstanceSession", role_arn=self.session_role_arn,
            grantee=self.groups[identity.developer_group].group,
        )
        # CIS 1.16: a support role here too; the account's people need a grant to assume it (MFA)
        self.support_role = SupportRole(self, "Support", trusted_account_id=config.identity_account_id)
        self.secrets_key = kms.Key(
            self, "UserSecretsKey", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN,
            description="Encrypts people's initial passwords and access keys",
            policy=kms_key_policy(self, used_through=["secretsmanager"]),
        )
        self.users: dict[str, HumanUser] = {}
        for user in identity.users:
            # the construct id keeps the first name: a declared rename keeps the logical ids
            human = HumanUser(
                self,
                f"User-{user.renamed_from or user.name}",
                user_name=user.name,
                groups=[] if user.offboarded else [self.groups[g] for g in user.groups],
                console_access=user.console_access,
                access_key=user.access_key,
                encryption_key=self.secrets_key,
                rotate_every=Duration.days(user.rotate_access_key_days) if user.rotate_access_key_days else None,
                status=PersonStatus(user.status),
                renamed_from=user.renamed_from,
            )
            # the person fetches their own key (people/<name>/access-key) through PeopleGroup, with MFA
            self.users[user.name] = human
        refuse_offboarded(self.support_role.role, config)
        CfnOutput(self, "DeveloperRoleToAssume", value=self.developer_role_arn)
        for name, group in self.groups.items():
            CfnOutput(self, f"GroupArn{name.title().replace('-', '').replace('_', '').replace('.', '')}", value=group.group.group_arn)
