"""The pattern seal: every pattern's role, as synthesized, compared with its pattern's intent.

A pattern registers its intent in process when it is built (``PatternIntent``: trust, identity
policies, boundary, managed policy ARNs, every ``extend_policy`` extension) and writes a record of
it as metadata on its role and on each of its own policies (pattern, path, the policy's construct
path, the digest of its document as intended). At validation the intent is resolved in its stack
(one call to CDK per stack) and compared, in plain Python, with the role's whole access surface in
every template of the app (nested stacks' and StackSets' templates included):

- the metadata on the role and on each own policy must be the record the pattern registered (an
  escape hatch can rewrite metadata, not the process); a record removed, or copied onto another
  resource, fails too;
- the trust policy may not allow more than the intended one (``intent.Intent.compare``);
- an intended boundary must still be there, unchanged;
- every identity policy that reaches the role, by any route (its own ``Policies``,
  ``ManagedPolicyArns`` by reference, import or literal ARN, any policy resource naming it by
  ``Ref``, ``GetAtt``, import, literal name or ARN), may not allow more than the intended
  policies, and every intended ``Deny`` must still reach it;
- no resource policy of any resource type may grant it anything: by ``Principal`` (a reference,
  an import, a literal or ``Fn::Join``-built ARN), or under ``Principal: "*"`` by an
  ``aws:PrincipalArn``/``aws:userid`` condition that matches it. A principal that cannot be
  resolved fails closed (``IamGuardrails-PatternPrincipalUnresolved``, acknowledgeable).

``Fn::If`` is read as every way it can deploy (``templates.statements``); a dynamic reference and a
template CloudFormation rewrites before it deploys (a macro) cannot be read, and fail closed too.

The role and its own policies are recognised by their metadata (checked against the process),
never by logical ids: ``override_logical_id`` and a stack's own id allocation change nothing.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .intent import Atom, Intent, atoms, lost_denies, render, summarize
from .templates import (IDENTITY_POLICY_TYPES, READABLE_TRANSFORMS, Template, as_list, cdk_path, entries,
                        resource_documents, statements)

PATTERN_METADATA = "constructs-iam"

_ROLE_ARN = re.compile(r"^arn:[^:]*:iam::([^:]*):role(/.*)$")
_SESSION_ARN = re.compile(r"^arn:[^:]*:sts::([^:]*):assumed-role/([^/]+)/.*$")
_ROLE_ID = re.compile(r"^AROA[A-Z0-9]{8,}$", re.IGNORECASE)
# the condition keys that name a principal under Principal "*"
_ARN_KEYS = ("aws:principalarn",)
_ID_KEYS = ("aws:userid",)
_TAG_KEY = "aws:principaltag/"  # a tag the role carries (in its template) names it too
# IAM actions that change a role or the policies attached to it
ROLE_WRITE_ACTIONS = (
    "iam:attachrolepolicy", "iam:detachrolepolicy", "iam:putrolepolicy", "iam:deleterolepolicy",
    "iam:updateassumerolepolicy", "iam:putrolepermissionsboundary", "iam:deleterolepermissionsboundary",
    "iam:updaterole", "iam:deleterole", "iam:tagrole", "iam:untagrole",
    "iam:createpolicyversion", "iam:setdefaultpolicyversion",
)


@dataclass
class PatternIntent:
    """What one pattern intends its role to hold, registered in process at construction."""

    pattern: str
    path: str
    stack: Any  # the aws_cdk.Stack to resolve the intent in
    stack_path: str
    template_file: str  # the stack's template (a nested stack is found by it, not by its path)
    fix: str
    record: dict[str, Any]  # the metadata written on the role
    trust: Any
    policies: list[Any] = field(default_factory=list)
    boundary: Any = None
    managed: list[Any] = field(default_factory=list)
    own_policies: list[dict[str, Any]] = field(default_factory=list)  # the metadata written on each own policy
    resolved: dict[str, Any] | None = None
    error: str | None = None
    tenant: str | None = None  # the prefix TenantIsolatedBucket.admit tagged the role with

    def data(self) -> dict[str, Any]:
        return {"trust": self.trust, "policies": self.policies, "boundary": self.boundary, "managed": self.managed}

    def says(self, what: str, where: str | None = None) -> str:
        return (f"{self.path} ({self.pattern}): {what}. Fix: {self.fix or 'change the pattern props'}; "
                f"or, to widen it on purpose, call extend_policy(statements, reason=...) on {self.path}")


_TOKEN_TEXT = re.compile(r"[$#]\{Token\[[^\]]*\]\}|-1\.888154589708\d*e\+289")


def intent_digest(value: Any) -> str:
    """A canonical digest of intent data written in the role's metadata: key order aside, with
    tokens masked (they are resolved only at validation; their numbering is not stable)."""
    import hashlib

    text = _TOKEN_TEXT.sub("<token>", json.dumps(value, sort_keys=True, separators=(",", ":"), default=str))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def resolve(intents: list[PatternIntent]) -> None:
    """Resolve every intent in its own stack: one call to CDK per stack, whatever the patterns."""
    by_stack: dict[int, list[PatternIntent]] = {}
    for intent in intents:
        by_stack.setdefault(id(intent.stack), []).append(intent)
    for group in by_stack.values():
        tokens = sorted({text for intent in group for text in _token_strings(intent.data())})
        try:  # only the strings that hold tokens travel to CDK: documents can be large
            values = dict(zip(tokens, group[0].stack.resolve(tokens))) if tokens else {}
        except Exception as error:  # noqa: BLE001 - fail closed, naming what went wrong
            for intent in group:
                intent.error = str(error).splitlines()[0][:300]
            continue
        for intent in group:
            intent.resolved = _substitute(intent.data(), values)


_TOKEN = "${Token["


def _token_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if _TOKEN in value:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _token_strings(key)
            yield from _token_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _token_strings(item)


def _substitute(value: Any, resolved: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return resolved.get(value, value)
    if isinstance(value, dict):
        return {_key(key, resolved): _substitute(item, resolved) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substitute(item, resolved) for item in value]
    return value


def _key(key: Any, resolved: dict[str, Any]) -> Any:
    value = resolved.get(key, key) if isinstance(key, str) else key
    return value if isinstance(value, str) else render(value)


# ------------------------------------------------------------------------------------ reading


@dataclass(eq=False)
class _Sealed:
    intent: PatternIntent
    template: Template
    logical_id: str
    resource: dict[str, Any]
    reaching: list[tuple[Template, str, dict[str, Any], str, Any]] = field(default_factory=list)

    @property
    def props(self) -> dict[str, Any]:
        return self.resource.get("Properties") or {}

    @property
    def name(self) -> str | None:
        name = self.props.get("RoleName")
        return name if isinstance(name, str) else None

    def arn_parts(self) -> tuple[str, str]:
        """(account, path + name) of the role; a generated name as CloudFormation makes it, '*' for the random part."""
        path = self.props.get("Path") if isinstance(self.props.get("Path"), str) else "/"
        name = self.name or f"{self.template.stack_name or '*'}-{self.logical_id}-*"
        return self.template.account or "*", f"{path}{name}"


class _Analysis:
    """One pass over the assembly for every sealed role; the three seal rules read it."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.assembly = context.assembly
        self.sealed: list[_Sealed] = []
        self.missing: list[tuple[PatternIntent, Template, str]] = []
        self.copies: list[tuple[PatternIntent | None, Template, str, dict[str, Any]]] = []
        self.by_ref: dict[tuple[int, str], _Sealed] = {}
        self.by_name: dict[str, list[_Sealed]] = {}
        self.template_of: dict[int, Template] = {}  # id(intent) -> the template of the pattern's stack
        # own policies, recognised by their metadata and the intent registered in process:
        # (template, logical id, resource, the record registered) for each, keyed by (template, logical id)
        self.own: dict[tuple[int, str], tuple[PatternIntent, dict[str, Any]]] = {}
        self.own_problems: list[tuple[PatternIntent | None, Template, str, dict[str, Any], str]] = []
        self._locate()
        self._locate_own_policies()

    # ------------------------------------------------------------------ where each pattern's role is

    def _locate(self) -> None:
        by_path: dict[str, list[tuple[Template, str, dict[str, Any]]]] = {}
        for template in self.assembly.templates:
            for logical_id, resource in template.resources.items():
                if not isinstance(resource, dict) or resource.get("Type") != "AWS::IAM::Role":
                    continue
                record = (resource.get("Metadata") or {}).get(PATTERN_METADATA)
                if isinstance(record, dict) and isinstance(record.get("path"), str):
                    by_path.setdefault(record["path"], []).append((template, logical_id, resource))
        same_stack = _same_stack
        claimed: set[tuple[int, str]] = set()
        for intent in self.context.intents:
            found = [c for c in by_path.get(intent.path, []) if same_stack(c[0], intent)]
            if found:
                # when a copy claims it too: the role with the registered record, at the role's own path, first
                found.sort(key=lambda c: (_canonical((c[2].get("Metadata") or {}).get(PATTERN_METADATA))
                                          != _canonical(intent.record), cdk_path(c[2], c[1]) != f"{intent.path}/Role/Resource"))
                template, logical_id, resource = found[0]
                claimed.add((id(template), logical_id))
                self.template_of[id(intent)] = template
                sealed = _Sealed(intent, template, logical_id, resource)
                self.sealed.append(sealed)
                self.by_ref[(id(template), logical_id)] = sealed
                if sealed.name:
                    self.by_name.setdefault(sealed.name, []).append(sealed)
                continue
            template = next((t for t in self.assembly.templates if same_stack(t, intent)), None)
            if template is None:
                continue  # the stack's template is not part of this assembly (another stage's)
            self.template_of[id(intent)] = template
            role_path = f"{intent.path}/Role/Resource"
            logical_id = next((lid for lid, r in template.resources.items()
                               if isinstance(r, dict) and cdk_path(r, lid) == role_path), "")
            self.missing.append((intent, template, logical_id))
        # a role's record that no pattern claims was copied (or forged) onto it by an escape hatch
        by_intent_path = {intent.path: intent for intent in self.context.intents}
        for path, candidates in by_path.items():
            for template, logical_id, resource in candidates:
                if (id(template), logical_id) not in claimed:
                    self.copies.append((by_intent_path.get(path), template, logical_id, resource))

    def _locate_own_policies(self) -> None:
        """Each pattern's own policies, by the metadata on their resources (``_pattern._seal``
        writes it): the record must be the one the pattern registered in process, on a resource of
        the pattern's own template; a record no pattern registered there (copied, forged) and a
        registered own policy whose record is gone are problems. Logical ids play no part."""
        claims: dict[str, list[tuple[Template, str, dict[str, Any], dict[str, Any]]]] = {}
        for template in self.assembly.templates:
            for logical_id, resource in template.resources.items():
                record = (resource.get("Metadata") or {}).get(PATTERN_METADATA) if isinstance(resource, dict) else None
                if isinstance(record, dict) and isinstance(record.get("policy"), str):
                    claims.setdefault(record["policy"], []).append((template, logical_id, resource, record))
        recognised: set[tuple[int, str]] = set()
        for intent in self.context.intents:
            template = self.template_of.get(id(intent))
            if template is None:
                continue
            for expected in intent.own_policies:
                here = [c for c in claims.get(expected["policy"], []) if c[0] is template]
                # when a copy claims it too: the claim with the registered record, on the policy's own
                # resource (by its construct path), first
                here.sort(key=lambda c: (_canonical(c[3]) != _canonical(expected),
                                         cdk_path(c[2], c[1]) != expected["policy"] + "/Resource"))
                if not here:  # named on the policy's resource (by its construct path), else on the role
                    role = next((s.logical_id for s in self.sealed if s.intent is intent), "")
                    logical_id = next((lid for lid, r in template.resources.items() if isinstance(r, dict)
                                       and cdk_path(r, lid) == expected["policy"] + "/Resource"), role)
                    self.own_problems.append((intent, template, logical_id, expected, "missing"))
                    continue
                t, logical_id, resource, record = here[0]
                recognised.add((id(t), logical_id))
                if _canonical(record) != _canonical(expected):
                    self.own_problems.append((intent, t, logical_id, resource, "rewritten"))
                else:
                    self.own[(id(t), logical_id)] = (intent, expected)
        by_path = {intent.path: intent for intent in self.context.intents}
        for policy_path, found in claims.items():
            for t, logical_id, resource, record in found:
                if (id(t), logical_id) not in recognised:
                    self.own_problems.append((by_path.get(str(record.get("path"))), t, logical_id, resource, "copied"))

    # ------------------------------------------------------------------ values

    def text(self, value: Any, template: Template) -> tuple[str, set[tuple[int, str]], bool]:
        """``value`` as text (pseudo parameters as the stack's account or '*'), the resources it
        refers to, and whether part of it cannot be resolved from the templates."""
        refs: set[tuple[int, str]] = set()
        unresolved = [False]

        def pseudo(name: str, where: Template) -> str:
            if name == "AWS::AccountId" and where.account:
                return where.account
            return "*"

        def visit(node: Any, where: Template) -> str:
            if isinstance(node, str):
                if "{{resolve:" in node:  # a dynamic reference (SSM, Secrets Manager): known only at deploy
                    unresolved[0] = True
                    return "\x00"
                return node
            if isinstance(node, (int, float, bool)):
                return render(node)
            if isinstance(node, list):
                return ",".join(visit(item, where) for item in node)
            if not isinstance(node, dict) or len(node) != 1:
                unresolved[0] = True
                return "\x00"
            (function, argument), = node.items()
            if function == "Ref" and isinstance(argument, str):
                if argument.startswith("AWS::"):
                    return pseudo(argument, where)
                passed = self.assembly.parameter(where, argument)
                if passed is not None:
                    return visit(passed[1], passed[0])
                if argument in (where.body.get("Parameters") or {}):
                    unresolved[0] = True
                    return "\x00"
                refs.add((id(where), argument))
                return "\x01" + argument
            if function == "Fn::GetAtt":
                parts = argument.split(".", 1) if isinstance(argument, str) else [str(a) for a in as_list(argument)]
                target, attribute = parts[0], parts[1] if len(parts) > 1 else ""
                output = self.assembly.nested_output(where, target, attribute)
                if output is not None:
                    return visit(output[1], output[0])
                kind = str((where.resources.get(target) or {}).get("Type", ""))
                if kind == "Custom::CrossRegionExportReader":  # CDK's cross-region reference: the writer has it
                    written = self._cross_region_export(attribute)
                    if written is not None:
                        return visit(written[1], written[0])
                if kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
                    unresolved[0] = True
                    return "\x00"
                refs.add((id(where), target))
                return "\x01" + target + "." + attribute
            if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 \
                    and isinstance(argument[1], list):
                return str(argument[0]).join(visit(item, where) for item in argument[1])
            if function == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1] or {})

                def substitute(match: re.Match[str]) -> str:
                    name = match.group(1)
                    if name in variables:
                        return visit(variables[name], where)
                    if "." in name:
                        target, attribute = name.split(".", 1)
                        return visit({"Fn::GetAtt": [target, attribute]}, where)
                    return visit({"Ref": name}, where)

                return re.sub(r"\$\{([^}!]+)\}", substitute, str(text))
            if function == "Fn::ImportValue" and isinstance(argument, str):
                exported = self.assembly.exports.get(argument)
                if exported is not None:
                    return visit(exported[1], exported[0])
            if function == "Fn::GetStackOutput":
                for producer, output in self.assembly.stack_output(argument):
                    return visit(output, producer)
            # Fn::Select/Fn::Split (an imported role's name parsed from its ARN), Fn::If, ...: the
            # text is unknown, but what the arguments refer to still counts
            visit(argument, where)
            unresolved[0] = True
            return "\x00"

        text = visit(value, template)
        return text, refs, unresolved[0]

    def _cross_region_export(self, name: str) -> tuple[Template, Any] | None:
        """The value a ``Custom::CrossRegionExportWriter`` of the app writes under ``name``."""
        if "cross-region" not in self.context.cache:
            written: dict[str, tuple[Template, Any]] = {}
            for template in self.assembly.templates:
                for resource in template.resources.values():
                    if isinstance(resource, dict) and resource.get("Type") == "Custom::CrossRegionExportWriter":
                        exports = ((resource.get("Properties") or {}).get("WriterProps") or {}).get("exports")
                        for key, value in (exports.items() if isinstance(exports, dict) else ()):
                            written[str(key)] = (template, value)
            self.context.cache["cross-region"] = written
        return self.context.cache["cross-region"].get(name)

    def normalize(self, value: Any, template: Template) -> Any:
        """``value`` with imports, nested-stack parameters and outputs replaced by what they carry."""
        if isinstance(value, list):
            return [self.normalize(item, template) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (function, argument), = value.items()
            if function == "Fn::ImportValue" and isinstance(argument, str) and argument in self.assembly.exports:
                producer, exported = self.assembly.exports[argument]
                return self.normalize(exported, producer)
            if function == "Ref" and isinstance(argument, str):
                passed = self.assembly.parameter(template, argument)
                if passed is not None:
                    return self.normalize(passed[1], passed[0])
            if function == "Fn::GetAtt":
                parts = argument.split(".", 1) if isinstance(argument, str) else [str(a) for a in as_list(argument)]
                output = self.assembly.nested_output(template, parts[0], parts[1] if len(parts) > 1 else "")
                if output is not None:
                    return self.normalize(output[1], output[0])
            if function == "Fn::GetStackOutput":
                for producer, output in self.assembly.stack_output(argument):
                    return self.normalize(output, producer)
        return {key: self.normalize(item, template) for key, item in value.items()}

    # ------------------------------------------------------------------ which pattern roles a value names

    def roles_named(self, value: Any, template: Template, *, wildcards: bool = False,
                    user_id: bool = False) -> tuple[set[_Sealed], set[_Sealed], bool]:
        """(roles ``value`` names, roles it certainly does not, whether it cannot be resolved)."""
        included: set[_Sealed] = set()
        unresolved = False
        for item in as_list(value):
            text, refs, broken = self.text(item, template)
            for ref in refs:
                sealed = self.by_ref.get(ref)
                if sealed is not None:
                    included.add(sealed)
            if refs or included:
                continue
            if broken:
                unresolved = True
                continue
            if user_id:
                if text.startswith("*"):
                    included.update(self.sealed)
                elif text.upper().startswith("AROA"):
                    unresolved = True
                continue
            if _ROLE_ID.match(text):  # a role's unique id: which role it is, only IAM knows
                unresolved = True
                continue
            included.update(self._literal(text, wildcards))
        return included, set(self.sealed) - included, unresolved

    def _literal(self, text: str, wildcards: bool) -> list[_Sealed]:
        """The pattern roles a literal names: an ARN (a role's, or a session's ``assumed-role``
        ARN) or a role name. IAM role names are unique whatever their case, so case is ignored."""
        if text == "*" and wildcards:
            return list(self.sealed)
        text = text.lower()
        session = _SESSION_ARN.match(text)
        if session is not None:  # arn:aws:sts::<account>:assumed-role/<name>/<session>: no path
            return [s for s in self.sealed if self._names(s, session.group(1), "/" + session.group(2), wildcards,
                                                           any_path=True)]
        match = _ROLE_ARN.match(text)
        if match is None:
            name = text if not wildcards or not any(c in text for c in "*?") else None
            return [s for s in self.sealed if s.name is not None and s.name.lower() == name] if name else []
        account, rest = match.groups()
        return [s for s in self.sealed if self._names(s, account, rest, wildcards)]

    @staticmethod
    def _names(sealed: _Sealed, account: str, rest: str, wildcards: bool, any_path: bool = False) -> bool:
        """Whether the (lower case) ``account`` and ``path/name`` of an ARN name ``sealed``'s role."""
        role_account, role_rest = sealed.arn_parts()
        role_rest = role_rest.lower()
        if any_path:  # a session ARN carries the role's name only
            role_rest = "/" + role_rest.rsplit("/", 1)[-1]
        if "*" not in role_account and account not in ("*", role_account) and not (
                wildcards and fnmatch.fnmatchcase(role_account, account)):
            return False
        if sealed.name is not None:
            return rest == role_rest or (wildcards and fnmatch.fnmatchcase(role_rest, rest))
        if wildcards and any(c in rest for c in "*?"):
            return fnmatch.fnmatchcase(role_rest.replace("-*", "-abcdefghijkl"), rest)
        return fnmatch.fnmatchcase(rest, role_rest)


def _same_stack(template: Template, intent: PatternIntent) -> bool:
    """Whether ``template`` is the template of ``intent``'s stack (by its file: nested stacks' and
    StackSets' templates have no stack of their own in the manifest)."""
    if template.path.rsplit("/", 1)[-1] != intent.template_file:
        return False
    return template.parent is not None or template.stackset or template.stack_path in ("", intent.stack_path)


def _canonical(record: Any) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)


