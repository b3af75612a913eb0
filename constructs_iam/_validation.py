"""Prop validation shared by every pattern (not public API).

Every check raises ``ValueError`` naming the prop, the value and the rule, so a mistake fails when
the construct is built rather than as a jsii stack trace at synth, or worse, as a half-right policy.
Values that are still unresolved CDK tokens are accepted here; the CloudFormation or IAM API will
check them at deploy time.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Token

# Every identifier is matched whole: ``matches`` uses ``re.fullmatch``, and the patterns end in
# ``\Z`` rather than ``$`` (Python's ``$`` also matches before a trailing newline, so
# ``"123456789012\n"`` would pass ``^\d{12}$`` and land in a policy). Digits are ASCII ``[0-9]``
# (``\d`` also matches other scripts' digits).
ACCOUNT_ID = re.compile(r"^[0-9]{12}\Z")
"""An AWS account id (public as ``constructs_iam.ACCOUNT_ID_PATTERN``)."""
# IAM: role/user/group names use alphanumerics and +=,.@_- (CreateRole "RoleName" pattern).
IAM_NAME = re.compile(r"^[\w+=,.@-]+\Z", re.ASCII)
# IAM: a path is "/" or "/segment/.../" of printable ASCII without spaces (CreateRole "Path").
IAM_PATH = re.compile(r"^/(?:[\x21-\x7E]+/)*\Z")
SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?\Z")
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]\Z")
"""The shape of an AWS region name (public as ``constructs_iam.REGION_PATTERN``); ``region`` also
checks the name against the partitions' region lists."""
GITHUB_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}\Z")
GITHUB_REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}\Z")
# git ref names: no spaces, no wildcards, none of ~^:?*[\ and no '..' (git check-ref-format)
GIT_REF = re.compile(r"^(?!.*\.\.)(?!/)(?!.*//)(?!.*@\{)[^\x00-\x20\x7f~^:?*\[\\]{1,255}(?<!/)(?<!\.)(?<!\.lock)\Z")
GITHUB_ENVIRONMENT = re.compile(r"^[^\x00-\x20\x7f*?'\"`:,;/\\]{1,255}\Z")
CDK_QUALIFIER = re.compile(r"^[a-z0-9]{1,10}\Z")
SSO_INSTANCE_ARN = re.compile(r"^arn:aws[a-z-]*:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}\Z")
IDENTITY_STORE_GROUP_ID = re.compile(
    r"^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}\Z")
PERMISSION_SET_NAME = re.compile(r"^[\w+=,.@-]{1,32}\Z", re.ASCII)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


