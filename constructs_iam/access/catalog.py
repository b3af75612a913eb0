"""The catalog of AWS managed policies, behind a small interface.

``ManagedPolicyCatalog.document(arn)`` returns the policy document of an AWS managed policy ARN,
``None`` when the ARN is not an AWS managed policy, or raises ``Unresolvable``. The default reads
moto's maintained copy of the AWS catalog (``constructs-iam[access]``); pass another catalog to
``AccessModel(catalog=...)`` to read a file of your own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .._cfn import Unresolvable

from typing import Protocol


class ManagedPolicyCatalog(Protocol):
    def document(self, arn: str) -> Any: ...


class MotoCatalog:
    """AWS managed policies from moto's copy of the AWS catalog."""

    def document(self, arn: str) -> Any:
        return _aws_managed_document(arn)


class DictCatalog:
    """AWS managed policies from a mapping of policy name to ``{"Path", "Document"}`` (the catalog's form)."""

    def __init__(self, entries: Mapping[str, Any]) -> None:
        self.entries = entries

    def document(self, arn: str) -> Any:
        match = re.match(r"^arn:aws[a-z-]*:iam::aws:policy(/.*/|/)([^/]+)$", arn)
        if not match:
            return None
        entry = self.entries.get(match.group(2))
        if entry is None or entry.get("Path", "/") != match.group(1):
            raise Unresolvable(f"AWS managed policy {arn} is not in the catalog")
        return entry["Document"]


def _aws_managed_document(arn: str) -> Any:
    match = re.match(r"^arn:aws[a-z-]*:iam::aws:policy(/.*/|/)([^/]+)$", arn)
    if not match:
        return None
    try:
        from moto.iam.aws_managed_policies import aws_managed_policies_data
    except ImportError as error:  # pragma: no cover - moto is a test dependency here
        raise Unresolvable(f"AWS managed policy {arn}: install moto for the packaged AWS catalog") from error
    catalog = _catalog(aws_managed_policies_data)
    entry = catalog.get(match.group(2))
    if entry is None or entry["Path"] != match.group(1):
        raise Unresolvable(f"AWS managed policy {arn} is not in the packaged catalog")
    return entry["Document"]


@lru_cache(maxsize=1)
def _catalog(data: str) -> dict[str, Any]:
    return json.loads(data)


