"""AWS Control Tower's proactive controls for KMS and IAM (CT.KMS.PR.*, CT.IAM.PR.*) find nothing on
the sample's keys and roles.

The controls are AWS's cfn-guard rules, run by the real cfn-guard binary; both come from PyPI's
``cdklabs-cdk-validator-cfnguard`` (pinned in requirements-dev.txt), read from its package tarball.
In an organisation they run as CloudFormation hooks and cannot be acknowledged from a template, so
a resource must satisfy them. The control group shows that the rules do fail a key with CDK's
default policy, so a pass means something.
"""

from __future__ import annotations

import json
import platform
import subprocess
import tarfile
from importlib import metadata
from pathlib import Path

import pytest
from aws_cdk import App, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms

from constructs_iam import kms_key_policy
from stacks import AppConfig, build_stacks

from .support import CONTEXT, ENV

RULE_FOLDERS = ("keymanagementservice", "identityandaccessmanagement")


@pytest.fixture(scope="module")
def guard(tmp_path_factory) -> tuple[Path, list[Path]]:
    """The cfn-guard binary and the Control Tower KMS and IAM rule files, out of the package."""
    (tarball,) = [f for f in metadata.files("cdklabs-cdk-validator-cfnguard") or [] if str(f).endswith(".jsii.tgz")]
    where = tmp_path_factory.mktemp("cfn-guard")
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine().lower()]
    binary = f"package/bin/ubuntu/{machine}/cfn-guard"
    rules = tuple(f"package/rules/control-tower/cfn-guard/{folder}/" for folder in RULE_FOLDERS)
    with tarfile.open(tarball.locate()) as archive:
        members = [m for m in archive.getmembers() if m.name == binary or (m.name.startswith(rules) and m.name.endswith(".guard"))]
        archive.extractall(where, members=members, filter="data")
    executable = where / binary
    executable.chmod(0o755)
    files = sorted(where.glob("package/rules/control-tower/cfn-guard/*/*.guard"))
    assert {f.name.split(".")[0] for f in files} >= {"ct-kms-pr-1", "ct-kms-pr-2", "ct-kms-pr-3", "ct-iam-pr-1",
                                                      "ct-iam-pr-2", "ct-iam-pr-3", "ct-iam-pr-4", "ct-iam-pr-5"}
    return executable, files


def failures(guard: tuple[Path, list[Path]], templates: list[Path]) -> list[tuple[str, str]]:
    """(template, rule) of every failed control; an error of cfn-guard fails the test."""
    binary, rules = guard
    command = [str(binary), "validate", "--structured", "-o", "json", "--show-summary", "none"]
    for rule in rules:
        command += ["-r", str(rule)]
    for template in templates:
        command += ["-d", str(template)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 19), result.stderr[-2000:]  # 19: some rule failed
    found = []
    for report in json.loads(result.stdout):
        for rule in report.get("not_compliant", []):
            name = rule.get("Rule", {}).get("name") if isinstance(rule.get("Rule"), dict) else rule.get("name", rule)
            found.append((Path(report["name"]).name, str(name)))
    if result.returncode == 19:
        assert found, result.stdout[-2000:]
    return found


@pytest.fixture(scope="module")
def sample_templates(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(out), context=dict(CONTEXT))
    build_stacks(app, AppConfig.from_dict(CONTEXT["constructs-iam"]))
    app.synth()
    templates = sorted(out.glob("*.template.json"))
    assert len(templates) > 5
    return templates


def test_the_sample_passes_control_towers_kms_and_iam_controls(guard, sample_templates):
    assert failures(guard, sample_templates) == []


def test_every_key_of_the_sample_was_evaluated_by_the_grant_control(sample_templates):
    keys = [template.name for template in sample_templates
            for resource in json.loads(template.read_text())["Resources"].values() if resource["Type"] == "AWS::KMS::Key"]
    assert len(keys) >= 5  # data key, shared bucket key, user-secrets key, log key, root-alarm topic key


def test_the_control_group_a_key_with_cdks_default_policy_fails_the_grant_control(guard, tmp_path):
    app = App(outdir=str(tmp_path / "out"))
    stack = Stack(app, "Keys", env=ENV)
    kms.Key(stack, "CdkDefault", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY)
    kms.Key(stack, "Ours", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY,
            policy=kms_key_policy(stack, used_through=["s3"]))
    app.synth()
    template = tmp_path / "out" / "Keys.template.json"
    assert failures(guard, [template]) == [("Keys.template.json", "kms_create_grant_aws_service_check")]
    body = json.loads(template.read_text())
    del body["Resources"][[k for k in body["Resources"] if k.startswith("CdkDefault")][0]]
    only_ours = tmp_path / "ours.template.json"
    only_ours.write_text(json.dumps(body))
    assert failures(guard, [only_ours]) == []