def matches(pattern: re.Pattern[str], value: Any) -> bool:
    """``value`` is a string and ``pattern`` matches all of it (``re.fullmatch``)."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None


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
    if not is_token(value) and not matches(ACCOUNT_ID, value):
        raise fail(prop, value, "must be 12 digits (an AWS account id)")
    return value


def iam_name(prop: str, value: str | None, *, max_length: int) -> str | None:
    if value is None or is_token(value):
        return value
    if not isinstance(value, str) or not value:
        raise fail(prop, value, "must be a non-empty string")
    if len(value) > max_length:
        raise fail(prop, value, f"must be at most {max_length} characters long (it has {len(value)})")
    if not matches(IAM_NAME, value):
        raise fail(prop, value, "may contain only letters, digits and the characters +=,.@_-")
    return value


def iam_path(prop: str, value: str) -> str:
    if is_token(value):
        return value
    if not isinstance(value, str) or len(value) > 512 or not matches(IAM_PATH, value):
        raise fail(
            prop,
            value,
            "must be '/' or begin and end with '/' (e.g. '/workloads/'), printable ASCII without "
            "spaces, at most 512 characters",
        )
    return value


_SECONDS: dict[int, tuple[Duration, float | None]] = {}


def _measured(value: Duration, seconds: float) -> Duration:
    """``value``, with its length (known in Python, since the library made it) cached for ``seconds_of``."""
    _SECONDS[id(value)] = (value, seconds)
    return value


ONE_MINUTE = _measured(Duration.minutes(1), 60.0)
ONE_HOUR = _measured(Duration.hours(1), 3600.0)
TWELVE_HOURS = _measured(Duration.hours(12), 43200.0)
"""Bounds and defaults shared by the patterns (one jsii object each, not one per call)."""


@lru_cache(maxsize=None)
def days(count: int) -> Duration:
    """A shared ``Duration.days(count)`` for bounds: created once per process, its length known."""
    return _measured(Duration.days(count), count * 86400.0)


@lru_cache(maxsize=None)
def hours(count: int) -> Duration:
    """A shared ``Duration.hours(count)`` for bounds."""
    return _measured(Duration.hours(count), count * 3600.0)


@lru_cache(maxsize=None)
def minutes(count: int) -> Duration:
    """A shared ``Duration.minutes(count)`` for bounds."""
    return _measured(Duration.minutes(count), count * 60.0)


def seconds_of(value: Duration) -> float | None:
    """``value.to_seconds()`` (None for an unresolved duration), asked of Node once per object:
    a Duration is immutable, and defaults like ``Duration.hours(1)`` are shared objects."""
    cached = _SECONDS.get(id(value))
    if cached is not None and cached[0] is value:
        return cached[1]
    seconds = None if value.is_unresolved() else value.to_seconds(integral=False)
    _SECONDS[id(value)] = (value, seconds)
    return seconds


def seconds(value: Duration) -> float:
    """``seconds_of`` a duration that must be resolved (an unresolved one fails in CDK, as
    ``value.to_seconds()`` does)."""
    known = seconds_of(value)
    return value.to_seconds(integral=False) if known is None else known


def duration_between(prop: str, value: Duration, minimum: Duration, maximum: Duration) -> Duration:
    if not isinstance(value, Duration):
        raise fail(prop, value, "must be an aws_cdk.Duration")
    seconds = seconds_of(value)
    if seconds is None:
        return value
    if seconds != int(seconds):
        raise fail(prop, value.to_human_string(), f"must be a whole number of seconds (it is {seconds})")
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
    if not isinstance(value, str) or not matches(SERVICE_PRINCIPAL, value):
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
        self.warnings: list[tuple[str, str]] = []

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

    def warn(self, prop: str, value: Any, rule: str) -> None:
        """Record a warning (``prop 'value' rule``): a synth annotation on the construct, when its
        props are otherwise valid. For input that is allowed but probably not what was meant."""
        self.warnings.append((prop, str(fail(prop, value, rule))))

    def __enter__(self) -> "Checks":
        _ACTIVE.append(self)
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if _ACTIVE and _ACTIVE[-1] is self:
            _ACTIVE.pop()
        if kind is not None and issubclass(kind, PropsError):
            self.problems.extend(error.problems)
        elif kind is not None and issubclass(kind, ValueError):
            self.problems.append(str(error))
        elif kind is not None:
            return
        if self.problems:
            raise PropsError(self.construct.node.path, type(self.construct).__name__, self.problems)
        if self.warnings:
            from aws_cdk import Annotations

            annotations = Annotations.of(self.construct)
            for prop, message in dict.fromkeys(self.warnings):
                annotations.add_warning_v2(f"constructs-iam:{type(self.construct).__name__}.{prop}", message)


_ACTIVE: list[Checks] = []


def warn(prop: str, value: Any, rule: str) -> None:
    """A warning from a shared check, recorded on the construct whose ``Checks`` is running (none
    running: nothing to attach it to, the caller is a plain function used outside a construct)."""
    if _ACTIVE:
        _ACTIVE[-1].warn(prop, value, rule)


def warn_unknown_actions(prop: str, actions: Iterable[Any], known: Iterable[str], what: str) -> list[str]:
    """Warn about each of ``actions`` (``service:Name``, ``*``/``?`` allowed, case-insensitive as IAM
    compares actions) that matches none of ``known``: a misspelt action denies nothing."""
    spelled = {k.lower(): k for k in known}
    names = list(spelled)
    by_service: dict[str, list[str]] = {}
    for name in names:
        by_service.setdefault(name.split(":", 1)[0], []).append(name)
    unknown = []
    for action in actions:
        if not isinstance(action, str) or ":" not in action:
            continue
        service = action.split(":", 1)[0].lower()
        pattern = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in action.lower()),
                             re.DOTALL)
        if not any(pattern.fullmatch(name) for name in by_service.get(service, ())):
            unknown.append(action)
            close = difflib.get_close_matches(action.lower(), by_service.get(service, names), n=1)
            hint = f"; did you mean {spelled[close[0]]!r}?" if close else ""
            warn(prop, action, f"matches no action {what}, so it denies nothing{hint}")
    return unknown


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


# ------------------------------------------------------------------------------ shared checks


def region(prop: str, value: Any) -> str:
    """An AWS region that exists: the shape of a region name, and a name in the partitions' region
    lists (``known_regions``), so a misspelt region is refused rather than deployed to nowhere."""
    if is_token(value):
        return value
    if matches(REGION, value) and value in _cdk_regions():  # the common case: no file to read
        return value
    known = known_regions()
    if not matches(REGION, value) or value not in known:
        close = difflib.get_close_matches(value, sorted(known), n=1) if isinstance(value, str) else []
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise fail(prop, value, f"must be an AWS region such as 'eu-west-1' (a name in the partitions' region lists){hint}")
    return value


@lru_cache(maxsize=1)
def _cdk_regions() -> frozenset[str]:
    from aws_cdk.region_info import Fact

    return frozenset(Fact.regions)  # one round trip to Node for the whole list


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region of every partition, offline: CDK's region facts (``aws_cdk.region_info``) and,
    where botocore is installed, its endpoints data (``botocore/data/endpoints.json``, read without
    importing botocore), for a region newer than the CDK release."""
    names = set(_cdk_regions())
    spec = importlib.util.find_spec("botocore")  # optional: the test and report tools install it
    if spec is not None and spec.submodule_search_locations:
        endpoints = Path(next(iter(spec.submodule_search_locations))) / "data" / "endpoints.json"
        try:
            for partition in json.loads(endpoints.read_text()).get("partitions", []):
                names.update(partition.get("regions", {}))
        except (OSError, ValueError):
            pass
    return frozenset(names)


