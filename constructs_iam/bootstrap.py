"""A CDK bootstrap that is not administrator: CloudFormation execution policies generated from what
the app deploys (see ``docs/delegation.md``).

``cdk bootstrap`` gives its CloudFormation execution role ``AdministratorAccess`` unless
``--cloudformation-execution-policies`` names others. Here those policies are generated:

1. ``resource_types(assembly)``: the resource types of every stack of a cloud assembly, grouped by
   the bootstrap qualifier the stack deploys with (read from its deploy role in the manifest);
2. ``handler_permissions(type)``: the permissions CloudFormation's handlers need to create, update
   and delete that type, from the resource provider schemas that cfn-lint ships
   (``handlers.create/update/delete.permissions``);
3. ``execution_statements(types, ...)``: those actions as statements on ``*``, but IAM's: none for
   the teams' role (IAM comes only from a ``RoleCreator``); for the platform's, each IAM action only
   on the IAM resources its templates create (``iam_inventory(assembly)``: roles, policies, instance
   profiles, users, groups by name or path), ``iam:Attach*Policy`` only of the policies they attach,
   ``iam:PassRole`` only to the services the roles trust, ``iam:CreateRole`` only with the
   ``PlatformBoundary``; split in policies that fit IAM's 6,144-character limit, plus denies that
   keep the execution role off the bootstrap roles, their policies and the boundary.
4. ``PlatformBoundary``: the permissions boundary of every role the platform's execution role
   creates, computed from what those roles' own policies use; ``set_iam_paths`` gives a path to
   what CloudFormation names, so a policy can name it.

The types and the IAM resources are reviewed and checked in (``python -m constructs_iam.bootstrap
cdk.out [--iam] --write FILE``); ``--check FILE`` fails when the app deploys a type (or creates an IAM
resource) the file does not hold, so a new one is a reviewed change of what CI may do, never a silent one.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _facts
from . import _validation as v
from ._schemas import iam_actions, policies_spec, resource_schema
from .acknowledgments import _skip_in_checkov, acknowledge, acknowledge_findings

__all__ = [
    "BEFORE_BOOTSTRAP",
    "CdkExecutionPolicies",
    "PlatformBoundary",
    "iam_inventory",
    "platform_boundary_document",
    "service_path",
    "set_iam_paths",
    "set_permissions_boundary",
    "EXTRA_PERMISSIONS",
    "execution_statements",
    "handler_permissions",
    "resource_types",
    "split_statements",
]

MAX_POLICY_CHARACTERS = 6144
"""IAM's limit on a managed policy document (whitespace not counted)."""

EXTRA_PERMISSIONS: dict[str, tuple[str, ...]] = {
    # types without a resource provider schema (CloudFormation's own or legacy handlers)
    "AWS::CDK::Metadata": (),
    "AWS::CloudFormation::CustomResource": ("lambda:InvokeFunction",),
    "AWS::IAM::AccessKey": ("iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"),
    "AWS::CloudFormation::Stack": ("cloudformation:CreateStack", "cloudformation:DeleteStack",
                                   "cloudformation:DescribeStacks", "cloudformation:UpdateStack"),
}
"""Permissions of types the schemas do not describe; ``Custom::*`` is a custom resource."""

ADMIN_POLICY_NAMES = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")
SERVICE_LINKED_ROLES = {"AWS::AccessAnalyzer::Analyzer": "access-analyzer.amazonaws.com"}
"""The service whose service-linked role a type's handler creates (``iam:CreateServiceLinkedRole`` is
granted only for these, by ``iam:AWSServiceName``)."""
BEFORE_BOOTSTRAP = "constructs-iam:deployed-before-bootstrap"
"""Template metadata of a stack an administrator deploys before ``cdk bootstrap`` (the one that holds
the execution policies and the boundary): no execution role deploys it, so ``iam_inventory`` leaves it out."""
_QUALIFIER = re.compile(r"^[a-z0-9]{1,10}$")
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")


@lru_cache(maxsize=1024)
def handler_permissions(resource_type: str, region: str = "us-east-1") -> tuple[str, ...] | None:
    """The IAM actions CloudFormation needs to create, update and delete ``resource_type``;
    None when neither the schemas nor ``EXTRA_PERMISSIONS`` know the type."""
    if resource_type.startswith("Custom::"):
        resource_type = "AWS::CloudFormation::CustomResource"
    if resource_type in EXTRA_PERMISSIONS:
        return EXTRA_PERMISSIONS[resource_type]
    schema = resource_schema(resource_type, region)
    if schema is None:
        return None
    handlers = schema.get("handlers") or {}
    if not handlers:
        return None
    # some schemas list API operations that are no IAM action ('s3:PutBucketReplication',
    # 's3:REST.PUT.OBJECT'): granting them grants nothing, so only IAM's actions are kept
    return tuple(sorted({p for step in ("create", "update", "delete")
                         for p in (handlers.get(step) or {}).get("permissions", []) if _is_iam_action(p)}))


def _is_iam_action(action: str) -> bool:
    if not _ACTION.match(action):
        return False
    service, name = action.lower().split(":", 1)
    return name in iam_actions().get(service, frozenset())


def resource_types(assembly: str | Path) -> dict[str, list[str]]:
    """Resource types of every stack in a cloud assembly directory, by bootstrap qualifier (nested
    stacks' templates included; ``AWS::CDK::Metadata`` left out)."""
    found: dict[str, set[str]] = {}
    for qualifier, _, _, template, directory in _stacks(Path(assembly)):
        found.setdefault(qualifier, set()).update(_types(template, directory))
    return {q: sorted(t - {"AWS::CDK::Metadata"}) for q, t in sorted(found.items())}


