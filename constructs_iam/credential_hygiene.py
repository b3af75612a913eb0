"""CredentialHygiene: AWS Config managed rules for the IAM checks of the CIS benchmark, with
optional automatic remediation of unused credentials and an optional unused-access analyzer.

Config rules need a configuration recorder in the account and region (``aws configservice
describe-configuration-recorder-status`` shows ``recording: true``); AWS Control Tower sets one up
in every enrolled account and governed region. IAM is global: its resources are recorded in one
region only (Control Tower: the home region), so deploy this construct in that region.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_accessanalyzer as accessanalyzer
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _role
from . import _validation as v
from .acknowledgments import acknowledge_wildcards
from .password_policy import AccountPasswordPolicy
from .trust import service_principal

REMEDIATION_DOCUMENT = "AWSConfigRemediation-RevokeUnusedIAMUserCredentials"
"""AWS's automation runbook: deletes unused passwords and deactivates unused access keys."""

_PASSWORD_KEYS = ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireSymbols", "RequireNumbers",
                  "MinimumPasswordLength", "PasswordReusePrevention", "MaxPasswordAge")


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class CredentialHygiene(Construct):
    """The AWS Config managed rules for people's credentials (deploy in the identity account's
    home region, where the configuration recorder records IAM):

    ==========================================  ==============================================  =======
    rule (source identifier)                    reports                                          CIS 5.0
    ==========================================  ==============================================  =======
    IAM_USER_UNUSED_CREDENTIALS_CHECK           a password or key unused for ``max_unused``      1.11
    ACCESS_KEYS_ROTATED                         an active key older than ``max_key_age``         1.13
    IAM_ROOT_ACCESS_KEY_CHECK                   the root user has an access key                  1.3
    ROOT_ACCOUNT_MFA_ENABLED                    the root user has no MFA                         1.4
    ROOT_ACCOUNT_HARDWARE_MFA_ENABLED           the root user has no hardware MFA                1.5
    MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS          a console user without MFA                       1.9
    IAM_PASSWORD_POLICY                         a password policy weaker than ``password_policy``  1.7, 1.8
    IAM_USER_NO_POLICIES_CHECK                  a policy attached to a user                      1.14
    IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS  a customer policy allowing ``*`` on ``*``        1.15
    ==========================================  ==============================================  =======

    :param password_policy: the account's ``AccountPasswordPolicy``: IAM_PASSWORD_POLICY checks
        exactly its settings. Default: the CIS values (length 14, reuse 24, every character class).
    :param max_unused: credentials unused this long are reported, 1 to 365 days. Default: 45 days.
    :param max_key_age: active access keys older than this are reported, 1 to 365 days. Default: 90 days.
    :param remediate_unused: let Config run ``AWSConfigRemediation-RevokeUnusedIAMUserCredentials``
        on every non-compliant user (deletes unused passwords, deactivates unused keys), with a
        role of its own. Default: False (report only).
    :param unused_access_analyzer: create an IAM Access Analyzer unused-access analyzer for the
        account (a paid feature, billed per role and user analysed). Default: False.
    :param unused_access_age: what the analyzer calls unused, 1 to 365 days. Default: 90 days.
    :param permissions_boundary: boundary of the remediation role. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        password_policy: AccountPasswordPolicy | None = None,
        max_unused: Duration = v.days(45),
        max_key_age: Duration = v.days(90),
        remediate_unused: bool = False,
        unused_access_analyzer: bool = False,
        unused_access_age: Duration = v.days(90),
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            for prop, age in (("max_unused", max_unused), ("max_key_age", max_key_age),
                              ("unused_access_age", unused_access_age)):
                if check(v.duration_between, prop, age, v.days(1), v.days(365)) and v.seconds(age) % 86400:
                    check.fail(prop, age.to_human_string(), "must be whole days")
            if password_policy is not None and not isinstance(password_policy, AccountPasswordPolicy):
                check.fail("password_policy", password_policy, "must be an AccountPasswordPolicy")
            for prop, value in (("remediate_unused", remediate_unused), ("unused_access_analyzer", unused_access_analyzer)):
                if not isinstance(value, bool):
                    check.fail(prop, value, "must be True or False")
            check(_role.check_boundary, "permissions_boundary", permissions_boundary)
        unused_days = int(v.seconds(max_unused) // 86400)
        password = password_policy.parameters if password_policy is not None else {
            "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True, "RequireSymbols": True,
            "RequireNumbers": True, "MinimumPasswordLength": 14, "PasswordReusePrevention": 24}
        rules: dict[str, tuple[str, dict[str, str], list[str]]] = {
            "UnusedCredentials": ("IAM_USER_UNUSED_CREDENTIALS_CHECK", {"maxCredentialUsageAge": str(unused_days)}, []),
            "AccessKeysRotated": ("ACCESS_KEYS_ROTATED", {"maxAccessKeyAge": str(int(v.seconds(max_key_age) // 86400))}, []),
            "RootAccessKey": ("IAM_ROOT_ACCESS_KEY_CHECK", {}, []),
            "RootMfa": ("ROOT_ACCOUNT_MFA_ENABLED", {}, []),
            "RootHardwareMfa": ("ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", {}, []),
            "ConsoleMfa": ("MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", {}, []),
            "PasswordPolicy": ("IAM_PASSWORD_POLICY", {k: _text(password[k]) for k in _PASSWORD_KEYS if k in password}, []),
            "NoUserPolicies": ("IAM_USER_NO_POLICIES_CHECK", {}, ["AWS::IAM::User"]),
            "NoAdminStatements": ("IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", {}, ["AWS::IAM::Policy"]),
        }
        self.rules: dict[str, config.CfnConfigRule] = {}
        for rule_id, (identifier, parameters, types) in rules.items():
            self.rules[identifier] = config.CfnConfigRule(
                self, rule_id,
                source=config.CfnConfigRule.SourceProperty(owner="AWS", source_identifier=identifier),
                input_parameters=parameters or None,
                scope=config.CfnConfigRule.ScopeProperty(compliance_resource_types=types) if types else None,
                description=f"constructs-iam CredentialHygiene: {identifier}",
            )

        self.remediation_role: iam.Role | None = None
        if remediate_unused:
            self._remediation(unused_days, permissions_boundary)
        self.unused_access_analyzer: accessanalyzer.CfnAnalyzer | None = None
        if unused_access_analyzer:
            self.unused_access_analyzer = accessanalyzer.CfnAnalyzer(
                self, "UnusedAccessAnalyzer", type="ACCOUNT_UNUSED_ACCESS",
                analyzer_configuration=accessanalyzer.CfnAnalyzer.AnalyzerConfigurationProperty(
                    unused_access_configuration=accessanalyzer.CfnAnalyzer.UnusedAccessConfigurationProperty(
                        unused_access_age=int(v.seconds(unused_access_age) // 86400))),
            )

    def _remediation(self, unused_days: int, boundary: iam.IManagedPolicy | None) -> None:
        stack = Stack.of(self)
        self.remediation_role = role = iam.Role(
            self, "RemediationRole", assumed_by=service_principal("ssm.amazonaws.com"),
            description=f"Runs {REMEDIATION_DOCUMENT} for AWS Config (unused IAM user credentials only)",
            permissions_boundary=boundary,
        )
        users = stack.format_arn(service="iam", region="", resource="user", resource_name="*")
        executions = stack.format_arn(service="ssm", resource="automation-execution", resource_name="*")
        definition = stack.format_arn(service="ssm", resource="automation-definition",
                                      resource_name=f"{REMEDIATION_DOCUMENT}:*")
        statements: list[dict[str, Any]] = [
            {"Sid": "RevokeUnusedCredentials", "Effect": "Allow", "Resource": users,
             "Action": ["iam:DeleteAccessKey", "iam:DeleteLoginProfile", "iam:GetAccessKeyLastUsed",
                        "iam:GetLoginProfile", "iam:GetUser", "iam:ListAccessKeys", "iam:UpdateAccessKey"]},
            {"Sid": "FindTheUser", "Effect": "Allow", "Action": "config:ListDiscoveredResources", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": stack.region}}},
            {"Sid": "RunTheRunbook", "Effect": "Allow", "Action": "ssm:StartAutomationExecution", "Resource": definition},
            {"Sid": "ReadOwnExecutions", "Effect": "Allow", "Action": "ssm:GetAutomationExecution", "Resource": executions},
        ]
        self.remediation_policy = _role.attach_policy(self, role, statements,
                                                      "Revoke unused IAM user credentials (Config remediation)",
                                                      id="RemediationPolicy")
        acknowledge_wildcards(self.remediation_policy, [
            (users, "The runbook acts on whichever user Config reports as non-compliant; it only reads "
                    "credentials, deactivates keys and deletes unused passwords and keys."),
            ("*", "config:ListDiscoveredResources has no resource-level permissions; pinned to this region."),
            (definition, "The one AWS runbook, any of its versions."),
            (executions, "Execution ids do not exist before the run; read-only, this account and region."),
        ])
        self.remediation = config.CfnRemediationConfiguration(
            self, "RevokeUnused",
            config_rule_name=self.rules["IAM_USER_UNUSED_CREDENTIALS_CHECK"].ref,
            target_type="SSM_DOCUMENT", target_id=REMEDIATION_DOCUMENT,
            automatic=True, maximum_automatic_attempts=3, retry_attempt_seconds=60,
            parameters={
                "AutomationAssumeRole": {"StaticValue": {"Values": [role.role_arn]}},
                "IAMResourceId": {"ResourceValue": {"Value": "RESOURCE_ID"}},
                "MaxCredentialUsageAge": {"StaticValue": {"Values": [str(unused_days)]}},
            },
        )


__all__ = ["CredentialHygiene", "REMEDIATION_DOCUMENT"]
