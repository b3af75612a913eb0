"""A CDK bootstrap that is not administrator: the execution policies are generated from what the
app deploys, the reviewed list of types matches the app, and the two execution roles (platform,
team) can do what their stacks need and nothing that reaches the guardrails."""

from __future__ import annotations

import fnmatch
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


# ------------------------------------------- the platform's execution role and the platform boundary

PLATFORM_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/guardrails/platform-boundary"
IAM = f"arn:aws:iam::{ACCOUNT}"
DEPLOY_ROLE = f"{IAM}:role/cdk-hnb659fds-deploy-role-{ACCOUNT}-eu-west-1"


def _production_platform(stacks) -> list:
    return [s for s in (stacks.workload, *stacks.workload_shards, stacks.production_access, stacks.ci) if s is not None]


def test_the_reviewed_iam_resources_are_what_the_app_creates(sample):
    from constructs_iam.bootstrap import iam_inventory
    from stacks.delegation_stack import IAM_FILE

    _, directory = sample
    assert iam_inventory(directory) == json.loads(IAM_FILE.read_text())


def test_the_platform_execution_role_cannot_create_an_unbounded_role(roles):
    model, _, platform = roles
    for path in ("/platform/ecs-tasks/", "/"):
        name = "anything" if path == "/platform/ecs-tasks/" else "InstanceSession"
        unbounded = create_role(model, creator=platform, request=RoleRequest(name=name, path=path))
        assert unbounded.allowed is False and unbounded.refused[0] == "iam:CreateRole", creation_steps(unbounded)
        other = create_role(model, creator=platform, request=RoleRequest(
            name=name, path=path, permissions_boundary=BOUNDARY))  # the team's boundary is not the platform's
        assert other.allowed is False, creation_steps(other)
    bounded = create_role(model, creator=platform, request=RoleRequest(
        name="anything", path="/platform/ecs-tasks/", permissions_boundary=PLATFORM_BOUNDARY))
    assert bounded.allowed is True, creation_steps(bounded)


def test_the_platform_execution_role_creates_nothing_outside_the_apps_names_and_paths(roles):
    from constructs_iam.access.creation import create_user

    model, _, platform = roles
    for path, name in (("/", "backdoor"), ("/teams/payments/", "x"), ("/guardrails/", "x"), ("/platformx/", "x"),
                       ("/platform/", "x"), ("/delegation/", "x")):
        creation = create_role(model, creator=platform, request=RoleRequest(
            name=name, path=path, permissions_boundary=PLATFORM_BOUNDARY))
        assert creation.allowed is False, (path, name)
    assert create_user(model, actor=platform, name="backdoor").allowed is False  # the platform has no user here
    assert create_user(model, actor=platform, name="x", path="/platform/").allowed is False
    assert model.evaluate(principal=platform, action="iam:CreatePolicy", resource=f"{IAM}:policy/elsewhere").allowed is False
    assert model.evaluate(principal=platform, action="iam:CreateAccessKey", resource=f"{IAM}:user/alice.example").allowed is False
    # the team's boundary, creator and deployer are the administrator's (the Delegation stack)
    for action, resource in (("iam:CreatePolicyVersion", BOUNDARY), ("iam:CreatePolicyVersion", f"{IAM}:policy/guardrails/payments-role-creator"),
                             ("iam:PutRolePolicy", f"{IAM}:role/delegation/payments-deployer")):
        assert model.evaluate(principal=platform, action=action, resource=resource).allowed is False, (action, resource)


def test_the_platform_execution_role_cannot_attach_administrator_or_unlisted_policies(roles):
    from constructs_iam.access.creation import attach_role_policy

    model, _, platform = roles
    role = add_role(model, RoleRequest(name="attach-to", path="/platform/ecs-tasks/",
                                       permissions_boundary=PLATFORM_BOUNDARY), account=ACCOUNT)
    for policy in (ADMIN, "arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/PowerUserAccess",
                   "arn:aws:iam::aws:policy/ReadOnlyAccess", f"{IAM}:policy/elsewhere", BOUNDARY):
        assert attach_role_policy(model, actor=platform, role=role, policy_arn=policy).allowed is False, policy
    for policy in ("arn:aws:iam::aws:policy/AWSSupportAccess", f"{IAM}:policy/platform/ConstructsIam-Workload-x"):
        assert attach_role_policy(model, actor=platform, role=role, policy_arn=policy).allowed is True, policy