def _analysis(context: Any) -> _Analysis:
    cached = context.cache.get("seal")
    if cached is None:
        cached = context.cache["seal"] = _Analysis(context)
    return cached


# --------------------------------------------------------------------------------------- rules


def widenings(context: Any, rule: str) -> Iterator[Any]:
    from .rules import Finding

    analysis = _analysis(context)
    for intent, template, logical_id in analysis.missing:
        yield Finding(rule, template, logical_id or "", "Metadata", intent.says(
            f"the pattern's role no longer carries its {PATTERN_METADATA} metadata in {template.stack_path} "
            "(removed or rewritten by an escape hatch), so its content cannot be compared with the intent"))
    for claimed, template, logical_id, resource in analysis.copies:
        shown = cdk_path(resource, logical_id)
        what = (f"the role {shown} carries the {PATTERN_METADATA} metadata of the pattern's role, which the pattern "
                "did not register there (copied or forged by an escape hatch)")
        yield Finding(rule, template, logical_id, f"Metadata/{PATTERN_METADATA}", claimed.says(what, shown)
                      if claimed is not None else what + "; no pattern of this app registered it. Fix: remove that metadata")
    yield from _own_policy_records(analysis, rule)
    for sealed in analysis.sealed:
        yield from _compare_role(analysis, sealed, rule)
    yield from _identity_policies(analysis, rule)
    for finding in _resource_policies(analysis, rule):
        if finding.rule == rule:
            yield finding


