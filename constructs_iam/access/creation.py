"""Creation semantics: the IAM calls that create and change roles, with the request context IAM
gives each, decided by an ``AccessModel``.

    creation = create_role(model, creator="TeamDeployer", request=RoleRequest(
        name="orders", path="/teams/payments/", permissions_boundary=boundary_arn,
        managed_policy_arns=("arn:aws:iam::aws:policy/AdministratorAccess",), pass_to="lambda.amazonaws.com"))
    creation.allowed        # every call allowed?  creation.refused: the first call refused, and why
    add_role(model, request)  # the role as IAM would hold it, to evaluate what it can do

What IAM puts in the request (Service Authorization Reference, IAM):

- ``iam:CreateRole``: ``iam:PermissionsBoundary`` = the boundary in the request; absent without one.
- ``iam:PutRolePermissionsBoundary``: ``iam:PermissionsBoundary`` = the boundary being set.
- ``iam:AttachRolePolicy``/``iam:DetachRolePolicy``: ``iam:PolicyARN`` and the role's current
  ``iam:PermissionsBoundary``; ``iam:PutRolePolicy``, ``iam:DeleteRolePolicy``,
  ``iam:DeleteRolePermissionsBoundary``, ``iam:UpdateAssumeRolePolicy``, ``iam:UpdateRole``,
  ``iam:DeleteRole``: the role's current ``iam:PermissionsBoundary``.
- ``iam:PassRole``: ``iam:PassedToService``.

CloudFormation creates a role with its boundary and policies as separate calls (CreateRole with
the boundary, then AttachRolePolicy / PutRolePolicy), so ``create_role`` asks each.

Not in IAM, so not here: any condition on the trust policy of a new role. Trust is bounded by the
organisation's resource control policies, not by the creator's policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._cfn import Unresolvable
from .decisions import Decision, Statement, _statements
from .templates import managed_policy_statements

if TYPE_CHECKING:
    from .model import AccessModel, _Principal

__all__ = [
    "Creation",
    "RoleRequest",
    "add_role",
    "attach_role_policy",
    "create_access_key",
    "create_role",
    "create_user",
    "delete_role_boundary",
    "pass_role",
    "put_role_boundary",
    "put_role_policy",
    "role_arn",
    "tag_role",
    "update_assume_role_policy",
]


@dataclass(frozen=True)
class RoleRequest:
    """A role someone asks IAM (or CloudFormation) to create.

    :param name: the role name. :param path: its path. Default: ``/``.
    :param permissions_boundary: the boundary's ARN. Default: none (an unbounded role).
    :param managed_policy_arns: policies to attach. :param inline_policies: documents to put.
    :param pass_to: a service the role is then passed to (``lambda.amazonaws.com``). Default: none.
    :param trust: the trust policy document. Default: trusts ``lambda.amazonaws.com``.
    :param tags: tags given at creation (``aws:TagKeys``, ``aws:RequestTag/<key>``). Default: none.
    """

    name: str
    path: str = "/"
    permissions_boundary: str | None = None
    managed_policy_arns: tuple[str, ...] = ()
    inline_policies: tuple[Mapping[str, Any], ...] = ()
    pass_to: str | None = None
    trust: Mapping[str, Any] = field(default_factory=lambda: {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Creation:
    """The decisions of every call a role's creation takes, in order: ``(call, Decision)``."""

    role_arn: str
    steps: tuple[tuple[str, Decision], ...]

    @property
    def allowed(self) -> bool | None:
        """True when every call is allowed, False when one is refused, None when one is undecided."""
        outcomes = [decision.allowed for _, decision in self.steps]
        if False in outcomes:
            return False
        return None if None in outcomes else True

    @property
    def refused(self) -> tuple[str, Decision] | None:
        """The first call that is not allowed (and its decision), or None."""
        return next(((call, d) for call, d in self.steps if d.allowed is not True), None)


def role_arn(model: AccessModel, creator: str, name: str, path: str = "/") -> str:
    """The ARN a role ``name`` at ``path`` gets in the creator's account and partition."""
    arn = model.arn(creator)
    parts = arn.split(":")
    if len(parts) < 6 or not parts[4].isdigit():
        raise Unresolvable(f"the account of {creator} is not known ({arn})")
    return f"arn:{parts[1]}:iam::{parts[4]}:role{path}{name}"


def create_role(model: AccessModel, *, creator: str, request: RoleRequest) -> Creation:
    """Ask each call of creating ``request`` as ``creator`` (a role or user of the model)."""
    arn = role_arn(model, creator, request.name, request.path)
    bounded = {"iam:PermissionsBoundary": request.permissions_boundary} if request.permissions_boundary else {}
    steps = [("iam:CreateRole", model.evaluate(principal=creator, action="iam:CreateRole", resource=arn,
                                               context={**bounded, **_tagging(request.tags)}))]
    for policy in request.managed_policy_arns:
        steps.append((f"iam:AttachRolePolicy {policy}", model.evaluate(
            principal=creator, action="iam:AttachRolePolicy", resource=arn,
            context={**bounded, "iam:PolicyARN": policy})))
    for _ in request.inline_policies:
        steps.append(("iam:PutRolePolicy", model.evaluate(
            principal=creator, action="iam:PutRolePolicy", resource=arn, context=bounded)))
    if request.pass_to:
        steps.append((f"iam:PassRole to {request.pass_to}", pass_role(model, actor=creator, role=arn,
                                                                      service=request.pass_to)))
    return Creation(arn, tuple(steps))


