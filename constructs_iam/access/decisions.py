"""Decisions and statements: what the model answers, and the policy statements it reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._cfn import Unresolvable

ContextValue = str | int | float | bool | Sequence[str]


# ---------------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class Decision:
    """The outcome of one request.

    ``allowed`` is True, False, or None when the model cannot decide; ``outcome`` is one of
    ``allow``, ``explicit-deny``, ``implicit-deny``, ``undecided``; ``reason`` names the statements
    (``<policy>#<Sid or index>``) that decided it.
    """

    allowed: bool | None
    outcome: str
    reason: str
    statements: tuple[str, ...] = ()

    def __bool__(self) -> bool:  # a decision is never silently truthy
        raise TypeError("use Decision.allowed (True, False or None for undecided)")


# ------------------------------------------------------------------------------- statements


@dataclass
class Statement:
    """One policy statement with its source, resolved (or marked unresolvable)."""

    source: str
    index: int
    raw: dict[str, Any]
    problem: str | None = None
    aws_managed: bool = False
    """From an AWS managed policy (the catalog), not from a document of the templates."""
    scope: tuple[str, ...] | None = None  # a resource policy's resources (its bucket and objects); None: any

    def covers(self, resource: str) -> bool:
        """Whether a request on ``resource`` is one this statement's policy is evaluated for."""
        return self.scope is None or resource in self.scope or any(
            resource.startswith(f"{arn}/") for arn in self.scope)

    @property
    def name(self) -> str:
        sid = self.raw.get("Sid")
        return f"{self.source}#{sid if sid else self.index}"

    @property
    def effect(self) -> str:
        return str(self.raw.get("Effect", "Allow"))


def _broken(source: str, problem: str) -> Statement:
    """A statement the model could not read: it may match any action, so it makes them undecided."""
    return Statement(source, 0, {"Effect": "Allow", "Action": "*", "Resource": "*"}, problem=problem)


def _statements(source: str, document: Any, resolver: Any) -> list[Statement]:
    """Resolve statement by statement, so one unknown value spoils only its own statement."""
    raw = document.get("Statement", []) if isinstance(document, dict) else []
    raw = [raw] if isinstance(raw, dict) else raw
    result = []
    for i, statement in enumerate(raw):
        try:
            result.append(Statement(source, i, resolver(statement)))
        except Unresolvable as error:
            problem = str(error)
            result.append(Statement(source, i, {k: v for k, v in statement.items() if k in ("Sid", "Effect", "Action", "NotAction")}, problem=problem))
    return result