def unresolved(context: Any, rule: str) -> Iterator[Any]:
    analysis = _analysis(context)
    for finding in _resource_policies(analysis, rule):
        if finding.rule == rule:
            yield finding


def _own_policy_records(analysis: _Analysis, rule: str) -> Iterator[Any]:
    """The metadata of every pattern's own policies, against what each pattern registered."""
    from .rules import Finding

    for intent, template, logical_id, subject, problem in analysis.own_problems:
        where = f"Metadata/{PATTERN_METADATA}"
        if problem == "missing":
            what = (f"its own policy {subject['policy']} no longer carries its {PATTERN_METADATA} metadata in "
                    f"{template.stack_path or template.path} (removed by an escape hatch, or the policy removed), so "
                    "the seal cannot recognise it")
            yield Finding(rule, template, logical_id, where if logical_id else "Resources",
                          intent.says(what) if intent is not None else what)
            continue
        shown = cdk_path(subject, logical_id)
        if problem == "rewritten":
            what = (f"the {PATTERN_METADATA} metadata on its own policy {shown} is not what the pattern registered "
                    "(an escape hatch rewrote it)")
        else:
            record = (subject.get("Metadata") or {}).get(PATTERN_METADATA) or {}
            what = (f"{subject.get('Type')} {shown} carries the {PATTERN_METADATA} metadata of the pattern's own policy "
                    f"{record.get('policy')}, which the pattern did not register there (copied or forged by an "
                    "escape hatch)")
        if intent is None:
            what += "; no pattern of this app registered it. Fix: remove that metadata"
        yield Finding(rule, template, logical_id, where, intent.says(what, shown) if intent is not None else what)


