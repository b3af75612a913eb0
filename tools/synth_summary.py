#!/usr/bin/env python3
"""Summarize a synthesized cloud assembly: stacks, IAM resources, checks. Exit 1 on any finding.

Run by `make synth` after `cdk synth` (which already failed on any unacknowledged cdk-nag finding).
It also runs cfn-lint on every template and fails on any error or warning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from constructs_iam.report import read_assembly

IAM_TYPES = {
    "AWS::IAM::Role": "roles",
    "AWS::IAM::InstanceProfile": "instance profiles",
    "AWS::IAM::ManagedPolicy": "managed policies",
    "AWS::IAM::Policy": "inline policies",
    "AWS::IAM::User": "users",
    "AWS::IAM::Group": "groups",
}
CHECKS = "IamGuardrails + cdk-nag AwsSolutions + NIST 800-53 R5"
ROOT = Path(__file__).resolve().parent.parent


def run_checkov(outdir: Path) -> dict[str, list[dict]]:
    """checkov 3 (its own virtualenv) over the templates: {"passed"|"failed"|"skipped": [check, ...]}."""
    binary = os.environ.get("CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")
    result = subprocess.run(
        [binary, "-d", str(outdir), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True, text=True,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise SystemExit(f"checkov failed to run ({result.returncode}): {result.stderr[-2000:]}")
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    out: dict[str, list[dict]] = {"passed": [], "failed": [], "skipped": []}
    for report in reports:
        if "results" not in report:  # "no resources scanned" summary
            continue
        for kind in out:
            out[kind] += report["results"].get(f"{kind}_checks", [])
    return out


def main(outdir: str) -> int:
    out = Path(outdir)
    stacks = read_assembly(out)  # templates, environments and acknowledgments, as the access report reads them
    report = json.loads((out / "validation-report.json").read_text()) if (out / "validation-report.json").exists() else {}
    violations = [v for plugin in report.get("pluginReports", []) for v in plugin.get("violations", [])]

    print(f"\nSynthesized {len(stacks)} stacks into {out}/ with {CHECKS}:")
    templates = []
    total_acks = 0
    extensions: list[str] = []
    for stack in stacks:
        templates.append(str(stack.template_path))
        resources = stack.template.get("Resources", {})
        for resource in resources.values():
            record = (resource.get("Metadata") or {}).get("constructs-iam") or {}
            for extension in record.get("extensions", []):
                extensions.append(f"{record['path']} ({record['pattern']}): +{', '.join(extension['actions'])}: "
                                  f"{extension['reason']}")
        types = Counter(r["Type"] for r in resources.values())
        iam = ", ".join(f"{types[t]} {label}" for t, label in IAM_TYPES.items() if types[t])
        acks = sum(len(items) for items in stack.acknowledgments.values())
        total_acks += acks
        print(f"  {stack.name:<34} {stack.environment:<34} {len(resources):>3} resources  ({iam or 'no IAM'}); "
              f"{acks} acknowledged findings")

    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *templates], capture_output=True, text=True
    )
    lint_findings = [line for line in lint.stdout.splitlines() if line.strip()]
    print(f"\nChecks: {CHECKS}: {len(violations)} unacknowledged findings, {total_acks} acknowledged (each names one finding and why)")
    print(f"        cfn-lint: {len(lint_findings)} errors/warnings")
    checkov = run_checkov(out)
    print(f"        checkov: {len(checkov['failed'])} failed, {len(checkov['passed'])} passed, "
          f"{len(checkov['skipped'])} skipped (each skip carries the acknowledgment's reason)")
    for check in checkov["failed"]:
        print(f"          FAILED {check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}")
    for check in checkov["skipped"]:
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        print(f"          skipped {check['check_id']} {check['resource']}: {comment}")
    print(f"        patterns widened on purpose (extend_policy): {len(extensions)}")
    for line in extensions:
        print(f"          {line}")
    for line in lint_findings:
        print(f"          {line}")
    if lint.returncode not in (0,) and not lint_findings:
        print(lint.stderr)
    return 1 if violations or lint_findings or lint.returncode or checkov["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "cdk.out"))
