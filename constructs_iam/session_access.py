"""Instances without SSH keys: Session Manager preferences, the agent's permissions, and the role
people assume to open a session (public API: ``SessionPreferences``, ``SessionDocument``,
``InstanceSessionAccess``, ``session_agent_statements``).

Session Manager replaces SSH keys: IAM decides who may open a session on which instance, no
inbound port is open, and shell sessions are logged. A shell on an instance can use the
instance role's credentials, so session access is a role of its own, stronger than read-only.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from . import _role
from . import _validation as v
from ._pattern import RolePattern
from .acknowledgments import acknowledge_wildcards
from .key_policy import kms_key_policy
from .trust import check_principal_arns, cross_account_principal

PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
"""The account's Session Manager preferences (one per account and region), also the shell document."""

_TAG_KEY = re.compile(r"^[\w .:/=+@-]{1,128}$")
_OS_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_LOG_GROUP = re.compile(r"^[\w.\-/#]{1,512}$")  # CloudWatch Logs' own pattern for group names (no wildcards)


class SessionDocument(enum.Enum):
    """The session documents a person may start a session with."""

    SHELL = (PREFERENCES_DOCUMENT, False, True)
    """An interactive shell, with the account's preferences: logged to the log group, encrypted."""
    PORT_FORWARDING = ("AWS-StartPortForwardingSession", True, False)
    """A port of the instance forwarded to the person's machine. The traffic is not logged."""
    PORT_FORWARDING_TO_REMOTE_HOST = ("AWS-StartPortForwardingSessionToRemoteHost", True, False)
    """A port of a host the instance reaches (e.g. a database). The traffic is not logged."""
    SSH = ("AWS-StartSSHSession", True, False)
    """SSH tunnelled through Session Manager (needs a key on the instance). Not logged."""

    @property
    def document_name(self) -> str:
        return self.value[0]

    @property
    def aws_owned(self) -> bool:
        return self.value[1]

    @property
    def logged(self) -> bool:
        return self.value[2]

    def arn(self, stack: Stack) -> str:
        # AWS-owned documents have no account in their ARN
        return stack.format_arn(service="ssm", resource="document", resource_name=self.document_name,
                                account="" if self.aws_owned else None)