def _compare_role(analysis: _Analysis, sealed: _Sealed, rule: str) -> Iterator[Any]:
    from .rules import Finding

    intent, template, logical_id = sealed.intent, sealed.template, sealed.logical_id
    record = (sealed.resource.get("Metadata") or {}).get(PATTERN_METADATA)
    if json.dumps(record, sort_keys=True) != json.dumps(intent.record, sort_keys=True):
        yield Finding(rule, template, logical_id, f"Metadata/{PATTERN_METADATA}", intent.says(
            f"the {PATTERN_METADATA} metadata on the pattern's role is not what the pattern registered "
            "(an escape hatch rewrote it)", cdk_path(sealed.resource, logical_id)))
    if intent.resolved is None:
        yield Finding(rule, template, logical_id, "Properties", intent.says(
            f"the pattern's intent could not be resolved in its stack ({intent.error}); the seal fails closed"))
        return
    resolved = intent.resolved
    trust = Intent([analysis.normalize(resolved["trust"], template)])
    comparison = trust.compare(atoms(analysis.normalize(sealed.props.get("AssumeRolePolicyDocument"), template)))
    if comparison.widened:
        yield Finding(rule, template, logical_id, "Properties/AssumeRolePolicyDocument", intent.says(
            f"its trust policy {summarize(comparison)} beyond what the pattern intended",
            cdk_path(sealed.resource, logical_id)))
    boundary = resolved.get("boundary")
    if boundary is not None:
        actual = sealed.props.get("PermissionsBoundary")
        wanted = render(analysis.normalize(boundary, template))
        if actual is None:
            yield Finding(rule, template, logical_id, "Properties/PermissionsBoundary", intent.says(
                f"its permissions boundary {wanted} was removed (PermissionsBoundary.of(...).clear() or an "
                "escape hatch)", cdk_path(sealed.resource, logical_id)))
        elif render(analysis.normalize(actual, template)) != wanted:
            yield Finding(rule, template, logical_id, "Properties/PermissionsBoundary", intent.says(
                f"its permissions boundary {wanted} was replaced by {render(actual)}, which may allow more",
                cdk_path(sealed.resource, logical_id)))