def _tagging(tags: Mapping[str, str]) -> dict[str, Any]:
    if not tags:
        return {}
    return {"aws:TagKeys": list(tags), **{f"aws:RequestTag/{key}": value for key, value in tags.items()}}


def tag_role(model: AccessModel, *, actor: str, role: str, tags: Mapping[str, str]) -> Decision:
    """May ``actor`` tag ``role`` with ``tags`` (``iam:TagRole``)?"""
    arn, current = _target(model, role)
    return model.evaluate(principal=actor, action="iam:TagRole", resource=arn, context={**current, **_tagging(tags)})


def add_role(model: AccessModel, request: RoleRequest, *, account: str, partition: str = "aws") -> str:
    """Put the role of ``request`` into ``model`` as IAM would hold it (whoever created it); returns
    its ARN, which ``model.evaluate(principal=...)`` then takes. The boundary's document comes from
    the model's templates or, for an AWS managed policy, its catalog."""
    from .model import _Principal

    arn = f"arn:{partition}:iam::{account}:role{request.path}{request.name}"
    principal = _Principal(request.name, "role", arn, request.name, request.path)
    for policy in request.managed_policy_arns:
        principal.statements += managed_policy_statements(model, policy)
    for index, document in enumerate(request.inline_policies):
        principal.statements += _statements(f"{request.name}/inline{index}", document, lambda d: d)
    if request.permissions_boundary:
        principal.boundary = managed_policy_statements(model, request.permissions_boundary)
        principal.boundary_arn = request.permissions_boundary
    principal.trust = _statements(f"{request.name}/trust", request.trust, lambda d: d)
    principal.tags.update(request.tags)
    model._principals[arn] = principal
    model._aliases[arn] = arn
    model._aliases.setdefault(request.name, arn)
    return arn


def _target(model: AccessModel, role: str) -> tuple[str, dict[str, str]]:
    """A role's ARN and the ``iam:PermissionsBoundary`` it carries now (absent when it has none)."""
    try:
        who: _Principal = model.principal(role)
    except KeyError:
        if role.startswith("arn:"):
            return role, {}  # a role outside the model: taken as having no boundary
        raise
    return who.arn, ({"iam:PermissionsBoundary": who.boundary_arn} if who.boundary_arn else {})


def put_role_boundary(model: AccessModel, *, actor: str, role: str, boundary: str) -> Decision:
    """May ``actor`` set (or replace) the permissions boundary of ``role`` to ``boundary``?"""
    arn, _ = _target(model, role)
    return model.evaluate(principal=actor, action="iam:PutRolePermissionsBoundary", resource=arn,
                          context={"iam:PermissionsBoundary": boundary})


def delete_role_boundary(model: AccessModel, *, actor: str, role: str) -> Decision:
    """May ``actor`` remove the permissions boundary of ``role``?"""
    arn, current = _target(model, role)
    return model.evaluate(principal=actor, action="iam:DeleteRolePermissionsBoundary", resource=arn, context=current)


def attach_role_policy(model: AccessModel, *, actor: str, role: str, policy_arn: str) -> Decision:
    """May ``actor`` attach the managed policy ``policy_arn`` to ``role``?"""
    arn, current = _target(model, role)
    return model.evaluate(principal=actor, action="iam:AttachRolePolicy", resource=arn,
                          context={**current, "iam:PolicyARN": policy_arn})


def put_role_policy(model: AccessModel, *, actor: str, role: str) -> Decision:
    """May ``actor`` put an inline policy (any document) on ``role``?"""
    arn, current = _target(model, role)
    return model.evaluate(principal=actor, action="iam:PutRolePolicy", resource=arn, context=current)


def update_assume_role_policy(model: AccessModel, *, actor: str, role: str) -> Decision:
    """May ``actor`` rewrite the trust policy of ``role``?"""
    arn, current = _target(model, role)
    return model.evaluate(principal=actor, action="iam:UpdateAssumeRolePolicy", resource=arn, context=current)


def pass_role(model: AccessModel, *, actor: str, role: str, service: str) -> Decision:
    """May ``actor`` pass ``role`` to ``service`` (``iam:PassRole`` with ``iam:PassedToService``)?"""
    arn = role if role.startswith("arn:") else model.arn(role)
    return model.evaluate(principal=actor, action="iam:PassRole", resource=arn,
                          context={"iam:PassedToService": service})


def create_user(model: AccessModel, *, actor: str, name: str, path: str = "/") -> Decision:
    """May ``actor`` create the IAM user ``name``?"""
    return model.evaluate(principal=actor, action="iam:CreateUser", resource=_user_arn(model, actor, name, path))


def create_access_key(model: AccessModel, *, actor: str, user: str, path: str = "/") -> Decision:
    """May ``actor`` create an access key for the IAM user ``user``?"""
    return model.evaluate(principal=actor, action="iam:CreateAccessKey", resource=_user_arn(model, actor, user, path))


def _user_arn(model: AccessModel, actor: str, name: str, path: str) -> str:
    return role_arn(model, actor, name, path).replace(":role/", ":user/", 1)


def creation_steps(creation: Creation) -> Sequence[str]:
    """One line per call: ``iam:CreateRole: allow (allowed by ...)`` (for messages in tests)."""
    return [f"{call}: {d.outcome} ({d.reason})" for call, d in creation.steps]