def git_ref_name(prop: str, value: Any, kind: str) -> str:
    """A branch or tag name as git allows it (``git check-ref-format``), given short: ``main``,
    not ``refs/heads/main`` (which the trust would turn into ``refs/heads/refs/heads/main``)."""
    if isinstance(value, str) and value.startswith("refs/"):
        short = value.split("/", 2)[-1] if value.startswith(("refs/heads/", "refs/tags/")) else None
        hint = f" ({short!r})" if short else ""
        raise fail(prop, value, f"is a full ref: give the {kind} name{hint}; the trust adds 'refs/heads/' or 'refs/tags/' itself")
    if not matches(GIT_REF, value) or value in ("*", "**", "@"):
        raise fail(prop, value, f"must be exact names: no wildcards, spaces or '..' (git {kind} names)")
    return value


_IP_ADDRESS = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}\Z")


def bucket_name(prop: str, value: Any) -> str:
    """An S3 bucket name as S3 (and CDK, which would otherwise fail in jsii) allows it: 3 to 63 of
    lower-case letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', '.-'
    or '-.', not an IP address, none of S3's reserved prefixes and suffixes."""
    if is_token(value):
        return value
    rule = None
    if not matches(BUCKET_NAME, value):
        rule = "must be 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit"
    elif ".." in value or ".-" in value or "-." in value:
        rule = "must not hold '..', '.-' or '-.'"
    elif matches(_IP_ADDRESS, value):
        rule = "must not look like an IP address"
    elif value.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or value.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3")):
        rule = "must not use a prefix or suffix S3 reserves (xn--, sthree-, -s3alias, --ol-s3, .mrap, --x-s3)"
    if rule:
        raise fail(prop, value, f"{rule} (an S3 bucket name)")
    return value


def github_environment(prop: str, value: Any) -> str:
    if not matches(GITHUB_ENVIRONMENT, value):
        raise fail(prop, value, "must be exact environment names: no wildcards, spaces, quotes or ':,;/\\'")
    return value


def github_repository(prop: str, value: Any) -> str:
    """``owner/name`` of a GitHub repository, without wildcards."""
    if not isinstance(value, str) or value.count("/") != 1:
        raise fail(prop, value, "must be 'owner/name' of one GitHub repository")
    owner, name = value.split("/")
    if not matches(GITHUB_OWNER, owner) or not matches(GITHUB_REPOSITORY_NAME, name) or name in (".", ".."):
        raise fail(prop, value, "must be 'owner/name' with no wildcards: owner of letters, digits and '-', name of "
                                "letters, digits and '.', '_', '-'")
    return value


def unique_items(prop: str, values: Iterable[Any], *, key: Any = None) -> None:
    """Refuse an item listed twice (after ``key``), naming both positions: checked in Python, so a
    duplicate never reaches CDK as two constructs with one id (a jsii error)."""
    seen: dict[Any, int] = {}
    for index, value in enumerate(values):
        marker = key(value) if key is not None else value
        try:
            if marker in seen:
                raise fail(prop, value, f"is listed more than once (items {seen[marker]} and {index})")
            seen[marker] = index
        except TypeError:  # unhashable: the type check of the item reports it
            continue


