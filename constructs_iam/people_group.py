"""PeopleGroup: where people's permissions live; MFA enforced; self-service on one's own credentials."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _role
from . import _validation as v
from .acknowledgments import acknowledge_wildcards

# Without MFA a person may only do what it takes to sign in the first time and set MFA up.
ALLOWED_WITHOUT_MFA: tuple[str, ...] = (
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetUser",
    "iam:GetMFADevice",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
)


class PeopleGroup(Construct):
    """An IAM group for people: the only place their permissions are attached.

    With the defaults, the group carries one customer managed policy, ``MfaAndSelfService``, the
    pattern from the IAM User Guide ("allows MFA-authenticated IAM users to manage their own
    credentials"), scoped to this account:

    - ``DenyAllExceptListedIfNoMFA``: deny every action but ``ALLOWED_WITHOUT_MFA`` unless
      ``aws:MultiFactorAuthPresent`` is true (``BoolIfExists ... false``);
    - ``AllowViewAccountInfo``: ``iam:GetAccountPasswordPolicy``, ``iam:ListVirtualMFADevices``;
    - ``AllowManageOwnPasswords``: ``iam:ChangePassword``, ``iam:GetUser`` on ``user/${aws:username}``;
    - ``AllowManageOwnAccessKeys``: create/delete/list/update access keys and
      ``GetAccessKeyLastUsed`` on ``user/${aws:username}``;
    - ``AllowManageOwnVirtualMFADevice``: ``iam:CreateVirtualMFADevice`` on ``mfa/*`` (people name
      their devices; an unassigned device grants nothing);
    - ``AllowManageOwnUserMFA``: deactivate/enable/list/resync MFA on ``user/${aws:username}``;
    - ``AllowReadOwnCredentialSecrets`` / ``AllowDecryptOwnCredentialSecrets``: read one's own
      HumanUser secrets (``secret:people/${aws:username}/*``), decrypting only through Secrets Manager
      and only those secrets (``kms:EncryptionContext:SecretARN``).

    :param group_name: the IAM group name (at most 128 characters). Default: generated.
    :param managed_policies: managed policies attached to the group. Default: none.
    :param enforce_mfa: attach ``MfaAndSelfService``. Default: True.
    :param path: the IAM path. Default: ``/``.
    :param removal_policy: what happens to the group and its ``MfaAndSelfService`` policy when they
        leave the stack. Default: ``RemovalPolicy.RETAIN``: people's users are retained (see
        ``HumanUser``), and IAM refuses to delete a group that still has members; a retained group
        keeps enforcing MFA on them.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        group_name: str | None = None,
        managed_policies: Sequence[iam.IManagedPolicy] = (),
        enforce_mfa: bool = True,
        path: str = "/",
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        v.construct_id(type(self).__name__, scope, id)
        super().__init__(scope, id)
        with v.Checks(self) as check:
            check(v.iam_name, "group_name", group_name, max_length=128)
            check(v.iam_path, "path", path)
            for policy in check(v.sequence, "managed_policies", managed_policies, what="managed policies") or []:
                check(_role.check_boundary, "managed_policies", policy)
            if not isinstance(removal_policy, RemovalPolicy):
                check.fail("removal_policy", removal_policy, "must be an aws_cdk.RemovalPolicy")
            if not isinstance(enforce_mfa, bool):
                check.fail("enforce_mfa", enforce_mfa, "must be True or False")
        self.group: iam.Group = iam.Group(
            self, "Group", group_name=group_name, path=path, managed_policies=list(managed_policies)
        )
        self.group.apply_removal_policy(removal_policy)
        self.mfa_policy: iam.ManagedPolicy | None = None
        if enforce_mfa:
            self.mfa_policy = iam.ManagedPolicy(
                self,
                "MfaAndSelfService",
                groups=[self.group],
                statements=mfa_and_self_service_statements(Stack.of(self)),
                description="Deny everything without MFA except setting up MFA; manage own credentials",
            )
            self.mfa_policy.apply_removal_policy(removal_policy)
            stack = Stack.of(self)
            acknowledge_wildcards(self.mfa_policy, [
                ("*", "iam:GetAccountPasswordPolicy and iam:ListVirtualMFADevices have no resource-level "
                      "permissions; both are read-only and let a person see the password rules and set up MFA."),
                (own_secrets_arn(stack), "A person reads only their own credential secrets: people/${aws:username}/* "
                                         "(Secrets Manager appends a random suffix to every secret ARN, so the '*' is "
                                         "required)."),
                (any_key_arn(stack), "Decrypt is limited to Secrets Manager (kms:ViaService) decrypting the person's own "
                                     "secrets (kms:EncryptionContext:SecretARN people/${aws:username}/*); the key is "
                                     "chosen per user, so the statement names keys of this account and region."),
                (mfa_device_arn(stack), "People choose their virtual MFA device's name, so CreateVirtualMFADevice needs "
                                        "mfa/*; a created device grants nothing until EnableMFADevice, which is scoped to "
                                        "user/${aws:username}."),
            ])

    @property
    def group_name(self) -> str:
        return self.group.group_name

    def add_managed_policy(self, policy: iam.IManagedPolicy) -> None:
        """Attach one more managed policy to the group."""
        self.group.add_managed_policy(policy)


def own_secrets_arn(stack: Stack) -> str:
    """HumanUser's secrets for the calling person: ``secret:people/${aws:username}/*``."""
    return stack.format_arn(service="secretsmanager", resource="secret", resource_name="people/${aws:username}/*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME)


def any_key_arn(stack: Stack) -> str:
    return stack.format_arn(service="kms", resource="key", resource_name="*")


def mfa_device_arn(stack: Stack) -> str:
    return stack.format_arn(service="iam", region="", resource="mfa", resource_name="*")


def mfa_and_self_service_statements(stack: Stack) -> list[iam.PolicyStatement]:
    own_user = stack.format_arn(service="iam", region="", resource="user", resource_name="${aws:username}")
    return [
        iam.PolicyStatement(
            sid="AllowViewAccountInfo",
            actions=["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
            resources=["*"],  # neither action has a resource type
        ),
        iam.PolicyStatement(
            sid="AllowManageOwnPasswords", actions=["iam:ChangePassword", "iam:GetUser"], resources=[own_user]
        ),
        iam.PolicyStatement(
            sid="AllowManageOwnAccessKeys",
            actions=[
                "iam:CreateAccessKey",
                "iam:DeleteAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:GetAccessKeyLastUsed",
            ],
            resources=[own_user],
        ),
        iam.PolicyStatement(
            sid="AllowManageOwnVirtualMFADevice",
            actions=["iam:CreateVirtualMFADevice"],
            resources=[mfa_device_arn(stack)],
        ),
        iam.PolicyStatement(
            sid="AllowManageOwnUserMFA",
            actions=["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
            resources=[own_user],
        ),
        iam.PolicyStatement(
            sid="AllowReadOwnCredentialSecrets",
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resources=[own_secrets_arn(stack)],
        ),
        iam.PolicyStatement(
            sid="AllowDecryptOwnCredentialSecrets",
            actions=["kms:Decrypt"],
            resources=[any_key_arn(stack)],
            conditions={
                "StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:SecretARN": own_secrets_arn(stack)},
            },
        ),
        iam.PolicyStatement(
            sid="DenyAllExceptListedIfNoMFA",
            effect=iam.Effect.DENY,
            not_actions=list(ALLOWED_WITHOUT_MFA),
            resources=["*"],  # a Deny: everything else, everywhere, until MFA is present
            conditions={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        ),
    ]
