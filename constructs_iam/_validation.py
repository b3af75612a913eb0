"""Prop validation shared by every pattern (not public API).

Every check raises ``ValueError`` naming the prop, the value and the rule, so a mistake fails when
the construct is built rather than as a jsii stack trace at synth, or worse, as a half-right policy.
Values that are still unresolved CDK tokens are accepted here; the CloudFormation or IAM API will
check them at deploy time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from aws_cdk import Duration, Token

ACCOUNT_ID = re.compile(r"^\d{12}$")
"""An AWS account id (public as ``constructs_iam.ACCOUNT_ID_PATTERN``)."""
# IAM: role/user/group names use alphanumerics and +=,.@_- (CreateRole "RoleName" pattern).
IAM_NAME = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
# IAM: a path is "/" or "/segment/.../" of printable ASCII without spaces (CreateRole "Path").
IAM_PATH = re.compile(r"^/(?:[\x21-\x7E]+/)*$")
SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
"""An AWS region name (public as ``constructs_iam.REGION_PATTERN``)."""


_TOKEN_MARKERS = ("${Token[", "#{Token[", "${TOKEN[")


def is_token(value: Any) -> bool:
    """True when ``value`` is (or contains) a CDK token that only resolves at deploy time.

    A plain string carries no token marker: decided in Python, without a round trip to Node."""
    if not isinstance(value, str):
        return False
    if not any(marker in value for marker in _TOKEN_MARKERS):
        return False
    return Token.is_unresolved(value)


def has(value: Any, attribute: str) -> bool:
    """``hasattr`` that looks at the class first: for a CDK object, reading the property itself
    would be a round trip to Node (and may compute something)."""
    return hasattr(type(value), attribute) or hasattr(value, attribute)


MIN_REASON = 10
"""The shortest reason an acknowledgment or a widening may give."""


def reason(prop: str, value: Any, what: str) -> None:
    """A reason a reviewer can read: a string of ``MIN_REASON`` characters or more."""
    if not isinstance(value, str) or len(value.strip()) < MIN_REASON:
        raise fail(prop, value, f"must say why {what} ({MIN_REASON} characters or more)")


def fail(prop: str, value: Any, rule: str) -> ValueError:
    """Build the one error format every pattern uses: ``prop 'value' rule``."""
    return ValueError(f"{prop} {value!r} {rule}")


def account_id(prop: str, value: str) -> str:
    if not isinstance(value, str):
        raise fail(prop, value, "must be a string of 12 digits")
    if not is_token(value) and not ACCOUNT_ID.match(value):
        raise fail(prop, value, "must be 12 digits (an AWS account id)")
    return value


def iam_name(prop: str, value: str | None, *, max_length: int) -> str | None:
    if value is None or is_token(value):
        return value
    if not isinstance(value, str) or not value:
        raise fail(prop, value, "must be a non-empty string")
    if len(value) > max_length:
        raise fail(prop, value, f"must be at most {max_length} characters long (it has {len(value)})")
    if not IAM_NAME.match(value):
        raise fail(prop, value, "may contain only letters, digits and the characters +=,.@_-")
    return value


def iam_path(prop: str, value: str) -> str:
    if is_token(value):
        return value
    if not isinstance(value, str) or len(value) > 512 or not IAM_PATH.match(value):
        raise fail(
            prop,
            value,
            "must be '/' or begin and end with '/' (e.g. '/workloads/'), printable ASCII without "
            "spaces, at most 512 characters",
        )
    return value


_SECONDS: dict[int, tuple[Duration, float | None]] = {}

ONE_MINUTE = Duration.minutes(1)
ONE_HOUR = Duration.hours(1)
TWELVE_HOURS = Duration.hours(12)
"""Bounds and defaults shared by the patterns (one jsii object each, not one per call)."""


def seconds_of(value: Duration) -> float | None:
    """``value.to_seconds()`` (None for an unresolved duration), asked of Node once per object:
    a Duration is immutable, and defaults like ``Duration.hours(1)`` are shared objects."""
    cached = _SECONDS.get(id(value))
    if cached is not None and cached[0] is value:
        return cached[1]
    seconds = None if value.is_unresolved() else value.to_seconds()
    _SECONDS[id(value)] = (value, seconds)
    return seconds


def duration_between(prop: str, value: Duration, minimum: Duration, maximum: Duration) -> Duration:
    if not isinstance(value, Duration):
        raise fail(prop, value, "must be an aws_cdk.Duration")
    seconds = seconds_of(value)
    if seconds is None:
        return value
    if not seconds_of(minimum) <= seconds <= seconds_of(maximum):  # type: ignore[operator]
        raise ValueError(
            f"{prop} {value.to_human_string()!r} must be between {minimum.to_human_string()} and "
            f"{maximum.to_human_string()} ({minimum.to_seconds()} to {maximum.to_seconds()} seconds)"
        )
    return value


def int_between(prop: str, value: int, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(prop, value, f"must be a whole number from {minimum} to {maximum}")
    if not minimum <= value <= maximum:
        raise fail(prop, value, f"must be from {minimum} to {maximum}")
    return value


def service_principal(prop: str, value: str) -> str:
    if is_token(value):
        return value
    if not isinstance(value, str) or not SERVICE_PRINCIPAL.match(value):
        raise fail(prop, value, "must be an AWS service principal such as 'ec2.amazonaws.com'")
    return value


def sequence(prop: str, values: Any, *, what: str = "items") -> list[Any]:
    """A list or tuple (not one string, not one object, not None) of ``what``."""
    if not isinstance(values, (list, tuple)):
        raise fail(prop, values, f"must be a list of {what}")
    return list(values)


def non_empty(prop: str, values: Sequence[Any] | None, *, what: str = "items") -> list[Any]:
    if values is None or (isinstance(values, (list, tuple)) and len(values) == 0):
        raise fail(prop, values, "must list at least one item")
    return sequence(prop, values, what=what)


def unique(prop: str, values: Iterable[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise fail(prop, value, "is listed more than once")
        seen.add(value)


def json_compact(value: Any) -> str:
    """A short, stable rendering of a resolved CloudFormation value for messages."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class PropsError(ValueError):
    """Wrong input to one construct: names the construct path and every bad prop at once.

    A ``ValueError`` subclass, so ``except ValueError`` keeps working. ``problems`` lists each
    message (``prop 'value' rule``) on its own.
    """

    def __init__(self, path: str, kind: str, problems: Sequence[str]) -> None:
        self.path, self.kind, self.problems = path, kind, list(problems)
        where = f"{path} ({kind})"
        if len(self.problems) == 1:
            message = f"{where}: {self.problems[0]}"
        else:
            message = f"{where}: {len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class Checks:
    """Collects every problem of one construct's props, then raises one ``PropsError``.

        with v.Checks(self) as check:
            check(v.account_id, "trusted_account_id", trusted_account_id)
            with check.each():             # any code that raises ValueError
                ...

    The construct path is read only when there is something to report.
    """

    def __init__(self, construct: Any) -> None:
        self.construct = construct
        self.problems: list[str] = []

    def __call__(self, check: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except PropsError as error:
            self.problems.extend(error.problems)
        except ValueError as error:
            self.problems.append(str(error))
        return None

    def fail(self, prop: str, value: Any, rule: str) -> None:
        """Record one problem (``prop 'value' rule``) and go on checking."""
        self.problems.append(str(fail(prop, value, rule)))

    def each(self) -> "_Catch":
        return _Catch(self)

    def __enter__(self) -> "Checks":
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if kind is not None and issubclass(kind, PropsError):
            self.problems.extend(error.problems)
        elif kind is not None and issubclass(kind, ValueError):
            self.problems.append(str(error))
        elif kind is not None:
            return
        if self.problems:
            raise PropsError(self.construct.node.path, type(self.construct).__name__, self.problems)


class _Catch:
    def __init__(self, checks: Checks) -> None:
        self.checks = checks

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, trace: Any) -> bool:
        if kind is not None and issubclass(kind, PropsError):
            self.checks.problems.extend(error.problems)
            return True
        if kind is not None and issubclass(kind, ValueError):
            self.checks.problems.append(str(error))
            return True
        return False