def _stacks(directory: Path) -> Iterable[tuple[str, str, str, dict[str, Any], Path]]:
    """(qualifier, account, stack name, template, its assembly directory) of every stack of an
    assembly, stages included (each stage is an assembly of its own)."""
    manifest = json.loads((directory / "manifest.json").read_text())
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "cdk:cloud-assembly":
            nested = (artifact.get("properties") or {}).get("directoryName")
            if nested:
                yield from _stacks(directory / nested)
            continue
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties") or {}
        account = (artifact.get("environment") or "").removeprefix("aws://").split("/")[0]
        template = json.loads((directory / properties["templateFile"]).read_text())
        yield (_qualifier(properties.get("assumeRoleArn", "")), account, properties.get("stackName", name), template,
               directory)


def _with_nested(stack_name: str, template: dict[str, Any], directory: Path, depth: int = 0
                 ) -> Iterable[tuple[str, dict[str, Any]]]:
    """A stack's template and its nested stacks' (deployed by the same execution role)."""
    yield stack_name, template
    for logical_id, resource in (template.get("Resources") or {}).items():
        asset = (resource.get("Metadata") or {}).get("aws:asset:path")
        if resource.get("Type") == "AWS::CloudFormation::Stack" and isinstance(asset, str) and depth < 5:
            if not (directory / asset).exists():
                raise ValueError(f"{stack_name}/{logical_id}: nested stack template {asset} is not in the assembly")
            yield from _with_nested(f"{stack_name}-{logical_id}", json.loads((directory / asset).read_text()),
                                    directory, depth + 1)


_IAM_KINDS = {"AWS::IAM::Role": ("role", "RoleName"), "AWS::IAM::User": ("user", "UserName"),
              "AWS::IAM::Group": ("group", "GroupName"), "AWS::IAM::ManagedPolicy": ("policy", "ManagedPolicyName"),
              "AWS::IAM::InstanceProfile": ("instance-profile", "InstanceProfileName")}


