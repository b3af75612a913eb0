"""Acknowledge one checker finding on one construct, with the reason (public API).

    from constructs_iam import acknowledge, wildcard_resource_finding

    acknowledge(bucket, "AwsSolutions-S1", "This is the access-log bucket; logging it to itself would loop.")
    acknowledge(policy, wildcard_resource_finding(policy, bucket.arn_for_objects("reports/*")),
                "IAM names the objects under a prefix only with a trailing '*'.")
    acknowledge(topic_policy, "IamGuardrails-OpenResourcePolicy", "...")

One acknowledgment travels to every scanner that has the same check: besides the CDK
acknowledgment that cdk-nag 3 and ``IamGuardrails`` read, it writes checkov's per-resource skip
(``Metadata.checkov.skip: [{"id", "comment"}]``) for each equivalent checkov check listed in
``CHECKOV_EQUIVALENTS``, with the same reason as the comment.

An acknowledgment names exactly one finding (cdk-nag ids carry the offending value in brackets,
e.g. ``AwsSolutions-IAM5[Resource::<Bucket.Arn>/reports/*]``) and applies to the construct it is
made on and its children. cdk-nag 3 and ``IamGuardrails`` both read these acknowledgments
(CDK's ``Validations``); the reason is kept in the cloud assembly's validation report.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from aws_cdk import Acknowledgment, CfnResource, Stack, Stage, Validations
from constructs import IConstruct

from . import _validation as v
from ._nag import flatten
from .guardrails import PLUGIN_NAME

__all__ = [
    "CHECKOV_EQUIVALENTS",
    "acknowledge",
    "acknowledge_all",
    "acknowledge_wildcard_resources",
    "acknowledge_wildcards",
    "check_rule_id",
    "checkov_equivalents",
    "flatten",
    "wildcard_resource_finding",
]

CHECKOV_EQUIVALENTS: dict[str, tuple[str, ...]] = {
    # S3
    "AwsSolutions-S1": ("CKV_AWS_18",),                             # server access logging
    "NIST.800.53.R5-S3BucketLoggingEnabled": ("CKV_AWS_18",),
    "NIST.800.53.R5-S3BucketVersioningEnabled": ("CKV_AWS_21",),   # versioning
    # Lambda
    "NIST.800.53.R5-LambdaConcurrency": ("CKV_AWS_115",),           # reserved concurrency
    "NIST.800.53.R5-LambdaDLQ": ("CKV_AWS_116",),                   # dead-letter queue
    "NIST.800.53.R5-LambdaInsideVPC": ("CKV_AWS_117",),             # VPC placement
    # KMS
    "AwsSolutions-KMS5": ("CKV_AWS_7",),                            # key rotation
    "NIST.800.53.R5-KMSBackingKeyRotationEnabled": ("CKV_AWS_7",),
    # CloudWatch Logs
    "NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod": ("CKV_AWS_66",),
    "NIST.800.53.R5-CloudWatchLogGroupEncrypted": ("CKV_AWS_158",),  # KMS encryption
}
"""cdk-nag rule (the id before any ``[...]``) -> the checkov checks that test the same property.
Kept small and explicit; a test checks that every checkov id exists in the pinned checkov."""

def acknowledge_all(scope: IConstruct, findings: Sequence[tuple[str, str]]) -> None:
    """``acknowledge`` for several ``(finding_id, reason)`` pairs on one construct: one call to CDK
    for the acknowledgments and one checkov metadata write, whatever their number."""
    acks: dict[str, str] = {}
    for finding_id, reason in findings:
        acks.setdefault(_checked_id(scope, finding_id, reason), reason)
    if not acks:
        return
    Validations.of(scope).acknowledge(*[Acknowledgment(id=finding, reason=why) for finding, why in acks.items()])
    checkov = [(check, why) for finding, why in acks.items() for check in checkov_equivalents(finding)]
    if checkov:
        _skip_in_checkov(scope, checkov)


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledge the finding ``finding_id`` on ``scope`` (a resource or the construct holding it).

    :param finding_id: a cdk-nag finding id as the CLI prints it (``AwsSolutions-IAM5[...]``,
        ``NIST.800.53.R5-S3BucketLoggingEnabled``) or an ``IamGuardrails-<Rule>`` id.
    :param reason: why this finding is acceptable here; at least ``MIN_REASON`` (10) characters.

    Refused with a ``PropsError`` (a ``ValueError``) naming ``scope``'s path: an empty or short reason, a stack, stage or app as scope (that
    would silence the finding for everything inside it), and an id whose rule no pack has
    (``check_rule_id``: a misspelt id would acknowledge nothing while looking reviewed).
    """
    finding_id = _checked_id(scope, finding_id, reason)
    Validations.of(scope).acknowledge(Acknowledgment(id=finding_id, reason=reason))
    checkov = checkov_equivalents(finding_id)
    if checkov:
        _skip_in_checkov(scope, [(check, reason) for check in checkov])


