"""Scanners beyond cdk-nag: one acknowledgment honoured by cdk-nag and checkov, a sample app with
0 failed checkov checks, and key policies as tight as the role policies."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_iam import CHECKOV_EQUIVALENTS, acknowledge, kms_key_policy
from constructs_iam.access import AccessModel
from constructs_iam.key_policy import ADMIN_ACTIONS
from stacks import AppConfig, build_stacks, register_checks

from .support import CONTEXT, ROOT, nag_findings, new_app, new_stack

CHECKOV = os.environ.get("CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")


def checkov(directory: Path) -> dict[str, Any]:
    """checkov 3 (its own virtualenv, as `make synth` runs it) over the templates in ``directory``."""
    result = subprocess.run([CHECKOV, "-d", str(directory), "--framework", "cloudformation", "--skip-download",
                             "-o", "json"], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    """The sample app synthesized with every check, as `make synth` does."""
    out = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(out), context=dict(CONTEXT))
    build_stacks(app, AppConfig.from_dict(CONTEXT["constructs-iam"]))
    register_checks(app)
    app.synth()
    return out


def test_every_mapped_checkov_id_exists_in_the_pinned_checkov():
    listing = subprocess.run([CHECKOV, "-l", "--framework", "cloudformation"], capture_output=True, text=True,
                             timeout=300).stdout
    known = {cell.strip() for line in listing.splitlines() for cell in line.split("|") if cell.strip().startswith("CKV")}
    mapped = {check for checks in CHECKOV_EQUIVALENTS.values() for check in checks}
    assert mapped and mapped <= known, mapped - known


def test_the_sample_app_has_no_failed_checkov_check_and_every_skip_has_a_reason(sample_out):
    report = checkov(sample_out)
    assert report["summary"]["failed"] == 0, [c["check_id"] + " " + c["resource"] for c in report["results"]["failed_checks"]]
    skipped = report["results"]["skipped_checks"]
    assert skipped, "the sample acknowledges findings; their checkov skips should show"
    for check in skipped:
        assert len(check["check_result"]["suppress_comment"]) > 20, check


def bucket_without_logs(stack: Stack, acknowledged: bool) -> s3.Bucket:
    bucket = s3.Bucket(stack, "Logs", enforce_ssl=True, versioned=True,
                       block_public_access=s3.BlockPublicAccess.BLOCK_ALL)
    if acknowledged:
        acknowledge(bucket, "AwsSolutions-S1", "This is the access-log bucket: logging it to itself would loop.")
    return bucket


@pytest.mark.parametrize("acknowledged", [True, False])
def test_one_acknowledgment_reaches_cdk_nag_and_checkov_with_the_same_reason(tmp_path, acknowledged):
    app = new_app()
    stack = new_stack(app)
    bucket_without_logs(stack, acknowledged)
    nag = [f for f in nag_findings(stack) if f.startswith("AwsSolutions-S1 ")]
    template = app.synth().get_stack_by_name("Test").template
    (tmp_path / "Test.template.json").write_text(json.dumps(template))
    report = checkov(tmp_path)
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    skipped = {c["check_id"]: c["check_result"]["suppress_comment"] for c in report["results"]["skipped_checks"]}
    if acknowledged:
        assert nag == []
        assert "CKV_AWS_18" not in failed
        assert skipped["CKV_AWS_18"] == "This is the access-log bucket: logging it to itself would loop."
        metadata = next(r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket")["Metadata"]
        assert metadata["checkov"]["skip"] == [
            {"id": "CKV_AWS_18", "comment": "This is the access-log bucket: logging it to itself would loop."}]
    else:  # without the acknowledgment both scanners still fail
        assert nag and "CKV_AWS_18" in failed and "CKV_AWS_18" not in skipped


def test_many_findings_acknowledged_in_one_record_read_as_cdk_records_each():
    """acknowledge_findings writes one record for many ids; its keys are those Validations.acknowledge
    writes one record each for (same namespace rules), under CDK's own metadata key."""
    from aws_cdk import Acknowledgment, Validations
    from constructs import Construct

    from constructs_iam.acknowledgments import _ACKNOWLEDGED_RULES, acknowledge_findings

    ids = ["AwsSolutions-IAM5[Action::ec2:DescribeVpc*]", "AwsSolutions-IAM5[Resource::*]", "AwsSolutions-S1",
           "NIST.800.53.R5-IAMNoInlinePolicy", "IamGuardrails::IamGuardrails-OpenTrust",
           "AwsSolutions-IAM5[Resource::arn:aws:s3:::bucket/a::b/*]", "AwsSolutions-IAM5[Resource::<Key.Arn>]"]
    stack = new_stack()
    one, each = Construct(stack, "One"), Construct(stack, "Each")
    acknowledge_findings(one, ids, "A reason long enough to be one.")
    Validations.of(each).acknowledge(*[Acknowledgment(id=i, reason="A reason long enough to be one.") for i in ids])
    assert Validations.ACKNOWLEDGED_RULES_METADATA_KEY == _ACKNOWLEDGED_RULES
    records = {name: {k: v for entry in c.node.metadata if entry.type == _ACKNOWLEDGED_RULES
                      for k, v in entry.data.items()} for name, c in (("one", one), ("each", each))}
    assert records["one"] == records["each"] and len(records["one"]) == len(ids)


