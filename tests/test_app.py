"""The app: typed configuration from cdk.json, the stacks it composes, and the checks it runs."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from stacks import AppConfig, ConfigError, build_stacks, register_checks

from .support import guardrail_findings, CONTEXT, ROOT, cfn_lint, nag_findings, new_app

SAMPLE = CONTEXT["constructs-iam"]
SNAPSHOT = Path(__file__).parent / "snapshots" / "logical_ids.json"
STATEFUL = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::InstanceProfile",
            "AWS::IAM::ManagedPolicy", "AWS::IAM::AccessKey", "AWS::S3::Bucket", "AWS::KMS::Key",
            "AWS::SecretsManager::Secret", "AWS::SNS::Topic")


def build(raw: dict | None = None):
    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(raw or SAMPLE))
    return app, stacks


@pytest.fixture(scope="module")
def sample():
    app, stacks = build()
    return app, stacks, {s.stack_name: Template.from_stack(s) for s in stacks.all()}


def stateful_ids(templates: dict[str, Template]) -> dict[str, list[str]]:
    return {
        name: sorted(lid for lid, r in t.to_json()["Resources"].items() if r["Type"] in STATEFUL)
        for name, t in templates.items()
    }


def test_every_stack_passes_both_nag_packs(sample):
    _, stacks, _ = sample
    for stack in stacks.all():
        assert nag_findings(stack) == [], stack.stack_name


def test_every_template_passes_cfn_lint(sample, tmp_path):
    _, _, templates = sample
    for name, template in templates.items():
        assert cfn_lint(template.to_json(), tmp_path, name) == [], name


def test_stacks_target_the_configured_accounts(sample):
    _, stacks, _ = sample
    assert {(s.stack_name, s.account, s.region) for s in stacks.all()} == {
        ("ConstructsIam-Workload", "222222222222", "eu-west-1"),
        ("ConstructsIam-ProductionAccess", "222222222222", "eu-west-1"),
        ("ConstructsIam-Identity", "111111111111", "eu-west-1"),
        ("ConstructsIam-RootActivity-us-east-1", "111111111111", "us-east-1"),
        *{(f"ConstructsIam-Workloads-{n}", "222222222222", "eu-west-1") for n in ("10", "12", "15")},
        ("ConstructsIam-CiDeploy", "222222222222", "eu-west-1"),
        ("ConstructsIam-Organization", "999999999999", "us-east-1"),
        ("ConstructsIam-Delegation", "222222222222", "eu-west-1"),
        ("ConstructsIam-Team-payments", "222222222222", "eu-west-1"),
    }


def test_data_bucket_is_encrypted_tls_only_private_versioned_and_logged(sample):
    _, stacks, templates = sample
    template = templates["ConstructsIam-Workload"]
    template.has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": [stacks.workload.get_logical_id(stacks.workload.data_key.node.default_child), "Arn"]}},
             "BucketKeyEnabled": True}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LoggingConfiguration": {"DestinationBucketName": {"Ref": stacks.workload.get_logical_id(stacks.workload.log_bucket.node.default_child)}, "LogFilePrefix": "data-bucket/"},
    })
    policies = template.find_resources("AWS::S3::BucketPolicy")
    denies_plain_http = [
        p for p in policies.values()
        for st in p["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denies_plain_http) == 3  # data bucket, log bucket and the shared (tenant-isolated) bucket


def test_data_and_roles_survive_stack_deletion(sample):
    _, _, templates = sample
    buckets = templates["ConstructsIam-Workload"].find_resources("AWS::S3::Bucket")
    assert {b["DeletionPolicy"] for b in buckets.values()} == {"Retain"}


def test_scaling_role_passes_the_ec2_read_only_role(sample):
    _, stacks, templates = sample
    role_id = stacks.workload.get_logical_id(stacks.workload.ec2_reader.role.node.default_child)
    pass_role = [
        st for p in templates["ConstructsIam-Workload"].find_resources("AWS::IAM::ManagedPolicy").values()
        for st in p["Properties"]["PolicyDocument"]["Statement"] if st["Action"] == "iam:PassRole"
    ]
    assert [st["Resource"] for st in pass_role] == [{"Fn::GetAtt": [role_id, "Arn"]}]


def test_logical_ids_of_stateful_resources_match_the_snapshot(sample):
    """Renaming a construct replaces the role/user/group on the next deploy: fail here first.

    If a change is intended, update tests/snapshots/logical_ids.json in the same commit and say why.
    """
    _, _, templates = sample
    assert stateful_ids(templates) == json.loads(SNAPSHOT.read_text())


def test_configuration_changes_never_change_logical_ids(sample):
    _, _, templates = sample
    changed = copy.deepcopy(SAMPLE)
    changed["ec2_read_prefixes"] = ["other/prefix/", "more/"]
    changed["app_prefix"] = "elsewhere/"
    changed["developer_trusted_principal_arns"] = ["arn:aws:iam::111111111111:role/oncall"]
    changed["developer_session_hours"] = 4
    _, stacks = build(changed)
    assert stateful_ids({s.stack_name: Template.from_stack(s) for s in stacks.all()}) == stateful_ids(templates)


def test_the_app_applies_the_iam_guardrails():
    app, stacks = build()
    from aws_cdk import aws_iam as iam

    stacks.identity.users["alice.example"].user.add_managed_policy(
        iam.ManagedPolicy.from_aws_managed_policy_name("ReadOnlyAccess"))
    register_checks(app)
    assert ("IamGuardrails-UserPolicy", "ConstructsIam-Identity/User-alice.example/User/Resource") in {
        (rule, path) for rule, path, _ in guardrail_findings(app)}


def test_a_finding_fails_synthesis():
    app, stacks = build()
    s3.Bucket(stacks.workload, "UnloggedBucket")  # no SSL policy, no logs, no versioning
    register_checks(app)
    with pytest.raises(Exception, match="Validation failed|ValidationFailed|AwsSolutions-S1"):
        app.synth()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"production_account_id": "2222"}, "constructs-iam.production_account_id '2222' must be 12 digits"),
        ({"identity_account_id": None}, "constructs-iam.identity_account_id None must be 12 digits"),
        ({"region": "Europe"}, "constructs-iam.region 'Europe' must be an AWS region"),
        ({"developer_session_hours": 24}, "constructs-iam.developer_session_hours 24 must be a whole number from 1 to 12"),
        ({"ec2_read_prefixes": []}, "constructs-iam.ec2_read_prefixes [] must be a non-empty list"),
        ({"developer_role_name": "has space"}, "constructs-iam.developer_role_name 'has space' must be an IAM role name"),
        ({"identity": {"groups": ["developers"], "users": [{"name": "eve", "groups": ["admins"]}]}},
         "constructs-iam.identity.users[eve].groups 'admins' is not one of"),
    ],
)
def test_malformed_configuration_names_the_context_key(change, message):
    raw = {**copy.deepcopy(SAMPLE), **change}
    with pytest.raises(ConfigError) as error:
        AppConfig.from_dict(raw)
    assert message in str(error.value)


def test_missing_configuration_key_is_named():
    raw = copy.deepcopy(SAMPLE)
    del raw["production_account_id"]
    with pytest.raises(ConfigError, match="constructs-iam.production_account_id is missing"):
        AppConfig.from_dict(raw)


def test_app_py_reports_bad_context_without_a_traceback():
    context = {**CONTEXT, "constructs-iam": {**SAMPLE, "production_account_id": "12"}}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": "/tmp/constructs-iam-bad-context"}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "constructs-iam.production_account_id '12' must be 12 digits" in result.stderr
    assert "Traceback" not in result.stderr


def test_real_cdk_cli_synthesizes_the_app_with_no_finding(tmp_path):
    result = subprocess.run(
        ["cdk", "synth", "--quiet", "--no-notices", "-o", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "out" / "validation-report.json").read_text())
    assert [v for p in report["pluginReports"] for v in p["violations"]] == []
    assert sorted(p.name for p in (tmp_path / "out").glob("*.template.json")) == [
        "ConstructsIam-CiDeploy.template.json", "ConstructsIam-Delegation.template.json",
        "ConstructsIam-Identity.template.json", "ConstructsIam-Organization.template.json",
        "ConstructsIam-ProductionAccess.template.json", "ConstructsIam-RootActivity-us-east-1.template.json",
        "ConstructsIam-Team-payments.template.json", "ConstructsIam-Workload.template.json",
        "ConstructsIam-Workloads-10.template.json", "ConstructsIam-Workloads-12.template.json",
        "ConstructsIam-Workloads-15.template.json",
    ]
