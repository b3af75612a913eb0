"""Acknowledge one checker finding on one construct, with the reason (public API).

    from constructs_iam import acknowledge, wildcard_resource_finding

    acknowledge(bucket, "AwsSolutions-S1", "This is the access-log bucket; logging it to itself would loop.")
    acknowledge(policy, wildcard_resource_finding(policy, bucket.arn_for_objects("reports/*")),
                "IAM names the objects under a prefix only with a trailing '*'.")
    acknowledge(topic_policy, "IamGuardrails-OpenResourcePolicy", "...")

An acknowledgment names exactly one finding (cdk-nag ids carry the offending value in brackets,
e.g. ``AwsSolutions-IAM5[Resource::<Bucket.Arn>/reports/*]``) and applies to the construct it is
made on and its children. cdk-nag 3 and ``IamGuardrails`` both read these acknowledgments
(CDK's ``Validations``); the reason is kept in the cloud assembly's validation report.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Stack, Stage, Validations
from constructs import IConstruct

from . import _validation as v
from ._nag import flatten
from .guardrails import PLUGIN_NAME

__all__ = ["acknowledge", "wildcard_resource_finding", "acknowledge_wildcard_resources", "flatten"]

_MIN_REASON = 10


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    """Acknowledge the finding ``finding_id`` on ``scope`` (a resource or the construct holding it).

    :param finding_id: a cdk-nag finding id as the CLI prints it (``AwsSolutions-IAM5[...]``,
        ``NIST.800.53.R5-S3BucketLoggingEnabled``) or an ``IamGuardrails-<Rule>`` id.
    :param reason: why this finding is acceptable here; at least 10 characters.

    Refused with a ``ValueError``: an empty or short reason, and a stack, stage or app as scope
    (that would silence the finding for everything inside it).
    """
    if not isinstance(finding_id, str) or not finding_id.strip():
        raise v.fail("finding_id", finding_id, "must name one finding, e.g. 'AwsSolutions-S1'")
    if not isinstance(reason, str) or len(reason.strip()) < _MIN_REASON:
        raise v.fail("reason", reason, f"must say why the finding is acceptable ({_MIN_REASON} characters or more)")
    if Stage.is_stage(scope) or Stack.is_stack(scope):
        raise v.fail("scope", scope.node.path,
                     "must be the resource (or a construct holding it), not a whole stack, stage or app")
    if finding_id.startswith(f"{PLUGIN_NAME}-"):
        finding_id = f"{PLUGIN_NAME}::{finding_id}"
    Validations.of(scope).acknowledge(Acknowledgment(id=finding_id, reason=reason))


def wildcard_resource_finding(scope: IConstruct, arn: str, rule: str = "AwsSolutions-IAM5") -> str:
    """The id cdk-nag gives a wildcard in ``arn`` as a statement's resource in ``scope``'s stack."""
    return f"{rule}[Resource::{flatten(Stack.of(scope).resolve(arn))}]"


def acknowledge_wildcard_resources(scope: IConstruct, arns: Sequence[str], reason: str) -> list[str]:
    """Acknowledge ``AwsSolutions-IAM5`` for each of ``arns`` that contains a ``*``; return the ids."""
    ids: list[str] = []
    for arn in arns:
        finding = wildcard_resource_finding(scope, arn)
        if "*" in finding.split("[", 1)[1] and finding not in ids:
            ids.append(finding)
            acknowledge(scope, finding, reason)
    return ids
