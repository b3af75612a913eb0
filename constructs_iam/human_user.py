"""HumanUser: one IAM user is one person, with permissions only through groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Union, cast

from aws_cdk import CfnResource, Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from . import _facts, _role
from . import _validation as v
from .acknowledgments import acknowledge, acknowledge_all
from .key_policy import kms_key_policy
from .key_rotation import AccessKeyRotation
from .offboarding import PERSON_METADATA, CredentialRevoker, PersonStatus, deny_all_boundary
from .people_group import PeopleGroup

GroupLike = Union[PeopleGroup, iam.IGroup]
SECRET_PREFIX = "people/"
"""People's credential secrets are named ``people/<user name>/...``: PeopleGroup lets each person read
their own (``people/${aws:username}/*``) with MFA, and nobody else's."""

_NO_ROTATION = (
    "This secret holds a credential that Secrets Manager cannot rotate (an initial console password "
    "that IAM forces the person to change at first sign-in, or an IAM access key that the person "
    "rotates with the self-service permissions of PeopleGroup)."
)


class HumanUser(Construct):
    """One person's IAM user.

    - Member of ``groups`` (at least one) and nothing else: the construct has no way to attach a
      policy to the user, and ``IamGuardrails`` fails synth if one is attached another way.
    - Console access (default): an initial password generated in Secrets Manager (encrypted with
      ``encryption_key`` or a key of its own), referenced dynamically
      (``{{resolve:secretsmanager:...}}``) so it never appears in the template, an output or a
      log; IAM requires a reset at first sign-in. An administrator reads the secret and hands the
      password over; ``initial_password_readers`` may read it too.
    - Programmatic access only when ``access_key=True``: one active key, whose id and secret are
      stored in Secrets Manager (never in the template or an output) and readable only by
      ``access_key_readers`` (resource policy on the secret and on its key).
    - Retained when its stack is deleted (``removal_policy``), so nobody loses their identity and
      MFA device to a refactor.

    :param user_name: the person's IAM user name (at most 64 characters), e.g. ``alice.example``.
    :param groups: the groups the person belongs to, at least one.
    :param console_access: create a console password. Default: True.
    :param access_key: create one access key. Default: False.
    :param access_key_readers: principals allowed to read the access key secret (usually the
        person's own user, or an automation role). Default: none besides account administrators.
    :param initial_password_readers: principals allowed to read the initial password.
        Default: none besides account administrators.
    :param encryption_key: the KMS key for the secrets. Default: a key per user, rotation on.
    :param removal_policy: what happens to the user when it leaves the stack.
        Default: ``RemovalPolicy.RETAIN``.
    :param path: the IAM path. Default: ``/``.
    :param permissions_boundary: a managed policy capping the user. Default: none.
    :param rotate_every: with ``access_key=True``, Secrets Manager rotates the key this often (1 to
        365 whole days) with the library's rotation function (``AccessKeyRotation``): the key is
        created by the first rotation at deploy time, never by CloudFormation, and the old key is
        deactivated at each rotation and deleted 7 days later (half of ``rotate_every`` when that is
        shorter: the next rotation deletes it anyway). The person reads the current key
        from the same secret. The rotation function's role carries ``permissions_boundary`` too.
        Default: no rotation (one key created by CloudFormation).
    :param status: ``PersonStatus.OFFBOARDED`` keeps the user (audit history) and takes everything
        else away in the same deploy: no console password, no access key (those made outside the
        template included, by ``CredentialRevoker``), no group, a deny-all permissions boundary
        (``constructs_iam.offboarding``) in place of ``permissions_boundary``. ``groups`` must then be
        empty; ``console_access``, ``access_key`` and their readers do not apply. Default: ``ACTIVE``.
    :param renamed_from: the user name this person had before, declaring a rename to the lifecycle
        gate (``python -m constructs_iam.lifecycle``). CloudFormation replaces a renamed user (a new
        identity: MFA re-enrolment, a new key); docs/lifecycle.md gives the path that keeps the person.
        Default: not renamed.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        user_name: str,
        groups: Sequence[GroupLike],
        console_access: bool = True,
        access_key: bool = False,
        access_key_readers: Sequence[iam.IPrincipal] = (),
        initial_password_readers: Sequence[iam.IPrincipal] = (),
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        path: str = "/",
        permissions_boundary: iam.IManagedPolicy | None = None,
        rotate_every: Duration | None = None,
        status: PersonStatus = PersonStatus.ACTIVE,
        renamed_from: str | None = None,
    ) -> None:
        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
        if status is not PersonStatus.ACTIVE or renamed_from is not None:
            if self._lifecycle(user_name, groups, status, renamed_from, encryption_key, removal_policy, path):
                return
        iam_groups: list[iam.IGroup] = []
        with v.Checks(self) as check:
            if user_name is None:
                check.fail("user_name", user_name, "is required: one IAM user is one named person")
            else:
                check(v.iam_name, "user_name", user_name, max_length=64)
            check(v.iam_path, "path", path)
            check(_role.check_boundary, "permissions_boundary", permissions_boundary)
            with check.each():
                iam_groups = [_as_group(g) for g in v.non_empty("groups", groups, what="PeopleGroup or aws_iam.IGroup objects")]
            check(v.unique_items, "groups", [_facts.scope(g).path if v.has(g, "node") else g.group_arn for g in iam_groups])
            here = _facts.scope(self).stack.account if iam_groups else ""
            for group in iam_groups:
                check(_same_account, here, group)
            if encryption_key is not None and not v.has(encryption_key, "key_arn"):
                check.fail("encryption_key", encryption_key, "must be an aws_kms.IKey")
            if not isinstance(console_access, bool) or not isinstance(access_key, bool):
                check.fail("console_access/access_key", (console_access, access_key), "must be True or False")
            elif not console_access and not access_key:
                check.fail(
                    "console_access",
                    console_access,
                    "and access_key False leave the person no way to sign in; a user without credentials "
                    "is not a person (use a role for workloads)",
                )
            if rotate_every is not None and not v.has(rotate_every, "to_days"):
                check.fail("rotate_every", rotate_every, "must be an aws_cdk.Duration")
            elif rotate_every is not None and access_key is not True:
                check.fail("rotate_every", rotate_every.to_human_string(), "needs access_key=True: it rotates the access key")
            if access_key_readers and not access_key:
                check.fail("access_key_readers", list(access_key_readers), "needs access_key=True")
            if initial_password_readers and not console_access:
                check.fail("initial_password_readers", list(initial_password_readers),
                                                 "needs console_access=True")
            with check.each():
                for reader in [*v.sequence("access_key_readers", access_key_readers, what="principals"),
                               *v.sequence("initial_password_readers", initial_password_readers, what="principals")]:
                    _role.check_assumed_by(self, "access_key_readers/initial_password_readers", reader)
            if not isinstance(removal_policy, RemovalPolicy):
                check.fail("removal_policy", removal_policy, "must be an aws_cdk.RemovalPolicy")

        account, _ = v.deploy_target(self)  # IAM user names are unique per account, compared case-insensitively
        v.one_per_scope(self, (account, user_name.lower()),
                        f"user_name {user_name!r}: a second IAM user of that name in account {account}")
        self.user_name = user_name
        self.path = path
        self.key: kms.IKey | None = encryption_key
        if self.key is None:
            self.key = kms.Key(
                self,
                "SecretsKey",
                enable_key_rotation=True,
                description=f"Encrypts the credential secrets of IAM user {user_name}",
                policy=kms_key_policy(self, used_through=["secretsmanager"]),
                removal_policy=RemovalPolicy.DESTROY if removal_policy is RemovalPolicy.DESTROY else RemovalPolicy.RETAIN,
            )

        self.initial_password: CredentialSecret | None = None
        password: SecretValue | None = None
        if console_access:
            self.initial_password = self._credential_secret(
                "InitialPassword",
                "initial-password",
                f"Initial console password of {user_name} (reset required at first sign-in)",
                initial_password_readers,
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    password_length=32, exclude_characters="\"'\\`", require_each_included_type=True
                ),
            )
            password = self.initial_password.secret_value

        self.user: iam.User = iam.User(
            self,
            "User",
            user_name=user_name,
            groups=iam_groups,
            password=password,
            password_reset_required=True if console_access else None,
            path=path,
            permissions_boundary=permissions_boundary,
        )
        self.user.apply_removal_policy(removal_policy)
        self._record_person(self.user, PersonStatus.ACTIVE, renamed_from)

        self.access_key_secret: CredentialSecret | None = None
        self.access_key: iam.AccessKey | None = None
        self.rotation: AccessKeyRotation | None = None
        if access_key and rotate_every is not None:
            # the rotation function owns the key: the first rotation (at deploy) creates it
            self.access_key_secret = self._credential_secret(
                "AccessKeySecret",
                "access-key",
                f"Access key of {user_name} (AccessKeyId, SecretAccessKey), rotated every {rotate_every.to_human_string()}",
                access_key_readers,
                rotated=True,
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template='{"AccessKeyId": ""}', generate_string_key="Placeholder"),
            )
            self.rotation = AccessKeyRotation(
                self, "AccessKeyRotation", user_name=user_name, path=path, secret=self.access_key_secret,
                encryption_key=self.key, rotate_every=rotate_every, permissions_boundary=permissions_boundary,
                # the next rotation deletes the old key anyway: never promise a longer grace than the period
                grace_period=v.hours(max(1, min(7 * 24, int(v.seconds(rotate_every) / 3600) // 2))),
            )
            self.rotation.node.add_dependency(self.user)
        elif access_key:
            self.access_key = iam.AccessKey(self, "AccessKey", user=self.user, status=iam.AccessKeyStatus.ACTIVE)
            self._record_person(self.access_key)
            self.access_key_secret = self._credential_secret(
                "AccessKeySecret",
                "access-key",
                f"Access key of {user_name} (AccessKeyId, SecretAccessKey)",
                access_key_readers,
                secret_object_value={
                    "AccessKeyId": SecretValue.unsafe_plain_text(self.access_key.access_key_id),
                    "SecretAccessKey": self.access_key.secret_access_key,
                },
            )

    def _lifecycle(self, user_name: str, groups: Sequence[GroupLike], status: PersonStatus, renamed_from: str | None,
                   encryption_key: kms.IKey | None, removal_policy: RemovalPolicy, path: str) -> bool:
        """Check ``status``/``renamed_from``; build an offboarded person (and return True) when asked."""
        with v.Checks(self) as check:
            if not isinstance(status, PersonStatus):
                check.fail("status", status, "must be a constructs_iam.PersonStatus")
            if renamed_from is not None:
                check(v.iam_name, "renamed_from", renamed_from, max_length=64)
                if renamed_from == user_name:
                    check.fail("renamed_from", renamed_from, "is the user_name itself: name the previous user name")
            if status is PersonStatus.OFFBOARDED:
                if user_name is None:
                    check.fail("user_name", user_name, "is required: one IAM user is one named person")
                else:
                    check(v.iam_name, "user_name", user_name, max_length=64)
                check(v.iam_path, "path", path)
                if groups:
                    check.fail("groups", list(groups), "must be empty for an offboarded person (offboarding removes "
                               "every membership)")
                if not isinstance(removal_policy, RemovalPolicy):
                    check.fail("removal_policy", removal_policy, "must be an aws_cdk.RemovalPolicy")
        if status is not PersonStatus.OFFBOARDED:
            return False
        self.user_name, self.path = user_name, path
        self.key = encryption_key
        if self.key is None:  # kept as it was: the person's retained secrets history stays decryptable
            self.key = kms.Key(
                self, "SecretsKey", enable_key_rotation=True,
                description=f"Encrypts the credential secrets of IAM user {user_name}",
                policy=kms_key_policy(self, used_through=["secretsmanager"]),
                removal_policy=RemovalPolicy.DESTROY if removal_policy is RemovalPolicy.DESTROY else RemovalPolicy.RETAIN,
            )
        self.initial_password = None
        self.access_key_secret = None
        self.access_key = None
        self.rotation = None
        self.user = iam.User(self, "User", user_name=user_name, path=path,
                             permissions_boundary=deny_all_boundary(self))
        self.user.apply_removal_policy(removal_policy)
        acknowledge(self.user, "NIST.800.53.R5-IAMUserGroupMembership",
                    "An offboarded person belongs to no group on purpose (offboarding removes every membership); "
                    "the user is kept only for audit history, and its deny-all permissions boundary refuses every action.")
        self._record_person(self.user, PersonStatus.OFFBOARDED, renamed_from)
        self.revocation = CredentialRevoker.of(self).revoke(self, self.user)
        return True

    def _record_person(self, construct: Construct, status: PersonStatus | None = None, renamed_from: str | None = None) -> None:
        """Intent for the lifecycle gate, on the resource itself: whose it is and the person's state."""
        record: dict[str, str] = {"name": self.user_name}
        if status is not None:
            record["status"] = status.value
        if renamed_from is not None:
            record["renamed_from"] = renamed_from
        resource = construct if isinstance(construct, CfnResource) else getattr(construct, "resource", None)
        if not isinstance(resource, CfnResource):  # an L2 (the user, the key): its default child
            resource = cast(CfnResource, construct.node.default_child)
        resource.add_metadata(PERSON_METADATA, record)

    def _credential_secret(
        self, id: str, name: str, description: str, readers: Sequence[iam.IPrincipal], *, rotated: bool = False,
        **value: Any,
    ) -> CredentialSecret:
        """``people/<user_name>/<name>``, encrypted with the user's key, readable by ``readers``."""
        assert self.key is not None
        secret = CredentialSecret(self, id, secret_name=f"{SECRET_PREFIX}{self.user_name}/{name}",
                                  description=description, encryption_key=self.key, **value)
        self._record_person(secret)
        if not rotated:
            acknowledge_all(secret, [("AwsSolutions-SMG4", _NO_ROTATION),
                                     ("NIST.800.53.R5-SecretsManagerRotationEnabled", _NO_ROTATION)])
        for reader in readers:
            self._allow_read(secret, reader)
        return secret

    def grant_read_access_key(self, reader: iam.IPrincipal) -> None:
        """Let ``reader`` (a role or user of this account, e.g. an automation role) read the access
        key secret. The person themself reads it through PeopleGroup's self-service
        (``people/${aws:username}/*``, with MFA); no grant is needed for them."""
        if self.access_key_secret is None:
            raise v.fail("access_key", False, "must be True to grant reading the access key")
        self._allow_read(self.access_key_secret, reader)

    def grant_read_initial_password(self, reader: iam.IPrincipal) -> None:
        """Let ``reader`` (e.g. the administrators' role that hands the password over) read it."""
        if self.initial_password is None:
            raise v.fail("console_access", False, "must be True to grant reading the initial password")
        self._allow_read(self.initial_password, reader)

    def _allow_read(self, secret: CredentialSecret, reader: iam.IPrincipal) -> None:
        """Resource policies naming ``reader``: the secret's, and the key's (decrypt through Secrets
        Manager only). Nothing is attached to the reader's identity from here; no '*' principal."""
        if reader is getattr(self, "user", None):  # the initial password's readers come before the user
            return  # covered by PeopleGroup's self-service on people/${aws:username}/*
        secret.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                principals=[reader],
                resources=["*"],  # in a secret's resource policy, "*" means this secret
            )
        )
        if isinstance(self.key, kms.Key):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    principals=[reader],
                    resources=["*"],  # in a key policy, "*" means this key
                    conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com",
                                                 "kms:CallerAccount": Stack.of(self).account}},
                )
            )


class CredentialSecret(Construct):
    """A person's credential secret, written as ``AWS::SecretsManager::Secret`` directly.

    CDK's ``secretsmanager.Secret`` adds a statement of its own to a customer managed key's policy
    (the account may Encrypt, Decrypt and CreateGrant through Secrets Manager, without
    ``kms:CallerAccount`` or ``kms:GrantIsForAWSResource``); this one adds nothing, so the key policy
    is exactly ``kms_key_policy`` plus the readers' statements. Same construct path and logical id
    as the ``Secret`` it replaces; deleted with its stack as before (the person's user is retained).

    :param secret_name: the secret's name. :param description: what it holds.
    :param encryption_key: the key that encrypts it.
    :param generate_secret_string: let Secrets Manager generate the value. Default: none.
    :param secret_object_value: the value, a JSON object of ``SecretValue`` s. Default: none.
    """

    def __init__(self, scope: Construct, id: str, *, secret_name: str, description: str, encryption_key: kms.IKey,
                 generate_secret_string: secretsmanager.SecretStringGenerator | None = None,
                 secret_object_value: dict[str, SecretValue] | None = None) -> None:
        super().__init__(scope, id)
        generated = None
        if generate_secret_string is not None:
            generated = secretsmanager.CfnSecret.GenerateSecretStringProperty(
                password_length=generate_secret_string.password_length,
                exclude_characters=generate_secret_string.exclude_characters,
                require_each_included_type=generate_secret_string.require_each_included_type,
                secret_string_template=generate_secret_string.secret_string_template,
                generate_string_key=generate_secret_string.generate_string_key)
        value = None
        if secret_object_value is not None:  # JSON with the values' tokens, as Secret writes it
            value = Stack.of(self).to_json_string({k: v.unsafe_unwrap() for k, v in secret_object_value.items()})
        self.resource = secretsmanager.CfnSecret(self, "Resource", name=secret_name, description=description,
                                                 kms_key_id=encryption_key.key_arn, generate_secret_string=generated,
                                                 secret_string=value)
        self.resource.apply_removal_policy(RemovalPolicy.DESTROY)
        self.secret_arn: str = self.resource.ref
        self.secret_name = secret_name
        self.encryption_key = encryption_key
        self._policy: iam.PolicyDocument | None = None

    @property
    def secret_value(self) -> SecretValue:
        """A dynamic reference to the whole secret string (``{{resolve:secretsmanager:...}}``)."""
        return SecretValue.secrets_manager(self.secret_arn)

    def add_to_resource_policy(self, statement: iam.PolicyStatement) -> None:
        """Add ``statement`` to the secret's resource policy (``<id>/Policy``, created on first use)."""
        if self._policy is None:
            self._policy = iam.PolicyDocument()
            secretsmanager.CfnResourcePolicy(Construct(self, "Policy"), "Resource", secret_id=self.secret_arn,
                                             resource_policy=self._policy)
        self._policy.add_statements(statement)


def _same_account(here: str, group: iam.IGroup) -> None:
    """A user (of account ``here``) can join only a group of its own account: IAM looks the group up there."""
    arn = group.group_arn
    if not v.is_token(arn) and arn.count(":") >= 5:  # imported by ARN: the ARN names its account
        there, shown = arn.split(":")[4], arn
    elif v.has(group, "node"):  # a group of this app: its stack's account (read once per group and stack)
        facts = _facts.scope(group)
        there, shown = facts.stack.account, facts.path
    else:
        there, shown = here, arn
    if not v.is_token(here) and not v.is_token(there) and there != here:
        raise v.fail("groups", shown, f"is in account {there}, not this user's account {here}: a user can join only "
                     "a group of its own account")


def _as_group(group: GroupLike) -> iam.IGroup:
    if isinstance(group, PeopleGroup):
        return group.group
    if v.has(group, "group_arn"):
        return group  # type: ignore[return-value]
    raise v.fail("groups", group, "must contain PeopleGroup or aws_iam.IGroup objects")