def _identity_policies(analysis: _Analysis, rule: str) -> Iterator[Any]:
    """Every identity policy reaching a pattern's role, compared with its intended policies."""
    from .rules import Finding

    if not analysis.sealed:
        return
    seen: set[tuple[int, str, int]] = set()
    managed_by_name: dict[str, list[tuple[Template, str, dict[str, Any]]]] = {}
    for template in analysis.assembly.templates:
        for logical_id, resource in template.resources.items():
            if isinstance(resource, dict) and resource.get("Type") == "AWS::IAM::ManagedPolicy":
                name = (resource.get("Properties") or {}).get("ManagedPolicyName")
                if isinstance(name, str):
                    managed_by_name.setdefault(name, []).append((template, logical_id, resource))

    def reach(sealed: _Sealed, template: Template, logical_id: str, resource: dict[str, Any]) -> None:
        key = (id(template), logical_id, id(sealed))
        if key not in seen:
            seen.add(key)
            sealed.reaching.append((template, logical_id, resource, "Properties/PolicyDocument",
                                    (resource.get("Properties") or {}).get("PolicyDocument")))

    for template in analysis.assembly.templates:
        for logical_id, resource in template.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") not in IDENTITY_POLICY_TYPES:
                continue
            props = resource.get("Properties") or {}
            targets = [props.get(p) for p in ("Roles", "RoleName") if props.get(p) is not None]
            if not targets:
                continue
            named, _, _ = analysis.roles_named(targets, template)
            for sealed in named:
                reach(sealed, template, logical_id, resource)
    for sealed in analysis.sealed:
        intent = sealed.intent
        if intent.resolved is None:
            continue
        template, props = sealed.template, sealed.props
        for index, policy in enumerate(entries(props.get("Policies"))):
            if isinstance(policy, dict):
                sealed.reaching.append((template, sealed.logical_id, sealed.resource,
                                        f"Properties/Policies/{index}/PolicyDocument", policy.get("PolicyDocument")))
        intended_arns = {analysis.text(arn, template)[0] for arn in as_list(intent.resolved.get("managed"))}
        for arn in entries(props.get("ManagedPolicyArns")):
            text, refs, broken = analysis.text(arn, template)
            policies = [(t, lid, r) for t in analysis.assembly.templates for (tid, lid) in refs if id(t) == tid
                        for r in [t.resources.get(lid)] if isinstance(r, dict) and r.get("Type") == "AWS::IAM::ManagedPolicy"]
            if not policies and ":policy/" in text and ":iam::aws:" not in text:
                policies = managed_by_name.get(text.rsplit("/", 1)[-1], [])
            if policies:
                for t, lid, r in policies:
                    reach(sealed, t, lid, r)
                continue
            if text in intended_arns and not broken:
                continue
            yield Finding(rule, template, sealed.logical_id, "Properties/ManagedPolicyArns", intent.says(
                f"managed policy {render(arn) if broken else text} is attached to the pattern's role, beyond the "
                "managed policies the pattern intended", cdk_path(sealed.resource, sealed.logical_id)))
        wanted = Intent([analysis.normalize(d, template) for d in as_list(intent.resolved.get("policies"))])
        denies: list[Atom] = []
        for t, lid, r, location, document in sealed.reaching:
            found = list(atoms(analysis.normalize(document, t)))
            denies.extend(a for a in found if a.effect != "Allow")
            comparison = wanted.compare(a for a in found if a.effect == "Allow")
            if comparison.extra:
                own = analysis.own.get((id(t), lid))
                kind = "its own policy" if own is not None and own[0] is intent else "policy"
                yield Finding(rule, t, lid, location, intent.says(
                    f"{kind} {cdk_path(r, lid)} {summarize(comparison)} beyond what the pattern intended",
                    cdk_path(r, lid)))
        lost = lost_denies(wanted.deny.values(), denies)
        if lost:
            from .intent import Comparison

            yield Finding(rule, template, sealed.logical_id, "Properties/ManagedPolicyArns", intent.says(
                f"the pattern's role {summarize(Comparison([], lost))} (a deny policy of the pattern was detached, "
                "emptied or given a condition)", cdk_path(sealed.resource, sealed.logical_id)))


