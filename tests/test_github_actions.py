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


def test_the_role_can_only_assume_the_bootstrap_roles(model, built):
    _, template, role = built
    (statement,) = policy_statements(template, role.policy)
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert sorted(statement["Resource"]) == sorted(
        f"arn:aws:iam::222222222222:role/cdk-hnb659fds-{kind}-role-222222222222-*"
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup"))
    allowed = [("sts:AssumeRole", "arn:aws:iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-eu-west-1")]
    refused = [("sts:AssumeRole", "arn:aws:iam::222222222222:role/Admin"), ("s3:PutObject", "arn:aws:s3:::b/k"),
               ("cloudformation:CreateStack", "*"), ("iam:PassRole", "*"), ("lambda:UpdateFunctionCode", "*")]
    for action, resource in allowed:
        assert model.evaluate(principal=ROLE, action=action, resource=resource).allowed, (action, resource)
    for action, resource in refused:
        assert not model.evaluate(principal=ROLE, action=action, resource=resource).allowed, (action, resource)


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
])
def test_bad_repositories_and_refs_are_refused(props, message):
    base = {"repository": "acme/platform", "branches": ["main"]}
    with pytest.raises(PropsError, match=message):
        GitHubActionsRole(Stack(App(), "Ci", env=ENV), "Deploy", **{**base, **props})