def test_the_platform_execution_role_cannot_remove_replace_or_edit_the_boundary(roles):
    from constructs_iam.access.creation import delete_role_boundary, put_role_boundary

    model, _, platform = roles
    bounded = add_role(model, RoleRequest(name="bounded", path="/platform/ecs-tasks/", permissions_boundary=PLATFORM_BOUNDARY),
                       account=ACCOUNT)
    assert delete_role_boundary(model, actor=platform, role=bounded).allowed is False
    assert put_role_boundary(model, actor=platform, role=bounded, boundary=BOUNDARY).allowed is False
    assert put_role_boundary(model, actor=platform, role=bounded, boundary=PLATFORM_BOUNDARY).allowed is True
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:TagPolicy"):
        assert model.evaluate(principal=platform, action=action, resource=PLATFORM_BOUNDARY).allowed is False, action


def test_the_platform_execution_role_cannot_pass_a_role_outside_the_app_or_to_another_service(roles):
    from constructs_iam.access.creation import pass_role

    model, _, platform = roles
    assert pass_role(model, actor=platform, role=f"{IAM}:role/platform/ecs-tasks/x", service="ecs-tasks.amazonaws.com").allowed is True
    for role, service in ((f"{IAM}:role/elsewhere", "lambda.amazonaws.com"),
                          (f"{IAM}:role/teams/payments/payments-workload", "lambda.amazonaws.com"),
                          (DEPLOY_ROLE, "cloudformation.amazonaws.com"),
                          (f"{IAM}:role/DeveloperReadOnly", "lambda.amazonaws.com"),  # trusts people, no service
                          (f"{IAM}:role/platform/ecs-tasks/x", "glue.amazonaws.com"),
                          (f"{IAM}:role/platform/ecs-tasks/x", "ec2.amazonaws.com"),  # another app role's service
                          (f"{IAM}:role/platform/x", "ecs-tasks.amazonaws.com")):
        assert pass_role(model, actor=platform, role=role, service=service).allowed is False, (role, service)


def test_the_platform_execution_role_cannot_touch_the_bootstrap_roles(roles):
    model, _, platform = roles
    for role in (DEPLOY_ROLE, f"{IAM}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-eu-west-1",
                 f"{IAM}:role/cdk-payments-cfn-exec-role-{ACCOUNT}-eu-west-1"):
        for action in ("iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole",
                       "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:PassRole"):
            decision = model.evaluate(principal=platform, action=action, resource=role,
                                      context={"iam:PolicyARN": "arn:aws:iam::aws:policy/AWSSupportAccess",
                                               "iam:PermissionsBoundary": PLATFORM_BOUNDARY})
            assert decision.allowed is False, (role, action, decision.reason)


@pytest.fixture(scope="module")
def platform_templates(sample):
    from constructs_iam.bootstrap import iam_inventory

    stacks, directory = sample
    model = AccessModel.from_stack(stacks.delegation, *_production_platform(stacks))
    return model, iam_inventory(directory)["hnb659fds"][ACCOUNT]