def _resource_policies(analysis: _Analysis, rule: str) -> Iterator[Any]:
    """Every resource policy, of any resource type, that grants a pattern's role something."""
    from .rules import Finding

    cache = analysis.context.cache
    if "resource-findings" not in cache:
        found: list[Any] = []
        if analysis.sealed:
            found.extend(_rewritten_at_deploy(analysis, Finding))
            for template in analysis.assembly.templates:
                for logical_id, resource in template.resources.items():
                    if isinstance(resource, dict):
                        found.extend(_grants(analysis, template, logical_id, resource, Finding))
        cache["resource-findings"] = found
    yield from cache["resource-findings"]


_WIDENED, _UNRESOLVED = "IamGuardrails-PatternWidened", "IamGuardrails-PatternPrincipalUnresolved"




def _rewritten_at_deploy(analysis: _Analysis, Finding: Any) -> Iterator[Any]:
    """Templates that CloudFormation rewrites before it deploys them (a macro, ``AWS::Include``, a
    ``Fn::ForEach`` of resources): what deploys is not what the seal reads, so it fails closed."""
    for template in analysis.assembly.templates:
        transforms = [t if isinstance(t, str) else render(t) for t in as_list(template.body.get("Transform"))]
        unreadable = [t for t in transforms if t not in READABLE_TRANSFORMS]
        unreadable += [str(key) for key, value in template.resources.items() if not isinstance(value, dict)]
        if not unreadable:
            continue
        logical_id = next((s.logical_id for s in analysis.sealed if s.template is template),
                          next((k for k, v in template.resources.items() if isinstance(v, dict)), ""))
        yield Finding(_UNRESOLVED, template, logical_id, "Transform", (
            f"the template of {template.stack_path or template.path} is rewritten by CloudFormation before it deploys "
            f"({', '.join(unreadable)}): the seal cannot read what that deploys, and it may reach a pattern's role. "
            "Build those resources with CDK instead, or acknowledge IamGuardrails-PatternPrincipalUnresolved on "
            f"{cdk_path(template.resources.get(logical_id) or {}, logical_id)} with the reason"))