# IAM: "the size of each managed policy cannot exceed 6,144 characters" (white space not counted)
MAX_MANAGED_POLICY_CHARACTERS = 6144
# what a reference in a policy renders to at most, where we can know it (else its cdk-nag name)
_REFERENCE_LENGTHS = {"AWS::Partition": len("aws-iso-b"), "AWS::AccountId": 12, "AWS::Region": len("ap-southeast-5"),
                      "AWS::URLSuffix": len("amazonaws.com.cn")}


def policy_characters(document: Any) -> int:
    """The characters IAM counts in a resolved policy document (JSON without white space).

    A CloudFormation reference counts as the longest value it can take for pseudo parameters, and as
    its flattened name (``<Bucket.Arn>``) otherwise: an estimate for values only known at deploy."""
    def render(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in _REFERENCE_LENGTHS:
                return "x" * _REFERENCE_LENGTHS[value["Ref"]]
            if set(value) == {"Fn::Join"}:
                delimiter, items = value["Fn::Join"]
                return delimiter.join(str(render(item)) for item in items)
            if len(value) == 1 and next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::Sub"):
                from ._nag import flatten

                return flatten(value)
            return {key: render(item) for key, item in value.items()}
        if isinstance(value, list):
            return [render(item) for item in value]
        return value

    text = json.dumps(render(document), separators=(",", ":"), ensure_ascii=False)
    return sum(1 for character in text if not character.isspace())


_ONE_PER: dict[int, tuple[Any, dict[tuple[Any, ...], str]]] = {}


def one_per_scope(construct: Any, key: tuple[Any, ...], what: str) -> None:
    """Refuse a second ``construct`` for the same ``key`` in one app (``AWS allows one ...``),
    with ``PropsError`` naming the construct paths of both.

    ``key`` holds the account and region the construct deploys to (from ``deploy_target``) and
    what makes it one of a kind, e.g. ``(account, region, "ACCOUNT")`` for an Access Analyzer."""
    from . import _facts

    facts = _facts.scope(construct)  # path, stack and root read once
    root = facts.stack.root
    entry = _ONE_PER.get(id(root))
    if entry is None or entry[0] is not root:
        entry = (root, {})
        _ONE_PER[id(root)] = entry
    path = facts.path
    full = (type(construct).__name__, *key)
    other = entry[1].get(full)
    if other is not None and other != path:
        raise PropsError(path, type(construct).__name__, [f"{what}; {other} is already one (AWS allows only one)"])
    entry[1][full] = path


@contextmanager
def construct_id(kind: str, scope: Any, id: Any) -> Iterator[None]:
    """Around ``Construct.__init__``: ``scope`` is a construct and ``id`` a new, non-empty id in it.
    CDK itself would refuse these with a jsii ``RuntimeError``; here they are a ``PropsError``
    naming the scope's path (and the construct already holding the id). The id is checked by CDK
    itself (no round trip when it is new); its refusal is turned into the ``PropsError``::

        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
    """
    if not has(scope, "node"):
        raise PropsError(repr(scope), kind, [str(fail("scope", scope, "must be a construct (a stack, or a construct in one)"))])
    if not isinstance(id, str) or not id or "/" in id:
        raise PropsError(scope.node.path, kind, [str(fail("id", id, "must be a non-empty string without '/'"))])
    try:
        yield
    except RuntimeError as error:
        other = scope.node.try_find_child(id) if "There is already a Construct with name" in str(error) else None
        if other is None:
            raise
        path = f"{scope.node.path}/{id}" if scope.node.path else id
        raise PropsError(path, kind, [str(fail("id", id, f"is already used in {scope.node.path or 'the app'} by {path} "
                                                        f"({type(other).__name__}): give each construct its own id"))]) from None


def deploy_target(construct: Any) -> tuple[str, str]:
    """(account, region) of the stack ``construct`` deploys with: literal values where the stack's
    environment names them; for an environment-agnostic stack, its path (it can be deployed anywhere,
    so only constructs in that same stack are known to share an account)."""
    from . import _facts

    facts = _facts.scope(construct).stack  # account, region and path read once per stack
    account, region = facts.account, facts.region
    if is_token(account) or getattr(facts.stack, "_constructs_iam_unknown_account", False):
        account = f"<account of {facts.path}>"
    if is_token(region):
        region = f"<region of {facts.path}>"
    return account, region
