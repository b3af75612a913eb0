"""Trust helpers: principals that say exactly who may assume a role, and under which conditions.

- ``service_principal``: an AWS service, pinned to this account (``aws:SourceAccount``) and, when
  known, to one resource (``aws:SourceArn``), against the confused-deputy problem.
- ``cross_account_principal``: another account (optionally only named roles/users there), with MFA
  and/or an ExternalId.

Every pattern also refuses ``iam.AnyPrincipal()`` (``*``) unless a condition pins it to an
organization, account or principal ARN.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam

from . import _role
from . import _validation as v

_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}\Z", re.ASCII)
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}):([\x21-\x7E]+)\Z")
MAX_MFA_AGE_LIMIT = v.TWELVE_HOURS


def service_principal(
    service: str,
    *,
    source_account: str | None = None,
    source_arn: str | None = None,
) -> iam.IPrincipal:
    """Trust ``service`` only when it acts for this account (and, if given, for one resource).

    :param service: e.g. ``"autoscaling.amazonaws.com"``.
    :param source_account: the account the service acts for. Default: the stack's own account.
    :param source_arn: the one resource the service acts for (``aws:SourceArn``, ``ArnLike``).
        Default: not pinned.

    Use this for services that send ``aws:SourceAccount`` when assuming a role (most do). EC2
    instance roles are the documented exception: an instance profile is protected by
    ``iam:PassRole`` rather than by source conditions, so the EC2 pattern trusts plain
    ``ec2.amazonaws.com``.
    """
    v.service_principal("service", service)
    account = source_account if source_account is not None else _this_account()
    if source_account is not None:
        v.account_id("source_account", account)
    conditions: dict[str, dict[str, str]] = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn is not None:
        if not v.is_token(source_arn) and (not isinstance(source_arn, str) or not source_arn.startswith("arn:")):
            raise v.fail("source_arn", source_arn, "must be an ARN")
        arn_account = source_arn.split(":")[4] if not v.is_token(source_arn) and source_arn.count(":") >= 5 else ""
        if (source_account is not None and not v.is_token(account) and v.matches(v.ACCOUNT_ID, arn_account)
                and arn_account != account):
            raise v.fail("source_arn", source_arn, f"is in account {arn_account}, not source_account {account}: "
                         "no request could meet both conditions, so the service could never assume the role")
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    # a service, not '*': the patterns need not resolve it to check, and know its trust as data
    return _role.service(service, conditions)


_ACCOUNT: list[str] = []


def _this_account() -> str:
    """``Aws.ACCOUNT_ID`` (a token string), read from Node once."""
    if not _ACCOUNT:
        _ACCOUNT.append(Aws.ACCOUNT_ID)
    return _ACCOUNT[0]


def cross_account_principal(
    account_id: str,
    *,
    principal_arns: Sequence[str] = (),
    require_mfa: bool = True,
    max_mfa_age: Duration = v.ONE_HOUR,
    external_id: str | None = None,
    require_source_identity: bool = False,
    expires: datetime.datetime | None = None,
) -> iam.IPrincipal:
    """Trust principals of another account, under conditions.

    :param account_id: the 12-digit account the callers come from.
    :param principal_arns: only these roles/users of that account (``aws:PrincipalArn``,
        ``ArnEquals``; ``*`` is not allowed). Default: any principal of that account that its own
        policies allow to call ``sts:AssumeRole``.
    :param require_mfa: require ``aws:MultiFactorAuthPresent`` and a fresh MFA
        (``aws:MultiFactorAuthAge`` below ``max_mfa_age``). Default: True.
    :param max_mfa_age: how long ago the caller may have authenticated with MFA, 1 minute to 12
        hours. Default: one hour.
    :param external_id: require this ``sts:ExternalId`` (for third parties acting for you).
        Default: none.
    :param require_source_identity: admit an IAM user only when the ``sts:SourceIdentity`` it sets
        is its own user name (``StringEquals sts:SourceIdentity ${aws:username}``), so nobody
        assumes the role under another person's name; the role's trust must also allow
        ``sts:SetSourceIdentity``. A caller that is not an IAM user (a role session, federated
        through SAML/OIDC or IAM Identity Center) has no ``aws:username``: the condition cannot
        match and the trust refuses it (such people use ``DeveloperReadOnlyPermissionSet``, whose
        sessions Identity Center names). Default: False.
    :param expires: refuse every assumption from this moment on (``DateLessThan aws:CurrentTime``);
        a time-zone-aware ``datetime`` in the future. Default: no end.

    At least one of ``require_mfa`` and ``external_id`` must be set: a cross-account trust without
    either lets any credential that leaks from the other account in.
    """
    v.account_id("account_id", account_id)
    for name, flag in (("require_mfa", require_mfa), ("require_source_identity", require_source_identity)):
        if not isinstance(flag, bool):
            raise v.fail(name, flag, "must be True or False")
    v.duration_between("max_mfa_age", max_mfa_age, v.ONE_MINUTE, MAX_MFA_AGE_LIMIT)
    if external_id is not None and not v.is_token(external_id):
        if not isinstance(external_id, str) or not v.matches(_EXTERNAL_ID, external_id):
            raise v.fail(
                "external_id",
                "<redacted>" if isinstance(external_id, str) else external_id,
                "must be 2 to 1224 characters of letters, digits and +=,.@:/-",
            )
    if not require_mfa and external_id is None:
        raise v.fail(
            "require_mfa",
            require_mfa,
            "may be False only with an external_id: a cross-account trust needs MFA or an ExternalId",
        )
    arns = check_principal_arns("principal_arns", principal_arns, account_id)
    conditions: dict[str, dict[str, object]] = {}
    if require_mfa:
        conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        conditions["NumericLessThan"] = {"aws:MultiFactorAuthAge": str(int(v.seconds(max_mfa_age)))}
    equals: dict[str, object] = {}
    if external_id is not None:
        equals["sts:ExternalId"] = external_id
    if arns:
        conditions["ArnEquals"] = {"aws:PrincipalArn": arns if len(arns) > 1 else arns[0]}
    if require_source_identity:
        # the trust itself pins the name, not only the caller's policy: a principal of the identity
        # account with MFA cannot set another person's name (a role session has no aws:username)
        equals["sts:SourceIdentity"] = "${aws:username}"
    if equals:
        conditions["StringEquals"] = equals
    if check_expiry("expires", expires) is not None:
        conditions["DateLessThan"] = {"aws:CurrentTime": iso_utc(expires)}  # type: ignore[arg-type]
    return iam.PrincipalWithConditions(iam.AccountPrincipal(account_id), conditions)


MAX_EXPECTED_EXPIRY = datetime.timedelta(days=366)
"""An ``expires`` further ahead than this is a synth warning (temporary access ends within a year)."""


def check_expiry(prop: str, expires: datetime.datetime | None) -> datetime.datetime | None:
    """A time-zone-aware moment in the future, or None."""
    if expires is None:
        return None
    if not isinstance(expires, datetime.datetime):
        raise v.fail(prop, expires, "must be a datetime.datetime with a time zone")
    if expires.tzinfo is None or expires.tzinfo.utcoffset(expires) is None:
        raise v.fail(prop, expires.isoformat(), "must have a time zone (e.g. datetime(..., tzinfo=timezone.utc))")
    now = datetime.datetime.now(datetime.timezone.utc)
    if expires <= now:
        raise v.fail(prop, iso_utc(expires), "is in the past: the role could never be assumed")
    if expires - now > MAX_EXPECTED_EXPIRY:
        years = (expires - now).days // 365
        v.warn(prop, iso_utc(expires), f"is {years} year(s) away: an end that far ahead is no end (a mistyped year?); "
               "temporary access ends within a year")
    return expires


def iso_utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_principal_arns(prop: str, arns: Sequence[str], account_id: str) -> list[str]:
    """Role/user ARNs in ``account_id``: no wildcards, no other account."""
    result = v.sequence(prop, arns, what="ARNs")
    for arn in result:
        if v.is_token(arn):
            continue
        match = _PRINCIPAL_ARN.fullmatch(arn) if isinstance(arn, str) else None
        if not match or not match.group(3).startswith(("role/", "user/")):
            raise v.fail(prop, arn, "must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)")
        if "*" in arn or "?" in arn:
            raise v.fail(prop, arn, "must not contain wildcards: name each role or user")
        if not v.is_token(account_id) and match.group(2) != account_id:
            raise v.fail(prop, arn, f"must be in the trusted account {account_id}")
    v.unique(prop, [a for a in result if isinstance(a, str)])
    return result
