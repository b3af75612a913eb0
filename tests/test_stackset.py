"""The production-access role rolled out to every account of some OUs through a StackSet."""

from __future__ import annotations

import copy
import json
import re
import warnings
from pathlib import Path

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from cloudsplaining.output.policy_finding import PolicyFinding
from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.shared.exclusions import DEFAULT_EXCLUSIONS

from constructs_iam.access import AccessModel
from constructs_iam.developer_access import classified_actions
from constructs_iam import IamGuardrails
from stacks import AppConfig, ConfigError, build_stacks

from .support import CONTEXT, cfn_lint, guardrail_findings, nag_findings, new_app
from .test_developer_access import DATA_READS, DEBUGGING_READS, REVIEWED_FAMILIES, RUNTIME_SETTINGS, visible_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from parliament import analyze_policy_string

SAMPLE = CONTEXT["constructs-iam"]


def enabled(**changes) -> dict:
    raw = copy.deepcopy(SAMPLE)
    raw["stacksets"] = {**raw["stacksets"], "enabled": True, **changes}
    return raw


@pytest.fixture(scope="module")
def built():
    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(enabled(organizational_unit_ids=["ou-ab12-cdefgh34", "ou-ab12-ijklmn56"],
                                                           regions=["eu-west-1", "us-east-1"], failure_tolerance_percentage=10)))
    assembly = app.synth()
    stackset = stacks.production_access_stackset
    inner_file = next(Path(assembly.directory).glob("*.stackset.template.json"))
    return stackset, Template.from_stack(stackset), json.loads(inner_file.read_text())


def test_off_in_the_sample():
    assert build_stacks(new_app(), AppConfig.from_dict(SAMPLE)).production_access_stackset is None


def test_service_managed_with_automatic_deployment_to_new_accounts(built):
    _, template, _ = built
    template.has_resource_properties("AWS::CloudFormation::StackSet", {
        "PermissionModel": "SERVICE_MANAGED",
        "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": True},
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "StackInstancesGroup": [{"DeploymentTargets": {"AccountFilterType": "NONE", "OrganizationalUnitIds": ["ou-ab12-cdefgh34", "ou-ab12-ijklmn56"]},
                                 "Regions": ["eu-west-1", "us-east-1"]}],
        "OperationPreferences": {"FailureTolerancePercentage": 10, "MaxConcurrentPercentage": 25, "RegionConcurrencyType": "PARALLEL"},
    })


