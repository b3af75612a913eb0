"""Delegated role creation, as a security review would ask it: every escalation route refused,
the intended creations allowed (AccessModel with creation semantics), every role of a delegated
stack bounded whatever created it (IamGuardrails-PermissionsBoundary), wrong props refused."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from aws_cdk.assertions import Match, Template

from constructs_iam import DelegationBoundary, IamGuardrails, PropsError, RoleCreator
from constructs_iam.access import AccessModel
from constructs_iam.access.creation import (
    RoleRequest,
    add_role,
    attach_role_policy,
    create_access_key,
    create_role,
    create_user,
    creation_steps,
    delete_role_boundary,
    pass_role,
    put_role_boundary,
    put_role_policy,
    tag_role,
    update_assume_role_policy,
)

from .support import ENV, guardrail_findings, nag_findings, new_app

ACCOUNT = "222222222222"
TEAM_PATH = "/teams/payments/"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/guardrails/payments-boundary"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
PROTECTED = f"arn:aws:iam::{ACCOUNT}:role/cdk-platform-cfn-exec-role-{ACCOUNT}-eu-west-1"
REGION = {"aws:RequestedRegion": "eu-west-1"}


def boundary(scope) -> DelegationBoundary:
    return DelegationBoundary(
        scope, "Boundary", managed_policy_name="payments-boundary", role_path=TEAM_PATH,
        allowed_services={"s3": "orders are files", "dynamodb": "the orders table", "lambda": "the team's functions",
                          "logs": "the functions' logs"},
        protected_role_arns={f"arn:aws:iam::{ACCOUNT}:role/cdk-platform-*": "the platform's bootstrap roles"},
        regions=["eu-west-1"],
        protected_tag_keys={"TenantPrefix": "TenantIsolatedBucket confines tenants by this tag"},
    )


@pytest.fixture(scope="module")
def built():
    app = new_app()
    platform = cdk.Stack(app, "Platform", env=ENV)
    team_boundary = boundary(platform)
    creator_role = iam.Role(platform, "Deployer", role_name="payments-deployer", path="/platform/",
                            assumed_by=iam.AccountPrincipal(ACCOUNT))
    creator = RoleCreator(platform, "Creator", boundary=team_boundary,
                          pass_to_services={"lambda.amazonaws.com": "the team's functions"},
                          managed_policy_arns={LAMBDA_BASIC: "functions write their logs"})
    creator.grant(creator_role)
    team = cdk.Stack(app, "Team", env=ENV)
    iam.Role(team, "Orders", role_name="orders", path=TEAM_PATH,
             assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    IamGuardrails.of(team, permissions_boundary=DelegationBoundary.reference(team, "Boundary", BOUNDARY_ARN))
    model = AccessModel.from_stack(platform, team)
    return platform, team, team_boundary, creator, model


def allowed(decision) -> bool | None:
    return decision.allowed


# ------------------------------------------------------------------ the intended creations


def test_boundary_arn_is_literal_and_known_before_deploy(built):
    _, _, team_boundary, _, _ = built
    assert team_boundary.managed_policy_arn == BOUNDARY_ARN


def test_creator_can_create_a_bounded_role_under_its_path_and_pass_it_to_its_service(built):
    *_, model = built
    creation = create_role(model, creator="payments-deployer", request=RoleRequest(
        name="invoices", path=TEAM_PATH, permissions_boundary=BOUNDARY_ARN, managed_policy_arns=(LAMBDA_BASIC,),
        inline_policies=({"Version": "2012-10-17", "Statement": []},), pass_to="lambda.amazonaws.com"))
    assert creation.allowed is True, creation_steps(creation)


def test_creator_can_attach_its_team_policies(built):
    *_, model = built
    decision = attach_role_policy(model, actor="payments-deployer", role="orders",
                                  policy_arn=f"arn:aws:iam::{ACCOUNT}:policy{TEAM_PATH}orders-table")
    assert decision.allowed is True, decision.reason


# --------------------------------------------------------------------- escalation routes


def test_creator_cannot_create_an_unbounded_role(built):
    *_, model = built
    creation = create_role(model, creator="payments-deployer", request=RoleRequest(name="free", path=TEAM_PATH))
    assert creation.allowed is False
    assert creation.refused[0] == "iam:CreateRole" and creation.refused[1].outcome == "explicit-deny"


def test_creator_cannot_create_a_role_with_another_boundary(built):
    *_, model = built
    creation = create_role(model, creator="payments-deployer", request=RoleRequest(
        name="wide", path=TEAM_PATH, permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/wide-boundary"))
    assert creation.allowed is False


def test_creator_cannot_create_a_role_outside_its_path(built):
    *_, model = built
    for path in ("/", "/teams/other/", "/platform/"):
        creation = create_role(model, creator="payments-deployer", request=RoleRequest(
            name="elsewhere", path=path, permissions_boundary=BOUNDARY_ARN))
        assert creation.allowed is False, path


def test_creator_cannot_raise_its_own_permissions(built):
    *_, creator, model = built
    me = "payments-deployer"
    assert put_role_policy(model, actor=me, role=me).allowed is False
    assert attach_role_policy(model, actor=me, role=me, policy_arn=ADMIN).allowed is False
    assert update_assume_role_policy(model, actor=me, role=me).allowed is False
    assert delete_role_boundary(model, actor=me, role=me).allowed is False
    grant = next(arn for arn, statements in model._managed_policies.items()  # its own grant, as deployed
                 if statements and statements[0].source == "Platform/Creator/Policy")
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"):
        assert model.evaluate(principal=me, action=action, resource=grant).allowed is False


def test_creator_cannot_attach_administrator_or_unlisted_policies(built):
    *_, model = built
    for policy in (ADMIN, "arn:aws:iam::aws:policy/IAMFullAccess", f"arn:aws:iam::{ACCOUNT}:policy/platform-policy"):
        assert attach_role_policy(model, actor="payments-deployer", role="orders", policy_arn=policy).allowed is False, policy
    creation = create_role(model, creator="payments-deployer", request=RoleRequest(
        name="admin", path=TEAM_PATH, permissions_boundary=BOUNDARY_ARN, managed_policy_arns=(ADMIN,)))
    assert creation.allowed is False and creation.refused[0] == f"iam:AttachRolePolicy {ADMIN}"


def test_creator_cannot_edit_detach_or_replace_the_boundary(built):
    *_, model = built
    assert model.principal("orders").boundary_arn == BOUNDARY_ARN
    assert delete_role_boundary(model, actor="payments-deployer", role="orders").allowed is False
    assert put_role_boundary(model, actor="payments-deployer", role="orders",
                             boundary=f"arn:aws:iam::{ACCOUNT}:policy/wide-boundary").allowed is False
    for action in ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"):
        assert model.evaluate(principal="payments-deployer", action=action, resource=BOUNDARY_ARN).allowed is False


def test_creator_cannot_change_roles_that_lack_the_boundary(built):
    *_, model = built
    unbounded = f"arn:aws:iam::{ACCOUNT}:role{TEAM_PATH}legacy"  # under the path, but no boundary
    assert put_role_policy(model, actor="payments-deployer", role=unbounded).allowed is False
    assert update_assume_role_policy(model, actor="payments-deployer", role=unbounded).allowed is False


def test_creator_cannot_pass_a_role_outside_its_path_or_to_another_service(built):
    *_, model = built
    assert pass_role(model, actor="payments-deployer", role="orders", service="lambda.amazonaws.com").allowed is True
    assert pass_role(model, actor="payments-deployer", role="orders", service="ec2.amazonaws.com").allowed is False
    assert pass_role(model, actor="payments-deployer", role="payments-deployer",
                     service="lambda.amazonaws.com").allowed is False
    assert pass_role(model, actor="payments-deployer", role=PROTECTED, service="lambda.amazonaws.com").allowed is False


def test_creator_cannot_create_a_user_or_an_access_key(built):
    *_, model = built
    assert create_user(model, actor="payments-deployer", name="backdoor").allowed is False
    assert create_access_key(model, actor="payments-deployer", user="alice.example").allowed is False


def test_creator_cannot_give_or_take_the_tags_other_policies_grant_by(built):
    *_, model = built
    for tags in ({"TenantPrefix": "services/billing/"}, {"constructs-iam:guardrail": "true"}):
        creation = create_role(model, creator="payments-deployer", request=RoleRequest(
            name="tagged", path=TEAM_PATH, permissions_boundary=BOUNDARY_ARN, tags=tags))
        assert creation.allowed is False, tags
        assert tag_role(model, actor="payments-deployer", role="orders", tags=tags).allowed is False, tags
    creation = create_role(model, creator="payments-deployer", request=RoleRequest(
        name="tagged", path=TEAM_PATH, permissions_boundary=BOUNDARY_ARN, tags={"cost-centre": "payments"}))
    assert creation.allowed is True, creation_steps(creation)


# --------------------------------------------------------- what a created role can do at most


@pytest.fixture(scope="module")
def admin_role(built):
    *_, model = built
    return add_role(model, RoleRequest(name="greedy", path=TEAM_PATH, permissions_boundary=BOUNDARY_ARN,
                                       managed_policy_arns=(ADMIN,)), account=ACCOUNT)


def test_created_role_cannot_exceed_the_boundary_even_with_administrator_access(built, admin_role):
    *_, model = built
    ask = lambda action, resource="*", **ctx: model.evaluate(  # noqa: E731
        principal=admin_role, action=action, resource=resource, context={**REGION, **ctx}).allowed
    assert ask("s3:GetObject", "arn:aws:s3:::orders/a.csv") is True  # an allowed service
    assert ask("ec2:RunInstances") is False  # not an allowed service
    assert ask("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/backdoor") is False
    assert ask("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/alice.example") is False
    assert ask("iam:CreateLoginProfile", f"arn:aws:iam::{ACCOUNT}:user/alice.example") is False
    assert ask("iam:AddUserToGroup", f"arn:aws:iam::{ACCOUNT}:group/admins") is False
    assert ask("iam:DeleteRolePermissionsBoundary", admin_role, **{"iam:PermissionsBoundary": BOUNDARY_ARN}) is False
    assert ask("iam:CreatePolicyVersion", BOUNDARY_ARN) is False
    assert ask("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role{TEAM_PATH}next") is False  # no boundary
    assert ask("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role{TEAM_PATH}next",
               **{"iam:PermissionsBoundary": BOUNDARY_ARN}) is True  # the same boundary: bounded again
    assert ask("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/platform/next",
               **{"iam:PermissionsBoundary": BOUNDARY_ARN}) is False  # outside the path
    assert ask("sts:AssumeRole", PROTECTED) is False
    assert ask("iam:UpdateAssumeRolePolicy", PROTECTED) is False
    assert ask("organizations:LeaveOrganization") is False


def test_created_role_cannot_touch_guardrail_tagged_roles_or_the_tag(built, admin_role):
    *_, model = built
    tagged = {"aws:ResourceTag/constructs-iam:guardrail": "true", "iam:PermissionsBoundary": BOUNDARY_ARN}
    for action in ("iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole", "sts:AssumeRole"):
        decision = model.evaluate(principal=admin_role, action=action,
                                  resource=f"arn:aws:iam::{ACCOUNT}:role{TEAM_PATH}tagged", context={**REGION, **tagged})
        assert decision.allowed is False, action
    for key in ("constructs-iam:guardrail", "TenantPrefix"):
        assert tag_role(model, actor=admin_role, role=admin_role, tags={key: "x"}).allowed is False, key


def test_protected_tag_keys_hold_in_any_case_and_as_session_tags(built, admin_role):
    # IAM compares condition key names without case (aws:PrincipalTag/tenantprefix is the same key), and
    # a session tag overrides the role's: a role trusting its creator with sts:TagSession would do
    *_, model = built
    created = f"arn:aws:iam::{ACCOUNT}:role{TEAM_PATH}orders"
    for actor in ("payments-deployer", admin_role):
        for key in ("tenantprefix", "TENANTPREFIX", "Constructs-IAM:Guardrail"):
            assert tag_role(model, actor=actor, role="orders", tags={key: "services/billing/"}).allowed is False, key
        session = model.evaluate(principal=actor, action="sts:TagSession", resource=created, context={
            **REGION, "aws:TagKeys": ["TenantPrefix"], "aws:RequestTag/TenantPrefix": "services/billing/"})
        assert session.allowed is False and session.outcome == "explicit-deny", (actor, session)
    creation = create_role(model, creator="payments-deployer", request=RoleRequest(
        name="tagged", path=TEAM_PATH, permissions_boundary=BOUNDARY_ARN, tags={"tenantPrefix": "services/billing/"}))
    assert creation.allowed is False, creation_steps(creation)


def test_created_role_cannot_change_guardrail_tagged_resources_of_other_services(built, admin_role):
    # lambda is an allowed service: without the tag Deny on every resource, a team role could rewrite
    # the code of a platform function and run as its role
    *_, model = built
    function = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:platform-provider"
    for action in ("lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:InvokeFunction"):
        decision = model.evaluate(principal=admin_role, action=action, resource=function,
                                  context={**REGION, "aws:ResourceTag/constructs-iam:guardrail": "true"})
        assert decision.allowed is False and decision.outcome == "explicit-deny", (action, decision)
    assert model.evaluate(principal=admin_role, action="lambda:UpdateFunctionCode", resource=function,
                          context=REGION).allowed is True  # the team's own, untagged


def test_created_role_cannot_leave_the_regions(built, admin_role):
    *_, model = built
    bucket = "arn:aws:s3:::orders/a.csv"
    assert model.evaluate(principal=admin_role, action="s3:GetObject", resource=bucket,
                          context={"aws:RequestedRegion": "us-west-2"}).allowed is False


# ------------------------------------------------------------------------- the templates


def test_workload_role_of_the_team_stack_carries_the_boundary(built):
    _, team, *_ = built
    Template.from_stack(team).has_resource_properties("AWS::IAM::Role", {
        "Path": TEAM_PATH, "PermissionsBoundary": BOUNDARY_ARN})


def test_boundary_and_creator_are_clean_under_cdk_nag(built):
    platform, *_ = built
    assert nag_findings(platform) == []


def test_creator_statements_name_the_boundary_in_every_creation(built):
    platform, _, _, creator, _ = built
    statements = {s["Sid"]: s for s in creator.document["Statement"]}
    create = statements["CreateRolesWithTheBoundary"]
    assert "iam:CreateRole" in create["Action"]
    assert create["Condition"] == {"ArnEquals": {"iam:PermissionsBoundary": BOUNDARY_ARN}}
    assert statements["PassRolesToServices"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}}
    Template.from_stack(platform).has_resource_properties("AWS::IAM::ManagedPolicy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Sid": "DenyBoundaryRemoval"})])},
        "Roles": Match.any_value()})


# ------------------------------------------- every role of a delegated stack, whatever made it


def _every_kind_of_role(stack: cdk.Stack) -> None:
    iam.Role(stack, "L2", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    iam.CfnRole(stack, "L1", assume_role_policy_document={"Version": "2012-10-17", "Statement": []})
    s3.Bucket(stack, "B", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)  # provider role
    lambda_.SingletonFunction(stack, "Single", uuid="7c1b5ab2-0000-4000-8000-000000000001",
                              runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                              code=lambda_.Code.from_inline("def handler(e, c): pass"))
    cr.AwsCustomResource(stack, "Sdk", on_create=cr.AwsSdkCall(
        service="IAM", action="getRole", parameters={"RoleName": "x"}, physical_resource_id=cr.PhysicalResourceId.of("x")),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[f"arn:aws:iam::{ACCOUNT}:role/x"]))
    nested = cdk.NestedStack(stack, "Nested")
    iam.Role(nested, "InNested", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


def _boundary_findings(apply: bool) -> list[tuple[str, str, str]]:
    app = new_app()
    stack = cdk.Stack(app, "Delegated", env=ENV)
    _every_kind_of_role(stack)
    IamGuardrails.of(stack, permissions_boundary=DelegationBoundary.reference(stack, "Boundary", BOUNDARY_ARN),
                     apply_boundary=apply)
    return [f for f in guardrail_findings(app) if f[0] == "IamGuardrails-PermissionsBoundary"]


def test_every_role_of_a_delegated_stack_gets_the_boundary_whatever_created_it():
    assert _boundary_findings(apply=True) == []


def test_every_role_without_the_boundary_is_refused_whatever_created_it():
    paths = {path for _, path, _ in _boundary_findings(apply=False)}
    assert {"Delegated/L2/Resource", "Delegated/L1", "Delegated/Custom::S3AutoDeleteObjectsCustomResourceProvider/Role",
            "Delegated/SingletonLambda7c1b5ab2000040008000000000000001/ServiceRole/Resource"} <= paths
    assert any(p.startswith("Delegated/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole") for p in paths)
    assert any("Nested" in p for p in paths)  # the role inside the nested stack, reported on the stack


def test_cdk_permissions_boundary_of_misses_the_stack_level_singletons():
    """Why the guardrail reads templates: CDK's PermissionsBoundary.of(a construct) leaves the
    roles of singletons (custom-resource providers, SingletonFunction) at the stack root unbounded."""
    from constructs import Construct

    stack = cdk.Stack(new_app(), "Cdk", env=ENV)
    team_scope = Construct(stack, "Team")
    iam.Role(team_scope, "Own", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    s3.Bucket(team_scope, "B", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    iam.PermissionsBoundary.of(team_scope).apply(iam.ManagedPolicy.from_managed_policy_arn(stack, "PB", BOUNDARY_ARN))
    roles = Template.from_stack(stack).find_resources("AWS::IAM::Role")
    unbounded = [r for r in roles.values() if "PermissionsBoundary" not in r["Properties"]]
    assert len(roles) == 2 and len(unbounded) == 1  # the bucket's custom-resource provider role


def test_a_service_linked_role_in_a_delegated_stack_is_refused():
    app = new_app()
    stack = cdk.Stack(app, "Delegated", env=ENV)
    iam.CfnServiceLinkedRole(stack, "Slr", aws_service_name="autoscaling.amazonaws.com")
    IamGuardrails.of(stack, permissions_boundary=DelegationBoundary.reference(stack, "Boundary", BOUNDARY_ARN))
    found = guardrail_findings(app)
    assert [(rule, path) for rule, path, _ in found] == [("IamGuardrails-PermissionsBoundary", "Delegated/Slr")]
    assert "cannot carry a permissions boundary" in found[0][2]


def test_what_expands_after_synth_in_a_delegated_stack_is_refused():
    # a macro, AWS::Include or Fn::ForEach, or a StackSet, creates roles CloudFormation expands at
    # deploy time: the rule cannot see whether they carry the boundary, so it refuses them
    app = new_app()
    for name, build in {
        "Macro": lambda stack: stack.add_transform("TeamMacro"),
        "Include": lambda stack: stack.add_transform("AWS::Include"),
        "StackSet": lambda stack: cdk.CfnResource(stack, "Set", type="AWS::CloudFormation::StackSet", properties={
            "StackSetName": "roles", "PermissionModel": "SELF_MANAGED",
            "TemplateBody": '{"Resources": {"R": {"Type": "AWS::IAM::Role"}}}'}),
        "Sam": lambda stack: stack.add_transform("AWS::Serverless-2016-10-31"),
    }.items():
        stack = cdk.Stack(app, name, env=ENV)
        iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        build(stack)
        IamGuardrails.of(stack, permissions_boundary=DelegationBoundary.reference(stack, "Boundary", BOUNDARY_ARN))
    found = {(rule, message.split(".")[0]) for rule, _, message in guardrail_findings(app)}
    assert found == {
        ("IamGuardrails-PermissionsBoundary", "template transform TeamMacro expands at deploy time into resources "
         "(roles without the boundary among them) that cannot be checked"),
        ("IamGuardrails-PermissionsBoundary", "template transform AWS::Include expands at deploy time into resources "
         "(roles without the boundary among them) that cannot be checked"),
        ("IamGuardrails-PermissionsBoundary",
         "a StackSet deploys a template whose roles cannot be checked for the permissions boundary"),
    }, found


# ---------------------------------------------------------------------------- wrong props


@pytest.mark.parametrize(("props", "message"), [
    ({"allowed_services": {"iam": "roles for the team"}}, "allowed_services 'iam' cannot be delegated"),
    ({"allowed_services": {"sso": "the team's access"}}, "allowed_services 'sso' cannot be delegated"),
    ({"allowed_services": {"identitystore": "the team's people"}}, "allowed_services 'identitystore' cannot be delegated"),
    ({"allowed_services": {"s3": "short"}}, "must say why"),
    ({"allowed_services": {"s3:*": "wildcards here"}}, "must be a service prefix"),
    ({"role_path": "/"}, "role_path '/' must be the team's own path"),
    ({"role_path": "/teams/*/"}, "in the creator's ARNs they would match other teams' paths"),
    ({"role_path": "/teams/pay?/"}, "in the creator's ARNs they would match other teams' paths"),
    ({"path": "/teams/payments/guard/"}, "must not be under role_path"),
    ({"regions": ["moon-1"]}, "regions 'moon-1' must be an AWS region"),
    ({"protected_role_arns": {"platform-role": "the platform's role"}}, "must be an IAM role ARN"),
])
def test_wrong_boundary_props_fail_with_the_prop_and_the_rule(props, message):
    stack = cdk.Stack(new_app(), "Wrong", env=ENV)
    base = {"managed_policy_name": "b", "role_path": TEAM_PATH, "allowed_services": {"s3": "orders are files"}}
    with pytest.raises(PropsError, match=message) as error:
        DelegationBoundary(stack, "Boundary", **{**base, **props})
    assert "Wrong/Boundary (DelegationBoundary)" in str(error.value)


def test_creator_refuses_administrator_policies_and_paths_outside_the_boundary():
    stack = cdk.Stack(new_app(), "Wrong", env=ENV)
    team_boundary = boundary(stack)
    with pytest.raises(PropsError) as error:
        RoleCreator(stack, "Creator", boundary=team_boundary, pass_to_services={"lambda": "functions!"},
                    role_path="/teams/", managed_policy_arns={ADMIN: "give them everything"})
    text = str(error.value)
    assert "role_path '/teams/' must be under the boundary's role_path" in text
    assert "pass_to_services 'lambda' must be an AWS service principal" in text
    assert f"managed_policy_arns '{ADMIN}' must name one policy that is not administrator access" in text


def test_creator_refuses_the_single_character_wildcard_in_policies():
    # ArnLike matches '?' as any one character: 'AdministratorAcces?' is AdministratorAccess
    stack = cdk.Stack(new_app(), "Wildcard", env=ENV)
    with pytest.raises(PropsError) as error:
        RoleCreator(stack, "Creator", boundary=boundary(stack), pass_to_services={"lambda.amazonaws.com": "functions!"},
                    managed_policy_arns={ADMIN[:-1] + "?": "looks like one policy"})
    assert "must name one policy that is not administrator access" in str(error.value)


def test_a_ci_role_pattern_gets_the_creator_statements_as_a_recorded_widening():
    from constructs_iam import GitHubActionsRole, GitHubOidcProvider

    app = new_app()
    stack = cdk.Stack(app, "Ci", env=ENV)
    creator = RoleCreator(stack, "Creator", boundary=boundary(stack),
                          pass_to_services={"lambda.amazonaws.com": "the team's functions"})
    ci = GitHubActionsRole(stack, "GitHub", repository="acme/payments", branches=["main"],
                           provider=GitHubOidcProvider(stack, "Provider").provider)
    assert creator.grant(ci) is ci.policy
    assert ci.extensions and "iam:CreateRole" in ci.extensions[0]["actions"]
    assert guardrail_findings(app, plugin=None) == []  # no PatternWidened, no unacknowledged nag finding
