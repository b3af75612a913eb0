"""Acknowledge cdk-nag findings that a pattern cannot avoid, one finding at a time (not public API).

cdk-nag 3 matches an acknowledgment by its exact id, e.g.
``AwsSolutions-IAM5[Resource::<DataBucketE3889A50.Arn>/reports/*]``. The id embeds the resource
as cdk-nag flattens it (``Ref`` -> ``<Id>``, ``Fn::GetAtt`` -> ``<Id.Attr>``, ``Fn::Join``
concatenated, ``${X}`` -> ``<X>``), so this module flattens our own ARNs the same way and
acknowledges exactly those findings, never a whole rule.
"""

from __future__ import annotations

import json
from typing import Any

from constructs import IConstruct


def flatten(value: Any) -> str:
    """cdk-nag's ``flattenCfnReference``, in Python."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten(item) for item in items)
        if "Fn::Sub" in value:
            return flatten(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten(resource)}.{flatten(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    from .acknowledgments import acknowledge as public

    public(scope, rule_id, reason)


def acknowledge_findings(scope: IConstruct, findings: list[str], reason: str) -> None:
    """Acknowledge several exact findings on ``scope`` in one call to Node (the patterns' own,
    computed in Python; no checkov equivalent)."""
    from aws_cdk import Acknowledgment, Validations

    if findings:
        Validations.of(scope).acknowledge(*[Acknowledgment(id=f, reason=reason) for f in dict.fromkeys(findings)])


def acknowledge_wildcard_resources(scope: IConstruct, arns: list[str], reason: str) -> list[str]:
    from .acknowledgments import acknowledge_wildcard_resources as public

    return public(scope, arns, reason)


OBJECT_ARN_REASON = (
    "IAM names the objects under an S3 prefix only with a trailing '*' "
    "(arn:aws:s3:::bucket/prefix/*); the statement grants exact object actions on that one prefix."
)
