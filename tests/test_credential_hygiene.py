"""CredentialHygiene: the AWS Config managed rules for people's credentials, the optional
remediation of unused credentials (its own least-privilege role) and unused-access analyzer.

moto's CloudFormation does not create AWS::Config::ConfigRule, but its Config API has
put_config_rule, which checks managed rule identifiers and their parameter names: the last test
puts the synthesized rules through it. What the emulator cannot prove: that the rules evaluate
(moto runs no evaluations) and that the remediation runbook works.
"""

from __future__ import annotations

import json

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template

from constructs_iam import AccountPasswordPolicy, CredentialHygiene, PropsError
from constructs_iam.access import AccessModel
from constructs_iam.credential_hygiene import REMEDIATION_DOCUMENT

from .support import logical_id, nag_findings, new_stack, trust_statements

ACCOUNT = "222222222222"
RULES = {
    "IAM_USER_UNUSED_CREDENTIALS_CHECK", "ACCESS_KEYS_ROTATED", "IAM_ROOT_ACCESS_KEY_CHECK", "ROOT_ACCOUNT_MFA_ENABLED",
    "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "IAM_PASSWORD_POLICY",
    "IAM_USER_NO_POLICIES_CHECK", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
}


@pytest.fixture(scope="module")
def default():
    stack = new_stack()
    policy = AccountPasswordPolicy(stack, "PasswordPolicy", minimum_length=16, max_age=Duration.days(90))
    hygiene = CredentialHygiene(stack, "Hygiene", password_policy=policy)
    return stack, Template.from_stack(stack), hygiene


@pytest.fixture(scope="module")
def remediating():
    stack = new_stack()
    hygiene = CredentialHygiene(stack, "Hygiene", remediate_unused=True, unused_access_analyzer=True,
                                max_unused=Duration.days(30), unused_access_age=Duration.days(60))
    return stack, Template.from_stack(stack), hygiene


def rules(template: Template) -> dict[str, dict]:
    return {r["Properties"]["Source"]["SourceIdentifier"]: r["Properties"]
            for r in template.find_resources("AWS::Config::ConfigRule").values()}


def test_every_iam_check_is_an_aws_managed_config_rule(default):
    _, template, _ = default
    found = rules(template)
    assert set(found) == RULES
    assert {r["Source"]["Owner"] for r in found.values()} == {"AWS"}


def test_unused_credentials_45_days_and_keys_rotated_90_days_by_default(default):
    _, template, _ = default
    found = rules(template)
    assert found["IAM_USER_UNUSED_CREDENTIALS_CHECK"]["InputParameters"] == {"maxCredentialUsageAge": "45"}
    assert found["ACCESS_KEYS_ROTATED"]["InputParameters"] == {"maxAccessKeyAge": "90"}


def test_password_policy_rule_checks_the_accounts_own_policy(default):
    _, template, _ = default
    assert rules(template)["IAM_PASSWORD_POLICY"]["InputParameters"] == {
        "MinimumPasswordLength": "16", "PasswordReusePrevention": "24", "MaxPasswordAge": "90",
        "RequireUppercaseCharacters": "true", "RequireLowercaseCharacters": "true",
        "RequireNumbers": "true", "RequireSymbols": "true"}


def test_nothing_is_remediated_or_billed_unless_asked(default):
    _, template, hygiene = default
    template.resource_count_is("AWS::Config::RemediationConfiguration", 0)
    template.resource_count_is("AWS::AccessAnalyzer::Analyzer", 0)
    template.resource_count_is("AWS::IAM::Role", 1)  # the password policy's handler only
    assert hygiene.remediation_role is None


def test_remediation_runs_aws_runbook_with_its_own_role(remediating):
    _, template, hygiene = remediating
    template.has_resource_properties("AWS::Config::RemediationConfiguration", {
        "ConfigRuleName": {"Ref": logical_id(hygiene.rules["IAM_USER_UNUSED_CREDENTIALS_CHECK"])},
        "TargetType": "SSM_DOCUMENT", "TargetId": REMEDIATION_DOCUMENT, "Automatic": True,
        "Parameters": {
            "AutomationAssumeRole": {"StaticValue": {"Values": [{"Fn::GetAtt": [logical_id(hygiene.remediation_role), "Arn"]}]}},
            "IAMResourceId": {"ResourceValue": {"Value": "RESOURCE_ID"}},
            "MaxCredentialUsageAge": {"StaticValue": {"Values": ["30"]}},
        },
    })
    (trust,) = trust_statements(template, hygiene.remediation_role)
    assert trust["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_remediation_role_only_revokes_credentials(remediating):
    stack, _, hygiene = remediating
    model = AccessModel.from_stack(stack)
    role, user = hygiene.remediation_role.node.path, f"arn:aws:iam::{ACCOUNT}:user/alice.example"
    for action in ("iam:UpdateAccessKey", "iam:DeleteAccessKey", "iam:DeleteLoginProfile"):
        assert model.evaluate(principal=role, action=action, resource=user).allowed is True
    for action in ("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:AttachUserPolicy", "iam:DeleteUser",
                   "iam:AddUserToGroup", "iam:PassRole"):
        assert model.evaluate(principal=role, action=action, resource=user).allowed is False, action


def test_unused_access_analyzer_with_its_tracking_period(remediating):
    _, template, _ = remediating
    template.has_resource_properties("AWS::AccessAnalyzer::Analyzer", {
        "Type": "ACCOUNT_UNUSED_ACCESS",
        "AnalyzerConfiguration": {"UnusedAccessConfiguration": {"UnusedAccessAge": 60}}})


def test_passes_both_nag_packs(default, remediating):
    assert nag_findings(default[0]) == [] and nag_findings(remediating[0]) == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_unused": Duration.days(0)}, "max_unused"),
    ({"max_key_age": Duration.days(400)}, "max_key_age"),
    ({"max_unused": Duration.hours(30)}, "must be whole days"),
    ({"remediate_unused": "yes"}, "remediate_unused 'yes' must be True or False"),
    ({"password_policy": object()}, "must be an AccountPasswordPolicy"),
])
def test_bad_input_fails_at_synth_naming_the_prop(kwargs, message):
    with pytest.raises(PropsError) as error:
        CredentialHygiene(new_stack(), "Hygiene", **kwargs)
    assert message in str(error.value)


@pytest.mark.deploy
def test_the_emulators_config_api_accepts_every_rule_as_synthesized(default, tmp_path):
    from tools.emulator import LocalAws

    _, template, _ = default
    with LocalAws(log_path=tmp_path / "moto.log") as aws:
        config = aws.client("config")
        for identifier, props in rules(template).items():
            rule = {"ConfigRuleName": identifier.lower().replace("_", "-"),
                    "Source": {"Owner": "AWS", "SourceIdentifier": identifier}}
            if props.get("InputParameters"):
                rule["InputParameters"] = json.dumps(props["InputParameters"])
            if props.get("Scope"):
                rule["Scope"] = {"ComplianceResourceTypes": props["Scope"]["ComplianceResourceTypes"]}
            config.put_config_rule(ConfigRule=rule)
        deployed = config.describe_config_rules()["ConfigRules"]
        assert {r["Source"]["SourceIdentifier"] for r in deployed} == RULES
