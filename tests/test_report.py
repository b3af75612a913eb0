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


def test_beyond_fifty_principals_the_diagram_groups_them_by_stack_and_pattern(data):
    many = copy.deepcopy(data)
    template = many["principals"][0]
    many["principals"] += [{**copy.deepcopy(template), "id": f"Big/Role{i}", "stack": "Big"} for i in range(60)]
    many["principals"] += [{**copy.deepcopy(template), "id": f"Big/Other{i}", "stack": "Big", "pattern": None}
                           for i in range(3)]
    svg = report.to_svg(many)
    assert f"Big: 60 x {template['pattern']}" in svg and f"Big: 3 x {template['kind']}" in svg
    assert "Big/Role59" not in svg
    assert '<a href="#s-Big">' in svg  # each group opens its stack's section of the page


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


# ----------------------------------------------------------------- the page, in a real browser


@pytest.fixture(scope="module")
def page_file(sample_out, tmp_path_factory) -> Path:
    page = tmp_path_factory.mktemp("page") / "access.html"
    result = run(str(sample_out), "--format", "html", "--output", str(page))
    assert result.returncode == 0, result.stderr
    return page


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make setup` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def opened(browser, page_file):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if not request.url.startswith(("file:", "data:")) else None)
    page.goto(page_file.as_uri())
    yield page
    page.close()
    assert errors == [], errors  # no console errors, no script errors
    assert requests == [], requests  # nothing fetched from a network


def test_the_page_renders_real_tables_for_every_principal(opened, data):
    sections = opened.locator("section.principal")
    assert sections.count() == len(data["principals"])
    developer = opened.locator("#p-ConstructsIam-ProductionAccess-DeveloperReadOnly-Role")
    assert developer.is_visible()
    trust = developer.locator("table").first
    assert trust.locator("th").all_inner_texts()[:2] == ["type", "principal"]
    box = trust.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 40  # laid out as a table, not preformatted text
    assert opened.locator("pre").count() == 0
    ec2 = opened.locator("#p-ConstructsIam-Workload-Ec2ReadOnly-Role")
    assert "s3:GetObject" in ec2.inner_text() and "Acknowledged findings" in ec2.inner_text()


def test_the_filter_narrows_principals_and_rows(opened):
    visible = lambda: opened.locator("section.principal:visible").count()  # noqa: E731
    before = visible()
    opened.fill("#filter", "Ec2ReadOnly")
    after = visible()
    assert 0 < after < before
    assert all("Ec2ReadOnly" in text for text in opened.locator("section.principal:visible").all_inner_texts())
    assert "principals match" in opened.inner_text("#filter-count")
    opened.fill("#filter", "")
    assert visible() == before


def test_a_diagram_box_opens_its_principals_section(opened):
    target = "p-ConstructsIam-ProductionAccess-DeveloperReadOnly-Role"
    opened.locator(f'svg a[href="#{target}"]').first.click()
    assert opened.evaluate("location.hash") == f"#{target}"
    top = opened.locator(f"#{target}").bounding_box()["y"]
    assert -2 <= top < 200  # scrolled to it (sub-pixel layout)


def test_links_of_the_page_resolve(opened):
    hrefs = opened.eval_on_selector_all("a[href^='#']", "links => links.map(a => a.getAttribute('href'))")
    ids = set(opened.eval_on_selector_all("[id]", "nodes => nodes.map(n => n.id)"))
    missing = sorted({h[1:] for h in hrefs if h[1:] not in ids})
    assert missing == []


def test_the_page_shows_a_baseline_change_first(sample_out, tmp_path, browser):
    base = tmp_path / "base"
    shutil.copytree(sample_out, base)
    template_path = sample_out.parent / "changed"
    shutil.copytree(sample_out, template_path)
    stack = template_path / "ConstructsIam-Workload.template.json"
    template = json.loads(stack.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and "Ec2ReadOnly" in resource["Metadata"]["aws:cdk:path"]:
            resource["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = ["s3:GetObject", "s3:PutObject"]
    stack.write_text(json.dumps(template))
    page_path = tmp_path / "diff.html"
    result = run(str(template_path), "--baseline", str(base), "--format", "html", "--output", str(page_path))
    assert result.returncode == 1
    page = browser.new_page()
    page.goto(page_path.as_uri())
    changes = page.locator("#changes")
    assert changes.is_visible() and "s3:PutObject" in changes.inner_text()
    assert changes.bounding_box()["y"] < page.locator("#diagram").bounding_box()["y"]
    page.close()
    shutil.rmtree(template_path)


# ----------------------------------------------------------------- the report without Node or the CDK

NO_CDK = """
import importlib.abc, sys
class NoCdk(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("aws_cdk", "jsii", "constructs", "cdk_nag", "cdk_stacksets"):
            raise ImportError(f"{name} is not installed in this job")
        return None
sys.meta_path.insert(0, NoCdk())
import constructs_iam, constructs_iam.access, constructs_iam.report
from constructs_iam import report
status = report.main([sys.argv[1], "--format", "json", "--output", sys.argv[2]])
assert not any(m.split(".")[0] in ("aws_cdk", "jsii") for m in sys.modules), "the CDK was imported"
sys.exit(status)
"""


def test_the_report_runs_where_the_cdk_cannot_be_imported(sample_out, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no Node from the virtualenv either
    out = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-c", NO_CDK, str(sample_out), str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(out.read_text())["schema"] == report.SCHEMA
    construct = subprocess.run([sys.executable, "-c", NO_CDK.split("import constructs_iam,")[0]
                                + "from constructs_iam import Ec2S3ReadOnlyRole"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert construct.returncode != 0 and "aws_cdk" in construct.stderr  # a construct still needs the CDK, and says so


# ------------------------------------------------------------ without path metadata: the same grants


def test_without_path_metadata_customer_policies_are_still_reported_as_such(tmp_path_factory, data):
    out = tmp_path_factory.mktemp("no-paths")
    app = App(outdir=str(out), context={**CONTEXT, "aws:cdk:enable-path-metadata": False})
    build_stacks(app, AppConfig.from_dict(CONTEXT["constructs-iam"]))
    app.synth()
    plain = report.report(report.read_assembly(out), source=str(out))
    assert len(plain["principals"]) == len(data["principals"])
    assert sum(len(p.get("allows", [])) for p in plain["principals"]) == sum(len(p.get("allows", [])) for p in data["principals"])
    for before in data["principals"]:
        (after,) = [p for p in plain["principals"] if p["arn"] == before["arn"] and p["kind"] == before["kind"]]
        assert sorted(a["aws_managed"] for a in after.get("allows", [])) == sorted(a["aws_managed"] for a in before.get("allows", []))
        assert sorted(x for a in after.get("allows", []) for x in a["actions"]) == sorted(x for a in before.get("allows", []) for x in a["actions"])
    managed = lambda d: sorted(l for l in report.to_markdown(d).splitlines() if l.startswith("- AWS managed `"))  # noqa: E731
    assert managed(plain) == managed(data)


def test_long_lists_are_summarised_with_counts(data):
    many = copy.deepcopy(data)
    resource = next(iter(many["resources"]))
    many["resources"][resource] = [f"Big/Role{i}" for i in range(30)]
    markdown = report.to_markdown(many)
    line = next(l for l in markdown.splitlines() if l.startswith(f"- `{resource}` (30)"))
    assert "Big/Role9" in line and "Big/Role10" not in line and "(+20 more" in line
    page = report.to_html(many)
    assert "<summary>30 principals</summary>" in page