def _grants(analysis: _Analysis, template: Template, logical_id: str, resource: dict[str, Any],
            Finding: Any) -> Iterator[Any]:
    kind = str(resource.get("Type", ""))
    if kind in IDENTITY_POLICY_TYPES:  # attached to a role the templates cannot name: it might be a pattern's
        props = resource.get("Properties") or {}
        targets = [props.get(p) for p in ("Roles", "RoleName") if props.get(p) is not None]
        named, _, broken = analysis.roles_named(targets, template) if targets else (set(), set(), False)
        if broken and not named:
            yield Finding(_UNRESOLVED, template, logical_id, "Properties/Roles" if "Roles" in props else "Properties/RoleName", (
                f"{kind} {cdk_path(resource, logical_id)} is attached to a role the seal cannot resolve from the "
                "templates (a parameter, an import of an export outside the app...); it might be a pattern's role. "
                "Name the role by reference or literal name, or acknowledge IamGuardrails-PatternPrincipalUnresolved "
                "on this policy with the reason"))
        return
    documents = list(resource_documents(resource))
    if kind == "AWS::IAM::Role" and (id(template), logical_id) not in analysis.by_ref:
        documents.append(("Properties/AssumeRolePolicyDocument",
                          (resource.get("Properties") or {}).get("AssumeRolePolicyDocument")))
    where = cdk_path(resource, logical_id)
    for location, document in documents:
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid") or "(no Sid)"
            named, unresolved = _statement_names(analysis, template, statement)
            for sealed in named:
                yield Finding(_WIDENED, template, logical_id, location, sealed.intent.says(
                    f"{kind} statement {sid} of {where} grants the pattern's role access from outside the pattern",
                    where))
            if unresolved and not named:
                yield Finding(_UNRESOLVED, template, logical_id, location, (
                    f"{kind} statement {sid} of {where} allows a principal the seal cannot resolve from the "
                    "templates; it might be a pattern's role. Name it by ARN or reference, or acknowledge "
                    "IamGuardrails-PatternPrincipalUnresolved on this resource with the reason"))
    if kind.endswith("::Permission") and "Principal" in (resource.get("Properties") or {}):
        principal = (resource.get("Properties") or {}).get("Principal")
        named, _, broken = analysis.roles_named(principal, template)
        for sealed in named:
            yield Finding(_WIDENED, template, logical_id, "Properties/Principal", sealed.intent.says(
                f"{kind} {where} grants the pattern's role access from outside the pattern", where))
        if broken and not named:
            yield Finding(_UNRESOLVED, template, logical_id, "Properties/Principal", (
                f"{kind} {where} names a principal the seal cannot resolve from the templates; it might be a "
                "pattern's role"))


def _statement_names(analysis: _Analysis, template: Template, statement: dict[str, Any]) -> tuple[set[_Sealed], bool]:
    if "NotPrincipal" in statement:
        # an Allow for everyone but the listed principals lets every pattern role it does not list in
        excluded: list[Any] = []
        not_principal = statement.get("NotPrincipal")
        if isinstance(not_principal, dict):
            excluded = [item for item in as_list(not_principal.get("AWS")) if item != "*"]
        listed, _, _ = analysis.roles_named(excluded, template) if excluded else (set(), set(), False)
        named = set(analysis.sealed) - listed
        by_condition, unknown = _condition_names(analysis, template, statement.get("Condition"))
        return (named if by_condition is None else named & by_condition), unknown
    principal = statement.get("Principal")
    if principal is None:
        return set(), False
    values: list[Any] = []
    anyone = principal == "*"
    if isinstance(principal, dict):
        for kind, items in principal.items():
            if kind == "AWS":
                for item in as_list(items):
                    if item == "*":
                        anyone = True
                    else:
                        values.append(item)
    named, _, unresolved = analysis.roles_named(values, template) if values else (set(), set(), False)
    if anyone:
        by_condition, unknown = _condition_names(analysis, template, statement.get("Condition"))
        named |= by_condition or set()
        unresolved = unresolved or unknown
    return named, unresolved


def _condition_names(analysis: _Analysis, template: Template, condition: Any) -> tuple[set[_Sealed] | None, bool]:
    """Under Principal '*' (or NotPrincipal): the pattern roles that aws:PrincipalArn / aws:userid
    conditions let in; None when no such condition restricts the principal. A negated operator
    (StringNotEquals, ArnNotLike...) lets in every pattern role it does not name."""
    if not isinstance(condition, dict):
        return None, False
    outcomes: list[tuple[set[_Sealed], set[_Sealed], bool]] = []
    for operator, block in condition.items():
        op = str(operator).lower().removeprefix("forallvalues:").removeprefix("foranyvalue:")
        if not isinstance(block, dict) or op.startswith("null"):
            continue
        negated = "not" in op
        like = "like" in op or op.startswith("arn")
        for key, value in block.items():
            key = str(key).lower()
            if key.startswith(_TAG_KEY):
                included, broken = _roles_tagged(analysis, template, key[len(_TAG_KEY):], value, like=like,
                                                 ignore_case="ignorecase" in op)
                if negated:
                    included = set(analysis.sealed) - included
                outcomes.append((included, set(), broken))
                continue
            if key not in _ARN_KEYS and key not in _ID_KEYS:
                continue
            included, excluded, broken = analysis.roles_named(value, template, wildcards=like,
                                                              user_id=key in _ID_KEYS)
            if key in _ID_KEYS and broken:
                excluded = set()
            if negated:
                included, excluded = set(analysis.sealed) - included, included
            outcomes.append((included, excluded, broken))
    if not outcomes:
        return None, False
    possible, definite, unknown = set(analysis.sealed), False, False
    for included, _excluded, broken in outcomes:
        if broken:
            unknown = True
            continue
        possible &= included
        definite = True
    if definite:
        return possible, False  # every condition that can be read must let the role in (they AND)
    return set(), unknown