def test_every_role_and_policy_of_the_platforms_templates_is_creatable_by_its_execution_role(roles, platform_templates, sample):
    model, _, platform = roles
    stacks, _ = sample
    _, inventory = platform_templates
    unbounded = [f"{IAM}:policy{p}" for p in inventory["unbounded-policy"]]
    created = 0
    for stack in _production_platform(stacks):
        body = Template.from_stack(stack).to_json()
        resources = body["Resources"]
        for logical_id, resource in resources.items():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::IAM::Role":
                name = props.get("RoleName", f"{stack.stack_name}-{logical_id}")
                attached = [f"{IAM}:policy{p['Properties']['Path']}{stack.stack_name}-{lid}"
                            for lid, p in resources.items() if p["Type"] == "AWS::IAM::ManagedPolicy"
                            and {"Ref": logical_id} in p["Properties"].get("Roles", [])]
                attached += ["arn:aws:iam::aws:policy/" + a["Fn::Join"][1][-1].split("policy/")[-1]
                             for a in props.get("ManagedPolicyArns", [])]
                services = [s for st in props["AssumeRolePolicyDocument"]["Statement"]
                            for s in ([st["Principal"].get("Service")] if isinstance(st["Principal"].get("Service"), str)
                                      else st["Principal"].get("Service") or [])]
                creation = create_role(model, creator=platform, request=RoleRequest(
                    name=name, path=props.get("Path", "/"), permissions_boundary=props.get("PermissionsBoundary"),
                    managed_policy_arns=tuple(attached), inline_policies=tuple(props.get("Policies", [])),
                    pass_to=services[0] if services else None))
                # the role without the boundary is the administrator's: nothing would bound what a push writes into it
                expected = props.get("PermissionsBoundary") is not None
                assert creation.allowed is expected, (stack.stack_name, logical_id, creation_steps(creation))
                created += 1
            elif resource["Type"] == "AWS::IAM::ManagedPolicy":
                arn = f"{IAM}:policy{props.get('Path', '/')}{props.get('ManagedPolicyName', f'{stack.stack_name}-{logical_id}')}"
                expected = not any(fnmatch.fnmatchcase(arn, u) for u in unbounded)
                for action in ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion"):
                    assert model.evaluate(principal=platform, action=action, resource=arn).allowed is expected, (arn, action)
            elif resource["Type"] == "AWS::IAM::InstanceProfile":
                arn = f"{IAM}:instance-profile{props['Path']}{stack.stack_name}-{logical_id}"
                for action in ("iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"):
                    assert model.evaluate(principal=platform, action=action, resource=arn).allowed is True, (arn, action)
            elif resource["Type"] == "AWS::IAM::OIDCProvider":
                arn = f"{IAM}:oidc-provider/{props['Url'].removeprefix('https://')}"
                assert model.evaluate(principal=platform, action="iam:CreateOpenIDConnectProvider",
                                      resource=arn).allowed is True
    assert created >= 9


def test_the_platform_execution_role_cannot_write_the_unbounded_role_or_its_policies(roles, platform_templates):
    """DeveloperReadOnly carries no boundary: were its policies or trust writable by the execution role, a push
    would make it an administrator that trusts the pusher. The execution role reads it, never writes it."""
    from constructs_iam.access.creation import attach_role_policy, put_role_policy, update_assume_role_policy

    model, _, platform = roles
    _, inventory = platform_templates
    assert inventory["unbounded-policy"] == ["/constructs-iam/protected/unbounded/*"]
    role = f"{IAM}:role/DeveloperReadOnly"
    assert create_role(model, creator=platform, request=RoleRequest(name="DeveloperReadOnly")).allowed is False
    assert put_role_policy(model, actor=platform, role=role).allowed is False
    assert update_assume_role_policy(model, actor=platform, role=role).allowed is False
    for policy in (f"{IAM}:policy/platform/written-by-a-push", "arn:aws:iam::aws:policy/AWSSupportAccess"):
        assert attach_role_policy(model, actor=platform, role=role, policy_arn=policy).allowed is False, policy
    for action in ("iam:DeleteRole", "iam:DetachRolePolicy", "iam:DeleteRolePolicy", "iam:TagRole", "iam:UpdateRole"):
        assert model.evaluate(principal=platform, action=action, resource=role).allowed is False, action
    policy = f"{IAM}:policy/constructs-iam/protected/unbounded/ConstructsIam-ProductionAccess-x"
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:CreatePolicy"):
        assert model.evaluate(principal=platform, action=action, resource=policy).allowed is False, action
    assert model.evaluate(principal=platform, action="iam:GetRole", resource=role).allowed is True
    # the CI's own policy stays on the protected path the execution role writes (it is bounded)
    assert model.evaluate(principal=platform, action="iam:CreatePolicyVersion",
                          resource=f"{IAM}:policy/constructs-iam/protected/ConstructsIam-CiDeploy-x").allowed is True


