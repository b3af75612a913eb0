"""The role and managed policy every pattern builds, with shared prop checks (not public API)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _validation as v

_identity = id  # attach_policy takes a parameter named id
_KNOWN_CLOSED: dict[int, iam.IPrincipal] = {}
_TRUST: dict[int, tuple[iam.IPrincipal, dict[str, Any]]] = {}
_ROLES: dict[int, tuple[iam.IRole, iam.IPrincipal, iam.IManagedPolicy | None]] = {}
_DOCUMENTS: dict[int, tuple[iam.ManagedPolicy, dict[str, Any]]] = {}


def known_closed(principal: iam.IPrincipal, trust: dict[str, Any] | None = None) -> None:
    """Record a principal this library built and knows not to be '*' (no need to resolve it), and
    the trust statement it renders as plain data (the pattern's intent without asking Node)."""
    _KNOWN_CLOSED[id(principal)] = principal
    if trust is not None:
        _TRUST[id(principal)] = (principal, trust)


_SERVICES: dict[str, iam.ServicePrincipal] = {}


def service(name: str, conditions: dict[str, Any] | None = None) -> iam.ServicePrincipal:
    """``iam.ServicePrincipal(name, conditions=...)``, known closed, with its trust statement as data.
    One object per service and conditions: a principal is immutable, and a thousand workload roles
    trusting the same service for the same account need not each create one in Node."""
    key = json.dumps([name, conditions or {}], sort_keys=True)
    cached = _SERVICES.get(key)
    if cached is not None:
        return cached
    principal = iam.ServicePrincipal(name, conditions=conditions) if conditions else iam.ServicePrincipal(name)
    _SERVICES[key] = principal
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": name}, "Action": "sts:AssumeRole"}
    if conditions:
        statement["Condition"] = conditions
    known_closed(principal, statement)
    return principal


def intended_trust(role: iam.Role) -> dict[str, Any]:
    """The trust policy ``build_role`` gave ``role``: plain data for a principal this library built,
    else the document as CDK renders it now (tokens unresolved)."""
    entry = _ROLES.get(id(role))
    if entry is not None and entry[0] is role:
        known = _TRUST.get(id(entry[1]))
        if known is not None and known[0] is entry[1]:
            return {"Version": "2012-10-17", "Statement": [dict(known[1])]}
    return dict(role.assume_role_policy.to_json())  # type: ignore[union-attr]


def intended_boundary(role: iam.Role) -> Any:
    """The ARN (a token) of the boundary ``build_role`` gave ``role``, or None."""
    entry = _ROLES.get(id(role))
    boundary = entry[2] if entry is not None and entry[0] is role else role.permissions_boundary
    return boundary.managed_policy_arn if boundary is not None else None


def intended_document(policy: iam.ManagedPolicy) -> dict[str, Any]:
    """The document ``attach_policy`` gave ``policy`` as plain data, else as CDK renders it now."""
    entry = _DOCUMENTS.get(id(policy))
    if entry is not None and entry[0] is policy:
        return {"Version": "2012-10-17", "Statement": list(entry[1]["Statement"])}
    return dict(policy.document.to_json())


def record_document(policy: iam.ManagedPolicy, data: dict[str, Any]) -> None:
    """Record the document a pattern gave ``policy`` (``PolicyDocument.from_json(data)``) as plain
    data, so its intent is read without asking Node (``intended_document``)."""
    _DOCUMENTS[_identity(policy)] = (policy, data)


def open_principal_problem(scope: Construct, principal: iam.IPrincipal) -> str | None:
    """Why ``principal`` trusts anyone, or None. Reads the principal's rendered policy fragment."""
    if _KNOWN_CLOSED.get(id(principal)) is principal:
        return None
    stack = Stack.of(scope)
    fragment = principal.policy_fragment
    principals = stack.resolve(fragment.principal_json) or {}
    conditions = stack.resolve(fragment.conditions) or {}
    wildcard = any(
        value == "*" or (isinstance(value, list) and "*" in value) for value in principals.values()
    )
    if not wildcard:
        return None
    from .guardrails.rules import pins_caller  # the guardrails' own test of a pinning condition

    if pins_caller(conditions):
        return None
    return (
        "trusts any principal ('*'); name a service, account, role or user, or add a condition on "
        "aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn or aws:SourceAccount"
    )


def check_assumed_by(scope: Construct, prop: str, principal: Any) -> iam.IPrincipal:
    if principal is None or not v.has(principal, "policy_fragment"):
        raise v.fail(prop, principal, "must be an aws_iam.IPrincipal")
    problem = open_principal_problem(scope, principal)
    if problem:
        raise ValueError(f"{prop} {principal!s} {problem}")
    return principal


def check_boundary(prop: str, boundary: Any) -> iam.IManagedPolicy | None:
    if boundary is not None and not v.has(boundary, "managed_policy_arn"):
        raise v.fail(prop, boundary, "must be an aws_iam.IManagedPolicy")
    return boundary


# IAM's pattern for a role description: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*
_DESCRIPTION = re.compile(r"[\t\n\r\x20-\x7e\xa1-\xff]*\Z")


def check_role_props(
    check: v.Checks,
    *,
    role_name: str | None,
    path: str,
    description: str | None,
    permissions_boundary: Any,
) -> None:
    """The props every role pattern shares, each problem recorded in ``check``."""
    check(v.iam_name, "role_name", role_name, max_length=64)
    check(v.iam_path, "path", path)
    check(check_boundary, "permissions_boundary", permissions_boundary)
    if description is not None and (not isinstance(description, str) or (not v.is_token(description) and (
            len(description) > 1000 or not v.matches(_DESCRIPTION, description)))):
        shown = description[:40] + "..." if isinstance(description, str) and len(description) > 40 else description
        check.fail("description", shown, "must be a string of at most 1000 characters: printable ASCII, Latin-1, "
                   "tabs and line breaks (IAM refuses other characters at deploy)")


def build_role(
    scope: Construct,
    *,
    assumed_by: iam.IPrincipal,
    role_name: str | None,
    path: str,
    description: str | None,
    permissions_boundary: iam.IManagedPolicy | None,
    max_session_duration: Duration | None = None,
) -> iam.Role:
    """An ``iam.Role`` under construct id ``Role`` (its logical id never changes with props).

    The props are checked by ``check_role_props`` first (inside the pattern's ``v.Checks``)."""
    role = iam.Role(
        scope,
        "Role",
        assumed_by=assumed_by,
        role_name=role_name,
        path=path,
        description=description,
        permissions_boundary=permissions_boundary,
        max_session_duration=max_session_duration,
    )
    _ROLES[id(role)] = (role, assumed_by, permissions_boundary)
    return role


def attach_policy(
    scope: Construct,
    role: iam.IRole,
    statements: Sequence[iam.PolicyStatement | dict[str, Any]],
    description: str,
    id: str = "Policy",
    path: str | None = None,
) -> iam.ManagedPolicy:
    """A customer managed policy (not inline: NIST 800-53 IAMNoInlinePolicy) attached to ``role``.

    Statements given as policy JSON (dicts) become one ``PolicyDocument.from_json``: one object for
    CDK instead of one per statement. ``path``: the policy's IAM path (a pattern passes its role's,
    so an execution policy can name both by path). Default: ``/``."""
    where = path if path not in (None, "/") else None
    if statements and all(isinstance(s, dict) for s in statements):
        data = {"Version": "2012-10-17", "Statement": [dict(s) for s in statements if isinstance(s, dict)]}
        document = iam.PolicyDocument.from_json(data)
        policy = iam.ManagedPolicy(scope, id, roles=[role], document=document, description=description, path=where)
        record_document(policy, data)
        return policy
    return iam.ManagedPolicy(
        scope, id, roles=[role], statements=list(statements), description=description, path=where  # type: ignore[arg-type]
    )


def handler_function(scope: Construct, *, source: str, role: iam.IRole, log_group: Any, policy: iam.ManagedPolicy,
                     timeout: Duration, description: str, acknowledgments: Sequence[tuple[str, str]],
                     **props: Any) -> Any:
    """A CloudFormation custom resource's handler under construct id ``Handler``: inline Python
    (``index.handler``), its own ``role`` and ``log_group``, waiting for ``policy`` (the role's
    permissions), not only for the role (Lambda's own DependsOn the role, which the role's GetAtt
    already implies: cfn-lint W3005), with the handler findings ``acknowledgments`` in one call."""
    from aws_cdk import CfnResource
    from aws_cdk import aws_lambda as lambda_

    from .acknowledgments import acknowledge_all

    function = lambda_.Function(
        scope, "Handler", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
        code=lambda_.Code.from_inline(source), role=role, log_group=log_group, timeout=timeout,
        description=description, **props)
    resource = function.node.default_child
    policy_resource = policy.node.default_child
    assert isinstance(resource, CfnResource) and isinstance(policy_resource, CfnResource)
    resource.add_override("DependsOn", [Stack.of(policy).get_logical_id(policy_resource)])
    acknowledge_all(function, acknowledgments)
    return function