class SessionPreferences(Construct):
    """The account's Session Manager preferences in this region: shell sessions logged to an
    encrypted CloudWatch Logs group, session data encrypted with a KMS key, idle and maximum
    session times.

    The preferences document ``SSM-SessionManagerRunShell`` exists once per account and region,
    and the console creates it the first time someone opens its preferences page. Check with
    ``aws ssm describe-document --name SSM-SessionManagerRunShell``: if it exists, either delete
    it before deploying (CloudFormation then owns it) or adopt it with ``existing_key_arn`` and
    ``existing_log_group_name`` (nothing is created; the instance roles and ``InstanceSessionAccess``
    get permissions on that key and group). A deploy over an existing document fails with
    CloudFormation's "already exists" error rather than replacing someone's settings.

    :param idle_timeout: end idle sessions after this long, 1 to 60 minutes. Default: 20 minutes.
    :param max_session: end every session after this long, 1 minute to 24 hours. Default: 1 hour.
    :param log_retention: how long session logs are kept. Default: one year.
    :param existing_key_arn: adopt the account's existing preferences: their KMS key.
    :param existing_log_group_name: adopt the account's existing preferences: their log group.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        idle_timeout: Duration = v.minutes(20),
        max_session: Duration = v.ONE_HOUR,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        existing_key_arn: str | None = None,
        existing_log_group_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            for prop, value, most in (("idle_timeout", idle_timeout, v.minutes(60)),
                                      ("max_session", max_session, v.hours(24))):
                if check(v.duration_between, prop, value, v.ONE_MINUTE, most) and v.seconds(value) % 60:
                    check.fail(prop, value.to_human_string(), "must be whole minutes (Session Manager counts minutes)")
            if (existing_key_arn is None) != (existing_log_group_name is None):
                check.fail("existing_key_arn/existing_log_group_name", existing_key_arn or existing_log_group_name,
                           "adopt existing preferences with both, or give neither to create them")
            if existing_key_arn is not None and not v.is_token(existing_key_arn) and \
                    not re.match(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[\w-]+$", str(existing_key_arn)):
                check.fail("existing_key_arn", existing_key_arn, "must be a KMS key ARN")
            if existing_log_group_name is not None and not v.is_token(existing_log_group_name) and \
                    (not isinstance(existing_log_group_name, str) or not _LOG_GROUP.match(existing_log_group_name)):
                check.fail("existing_log_group_name", existing_log_group_name,
                           "must be a log group name (1 to 512 of letters, digits and _ - . / #; no wildcards)")
        stack = Stack.of(self)
        self.adopted = existing_key_arn is not None
        self.document: ssm.CfnDocument | None = None
        if existing_key_arn is not None and existing_log_group_name is not None:
            self.key_arn = existing_key_arn
            self.log_group_name = existing_log_group_name
            self.log_group_arn = stack.format_arn(service="logs", resource="log-group", resource_name=existing_log_group_name,
                                                  arn_format=ArnFormat.COLON_RESOURCE_NAME)
            return
        self.key = kms.Key(
            self, "Key", enable_key_rotation=True, removal_policy=RemovalPolicy.RETAIN,
            description="Encrypts Session Manager session data and session logs",
            policy=kms_key_policy(self),
        )
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="SessionDataForThisAccount",
            # the person's client asks for a data key, the instance's agent decrypts with it (both call
            # KMS themselves, so no kms:ViaService), always with the session's encryption context
            # (aws:ssm:SessionId, aws:ssm:TargetId); IAM policies (InstanceSessionAccess, the instance
            # roles' session_manager option) decide who
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            principals=[iam.AccountRootPrincipal()], resources=["*"],  # in a key policy, "*" means this key
            conditions={"StringEquals": {"kms:CallerAccount": stack.account},
                        "Null": {"kms:EncryptionContext:aws:ssm:SessionId": "false"}},
        ))
        log_groups = _all_log_groups(stack)
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchLogsForThisAccountsLogGroups",
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"],
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")], resources=["*"],
            conditions={"StringLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
        ))
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention, encryption_key=self.key,
                                       removal_policy=RemovalPolicy.RETAIN)
        self.key_arn = self.key.key_arn
        self.log_group_name = self.log_group.log_group_name
        self.log_group_arn = self.log_group.log_group_arn
        self.document = ssm.CfnDocument(
            self, "Preferences", name=PREFERENCES_DOCUMENT, document_type="Session", document_format="JSON",
            update_method="NewVersion",
            content={
                "schemaVersion": "1.0",
                "description": "Session Manager preferences (constructs-iam SessionPreferences)",
                "sessionType": "Standard_Stream",
                "inputs": {
                    "s3BucketName": "", "s3KeyPrefix": "", "s3EncryptionEnabled": True,
                    "cloudWatchLogGroupName": self.log_group_name,
                    "cloudWatchEncryptionEnabled": True,
                    "cloudWatchStreamingEnabled": True,
                    "kmsKeyId": self.key_arn,
                    "runAsEnabled": False, "runAsDefaultUser": "",
                    "idleSessionTimeout": str(int(v.seconds(idle_timeout) // 60)),
                    "maxSessionDuration": str(int(v.seconds(max_session) // 60)),
                    "shellProfile": {"linux": "", "windows": ""},
                },
            },
        )


def session_agent_statements(stack: Stack, preferences: SessionPreferences) -> list[dict[str, Any]]:
    """What the SSM agent on an instance needs for Session Manager, and nothing else (not
    ``AmazonSSMManagedInstanceCore``, which also reads every parameter and runs any command):

    - ``ssmmessages:CreateControlChannel``/``CreateDataChannel``/``OpenControlChannel``/
      ``OpenDataChannel`` (no resource types: ``*`` in this region) and
      ``ssm:UpdateInstanceInformation`` on this account's instances;
    - ``kms:Decrypt`` on the preferences' key (session data encryption);
    - ``logs:CreateLogStream``/``PutLogEvents``/``DescribeLogStreams`` on the preferences' log
      group and ``logs:DescribeLogGroups`` (no resource types: ``*`` in this region; the agent
      checks that the group is encrypted).
    """
    region_only = {"StringEquals": {"aws:RequestedRegion": stack.region}}
    return [
        {"Sid": "SessionManagerChannels", "Effect": "Allow",
         "Action": ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
         "Resource": "*", "Condition": region_only},
        {"Sid": "SessionManagerRegisterInstance", "Effect": "Allow", "Action": "ssm:UpdateInstanceInformation",
         "Resource": stack.format_arn(service="ec2", resource="instance", resource_name="*")},
        {"Sid": "SessionManagerDecryptSessions", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": preferences.key_arn},
        {"Sid": "SessionManagerWriteSessionLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
         "Resource": [preferences.log_group_arn, f"{preferences.log_group_arn}:log-stream:*"]},
        # DescribeLogGroups has no resource-level permissions (it lists by prefix): "*" in this region
        {"Sid": "SessionManagerCheckLogEncryption", "Effect": "Allow", "Action": "logs:DescribeLogGroups",
         "Resource": "*", "Condition": region_only},
    ]


def session_agent_acknowledgments(stack: Stack, preferences: SessionPreferences) -> list[tuple[str, str]]:
    """The wildcard findings of ``session_agent_statements``, each with its reason."""
    return [
        ("*", "The ssmmessages channel actions and logs:DescribeLogGroups (the agent checks that the session "
              "log group is encrypted) have no resource-level permissions; pinned to this region."),
        (stack.format_arn(service="ec2", resource="instance", resource_name="*"),
         "The agent registers the instance it runs on; instance ids are not known when the role is made."),
        (f"{preferences.log_group_arn}:log-stream:*", "Session Manager names one log stream per session."),
    ]


def _all_log_groups(stack: Stack) -> str:
    return stack.format_arn(service="logs", resource="log-group", resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME)


class InstanceSessionAccess(RolePattern):
    """A role in the instances' account that people assume (MFA, source identity) to open
    Session Manager sessions on the instances carrying one tag, and nothing else.

    Grants, in one customer managed policy:

    - ``ssm:StartSession`` on this account's instances only when they carry
      ``<instance_tag_key>=<instance_tag_value>`` (``ssm:resourceTag``), and only with the
      documents in ``documents`` (``ssm:SessionDocumentAccessCheck``: a session without a
      document uses ``SSM-SessionManagerRunShell``, which must then be listed);
    - ``ssm:ResumeSession``/``ssm:TerminateSession`` only on the caller's own sessions: a session's
      ``aws:ssmmessages:session-id`` tag holds the ``aws:userid`` of whoever started it
      (``<role id>:<role session name>`` for a role session), so one person's session cannot be
      ended or taken over by another who assumed the same role;
    - ``kms:GenerateDataKey`` on the preferences' key (session data encryption);
    - with ``instance_connect_os_users``: ``ec2-instance-connect:SendSSHPublicKey`` on the same
      tagged instances, only for those OS users (``ec2:osuser``).

    Trusted by ``trusted_account_id`` (optionally only ``trusted_principal_arns``) with MFA younger
    than ``max_mfa_age``, a source identity (``sts:SetSourceIdentity``) that CloudTrail records
    with every session, and the caller's IAM user name as role session name (``sts:RoleSessionName``
    = ``${aws:username}``: what makes a session one person's; callers that are role sessions, which
    have no user name, are refused). Grant people with ``DeveloperReadOnlyRole.grant_assume_by_arn``.

    :param trusted_account_id: the identity account.
    :param instance_tag_key: the tag marking the instances people may open sessions on.
    :param instance_tag_value: that tag's value.
    :param preferences: the account's ``SessionPreferences`` (its key encrypts session data).
    :param documents: the session documents allowed. Default: ``(SessionDocument.SHELL,)``.
        Port forwarding and SSH are not logged by Session Manager: add them on purpose.
    :param instance_connect_os_users: allow EC2 Instance Connect to these OS users on the tagged
        instances (it pushes a one-time SSH key for 60 seconds). Default: none (no Instance Connect).
    :param trusted_principal_arns: only these roles/users of the trusted account. Default: any
        that the account's own policies allow (a group grant with MFA).
    :param max_mfa_age: 1 minute to 12 hours. Default: one hour.
    :param max_session_duration: 1 to 12 hours. Default: one hour.
    :param role_name, path, description, permissions_boundary: as for every pattern.
    """

    WIDEN_FIX = "set documents, instance_tag_key/instance_tag_value or instance_connect_os_users"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        trusted_account_id: str,
        instance_tag_key: str,
        instance_tag_value: str,
        preferences: SessionPreferences,
        documents: Sequence[SessionDocument] = (SessionDocument.SHELL,),
        instance_connect_os_users: Sequence[str] = (),
        trusted_principal_arns: Sequence[str] = (),
        max_mfa_age: Duration = v.ONE_HOUR,
        max_session_duration: Duration = v.ONE_HOUR,
        role_name: str | None = None,
        path: str = "/",
        description: str | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        docs: list[SessionDocument] = []
        with v.Checks(self) as check:
            check(v.account_id, "trusted_account_id", trusted_account_id)
            if not isinstance(instance_tag_key, str) or not _TAG_KEY.match(instance_tag_key) or \
                    instance_tag_key.lower().startswith("aws:"):
                check.fail("instance_tag_key", instance_tag_key, "must be a tag key of 1 to 128 characters, not starting with 'aws:'")
            if not isinstance(instance_tag_value, str) or not v.is_token(instance_tag_value) and \
                    (not 1 <= len(instance_tag_value) <= 256 or "*" in instance_tag_value or "?" in instance_tag_value):
                check.fail("instance_tag_value", instance_tag_value, "must be 1 to 256 characters without wildcards")
            if not isinstance(preferences, SessionPreferences):
                check.fail("preferences", preferences, "must be the account's SessionPreferences")
            docs = check(v.non_empty, "documents", documents, what="SessionDocument values") or []
            for doc in docs:
                if not isinstance(doc, SessionDocument):
                    check.fail("documents", doc, "must contain SessionDocument values")
            with check.each():
                v.unique("documents", [d.name for d in docs if isinstance(d, SessionDocument)])
            users = check(v.sequence, "instance_connect_os_users", instance_connect_os_users, what="OS user names") or []
            for user in users:
                if not isinstance(user, str) or not _OS_USER.match(user) or user == "root":
                    check.fail("instance_connect_os_users", user, "must be Linux user names (not root)")
            check(check_principal_arns, "trusted_principal_arns", trusted_principal_arns, trusted_account_id)
            check(v.duration_between, "max_mfa_age", max_mfa_age, v.ONE_MINUTE, v.TWELVE_HOURS)
            check(v.duration_between, "max_session_duration", max_session_duration, v.ONE_HOUR, v.TWELVE_HOURS)
            _role.check_role_props(check, role_name=role_name, path=path, description=description,
                                   permissions_boundary=permissions_boundary)
        self.documents = tuple(docs)
        self.instance_tag = (instance_tag_key, instance_tag_value)
        self.role: iam.Role = _role.build_role(
            self,
            assumed_by=cross_account_principal(trusted_account_id, principal_arns=trusted_principal_arns,
                                               require_mfa=True, max_mfa_age=max_mfa_age,
                                               require_source_identity=True),
            role_name=role_name, path=path,
            description=description or "Session Manager sessions on tagged instances only, MFA required",
            permissions_boundary=permissions_boundary, max_session_duration=max_session_duration,
        )
        trust = self.role.node.default_child
        trust.add_property_override(  # type: ignore[union-attr]
            "AssumeRolePolicyDocument.Statement.0.Action", ["sts:AssumeRole", "sts:SetSourceIdentity"])
        # "own sessions" rests on aws:userid (<role id>:<session name>): the caller chooses the session
        # name, so it must be their IAM user name, or Alice could name hers "bob" and resume Bob's shell
        trust.add_property_override(  # type: ignore[union-attr]
            "AssumeRolePolicyDocument.Statement.0.Condition.StringEquals.sts:RoleSessionName", "${aws:username}")
        stack = Stack.of(self)
        instances = stack.format_arn(service="ec2", resource="instance", resource_name="*")
        sessions = stack.format_arn(service="ssm", resource="session", resource_name="*")
        tagged = {"StringEquals": {f"ssm:resourceTag/{instance_tag_key}": instance_tag_value}}
        statements: list[dict[str, Any]] = [
            {"Sid": "StartSessionOnTaggedInstances", "Effect": "Allow", "Action": "ssm:StartSession",
             "Resource": instances,
             "Condition": {**tagged, "BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}},
            {"Sid": "StartSessionWithNamedDocuments", "Effect": "Allow", "Action": "ssm:StartSession",
             "Resource": [doc.arn(stack) for doc in self.documents]},
            {"Sid": "ResumeAndTerminateOwnSessions", "Effect": "Allow",
             "Action": ["ssm:ResumeSession", "ssm:TerminateSession"], "Resource": sessions,
             "Condition": {"StringLike": {"ssm:resourceTag/aws:ssmmessages:session-id": "${aws:userid}"}}},
            {"Sid": "EncryptSessionData", "Effect": "Allow", "Action": "kms:GenerateDataKey",
             "Resource": preferences.key_arn},
        ]
        if users:
            statements.append({
                "Sid": "InstanceConnectToTaggedInstances", "Effect": "Allow",
                "Action": "ec2-instance-connect:SendSSHPublicKey", "Resource": instances,
                "Condition": {"StringEquals": {f"aws:ResourceTag/{instance_tag_key}": instance_tag_value,
                                               "ec2:osuser": list(users) if len(users) > 1 else users[0]}},
            })
        self.policy: iam.ManagedPolicy = _role.attach_policy(
            self, self.role, statements, "Session Manager on tagged instances, own sessions only")
        acknowledge_wildcards(self.policy, [
            (instances, f"Only instances tagged {instance_tag_key}={instance_tag_value} (ssm:resourceTag / "
                        "aws:ResourceTag); instance ids change as instances are replaced."),
            (sessions, "Only the caller's own sessions (ssm:resourceTag/aws:ssmmessages:session-id equals "
                       "aws:userid); session ids do not exist before the session."),
        ])
        self._seal(scope, policies=[self.policy], trust_actions=["sts:AssumeRole", "sts:SetSourceIdentity"])
