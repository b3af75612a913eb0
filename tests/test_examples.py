"""Every example in examples/ is a complete CDK app that synthesizes clean under the checks, and the
README's first example is the file itself (no copy that drifts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .support import ROOT

EXAMPLES = sorted(path.parent.name for path in (ROOT / "examples").glob("*/app.py"))


def test_there_is_an_example_for_each_common_need():
    assert EXAMPLES == ["app_prefix", "developer_access", "ec2_reader", "github_actions", "tenant_bucket"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_synthesizes_clean_under_guardrails_and_both_nag_packs(name, tmp_path):
    out = tmp_path / "cdk.out"
    # as a user runs it (`cdk synth --app "python app.py"` sets CDK_OUTDIR); app.synth() fails on any finding
    env = {**os.environ, "CDK_OUTDIR": str(out), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT / "examples" / name, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    manifest = json.loads((out / "manifest.json").read_text())
    stacks = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
    assert stacks, "the example synthesized no stack"
    report = json.loads((out / "validation-report.json").read_text())
    assert [v for plugin in report["pluginReports"] for v in plugin["violations"]] == []
    for artifact in stacks:  # every role it creates holds customer managed policies only, no inline ones
        template = json.loads((out / artifact["properties"]["templateFile"]).read_text())
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Role":
                assert "Policies" not in resource["Properties"]


def test_the_readme_example_is_the_ec2_reader_example():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    source = (ROOT / "examples" / "ec2_reader" / "app.py").read_text()
    assert block.strip() in source


def test_an_example_with_a_widened_role_fails_synth(tmp_path):
    """The control: the examples' checks are live, so widening the pattern's role stops the example."""
    source = (ROOT / "examples" / "ec2_reader" / "app.py").read_text()
    widened = source.replace("IamGuardrails.of(app)", "reports.grant_read(reader)  # 43 actions, not 2\nIamGuardrails.of(app)")
    assert widened != source
    (tmp_path / "app.py").write_text(widened)
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path / "cdk.out"), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "PatternWidened" in result.stdout + result.stderr
