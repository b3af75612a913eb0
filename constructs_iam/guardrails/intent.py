"""Compare what a role ends up with against what its pattern intended: pure Python over policy JSON.

A policy document is exploded into *atoms*: one (effect, principal, action, resource, conditions)
per combination its statement allows or denies. Content is then compared by meaning, not by
layout: splitting, merging (``@aws-cdk/aws-iam:minimizePolicies``), reordering or renaming a
policy changes nothing, and

- an ``Allow`` atom that no intended ``Allow`` atom covers is a widening (a new action, a broader
  resource or principal, a condition removed or loosened);
- an intended ``Deny`` atom that no ``Deny`` of the role covers any more is a widening (a removed
  deny, a deny given a condition);
- anything else (an added ``Deny``, an added condition, a removed ``Allow``) narrows, and passes.

Values are compared as rendered strings (``render``): CloudFormation intrinsics become
``${LogicalId}``/``${LogicalId.Attr}``/``${AWS::Pseudo}`` inside the text, so a token resolved
by CDK in process and the same token in the template read the same.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .templates import as_list, statements

# Condition operators whose values are a set of allowed values: fewer values is narrower.
_SET_OPERATORS = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
                  "ipaddress", "binaryequals")
_LIKE_OPERATORS = ("stringlike", "arnlike", "arnequals")  # ArnEquals also matches wildcards


def render(value: Any) -> str:
    """A template value as one string: intrinsics inlined as ``${...}``, so equal tokens read equal."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref" and isinstance(argument, str):
            return "${" + argument + "}"
        if function == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else [render(a) for a in as_list(argument)]
            return "${" + ".".join(str(p) for p in parts) + "}"
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            delimiter, items = argument
            if isinstance(items, list):
                return str(delimiter).join(render(item) for item in items)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
            for name, sub in (variables or {}).items():
                text = text.replace("${" + name + "}", render(sub))
            return str(text)
        if function == "Fn::ImportValue":
            return "${Import:" + render(argument) + "}"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


Condition = tuple[str, str, frozenset[str]]


@dataclass(frozen=True)
class Atom:
    """One thing a statement allows or denies."""

    effect: str
    principal: tuple[str, str] | None  # ("AWS" | "Service" | "Federated" | "CanonicalUser" | "*", value)
    action: str  # lower case; "!" prefix for NotAction
    resource: str | None  # "!" prefix for NotResource; None in a trust policy
    conditions: frozenset[Condition]
    sid: str = ""
    shown: str = ""  # the action as written (``action`` is lower case, IAM actions are case-insensitive)

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.effect, self.principal, self.action, self.resource, self.conditions)

    def describe(self) -> str:
        action = self.shown or (self.action[1:] if self.action.startswith("!") else self.action)
        text = f"{'every action but ' if self.action.startswith('!') else ''}{action}"
        if self.resource is not None:
            resource = self.resource[1:] if self.resource.startswith("!") else self.resource
            text += f" on {'everything but ' if self.resource.startswith('!') else ''}{resource}"
        if self.principal is not None:
            text += f" to {self.principal[0]} {self.principal[1]}" if self.principal[0] != "*" else " to any principal ('*')"
        return text


def conditions_of(block: Any) -> frozenset[Condition]:
    found: set[Condition] = set()
    if not isinstance(block, dict):
        return frozenset()
    for operator, entries in block.items():
        if not isinstance(entries, dict):
            found.add((str(operator).lower(), "", frozenset({render(entries)})))
            continue
        for key, values in entries.items():
            rendered = {render(v) for v in as_list(values)}
            if str(operator).lower().startswith("bool") or str(operator).lower().startswith("null"):
                rendered = {r.lower() for r in rendered}
            found.add((str(operator).lower(), str(key).lower(), frozenset(rendered)))
    return frozenset(found)


