"""AccountPasswordPolicy: the account's IAM password policy, CIS-compliant by default.

CloudFormation has no resource type for the account password policy, so this is a custom
resource: a small Lambda function of its own (inline source, ``_password_policy_handler.py``) that
calls ``iam:UpdateAccountPasswordPolicy`` on create and update and
``iam:DeleteAccountPasswordPolicy`` on delete (IAM's default policy again). It does not use CDK's
``AwsCustomResource``: that one shares a single Lambda function and role per stack with every other
``AwsCustomResource``, so another construct's permissions would land on this role.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import _facts, _role
from . import _validation as v
from .acknowledgments import acknowledge_wildcard_resources
from .key_policy import kms_key_policy

CIS_MINIMUM_LENGTH = 14
CIS_REUSE_PREVENTION = 24


class AccountPasswordPolicy(Construct):
    """The IAM account password policy (one per account: create it in one stack only).

    Defaults meet the CIS AWS Foundations Benchmark v5.0 (1.7: length 14 or more; 1.8: reuse
    prevention 24): every character class required, users may change their own password, no
    forced expiry (NIST SP 800-63B advises against periodic rotation; set ``max_age`` if your
    policy requires it).

    The custom resource's Lambda role is as narrow as IAM allows: ``iam:UpdateAccountPasswordPolicy``
    and ``iam:DeleteAccountPasswordPolicy`` (which have no resource-level permissions) and writing
    to its own encrypted log group; it carries ``permissions_boundary`` when one is set.

    :param minimum_length: 6 to 128 (IAM's range). Default: 14. Below 14 fails CIS 1.7 (a warning).
    :param reuse_prevention: 1 to 24 previous passwords. Default: 24.
    :param require_uppercase: at least one upper-case letter. Default: True.
    :param require_lowercase: at least one lower-case letter. Default: True.
    :param require_numbers: at least one digit. Default: True.
    :param require_symbols: at least one symbol. Default: True.
    :param allow_users_to_change_password: Default: True.
    :param max_age: password lifetime, 1 to 1095 days. Default: no expiry.
    :param hard_expiry: an expired password cannot be changed by its user (an administrator must
        reset it). Default: False.
    :param permissions_boundary: boundary for the custom resource's Lambda role. Default: none.
    :param vpc: run the handler inside this VPC (for organisations whose controls, e.g. AWS Control
        Tower's proactive Lambda controls, require it). Its subnets need a route to the IAM API (a
        NAT gateway). Default: no VPC (the handler only calls the IAM API).
    :param vpc_subnets: which subnets of ``vpc``. Default: the VPC's private subnets.
    :param security_groups: security groups of the handler. Default: one created, egress only.
    :param reserved_concurrent_executions: reserve this much concurrency for the handler (1 is
        plenty: CloudFormation calls it once per stack operation). Default: none reserved.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        minimum_length: int = CIS_MINIMUM_LENGTH,
        reuse_prevention: int = CIS_REUSE_PREVENTION,
        require_uppercase: bool = True,
        require_lowercase: bool = True,
        require_numbers: bool = True,
        require_symbols: bool = True,
        allow_users_to_change_password: bool = True,
        max_age: Duration | None = None,
        hard_expiry: bool = False,
        permissions_boundary: iam.IManagedPolicy | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
        reserved_concurrent_executions: int | None = None,
    ) -> None:
        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
        account, _ = v.deploy_target(self)  # the password policy is account-wide: one per account
        v.one_per_scope(self, (account,), f"a second account password policy for account {account}")
        with v.Checks(self) as check:
            if vpc is not None and not v.has(vpc, "vpc_id"):
                check.fail("vpc", vpc, "must be an aws_ec2.IVpc")
            if vpc is None and (vpc_subnets is not None or security_groups):
                check.fail("vpc_subnets/security_groups", vpc_subnets or list(security_groups),
                                                 "need vpc: they place the handler inside a VPC")
            for group in check(v.sequence, "security_groups", security_groups, what="aws_ec2.ISecurityGroup objects") or []:
                if not v.has(group, "security_group_id"):
                    check.fail("security_groups", group, "must contain aws_ec2.ISecurityGroup objects")
            if reserved_concurrent_executions is not None:
                check(v.int_between, "reserved_concurrent_executions", reserved_concurrent_executions, 1, 1000)
            check(v.int_between, "minimum_length", minimum_length, 6, 128)
            check(v.int_between, "reuse_prevention", reuse_prevention, 1, 24)
            for name, value in [
                ("require_uppercase", require_uppercase),
                ("require_lowercase", require_lowercase),
                ("require_numbers", require_numbers),
                ("require_symbols", require_symbols),
                ("allow_users_to_change_password", allow_users_to_change_password),
                ("hard_expiry", hard_expiry),
            ]:
                if not isinstance(value, bool):
                    check.fail(name, value, "must be True or False")
            max_age_days = None
            if max_age is not None and check(v.duration_between, "max_age", max_age, v.days(1), v.days(1095)):
                seconds = v.seconds_of(max_age)
                if seconds is not None and seconds % 86400:
                    check.fail("max_age", max_age.to_human_string(), "must be a whole number of days (IAM counts a "
                               "password's age in days)")
                else:
                    max_age_days = int(v.seconds(max_age) // 86400)
            if hard_expiry is True and max_age is None:
                check.fail("hard_expiry", hard_expiry, "needs max_age: without an age passwords never expire")
            check(_role.check_boundary, "permissions_boundary", permissions_boundary)
        if minimum_length < CIS_MINIMUM_LENGTH:
            Annotations.of(self).add_warning_v2(
                "constructs-iam:password-length",
                f"minimum_length {minimum_length} is below {CIS_MINIMUM_LENGTH} (CIS AWS Foundations 1.7)",
            )

        self.parameters: dict[str, Any] = {
            "MinimumPasswordLength": minimum_length,
            "PasswordReusePrevention": reuse_prevention,
            "RequireUppercaseCharacters": require_uppercase,
            "RequireLowercaseCharacters": require_lowercase,
            "RequireNumbers": require_numbers,
            "RequireSymbols": require_symbols,
            "AllowUsersToChangePassword": allow_users_to_change_password,
            "HardExpiry": hard_expiry,
        }
        if max_age_days is not None:
            self.parameters["MaxPasswordAge"] = max_age_days
        stack = Stack.of(self)

        key = kms.Key(
            self,
            "LogKey",
            enable_key_rotation=True,
            description="Encrypts the password policy custom resource's logs",
            removal_policy=RemovalPolicy.DESTROY,
            policy=kms_key_policy(self),  # administration only; CloudWatch Logs gets its statement below
        )
        facts = _facts.stack(stack)
        key.add_to_resource_policy(iam.PolicyStatement.from_json({  # plain data: one object for CDK
            "Sid": "AllowCloudWatchLogsForThisAccountsLogGroups", "Effect": "Allow",
            # what CloudWatch Logs needs to encrypt a log group, and only for this account's
            # log groups (the encryption context key is a string: StringLike, not ArnLike)
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"],
            "Principal": {"Service": f"logs.{facts.region}.amazonaws.com"},
            "Resource": "*",  # in a key policy, "*" means this key
            "Condition": {"StringLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:{stack.partition}:logs:{facts.region}:{facts.account}:log-group:*"}},
        }))
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=key, removal_policy=RemovalPolicy.DESTROY
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Sets the IAM account password policy (custom resource)",
            permissions_boundary=permissions_boundary,
        )
        policy = iam.ManagedPolicy(
            self,
            "Policy",
            roles=[self.role],
            description="Update and delete the account password policy; write own logs",
            document=iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": [
                # these two actions have no resource type (the account's one policy)
                {"Sid": "ManagePasswordPolicy", "Effect": "Allow",
                 "Action": ["iam:UpdateAccountPasswordPolicy", "iam:DeleteAccountPasswordPolicy"], "Resource": "*"},
                {"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": self.log_group.log_group_arn},
                *(_vpc_statements(stack) if vpc is not None else []),
            ]}),
        )
        acknowledge_wildcard_resources(
            policy,
            ["*"],
            "iam:UpdateAccountPasswordPolicy and iam:DeleteAccountPasswordPolicy act on the account's "
            "single password policy and have no resource-level permissions.",
        )
        self.function = _role.handler_function(
            self, source=HANDLER_SOURCE, role=self.role, log_group=self.log_group, policy=policy,
            timeout=Duration.minutes(1), description="Sets the IAM account password policy (CloudFormation custom resource)",
            acknowledgments=[
                (rule, reason) for rule, reason in _HANDLER_ACKNOWLEDGMENTS.items()
                # a satisfied rule has nothing to acknowledge
                if not (rule == "NIST.800.53.R5-LambdaInsideVPC" and vpc is not None)
                and not (rule == "NIST.800.53.R5-LambdaConcurrency" and reserved_concurrent_executions is not None)
            ],
            vpc=vpc,
            vpc_subnets=vpc_subnets if vpc is not None else None,
            security_groups=list(security_groups) or None,
            reserved_concurrent_executions=reserved_concurrent_executions,
        )
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.function.function_arn,
            resource_type="Custom::AccountPasswordPolicy",
            properties=self.parameters,
        )
        if vpc is not None:
            acknowledge_wildcard_resources(
                policy, [r for st in _vpc_statements(stack) for r in st["Resource"]],
                "Lambda creates, describes and deletes the handler's network interfaces in the VPC; their ids "
                "do not exist beforehand, the Describe actions have no resource type, and everything is "
                "scoped to this account and region.",
            )