def test_every_account_gets_the_mfa_only_read_only_role(built):
    _, _, inner = built
    roles = [r for r in inner["Resources"].values() if r["Type"] == "AWS::IAM::Role"
             and r["Properties"]["RoleName"] == "DeveloperReadOnly"]
    assert len(roles) == 1  # and the support role and Access Analyzer (CIS 1.16, 1.19): tests/test_account_baseline.py
    (statement,) = roles[0]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    # the partition stays a reference: the same template serves every target account and region
    assert statement["Principal"] == {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::111111111111:root"]]}}
    assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert roles[0]["Properties"]["RoleName"] == "DeveloperReadOnly"


def test_both_templates_pass_the_nag_packs(built):
    stackset, _, _ = built
    assert nag_findings(stackset) == []
    assert nag_findings(stackset.template_stack) == []


def test_both_templates_pass_cfn_lint(built, tmp_path):
    _, template, inner = built
    assert cfn_lint(template.to_json(), tmp_path, "stackset") == []
    assert cfn_lint(inner, tmp_path, "stackset-instance") == []


def test_the_instance_template_passes_parliament_cloudsplaining_and_the_access_model(built):
    _, _, inner = built
    model = AccessModel.from_template(inner, account="444455556666", region="eu-west-1")
    for kind, source, document in model.documents():
        if kind == "identity":
            findings = analyze_policy_string(json.dumps(document)).findings
            # the same pin as tests/test_policy_linters.py: parliament's database predates some denied actions
            if "DenyDataAccess" in source:
                findings = [f for f in findings if f.issue not in ("UNKNOWN_PREFIX", "UNKNOWN_ACTION")]
            if re.search(r"DeveloperReadOnly/?ReadConfiguration", source):  # the generated allow-list
                findings = [f for f in findings if f.issue not in ("UNKNOWN_PREFIX", "UNKNOWN_ACTION")]
            assert findings == [], source
    role = "arn:aws:iam::444455556666:role/DeveloperReadOnly"
    document = PolicyDocument(model.effective_policy(role))
    finding = PolicyFinding(document, exclusions=DEFAULT_EXCLUSIONS)
    allowed = {a.lower() for a in document.all_allowed_actions}  # cloudsplaining's two per-statement checks ignore denies
    assert not (finding.privilege_escalation or document.credentials_exposure or finding.data_exfiltration
                or [a for a in finding.resource_exposure if a.lower() in allowed]
                or [a for a in document.permissions_management_without_constraints if a.lower() in allowed])
    mfa = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60", "sts:SourceIdentity": "dev"}
    assert model.can_assume(role=role, caller="arn:aws:iam::111111111111:user/dev", context=mfa).allowed is True
    assert model.can_assume(role=role, caller="arn:aws:iam::111111111111:user/dev").allowed is False
    no_identity = {k: v for k, v in mfa.items() if k != "sts:SourceIdentity"}
    assert model.can_assume(role=role, caller="arn:aws:iam::111111111111:user/dev", context=no_identity).allowed is False
    assert model.evaluate(principal=role, action="s3:GetObject", resource="arn:aws:s3:::any/key").allowed is False
    # the StackSet's developer role is one of the developer access paths: the same reads, the same refusals
    assert [a for a in visible_in(model, role) if classified_actions()[a] != "config"] == []
    for action, resource in [*DATA_READS, *REVIEWED_FAMILIES, *RUNTIME_SETTINGS]:
        assert model.evaluate(principal=role, action=action, resource=resource.replace("222222222222", "444455556666")
                              ).allowed is False, action
    for action, resource in DEBUGGING_READS:
        assert model.evaluate(principal=role, action=action, resource=resource.replace("222222222222", "444455556666")
                              ).allowed is True, action


def test_the_sample_with_stacksets_passes_the_guardrails_which_read_the_stackset_template():
    app = new_app()
    build_stacks(app, AppConfig.from_dict(enabled()))
    IamGuardrails.of(app)
    assert guardrail_findings(app) == []


def test_the_guardrails_compare_the_stackset_templates_patterns():
    """The StackSet's template is a file asset, not a stack: the seal and the general rules read it
    all the same, so the developer role it rolls out is sealed like the one in ProductionAccess."""
    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(enabled()))
    IamGuardrails.of(app)
    stacks.production_access_stackset.template_stack.developer_role.role.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::customer-data/*"]))
    found = guardrail_findings(app)
    source = "ConstructsIam-ProductionAccessStackSet/ProductionAccess/DeveloperReadOnly/Role/DefaultPolicy/Resource"
    assert [(rule, path) for rule, path, _ in found] == [("IamGuardrails-PatternWidened", source)]
    assert found[0][2].startswith("ConstructsIam-ProductionAccessStackSet/ProductionAccess/DeveloperReadOnly (")


@pytest.mark.parametrize(("changes", "message"), [
    ({"organizational_unit_ids": []}, "constructs-iam.stacksets.organizational_unit_ids [] must be a non-empty list"),
    ({"organizational_unit_ids": ["engineering"]}, "item 'engineering' must be OU ids"),
    ({"regions": []}, "constructs-iam.stacksets.regions [] must be a non-empty list"),
    ({"failure_tolerance_percentage": 101}, "failure_tolerance_percentage 101 must be a whole number from 0 to 100"),
    ({"max_concurrent_percentage": 0}, "max_concurrent_percentage 0 must be a whole number from 1 to 100"),
])
def test_bad_stackset_configuration_names_the_key(changes, message):
    with pytest.raises(ConfigError) as error:
        AppConfig.from_dict(enabled(**changes))
    assert message in str(error.value)
