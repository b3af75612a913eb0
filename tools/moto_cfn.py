"""Close gaps in moto 5.2.5's CloudFormation support, using moto's own service backends.

moto is the AWS API emulator the local deploy runs against. Its CloudFormation engine lacks parts
of IAM that this project's stacks use; without them a deploy "succeeds" while groups, group
membership, console passwords, managed policy attachments and in-place updates are silently
missing. Each gap below is filled the way CloudFormation documents the property, by calling the
same moto IAM API operations a real deployment would cause, so what the tests read back through
the IAM API is what a real deployment would produce:

- ``AWS::IAM::Group``: not supported at all (create, update, delete; ``Ref`` and ``Arn``).
- ``AWS::IAM::User``: ``Groups``, ``LoginProfile`` (with its ``{{resolve:secretsmanager:...}}``
  dynamic reference resolved from moto's Secrets Manager), ``ManagedPolicyArns`` ignored; updates
  ignored ``Groups``, and any update of a user with a ``UserName`` failed ("already exists": moto
  took the name's presence for a replacement).
- ``AWS::IAM::Role``: ``ManagedPolicyArns`` ignored; updates ignored the trust policy, the
  permissions boundary and ``MaxSessionDuration``.
- ``AWS::IAM::ManagedPolicy``: updates did nothing (a new policy version and changed attachments
  are now applied in place, as IAM does); deletion failed while attached (CloudFormation detaches
  the policy from the roles, groups and users it names, then deletes it). Roles are likewise
  detached from their ``ManagedPolicyArns`` before deletion.
- ``AWS::KMS::Key``: the key policy was kept as an object, so ``DescribeKey`` of a key the stack
  created failed with an internal error.
- ``AWS::IAM::OIDCProvider``: not supported at all (the GitHub Actions stack's provider).
- ``AWS::SecretsManager::Secret`` (``SecretString`` or ``GenerateSecretString``, ``KmsKeyId``),
  ``AWS::SecretsManager::ResourcePolicy``, ``AWS::SNS::TopicPolicy`` and ``AWS::SNS::Subscription``:
  not supported at all (moto logs "No Moto CloudFormation support").

Lifecycle, where moto did not behave as CloudFormation does (docs/lifecycle.md):

- ``DeletionPolicy: Retain`` is honoured when an update removes a resource (moto deleted it; it
  honoured Retain only when the whole stack was deleted).
- A changed ``UserName``, ``RoleName`` or role ``Path`` (create-only properties) replaces the user or
  role: a new one is created, the old one deleted, or kept under ``UpdateReplacePolicy: Retain``
  (moto looked the new role name up and failed the update). A user whose ``LoginProfile`` leaves the
  template loses its console password (moto kept it).
- CloudFormation creates before it deletes: an update that adds a named resource while removing
  another with the same name (a changed logical id) fails with "already exists" before anything
  changes, as the rolled-back update leaves it in AWS (moto deleted first and succeeded).

Not filled, so not proven by the emulator: rollback of a failed update in general (moto leaves what
it did), resource import (``IMPORT`` change sets), a renamed group (members move, the old group is
orphaned), user permissions boundaries (moto's IAM has no ``PutUserPermissionsBoundary``), and
Lambda-backed custom resources (no Lambda runtime).

``Fn::GetStackOutput`` (the weak cross-stack reference CDK writes with
``@aws-cdk/core:defaultCrossStackReferences: weak``) is not resolved by moto's template engine; it
is now, from the producing stack's outputs.

And two API fixes the CDK CLI needs before every update: ``DeleteChangeSet`` of a change set that
does not exist succeeds in CloudFormation (moto 5.2.5 fails with an internal error, which the CLI
retries), and ``DescribeChangeSet`` of a missing one answers ``ChangeSetNotFoundException`` (moto
answered "Stack with id ... does not exist", which the CLI treats as fatal). On an update the CLI
passes the template's SSM-typed ``BootstrapVersion`` parameter with ``UsePreviousValue``; moto
substitutes the previously *resolved* value ("33") and then looks it up as a parameter name,
failing with an internal error; a value that names no SSM parameter is now kept as the resolved
value it already is.

Left unsupported on purpose: ``AWS::S3::BucketPolicy``. moto's S3 applies a bucket policy's Deny
statements *ignoring their conditions*, so the TLS-only policy (``Deny`` if
``aws:SecureTransport`` is false) would refuse every request, the CDK bootstrap bucket's included.

Nothing here changes how moto evaluates requests. Load it by starting the server through
``python -m tools.moto_server`` (``tools.emulator`` does).
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.iam import models as iam_models
from moto.iam.models import Group, ManagedPolicy, Role, User, iam_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.utilities.utils import get_partition

_DYNAMIC_SECRET = re.compile(r"^\{\{resolve:secretsmanager:(?P<id>.+?):SecretString:(?P<key>[^:]*):(?P<stage>[^:]*):(?P<version>[^:]*)\}\}$")


def _backend(account_id: str, region_name: str) -> Any:
    return iam_backends[account_id][get_partition(region_name)]


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resolve_dynamic_reference(value: str, account_id: str, region_name: str) -> str:
    """CloudFormation's ``{{resolve:secretsmanager:...}}``, read from moto's Secrets Manager."""
    match = _DYNAMIC_SECRET.match(value or "")
    if not match:
        return value
    secret = secretsmanager_backends[account_id][region_name].get_secret_value(
        secret_id=match["id"], version_id=match["version"] or None, version_stage=match["stage"] or None
    )
    text = secret["SecretString"]
    return json.loads(text)[match["key"]] if match["key"] else text


# ------------------------------------------------------------------------------ AWS::IAM::Group


class CfnGroup(CloudFormationModel):
    @staticmethod
    def cloudformation_name_type() -> str:
        return "GroupName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::Group"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Group:
        properties = cloudformation_json.get("Properties", {})
        backend = _backend(account_id, region_name)
        group = backend.create_group(properties.get("GroupName", resource_name), properties.get("Path", "/"))
        _sync_group(backend, group, properties)
        return group

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: Group, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> Group:
        properties = cloudformation_json.get("Properties", {})
        _sync_group(_backend(account_id, region_name), original_resource, properties)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = _backend(account_id, region_name)
        group = backend.get_group(resource_name)
        if group.users:  # IAM refuses, and so CloudFormation fails the deletion
            from moto.iam.exceptions import DeleteConflictException

            raise DeleteConflictException("Cannot delete entity, must remove users from group first.")
        for arn in list(group.managed_policies):
            backend.detach_group_policy(arn, group.name)
        group.policies.clear()
        backend.delete_group(group.name)


def _sync_group(backend: Any, group: Group, properties: dict[str, Any]) -> None:
    wanted = set(properties.get("ManagedPolicyArns", []))
    for arn in set(group.managed_policies) - wanted:
        backend.detach_group_policy(arn, group.name)
    for arn in wanted - set(group.managed_policies):
        backend.attach_group_policy(arn, group.name)
    group.policies.clear()
    for policy in properties.get("Policies", []):
        backend.put_group_policy(group.name, policy["PolicyName"], _document(policy["PolicyDocument"]))


def _group_physical_id(self: Group) -> str:
    return self.name


def _group_cfn_attribute(self: Group, attribute_name: str) -> str:
    if attribute_name == "Arn":
        return self.arn
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    raise UnformattedGetAttTemplateException()


# ------------------------------------------------------------------------- AWS::IAM::OIDCProvider

class CfnOIDCProvider(CloudFormationModel):
    """``AWS::IAM::OIDCProvider`` (GitHub Actions' provider): create, delete, ``Ref`` and ``Arn``,
    through moto's IAM ``CreateOpenIDConnectProvider`` (the thumbprint list is optional, as in IAM)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::OIDCProvider"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Any:
        properties = cloudformation_json.get("Properties", {})
        provider = _backend(account_id, region_name).create_open_id_connect_provider(
            properties["Url"], properties.get("ThumbprintList", []), properties.get("ClientIdList", []),
            properties.get("Tags", []))
        return _ArnHandle(provider.arn)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        _backend(account_id, region_name).delete_open_id_connect_provider(resource_name)


# ------------------------------------------------------------------------------- AWS::IAM::User

_original_user_create = User.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _user_create(cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any) -> User:
    user = _original_user_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    properties = cloudformation_json.get("Properties", {})
    backend = _backend(account_id, region_name)
    _sync_user(backend, user, properties)
    profile = properties.get("LoginProfile")
    if profile:
        password = resolve_dynamic_reference(profile["Password"], account_id, region_name)
        backend.create_login_profile(user.name, password)
        user.password_reset_required = str(profile.get("PasswordResetRequired", False)).lower() == "true"
    return user


def _user_update(cls: type, original_resource: User, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> User:
    properties = cloudformation_json.get("Properties", {})
    backend = _backend(account_id, region_name)
    if properties.get("UserName", original_resource.name) != original_resource.name:
        # UserName is create-only: CloudFormation creates the new user, then deletes the old one, or
        # keeps it untouched (its password, keys and groups included) under UpdateReplacePolicy Retain
        user = _user_create(cls, properties["UserName"], cloudformation_json, account_id, region_name)
        if cloudformation_json.get("UpdateReplacePolicy") != "Retain":
            _delete_user_as_cloudformation_does(backend, original_resource.name)
        return user
    # moto's own update replaced any user whose template names it (UserName present means "replace" to
    # it), failing with "already exists": a named user's group or password change could not deploy
    user = original_resource
    user.path = properties.get("Path", "/")
    _sync_user(backend, user, properties)
    profile = properties.get("LoginProfile")
    if profile and not user.password:
        backend.create_login_profile(user.name, resolve_dynamic_reference(profile["Password"], account_id, region_name))
        user.password_reset_required = str(profile.get("PasswordResetRequired", False)).lower() == "true"
    elif not profile and user.password:  # LoginProfile removed from the template: CloudFormation deletes it
        backend.delete_login_profile(user.name)
    return user


def _delete_user_as_cloudformation_does(backend: Any, name: str) -> None:
    """What CloudFormation removes before DeleteUser (what it manages: password, groups, policies)."""
    user = backend.get_user(name)
    if user.password:
        backend.delete_login_profile(name)
    for group in backend.get_groups_for_user(name):
        backend.remove_user_from_group(group.name, name)
    for arn in list(user.managed_policies):
        backend.detach_user_policy(arn, name)
    user.policies.clear()
    backend.delete_user(name)


def _sync_user(backend: Any, user: User, properties: dict[str, Any]) -> None:
    # like CloudFormation, only the memberships the template listed before are removed: one added by
    # hand outside the template stays (the offboarding revoker removes those)
    wanted_groups = set(properties.get("Groups", []))
    current = {g.name for g in backend.get_groups_for_user(user.name)}
    for name in (set(getattr(user, "_cfn_groups", set())) - wanted_groups) & current:
        backend.remove_user_from_group(name, user.name)
    for name in wanted_groups - current:
        backend.add_user_to_group(name, user.name)
    user._cfn_groups = wanted_groups  # type: ignore[attr-defined]
    wanted = set(properties.get("ManagedPolicyArns", []))
    for arn in set(user.managed_policies) - wanted:
        backend.detach_user_policy(arn, user.name)
    for arn in wanted - set(user.managed_policies):
        backend.attach_user_policy(arn, user.name)
    for policy in properties.get("Policies", []):
        backend.put_user_policy(user.name, policy["PolicyName"], _document(policy["PolicyDocument"]))


# ------------------------------------------------------------------------------- AWS::IAM::Role

_original_role_create = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _role_create(cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any) -> Role:
    role = _original_role_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _sync_role_policies(_backend(account_id, region_name), role, cloudformation_json.get("Properties", {}))
    return role


def _role_update(cls: type, original_resource: Role, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> Role:
    properties = cloudformation_json["Properties"]
    backend = _backend(account_id, region_name)
    if properties.get("RoleName", original_resource.name) != original_resource.name or \
            properties.get("Path", "/") != original_resource.path:
        # RoleName and Path are create-only: a new role (new id, new ARN), then the old one deleted
        # (or kept, under UpdateReplacePolicy Retain)
        role = _role_create(cls, properties.get("RoleName", new_resource_name), cloudformation_json, account_id, region_name)
        if cloudformation_json.get("UpdateReplacePolicy") != "Retain":
            # by CloudFormation's cleanup phase the policies naming the role name the new one
            for arn in list(original_resource.managed_policies):
                backend.detach_role_policy(arn, original_resource.name)
            original_resource._cfn_managed_policy_arns = set()  # type: ignore[attr-defined]
            _role_delete(cls, original_resource.name, cloudformation_json, account_id, region_name)
        return role
    role = original_resource
    backend.update_assume_role_policy(role.name, _document(properties["AssumeRolePolicyDocument"]))
    backend.update_role(role.name, properties.get("Description", ""), properties.get("MaxSessionDuration", 3600))
    if properties.get("PermissionsBoundary"):
        backend.put_role_permissions_boundary(role.name, properties["PermissionsBoundary"])
    else:
        backend.delete_role_permissions_boundary(role.name)
    role.policies.clear()
    for policy in properties.get("Policies", []):
        role.put_policy(policy["PolicyName"], policy["PolicyDocument"])
    _sync_role_policies(backend, role, properties)
    return role


def _sync_role_policies(backend: Any, role: Role, properties: dict[str, Any]) -> None:
    wanted = set(properties.get("ManagedPolicyArns", []))
    attached = set(getattr(role, "_cfn_managed_policy_arns", set()))
    for arn in attached - wanted:
        backend.detach_role_policy(arn, role.name)
    for arn in wanted - attached:
        backend.attach_role_policy(arn, role.name)
    role._cfn_managed_policy_arns = wanted  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- AWS::IAM::ManagedPolicy


def _managed_policy_update(cls: type, original_resource: ManagedPolicy, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> ManagedPolicy:
    properties = cloudformation_json.get("Properties", {})
    backend = _backend(account_id, region_name)
    policy = original_resource
    document = _document(properties.get("PolicyDocument"))
    current = next(version.document for version in policy.versions if version.is_default)
    if json.loads(document) != json.loads(current):
        # IAM keeps at most five versions; CloudFormation deletes the oldest non-default one first.
        old = [version for version in policy.versions if not version.is_default]
        while len(policy.versions) >= 5 and old:
            backend.delete_policy_version(policy.arn, old.pop(0).version_id)
        backend.create_policy_version(policy.arn, document, set_as_default=True)
    for kind, attach, detach in (
        ("Roles", backend.attach_role_policy, backend.detach_role_policy),
        ("Groups", backend.attach_group_policy, backend.detach_group_policy),
        ("Users", backend.attach_user_policy, backend.detach_user_policy),
    ):
        current = _attached(backend, policy.arn, kind)
        wanted = set(properties.get(kind, []))
        for name in current - wanted:
            detach(policy.arn, name)
        for name in wanted - current:
            attach(policy.arn, name)
    return policy


def _managed_policy_delete(cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = _backend(account_id, region_name)
    for kind, detach in (("Roles", backend.detach_role_policy), ("Groups", backend.detach_group_policy), ("Users", backend.detach_user_policy)):
        for name in _attached(backend, resource_name, kind):
            detach(resource_name, name)
    policy = backend.get_policy(resource_name)
    for version in [v for v in policy.versions if not v.is_default]:
        backend.delete_policy_version(resource_name, version.version_id)
    backend.delete_policy(resource_name)


_original_role_delete = Role.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _role_delete(cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str) -> None:
    backend = _backend(account_id, region_name)
    role = next((r for r in backend.roles.values() if r.name == resource_name), None)
    attached = getattr(role, "_cfn_managed_policy_arns", set())  # resolved when the role was created
    for arn in list(attached):  # moto retries a failed deletion: detach each policy once
        backend.detach_role_policy(arn, resource_name)
        attached.discard(arn)
    _original_role_delete(cls, resource_name, cloudformation_json, account_id, region_name)


def _attached(backend: Any, arn: str, kind: str) -> set[str]:
    entities = {"Roles": backend.roles.values(), "Groups": backend.groups.values(), "Users": backend.users.values()}[kind]
    names = set()
    for entity in entities:
        if arn in entity.managed_policies:
            names.add(entity.name)
    return names


# ------------------------------------------------------------------- AWS::SecretsManager::Secret


class _SecretHandle:
    """What the stack keeps for a secret: ``Ref`` is its ARN, as in CloudFormation."""

    def __init__(self, arn: str, name: str) -> None:
        self.arn, self.name = arn, name

    def is_created(self) -> bool:
        return True

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Id",)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn


class CfnSecret(CloudFormationModel):
    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> _SecretHandle:
        properties = cloudformation_json.get("Properties", {})
        backend = secretsmanager_backends[account_id][region_name]
        secret_string = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if secret_string is None and generate is not None:
            password = json.loads(backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=_bool(generate.get("ExcludeNumbers")),
                exclude_punctuation=_bool(generate.get("ExcludePunctuation")),
                exclude_uppercase=_bool(generate.get("ExcludeUppercase")),
                exclude_lowercase=_bool(generate.get("ExcludeLowercase")),
                include_space=_bool(generate.get("IncludeSpace")),
                require_each_included_type=_bool(generate.get("RequireEachIncludedType", True)),
            ))["RandomPassword"]
            if generate.get("SecretStringTemplate"):
                document = json.loads(generate["SecretStringTemplate"])
                document[generate["GenerateStringKey"]] = password
                secret_string = json.dumps(document)
            else:
                secret_string = password
        created = json.loads(backend.create_secret(
            name=properties.get("Name", resource_name),
            secret_string=secret_string,
            secret_binary=None,
            description=properties.get("Description"),
            tags=properties.get("Tags"),
            kms_key_id=properties.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        ))
        return _SecretHandle(created["ARN"], created["Name"])

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: _SecretHandle, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> _SecretHandle:
        properties = cloudformation_json.get("Properties", {})
        backend = secretsmanager_backends[account_id][region_name]
        if "SecretString" in properties:  # a generated secret keeps its value, as in CloudFormation
            backend.update_secret(original_resource.arn, secret_string=properties["SecretString"],
                                  kms_key_id=properties.get("KmsKeyId"), description=properties.get("Description"))
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        secretsmanager_backends[account_id][region_name].delete_secret(
            resource_name, recovery_window_in_days=None, force_delete_without_recovery=True
        )


class CfnSecretResourcePolicy(CloudFormationModel):
    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::ResourcePolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> _SecretHandle:
        properties = cloudformation_json.get("Properties", {})
        arn, name = secretsmanager_backends[account_id][region_name].put_resource_policy(
            properties["SecretId"], _document(properties["ResourcePolicy"])
        )
        return _SecretHandle(arn, name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: _SecretHandle, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> _SecretHandle:
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = secretsmanager_backends[account_id][region_name]
        if backend._is_valid_identifier(resource_name):
            backend.delete_resource_policy(resource_name)


# ------------------------------------------------------- resource policies and SNS subscriptions


class _ArnHandle:
    """A created resource whose physical id (``Ref``) is its ARN, also its ``Arn`` attribute."""

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = arn

    def is_created(self) -> bool:
        return True

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.physical_resource_id
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()


class _Handle:
    def __init__(self, physical_id: str) -> None:
        self.physical_resource_id = physical_id

    def is_created(self) -> bool:
        return True

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False


class CfnTopicPolicy(CloudFormationModel):
    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> _Handle:
        from moto.sns.models import sns_backends

        properties = cloudformation_json["Properties"]
        for topic_arn in properties["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(topic_arn, "Policy", _document(properties["PolicyDocument"]))
        return _Handle(resource_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls, original_resource: _Handle, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> _Handle:
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None  # the topic keeps its default policy, as in SNS


class CfnSubscription(CloudFormationModel):
    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> _Handle:
        from moto.sns.models import sns_backends

        properties = cloudformation_json["Properties"]
        subscription = sns_backends[account_id][region_name].subscribe(
            properties["TopicArn"], properties["Endpoint"], properties["Protocol"]
        )
        return _Handle(subscription.arn)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        from moto.sns.models import sns_backends

        sns_backends[account_id][region_name].unsubscribe(resource_name)


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


def _delete_change_set(self: Any, change_set_name: str) -> None:
    if change_set_name in self.change_sets:
        del self.change_sets[change_set_name]
        return
    for key, change_set in list(self.change_sets.items()):
        if change_set.change_set_name == change_set_name:
            del self.change_sets[key]
            return


def _describe_change_set(self: Any, change_set_name: str) -> Any:
    if change_set_name in self.change_sets:
        return self.change_sets[change_set_name]
    matches = [cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name]
    if not matches:
        from moto.cloudformation.exceptions import CloudFormationError

        class ChangeSetNotFoundException(CloudFormationError):
            code = "ChangeSetNotFoundException"

        raise ChangeSetNotFoundException(f"ChangeSet [{change_set_name}] does not exist")
    return matches[-1]


_original_clean_json = parsing.clean_json


def _clean_json(resource_json: Any, resources_map: Any) -> Any:
    """``Fn::GetStackOutput`` (CDK's weak cross-stack reference, ``{"StackName", "OutputName"[, "Region"]}``):
    the named output of the named stack, as CloudFormation resolves it."""
    if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
        spec = _clean_json(resource_json["Fn::GetStackOutput"], resources_map)
        from moto.cloudformation.models import cloudformation_backends

        region = spec.get("Region") or resources_map._region_name
        backend = cloudformation_backends[resources_map._account_id][region]
        for stack in backend.stacks.values():
            if stack.name == spec["StackName"] and stack.status != "DELETE_COMPLETE":
                # the template the stack holds now (a stack created from a change set keeps the output
                # map of its empty review template)
                template = stack.parse_template(stack.template) if stack.template else {}
                outputs = (template or {}).get("Outputs") or {}
                if spec["OutputName"] in outputs:
                    return _clean_json(outputs[spec["OutputName"]].get("Value"), stack.resource_map)
        from moto.cloudformation.exceptions import ValidationError

        raise ValidationError(spec["StackName"], f"Output {spec['OutputName']} of stack {spec['StackName']} not found")
    return _original_clean_json(resource_json, resources_map)


from moto.kms.models import Key as _KmsKey  # noqa: E402

_original_key_create = _KmsKey.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_original_delete_resource = parsing.ResourceMap._delete_resource
_original_resource_map_update = parsing.ResourceMap.update
_NAME_PROPERTY = {"AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName", "AWS::IAM::Role": "RoleName",
                  "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::SecretsManager::Secret": "Name"}


def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    """``DeletionPolicy: Retain`` honoured when an update removes the resource (moto honoured it
    only when the whole stack is deleted): the resource stays, the stack forgets it."""
    if resource_json.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
        return
    _original_delete_resource(self, parsed_resource, resource_json)


def _named(resource_json: dict[str, Any]) -> tuple[str, str] | None:
    name = (resource_json.get("Properties") or {}).get(_NAME_PROPERTY.get(resource_json.get("Type", ""), ""))
    return (resource_json["Type"], name) if isinstance(name, str) else None


def _resource_map_update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """CloudFormation creates new resources before it deletes removed ones (in its cleanup phase), so a
    named resource moved to another logical id fails with "already exists" and the update rolls back;
    moto deleted first and succeeded. Refused here before anything changes (what a rollback leaves)."""
    diff = self.build_resource_diff(template, parameters)
    removed = {_named(self._resource_json_map[name]): name for name in diff["Remove"]}
    for name in diff["Add"]:
        key = _named(template["Resources"][name])
        if key is not None and key in removed:
            from moto.cloudformation.exceptions import ValidationError

            raise ValidationError(name, f"{key[1]} already exists ({key[0]} {removed[key]} still holds the name "
                                        f"when {name} is created): the update fails and rolls back in CloudFormation")
    _original_resource_map_update(self, template, parameters)


def _key_create(cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any) -> Any:
    """``AWS::KMS::Key``: moto kept the key policy as the template's object, and every later
    ``DescribeKey`` (which checks that policy) failed with an internal error; KMS holds it as JSON text."""
    key = _original_key_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    if not isinstance(key.policy, str):
        key.policy = json.dumps(key.policy)
    return key


def _parse_ssm_parameter(self: Any, value: str, value_type: str) -> Any:
    from moto.ssm.models import ssm_backends

    parameter = ssm_backends[self._account_id][self._region_name].get_parameter(value)
    actual = parameter.value if parameter is not None else value
    return actual.split(",") if value_type.find("List") > 0 else actual


MOTO_VERSION = "5.2.5"
"""The moto these fills were written for; tests/test_moto_gaps.py shows each gap exists in it."""


def check_moto_version(installed: str) -> None:
    """Refuse to patch a moto these fills were not checked against (its internals differ)."""
    if installed != MOTO_VERSION:
        raise RuntimeError(
            f"tools/moto_cfn.py fills the CloudFormation gaps of moto {MOTO_VERSION}; installed moto is {installed}. "
            "Run tests/test_moto_gaps.py against it, delete the fills whose gap is gone, re-check the rest, "
            "then update MOTO_VERSION (and the pin in requirements-dev.txt)."
        )


def install() -> None:
    """Register the fills (idempotent)."""
    if getattr(iam_models, "_constructs_iam_cfn_installed", False):
        return
    import moto

    check_moto_version(moto.__version__)
    Group.physical_resource_id = property(_group_physical_id)  # type: ignore[attr-defined]
    Group.is_created = lambda self: True  # type: ignore[attr-defined]
    Group.get_cfn_attribute = _group_cfn_attribute  # type: ignore[method-assign]
    User.create_from_cloudformation_json = classmethod(_user_create)  # type: ignore[method-assign, assignment]
    User.update_from_cloudformation_json = classmethod(_user_update)  # type: ignore[method-assign, assignment]
    Role.create_from_cloudformation_json = classmethod(_role_create)  # type: ignore[method-assign, assignment]
    Role.update_from_cloudformation_json = classmethod(_role_update)  # type: ignore[method-assign, assignment]
    ManagedPolicy.update_from_cloudformation_json = classmethod(_managed_policy_update)  # type: ignore[method-assign, assignment]
    ManagedPolicy.delete_from_cloudformation_json = classmethod(_managed_policy_delete)  # type: ignore[method-assign, assignment]
    Role.delete_from_cloudformation_json = classmethod(_role_delete)  # type: ignore[method-assign, assignment]
    from moto.cloudformation.models import CloudFormationBackend

    CloudFormationBackend.delete_change_set = _delete_change_set  # type: ignore[method-assign]
    CloudFormationBackend.describe_change_set = _describe_change_set  # type: ignore[method-assign]
    parsing.ResourceMap.parse_ssm_parameter = _parse_ssm_parameter  # type: ignore[method-assign]
    parsing.ResourceMap._delete_resource = _delete_resource  # type: ignore[method-assign]
    _KmsKey.create_from_cloudformation_json = classmethod(_key_create)  # type: ignore[method-assign, assignment]
    parsing.ResourceMap.update = _resource_map_update  # type: ignore[method-assign]
    parsing.clean_json = _clean_json  # type: ignore[assignment]
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    iam_models._constructs_iam_cfn_installed = True  # type: ignore[attr-defined]
