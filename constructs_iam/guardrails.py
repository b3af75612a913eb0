"""IamGuardrails: account-wide IAM rules that fail synthesis, applied with one call.

    IamGuardrails.of(app)                                   # checks only
    IamGuardrails.of(app, permissions_boundary=boundary)    # and every role/user gets the boundary

Rules (each failure names the construct path and the rule):

1. no policy attached directly to a user (inline, managed, or a policy whose ``Users`` names one);
2. no statement that allows ``*`` on ``*`` (``Action`` ``*``/``*:*`` or ``NotAction``, on ``Resource`` ``*``);
3. no trust policy open to ``*`` without a condition that pins the caller (organization, account,
   principal ARN, source account/ARN);
4. when a permissions boundary is configured, every role and user carries exactly that boundary.

The rules run as a read-only Aspect after every mutating one (CDK's aspect priorities), on the
CloudFormation properties as they will be synthesized, so they also catch resources written with
``aws_iam`` directly or by third-party constructs. A failure is a construct validation error: both
``cdk synth`` and ``app.synth()`` stop with the list of problems.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import AspectPriority, Aspects, IAspect, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

from . import _role
from . import _validation as v


@jsii.implements(IValidation)
class _Problems:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def validate(self) -> list[str]:
        return list(self.problems)


@jsii.implements(IAspect)
class _ApplyBoundary:
    """Sets ``PermissionsBoundary`` on every role and user that has none (a mutating aspect)."""

    def __init__(self, boundary: iam.IManagedPolicy) -> None:
        self.boundary = boundary

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, (iam.CfnRole, iam.CfnUser)) and node.permissions_boundary is None:
            node.permissions_boundary = self.boundary.managed_policy_arn


@jsii.implements(IAspect)
class IamGuardrails:
    """The read-only aspect that checks the rules above. Use ``IamGuardrails.of(scope, ...)``."""

    def __init__(self, *, permissions_boundary: iam.IManagedPolicy | None = None) -> None:
        _role.check_boundary("permissions_boundary", permissions_boundary)
        self.permissions_boundary = permissions_boundary

    @classmethod
    def of(
        cls,
        scope: IConstruct,
        *,
        permissions_boundary: iam.IManagedPolicy | None = None,
        apply_boundary: bool = True,
    ) -> IamGuardrails:
        """Apply the guardrails to ``scope`` (an app or a stack) and everything in it.

        :param permissions_boundary: the boundary every role and user must carry. Default: none.
        :param apply_boundary: also set that boundary on roles and users that have none.
            Default: True. With False the guardrail only checks.
        """
        guardrails = cls(permissions_boundary=permissions_boundary)
        if permissions_boundary is not None and apply_boundary:
            Aspects.of(scope).add(_ApplyBoundary(permissions_boundary), priority=AspectPriority.MUTATING)
        Aspects.of(scope).add(guardrails, priority=AspectPriority.READONLY)
        return guardrails

    # ------------------------------------------------------------------------------------ visit

    def visit(self, node: IConstruct) -> None:
        problems: list[str] = []
        if isinstance(node, iam.CfnUser):
            problems += self._check_user(node)
        elif isinstance(node, iam.CfnRole):
            problems += self._check_role(node)
        elif isinstance(node, (iam.CfnPolicy, iam.CfnManagedPolicy)):
            problems += self._check_policy(node)
        elif isinstance(node, iam.CfnGroup):
            problems += self._check_inline(node, node.policies)
        elif type(node).__name__ == "CfnUserPolicy":
            problems.append("policy is attached directly to a user; attach it to a group the user belongs to")
        if problems:
            holder = _Problems()
            holder.problems = [f"IamGuardrails: {p}" for p in problems]
            node.node.add_validation(holder)

    def _resolve(self, node: IConstruct, value: Any) -> Any:
        return Stack.of(node).resolve(value)

    def _check_user(self, node: iam.CfnUser) -> list[str]:
        problems = []
        if self._resolve(node, node.policies):
            problems.append("user has an inline policy; people get permissions only through groups")
        if self._resolve(node, node.managed_policy_arns):
            problems.append("user has managed policies attached; attach them to a group the user belongs to")
        problems += self._check_boundary(node, "user")
        return problems

    def _check_role(self, node: iam.CfnRole) -> list[str]:
        problems = self._check_inline(node, node.policies)
        trust = self._resolve(node, node.assume_role_policy_document) or {}
        for statement in _statements(trust):
            if statement.get("Effect") == "Allow" and _principal_is_star(statement.get("Principal")):
                keys = {k.lower() for operator in (statement.get("Condition") or {}).values() for k in operator}
                if not keys & _role._IDENTITY_SCOPING_KEYS:
                    problems.append(
                        "trust policy lets any principal ('*') assume the role without a condition that "
                        "pins the caller (aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, "
                        "aws:SourceAccount)"
                    )
        problems += self._check_boundary(node, "role")
        return problems

    def _check_policy(self, node: iam.CfnPolicy | iam.CfnManagedPolicy) -> list[str]:
        problems = []
        if self._resolve(node, node.users):
            problems.append("policy is attached directly to a user; attach it to a group the user belongs to")
        problems += _admin_statements(self._resolve(node, node.policy_document) or {})
        return problems

    def _check_inline(self, node: IConstruct, policies: Any) -> list[str]:
        problems = []
        for policy in self._resolve(node, policies) or []:
            # L1 properties resolve in CDK's own (camelCase) form before rendering.
            problems += _admin_statements(policy.get("PolicyDocument") or policy.get("policyDocument") or {})
        return problems

    def _check_boundary(self, node: iam.CfnRole | iam.CfnUser, kind: str) -> list[str]:
        if self.permissions_boundary is None:
            return []
        expected = self._resolve(node, self.permissions_boundary.managed_policy_arn)
        actual = self._resolve(node, node.permissions_boundary)
        if actual is None:
            return [f"{kind} has no permissions boundary; expected {_show(expected)}"]
        if actual != expected:
            return [f"{kind} has permissions boundary {_show(actual)}; expected {_show(expected)}"]
        return []


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return [statements] if isinstance(statements, dict) else list(statements)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_is_star(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _as_list(value) for value in principal.values())
    return False


def _admin_statements(document: Any) -> list[str]:
    problems = []
    for statement in _statements(document):
        if statement.get("Effect") != "Allow" or "*" not in _as_list(statement.get("Resource")):
            continue
        actions = _as_list(statement.get("Action", []))
        if "*" in actions or "*:*" in actions:
            problems.append(f"statement {statement.get('Sid', '(no Sid)')!s} allows '*' on '*' (administrator access)")
        elif "NotAction" in statement:
            problems.append(
                f"statement {statement.get('Sid', '(no Sid)')!s} allows NotAction on '*' (everything but a list)"
            )
    return problems


def _show(value: Any) -> str:
    return value if isinstance(value, str) and not Token.is_unresolved(value) else v.json_compact(value)
