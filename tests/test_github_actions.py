"""CI without stored keys: the GitHub Actions role trusts exact subjects only and can do nothing but
assume the CDK bootstrap roles. Trust decided by AccessModel against token claims."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from constructs_iam import GitHubActionsRole, GitHubOidcProvider, PropsError
from constructs_iam.access import AccessModel

from .support import ENV, nag_findings, new_app, policy_statements, trust_statements

PROVIDER = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
ROLE = "arn:aws:iam::222222222222:role/GitHubActionsDeploy"


@pytest.fixture(scope="module")
def built():
    stack = Stack(new_app(), "Ci", env=ENV)
    provider = GitHubOidcProvider(stack, "GitHub")
    role = GitHubActionsRole(stack, "Deploy", repository="acme/platform", branches=["main"], environments=["production"],
                             tags=["v1.0.0"], provider=provider.provider, role_name="GitHubActionsDeploy")
    return stack, Template.from_stack(stack), role


@pytest.fixture(scope="module")
def model(built) -> AccessModel:
    return AccessModel.from_stack(built[0])


def claims(sub: str, aud: str = "sts.amazonaws.com") -> dict[str, str]:
    return {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud}


def assume(model: AccessModel, context: dict[str, str]) -> bool:
    return model.can_assume(role=ROLE, caller=PROVIDER, context=context, action="sts:AssumeRoleWithWebIdentity").allowed


def test_the_main_branch_the_environment_and_the_tag_may_assume(model):
    assert assume(model, claims("repo:acme/platform:ref:refs/heads/main"))
    assert assume(model, claims("repo:acme/platform:environment:production"))
    assert assume(model, claims("repo:acme/platform:ref:refs/tags/v1.0.0"))


@pytest.mark.parametrize("context", [
    claims("repo:acme/platform:ref:refs/heads/feature"),         # another branch
    claims("repo:acme/platform:pull_request"),                  # a pull request
    claims("repo:acme/other:ref:refs/heads/main"),              # another repository
    claims("repo:evil/platform:ref:refs/heads/main"),           # another owner
    claims("repo:acme/platform:environment:staging"),           # another environment
    claims("repo:acme/platform:ref:refs/heads/main", aud="https://github.com/acme"),  # a wrong audience
    {"token.actions.githubusercontent.com:sub": "repo:acme/platform:ref:refs/heads/main"},  # no audience
])
def test_anything_else_may_not(model, context):
    assert not assume(model, context)


def test_only_web_identity_from_the_github_provider(model, built):
    _, template, role = built
    (statement,) = trust_statements(template, role.role)
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert list(statement["Principal"]) == ["Federated"]
    assert "StringLike" not in statement["Condition"]
    assert model.can_assume(role=ROLE, caller="arn:aws:iam::222222222222:user/someone",
                            context={"aws:MultiFactorAuthPresent": "true"}).allowed is False


BOOTSTRAP = [f"arn:aws:iam::222222222222:role/cdk-hnb659fds-{kind}-role-222222222222-eu-west-1"
             for kind in ("deploy", "file-publishing", "image-publishing", "lookup")]
ACTION_TAGS = {"GitHub": "Actions", "Repository": "acme/platform", "Workflow": "deploy", "Action": "run",
               "Actor": "octocat", "Commit": "0" * 40, "Branch": "refs/heads/main"}


def test_the_role_can_only_assume_the_bootstrap_roles_of_the_deploy_region(model, built):
    _, template, role = built
    assume, tag = policy_statements(template, role.policy)
    assert assume["Action"] == "sts:AssumeRole" and sorted(assume["Resource"]) == sorted(BOOTSTRAP)
    assert tag["Action"] == "sts:TagSession" and sorted(tag["Resource"]) == sorted(BOOTSTRAP)
    for arn in BOOTSTRAP:
        assert model.evaluate(principal=ROLE, action="sts:AssumeRole", resource=arn).allowed, arn
    refused = [("sts:AssumeRole", "arn:aws:iam::222222222222:role/Admin"), ("s3:PutObject", "arn:aws:s3:::b/k"),
               ("sts:AssumeRole", "arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-east-1"),
               ("sts:AssumeRole", "arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-eu-west-1x"),
               ("sts:AssumeRole", "arn:aws:iam::222222222222:role/cdk-hnb659fds-cfn-exec-role-222222222222-eu-west-1"),
               ("cloudformation:CreateStack", "*"), ("iam:PassRole", "*"), ("lambda:UpdateFunctionCode", "*")]
    for action, resource in refused:
        assert not model.evaluate(principal=ROLE, action=action, resource=resource).allowed, (action, resource)


def test_sessions_carry_only_the_tags_the_credentials_action_sends(model):
    tag = lambda keys: model.evaluate(principal=ROLE, action="sts:TagSession", resource=BOOTSTRAP[0],  # noqa: E731
                                      context={"aws:TagKeys": keys}).allowed
    assert tag(list(ACTION_TAGS)) is True
    assert tag(["Repository", "Commit"]) is True
    for keys in (["TenantPrefix"], [*ACTION_TAGS, "TenantPrefix"], ["Team"], ["github"]):
        assert tag(keys) is False, keys
    assert model.evaluate(principal=ROLE, action="sts:TagSession", resource="arn:aws:iam::222222222222:role/Admin",
                          context={"aws:TagKeys": ["Repository"]}).allowed is False


def test_without_session_tag_keys_ci_cannot_tag_sessions_at_all():
    stack = Stack(new_app(), "Ci", env=ENV)
    role = GitHubActionsRole(stack, "Deploy", repository="acme/platform", branches=["main"], session_tag_keys=[],
                             role_name="GitHubActionsDeploy")
    (statement,) = policy_statements(Template.from_stack(stack), role.policy)
    assert statement["Action"] == "sts:AssumeRole"
    assert AccessModel.from_stack(stack).evaluate(principal=ROLE, action="sts:TagSession", resource=BOOTSTRAP[0],
                                                  context={"aws:TagKeys": ["Repository"]}).allowed is False


def test_deploy_regions_and_accounts_name_each_bootstrap_role_exactly():
    stack = Stack(new_app(), "Ci", env=ENV)
    role = GitHubActionsRole(stack, "Deploy", repository="acme/platform", branches=["main"],
                             deploy_accounts=["333333333333"], deploy_regions=["eu-west-1", "us-east-1"])
    (assume, _) = policy_statements(Template.from_stack(stack), role.policy)
    assert sorted(assume["Resource"]) == sorted(
        f"arn:aws:iam::333333333333:role/cdk-hnb659fds-{kind}-role-333333333333-{region}"
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup") for region in ("eu-west-1", "us-east-1"))
    assert not any("*" in arn for arn in assume["Resource"])


WORKFLOW = ".github/workflows/deploy.yml"


@pytest.fixture(scope="module")
def pinned() -> AccessModel:
    stack = Stack(new_app(), "Ci", env=ENV)
    GitHubActionsRole(stack, "Deploy", repository="acme/platform", branches=["main"], environments=["production"],
                      workflow=WORKFLOW, role_name="GitHubActionsDeploy")
    return AccessModel.from_stack(stack)


def test_a_pinned_workflow_is_trusted_with_the_custom_subject_only(pinned):
    ref = f"job_workflow_ref:acme/platform/{WORKFLOW}@refs/heads/main"
    assert assume(pinned, claims(f"repo:acme/platform:ref:refs/heads/main:{ref}"))
    assert assume(pinned, claims(f"repo:acme/platform:environment:production:{ref}"))
    for sub in ("repo:acme/platform:ref:refs/heads/main",  # the default template: the repository setting is missing
                "repo:acme/platform:environment:production",
                "repo:acme/platform:ref:refs/heads/main:job_workflow_ref:acme/platform/.github/workflows/other.yml@refs/heads/main",
                f"repo:acme/platform:environment:production:job_workflow_ref:acme/platform/{WORKFLOW}@refs/heads/feature",
                f"repo:acme/platform:ref:refs/heads/main:job_workflow_ref:acme/platform/{WORKFLOW}@refs/heads/main.yml"):
        assert not assume(pinned, claims(sub)), sub


def test_nothing_is_attached_to_the_ci_role_but_its_own_policy(built):
    _, template, role = built
    resource = template.to_json()["Resources"][built[0].get_logical_id(role.role.node.default_child)]
    assert "ManagedPolicyArns" not in resource["Properties"] and "Policies" not in resource["Properties"]


def test_passes_the_nag_packs(built):
    assert nag_findings(built[0]) == []


def test_patterns_are_asked_for_by_name_and_stay_in_the_repository():
    stack = Stack(App(), "Ci", env=ENV)
    role = GitHubActionsRole(stack, "Release", repository="acme/platform",
                             subject_patterns=["repo:acme/platform:ref:refs/heads/release/*"])
    (statement,) = trust_statements(Template.from_stack(stack), role.role)
    assert statement["Condition"]["StringLike"] == {"token.actions.githubusercontent.com:sub": "repo:acme/platform:ref:refs/heads/release/*"}


def test_an_existing_provider_can_be_named():
    stack = Stack(App(), "Ci", env=ENV)
    provider = GitHubOidcProvider.existing(stack, "GitHub")
    assert stack.resolve(provider.open_id_connect_provider_arn) == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::222222222222:oidc-provider/token.actions.githubusercontent.com"]]}


@pytest.mark.parametrize(("props", "message"), [
    ({"repository": "acme"}, "repository 'acme' must be 'owner/name'"),
    ({"repository": "acme/*"}, "repository 'acme/\\*' must be 'owner/name' with no wildcards"),
    ({"repository": "*/platform"}, "repository '\\*/platform' must be 'owner/name' with no wildcards"),
    ({"repository": "acme/platform/x"}, "must be 'owner/name'"),
    ({"branches": []}, "branches/environments/tags \\[\\] must name at least one"),
    ({"branches": ["*"]}, "branches '\\*' must be exact names"),
    ({"branches": ["feature/*"]}, "branches 'feature/\\*' must be exact names"),
    ({"branches": ["has space"]}, "branches 'has space' must be exact names"),
    ({"tags": ["v*"]}, "tags 'v\\*' must be exact names"),
    ({"subject_patterns": ["repo:acme/*"]}, "subject_patterns 'repo:acme/\\*' must start with 'repo:acme/platform:'"),
    ({"subject_patterns": ["repo:acme/platform:*"]}, "not every subject of the repository"),
    ({"deploy_accounts": ["123"]}, "deploy_accounts '123' must be 12 digits"),
    ({"cdk_qualifier": "Bad-Q"}, "cdk_qualifier 'Bad-Q' must be 1 to 10 lower-case"),
    ({"deploy_regions": ["eu-west-*"]}, "deploy_regions 'eu-west-\\*' must be an AWS region"),
    ({"session_tag_keys": ["Repo*"]}, "session_tag_keys 'Repo\\*' must be tag keys"),
    ({"session_tag_keys": ["TenantPrefix"]}, "session_tag_keys 'TenantPrefix' must not include TenantPrefix"),
    ({"workflow": "deploy.yml"}, "workflow 'deploy.yml' must be the path of a workflow file"),
    ({"workflow": WORKFLOW, "branches": [], "environments": ["production"]}, "environments \\['production'\\] need branches or tags"),
    ({"workflow": WORKFLOW, "subject_patterns": ["repo:acme/platform:ref:refs/heads/release/*"]},
     "subject_patterns .* cannot be combined with workflow"),
])
def test_bad_repositories_and_refs_are_refused(props, message):
    base = {"repository": "acme/platform", "branches": ["main"]}
    with pytest.raises(PropsError, match=message):
        GitHubActionsRole(Stack(App(), "Ci", env=ENV), "Deploy", **{**base, **props})


def test_the_apps_ci_config_names_deploy_regions_and_the_workflow():
    import copy

    from stacks import AppConfig, CiStack, ConfigError

    from .support import CONTEXT

    raw = copy.deepcopy(CONTEXT["constructs-iam"])
    raw["ci"].update({"deploy_regions": ["eu-west-1", "eu-central-1"], "workflow": WORKFLOW})
    stack = CiStack(new_app(), "Ci", config=AppConfig.from_dict(raw), env=ENV)
    assert stack.role.deploy_regions == ("eu-west-1", "eu-central-1") and stack.role.workflow == WORKFLOW
    assert "arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-eu-central-1" in stack.role.bootstrap_role_arns
    raw["ci"]["workflow"] = "deploy.yml"
    with pytest.raises(ConfigError, match="ci.workflow 'deploy.yml' must be the path of a workflow file"):
        AppConfig.from_dict(raw)
