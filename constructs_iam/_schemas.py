"""CloudFormation's resource provider schemas and IAM's action list, read from the JSON files that
cfn-lint ships, without importing cfn-lint (its import costs about 0.7 s, paid by every synth that
generates CDK execution policies). CDK-free: the lifecycle gate uses it too."""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["cfnlint_data", "iam_actions", "policies_spec", "resource_schema"]


@lru_cache(maxsize=1)
def cfnlint_data() -> Path:
    """cfn-lint's ``data`` directory (schemas, additional specs)."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cfn-lint's resource schemas are needed here: pip install cfn-lint")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=4)
def _index(region: str) -> dict[str, str]:
    return dict(json.loads((cfnlint_data() / "schemas" / "providers" / f"{region}.json").read_text()))


@lru_cache(maxsize=None)
def resource_schema(resource_type: str, region: str = "us-east-1") -> dict[str, Any] | None:
    """CloudFormation's resource schema of ``resource_type`` in ``region``; None when cfn-lint's
    data has none (types of CloudFormation itself, legacy handlers, custom resources)."""
    digest = _index(region).get(resource_type)
    if digest is None:
        return None
    return dict(json.loads((cfnlint_data() / "schemas" / "resources" / f"{digest}.json").read_text()))


@lru_cache(maxsize=1)
def policies_spec() -> dict[str, Any]:
    """cfn-lint's ``AdditionalSpecs/Policies.json`` (service prefix -> its actions, lower case, each with
    the resource types it acts on), parsed once per process: about 2 MB."""
    return dict(json.loads((cfnlint_data() / "AdditionalSpecs" / "Policies.json").read_text()))


@lru_cache(maxsize=1)
def iam_actions() -> dict[str, frozenset[str]]:
    """IAM's actions by service prefix, lower case, as cfn-lint knows them (its check W3037)."""
    return {service: frozenset(entry.get("Actions", {})) for service, entry in policies_spec().items()}