def iam_inventory(assembly: str | Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The IAM resources the stacks of an assembly create, by bootstrap qualifier and account: what a
    platform execution role may write (``execution_statements(iam=...)``) and what the roles it creates
    need (``platform_boundary_document``). Stacks marked ``BEFORE_BOOTSTRAP`` (deployed by an
    administrator before ``cdk bootstrap``, as the execution policies must be) are left out.

    Per account: ``role``/``user``/``group``/``policy``/``instance-profile``: ``<path><name>``, or
    ``<path>*`` for a name CloudFormation generates under a path other than ``/``;
    ``oidc-provider``: the providers' hosts; ``attached``: the managed policies attached to them
    (``aws:policy/<name>`` for AWS managed, ``<account>:policy<path><name>`` for the app's own);
    ``pass``: role -> the services its trust policy names (where it may be passed); ``needs``: role
    -> the ``<service>:<Verb>*`` patterns its own policies use; ``bounded``: role -> its permissions
    boundary (None: none); ``unbounded-policy``: the customer managed policies attached to a role without
    a boundary (their content is that role's power: the execution role may not write them). Such a policy
    must not share its ``<path>*`` with a policy of a bounded role (it goes to ``unscoped``).

    ``unscoped``: the IAM resources with neither a name nor a path, which no policy can name: an
    execution policy for that account refuses to be generated (give them a path: ``set_iam_paths``)."""
    from .access import AccessModel

    found: dict[str, dict[str, dict[str, Any]]] = {}
    for qualifier, account, stack_name, template in (
            (q, a, name, body) for q, a, root, top, directory in _stacks(Path(assembly))
            if BEFORE_BOOTSTRAP not in (top.get("Metadata") or {})
            for name, body in _with_nested(root, top, directory)):
        resources = template.get("Resources") or {}
        if not any(r.get("Type", "").startswith("AWS::IAM::") for r in resources.values()):
            continue
        entry = found.setdefault(qualifier, {}).setdefault(account, {
            "role": set(), "user": set(), "group": set(), "policy": set(), "instance-profile": set(),
            "oidc-provider": set(), "attached": set(), "pass": {}, "needs": {}, "bounded": {}, "unscoped": set(),
            "unbounded-policy": set(), "bounded-policy": set()})
        problems = entry["unscoped"]
        names: dict[str, str] = {}
        for logical_id, resource in resources.items():
            kind = resource.get("Type", "")
            props = resource.get("Properties") or {}
            if kind == "AWS::IAM::OIDCProvider":
                url = props.get("Url")
                if not isinstance(url, str):
                    problems.add(f"{stack_name}/{logical_id}: OIDC provider without a literal Url")
                    continue
                entry["oidc-provider"].add(url.removeprefix("https://"))
            if kind not in _IAM_KINDS:
                continue
            family, name_key = _IAM_KINDS[kind]
            name, path = props.get(name_key), props.get("Path", "/")
            if not isinstance(path, str):
                problems.add(f"{stack_name}/{logical_id}: {kind} with a path that is not a literal")
                continue
            if isinstance(name, str):
                names[logical_id] = f"{path}{name}"
            elif path != "/":
                names[logical_id] = f"{path}*"
            else:
                problems.add(f"{stack_name}/{logical_id}: {kind} has neither a name nor a path")
                continue
            entry[family].add(names[logical_id])
        for logical_id, resource in resources.items():
            kind, props = resource.get("Type", ""), resource.get("Properties") or {}
            if kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
                for arn in props.get("ManagedPolicyArns") or []:
                    entry["attached"].add(_attached(arn, names, account))
            if kind == "AWS::IAM::ManagedPolicy" and logical_id in names and any(
                    props.get(k) for k in ("Roles", "Users", "Groups")):
                entry["attached"].add(f"{account}:policy{names[logical_id]}")
            if kind == "AWS::IAM::Role" and logical_id in names:
                services = sorted({s for statement in (props.get("AssumeRolePolicyDocument") or {}).get("Statement", [])
                                   if statement.get("Effect") == "Allow"
                                   for s in _as_list((statement.get("Principal") or {}).get("Service"))
                                   if isinstance(s, str)})
                if services:
                    entry["pass"][names[logical_id]] = sorted({*entry["pass"].get(names[logical_id], []), *services})
                boundary = props.get("PermissionsBoundary")
                entry["bounded"][names[logical_id]] = boundary if isinstance(boundary, str) else (
                    None if boundary is None else "(not a literal)")
        policy_roles: dict[str, set[str]] = {}  # policy logical id -> the role logical ids it is attached to
        for logical_id, resource in resources.items():
            kind, props = resource.get("Type", ""), resource.get("Properties") or {}
            if kind == "AWS::IAM::ManagedPolicy":
                policy_roles.setdefault(logical_id, set()).update(
                    r["Ref"] for r in props.get("Roles") or [] if isinstance(r, dict) and "Ref" in r)
            if kind == "AWS::IAM::Role":
                for arn in props.get("ManagedPolicyArns") or []:
                    if isinstance(arn, dict) and "Ref" in arn:
                        policy_roles.setdefault(arn["Ref"], set()).add(logical_id)
        for policy, roles in policy_roles.items():
            if policy not in names:
                continue
            unbounded = any((resources.get(r, {}).get("Properties") or {}).get("PermissionsBoundary") is None
                            for r in roles)
            entry["unbounded-policy" if unbounded else "bounded-policy"].add(names[policy])
        model = AccessModel.from_template(template, account=account or None, stack_name=stack_name)
        for key in model.principals():
            who = model.principal(key)
            if who.kind != "role" or who.logical_id not in names:
                continue
            patterns = {p for statement in who.statements if statement.raw.get("Effect") == "Allow"
                        for action in _as_list(statement.raw.get("Action")) for p in _verb_patterns(action)}
            entry["needs"][names[who.logical_id]] = sorted({*entry["needs"].get(names[who.logical_id], []), *patterns})
    for accounts in found.values():
        for entry in accounts.values():
            bounded = entry.pop("bounded-policy")
            entry["unscoped"].update(
                f"{u}: policies of a role without a boundary match {b}, policies of other roles: give them a path "
                "of their own" for u in entry["unbounded-policy"] for b in bounded if fnmatch.fnmatchcase(b, u))
    return {q: {a: {k: (sorted(v) if isinstance(v, set) else dict(sorted(v.items()))) for k, v in e.items()}
                for a, e in sorted(accounts.items())} for q, accounts in sorted(found.items())}


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def _attached(arn: Any, names: Mapping[str, str], account: str) -> str:
    if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in names:
        return f"{account}:policy{names[arn['Ref']]}"
    if isinstance(arn, dict) and "Fn::Join" in arn:
        pseudo = {"AWS::Partition": "aws", "AWS::AccountId": account}
        arn = "".join(p if isinstance(p, str) else pseudo.get(p.get("Ref", "") if isinstance(p, dict) else "", "?")
                      for p in arn["Fn::Join"][1])
    if isinstance(arn, str) and re.match(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/", arn):
        return arn.split(":iam::", 1)[1]
    raise ValueError(f"managed policy ARN {arn!r} is not a literal the execution policy can name")


def _verb_patterns(action: Any) -> list[str]:
    """``s3:GetObject`` -> ``s3:Get*``; ``support:*`` -> every verb of support in the IAM catalog."""
    from .delegation import service_action_patterns

    if not isinstance(action, str) or ":" not in action:
        raise ValueError(f"action {action!r} cannot be bounded by a service's verbs ('*' is every action)")
    service, name = action.split(":", 1)
    if name.startswith("*"):
        patterns = service_action_patterns(service)
        if not patterns:
            raise ValueError(f"action {action!r}: the IAM catalog knows no action of {service}")
        return patterns
    match = re.match(r"[A-Z][a-z]*", name)
    return [f"{service}:{match.group(0) if match else name.rstrip('*')}*"]


def _qualifier(deploy_role_arn: str) -> str:
    # arn:${AWS::Partition}:iam::<account>:role/cdk-<qualifier>-deploy-role-<account>-<region>
    name = deploy_role_arn.rsplit("/", 1)[-1]
    return name.split("-")[1] if name.startswith("cdk-") and "-deploy-role-" in name else "(no bootstrap)"


def _types(template: Mapping[str, Any], directory: Path) -> set[str]:
    types: set[str] = set()
    for resource in (template.get("Resources") or {}).values():
        kind = resource.get("Type", "")
        types.add("AWS::CloudFormation::CustomResource" if kind.startswith("Custom::") else kind)
        asset = (resource.get("Metadata") or {}).get("aws:asset:path")
        if kind == "AWS::CloudFormation::Stack" and isinstance(asset, str) and (directory / asset).exists():
            types |= _types(json.loads((directory / asset).read_text()), directory)
    return types


def execution_statements(
    types: Iterable[str],
    *,
    partition: str,
    account: str,
    region: str,
    qualifier: str,
    delegated: bool,
    protected_policy_arns: Sequence[str] = (),
    schema_region: str | None = None,
    iam: Mapping[str, Any] | None = None,
    permissions_boundary: str | None = None,
    unbounded_roles: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The statements of an execution role that deploys ``types`` (and nothing else).

    :param delegated: the teams' role: no IAM action from the handlers (IAM comes from a
        ``RoleCreator``), no ``iam:PassRole`` but the creator's. Otherwise the platform's role:
        the handlers' IAM actions, without attaching AdministratorAccess, IAMFullAccess or
        PowerUserAccess to anyone.
    :param protected_policy_arns: the execution policies themselves (and the boundary): the role
        may not change them.
    :param iam: the platform's role: the IAM resources its stacks create in this account (one account
        of ``iam_inventory``). Its IAM actions apply to those only: each handler action on the ARNs of
        the resource type the IAM catalog gives it; ``iam:Attach*Policy`` only with ``iam:PolicyARN``
        among the policies the templates attach; ``iam:PassRole`` of a role only to the services its
        trust policy names. Without it (and for the teams' role) no IAM action of the handlers is kept.
    :param permissions_boundary: with ``iam``: ``iam:CreateRole`` and ``iam:PutRolePermissionsBoundary``
        only with this boundary (``iam:PermissionsBoundary``); no boundary is ever removed.
    :param unbounded_roles: with ``iam``: roles (``<path><name>`` of the inventory) without the boundary,
        each by its exact name. The execution role may read them and the policies attached to them
        (``unbounded-policy`` of the inventory), never create, change or delete them: nothing would bound
        what a push writes into them (an administrator deploys their changes).
    Raises ``ValueError`` naming the types no schema describes."""
    types = list(types)
    actions: set[str] = set()
    unknown = []
    for kind in types:
        permissions = handler_permissions(kind, schema_region or region)
        if permissions is None:
            unknown.append(kind)
            continue
        actions.update(permissions)
    if unknown:
        raise ValueError(f"no handler permissions known for {sorted(unknown)}: add them to "
                         "constructs_iam.bootstrap.EXTRA_PERMISSIONS with a reviewed list")
    iam_actions_needed = sorted(a for a in actions if a.lower().startswith("iam:"))
    actions = {a for a in actions if not a.lower().startswith("iam:")}
    iam_arn = f"arn:{partition}:iam::{account}"
    statements: list[dict[str, Any]] = []
    by_service: dict[str, list[str]] = {}
    for action in sorted(actions, key=str.lower):
        by_service.setdefault(action.split(":", 1)[0].lower(), []).append(action)
    for service, names in sorted(by_service.items()):
        statements.append({"Sid": "Deploy" + "".join(p.capitalize() for p in service.split("-")), "Effect": "Allow",
                           "Action": names, "Resource": "*"})
    if not delegated and iam is not None:
        statements += _iam_statements(iam_actions_needed, iam, list(types), partition=partition, account=account,
                                      permissions_boundary=permissions_boundary, unbounded_roles=unbounded_roles)
    statements.append({"Sid": "ReadBootstrapVersion", "Effect": "Allow", "Action": "ssm:GetParameters",
                       "Resource": f"arn:{partition}:ssm:{region}:{account}:parameter/cdk-bootstrap/{qualifier}/version"})
    statements.append({"Sid": "DenyBootstrapRolesAndPolicies", "Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"],
                       "Resource": [f"{iam_arn}:role/cdk-*", *protected_policy_arns]})
    if not delegated:
        statements.append({"Sid": "DenyBoundaryRemoval", "Effect": "Deny", "Resource": "*",
                           "Action": ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]})
        statements.append({"Sid": "DenyAdministratorPolicies", "Effect": "Deny",
                           "Action": ["iam:AttachGroupPolicy", "iam:AttachRolePolicy", "iam:AttachUserPolicy"],
                           "Resource": "*", "Condition": {"ArnLike": {"iam:PolicyARN": [
                               f"arn:{partition}:iam::aws:policy/{name}" for name in ADMIN_POLICY_NAMES]}}})
    return statements


_ATTACH = {"iam:attachrolepolicy", "iam:attachuserpolicy", "iam:attachgrouppolicy"}
_BOUNDED_CREATION = {"iam:createrole", "iam:putrolepermissionsboundary"}
_NEVER = {"iam:deleterolepermissionsboundary", "iam:deleteuserpermissionsboundary", "iam:putuserpermissionsboundary"}


def _iam_action_resource(action: str) -> str | None:
    entry = _iam_catalog().get(action.split(":", 1)[1].lower()) or {}
    kinds = entry.get("Resources") or []
    return kinds[0] if kinds else None


def _iam_catalog() -> dict[str, Any]:
    actions: dict[str, Any] = policies_spec()["iam"]["Actions"]  # the file iam_actions reads, parsed once
    return actions


def _iam_statements(needed: Sequence[str], iam: Mapping[str, Any], types: Sequence[str], *, partition: str, account: str,
                    permissions_boundary: str | None, unbounded_roles: Sequence[str]) -> list[dict[str, Any]]:
    """The platform execution role's IAM statements: the handlers' IAM actions on the app's IAM resources only."""
    arn = f"arn:{partition}:iam::{account}"
    unbounded_policies = list(iam.get("unbounded-policy", []))
    resources = {
        "role": [f"{arn}:role{r}" for r in iam.get("role", []) if r not in unbounded_roles],
        "user": [f"{arn}:user{r}" for r in iam.get("user", [])],
        "group": [f"{arn}:group{r}" for r in iam.get("group", [])],
        "policy": [f"{arn}:policy{r}" for r in iam.get("policy", []) if r not in unbounded_policies],
        "instance-profile": [f"{arn}:instance-profile{r}" for r in iam.get("instance-profile", [])],
        "oidc-provider": [f"{arn}:oidc-provider/{r}" for r in iam.get("oidc-provider", [])],
    }
    attached = [f"arn:{partition}:iam::{a}" for a in iam.get("attached", [])
                if a.split(":policy", 1)[-1] not in unbounded_policies]
    if iam.get("unscoped"):
        raise ValueError(f"IAM resources with neither a name nor a path cannot be scoped: {iam['unscoped']} "
                         "(give them a path: constructs_iam.bootstrap.set_iam_paths)")
    unknown = sorted(set(unbounded_roles) - set(iam.get("role", [])))
    if unknown:
        raise ValueError(f"unbounded_roles {unknown} are not roles the stacks create")
    wrong = {r: b for r, b in (iam.get("bounded") or {}).items() if r not in unbounded_roles and b != permissions_boundary}
    if wrong:
        raise ValueError(f"roles the stacks create without the boundary {permissions_boundary}: {wrong} (give them it, "
                         "or name each in unbounded_roles with the reason): the execution role could not create them")
    if any(r.endswith("*") for r in unbounded_roles):
        raise ValueError(f"unbounded_roles {list(unbounded_roles)} must name roles exactly (no '*')")
    by_kind: dict[str, list[str]] = {}
    special: dict[str, list[str]] = {"attach": [], "create": [], "slr": [], "pass": []}
    for action in needed:
        low = action.lower()
        if low in _NEVER:
            continue
        if low == "iam:passrole":
            special["pass"].append(action)
        elif low == "iam:createservicelinkedrole":
            special["slr"].append(action)
        elif low in _ATTACH:
            special["attach"].append(action)
        elif low in _BOUNDED_CREATION:
            special["create"].append(action)
        else:
            kind = _iam_action_resource(action)
            if kind is None:
                raise ValueError(f"{action}: the IAM catalog gives it no resource type to scope it by")
            by_kind.setdefault(kind, []).append(action)
    statements: list[dict[str, Any]] = []
    for kind, names in sorted(by_kind.items()):
        if resources.get(kind):
            sid = "".join(p.capitalize() for p in kind.split("-"))
            statements.append({"Sid": f"AppIam{sid}s", "Effect": "Allow", "Action": names, "Resource": resources[kind]})
    bounded = resources["role"]
    if special["create"] and bounded:
        if permissions_boundary is None:
            raise ValueError("a platform execution role that creates roles needs permissions_boundary")
        statements.append({"Sid": "CreateAppRolesWithTheBoundary", "Effect": "Allow", "Action": special["create"],
                           "Resource": bounded, "Condition": {"ArnEquals": {"iam:PermissionsBoundary": permissions_boundary}}})
    if permissions_boundary is not None and bounded:
        # a role without the boundary (one created before it, or by someone else) gets no policy from a push:
        # IAM puts the role's current boundary in iam:PermissionsBoundary of these two calls
        statements.append({"Sid": "DenyPoliciesOnRolesWithoutTheBoundary", "Effect": "Deny",
                           "Action": ["iam:AttachRolePolicy", "iam:PutRolePolicy"], "Resource": "*",
                           "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": permissions_boundary}}})
    if unbounded_roles:
        kept = [*(f"{arn}:role{r}" for r in sorted(unbounded_roles)), *(f"{arn}:policy{p}" for p in sorted(unbounded_policies))]
        reads = sorted(a for kind in ("role", "policy") for a in by_kind.get(kind, [])
                       if a.split(":", 1)[1].startswith(("Get", "List")))
        if reads:
            statements.append({"Sid": "ReadUnboundedRolesAndTheirPolicies", "Effect": "Allow", "Action": reads,
                               "Resource": kept})
        statements.append({"Sid": "DenyUnboundedRolesAndTheirPolicies", "Effect": "Deny",
                           "NotAction": ["iam:Get*", "iam:List*"], "Resource": kept})
    for action in special["attach"]:
        kind = _iam_action_resource(action) or "role"
        if resources.get(kind) and attached:
            statements.append({"Sid": f"AttachAppPoliciesTo{kind.capitalize()}s", "Effect": "Allow", "Action": action,
                               "Resource": resources[kind], "Condition": {"ArnLike": {"iam:PolicyARN": attached}}})
    if special["slr"]:
        # a service-linked role's policy is the service's, fixed by AWS; the caller gives it nothing
        services = sorted({SERVICE_LINKED_ROLES[t] for t in types if t in SERVICE_LINKED_ROLES})
        unknown = sorted(t for t in types if "iam:CreateServiceLinkedRole" in (handler_permissions(t) or ())
                         and t not in SERVICE_LINKED_ROLES)
        if unknown:
            raise ValueError(f"{unknown} create service-linked roles: name their service in "
                             "constructs_iam.bootstrap.SERVICE_LINKED_ROLES")
        statements.append({"Sid": "CreateServiceLinkedRoles", "Effect": "Allow", "Action": special["slr"],
                           "Resource": [f"{arn}:role/aws-service-role/{s}/*" for s in services],
                           "Condition": {"StringEquals": {"iam:AWSServiceName": services}}})
    if special["pass"]:
        by_services: dict[tuple[str, ...], list[str]] = {}
        for role, trusted in sorted((iam.get("pass") or {}).items()):
            by_services.setdefault(tuple(trusted), []).append(f"{arn}:role{role}")
        for n, (passed_to, roles) in enumerate(sorted(by_services.items()), start=1):
            statements.append({"Sid": f"PassAppRoles{n}", "Effect": "Allow", "Action": "iam:PassRole", "Resource": roles,
                               "Condition": {"StringEquals": {"iam:PassedToService": list(passed_to)}}})
    return statements


