"""A CDK bootstrap that is not administrator: CloudFormation execution policies generated from what
the app deploys (see ``docs/delegation.md``).

``cdk bootstrap`` gives its CloudFormation execution role ``AdministratorAccess`` unless
``--cloudformation-execution-policies`` names others. Here those policies are generated:

1. ``resource_types(assembly)``: the resource types of every stack of a cloud assembly, grouped by
   the bootstrap qualifier the stack deploys with (read from its deploy role in the manifest);
2. ``handler_permissions(type)``: the permissions CloudFormation's handlers need to create, update
   and delete that type, from the resource provider schemas that cfn-lint ships
   (``handlers.create/update/delete.permissions``);
3. ``execution_statements(types, ...)``: those actions as statements, IAM's left out when the
   roles are delegated (IAM comes only from a ``RoleCreator``), split in policies that fit IAM's
   6,144-character limit, plus denies that keep the execution role off the bootstrap roles and
   their policies.

The list of types is reviewed and checked in (``python -m constructs_iam.bootstrap cdk.out
--write FILE``); ``--check FILE`` fails when the app deploys a type the list does not hold, so a
new resource type is a reviewed change of what CI may do, never a silent one.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _facts
from . import _validation as v
from ._schemas import iam_actions, resource_schema
from .acknowledgments import _skip_in_checkov, acknowledge, acknowledge_findings

__all__ = [
    "CdkExecutionPolicies",
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
    directory = Path(assembly)
    manifest = json.loads((directory / "manifest.json").read_text())
    found: dict[str, set[str]] = {}
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") == "cdk:cloud-assembly":  # a stage: its own assembly
            nested = (artifact.get("properties") or {}).get("directoryName")
            if nested:
                for qualifier, types in resource_types(directory / nested).items():
                    found.setdefault(qualifier, set()).update(types)
            continue
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties") or {}
        qualifier = _qualifier(properties.get("assumeRoleArn", ""))
        template = json.loads((directory / properties["templateFile"]).read_text())
        found.setdefault(qualifier, set()).update(_types(template, directory))
    return {q: sorted(t - {"AWS::CDK::Metadata"}) for q, t in sorted(found.items())}


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
) -> list[dict[str, Any]]:
    """The statements of an execution role that deploys ``types`` (and nothing else).

    :param delegated: the teams' role: no IAM action from the handlers (IAM comes from a
        ``RoleCreator``), no ``iam:PassRole`` but the creator's. Otherwise the platform's role:
        the handlers' IAM actions, without attaching AdministratorAccess, IAMFullAccess or
        PowerUserAccess to anyone.
    :param protected_policy_arns: the execution policies themselves (and the boundary): the role
        may not change them.
    Raises ``ValueError`` naming the types no schema describes."""
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
    if delegated:
        actions = {a for a in actions if not a.lower().startswith("iam:")}
    iam_arn = f"arn:{partition}:iam::{account}"
    statements: list[dict[str, Any]] = []
    by_service: dict[str, list[str]] = {}
    for action in sorted(actions, key=str.lower):
        by_service.setdefault(action.split(":", 1)[0].lower(), []).append(action)
    for service, names in sorted(by_service.items()):
        statements.append({"Sid": "Deploy" + "".join(p.capitalize() for p in service.split("-")), "Effect": "Allow",
                           "Action": names, "Resource": "*"})
    statements.append({"Sid": "ReadBootstrapVersion", "Effect": "Allow", "Action": "ssm:GetParameters",
                       "Resource": f"arn:{partition}:ssm:{region}:{account}:parameter/cdk-bootstrap/{qualifier}/version"})
    statements.append({"Sid": "DenyBootstrapRolesAndPolicies", "Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"],
                       "Resource": [f"{iam_arn}:role/cdk-*", *protected_policy_arns]})
    if not delegated:
        statements.append({"Sid": "DenyAdministratorPolicies", "Effect": "Deny",
                           "Action": ["iam:AttachGroupPolicy", "iam:AttachRolePolicy", "iam:AttachUserPolicy"],
                           "Resource": "*", "Condition": {"ArnLike": {"iam:PolicyARN": [
                               f"arn:{partition}:iam::aws:policy/{name}" for name in ADMIN_POLICY_NAMES]}}})
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
    """

    def __init__(self, scope: Construct, id: str, *, qualifier: str, resource_types: Sequence[str],
                 delegated: bool = False, protected_policy_arns: Sequence[str] = (), path: str = "/guardrails/") -> None:
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
                                   *protected_policy_arns], schema_region=region if not v.is_token(region) else None))
        self.documents = documents
        self.policy_arns: list[str] = own[:len(documents)]
        self.policies = []
        reason = (f"A CloudFormation execution role acts on resources that do not exist yet: each action is one that "
                  f"CloudFormation's handlers need for a resource type the {qualifier} stacks deploy "
                  "(cfn-lint's resource schemas), reviewed in the checked-in list of types.")
        for n, document in enumerate(documents, start=1):
            policy = iam.ManagedPolicy(
                self, f"Policy{n}", managed_policy_name=f"cdk-{qualifier}-execution-{n}", path=path,
                document=iam.PolicyDocument.from_json(document),
                description=f"CDK bootstrap {qualifier}: CloudFormation execution policy {n} of {len(documents)}")
            acknowledge_findings(policy, ["AwsSolutions-IAM5[Resource::*]"], reason)
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


# ------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m constructs_iam.bootstrap",
        description="Resource types an app deploys, by bootstrap qualifier (what its execution policies must allow).")
    parser.add_argument("assembly", help="the cloud assembly directory (cdk.out)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="FILE", help="write the types to FILE (JSON) for review")
    action.add_argument("--check", metavar="FILE", help="fail when the app deploys a type FILE does not list")
    args = parser.parse_args(argv)
    if not (Path(args.assembly) / "manifest.json").exists():
        parser.error(f"{args.assembly} is not a cloud assembly (no manifest.json): run cdk synth first")
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