def _roles_tagged(analysis: _Analysis, template: Template, tag: str, value: Any, *, like: bool,
                  ignore_case: bool) -> tuple[set[_Sealed], bool]:
    """(the pattern roles whose template tag ``tag`` an ``aws:PrincipalTag/<tag>`` condition with
    ``value`` matches, whether the condition's value cannot be resolved). A tag value the templates
    cannot resolve matches (fails closed)."""
    wanted: list[str] = []
    for item in as_list(value):
        text, _, broken = analysis.text(item, template)
        if broken or "${" in text:  # a policy variable: whatever the caller carries
            return set(analysis.sealed), False
        wanted.append(text.lower() if ignore_case else text)
    found: set[_Sealed] = set()
    for sealed in analysis.sealed:
        for entry in entries(sealed.props.get("Tags")):
            if not isinstance(entry, dict) or str(entry.get("Key", "")).lower() != tag:
                continue
            text, _, broken = analysis.text(entry.get("Value"), sealed.template)
            text = text.lower() if ignore_case else text
            if broken or any(text == w or (like and fnmatch.fnmatchcase(text, w)) for w in wanted):
                found.add(sealed)
    return found, False


# ------------------------------------------------------------------------------ deploy-time code


def deploy_time_writers(context: Any, rule: str) -> Iterator[Any]:
    """Functions (and the custom resources they back) whose role may rewrite a pattern's role."""
    from .rules import Finding

    analysis = _analysis(context)
    if not analysis.sealed:
        return
    for template, logical_id, resource, writes in executors_with_role_writes(analysis):
        names = ", ".join(sorted({s.intent.path for s in writes}))
        yield Finding(rule, template, logical_id, "Properties/Role", (
            f"{resource.get('Type')} {cdk_path(resource, logical_id)} runs with a role that holds IAM write "
            f"actions on the pattern role(s) {names}; deploy-time code can change them after synth, where no "
            "template shows it"))


def executors_with_role_writes(analysis: _Analysis) -> Iterator[tuple[Template, str, dict[str, Any], set[_Sealed]]]:
    """(template, logical id, function, pattern roles its role may write) for every Lambda function."""
    roles: dict[tuple[int, str], list[Any]] = {}
    for template in analysis.assembly.templates:
        for logical_id, resource in template.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") not in IDENTITY_POLICY_TYPES:
                continue
            props = resource.get("Properties") or {}
            for target in as_list(props.get("Roles")) + as_list(props.get("RoleName")):
                _, refs, _ = analysis.text(target, template)
                for ref in refs:
                    roles.setdefault(ref, []).append((template, props.get("PolicyDocument")))
    for template in analysis.assembly.templates:
        for logical_id, resource in template.resources.items():
            if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::Function":
                continue
            _, refs, _ = analysis.text((resource.get("Properties") or {}).get("Role"), template)
            writes: set[_Sealed] = set()
            for ref in refs:
                role = next((t.resources.get(ref[1]) for t in analysis.assembly.templates if id(t) == ref[0]), None)
                documents = list(roles.get(ref, []))
                if isinstance(role, dict):
                    role_template = next(t for t in analysis.assembly.templates if id(t) == ref[0])
                    documents += [(role_template, p.get("PolicyDocument"))
                                  for p in entries((role.get("Properties") or {}).get("Policies")) if isinstance(p, dict)]
                    for arn in entries((role.get("Properties") or {}).get("ManagedPolicyArns")):
                        name = analysis.text(arn, role_template)[0].rsplit("/", 1)[-1]
                        if name in ("AdministratorAccess", "IAMFullAccess"):
                            writes.update(analysis.sealed)
                for where, document in documents:
                    for atom in atoms(document):
                        if atom.effect != "Allow" or atom.action.startswith("!"):
                            continue
                        if not any(fnmatch.fnmatchcase(action, atom.action) for action in ROLE_WRITE_ACTIONS):
                            continue
                        resource_value = atom.resource or "*"
                        if resource_value.startswith("!"):
                            writes.update(analysis.sealed)
                            continue
                        writes.update(_resource_roles(analysis, resource_value, where, document))
            if writes:
                yield template, logical_id, resource, writes


def _resource_roles(analysis: _Analysis, rendered: str, template: Template, document: Any) -> set[_Sealed]:
    """Pattern roles an identity statement's (rendered) resource may name."""
    if rendered == "*":
        return set(analysis.sealed)
    found: set[_Sealed] = set()
    for sealed in analysis.sealed:
        if f"${{{sealed.logical_id}" in rendered and sealed.template is template:
            found.add(sealed)
    text = re.sub(r"\$\{AWS::[A-Za-z]+\}", "*", rendered)
    if "${" not in text:
        found.update(analysis._literal(text, wildcards=True))
    return found


def deploy_time_writers_in(templates: list[Template]) -> list[dict[str, Any]]:
    """For a cloud assembly read from disk (the access report): every Lambda function whose role
    holds IAM write actions on a role that carries a pattern's metadata."""
    from types import SimpleNamespace

    from .templates import Assembly

    assembly = Assembly(templates)
    intents = []
    for template in templates:
        for resource in template.resources.values():
            record = (resource.get("Metadata") or {}).get(PATTERN_METADATA) if isinstance(resource, dict) else None
            if resource.get("Type") == "AWS::IAM::Role" and isinstance(record, dict) and isinstance(record.get("path"), str):
                intents.append(PatternIntent(
                    pattern=str(record.get("pattern")), path=record["path"], stack=None,
                    stack_path=template.stack_path, template_file=template.path.rsplit("/", 1)[-1],
                    fix=str(record.get("fix", "")), record=record, trust=None))
    context = SimpleNamespace(assembly=assembly, intents=intents, cache={})
    analysis = _analysis(context)
    return [{"function": cdk_path(resource, logical_id), "type": resource.get("Type"),
             "patterns": sorted({s.intent.path for s in writes})}
            for _, logical_id, resource, writes in executors_with_role_writes(analysis)]