def _principals(statement: dict[str, Any]) -> list[tuple[str, str] | None]:
    if "Principal" not in statement and "NotPrincipal" not in statement:
        return [None]
    negated = "NotPrincipal" in statement
    value = statement.get("NotPrincipal" if negated else "Principal")
    result: list[tuple[str, str] | None] = []
    if value == "*":
        result.append(("*", "*"))
    elif isinstance(value, dict):
        for kind, items in value.items():
            for item in as_list(items):
                rendered = render(item)
                result.append(("*", "*") if kind == "AWS" and rendered == "*" else (str(kind), rendered))
    else:
        result.append(("?", render(value)))
    return [(("!" + p[0]), p[1]) if negated and p is not None else p for p in result]


def atoms(document: Any) -> Iterator[Atom]:
    """Every atom of a policy document (a dict, a JSON string, or a list of statements)."""
    for index, statement in enumerate(statements(document)):
        effect = str(statement.get("Effect", "Allow"))
        sid = str(statement.get("Sid") or f"#{index + 1}")
        conditions = conditions_of(statement.get("Condition"))
        if "NotAction" in statement:
            actions = ["!" + render(a) for a in as_list(statement["NotAction"])]
        else:
            actions = [render(a) for a in as_list(statement.get("Action"))]
        if "NotResource" in statement:
            resources: list[str | None] = ["!" + render(r) for r in as_list(statement["NotResource"])]
        elif "Resource" in statement:
            resources = [render(r) for r in as_list(statement["Resource"])]
        else:
            resources = [None]
        for principal in _principals(statement):
            for action in actions:
                for resource in resources:
                    yield Atom(effect, principal, action.lower(), resource, conditions, sid, action.lstrip("!"))


def _matches(pattern: str | None, value: str | None) -> bool:
    """Whether ``pattern`` (an intended action/resource, ``*``/``?`` wildcards) covers ``value``."""
    if pattern is None or value is None:
        return pattern is value
    if pattern.startswith("!") or value.startswith("!"):
        return pattern == value
    if "${AWS::Partition}" in pattern and value.startswith("arn:"):
        # the intent's partition is the one the stack deploys to; a literal ARN names one partition
        partition = value.split(":", 2)[1]
        if re.fullmatch(r"aws(-[a-z]+)*", partition):
            pattern = pattern.replace("${AWS::Partition}", partition)
    if pattern == value:
        return True
    return ("*" in pattern or "?" in pattern) and fnmatch.fnmatchcase(value, pattern)


def _condition_at_least(actual: frozenset[Condition], intended: frozenset[Condition]) -> list[Condition]:
    """The intended conditions that ``actual`` does not keep as strict: [] when all are kept."""
    by_key: dict[tuple[str, str], frozenset[str]] = {(op, key): values for op, key, values in actual}
    missing = []
    for op, key, values in sorted(intended, key=lambda c: (c[0], c[1], sorted(c[2]))):
        kept = by_key.get((op, key))
        if kept is None:
            missing.append((op, key, values))
        elif kept == values:
            continue
        elif op.removeprefix("forallvalues:").removeprefix("foranyvalue:") in _SET_OPERATORS:
            like = op in _LIKE_OPERATORS
            if not all(any(v == i or (like and fnmatch.fnmatchcase(v, i)) for i in values) for v in kept):
                missing.append((op, key, values))
        elif op.startswith("numericless") and _numbers_below(kept, values):
            continue
        elif op.startswith("numericgreater") and _numbers_below(values, kept):
            continue
        elif op.startswith("dateless") and _numbers_below(_moments(kept), _moments(values)):
            continue  # an earlier end (an expiry brought forward) is a narrowing
        elif op.startswith("dategreater") and _numbers_below(_moments(values), _moments(kept)):
            continue
        else:
            missing.append((op, key, values))
    return missing


def _numbers_below(kept: frozenset[str], values: frozenset[str]) -> bool:
    try:
        return max(float(v) for v in kept) <= min(float(v) for v in values)
    except ValueError:
        return False


