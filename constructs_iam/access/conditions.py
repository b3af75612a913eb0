"""Condition operators, as the IAM User Guide documents each (String, Numeric, Date, Bool, IP, ARN,
Null; IfExists; ForAnyValue/ForAllValues)."""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from collections.abc import Mapping
from typing import Any


from .matching import _as_list, _lookup, substitute_variables, wildcard_match

# -------------------------------------------------------------------------------- conditions

_NEGATED = {
    "StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
    "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike",
}


class UnknownOperator(ValueError):
    pass


def _to_number(value: Any) -> float:
    return float(value)


def _to_date(value: Any) -> _dt.datetime:
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
        return _dt.datetime.fromtimestamp(float(value), tz=_dt.timezone.utc)
    text = str(value).replace("Z", "+00:00")
    parsed = _dt.datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)


def _arn_like(pattern: str, value: str) -> bool:
    """Arn* operators: each of the six colon-delimited parts is matched separately."""
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return wildcard_match(pattern, value)
    return all(wildcard_match(p, v) for p, v in zip(p_parts, v_parts))


def _single(base: str, policy_value: str, request_value: Any) -> bool:
    """One policy value against one request value, for a non-negated base operator."""
    if base in ("StringEquals", "StringNotEquals"):
        return str(request_value) == policy_value
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return str(request_value).lower() == policy_value.lower()
    if base in ("StringLike", "StringNotLike"):
        return wildcard_match(policy_value, str(request_value))
    if base.startswith("Numeric"):
        a, b = _to_number(request_value), _to_number(policy_value)
        return {"NumericEquals": a == b, "NumericNotEquals": a == b, "NumericLessThan": a < b,
                "NumericLessThanEquals": a <= b, "NumericGreaterThan": a > b, "NumericGreaterThanEquals": a >= b}[base]
    if base.startswith("Date"):
        when, limit = _to_date(request_value), _to_date(policy_value)
        return {"DateEquals": when == limit, "DateNotEquals": when == limit, "DateLessThan": when < limit,
                "DateLessThanEquals": when <= limit, "DateGreaterThan": when > limit,
                "DateGreaterThanEquals": when >= limit}[base]
    if base == "Bool":
        return str(request_value).lower() == str(policy_value).lower()
    if base == "BinaryEquals":
        return str(request_value) == policy_value
    if base in ("IpAddress", "NotIpAddress"):
        return ipaddress.ip_address(str(request_value)) in ipaddress.ip_network(policy_value, strict=False)
    if base in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        return _arn_like(policy_value, str(request_value))
    raise UnknownOperator(base)


_BASES = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
    "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
}


def evaluate_condition_block(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    """All operators AND, all keys within an operator AND, the values of one key OR (NOR when negated)."""
    for operator, keys in conditions.items():
        for key, policy_values in keys.items():
            if not evaluate_condition(operator, key, _as_list(policy_values), context):
                return False
    return True


def evaluate_condition(operator: str, key: str, policy_values: list[Any], context: Mapping[str, Any]) -> bool:
    set_operator = None
    if ":" in operator:
        set_operator, operator = operator.split(":", 1)
        if set_operator not in ("ForAnyValue", "ForAllValues"):
            raise UnknownOperator(f"{set_operator}:{operator}")
    if_exists = operator.endswith("IfExists")
    base = operator[: -len("IfExists")] if if_exists else operator
    if base not in _BASES or (base == "Null" and (if_exists or set_operator)):
        raise UnknownOperator(operator)
    request = _lookup(context, key)
    present = request is not None and not (isinstance(request, (list, tuple)) and len(request) == 0 and set_operator is None)
    values = [substitute_variables(str(v), context) if isinstance(v, str) and "${" in v and not base.startswith(("String", "Arn")) else v for v in policy_values]
    string_values = [v if not isinstance(v, bool) else str(v).lower() for v in values]

    if base == "Null":  # "true": the key is absent; "false": it is present
        return any((str(v).lower() == "true") == (not present) for v in string_values)
    negated = base in _NEGATED

    def one(request_value: Any) -> bool:
        matched = any(_single_with_variables(base, str(v), request_value, context) for v in string_values)
        return not matched if negated else matched

    if set_operator == "ForAllValues":
        if request is None:
            return True  # documented: ForAllValues is true when the key is missing or empty
        return all(one(r) for r in _as_list(request))
    if set_operator == "ForAnyValue":
        if request is None:
            return False
        return any(one(r) for r in _as_list(request))
    if not present:
        return True if if_exists else negated  # missing key: false, except negated operators
    request_values = _as_list(request)
    if negated:
        return all(one(r) for r in request_values)
    return any(one(r) for r in request_values)


def _single_with_variables(base: str, policy_value: str, request_value: Any, context: Mapping[str, Any]) -> bool:
    if "${" in policy_value and base.startswith(("String", "Arn")):
        substituted = substitute_variables(policy_value, context)
        if substituted is None:
            return False
        policy_value = substituted.replace("\x00STAR\x00", "*").replace("\x00QM\x00", "?")
    try:
        return _single(base, policy_value, request_value)
    except (ValueError, TypeError):
        return False  # a value of the wrong type does not match