def test_the_platform_execution_role_gives_no_policy_to_a_role_without_the_boundary(roles):
    """A named platform role created before the boundary (by the administrator's bootstrap) stays writable by
    name; a push that leaves the boundary out of its template must not give it a policy (Support trusts people)."""
    model, _, platform = roles
    for name in ("Support", "InstanceSession", "GitHubActionsDeploy", "platform/lambda/x"):
        role = f"{IAM}:role/{name}"
        for action, context in (("iam:PutRolePolicy", {}),
                                ("iam:AttachRolePolicy", {"iam:PolicyARN": f"{IAM}:policy/platform/written-by-a-push"})):
            unbounded = model.evaluate(principal=platform, action=action, resource=role, context=context)
            assert unbounded.allowed is False, (name, action, unbounded.reason)
            bounded = model.evaluate(principal=platform, action=action, resource=role,
                                     context={**context, "iam:PermissionsBoundary": PLATFORM_BOUNDARY})
            assert bounded.allowed is True, (name, action, bounded.reason)


def test_every_platform_role_but_the_named_exception_carries_the_platform_boundary(platform_templates):
    _, inventory = platform_templates
    assert {role: b for role, b in inventory["bounded"].items() if b != PLATFORM_BOUNDARY} == {"/DeveloperReadOnly": None}


def _catalog_actions(pattern: str) -> list[str]:
    """The IAM catalog's actions a pattern of a policy names (the pattern itself when it has no wildcard)."""
    import fnmatch

    from constructs_iam.developer_access import classified_actions

    if "*" not in pattern and "?" not in pattern:
        return [pattern]
    return [a for a in classified_actions() if fnmatch.fnmatchcase(a.lower(), pattern.lower())]


def test_no_platform_role_loses_what_its_own_policies_allow_under_the_boundary(platform_templates):
    model, _ = platform_templates
    checked = 0
    for key in model.principals():
        who = model.principal(key)
        if who.kind != "role" or who.boundary_arn != PLATFORM_BOUNDARY:
            continue
        assert who.boundary, f"{key}: the boundary's document is not in the model"
        for statement in who.statements:
            raw = statement.raw
            if raw.get("Effect") != "Allow" or "Condition" in raw:
                continue
            actions = [raw["Action"]] if isinstance(raw["Action"], str) else raw["Action"]
            resources = [raw["Resource"]] if isinstance(raw.get("Resource"), str) else raw.get("Resource", ["*"])
            for concrete in (a for action in actions for a in _catalog_actions(action)):
                resource = resources[0].replace("*", "x")
                bounded = model.evaluate(principal=key, action=concrete, resource=resource)
                boundary, who.boundary = who.boundary, None  # the same role without it: a key policy's
                try:                                          # conditions decide both the same way
                    unbounded = model.evaluate(principal=key, action=concrete, resource=resource)
                finally:
                    who.boundary = boundary
                assert bounded.allowed == unbounded.allowed, (key, concrete, bounded.reason)
                checked += unbounded.allowed is True
    assert checked >= 20


def test_a_platform_role_rewritten_to_administrator_stays_within_the_platform_boundary(platform_templates):
    model, _ = platform_templates
    greedy = add_role(model, RoleRequest(name="greedy", path="/platform/ecs-tasks/", permissions_boundary=PLATFORM_BOUNDARY,
                                         managed_policy_arns=(ADMIN,)), account=ACCOUNT)
    ask = lambda action, resource="*", **ctx: model.evaluate(  # noqa: E731
        principal=greedy, action=action, resource=resource, context=ctx).allowed
    assert ask("s3:GetObject", "arn:aws:s3:::data/a.csv") is True  # a verb the platform roles use
    assert ask("dynamodb:DeleteTable") is False  # no platform role uses dynamodb
    assert ask("iam:CreateUser", f"{IAM}:user/backdoor") is False
    assert ask("iam:PutRolePolicy", f"{IAM}:role/elsewhere") is False
    assert ask("iam:PassRole", f"{IAM}:role/elsewhere", **{"iam:PassedToService": "ec2.amazonaws.com"}) is False
    assert ask("iam:DeleteRolePermissionsBoundary", greedy) is False
    assert ask("iam:CreatePolicyVersion", PLATFORM_BOUNDARY) is False
    assert ask("sts:AssumeRole", DEPLOY_ROLE) is False  # only the CI role assumes the bootstrap roles
    assert ask("organizations:LeaveOrganization") is False
    assert ask("account:CloseAccount") is False
    assert model.evaluate(principal=f"{IAM}:role/GitHubActionsDeploy", action="sts:AssumeRole",
                          resource=DEPLOY_ROLE).allowed is True


