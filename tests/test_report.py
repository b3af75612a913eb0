"""The access report: who can do what in the sample app, its paths, the diagram, and the baseline gate."""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import App

from constructs_iam import report
from stacks import AppConfig, build_stacks, register_checks

from .support import CONTEXT, ROOT


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(out), context={**CONTEXT, "aws:cdk:enable-path-metadata": True})
    build_stacks(app, AppConfig.from_dict(CONTEXT["constructs-iam"]))
    register_checks(app)
    app.synth()
    return out


@pytest.fixture(scope="module")
def data(sample_out) -> dict:
    return report.report(report.read_assembly(sample_out), source=str(sample_out))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "constructs_iam.report", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_every_role_and_user_of_every_stack_is_named(data, sample_out):
    expected = set()
    for path in sample_out.glob("*.template.json"):
        for resource in json.loads(path.read_text())["Resources"].values():
            if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
                expected.add(resource["Metadata"]["aws:cdk:path"].removesuffix("/Resource"))
    assert {p["id"] for p in data["principals"]} == expected
    assert data["schema"] == report.SCHEMA


def test_the_developers_group_has_a_path_into_production(data):
    paths = {(p["from"], p["to"]) for p in data["paths"]}
    role = "ConstructsIam-ProductionAccess/DeveloperReadOnly/Role"
    assert ("ConstructsIam-Identity/Group-developers/Group", role) in paths
    assert ("ConstructsIam-Identity/User-alice.example/User", role) in paths
    assert ("ConstructsIam-Identity/User-carol.example/User", role) not in paths  # an auditor, not a developer


def test_the_scaling_role_can_pass_the_instance_role_and_so_reach_the_reports(data):
    (path,) = [p for p in data["paths"] if p["from"] == "ConstructsIam-Workload/Scaling/Role"]
    assert path["to"] == "ConstructsIam-Workload/Ec2ReadOnly/Role"
    assert path["steps"] == ["passes to ec2.amazonaws.com ConstructsIam-Workload/Ec2ReadOnly/Role"]
    assert any(r.endswith("/reports/daily/*") for r in path["reaches"])
    reaching = [who for r, who in data["resources"].items() if r.endswith("/reports/daily/*")][0]
    assert any(w.startswith("ConstructsIam-Workload/Scaling/Role (via") for w in reaching)


def test_opening_a_session_on_an_instance_is_a_path_to_its_instance_role(data):
    """A shell on an instance can use the instance role's credentials."""
    (path,) = [p for p in data["paths"] if p["from"] == "ConstructsIam-Workload/InstanceSession/Role"]
    assert path["to"] == "ConstructsIam-Workload/Ec2ReadOnly/Role"
    assert path["steps"] == ["opens a session on an instance of ConstructsIam-Workload/Ec2ReadOnly/Role"]
    assert any(r.endswith("/reports/daily/*") for r in path["reaches"])
    (edge,) = [e for e in data["edges"] if e["kind"] == "session"]
    assert edge["via"] == ["ssm:StartSession"]
    developer = ("ConstructsIam-Identity/User-alice.example/User", "ConstructsIam-Workload/Ec2ReadOnly/Role")
    assert developer in {(p["from"], p["to"]) for p in data["paths"]}


def test_principals_carry_trust_grants_acknowledgments_and_risk_flags(data):
    by_id = {p["id"]: p for p in data["principals"]}
    ec2 = by_id["ConstructsIam-Workload/Ec2ReadOnly/Role"]
    assert ec2["pattern"] == "Ec2S3ReadOnlyRole"
    assert [t["principal"] for t in ec2["trusted_by"]] == ["ec2.amazonaws.com"]
    s3 = [a for a in ec2["allows"] if a["service"] == "s3"]
    assert {"Read", "List"} <= {lv for a in s3 for lv in a["access_levels"]}
    assert ec2["acknowledgments"] and all(a["reason"] for a in ec2["acknowledgments"])
    assert ec2["risks"] == {"privilege_escalation": [], "credentials_exposure": [], "data_exfiltration": [], "resource_exposure": []}
    scaler = by_id["ConstructsIam-Workload/Scaling/Role"]
    assert scaler["passes_roles"][0]["to_services"] == ["ec2.amazonaws.com"]
    ci = by_id["ConstructsIam-CiDeploy/GitHubActions/Role"]
    assert ci["trusted_by"][0]["type"] == "Federated"
    assert "token.actions.githubusercontent.com:sub" in json.dumps(ci["trusted_by"][0]["conditions"])


def test_markdown_json_and_html_from_the_command_line(sample_out, tmp_path):
    markdown = run(str(sample_out))
    assert markdown.returncode == 0, markdown.stderr
    assert "## role `ConstructsIam-ProductionAccess/DeveloperReadOnly/Role`" in markdown.stdout
    as_json = run(str(sample_out), "--format", "json")
    assert json.loads(as_json.stdout)["schema"] == report.SCHEMA
    page = tmp_path / "access.html"
    assert run(str(sample_out), "--format", "html", "--output", str(page)).returncode == 0
    text = page.read_text()
    assert "<svg" in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")  # no CDN, no network
    assert "https://" not in text