def _checked_id(scope: IConstruct, finding_id: str, reason: str) -> str:
    """``finding_id`` as CDK matches it (``IamGuardrails::`` namespace added), after the checks
    ``acknowledge`` documents."""
    problems = []
    if not isinstance(finding_id, str) or not finding_id.strip():
        problems.append(str(v.fail("finding_id", finding_id, "must name one finding, e.g. 'AwsSolutions-S1'")))
    else:
        try:
            check_rule_id("finding_id", finding_id)
        except ValueError as error:
            problems.append(str(error))
    try:
        v.reason("reason", reason, "the finding is acceptable")
    except ValueError as error:
        problems.append(str(error))
    if not v.has(scope, "node"):
        problems.append(str(v.fail("scope", scope, "must be a construct (the resource, or a construct holding it)")))
    elif isinstance(scope, (Stage, Stack)):
        problems.append(str(v.fail("scope", scope.node.path,
                                   "must be the resource (or a construct holding it), not a whole stack, stage or app")))
    if problems:  # a PropsError (a ValueError) naming the construct the acknowledgment was made on
        raise v.PropsError(scope.node.path if v.has(scope, "node") else repr(scope), "acknowledge", problems)
    if finding_id.startswith(f"{PLUGIN_NAME}-"):
        finding_id = f"{PLUGIN_NAME}::{finding_id}"
    return finding_id


NAG_RULE_IDS_FILE = Path(__file__).parent / "data" / "nag_rule_ids.json"
"""Every rule id of the cdk-nag packs (written by ``python -m tools.nag_rule_ids`` from the pinned cdk-nag)."""


@lru_cache(maxsize=1)
def _rule_ids() -> dict[str, frozenset[str]]:
    packs = json.loads(NAG_RULE_IDS_FILE.read_text())["packs"]
    return {pack: frozenset(ids) for pack, ids in packs.items()}