def test_the_ci_role_rewritten_by_a_push_opens_no_session_but_its_qualifiers_bootstrap_roles(platform_templates):
    """The CI role's policy is the platform's execution role's to write: a push can give it sts:AssumeRole on *.
    The team's bootstrap roles trust the account (CDK's default): through them the CI would deploy as the team's
    execution role. The boundary keeps its sessions to the platform qualifier's bootstrap roles."""
    model, _ = platform_templates
    anything = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]}
    ci = add_role(model, RoleRequest(name="GitHubActionsDeploy", permissions_boundary=PLATFORM_BOUNDARY,
                                     inline_policies=(anything,)), account=ACCOUNT)
    for role in (f"{IAM}:role/cdk-payments-deploy-role-{ACCOUNT}-eu-west-1",
                 f"{IAM}:role/cdk-payments-cfn-exec-role-{ACCOUNT}-eu-west-1",
                 f"{IAM}:role/teams/payments/payments-workload", f"{IAM}:role/Support", f"{IAM}:role/DeveloperReadOnly"):
        for action in ("sts:AssumeRole", "sts:TagSession"):
            assert model.evaluate(principal=ci, action=action, resource=role).allowed is False, (role, action)
    for action in ("sts:AssumeRole", "sts:TagSession"):
        assert model.evaluate(principal=ci, action=action, resource=DEPLOY_ROLE).allowed is True, action


# ------------------------------------------------------------------ the library's parts, on their own