def _moments(values: frozenset[str]) -> frozenset[str]:
    """IAM date values (ISO 8601 or epoch seconds) as epoch seconds; an unreadable one stays as it is
    (and so compares as unknown)."""
    from datetime import datetime, timezone

    found = set()
    for value in values:
        try:
            moment = datetime.fromisoformat(value)
            found.add(str((moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()))
        except ValueError:
            found.add(value)
    return frozenset(found)


@dataclass
class Comparison:
    """What ``compare`` found: allow atoms beyond the intent, intended denies no longer there."""

    extra: list[tuple[Atom, list[Condition]]]  # (atom, intended conditions it lacks, [] if none is near)
    lost_denies: list[Atom]

    @property
    def widened(self) -> bool:
        return bool(self.extra or self.lost_denies)


class Intent:
    """The atoms a pattern intended for one surface (its trust, or its identity policies)."""

    def __init__(self, documents: Iterable[Any]) -> None:
        self.allow: dict[tuple[Any, ...], Atom] = {}
        self.deny: dict[tuple[Any, ...], Atom] = {}
        self._allow_by_target: dict[tuple[Any, ...], list[Atom]] = {}
        self._wild: list[Atom] = []
        for document in documents:
            for atom in atoms(document):
                (self.allow if atom.effect == "Allow" else self.deny)[atom.key] = atom
        for atom in self.allow.values():
            self._allow_by_target.setdefault((atom.principal, atom.action, atom.resource), []).append(atom)
            if any(c in (atom.action or "") + (atom.resource or "") for c in "*?"):
                self._wild.append(atom)

    def uncovered(self, atom: Atom) -> list[Condition] | None:
        """None when an intended Allow covers ``atom``; else the conditions of the nearest intended
        atom that ``atom`` lacks ([] when no intended atom is even near)."""
        if atom.key in self.allow:
            return None
        nearest: list[Condition] | None = None
        for candidate in self._allow_by_target.get((atom.principal, atom.action, atom.resource), []) + self._wild:
            if candidate.principal != atom.principal and candidate.principal != ("*", "*"):
                continue
            if not _matches(candidate.action, atom.action) or not _matches(candidate.resource, atom.resource):
                continue
            lacking = _condition_at_least(atom.conditions, candidate.conditions)
            if not lacking:
                return None
            if nearest is None or len(lacking) < len(nearest):
                nearest = lacking
        return nearest or []

    def compare(self, actual: Iterable[Atom]) -> Comparison:
        extra: list[tuple[Atom, list[Condition]]] = []
        denies: list[Atom] = []
        for atom in actual:
            if atom.effect == "Allow":
                lacking = self.uncovered(atom)
                if lacking is not None:
                    extra.append((atom, lacking))
            else:
                denies.append(atom)
        return Comparison(extra, lost_denies(self.deny.values(), denies))


def lost_denies(intended: Iterable[Atom], actual: list[Atom]) -> list[Atom]:
    """The intended Deny atoms that no actual Deny covers (as broad, with no extra condition)."""
    exact = {a.key for a in actual}
    wild = [a for a in actual if any(c in a.action + (a.resource or "") for c in "*?")]
    lost = []
    for atom in intended:
        if atom.key in exact:
            continue
        if any(_matches(d.action, atom.action) and _matches(d.resource, atom.resource)
               and d.principal == atom.principal and d.conditions <= atom.conditions for d in wild):
            continue
        lost.append(atom)
    return lost


def describe_condition(condition: Condition) -> str:
    op, key, values = condition
    shown = ", ".join(sorted(values))
    return f"{op} {key} {shown}" if key else f"{op} {shown}"


def summarize(comparison: Comparison, limit: int = 4) -> str:
    """One sentence for a finding: what the role gained, at most ``limit`` examples of each."""
    parts = []
    if comparison.extra:
        shown = [a.describe() + (f" without {'; '.join(sorted(describe_condition(c) for c in lacking))}" if lacking else "")
                 for a, lacking in comparison.extra[:limit]]
        more = len(comparison.extra) - limit
        parts.append("allows " + "; ".join(shown) + (f" and {more} more" if more > 0 else ""))
    if comparison.lost_denies:
        shown = [a.describe() for a in comparison.lost_denies[:limit]]
        more = len(comparison.lost_denies) - limit
        parts.append("no longer denies " + "; ".join(shown) + (f" and {more} more" if more > 0 else ""))
    return ", and ".join(parts)
