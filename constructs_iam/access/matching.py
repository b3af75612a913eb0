"""Matching actions, resources and values: IAM wildcards and policy variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any


from .decisions import Statement

# --------------------------------------------------------------------------------- matching


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's ``*`` (any run of characters) and ``?`` (one character)."""
    return bool(_wildcard(pattern, case_sensitive).match(value))


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def substitute_variables(text: str, context: Mapping[str, Any]) -> str | None:
    """Replace policy variables (``${aws:username}``, ``${*}``, ``${?}``, ``${$}``).

    Returns None when a variable is missing from the context (the element then matches nothing,
    as IAM documents), unless it has a default (``${aws:username, 'x'}``).
    """
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1).strip()
        if name in ("*", "?", "$"):
            return {"*": "\x00STAR\x00", "?": "\x00QM\x00", "$": "$"}[name]
        default = None
        if "," in name:
            name, default_text = name.split(",", 1)
            name, default = name.strip(), default_text.strip().strip("'")
        value = _lookup(context, name)
        if value is None:
            if default is not None:
                return default
            missing = True
            return ""
        return str(value[0] if isinstance(value, list) else value)

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


def _match_with_variables(pattern: str, value: str, context: Mapping[str, Any], *, case_sensitive: bool) -> bool:
    substituted = substitute_variables(pattern, context) if "${" in pattern else pattern
    if substituted is None:
        return False
    if "\x00" in substituted:  # ${*} and ${?} stand for the literal characters
        parts = re.split(r"(\x00STAR\x00|\x00QM\x00)", substituted)
        regex = "".join(
            re.escape("*") if p == "\x00STAR\x00" else re.escape("?") if p == "\x00QM\x00"
            else "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p)
            for p in parts
        )
        return bool(re.match(f"^{regex}$", value, 0 if case_sensitive else re.IGNORECASE))
    return wildcard_match(substituted, value, case_sensitive=case_sensitive)


def _lookup(context: Mapping[str, Any], key: str) -> Any:
    """Condition keys are case-insensitive; tag keys after '/' keep their case."""
    if key in context:
        return context[key]
    prefix, slash, rest = key.partition("/")
    for candidate, value in context.items():
        c_prefix, c_slash, c_rest = candidate.partition("/")
        if c_prefix.lower() == prefix.lower() and c_slash == slash and c_rest == rest:
            return value
    return None


def action_matches(statement: Statement, action: str) -> bool:
    if "NotAction" in statement.raw:
        return not any(wildcard_match(p, action, case_sensitive=False) for p in _as_list(statement.raw["NotAction"]))
    return any(wildcard_match(p, action, case_sensitive=False) for p in _as_list(statement.raw.get("Action")))


def resource_matches(statement: Statement, resource: str, context: Mapping[str, Any]) -> bool:
    if "NotResource" in statement.raw:
        return not any(_match_with_variables(p, resource, context, case_sensitive=True) for p in _as_list(statement.raw["NotResource"]))
    if "Resource" not in statement.raw:  # trust policies have none
        return True
    return any(_match_with_variables(p, resource, context, case_sensitive=True) for p in _as_list(statement.raw["Resource"]))


