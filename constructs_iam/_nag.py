"""How cdk-nag writes a finding's id, and the reasons the patterns share (not public API; the
acknowledging itself is ``constructs_iam.acknowledgments``).

cdk-nag 3 matches an acknowledgment by its exact id, e.g.
``AwsSolutions-IAM5[Resource::<DataBucketE3889A50.Arn>/reports/*]``. The id embeds the resource
as cdk-nag flattens it (``Ref`` -> ``<Id>``, ``Fn::GetAtt`` -> ``<Id.Attr>``, ``Fn::Join``
concatenated, ``${X}`` -> ``<X>``), so this module flattens our own ARNs the same way and
acknowledges exactly those findings, never a whole rule.
"""

from __future__ import annotations

import json
from typing import Any



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


OBJECT_ARN_REASON = (
    "IAM names the objects under an S3 prefix only with a trailing '*' "
    "(arn:aws:s3:::bucket/prefix/*); the statement grants exact object actions on that one prefix."
)
