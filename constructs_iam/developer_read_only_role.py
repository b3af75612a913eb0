"""DeveloperReadOnlyRole: developers see production's configuration, never its data.

Deployed in the production account, assumed from the identity account, only with fresh MFA, for a
short session.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, Union

import jsii

from aws_cdk import Aws, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _role
from . import _validation as v
from .acknowledgments import acknowledge_findings
from ._pattern import RolePattern
from .developer_access import DeveloperAccess, DeveloperExtra, check_level, classified_actions, developer_policies
from .trust import MAX_MFA_AGE_LIMIT, check_expiry, check_principal_arns, cross_account_principal

ALLOW_LIST_REASON = (
    "Reads of configuration generated from the project's classification of the whole IAM catalog "
    "(constructs_iam/data, tools/classify_read_only.py): every wildcard matches only catalog actions classified "
    "config, and configuration reads have no narrower resource to name; the DenyDataAccess backstop on the same "
    "role denies the data and credential families whatever AWS adds under a wildcard.")

Grantee = Union[iam.IGroup, iam.IRole, iam.IUser]


class DeveloperReadOnlyRole(RolePattern):
    """A production role that developers from the identity account assume to look, not touch.

    Trust: ``arn:aws:iam::<trusted_account_id>:root`` (optionally only ``trusted_principal_arns``
    via ``aws:PrincipalArn``), only with ``aws:MultiFactorAuthPresent`` true and
    ``aws:MultiFactorAuthAge`` below ``max_mfa_age``, only with the caller's own IAM user name as its
    source identity (the trust requires ``sts:SourceIdentity`` equal to ``${aws:username}``, so
    CloudTrail names the person behind every action and nobody takes another's name; role sessions
    and federated callers have no user name and are refused: they use
    ``DeveloperReadOnlyPermissionSet``), and, with ``expires``, only before that moment.

    Permissions (``access``): an allow-list the project generates from its classification of the
    whole IAM catalog (``constructs_iam.developer_access``), no AWS managed policy.
    ``DeveloperAccess.CONFIGURATION`` (default): the ``config`` reads, packed into the customer
    managed policies ``ReadConfiguration``, ``ReadConfiguration2``, ... (at most 9);
    ``DeveloperAccess.VIEW_ONLY``: the ``config`` reads at the List access level. At every level
    the ``DenyDataAccess`` policy is a Deny backstop of the data and credential families.

    :param trusted_account_id: the identity account developers come from (12 digits).
    :param access: the level. Default: ``DeveloperAccess.CONFIGURATION``.
    :param extras: reads opened by name at the configuration level, e.g. ``[DeveloperExtra.LOGS]``.
        Default: none (logs, traces and run-time settings such as environment variables denied).
    :param expires: a time-zone-aware ``datetime`` after which nobody can assume the role (an
        incident, an audit). Default: no end.
    :param require_source_identity: admit only IAM users whose ``sts:SourceIdentity`` is their own
        user name. Default: True.
    :param max_session_duration: 1 to 12 hours. Default: one hour.
    :param trusted_principal_arns: only these roles/users of the trusted account. Default: any
        principal that the identity account allows (through its groups) to assume the role.
    :param max_mfa_age: how recent the caller's MFA sign-in must be, 1 minute to 12 hours.
        Default: one hour.
    :param additional_denied_actions: more actions to deny, e.g. ``["lambda:ListFunctions"]``.
        Default: none.
    :param role_name: the IAM role name; set it so the identity account can name the role's ARN.
        Default: generated.
    :param path: the IAM path. Default: ``/``.
    :param description: the role's description. Default: a sentence naming the pattern.
    :param permissions_boundary: a managed policy capping the role. Default: none.

    ``.policy`` (also ``.deny_policy``) is the Deny backstop, ``.allow_policies`` the allow-list.
    The role holds only those: anything else reaching it fails
    synth with ``IamGuardrails-PatternWidened``; ``extend_policy(statements, reason=...)`` widens it.
    """

    WIDEN_FIX = ("developers only look: deny more with additional_denied_actions, open logs or traces with "
                 "extras, or give write access through a separate, reviewed break-glass role")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        trusted_account_id: str,
        access: DeveloperAccess = DeveloperAccess.CONFIGURATION,
        extras: Sequence[DeveloperExtra] = (),
        expires: datetime.datetime | None = None,
        require_source_identity: bool = True,
        max_session_duration: Duration = v.ONE_HOUR,
        trusted_principal_arns: Sequence[str] = (),
        max_mfa_age: Duration = v.ONE_HOUR,
        additional_denied_actions: Sequence[str] = (),
        role_name: str | None = None,
        path: str = "/",
        description: str | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            check(v.account_id, "trusted_account_id", trusted_account_id)
            opened, extra = check_level(check, access, extras, additional_denied_actions)
            v.warn_unknown_actions("additional_denied_actions", extra, classified_actions(), "the developer role is granted")
            check(check_expiry, "expires", expires)
            if not isinstance(require_source_identity, bool):
                check.fail("require_source_identity", require_source_identity, "must be True or False")
            check(v.duration_between, "max_session_duration", max_session_duration, v.ONE_HOUR, v.TWELVE_HOURS)
            check(v.duration_between, "max_mfa_age", max_mfa_age, v.ONE_MINUTE, MAX_MFA_AGE_LIMIT)
            check(check_principal_arns, "trusted_principal_arns", trusted_principal_arns, trusted_account_id)
            _role.check_role_props(check, role_name=role_name, path=path, description=description,
                  permissions_boundary=permissions_boundary)
            if not check.problems:  # the level and extras are valid: size the deny policies
                policies = check(developer_policies, access, opened, extra, partition=Aws.PARTITION)
        self.trusted_account_id = trusted_account_id
        self.max_mfa_age = max_mfa_age
        self.role_name = role_name
        self.path = path
        self.access = access
        self.extras = tuple(opened)
        self.expires = expires
        self.require_source_identity = require_source_identity
        self.role: iam.Role = _role.build_role(
            self,
            assumed_by=cross_account_principal(
                trusted_account_id,
                principal_arns=trusted_principal_arns,
                require_mfa=True,
                max_mfa_age=max_mfa_age,
                require_source_identity=require_source_identity,
                expires=expires,
            ),
            role_name=role_name,
            path=path,
            description=description
            or "Developers: read-only view of configuration, no data, MFA required",
            permissions_boundary=permissions_boundary,
            max_session_duration=max_session_duration,
        )
        if require_source_identity:
            # the caller sets its source identity in the same AssumeRole call
            self.role.node.default_child.add_property_override(  # type: ignore[union-attr]
                "AssumeRolePolicyDocument.Statement.0.Action", ["sts:AssumeRole", "sts:SetSourceIdentity"])
        # our own documents only: the Deny backstop keeps its construct id (and logical id) from the
        # previous design; the packed Allow documents are ReadConfiguration, ReadConfiguration2, ...
        self.deny_policy: iam.ManagedPolicy = iam.ManagedPolicy(
            self, "DenyDataAccess", roles=[self.role], document=iam.PolicyDocument.from_json(policies.deny_document),
            description="Denies reading data (objects, items, secrets, parameters, messages, user data) and "
                        "issuing credentials, whatever an allowed wildcard matches",
        )
        _role.record_document(self.deny_policy, policies.deny_document)
        # the backstop also names families AWS has not filled yet ('ec2:*UserData*' matches no action today):
        # cfn-lint's W3037 (no known action matches) is expected on this one resource, and only this check
        deny = self.deny_policy.node.default_child
        deny.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3037"]}})  # type: ignore[union-attr]
        deny.add_metadata("constructs-iam:why-cfn-lint-W3037", (  # type: ignore[union-attr]
            "A Deny of data families AWS may add later matches no catalog action yet; denying it before it exists "
            "is the point of the backstop."))
        allow_ids = ["ReadConfiguration"] + [f"ReadConfiguration{i + 1}" for i in range(1, len(policies.allow_documents))]
        self.allow_policies: list[iam.ManagedPolicy] = []
        for i, (policy_id, document) in enumerate(zip(allow_ids, policies.allow_documents)):
            policy = iam.ManagedPolicy(
                self, policy_id, roles=[self.role], document=iam.PolicyDocument.from_json(document),
                description=f"Reads of configuration, generated from constructs_iam/data (part {i + 1} of "
                            f"{len(policies.allow_documents)})",
            )
            _role.record_document(policy, document)
            wildcards = [p for p in document["Statement"][0]["Action"] if "*" in p]
            acknowledge_findings(policy, ["AwsSolutions-IAM5[Resource::*]"] + [
                f"AwsSolutions-IAM5[Action::{p}]" for p in wildcards], ALLOW_LIST_REASON)
            self.allow_policies.append(policy)
        self.deny_policies: list[iam.ManagedPolicy] = [self.deny_policy]
        self.denied_actions = policies.denied_actions
        self.allowed_patterns = policies.allowed_patterns
        self.policy: iam.ManagedPolicy = self.deny_policy
        self._seal(scope, policies=[self.deny_policy, *self.allow_policies], policy_ids=["DenyDataAccess", *allow_ids],
                   trust_actions=["sts:AssumeRole", "sts:SetSourceIdentity"] if require_source_identity else None)

    # ----------------------------------------------------------------------------------- grants

    @staticmethod
    def arn_for(*, account_id: str, role_name: str, path: str = "/", partition: str = "aws") -> str:
        """The ARN of a role named ``role_name`` in ``account_id``, for use in another account."""
        v.account_id("account_id", account_id)
        v.iam_name("role_name", role_name, max_length=64)
        v.iam_path("path", path)
        return f"arn:{partition}:iam::{account_id}:role{path}{role_name}"

    @staticmethod
    def grant_assume_by_arn(
        scope: Construct,
        id: str,
        *,
        role_arn: str,
        grantee: Grantee,
        max_mfa_age: Duration = v.ONE_HOUR,
        source_identity: bool = True,
    ) -> iam.ManagedPolicy:
        """Let ``grantee`` (a group, role or user) call ``sts:AssumeRole`` on ``role_arn``, with MFA.

        Creates a customer managed policy in ``scope`` attached to ``grantee``; the condition
        matches the role's trust policy, so a caller without fresh MFA is refused on both sides.
        With ``source_identity`` (default) it also allows ``sts:SetSourceIdentity``, and both only
        with ``sts:SourceIdentity`` equal to the caller's own IAM user name (``${aws:username}``):
        ``aws sts assume-role --source-identity <your user name> ...``; without it the call is refused.
        """
        if not v.is_token(role_arn) and (
            not isinstance(role_arn, str) or not role_arn.startswith("arn:") or ":role/" not in role_arn or "*" in role_arn
        ):
            raise v.fail("role_arn", role_arn, "must be one IAM role ARN without wildcards")
        v.duration_between("max_mfa_age", max_mfa_age, v.ONE_MINUTE, MAX_MFA_AGE_LIMIT)
        policy = iam.ManagedPolicy(
            scope, id, document=iam.PolicyDocument.from_json({
                "Version": "2012-10-17", "Statement": [_assume_statement(role_arn, max_mfa_age, source_identity)]}),
            description="Assume the production read-only developer role with MFA",
        )
        _attach(policy, grantee)
        return policy

    def grant_assume(self, grantee: iam.IGrantable, *, scope: Construct | None = None, id: str | None = None) -> iam.Grant:
        """Let ``grantee`` (a group, role or user, or anything ``IGrantable`` whose principal is one)
        assume this role with MFA and its own source identity; returns the ``iam.Grant``.

        The statement is the one ``grant_assume_by_arn`` writes, in a customer managed policy
        created in ``scope`` (default: the grantee's stack) and attached to the principal, never an
        inline ``DefaultPolicy``. When that stack is not this role's stack (the usual case: the
        identity account), the role is named by a literal ARN built from ``role_name``, so no
        cross-account reference is needed; ``role_name`` is then required.
        """
        principal = grantee.grant_principal if v.has(grantee, "grant_principal") else None
        if principal is None or not any(v.has(principal, a) for a in ("group_arn", "role_arn", "user_arn")):
            raise v.fail("grantee", grantee, "must be an aws_iam.IGrantable whose principal is a group, role or user")
        target_scope = scope or Stack.of(principal)  # type: ignore[arg-type]  # a group, role or user
        if Stack.of(target_scope) is Stack.of(self):
            arn = self.role.role_arn
        else:
            account = Stack.of(self).account
            if self.role_name is None or Token.is_unresolved(account):
                raise v.fail(
                    "role_name",
                    self.role_name,
                    "must be set, and this role's stack must have an explicit account, to grant "
                    "assume from another stack (its ARN is written literally there)",
                )
            arn = self.arn_for(account_id=account, role_name=self.role_name, path=self.path, partition=Stack.of(self).partition)
        statement = _assume_statement(arn, self.max_mfa_age, self.require_source_identity)
        policy = iam.ManagedPolicy(target_scope, id or f"Assume{self._id}",
                                   description="Assume the production read-only developer role with MFA")
        _attach(policy, principal)
        return iam.Grant.add_to_principal(
            grantee=_Grantee(_IntoManagedPolicy(principal, policy, statement["Sid"])),
            actions=statement["Action"], resource_arns=[arn], conditions=statement["Condition"],
        )


def _assume_statement(role_arn: str, max_mfa_age: Duration, source_identity: bool) -> dict[str, Any]:
    conditions: dict[str, dict[str, str]] = {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": str(int(v.seconds_of(max_mfa_age) or 0))},
    }
    if source_identity:
        conditions["StringEquals"] = {"sts:SourceIdentity": "${aws:username}"}
    return {
        "Sid": "AssumeDeveloperReadOnlyWithMfa", "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"] if source_identity else ["sts:AssumeRole"],
        "Resource": role_arn, "Condition": conditions,
    }


def _attach(policy: iam.ManagedPolicy, principal: Any) -> None:
    if v.has(principal, "group_arn"):
        policy.attach_to_group(principal)
    elif v.has(principal, "role_arn"):
        policy.attach_to_role(principal)
    elif v.has(principal, "user_arn"):
        policy.attach_to_user(principal)
    else:
        raise v.fail("grantee", principal, "must be an aws_iam.IGroup, IRole or IUser")


@jsii.implements(iam.IPrincipal)
class _IntoManagedPolicy:
    """The grantee's principal, except that what ``iam.Grant`` adds lands in one customer managed
    policy (NIST IAMNoInlinePolicy) with the given Sid, not in an inline ``DefaultPolicy``."""

    def __init__(self, target: Any, policy: iam.ManagedPolicy, sid: str) -> None:
        self._target, self._policy, self._sid = target, policy, sid

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self  # type: ignore[return-value]

    @property
    def assume_role_action(self) -> str:
        return self._target.assume_role_action  # type: ignore[no-any-return]

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._target.policy_fragment  # type: ignore[no-any-return]

    @property
    def principal_account(self) -> str | None:
        return self._target.principal_account  # type: ignore[no-any-return]

    def add_to_policy(self, statement: iam.PolicyStatement) -> bool:
        return self.add_to_principal_policy(statement).statement_added

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        self._policy.add_statements(iam.PolicyStatement.from_json({**statement.to_statement_json(), "Sid": self._sid}))
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._policy)


@jsii.implements(iam.IGrantable)
class _Grantee:
    def __init__(self, principal: Any) -> None:
        self._principal = principal

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self._principal  # type: ignore[no-any-return]