def test_set_iam_paths_names_what_cloudformation_would_name_and_leaves_named_resources():
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam

    from constructs_iam.bootstrap import set_iam_paths, set_permissions_boundary

    from .support import ENV

    stack = cdk.Stack(new_app(), "Paths", env=ENV)
    lam = iam.Role(stack, "Function", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.Role(stack, "Two", assumed_by=iam.CompositePrincipal(iam.ServicePrincipal("ec2.amazonaws.com"),
                                                              iam.ServicePrincipal("ecs-tasks.amazonaws.com")))
    iam.Role(stack, "Named", role_name="Named", assumed_by=iam.AccountPrincipal(ACCOUNT))
    iam.Role(stack, "Pathed", path="/own/", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.ManagedPolicy(stack, "Policy", roles=[lam], statements=[iam.PolicyStatement(actions=["s3:GetObject"],
                                                                                   resources=["arn:aws:s3:::b/*"])])
    assert set_iam_paths(stack, "/platform/") == 3
    assert set_permissions_boundary(stack, PLATFORM_BOUNDARY, except_role_names=["Named"]) == 3
    template = Template.from_stack(stack)
    paths = {r["Properties"].get("RoleName", lid[:3]): (r["Properties"].get("Path", "/"), r["Properties"].get("PermissionsBoundary"))
             for lid, r in template.find_resources("AWS::IAM::Role").items()}
    assert paths == {"Fun": ("/platform/lambda/", PLATFORM_BOUNDARY), "Two": ("/platform/", PLATFORM_BOUNDARY),
                     "Named": ("/", None), "Pat": ("/own/", PLATFORM_BOUNDARY)}
    template.has_resource_properties("AWS::IAM::ManagedPolicy", {"Path": "/platform/"})
    # no standing lifecycle acknowledgment: it would let the next replacement of these roles through unreviewed
    assert "constructs-iam:lifecycle-acknowledgments" not in (template.to_json().get("Metadata") or {})


def test_no_execution_policy_for_an_account_whose_iam_cannot_be_named():
    with pytest.raises(ValueError, match="neither a name nor a path cannot be scoped"):
        execution_statements(["AWS::IAM::Role"], partition="aws", account=ACCOUNT, region="eu-west-1", qualifier="x",
                             delegated=False, iam={"role": [], "unscoped": ["Stack/Role: AWS::IAM::Role has neither"]},
                             permissions_boundary=PLATFORM_BOUNDARY)


def test_without_its_iam_resources_the_platform_role_gets_no_iam_action():
    statements = execution_statements(["AWS::IAM::Role", "AWS::Lambda::Function"], partition="aws", account=ACCOUNT,
                                      region="eu-west-1", qualifier="x", delegated=False)
    allowed = [a for s in statements if s["Effect"] == "Allow"
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert "lambda:CreateFunction" in allowed and not [a for a in allowed if a.startswith("iam:")]


def test_wrong_platform_boundary_props_name_the_construct_and_the_prop():
    import aws_cdk as cdk

    from constructs_iam import PropsError
    from constructs_iam.bootstrap import PlatformBoundary

    from .support import ENV

    stack = cdk.Stack(new_app(), "Wrong", env=ENV)
    with pytest.raises(PropsError) as error:
        PlatformBoundary(stack, "Boundary", managed_policy_name="b", iam_resources={},
                         unbounded_roles={"/DeveloperReadOnly": "short"})
    text = str(error.value)
    assert "Wrong/Boundary" in text and "iam_resources" in text and "must say why" in text


def test_a_platform_role_without_the_boundary_is_refused_at_synth_unless_named():
    iam = {"role": ["/platform/lambda/*", "/Legacy"], "bounded": {"/platform/lambda/*": PLATFORM_BOUNDARY, "/Legacy": None}}
    kwargs = dict(partition="aws", account=ACCOUNT, region="eu-west-1", qualifier="x", delegated=False, iam=iam,
                  permissions_boundary=PLATFORM_BOUNDARY)
    with pytest.raises(ValueError, match=r"without the boundary .*'/Legacy': None"):
        execution_statements(["AWS::IAM::Role"], **kwargs)
    statements = execution_statements(["AWS::IAM::Role"], unbounded_roles=["/Legacy"], **kwargs)
    # named, it is read, never created or written: nothing would bound what a push writes into it
    assert {"Sid": "DenyUnboundedRolesAndTheirPolicies", "Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"],
            "Resource": [f"{IAM}:role/Legacy"]} in statements
    assert not any(s["Effect"] == "Allow" and f"{IAM}:role/Legacy" in s["Resource"] and "iam:CreateRole" in s["Action"]
                   for s in statements)


def test_the_policies_of_an_unbounded_role_need_a_path_no_bounded_roles_policy_shares(tmp_path):
    """The execution role is denied every write on the unbounded role's policies by their path: a policy of a
    bounded role on that path would be locked with them, so the inventory refuses to scope the account."""
    from constructs_iam.bootstrap import iam_inventory

    def policy(path, role):
        return {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Path": path, "Roles": [{"Ref": role}],
                                                                  "PolicyDocument": {"Statement": []}}}

    def assembly(dev_path):
        trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                                "Action": "sts:AssumeRole"}]}
        template = {"Resources": {
            "Dev": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "Dev", "AssumeRolePolicyDocument": trust}},
            "Ci": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "Ci", "AssumeRolePolicyDocument": trust,
                                                            "PermissionsBoundary": PLATFORM_BOUNDARY}},
            "DevPolicy": policy(dev_path, "Dev"), "CiPolicy": policy("/protected/", "Ci")}}
        directory = tmp_path / dev_path.strip("/").replace("/", "-")
        directory.mkdir()
        (directory / "S.template.json").write_text(json.dumps(template))
        (directory / "manifest.json").write_text(json.dumps({"artifacts": {"S": {
            "type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/eu-west-1",
            "properties": {"templateFile": "S.template.json",
                           "assumeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-deploy-role-{ACCOUNT}-eu-west-1"}}}}))
        return iam_inventory(directory)["hnb659fds"][ACCOUNT]

    shared = assembly("/protected/")
    assert shared["unbounded-policy"] == ["/protected/*"]
    assert any("/protected/*: policies of a role without a boundary" in u for u in shared["unscoped"]), shared["unscoped"]
    own = assembly("/protected/unbounded/")
    assert own["unbounded-policy"] == ["/protected/unbounded/*"] and own["unscoped"] == []