def split_statements(statements: Sequence[dict[str, Any]], limit: int = MAX_POLICY_CHARACTERS - 200) -> list[dict[str, Any]]:
    """Policy documents of at most ``limit`` characters (IAM counts without whitespace), a
    statement too long for one being split by its actions; every document repeats the Deny
    statements so no part is ever without them."""
    denies = [s for s in statements if s["Effect"] == "Deny"]
    allows: list[dict[str, Any]] = []
    for statement in (s for s in statements if s["Effect"] == "Allow"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        chunk: list[str] = []
        for action in actions:
            if chunk and _size({**statement, "Action": [*chunk, action]}) > limit // 2:
                allows.append({**statement, "Sid": f"{statement['Sid']}{len(allows)}", "Action": chunk})
                chunk = []
            chunk.append(action)
        allows.append({**statement, "Action": chunk if isinstance(statement["Action"], list) else chunk[0]})
    documents: list[list[dict[str, Any]]] = [[]]
    base = _size({"Version": "2012-10-17", "Statement": denies})
    for statement in allows:
        if documents[-1] and base + _size({"Statement": [*documents[-1], statement]}) > limit:
            documents.append([])
        documents[-1].append(statement)
    return [{"Version": "2012-10-17", "Statement": [*part, *denies]} for part in documents]


def _size(document: Any) -> int:
    return len(json.dumps(document, separators=(",", ":")))


# ------------------------------------------------------------------------------- construct

CHECKOV_WIDE = ("CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111")
"""checkov's "without constraints" checks, which every statement on Resource '*' trips."""


class CdkExecutionPolicies(Construct):
    """The named customer managed policies of one bootstrap qualifier's CloudFormation execution
    role, generated from the resource types its stacks deploy (``execution_statements``).

    Deploy them before ``cdk bootstrap --cloudformation-execution-policies <policy_arns>`` (they
    must exist). ``policy_arns`` are literal, so the command can be printed at synth.

    :param qualifier: the bootstrap qualifier (``hnb659fds`` is CDK's default).
    :param resource_types: the reviewed types its stacks deploy (``resource_types(cdk.out)[qualifier]``).
    :param delegated: the teams' execution role: no IAM from the handlers (give it a ``RoleCreator``,
        and ``--custom-permissions-boundary``). Default: False (the platform's).
    :param protected_policy_arns: more policies the role may not change (the boundary, the
        creator). Its own policies are always protected. Default: none.
    :param path: the policies' path. Default: ``/guardrails/``.
    :param iam_resources: the platform's role: the IAM resources its stacks create in this account
        (``iam_inventory(cdk.out)[qualifier][account]``, reviewed and checked in); its IAM actions apply
        to those only. Default: none (no IAM action at all).
    :param permissions_boundary: the ``PlatformBoundary`` every role it creates must carry.
    :param unbounded_roles: role (``<path><name>``) -> why it has no boundary: the role and its policies
        (``unbounded-policy`` of ``iam_resources``) are read, never written, by this role. Default: none.

    The stack that holds these policies is deployed by an administrator before ``cdk bootstrap``
    (its template is marked ``BEFORE_BOOTSTRAP``).
    """

    def __init__(self, scope: Construct, id: str, *, qualifier: str, resource_types: Sequence[str],
                 delegated: bool = False, protected_policy_arns: Sequence[str] = (), path: str = "/guardrails/",
                 iam_resources: Mapping[str, Any] | None = None, permissions_boundary: str | None = None,
                 unbounded_roles: Mapping[str, str] | None = None) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            if not isinstance(qualifier, str) or not _QUALIFIER.match(qualifier):
                check.fail("qualifier", qualifier, "must be 1 to 10 lower-case letters or digits (a bootstrap qualifier)")
            types = check(v.non_empty, "resource_types", resource_types, what="resource types") or []
            for kind in types:
                if not isinstance(kind, str) or handler_permissions(kind) is None:
                    check.fail("resource_types", kind, "must be a resource type with known handler permissions")
            check(v.iam_path, "path", path)
        facts = _facts.scope(scope)
        stack = facts.stack.stack
        partition, account, region = stack.partition, facts.stack.account, facts.stack.region
        self.qualifier = qualifier
        own = [f"arn:{partition}:iam::{account}:policy{path}cdk-{qualifier}-execution-{n}" for n in range(1, 10)]
        documents = split_statements(execution_statements(
            types, partition=partition, account=account, region=region, qualifier=qualifier, delegated=delegated,
            protected_policy_arns=[f"arn:{partition}:iam::{account}:policy{path}cdk-{qualifier}-execution-*",
                                   *protected_policy_arns, *([permissions_boundary] if permissions_boundary else [])],
            schema_region=region if not v.is_token(region) else None, iam=iam_resources,
            permissions_boundary=permissions_boundary, unbounded_roles=sorted(unbounded_roles or {})))
        stack.add_metadata(BEFORE_BOOTSTRAP, "deployed by an administrator before cdk bootstrap: it holds the "
                           "execution policies the bootstrap names")
        self.documents = documents
        self.policy_arns: list[str] = own[:len(documents)]
        self.policies = []
        reason = (f"A CloudFormation execution role acts on resources that do not exist yet: each action is one that "
                  f"CloudFormation's handlers need for a resource type the {qualifier} stacks deploy "
                  "(cfn-lint's resource schemas), reviewed in the checked-in list of types.")
        scoped = sorted({r for d in documents for st in d["Statement"] if st["Effect"] == "Allow"
                         for r in _as_list(st.get("Resource")) if "*" in r and r != "*"})
        for n, document in enumerate(documents, start=1):
            policy = iam.ManagedPolicy(
                self, f"Policy{n}", managed_policy_name=f"cdk-{qualifier}-execution-{n}", path=path,
                document=iam.PolicyDocument.from_json(document),
                description=f"CDK bootstrap {qualifier}: CloudFormation execution policy {n} of {len(documents)}")
            acknowledge_findings(policy, ["AwsSolutions-IAM5[Resource::*]"], reason)
            mine = sorted({r for st in document["Statement"] if st["Effect"] == "Allow"
                           for r in _as_list(st.get("Resource")) if r in scoped})
            if mine:
                acknowledge_findings(policy, [f"AwsSolutions-IAM5[Resource::{r}]" for r in mine], (
                    "IAM names the resources CloudFormation names under a path only with a trailing '*' (the path the "
                    "app's stacks set), and service-linked roles under aws-service-role/: each is an IAM resource "
                    "the platform's templates create (iam_inventory), every role created with the platform boundary."))
            _skip_in_checkov(policy, [(check, reason) for check in CHECKOV_WIDE])
            if not delegated and any(_tags_roles(statement) for statement in document["Statement"]):
                acknowledge(policy, "IamGuardrails-TenantTag",
                            "The platform's CloudFormation execution role is the deploying role: it creates and tags "
                            "the app's roles, tenant roles included (TenantIsolatedBucket.admit); teams deploy with "
                            "their own execution role, which holds no IAM action.")
            self.policies.append(policy)


def _tags_roles(statement: Mapping[str, Any]) -> bool:
    actions = statement.get("Action")
    names = [actions] if isinstance(actions, str) else list(actions or [])
    return statement.get("Effect") == "Allow" and any(
        a.lower() in ("iam:tagrole", "iam:untagrole", "iam:createrole", "iam:taguser", "iam:untaguser", "iam:createuser")
        for a in names if isinstance(a, str))


# ----------------------------------------------------------------------- the platform boundary


def platform_boundary_document(
    *,
    boundary_arn: str,
    partition: str,
    account: str,
    iam_resources: Mapping[str, Any],
    unbounded_roles: Sequence[str] = (),
    bootstrap_role_users: Sequence[str] = (),
    protected_policy_arns: Sequence[str] = (),
    guardrail_path: str = "/guardrails/",
    bootstrap_qualifier: str | None = None,
) -> dict[str, Any]:
    """The platform boundary as plain data: it allows what the bounded platform roles' own policies use
    (``<service>:<Verb>*`` of their actions, ``iam_resources["needs"]``), so none loses anything, and denies
    what would escalate: IAM on anything but the app's IAM resources, any permissions boundary change,
    changing this boundary or the guardrail policies, the CDK bootstrap roles (only
    ``bootstrap_role_users`` may assume them; with ``bootstrap_qualifier``, only that qualifier's, and no other
    role: a CI role whose policy a push rewrites must not open the sessions of another qualifier's bootstrap, a
    team's, whose deploy role trusts the account), and Organizations/Account actions no bounded role uses."""
    iam_arn = f"arn:{partition}:iam::{account}"
    needs = sorted({p for role, patterns in (iam_resources.get("needs") or {}).items() if role not in unbounded_roles
                    for p in patterns}, key=str.lower)
    if not needs:
        raise ValueError("no bounded role uses any action: a boundary would allow nothing")
    app = [f"{iam_arn}:{kind}{name}" for kind in ("role", "user", "group", "policy", "instance-profile")
           for name in iam_resources.get(kind, [])]
    app += [f"{iam_arn}:oidc-provider/{host}" for host in iam_resources.get("oidc-provider", [])]
    services = {p.split(":", 1)[0] for p in needs}
    bootstrap_roles = f"{iam_arn}:role/cdk-*"
    statements: list[dict[str, Any]] = [
        {"Sid": "WhatThePlatformRolesUse", "Effect": "Allow", "Action": needs, "Resource": "*"},
        {"Sid": "DenyBoundaryChanges", "Effect": "Deny", "Resource": "*", "Action": [
            "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
            "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"]},
        {"Sid": "DenyBoundaryAndGuardrailPolicyChanges", "Effect": "Deny", "Action": [
            "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
            "iam:TagPolicy", "iam:UntagPolicy"],
         "Resource": [boundary_arn, f"{iam_arn}:policy{guardrail_path}*", *protected_policy_arns]},
        {"Sid": "DenyIamOutsideTheApp", "Effect": "Deny", "Action": "iam:*", "NotResource": app},
        {"Sid": "DenyBootstrapRoles", "Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*", "sts:AssumeRole",
                                                                       "sts:TagSession"], "Resource": bootstrap_roles},
        {"Sid": "DenyBootstrapRoleSessions", "Effect": "Deny", "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Resource": bootstrap_roles,
         **({"Condition": {"ArnNotEquals": {"aws:PrincipalArn": list(bootstrap_role_users)}}} if bootstrap_role_users else {})},
    ]
    if bootstrap_role_users and bootstrap_qualifier:
        statements.append({"Sid": "DenyOtherSessionsOfTheBootstrapRoleUsers", "Effect": "Deny",
                           "Action": ["sts:AssumeRole", "sts:TagSession"],
                           "NotResource": f"{iam_arn}:role/cdk-{bootstrap_qualifier}-*",
                           "Condition": {"ArnEquals": {"aws:PrincipalArn": list(bootstrap_role_users)}}})
    unused = [f"{s}:*" for s in ("account", "organizations") if s not in services]
    if unused:
        statements.append({"Sid": "DenyOrganizationAndAccount", "Effect": "Deny", "Action": unused, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


class PlatformBoundary(Construct):
    """The permissions boundary of every role the platform's CloudFormation execution role creates (a
    customer managed policy, deployed with the execution policies before ``cdk bootstrap``).

    :param managed_policy_name: its name (its ARN is literal: the execution policies name it).
    :param iam_resources: the platform's IAM resources in this account (``iam_inventory``).
    :param unbounded_roles: role (``<path><name>``) -> why it cannot carry the boundary. Default: none.
    :param bootstrap_role_users: role ARN -> why it assumes the CDK bootstrap roles (the CI role). Default: none.
    :param bootstrap_qualifier: the qualifier whose bootstrap roles they assume: they assume no other role (not
        another qualifier's bootstrap roles, a team's, which trust the account). Default: none (any ``cdk-*``).
    :param path: the policy's path. Default: ``/guardrails/``.
    """

    def __init__(self, scope: Construct, id: str, *, managed_policy_name: str, iam_resources: Mapping[str, Any],
                 unbounded_roles: Mapping[str, str] | None = None,
                 bootstrap_role_users: Mapping[str, str] | None = None, path: str = "/guardrails/",
                 bootstrap_qualifier: str | None = None) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            check(v.iam_name, "managed_policy_name", managed_policy_name, max_length=128)
            check(v.iam_path, "path", path)
            if not isinstance(iam_resources, Mapping) or not iam_resources.get("needs"):
                check.fail("iam_resources", iam_resources, "must be one account of iam_inventory(cdk.out)")
            for name, why in {**(unbounded_roles or {}), **(bootstrap_role_users or {})}.items():
                check(v.reason, f"[{name!r}]", why, f"{name!r} is listed")
            if bootstrap_qualifier is not None and (not isinstance(bootstrap_qualifier, str)
                                                    or not _QUALIFIER.match(bootstrap_qualifier)):
                check.fail("bootstrap_qualifier", bootstrap_qualifier,
                           "must be 1 to 10 lower-case letters or digits (a bootstrap qualifier)")
        facts = _facts.scope(scope)
        partition, account = facts.stack.stack.partition, facts.stack.account
        self.managed_policy_arn = f"arn:{partition}:iam::{account}:policy{path}{managed_policy_name}"
        self.document = platform_boundary_document(
            boundary_arn=self.managed_policy_arn, partition=partition, account=account, iam_resources=iam_resources,
            unbounded_roles=list(unbounded_roles or {}), bootstrap_role_users=list(bootstrap_role_users or {}),
            guardrail_path=path, bootstrap_qualifier=bootstrap_qualifier)
        self.policy = iam.ManagedPolicy(
            self, "Policy", managed_policy_name=managed_policy_name, path=path,
            document=iam.PolicyDocument.from_json(self.document),
            description="Permissions boundary of every role the platform's CloudFormation execution role creates")
        reason = ("A permissions boundary grants nothing by itself: it caps every role the platform's execution role "
                  "creates at the verbs of the services those roles' own policies use (computed from the templates), "
                  "and denies IAM outside the app, boundary changes and the bootstrap roles.")
        allow = self.document["Statement"][0]["Action"]
        acknowledge_findings(self.policy, [f"AwsSolutions-IAM5[Action::{a}]" for a in allow if "*" in a]
                             + ["AwsSolutions-IAM5[Resource::*]"], reason)
        _skip_in_checkov(self.policy, [(c, reason) for c in CHECKOV_WIDE])
        if any(a.lower().startswith(("sts:tag", "iam:tag", "iam:create")) for a in allow):
            acknowledge(self.policy, "IamGuardrails-TenantTag", (
                "A permissions boundary grants nothing by itself: the tagging verb is here because a platform role's "
                "own policy uses it (the CI role tags its sessions into the bootstrap roles), and that policy is "
                "checked for the tenant tag on its own."))


def set_iam_paths(scope: Construct, path: str) -> int:
    """Give ``path`` to every role, customer managed policy and instance profile under ``scope`` that has
    neither a name nor a path of its own, so an execution policy can name what CloudFormation names
    (``role<path>*``); a role trusted by exactly one service gets ``<path><service>/`` (``/platform/ec2/``),
    so ``iam:PassRole`` of the roles under it can name exactly that service. A role's path is create-only:
    an existing role is replaced, which the lifecycle gate refuses until that one deploy is acknowledged
    (``cdk.json`` ``lifecycle.acknowledge``; a standing acknowledgment would let the next replacement
    through unreviewed). Returns how many."""
    from aws_cdk import CfnResource

    v.iam_path("path", path)
    changed = 0
    for node in scope.node.find_all():
        if isinstance(node, iam.CfnRole):
            named, current = node.role_name, node.path
        elif isinstance(node, iam.CfnManagedPolicy):
            named, current = node.managed_policy_name, node.path
        elif isinstance(node, iam.CfnInstanceProfile):
            named, current = node.instance_profile_name, node.path
        elif type(node) is CfnResource and node.cfn_resource_type == "AWS::IAM::Role":
            node.add_property_override("Path", path)  # a provider's plain CfnResource role: no name
            changed += 1
            continue
        else:
            continue
        if current in (None, "/") and _resolved(node, named) is None:
            where = path
            if isinstance(node, iam.CfnRole):
                services = _trusted_services(node.stack.resolve(node.assume_role_policy_document))
                if len(services) == 1:  # its own path: iam:PassRole of it names exactly its service
                    where = service_path(path, services[0])
            node.path = where
            changed += 1
    return changed


def _resolved(node: Any, value: Any) -> Any:
    """``value`` of ``node``'s properties resolved, asking Node only when it holds a token."""
    if value is None or (isinstance(value, str) and not v.is_token(value)):
        return value
    return node.stack.resolve(value)


def service_path(path: str, service: str) -> str:
    """The path of a role trusted by ``service`` under ``path``: ``/platform/`` + ``ecs-tasks.amazonaws.com``
    -> ``/platform/ecs-tasks/`` (what ``set_iam_paths`` gives; set it at construction to spare the walk)."""
    return f"{path}{service.split('.')[0]}/"


def _trusted_services(document: Any) -> list[str]:
    statements = (document or {}).get("Statement", []) if isinstance(document, Mapping) else []
    return sorted({s for st in statements if isinstance(st, Mapping) and st.get("Effect") == "Allow"
                   for s in _as_list((st.get("Principal") or {}).get("Service") if isinstance(st.get("Principal"), Mapping) else None)
                   if isinstance(s, str)})


def set_permissions_boundary(scope: Construct, boundary_arn: str, *, except_role_names: Sequence[str] = ()) -> int:
    """Set ``boundary_arn`` on every role under ``scope`` without one, but the roles named in
    ``except_role_names``; returns how many."""
    from aws_cdk import CfnResource

    changed = 0
    for node in scope.node.find_all():
        if isinstance(node, iam.CfnRole):
            if node.permissions_boundary is None and _resolved(node, node.role_name) not in except_role_names:
                node.permissions_boundary = boundary_arn
                changed += 1
        elif type(node) is CfnResource and node.cfn_resource_type == "AWS::IAM::Role":
            node.add_property_override("PermissionsBoundary", boundary_arn)
            changed += 1
    return changed


# ------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m constructs_iam.bootstrap",
        description="Resource types an app deploys, by bootstrap qualifier (what its execution policies must allow).")
    parser.add_argument("assembly", help="the cloud assembly directory (cdk.out)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="FILE", help="write the types to FILE (JSON) for review")
    action.add_argument("--check", metavar="FILE", help="fail when the app deploys a type FILE does not list")
    parser.add_argument("--iam", action="store_true",
                        help="the IAM resources the stacks create (iam_inventory), not the resource types; "
                             "--check then fails on any difference")
    args = parser.parse_args(argv)
    if not (Path(args.assembly) / "manifest.json").exists():
        parser.error(f"{args.assembly} is not a cloud assembly (no manifest.json): run cdk synth first")
    if args.iam:
        inventory = iam_inventory(args.assembly)
        if args.check:
            if json.loads(Path(args.check).read_text()) != inventory:
                print(f"the IAM resources the app creates differ from {args.check} (review, then --write)", file=sys.stderr)
                return 1
            return 0
        text = json.dumps(inventory, indent=1) + "\n"
        if args.write:
            Path(args.write).write_text(text)
        else:
            print(text, end="")
        return 0
    found = resource_types(args.assembly)
    if args.write:
        Path(args.write).write_text(json.dumps(found, indent=2) + "\n")
        return 0
    if args.check:
        reviewed = json.loads(Path(args.check).read_text())
        missing = {q: sorted(set(t) - set(reviewed.get(q, []))) for q, t in found.items()}
        missing = {q: t for q, t in missing.items() if t}
        if missing:
            print(f"resource types not in {args.check} (review, then --write): {json.dumps(missing)}", file=sys.stderr)
            return 1
        return 0
    print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