def test_the_diagram_renders_to_pixels_with_every_principal_labelled(data):
    import cairosvg
    from PIL import Image

    svg = report.to_svg(data)
    for principal in data["principals"]:
        if principal["kind"] in ("role", "user"):
            assert principal["id"] in svg
    png = cairosvg.svg2png(bytestring=svg.encode())
    image = Image.open(io.BytesIO(png)).convert("L")
    low, high = image.getextrema()
    assert image.size[0] > 300 and image.size[1] > 100 and high - low > 100  # not blank: dark text on white


def test_beyond_fifty_principals_the_diagram_summarises_stacks(data):
    many = copy.deepcopy(data)
    many["principals"] += [{**copy.deepcopy(many["principals"][0]), "id": f"Big/Role{i}", "stack": "Big"} for i in range(60)]
    svg = report.to_svg(many)
    assert "Big (60 principals)" in svg and "Big/Role59" not in svg


@pytest.fixture
def copies(sample_out, tmp_path) -> tuple[Path, Path]:
    base, change = tmp_path / "base", tmp_path / "change"
    shutil.copytree(sample_out, base)
    shutil.copytree(sample_out, change)
    return base, change


def test_an_identical_assembly_has_nothing_new(copies):
    base, change = copies
    result = run(str(change), "--baseline", str(base))
    assert result.returncode == 0, result.stdout
    assert "Newly allowed (0 not accepted" in result.stdout


def test_a_policy_that_gained_an_action_fails_the_gate_naming_it(copies, tmp_path):
    base, change = copies
    template_path = change / "ConstructsIam-Workload.template.json"
    template = json.loads(template_path.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and "Ec2ReadOnly" in resource["Metadata"]["aws:cdk:path"]:
            statement = resource["Properties"]["PolicyDocument"]["Statement"][0]
            statement["Action"] = [*([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]), "s3:PutObject"]
    template_path.write_text(json.dumps(template))
    result = run(str(change), "--baseline", str(base))
    assert result.returncode == 1
    assert "+ ConstructsIam-Workload/Ec2ReadOnly/Role s3:PutObject on " in result.stdout
    assert "ConstructsIam-Workload/Ec2ReadOnly/Policy#ObjectAccess" in result.stdout
    accepted = tmp_path / "accepted.txt"
    line = next(l for l in result.stdout.splitlines() if "s3:PutObject" in l).split("+ ", 1)[1]
    principal, action, _, resource = line.split()[:4]
    accepted.write_text(f"# reviewed in the change that adds it\n{principal} {action} {resource}\n")
    assert run(str(change), "--baseline", str(base), "--accept", str(accepted)).returncode == 0


def test_changed_trust_is_reported(copies):
    base, change = copies
    template_path = change / "ConstructsIam-Workload.template.json"
    template = json.loads(template_path.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role" and "Ec2ReadOnly" in resource["Metadata"]["aws:cdk:path"]:
            resource["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
    template_path.write_text(json.dumps(template))
    result = run(str(change), "--baseline", str(base))
    assert result.returncode == 1
    assert "trust:sts:AssumeRole on lambda.amazonaws.com" in result.stdout
    assert "- ConstructsIam-Workload/Ec2ReadOnly/Role trust:sts:AssumeRole on ec2.amazonaws.com" in result.stdout


def test_the_report_shows_which_organisation_policies_apply_to_each_account(data):
    organization = data["organization"]
    production = {p["name"]: p for p in organization["222222222222"]}
    assert set(production) == {"constructs-iam-Guardrails-1", "constructs-iam-Workloads-1", "constructs-iam-DataPerimeter-1"}
    assert "DenyRootUser" in production["constructs-iam-Guardrails-1"]["sets"]
    assert [p["name"] for p in organization["111111111111"]] == ["constructs-iam-Guardrails-1", "constructs-iam-DataPerimeter-1"]
    assert organization["999999999999"] == []  # the management account: no SCP or RCP applies
    markdown = report.to_markdown(data)
    assert "## Organisation policies per account" in markdown and "`constructs-iam-Workloads-1` at ou-ab12-workload1" in markdown


def test_baseline_view_shows_a_removed_person_as_a_refused_lifecycle_change(copies):
    """A user gone from the templates is retained in AWS with its grants: the baseline says so."""
    base, change = copies
    template_path = change / "ConstructsIam-Identity.template.json"
    template = json.loads(template_path.read_text())
    (logical_id,) = [k for k, r in template["Resources"].items()
                     if r["Type"] == "AWS::IAM::User" and r["Properties"]["UserName"] == "alice.example"]
    del template["Resources"][logical_id]
    template_path.write_text(json.dumps(template))
    result = run(str(change), "--baseline", str(base))
    assert result.returncode == 1
    (line,) = [l for l in result.stdout.splitlines() if "User-alice.example/User" in l and l.strip().startswith("! remove")]
    assert "without offboarding" in line and line.endswith("REFUSED")