def check_rule_id(prop: str, finding_id: str) -> str:
    """``finding_id`` names a rule that exists: an ``IamGuardrails-<Rule>`` of ``RULES``, or a rule of
    one of cdk-nag's packs (``AwsSolutions-IAM5``, ``NIST.800.53.R5-S3BucketLoggingEnabled``), with an
    optional ``[...]`` naming the finding. Anything else is refused with the closest rule id."""
    from .guardrails.rules import RULES_BY_ID

    if not isinstance(finding_id, str) or any(c.isspace() and c != " " for c in finding_id) or finding_id != finding_id.strip():
        raise v.fail(prop, finding_id, "must be one finding id on one line, without surrounding spaces")
    named = finding_id.removeprefix(f"{PLUGIN_NAME}::")
    rule, bracket, _ = named.partition("[")
    known = set(RULES_BY_ID)
    for ids in _rule_ids().values():
        known |= ids
    if rule in known and (not bracket or named.endswith("]")):
        return finding_id
    close = difflib.get_close_matches(rule, sorted(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    packs = ", ".join([*_rule_ids(), PLUGIN_NAME])
    raise v.fail(prop, finding_id, f"names no rule of the packs ({packs}){hint}: an acknowledgment of an unknown id "
                 "acknowledges nothing")


def checkov_equivalents(finding_id: str) -> tuple[str, ...]:
    """The checkov checks equivalent to a cdk-nag finding id (``()`` when none is mapped)."""
    rule = finding_id.split("::", 1)[-1].split("[", 1)[0]
    return CHECKOV_EQUIVALENTS.get(rule, ())


def _skip_in_checkov(scope: IConstruct, checks: Sequence[tuple[str, str]]) -> None:
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child  # no round trip for an L1
    if resource is None or not isinstance(resource, CfnResource):
        raise v.fail("scope", scope.node.path, "must be a CloudFormation resource, or an L2 construct with one "
                     "default resource, to carry the checkov skip of this acknowledgment")
    cfn: CfnResource = resource  # type: ignore[assignment]
    current = cfn.get_metadata("checkov") or {}
    skips = list(current.get("skip", []))
    for check, reason in checks:
        if not any(entry.get("id") == check for entry in skips):
            skips.append({"id": check, "comment": reason})
    cfn.add_metadata("checkov", {**current, "skip": skips})


def wildcard_resource_finding(scope: IConstruct, arn: str, rule: str = "AwsSolutions-IAM5") -> str:
    """The id cdk-nag gives a wildcard in ``arn`` as a statement's resource in ``scope``'s stack."""
    return f"{rule}[Resource::{flatten(Stack.of(scope).resolve(arn))}]"


def acknowledge_wildcard_resources(scope: IConstruct, arns: Sequence[str], reason: str, rule: str = "AwsSolutions-IAM5") -> list[str]:
    """Acknowledge ``AwsSolutions-IAM5`` for each of ``arns`` that contains a ``*``; return the ids."""
    return acknowledge_wildcards(scope, [(arn, reason) for arn in arns], rule)


def acknowledge_wildcards(scope: IConstruct, reasons: Sequence[tuple[str, str]], rule: str = "AwsSolutions-IAM5") -> list[str]:
    """``acknowledge_wildcard_resources`` for several ``(arn, reason)`` pairs at once: the ARNs are
    resolved in one call and acknowledged in one, whatever their number."""
    check_rule_id("rule", rule)
    for _, reason in reasons:
        v.reason("reason", reason, "the finding is acceptable")
    resolved = Stack.of(scope).resolve([arn for arn, _ in reasons])  # one round trip for every ARN
    acks: dict[str, str] = {}
    for arn, (_, reason) in zip(resolved, reasons):
        if "*" in flatten(arn):
            acks.setdefault(f"{rule}[Resource::{flatten(arn)}]", reason)
    if acks:
        Validations.of(scope).acknowledge(*[Acknowledgment(id=finding, reason=why) for finding, why in acks.items()])
    return list(acks)


def acknowledge_findings(scope: IConstruct, findings: list[str], reason: str) -> None:
    """Acknowledge exact cdk-nag finding ids on ``scope`` in one call to Node (the patterns' own
    findings, computed in Python; none of them has a checkov equivalent).

    Written as one acknowledgment record holding every id (``Validations.ACKNOWLEDGED_RULES_METADATA_KEY``,
    the record ``Validations.acknowledge`` writes one of per id, with a stack trace each, which costs
    Node about 0.1 ms per id: the developer role acknowledges 2,660 generated wildcards). The ids are
    normalised as ``Validations.acknowledge`` does (``acknowledgment_key``, pinned by a test)."""
    if findings:
        scope.node.add_metadata(_ACKNOWLEDGED_RULES, {acknowledgment_key(f): reason for f in dict.fromkeys(findings)})


_ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
"""``Validations.ACKNOWLEDGED_RULES_METADATA_KEY`` (a test pins it against CDK's constant)."""


def acknowledgment_key(finding_id: str) -> str:
    """The key ``Validations.acknowledge`` records ``finding_id`` under: as given when it names its
    plugin (``IamGuardrails::...``), else under CDK's ``Annotation::`` namespace, which the validation
    report matches against every plugin's findings."""
    if "::" not in finding_id:
        return f"Annotation::{finding_id}"
    depth = 0
    for i, c in enumerate(finding_id):
        if c in "[({":
            depth += 1
        elif c in "])}":
            depth -= 1
        elif c == ":" and finding_id[i + 1:i + 2] == ":" and depth == 0:
            return finding_id
    return f"Annotation::{finding_id}"
