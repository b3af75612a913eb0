"""Shared test helpers: build stacks the way app.py does, run the checks, read statements."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from stacks import load_cdk_json

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = load_cdk_json(ROOT / "cdk.json")
FLAGS = {k: v for k, v in CONTEXT.items() if k.startswith("@aws-cdk")}
ENV = cdk.Environment(account="222222222222", region="eu-west-1")


def new_app(extra_context: dict[str, Any] | None = None) -> cdk.App:
    """An App with cdk.json's feature flags (and, optionally, more context)."""
    return cdk.App(context={**FLAGS, **(extra_context or {})})


def new_stack(app: cdk.App | None = None, name: str = "Test", env: cdk.Environment = ENV) -> cdk.Stack:
    return cdk.Stack(app or new_app(), name, env=env)


def nag_findings(stack: cdk.Stack) -> list[str]:
    """Unacknowledged findings of both packs on ``stack``: rule id and construct path."""
    findings = []
    for pack in (AwsSolutionsChecks(stack), NIST80053R5Checks(stack)):
        report = pack.validate_scope(stack)
        for violation in report.violations:
            paths = [r.construct_path for r in violation.violating_resources]
            findings.append(f"{violation.rule_name} at {paths}")
    return findings


def logical_id(construct: Any) -> str:
    """The logical id CDK gives ``construct`` (an L2's default child), computed, never hard-coded."""
    child = construct.node.default_child or construct
    return cdk.Stack.of(child).get_logical_id(child)


def policy_statements(template: Template, policy: Any) -> list[dict[str, Any]]:
    """The statements of ``policy`` (an ``iam.ManagedPolicy``) as synthesized in ``template``."""
    resource = template.to_json()["Resources"][logical_id(policy)]
    return resource["Properties"]["PolicyDocument"]["Statement"]


def trust_statements(template: Template, role: Any) -> list[dict[str, Any]]:
    resource = template.to_json()["Resources"][logical_id(role)]
    return resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]


def actions_of(statements: list[dict[str, Any]], effect: str = "Allow") -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        if statement["Effect"] != effect:
            continue
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def cfn_lint(template: dict[str, Any], tmp_path: Path, name: str = "template") -> list[str]:
    """cfn-lint findings (errors and warnings) for one template."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(template))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", str(path)],
        capture_output=True,
        text=True,
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


def guardrail_findings(app: cdk.App, plugin: str | None = "IamGuardrails") -> list[tuple[str, str, str]]:
    """Synthesize ``app``; return (rule, construct path, description) of each unacknowledged finding
    of ``plugin`` (every plugin with None). [] when synthesis succeeds."""
    try:
        app.synth()
        return []
    except RuntimeError as error:
        if "found in:" not in str(error):
            raise
        report = json.loads(Path(str(error).split("found in:", 1)[1].strip()).read_text())
    return [
        (violation["ruleName"], construct["constructPath"], violation["description"])
        for report_ in report["pluginReports"] if plugin is None or report_["pluginName"] == plugin
        for violation in report_["violations"]
        for construct in violation["violatingConstructs"]
    ]
