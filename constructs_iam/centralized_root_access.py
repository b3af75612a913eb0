"""CentralizedRootAccess: member accounts' root user managed from the management account.

AWS IAM's centralized root access has no CloudFormation resource, so this is a custom resource: a
small Lambda function of its own (inline source, ``_centralized_root_access_handler.py``) that
enables IAM's trusted access in Organizations (``organizations:EnableAWSServiceAccess`` for
``iam.amazonaws.com``), then root credentials management and root sessions
(``iam:EnableOrganizationsRootCredentialsManagement``, ``iam:EnableOrganizationsRootSessions``),
each only when ``iam:ListOrganizationsFeatures`` does not list it yet. It has its own role, as
``AccountPasswordPolicy`` does, so no other custom resource's permissions land on it.

Enabling does not remove anything: the existing root passwords, access keys and MFA devices of
member accounts stay until the documented step deletes them (docs/organization.md). New accounts
created in the organisation have no root credentials.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import ArnFormat, CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import _role
from . import _validation as v
from .acknowledgments import acknowledge_wildcard_resources
from .key_policy import kms_key_policy

ENABLE_ACTIONS = ("iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions",
                  "iam:ListOrganizationsFeatures")
DISABLE_ACTIONS = ("iam:DisableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootSessions")


class CentralizedRootAccess(Construct):
    """Centralized root access for the organisation's member accounts (deploy in the management account).

    The handler's role may call exactly: ``organizations:EnableAWSServiceAccess`` for the service
    principal ``iam.amazonaws.com`` only (``organizations:ServicePrincipal`` condition),
    ``iam:ListOrganizationsFeatures``, ``iam:EnableOrganizationsRootCredentialsManagement``,
    ``iam:EnableOrganizationsRootSessions`` (these IAM actions have no resource type), the two
    ``Disable`` actions only with ``disable_on_delete``, and writing its own encrypted log group.

    :param disable_on_delete: deleting the resource turns root sessions and root credentials
        management off. Default: False: deletion leaves them on, the safe state (turning them off
        restores no deleted credential; it only takes away the management account's root sessions).
    :param permissions_boundary: boundary for the handler's role. Default: none.
    """

    def __init__(self, scope: Construct, id: str, *, disable_on_delete: bool = False,
                 permissions_boundary: iam.IManagedPolicy | None = None) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            if not isinstance(disable_on_delete, bool):
                check.fail("disable_on_delete", disable_on_delete, "must be True or False")
            check(_role.check_boundary, "permissions_boundary", permissions_boundary)
        stack = Stack.of(self)
        key = kms.Key(self, "LogKey", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY,
                      description="Encrypts the centralized root access custom resource's logs",
                      policy=kms_key_policy(self))
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchLogsForThisAccountsLogGroups",
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"],
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={"StringLike": {"kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME)}},
        ))
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=key,
                                       removal_policy=RemovalPolicy.DESTROY)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="Enables centralized root access for member accounts (custom resource)",
                             permissions_boundary=permissions_boundary)
        iam_actions = [*ENABLE_ACTIONS, *(DISABLE_ACTIONS if disable_on_delete else ())]
        policy = iam.ManagedPolicy(self, "Policy", roles=[self.role],
                                   description="Enable centralized root access; write own logs", statements=[
            iam.PolicyStatement(
                sid="TrustedAccessForIamOnly",
                actions=["organizations:EnableAWSServiceAccess"],
                resources=["*"],  # no resource type; the condition names the one service principal
                conditions={"StringEquals": {"organizations:ServicePrincipal": "iam.amazonaws.com"}},
            ),
            iam.PolicyStatement(sid="CentralizedRootAccess", actions=sorted(iam_actions), resources=["*"]),
            iam.PolicyStatement(sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                resources=[self.log_group.log_group_arn]),
        ])
        acknowledge_wildcard_resources(
            policy, ["*"],
            "organizations:EnableAWSServiceAccess and the IAM centralized root access actions have no resource "
            "type; EnableAWSServiceAccess is limited to iam.amazonaws.com by its condition key.")
        self.function = _role.handler_function(
            self, source=HANDLER_SOURCE, role=self.role, log_group=self.log_group, policy=policy,
            timeout=Duration.minutes(2), description="Enables centralized root access (CloudFormation custom resource)",
            acknowledgments=list(_HANDLER_ACKNOWLEDGMENTS.items()))
        self.resource = CustomResource(self, "Resource", service_token=self.function.function_arn,
                                       resource_type="Custom::CentralizedRootAccess",
                                       properties={"DisableOnDelete": disable_on_delete})


HANDLER_SOURCE = (Path(__file__).parent / "_centralized_root_access_handler.py").read_text()

_HANDLER_ACKNOWLEDGMENTS = {
    "NIST.800.53.R5-LambdaConcurrency": "CloudFormation invokes this custom resource handler only on "
    "stack create/update/delete; reserved concurrency would only take capacity from the account.",
    "NIST.800.53.R5-LambdaDLQ": "CloudFormation invokes the handler and records failures in the stack "
    "events (the handler reports every error); there is no asynchronous event to dead-letter.",
    "NIST.800.53.R5-LambdaInsideVPC": "The handler only calls the global IAM and Organizations APIs; a VPC "
    "would add network paths (NAT or endpoints) without protecting anything.",
}
