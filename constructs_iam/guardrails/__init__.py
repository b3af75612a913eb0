"""IamGuardrails: account-wide IAM rules over the synthesized templates, applied with one call.

    IamGuardrails.of(app)                                   # checks only
    IamGuardrails.of(app, permissions_boundary=boundary)    # and every role/user gets the boundary

``IamGuardrails`` is a CDK policy-validation plugin (the mechanism cdk-nag 3 uses): after the
templates are written it reads each stack's template once, so it sees every policy CloudFormation
can hold, whoever wrote it (a pattern, an ``aws_iam`` L2, an escape hatch, a third-party
construct). A finding fails ``cdk synth`` and ``app.synth()`` and can be acknowledged on one
resource with a reason (``constructs_iam.acknowledge``), never rule-wide. The rules and their ids
are in ``RULES`` (``constructs_iam.guardrails.rules``).

Every role pattern of this library registers its intent with the plugin of its app (registered at
the root of the construct tree, so every ``Stage`` is read), so the seal rules
(``IamGuardrails-PatternWidened``, ``-PatternPrincipalUnresolved``, ``-PatternChangedAtDeploy``)
hold even in an app that never calls ``IamGuardrails.of``; the other rules apply to the scopes
given to ``of``, nested stacks included.

The rules (``rules``), the seal (``seal``, ``intent``) and the template reader (``templates``) are
plain Python over the templates and import without the CDK; ``IamGuardrails`` itself is the CDK
plugin (``plugin``), imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .rules import PATTERN_METADATA, RULES, Rule

if TYPE_CHECKING:  # the plugin needs the CDK; it is imported on first use (__getattr__ below)
    from .plugin import IamGuardrails

PLUGIN_NAME = "IamGuardrails"
"""The plugin's name: the namespace of its findings' acknowledgment ids (``IamGuardrails::<rule>``)."""

__all__ = ["IamGuardrails", "PATTERN_METADATA", "RULES", "Rule", "PLUGIN_NAME"]


def __getattr__(name: str) -> Any:
    """``IamGuardrails`` and the plugin's helpers, from ``.plugin`` on first use: the rules, the
    seal and the template reader stay importable without the CDK (the access report uses them)."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(importlib.import_module(".plugin", __name__), name)