def test_a_finding_acknowledged_in_one_record_passes_cdk_nag():
    from constructs_iam.acknowledgments import acknowledge_findings

    stack = new_stack()
    bucket = bucket_without_logs(stack, acknowledged=False)
    acknowledge_findings(bucket, ["AwsSolutions-S1", "AwsSolutions-IAM5[Resource::*]"],
                         "This is the access-log bucket: logging it to itself would loop.")
    assert [f for f in nag_findings(stack) if f.startswith("AwsSolutions-S1 ")] == []


# ---------------------------------------------------------------------------------- key policies

def key_policies(sample_out: Path) -> dict[str, list[dict[str, Any]]]:
    policies = {}
    for path in sample_out.glob("*.template.json"):
        for logical_id, resource in json.loads(path.read_text())["Resources"].items():
            if resource["Type"] == "AWS::KMS::Key":
                policies[logical_id] = resource["Properties"]["KeyPolicy"]["Statement"]
    return policies


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_key_policy_separates_administration_from_use(sample_out):
    policies = key_policies(sample_out)
    assert {k[:12] for k in policies} == {"PasswordPoli", "UserSecretsK", "RootActivity", "DataKey17AFB", "SharedBucket",
                                          "CentralizedR",  # the root access handler's log key (management stack)
                                          "SessionPrefe"}
    for key, statements in policies.items():
        admin = [s for s in statements if s.get("Sid") == "KeyAdministration"]
        assert len(admin) == 1 and sorted(as_list(admin[0]["Action"])) == sorted(ADMIN_ACTIONS), key
        for statement in statements:
            actions = as_list(statement["Action"])
            assert "kms:*" not in actions and "*" not in actions, (key, statement)
            assert "kms:DisableKeyRotation" not in actions, key
            if statement["Effect"] == "Deny":
                continue
            principal = statement["Principal"]
            assert principal != "*" and principal.get("AWS") != "*", (key, statement)
            uses = {a for a in actions if a in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant")}
            if uses and "AWS" in principal:  # an account's principals use a key only through a service, as callers of it
                # (Session Manager's client and agent call KMS themselves: only for a session's data)
                conditions = statement["Condition"]
                assert {"kms:ViaService", "kms:CallerAccount"} <= set(conditions.get("StringEquals", {})) or \
                    conditions.get("Null") == {"kms:EncryptionContext:aws:ssm:SessionId": "false"}, (key, statement)
            if uses and "Service" in principal:  # a service only for this account's resources
                assert statement.get("Condition"), (key, statement)


def test_every_grant_allowed_by_a_key_is_for_an_aws_resource_of_this_account(sample_out):
    """Every statement, whoever wrote it (CDK's Secret used to add one without either condition)."""
    for key, statements in key_policies(sample_out).items():
        for statement in statements:
            if "kms:CreateGrant" in as_list(statement["Action"]) and statement["Effect"] == "Allow":
                assert statement["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}, key
                assert "kms:CallerAccount" in statement["Condition"]["StringEquals"], key


def test_every_key_denies_grants_that_are_not_for_aws_resources_as_control_tower_requires(sample_out):
    for key, statements in key_policies(sample_out).items():
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert denies == [{
            "Sid": "DenyGrantsNotForAwsResources", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": "kms:CreateGrant", "Resource": "*",
            "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}},
        }], key


def test_a_grant_by_an_arbitrary_principal_is_refused_even_with_kms_star():
    stack = new_stack(new_app())
    key = kms.Key(stack, "Key", enable_key_rotation=True, policy=kms_key_policy(stack, used_through=["s3"]))
    role = iam.Role(stack, "Anyone", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"), role_name="anyone")
    role.add_to_policy(iam.PolicyStatement(actions=["kms:*"], resources=["*"]))
    model = AccessModel.from_stack(stack)
    arn = f"arn:aws:kms:eu-west-1:222222222222:key/{stack.get_logical_id(key.node.default_child)}"

    def grant(**context: str):
        return model.evaluate(principal="anyone", action="kms:CreateGrant", resource=arn, context=context)

    for context in ({}, {"kms:GrantIsForAWSResource": "false"}, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                    {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:GrantIsForAWSResource": "false"}):
        decision = grant(**context)
        assert decision.allowed is False, context
    denied = grant(**{"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:GrantIsForAWSResource": "false"})
    assert "DenyGrantsNotForAwsResources" in denied.reason
    # S3 asking for a grant on the principal's behalf is still allowed (the key's own Allow)
    assert grant(**{"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:GrantIsForAWSResource": "true"}).allowed is True


def test_the_data_key_is_used_only_through_s3_by_this_account(sample_out):
    (data,) = [s for k, s in key_policies(sample_out).items() if k.startswith("DataKey")]
    use = next(s for s in data if s.get("Sid") == "UseOnlyThroughServices")
    assert use["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com",
                                                "kms:CallerAccount": "222222222222"}
