"""A CDK bootstrap that is not administrator: the execution policies are generated from what the
app deploys, the reviewed list of types matches the app, and the two execution roles (platform,
team) can do what their stacks need and nothing that reaches the guardrails."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from constructs_iam.access import AccessModel
from constructs_iam.access.creation import RoleRequest, add_role, create_role, creation_steps
from constructs_iam.bootstrap import (
    MAX_POLICY_CHARACTERS,
    execution_statements,
    handler_permissions,
    resource_types,
    split_statements,
)
from stacks import AppConfig, build_stacks
from stacks.delegation_stack import TYPES_FILE

from .support import CONTEXT, new_app

ACCOUNT = "222222222222"
REGION = {"aws:RequestedRegion": "eu-west-1"}
SAMPLE = CONTEXT["constructs-iam"]
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/guardrails/payments-boundary"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture(scope="module")
def sample():
    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(SAMPLE))
    assembly = app.synth()
    return stacks, assembly.directory


def test_handler_permissions_come_from_the_resource_schemas():
    assert {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"} <= set(handler_permissions("AWS::IAM::Role"))
    assert handler_permissions("AWS::Made::Up") is None
    assert handler_permissions("Custom::Anything") == ("lambda:InvokeFunction",)


def test_operations_that_are_not_iam_actions_are_left_out():
    assert "s3:PutBucketReplication" not in handler_permissions("AWS::S3::Bucket")  # an API name, no IAM action
    assert all(":" in a and "." not in a for a in handler_permissions("AWS::S3::Bucket"))


def test_an_unknown_type_fails_with_its_name():
    with pytest.raises(ValueError, match=r"no handler permissions known for \['AWS::Made::Up'\]"):
        execution_statements(["AWS::Made::Up"], partition="aws", account=ACCOUNT, region="eu-west-1",
                             qualifier="x", delegated=False)


def test_the_teams_execution_policy_holds_no_iam_action_of_its_own():
    statements = execution_statements(["AWS::IAM::Role", "AWS::Lambda::Function"], partition="aws", account=ACCOUNT,
                                      region="eu-west-1", qualifier="payments", delegated=True)
    allowed = [a for s in statements if s["Effect"] == "Allow" for a in (s["Action"] if isinstance(s["Action"], list)
                                                                        else [s["Action"]])]
    assert "lambda:CreateFunction" in allowed
    assert not [a for a in allowed if a.startswith("iam:")]  # not even iam:PassRole: that is the creator's


def test_every_generated_policy_fits_iam_and_carries_the_denies():
    statements = execution_statements(json.loads(TYPES_FILE.read_text())["hnb659fds"], partition="aws",
                                      account=ACCOUNT, region="eu-west-1", qualifier="hnb659fds", delegated=False)
    documents = split_statements(statements)
    assert len(documents) >= 2
    for document in documents:
        assert len(json.dumps(document, separators=(",", ":"))) <= MAX_POLICY_CHARACTERS
        assert {"DenyBootstrapRolesAndPolicies", "DenyAdministratorPolicies"} <= {s["Sid"] for s in document["Statement"]}
    merged = {a for d in documents for s in d["Statement"] if s["Effect"] == "Allow"
              for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    original = {a for s in statements if s["Effect"] == "Allow"
                for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert merged == original


def test_the_reviewed_types_are_what_the_app_deploys(sample):
    _, directory = sample
    assert resource_types(directory) == json.loads(TYPES_FILE.read_text())


# ---------------------------------------------------------- the execution roles, as IAM decides


def _policies(template: Template, names: tuple[str, ...]) -> list[str]:
    return [f"arn:aws:iam::{ACCOUNT}:policy{p['Properties']['Path']}{p['Properties']['ManagedPolicyName']}"
            for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
            if p["Properties"].get("ManagedPolicyName", "").startswith(names)]


@pytest.fixture(scope="module")
def roles(sample):
    stacks, _ = sample
    model = AccessModel.from_stack(stacks.delegation, stacks.team)
    template = Template.from_stack(stacks.delegation)
    team = add_role(model, RoleRequest(
        name=f"cdk-payments-cfn-exec-role-{ACCOUNT}-eu-west-1", permissions_boundary=BOUNDARY,
        managed_policy_arns=tuple(_policies(template, ("cdk-payments-execution", "payments-role-creator")))),
        account=ACCOUNT)
    platform = add_role(model, RoleRequest(
        name=f"cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-eu-west-1",
        managed_policy_arns=tuple(_policies(template, ("cdk-hnb659fds-execution",)))), account=ACCOUNT)
    return model, team, platform


def test_the_teams_execution_role_creates_its_workload_role_under_the_boundary(roles):
    model, team, _ = roles
    creation = create_role(model, creator=team, request=RoleRequest(
        name="payments-workload", path="/teams/payments/", permissions_boundary=BOUNDARY,
        managed_policy_arns=(f"arn:aws:iam::{ACCOUNT}:policy/teams/payments/orders",)))
    assert creation.allowed is True, creation_steps(creation)


def test_the_teams_execution_role_cannot_create_an_unbounded_or_outside_role(roles):
    model, team, _ = roles
    assert create_role(model, creator=team, request=RoleRequest(name="x", path="/teams/payments/")).allowed is False
    assert create_role(model, creator=team, request=RoleRequest(
        name="x", path="/", permissions_boundary=BOUNDARY)).allowed is False


def test_the_teams_execution_role_cannot_change_the_guardrail_roles(roles):
    model, team, _ = roles
    for role in (f"cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-eu-west-1", "GitHubActionsDeploy", "delegation/payments-deployer"):
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
        for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole"):
            decision = model.evaluate(principal=team, action=action, resource=arn, context=REGION)
            assert decision.allowed is False, (role, action, decision.reason)


def test_the_teams_execution_role_cannot_change_its_boundary_or_policies(roles):
    model, team, _ = roles
    for policy in (BOUNDARY, f"arn:aws:iam::{ACCOUNT}:policy/guardrails/payments-role-creator",
                   f"arn:aws:iam::{ACCOUNT}:policy/guardrails/cdk-payments-execution-1"):
        assert model.evaluate(principal=team, action="iam:CreatePolicyVersion", resource=policy,
                              context=REGION).allowed is False, policy


def test_the_platform_execution_role_is_not_an_administrator(roles):
    model, _, platform = roles
    ask = lambda action, resource="*", **ctx: model.evaluate(  # noqa: E731
        principal=platform, action=action, resource=resource, context=ctx).allowed
    assert ask("s3:CreateBucket", "arn:aws:s3:::x") is True  # a type the platform's stacks deploy
    assert ask("ec2:TerminateInstances") is False  # no type of the app needs it
    assert ask("dynamodb:DeleteTable") is False
    assert ask("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/anything", **{"iam:PolicyARN": ADMIN}) is False
    assert ask("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-deploy-role-{ACCOUNT}-eu-west-1") is False
    assert ask("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/guardrails/cdk-hnb659fds-execution-1") is False


# ------------------------------------------------------------- the sample app's delegated team


def test_the_access_report_shows_the_boundary_on_each_role(sample):
    from constructs_iam import report

    _, directory = sample
    data = report.report(report.read_assembly(directory), source="sample")
    by_arn = {p["arn"]: p for p in data["principals"]}
    team_roles = [p for p in data["principals"] if p["stack"] == "ConstructsIam-Team-payments" and p["kind"] == "role"]
    assert team_roles and all(p["permissions_boundary"] == BOUNDARY for p in team_roles)
    assert by_arn[f"arn:aws:iam::{ACCOUNT}:role/delegation/payments-deployer"]["permissions_boundary"] is None
    assert f"- permissions boundary: `{BOUNDARY}`" in report.to_markdown(data)


@pytest.mark.parametrize(("change", "message"), [
    ({"allowed_services": {"s3": "files"}}, "constructs-iam.delegation.allowed_services.s3 'files' must say why"),
    ({"role_path": "/"}, "constructs-iam.delegation.role_path '/' must be the team's IAM path"),
    ({"pass_to_services": {}}, "constructs-iam.delegation.pass_to_services {} must map each value to the reason"),
    ({"colour": "blue"}, "colour"),
])
def test_malformed_delegation_configuration_names_the_key(change, message):
    from stacks import ConfigError

    raw = {**SAMPLE, "delegation": {**SAMPLE["delegation"], **change}}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("{", r"\{").replace("}", r"\}")):
        AppConfig.from_dict(raw)


def test_a_team_whose_stacks_need_a_service_outside_its_boundary_is_refused(monkeypatch):
    from stacks import ConfigError
    from stacks import delegation_stack

    types = json.loads(TYPES_FILE.read_text())
    types["payments"] = [*types["payments"], "AWS::SQS::Queue"]
    monkeypatch.setattr(delegation_stack, "TYPES_FILE", type("F", (), {"read_text": lambda self: json.dumps(types)})())
    with pytest.raises(ConfigError, match=r"allowed_services lacks \['sqs'\]"):
        build_stacks(new_app(), AppConfig.from_dict(SAMPLE))
