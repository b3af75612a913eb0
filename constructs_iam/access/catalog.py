"""The catalog of AWS managed policies, behind a small interface.

``ManagedPolicyCatalog.document(arn)`` returns the policy document of an AWS managed policy ARN,
``None`` when the ARN is not an AWS managed policy, or raises ``Unresolvable``. The default reads
moto's maintained copy of the AWS catalog (``constructs-iam[access]``); pass another catalog to
``AccessModel(catalog=...)`` to read a file of your own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
        data = _moto_catalog_text()
    except ImportError as error:  # pragma: no cover - moto is a test dependency here
        raise Unresolvable(f"AWS managed policy {arn}: install moto for the packaged AWS catalog") from error
    catalog = _catalog(data)
    entry = catalog.get(match.group(2))
    if entry is None or entry["Path"] != match.group(1):
        raise Unresolvable(f"AWS managed policy {arn} is not in the packaged catalog")
    return entry["Document"]


@lru_cache(maxsize=1)
def _moto_catalog_text() -> str:
    """moto's copy of the catalog (``moto/iam/aws_managed_policies.py``, one JSON string), read as a
    file: importing it as ``moto.iam...`` would first import moto itself (about 1.5 s)."""
    spec = importlib.util.find_spec("moto")  # locates the package, imports nothing
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("moto is not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / "iam" / "aws_managed_policies.py"
    namespace: dict[str, Any] = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)  # a data module: one string assignment
    return str(namespace["aws_managed_policies_data"])


@lru_cache(maxsize=1)
def _catalog(data: str) -> dict[str, Any]:
    return json.loads(data)


