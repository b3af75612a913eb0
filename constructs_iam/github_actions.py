"""CI/CD without stored keys: GitHub Actions assumes a role over OIDC, for exact subjects only.

``GitHubOidcProvider`` is the account's identity provider for ``token.actions.githubusercontent.com``
(one per account). ``GitHubActionsRole`` trusts it only for ``sts:AssumeRoleWithWebIdentity`` with
the audience ``sts.amazonaws.com`` and exact subjects (one repository's branches, environments,
tags), and may do nothing but assume the CDK bootstrap roles of the deploy accounts: what CI can
change is what those roles allow, and nothing is attached to the CI role itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _facts, _role
from . import _validation as v
from .acknowledgments import acknowledge_wildcard_resources
from ._pattern import RolePattern

GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")
"""The CDK bootstrap roles CI assumes (``cdk-<qualifier>-<kind>-role-<account>-<region>``)."""

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
# git ref names: no spaces, no wildcards, none of ~^:?*[\ and no '..' (git check-ref-format)
_REF = re.compile(r"^(?!.*\.\.)(?!/)(?!.*//)[^\s~^:?*\[\\]{1,255}(?<!/)(?<!\.lock)$")
_ENVIRONMENT = re.compile(r"^[^\s*?'\"`:,;/\\]{1,255}$")
_QUALIFIER = re.compile(r"^[a-z0-9]{1,10}$")


class GitHubOidcProvider(Construct):
    """The account's OIDC identity provider for GitHub Actions (audience ``sts.amazonaws.com``).

    Only one may exist per account: create it in one stack, or use ``GitHubOidcProvider.existing``
    to name the one the account already has. Written as ``AWS::IAM::OIDCProvider`` directly (no
    custom resource, no Lambda); IAM trusts GitHub's certificate authority, so no thumbprint is
    pinned.

    :param client_ids: the audiences. Default: ``["sts.amazonaws.com"]``.
    """

    def __init__(self, scope: Construct, id: str, *, client_ids: Sequence[str] = (AUDIENCE,)) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            ids = check(v.non_empty, "client_ids", client_ids, what="audiences") or []
            for item in ids:
                if not isinstance(item, str) or not item or "*" in item:
                    check.fail("client_ids", item, "must be audiences such as 'sts.amazonaws.com'")
        self.resource = iam.CfnOIDCProvider(self, "Resource", url=f"https://{GITHUB_ISSUER}", client_id_list=list(ids))
        self.provider: iam.IOpenIdConnectProvider = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
            self, "Provider", self.resource.attr_arn)

    @staticmethod
    def existing(scope: Construct, id: str) -> iam.IOpenIdConnectProvider:
        """The GitHub provider the account already has (``oidc-provider/token.actions.githubusercontent.com``)."""
        stack = Stack.of(scope)
        arn = stack.format_arn(service="iam", region="", resource="oidc-provider", resource_name=GITHUB_ISSUER)
        return iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(scope, id, arn)


class GitHubActionsRole(RolePattern):
    """The role a GitHub Actions workflow of one repository assumes to deploy with the CDK.

    Trust: ``sts:AssumeRoleWithWebIdentity`` from the GitHub provider only, with ``StringEquals``
    on ``token.actions.githubusercontent.com:aud`` = ``sts.amazonaws.com`` and on ``...:sub`` = the
    exact subjects ``repo:<owner>/<repo>:ref:refs/heads/<branch>``, ``...:environment:<env>``,
    ``...:ref:refs/tags/<tag>``. ``StringLike`` only for ``subject_patterns``, asked for by name.

    Permissions, in one customer managed policy: ``sts:AssumeRole`` and ``sts:TagSession`` on the CDK
    bootstrap roles (``cdk-<qualifier>-{deploy,file-publishing,image-publishing,lookup}-role-<account>-*``)
    of ``deploy_accounts``, nothing else.

    :param repository: ``owner/name`` of the GitHub repository (no wildcards).
    :param branches: branches whose workflows may assume the role, e.g. ``["main"]``. Default: none.
    :param environments: GitHub environments (jobs with ``environment:``). Default: none.
    :param tags: tags (release workflows). Default: none.
    :param subject_patterns: ``StringLike`` subjects, only when exact ones cannot say it, e.g.
        ``["repo:acme/app:ref:refs/heads/release/*"]``; must stay inside ``repository``. Default: none.
    :param provider: the GitHub OIDC provider. Default: the account's existing one
        (``GitHubOidcProvider.existing``).
    :param deploy_accounts: accounts whose bootstrap roles CI may assume. Default: this account.
    :param cdk_qualifier: the bootstrap qualifier. Default: ``hnb659fds`` (CDK's default).
    :param max_session_duration: 1 to 12 hours. Default: one hour.
    :param role_name: the IAM role name. Default: generated.
    :param path: the IAM path. Default: ``/``.
    :param description: the role's description. Default: a sentence naming the pattern.
    :param permissions_boundary: a managed policy capping the role. Default: none.

    At least one branch, environment, tag or pattern is required: a trust on the repository alone
    would let any branch and any pull request deploy.
    """

    WIDEN_FIX = ("CI deploys through the CDK bootstrap roles: change what they allow (cdk bootstrap "
                 "--cloudformation-execution-policies), not the CI role; add accounts with deploy_accounts")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        repository: str,
        branches: Sequence[str] = (),
        environments: Sequence[str] = (),
        tags: Sequence[str] = (),
        subject_patterns: Sequence[str] = (),
        provider: iam.IOpenIdConnectProvider | None = None,
        deploy_accounts: Sequence[str] = (),
        cdk_qualifier: str = "hnb659fds",
        max_session_duration: Duration = v.ONE_HOUR,
        role_name: str | None = None,
        path: str = "/",
        description: str | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        subjects: list[str] = []
        patterns: list[str] = []
        accounts: list[str] = []
        with v.Checks(self) as check:
            with check.each():
                repository = check_repository(repository)
            for prop, values, kind, pattern in (("branches", branches, "ref:refs/heads/", _REF),
                                                ("environments", environments, "environment:", _ENVIRONMENT),
                                                ("tags", tags, "ref:refs/tags/", _REF)):
                items = check(v.sequence, prop, values, what="names") or []
                for item in items:
                    if not isinstance(item, str) or not pattern.match(item) or item in ("*", "**"):
                        check.fail(prop, item, "must be exact names: no wildcards, spaces or '..'")
                    elif isinstance(repository, str):
                        subjects.append(f"repo:{repository}:{kind}{item}")
                check(v.unique, prop, [i for i in items if isinstance(i, str)])
            for item in check(v.sequence, "subject_patterns", subject_patterns, what="subjects") or []:
                if not isinstance(item, str) or not isinstance(repository, str) or not item.startswith(f"repo:{repository}:") \
                        or item.endswith(":*") or item == f"repo:{repository}:*":
                    check.fail(
                        "subject_patterns", item, f"must start with 'repo:{repository}:' and name a kind of ref "
                        "(e.g. 'repo:owner/name:ref:refs/heads/release/*'), not every subject of the repository")
                else:
                    patterns.append(item)
            if not subjects and not patterns and not check.problems:
                check.fail(
                    "branches/environments/tags", [], "must name at least one branch, environment or tag: a trust on "
                    "the repository alone lets every branch and pull request deploy")
            if provider is not None and not v.has(provider, "open_id_connect_provider_arn"):
                check.fail("provider", provider, "must be an aws_iam.IOpenIdConnectProvider")
            for account in check(v.sequence, "deploy_accounts", deploy_accounts, what="account ids") or []:
                if check(v.account_id, "deploy_accounts", account) is not None:
                    accounts.append(account)
            if not isinstance(cdk_qualifier, str) or not _QUALIFIER.match(cdk_qualifier):
                check.fail("cdk_qualifier", cdk_qualifier, "must be 1 to 10 lower-case letters or digits")
            check(v.duration_between, "max_session_duration", max_session_duration, v.ONE_HOUR, v.TWELVE_HOURS)
            _role.check_role_props(check, role_name=role_name, path=path, description=description,
                  permissions_boundary=permissions_boundary)
        facts = _facts.scope(scope)
        stack = facts.stack.stack
        self.repository = repository
        self.subjects = tuple(subjects)
        self.subject_patterns = tuple(patterns)
        self.provider = provider or GitHubOidcProvider.existing(self, "GitHubProvider")
        audience: dict[str, object] = {f"{GITHUB_ISSUER}:aud": AUDIENCE}
        conditions: dict[str, dict[str, object]] = {"StringEquals": {**audience, f"{GITHUB_ISSUER}:sub": _one(subjects)}} \
            if subjects else {"StringEquals": audience, "StringLike": {f"{GITHUB_ISSUER}:sub": _one(patterns)}}
        self.role: iam.Role = _role.build_role(
            self,
            assumed_by=iam.OpenIdConnectPrincipal(self.provider, conditions),
            role_name=role_name, path=path,
            description=description or f"GitHub Actions of {repository}: assume the CDK bootstrap roles, nothing else",
            permissions_boundary=permissions_boundary, max_session_duration=max_session_duration,
        )
        if subjects and patterns:  # exact subjects and patterns: two trust statements (each condition ANDs)
            self.role.assume_role_policy.add_statements(iam.PolicyStatement(  # type: ignore[union-attr]
                actions=["sts:AssumeRoleWithWebIdentity"],
                principals=[iam.FederatedPrincipal(self.provider.open_id_connect_provider_arn)],
                conditions={"StringEquals": audience, "StringLike": {f"{GITHUB_ISSUER}:sub": _one(patterns)}},
            ))
        targets = accounts or [facts.stack.account]
        arns = [f"arn:{stack.partition}:iam::{account}:role/cdk-{cdk_qualifier}-{kind}-role-{account}-*"
                for account in targets for kind in BOOTSTRAP_ROLES]
        self.bootstrap_role_arns = tuple(arns)
        self.policy: iam.ManagedPolicy = _role.attach_policy(
            self, self.role,
            [{"Sid": "AssumeCdkBootstrapRoles", "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
              "Resource": arns}],
            "Assume the CDK bootstrap roles of the deploy accounts; nothing else",
        )
        acknowledge_wildcard_resources(
            self.policy, arns,
            "CDK bootstrap role names end with the region (cdk-<qualifier>-<kind>-role-<account>-<region>); the '*' "
            "stands for the region of one named role per kind and account, and the CI role can do nothing else.",
        )
        self._seal(scope, policies=[self.policy])


def check_repository(repository: object) -> str:
    """``owner/name`` of a GitHub repository, without wildcards."""
    if not isinstance(repository, str) or repository.count("/") != 1:
        raise v.fail("repository", repository, "must be 'owner/name' of one GitHub repository")
    owner, name = repository.split("/")
    if not _OWNER.match(owner) or not _REPO.match(name) or name in (".", ".."):
        raise v.fail("repository", repository,
                     "must be 'owner/name' with no wildcards: owner of letters, digits and '-', name of letters, "
                     "digits and '.', '_', '-'")
    return repository


def _one(values: list[str]) -> object:
    return values[0] if len(values) == 1 else values