def _vpc_statements(stack: Stack) -> list[dict[str, Any]]:
    """What Lambda needs from the execution role to attach a function to a VPC (the actions of
    AWS's AWSLambdaVPCAccessExecutionRole), scoped to this account and region, as policy JSON."""
    facts = _facts.stack(stack)

    def arn(resource: str) -> str:
        return f"arn:{stack.partition}:ec2:{facts.region}:{facts.account}:{resource}/*"

    return [
        {"Sid": "ManageOwnNetworkInterfaces", "Effect": "Allow",
         "Action": ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
         "Resource": [arn("network-interface"), arn("subnet"), arn("security-group")]},
        # Describe* have no resource type
        {"Sid": "DescribeNetworkInterfaces", "Effect": "Allow",
         "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": facts.region}}},
    ]


HANDLER_SOURCE = (Path(__file__).parent / "_password_policy_handler.py").read_text()

_HANDLER_ACKNOWLEDGMENTS = {
    "NIST.800.53.R5-LambdaConcurrency": "CloudFormation invokes this custom resource handler only on "
    "stack create/update/delete; reserved concurrency would only take capacity from the account.",
    "NIST.800.53.R5-LambdaDLQ": "CloudFormation invokes the handler and records failures in the stack "
    "events (the handler reports every error); there is no asynchronous event to dead-letter.",
    "NIST.800.53.R5-LambdaInsideVPC": "The handler only calls the global IAM API; a VPC would add "
    "network paths (NAT or endpoints) without protecting anything.",
}
