"""PeopleGroup: where people's permissions live; MFA enforced; self-service on one's own credentials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _facts, _role
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
        with v.construct_id(type(self).__name__, scope, id):
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
            stack = Stack.of(self)
            document, arns = _self_service(stack)
            self.mfa_policy = iam.ManagedPolicy(
                self,
                "MfaAndSelfService",
                groups=[self.group],
                document=iam.PolicyDocument.from_json(document),  # plain data: one object for CDK
                description="Deny everything without MFA except setting up MFA; manage own credentials",
            )
            self.mfa_policy.apply_removal_policy(removal_policy)
            acknowledge_wildcards(self.mfa_policy, [
                ("*", "iam:GetAccountPasswordPolicy and iam:ListVirtualMFADevices have no resource-level "
                      "permissions; both are read-only and let a person see the password rules and set up MFA."),
                (arns["own_secrets"], "A person reads only their own credential secrets: people/${aws:username}/* "
                                      "(Secrets Manager appends a random suffix to every secret ARN, so the '*' is "
                                      "required)."),
                (arns["any_key"], "Decrypt is limited to Secrets Manager (kms:ViaService) decrypting the person's own "
                                  "secrets (kms:EncryptionContext:SecretARN people/${aws:username}/*); the key is "
                                  "chosen per user, so the statement names keys of this account and region."),
                (arns["mfa_device"], "People choose their virtual MFA device's name, so CreateVirtualMFADevice needs "
                                     "mfa/*; a created device grants nothing until EnableMFADevice, which is scoped to "
                                     "user/${aws:username}."),
            ])

    @property
    def group_name(self) -> str:
        return self.group.group_name

    def add_managed_policy(self, policy: iam.IManagedPolicy) -> None:
        """Attach one more managed policy to the group."""
        self.group.add_managed_policy(policy)


_DOCUMENTS: dict[int, tuple[Stack, dict[str, Any], dict[str, str]]] = {}


def _self_service(stack: Stack) -> tuple[dict[str, Any], dict[str, str]]:
    """``MfaAndSelfService``'s document and the ARNs it names, built once per stack as plain data."""
    cached = _DOCUMENTS.get(id(stack))
    if cached is None or cached[0] is not stack:
        facts = _facts.stack(stack)
        partition = stack.partition
        arns = {
            "own_user": f"arn:{partition}:iam::{facts.account}:user/${{aws:username}}",
            "own_secrets": f"arn:{partition}:secretsmanager:{facts.region}:{facts.account}:secret:people/${{aws:username}}/*",
            "any_key": f"arn:{partition}:kms:{facts.region}:{facts.account}:key/*",
            "mfa_device": f"arn:{partition}:iam::{facts.account}:mfa/*",
        }
        cached = (stack, mfa_and_self_service_document(arns, facts.region), arns)
        _DOCUMENTS[id(stack)] = cached
    return cached[1], cached[2]


def mfa_and_self_service_document(arns: dict[str, str], region: str) -> dict[str, Any]:
    """The statements of ``MfaAndSelfService`` (see ``PeopleGroup``) as policy JSON."""
    own_user = arns["own_user"]
    return {"Version": "2012-10-17", "Statement": [
        # neither action has a resource type
        {"Sid": "AllowViewAccountInfo", "Effect": "Allow",
         "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"], "Resource": "*"},
        {"Sid": "AllowManageOwnPasswords", "Effect": "Allow", "Action": ["iam:ChangePassword", "iam:GetUser"],
         "Resource": own_user},
        {"Sid": "AllowManageOwnAccessKeys", "Effect": "Allow",
         "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey",
                    "iam:GetAccessKeyLastUsed"],
         "Resource": own_user},
        {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow", "Action": "iam:CreateVirtualMFADevice",
         "Resource": arns["mfa_device"]},
        {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
         "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
         "Resource": own_user},
        {"Sid": "AllowReadOwnCredentialSecrets", "Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": arns["own_secrets"]},
        {"Sid": "AllowDecryptOwnCredentialSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
         "Resource": arns["any_key"],
         "Condition": {
             "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"},
             "StringLike": {"kms:EncryptionContext:SecretARN": arns["own_secrets"]},
         }},
        # a Deny: everything else, everywhere, until MFA is present
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny", "NotAction": list(ALLOWED_WITHOUT_MFA),
         "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ]}
