"""AccessKeyRotation: one IAM user's access key, rotated by Secrets Manager on a schedule.

``HumanUser(access_key=True, rotate_every=Duration.days(90))`` builds one; the construct is public
for users who keep their keys in a secret of their own.

The rotation function ships with the library (``constructs_iam/_key_rotation/handler.py``): it
creates a new key, stores it as the secret's pending version, checks that it signs requests as
the user, makes it current and deactivates the old key; a daily schedule deletes the inactive key
once ``grace_period`` has passed. Two keys are active only during a rotation (seconds); a
deactivated key can be switched back on by an administrator during the grace period. The person
always reads the current key from the secret (``AccessKeyId``, ``SecretAccessKey``).

The function's role may touch only this user's keys and this one secret:

- ``iam:CreateAccessKey``, ``iam:ListAccessKeys``, ``iam:UpdateAccessKey``, ``iam:DeleteAccessKey``
  on ``arn:aws:iam::<account>:user<path><user name>``;
- ``secretsmanager:DescribeSecret``, ``GetSecretValue``, ``PutSecretValue``,
  ``UpdateSecretVersionStage`` on the secret's ARN;
- ``kms:Decrypt``, ``kms:GenerateDataKey`` on the secret's key, only through Secrets Manager;
- ``logs:CreateLogStream``, ``logs:PutLogEvents`` on its own log group (it never logs a secret).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, cast

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct

from . import _role
from . import _validation as v
from .acknowledgments import acknowledge_all

HANDLER_DIRECTORY = Path(__file__).parent / "_key_rotation"

class SecretLike(Protocol):
    """Any secret construct with an ARN (``secretsmanager.ISecret``, or ``HumanUser``'s
    ``CredentialSecret``, which CDK's ``Secret`` cannot replace without a key-policy statement)."""

    @property
    def secret_arn(self) -> str: ...

USER_TAG = "constructs-iam:access-key-of"
"""The secret's tag naming the user whose key it holds (the function reads it; no environment)."""

_ACKNOWLEDGMENTS = {
    "NIST.800.53.R5-LambdaConcurrency": "Secrets Manager invokes the rotation function once per rotation "
    "and the schedule once a day; reserved concurrency would only take capacity from the account.",
    "NIST.800.53.R5-LambdaDLQ": "Secrets Manager records a failed rotation on the secret (and retries it); "
    "the daily cleanup runs again the next day; there is no event to keep in a dead-letter queue.",
    "NIST.800.53.R5-LambdaInsideVPC": "The function calls only the IAM, STS and Secrets Manager APIs; "
    "a VPC would add network paths (NAT or endpoints) without protecting anything.",
    "NIST.800.53.R5-CloudWatchLogGroupEncrypted": "The function logs steps and the last four characters "
    "of key ids, never a secret value; CloudWatch Logs encrypts the group at rest with its own keys.",
}


class AccessKeyRotation(Construct):
    """Rotate ``user``'s access key stored in ``secret`` every ``rotate_every``.

    :param user_name: the IAM user whose keys the function manages (and nobody else's).
    :param path: that user's IAM path. Default: ``/``.
    :param secret: the secret holding ``{"AccessKeyId", "SecretAccessKey"}``; it is tagged
        ``constructs-iam:access-key-of=<user_name>`` (an imported secret must carry that tag already).
    :param encryption_key: the secret's customer managed key. Default: none (AWS managed key).
    :param rotate_every: 1 to 365 whole days.
    :param grace_period: how long the old, deactivated key is kept before it is deleted, 1 hour to
        90 days and shorter than ``rotate_every``. Default: 7 days.
    :param permissions_boundary: a managed policy capping the function's role. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        user_name: str,
        secret: secretsmanager.ISecret | SecretLike,
        rotate_every: Duration,
        path: str = "/",
        encryption_key: kms.IKey | None = None,
        grace_period: Duration = v.days(7),
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        days = 0
        with v.Checks(self) as check:
            if user_name is None:
                check.fail("user_name", user_name, "is required: the one IAM user whose key rotates")
            check(v.iam_name, "user_name", user_name, max_length=64)
            check(v.iam_path, "path", path)
            if secret is None or not v.has(secret, "secret_arn"):
                check.fail("secret", secret, "must be an aws_secretsmanager.ISecret")
            if check(v.duration_between, "rotate_every", rotate_every, v.days(1), v.days(365)):
                rotate_days = v.seconds(rotate_every) / 86400
                days = int(rotate_days)
                if days != rotate_days:
                    check.fail("rotate_every", rotate_every.to_human_string(), "must be whole days (Secrets Manager rotates by days)")
            if check(v.duration_between, "grace_period", grace_period, v.ONE_HOUR, v.days(90)) and \
                    days and v.seconds(grace_period) >= v.seconds(rotate_every):
                check.fail("grace_period", grace_period.to_human_string(),
                           f"must be shorter than rotate_every ({rotate_every.to_human_string()}): the next rotation "
                           "deletes the previous key (IAM allows two keys per user)")
            check(_role.check_boundary, "permissions_boundary", permissions_boundary)
        stack = Stack.of(self)
        self.user_arn = stack.format_arn(service="iam", region="", resource="user", resource_name=f"{path[1:]}{user_name}")
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR, removal_policy=RemovalPolicy.DESTROY)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Rotates the access key of IAM user {user_name} (and nothing else)",
            permissions_boundary=permissions_boundary,
        )
        statements: list[dict[str, object]] = [
            {"Sid": "ManageThisUsersKeys", "Effect": "Allow",
             "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"],
             "Resource": self.user_arn},
            {"Sid": "RotateThisSecret", "Effect": "Allow",
             "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                        "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"],
             "Resource": secret.secret_arn},
            {"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": self.log_group.log_group_arn},
        ]
        if encryption_key is not None:
            statements.append({
                "Sid": "UseTheSecretsKeyThroughSecretsManager", "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": encryption_key.key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
            })
        self.policy = _role.attach_policy(self, self.role, statements, f"Rotate the access key of {user_name}")
        self.function = lambda_.Function(
            self, "Function",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(HANDLER_DIRECTORY), exclude=["__pycache__", "*.pyc"]),
            role=self.role,
            log_group=self.log_group,
            timeout=Duration.minutes(1),
            description=f"Rotates the access key of IAM user {user_name} (Secrets Manager rotation)",
        )
        # the function finds its user in the secret's tag: no environment variables to encrypt
        Tags.of(cast(IConstruct, secret)).add(USER_TAG, user_name)
        # wait for the permissions, not only for the role (which the GetAtt already implies)
        function_resource = cast(CfnResource, self.function.node.default_child)
        function_resource.add_override("DependsOn", [stack.get_logical_id(cast(CfnResource, self.policy.node.default_child))])
        invoke = lambda_.CfnPermission(
            self, "SecretsManagerInvokes", action="lambda:InvokeFunction", function_name=self.function.function_arn,
            principal="secretsmanager.amazonaws.com", source_account=stack.account,
        )
        self.schedule = secretsmanager.CfnRotationSchedule(
            self, "Schedule", secret_id=secret.secret_arn, rotation_lambda_arn=self.function.function_arn,
            rotate_immediately_on_update=True,
            rotation_rules=secretsmanager.CfnRotationSchedule.RotationRulesProperty(automatically_after_days=days),
        )
        self.schedule.add_resource_dependency(invoke)
        cleanup = events.CfnRule(
            self, "Cleanup", schedule_expression="rate(1 day)",
            description=f"Deletes the old access key of {user_name} once its grace period is over",
            targets=[events.CfnRule.TargetProperty(id="Cleanup", arn=self.function.function_arn, input=stack.to_json_string({
                "Cleanup": True, "SecretId": secret.secret_arn, "GraceSeconds": int(v.seconds(grace_period))}))],
        )
        lambda_.CfnPermission(
            self, "ScheduleInvokes", action="lambda:InvokeFunction", function_name=self.function.function_arn,
            principal="events.amazonaws.com", source_arn=cleanup.attr_arn,
        )
        self.rotate_every, self.grace_period = rotate_every, grace_period
        acknowledge_all(self.function, [(rule, why) for rule, why in _ACKNOWLEDGMENTS.items() if "LogGroup" not in rule])
        acknowledge_all(self.log_group, [(rule, why) for rule, why in _ACKNOWLEDGMENTS.items() if "LogGroup" in rule])
