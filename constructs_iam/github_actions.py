"""CI/CD without stored keys: GitHub Actions assumes a role over OIDC, for exact subjects only.

``GitHubOidcProvider`` is the account's identity provider for ``token.actions.githubusercontent.com``
(one per account). ``GitHubActionsRole`` trusts it only for ``sts:AssumeRoleWithWebIdentity`` with
the audience ``sts.amazonaws.com`` and exact subjects (one repository's branches, environments,
tags; with ``workflow`` also one workflow file, through GitHub's customisable subject claim), and
may do nothing but assume the CDK bootstrap roles of the deploy accounts in the deploy regions
(exact ARNs), tagging those sessions only with the keys ``aws-actions/configure-aws-credentials``
sends: what CI can change is what those roles allow, and nothing is attached to the CI role itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _facts, _role
from . import _validation as v
from ._pattern import RolePattern
from .tenant_bucket import TENANT_TAG

GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")
"""The CDK bootstrap roles CI assumes (``cdk-<qualifier>-<kind>-role-<account>-<region>``)."""
GITHUB_SESSION_TAG_KEYS = ("GitHub", "Repository", "Workflow", "Action", "Actor", "Commit", "Branch")
"""The session tags ``aws-actions/configure-aws-credentials`` passes when it calls ``sts:AssumeRole``
(role chaining; unless ``role-skip-session-tagging: true``). Its OIDC call
(``AssumeRoleWithWebIdentity``) passes none, and the CDK CLI passes none unless the app asks for them
(the synthesizer's ``*_role_additional_options``)."""
SUBJECT_CLAIM_KEYS = ("repo", "context", "job_workflow_ref")
"""The repository's OIDC subject template that ``workflow`` needs (GitHub's ``include_claim_keys``)."""

SUBJECT_KINDS = {"ref:refs/heads/": "branch", "ref:refs/tags/": "tag", "environment:": "environment"}
"""The subjects GitHub issues for a repository's workflows, after ``repo:<owner>/<name>:`` (default
claim template), and what each names. A pull request's token says ``pull_request`` instead."""
_PROPS = {"branch": "branches", "tag": "tags", "environment": "environments"}
_TAG_KEY = re.compile(r"(?!aws:)[\w.:/=+@ -]{1,128}", re.IGNORECASE)
_WORKFLOW = re.compile(r"\.github/workflows/[A-Za-z0-9_.-]+\.ya?ml")


class GitHubOidcProvider(Construct):
    """The account's OIDC identity provider for GitHub Actions (audience ``sts.amazonaws.com``).

    Only one may exist per account (a second one for the same account in one app is refused with
    ``PropsError`` naming both construct paths): create it in one stack, or use ``GitHubOidcProvider.existing``
    to name the one the account already has. Written as ``AWS::IAM::OIDCProvider`` directly (no
    custom resource, no Lambda); IAM trusts GitHub's certificate authority, so no thumbprint is
    pinned.

    :param client_ids: the audiences. Default: ``["sts.amazonaws.com"]``.
    """

    def __init__(self, scope: Construct, id: str, *, client_ids: Sequence[str] = (AUDIENCE,)) -> None:
        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
        with v.Checks(self) as check:
            ids = check(v.non_empty, "client_ids", client_ids, what="audiences") or []
            for item in ids:
                if not isinstance(item, str) or not item.strip() or "*" in item or item != item.strip() or len(item) > 255 \
                        or not item.isprintable():
                    check.fail("client_ids", item, "must be audiences such as 'sts.amazonaws.com'")
            check(v.unique_items, "client_ids", ids)
        account, _ = v.deploy_target(self)
        v.one_per_scope(self, (account, GITHUB_ISSUER),
                        f"url 'https://{GITHUB_ISSUER}': a second provider for it in account {account}")
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

    Permissions, in one customer managed policy: ``sts:AssumeRole`` on the CDK bootstrap roles
    (``cdk-<qualifier>-{deploy,file-publishing,image-publishing,lookup}-role-<account>-<region>``) of
    ``deploy_accounts`` in ``deploy_regions``, and ``sts:TagSession`` on the same roles only with the
    tag keys ``session_tag_keys`` (``ForAllValues:StringEquals aws:TagKeys``), nothing else.

    :param repository: ``owner/name`` of the GitHub repository (no wildcards).
    :param branches: branches whose workflows may assume the role, e.g. ``["main"]``. Default: none.
    :param environments: GitHub environments (jobs with ``environment:``). Default: none. The subject
        ``environment:<name>`` does not say the branch: a job of any branch that names the environment
        gets it, unless the environment's deployment branches rule (repository Settings ->
        Environments -> Deployment branches and tags: "Selected branches and tags") limits it.
    :param tags: tags (release workflows). Default: none.
    :param subject_patterns: ``StringLike`` subjects, only when exact ones cannot say it, e.g.
        ``["repo:acme/app:ref:refs/heads/release/*"]``; must stay inside ``repository``. Default: none.
    :param provider: the GitHub OIDC provider. Default: the account's existing one
        (``GitHubOidcProvider.existing``).
    :param deploy_accounts: accounts whose bootstrap roles CI may assume. Default: this account.
    :param deploy_regions: regions whose bootstrap roles CI may assume (the role names end with the
        region). Default: this stack's region.
    :param cdk_qualifier: the bootstrap qualifier. Default: ``hnb659fds`` (CDK's default).
    :param session_tag_keys: the only tag keys CI may put on a bootstrap role's session. Default:
        ``GITHUB_SESSION_TAG_KEYS``, what the credentials action sends when it assumes a role with
        ``role-chaining``. Empty: no ``sts:TagSession`` at all (set ``role-skip-session-tagging: true``
        on such a step).
    :param workflow: pin the workflow file, e.g. ``.github/workflows/deploy.yml``: every subject then
        carries ``job_workflow_ref:<owner>/<repo>/<workflow>@<ref>``, which GitHub writes only when
        the repository's OIDC subject template is ``repo``, ``context``, ``job_workflow_ref``
        (``SUBJECT_CLAIM_KEYS``; ``PUT /repos/<owner>/<repo>/actions/oidc/customization/sub``).
        Environments are then trusted from ``branches`` and ``tags`` only (the claim ends with the
        ref), and ``subject_patterns`` are refused (a pattern would match across the claim).
        Default: none (GitHub's default subject, any workflow of the trusted refs).
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
        deploy_regions: Sequence[str] = (),
        cdk_qualifier: str = "hnb659fds",
        session_tag_keys: Sequence[str] = GITHUB_SESSION_TAG_KEYS,
        workflow: str | None = None,
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
        regions: list[str] = []
        tag_keys: list[str] = []
        with v.Checks(self) as check:
            repository = check(v.github_repository, "repository", repository)
            if workflow is not None and not v.matches(_WORKFLOW, workflow):
                check.fail("workflow", workflow, "must be the path of a workflow file of the repository, "
                           "e.g. '.github/workflows/deploy.yml'")
                workflow = None
            refs: list[str] = []  # the git refs of the trusted branches and tags
            environment_names: list[str] = []
            for prop, values, kind in (("branches", branches, "ref:refs/heads/"), ("environments", environments, "environment:"),
                                       ("tags", tags, "ref:refs/tags/")):
                items = check(v.sequence, prop, values, what="names") or []
                for item in items:
                    if prop == "environments":
                        if check(v.github_environment, prop, item) is not None:
                            environment_names.append(item)
                    elif check(v.git_ref_name, prop, item, SUBJECT_KINDS[kind]) is not None:
                        refs.append(f"{kind.removeprefix('ref:')}{item}")
                check(v.unique_items, prop, items)
            if isinstance(repository, str):
                if workflow is None:
                    subjects += [f"repo:{repository}:ref:{ref}" for ref in refs]
                    subjects += [f"repo:{repository}:environment:{name}" for name in environment_names]
                else:
                    pinned = f"job_workflow_ref:{repository}/{workflow}"
                    subjects += [f"repo:{repository}:ref:{ref}:{pinned}@{ref}" for ref in refs]
                    subjects += [f"repo:{repository}:environment:{name}:{pinned}@{ref}"
                                 for name in environment_names for ref in refs]
                    if environment_names and not refs:
                        check.fail("environments", environment_names, "need branches or tags with workflow: the "
                                   "job_workflow_ref claim ends with the ref the job runs from, and the trust names it exactly")
            if workflow is not None and subject_patterns:
                check.fail("subject_patterns", list(subject_patterns) if isinstance(subject_patterns, (list, tuple))
                           else subject_patterns, "cannot be combined with workflow: a StringLike pattern matches across "
                           "the job_workflow_ref claim")
                subject_patterns = ()
            items = check(v.sequence, "subject_patterns", subject_patterns, what="subjects") or []
            for item in items:
                problem = subject_pattern_problem(item, repository) if isinstance(repository, str) else None
                if problem:
                    check.fail("subject_patterns", item, problem)
                elif isinstance(repository, str):
                    patterns.append(item)
            check(v.unique_items, "subject_patterns", items)
            if not subjects and not patterns and not check.problems:
                check.fail(
                    "branches/environments/tags", [], "must name at least one branch, environment or tag: a trust on "
                    "the repository alone lets every branch and pull request deploy")
            if provider is not None and not v.has(provider, "open_id_connect_provider_arn"):
                check.fail("provider", provider, "must be an aws_iam.IOpenIdConnectProvider")
            elif provider is not None:
                with check.each():
                    _check_provider_account(scope, provider)
            listed = check(v.sequence, "deploy_accounts", deploy_accounts, what="account ids") or []
            for account in listed:
                if check(v.account_id, "deploy_accounts", account) is not None:
                    accounts.append(account)
            check(v.unique_items, "deploy_accounts", listed)
            for region in check(v.sequence, "deploy_regions", deploy_regions, what="regions") or []:
                if v.is_token(region) or check(v.region, "deploy_regions", region) is not None:
                    regions.append(region)
            check(v.unique_items, "deploy_regions", regions)
            for key in check(v.sequence, "session_tag_keys", session_tag_keys, what="tag keys") or []:
                if not v.matches(_TAG_KEY, key):
                    check.fail("session_tag_keys", key, "must be tag keys (letters, digits, spaces and _ . : / = + - @; "
                               "no wildcards, not 'aws:')")
                elif key.lower() == TENANT_TAG.lower():
                    check.fail("session_tag_keys", key, f"must not include {TENANT_TAG}: that tag admits a principal to a "
                               "TenantIsolatedBucket tenant's data")
                else:
                    tag_keys.append(key)
            check(v.unique_items, "session_tag_keys", tag_keys)
            if not v.matches(v.CDK_QUALIFIER, cdk_qualifier):
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
        if not accounts:
            Annotations.of(self).add_warning_v2(
                "constructs-iam:GitHubActionsRole.deploy_accounts",
                f"deploy_accounts is empty: CI may assume the CDK bootstrap roles of this stack's account "
                f"({facts.stack.account}) only; name the accounts it deploys to in deploy_accounts")
        self.deploy_regions = tuple(regions or [stack.region])
        self.workflow = workflow
        self.session_tag_keys = tuple(tag_keys)
        arns = [f"arn:{stack.partition}:iam::{account}:role/cdk-{cdk_qualifier}-{kind}-role-{account}-{region}"
                for account in targets for region in self.deploy_regions for kind in BOOTSTRAP_ROLES]
        self.bootstrap_role_arns = tuple(arns)
        statements: list[dict[str, object]] = [
            {"Sid": "AssumeCdkBootstrapRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arns}]
        if tag_keys:
            statements.append({
                "Sid": "TagSessionsWithGitHubKeysOnly", "Effect": "Allow", "Action": "sts:TagSession", "Resource": arns,
                "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": tag_keys}}})
        self.policy: iam.ManagedPolicy = _role.attach_policy(
            self, self.role, statements,
            "Assume the CDK bootstrap roles of the deploy accounts and regions; nothing else",
        )
        self._seal(scope, policies=[self.policy])


def check_repository(repository: object) -> str:
    """``owner/name`` of a GitHub repository, without wildcards."""
    return v.github_repository("repository", repository)


def subject_pattern_problem(pattern: object, repository: str) -> str | None:
    """Why a ``StringLike`` subject pattern is too wide for ``repository``, or None.

    Decided by what the pattern matches under IAM's ``StringLike`` (``*`` any run of characters,
    ``?`` one character), not by its spelling: it must stay inside the repository (a literal
    ``repo:<owner>/<name>:`` start: a repository name holds no ``:``), must not match a
    pull-request token (``repo:<owner>/<name>:pull_request``), must be able to match subjects of
    one kind only (branches, tags or environments) and not every name of that kind."""
    start = f"repo:{repository}:"
    if not isinstance(pattern, str) or not pattern.startswith(start):
        return (f"must start with {start!r}, without wildcards, and name a kind of ref "
                "(e.g. 'repo:owner/name:ref:refs/heads/release/*'): a wildcard there matches other repositories")
    if "${" in pattern or any(not character.isprintable() or character.isspace() for character in pattern):
        return "must not hold policy variables ('${...}'), spaces or control characters"
    rest = pattern[len(start):]
    if glob_matches(rest, "pull_request"):
        return (f"matches pull-request tokens ({start}pull_request): any pull request could deploy; name a kind of "
                "ref (e.g. 'ref:refs/heads/release/*'), not every subject of the repository")
    kinds = [kind for kind in SUBJECT_KINDS if glob_can_start(rest, kind)]
    if len(kinds) != 1:
        what = "no subject GitHub issues" if not kinds else "subjects of several kinds (" + ", ".join(
            SUBJECT_KINDS[k] for k in kinds) + ")"
        return (f"matches {what}: a pattern must name one kind, 'ref:refs/heads/...', 'ref:refs/tags/...' or "
                "'environment:...', not every subject of the repository")
    if rest.startswith(kinds[0]) and ":" in rest[len(kinds[0]):]:
        what = SUBJECT_KINDS[kinds[0]]
        return (f"matches no {what}: a {what} name holds no ':', so the pattern grants nothing (a subject is "
                f"'{start}{kinds[0]}<name>', with nothing after the name)")
    names = ("main", "a", "1", "feature/x", "dependabot/npm_and_yarn/x", "gh-readonly-queue/main/pr-1-abc")
    if all(glob_matches(rest, kinds[0] + name) for name in names):
        what = SUBJECT_KINDS[kinds[0]]
        return (f"matches every {what} of the repository (any {what} anyone can push or create could deploy): "
                f"name them in {_PROPS[what]}, or narrow the pattern (e.g. 'ref:refs/heads/release/*')")
    return None


def _glob_states(pattern: str, text: str) -> set[int]:
    """The positions in ``pattern`` reachable after reading ``text`` (IAM ``StringLike``)."""
    def close(states: set[int]) -> set[int]:
        todo = list(states)
        while todo:
            i = todo.pop()
            if i < len(pattern) and pattern[i] == "*" and i + 1 not in states:
                states.add(i + 1)
                todo.append(i + 1)
        return states

    states = close({0})
    for character in text:
        following = set()
        for i in states:
            if i < len(pattern):
                if pattern[i] == "*":
                    following.add(i)
                elif pattern[i] == "?" or pattern[i] == character:
                    following.add(i + 1)
        states = close(following)
        if not states:
            break
    return states


def glob_matches(pattern: str, text: str) -> bool:
    """``StringLike``: ``pattern`` matches all of ``text``."""
    return len(pattern) in _glob_states(pattern, text)


def glob_can_start(pattern: str, prefix: str) -> bool:
    """``pattern`` matches some text that starts with ``prefix``."""
    return bool(_glob_states(pattern, prefix))


def _check_provider_account(scope: Construct, provider: iam.IOpenIdConnectProvider) -> None:
    """A role trusts an identity provider of its own account only: IAM looks the provider up in the
    role's account, so one from another account never works (or names a different provider)."""
    stack = Stack.of(scope)
    arn = provider.open_id_connect_provider_arn
    account = None
    if not v.is_token(arn):
        parts = arn.split(":")
        account = parts[4] if len(parts) > 5 else None
        if not arn.endswith(f":oidc-provider/{GITHUB_ISSUER}"):
            raise v.fail("provider", arn, f"is not GitHub's OIDC provider (its ARN must end in "
                         f"':oidc-provider/{GITHUB_ISSUER}'): the role's conditions are on GitHub's token claims, "
                         "so no token of another issuer could assume it")
    elif v.has(provider, "node"):  # a provider of this app (a jsii proxy, not a Python Construct)
        owner = Stack.of(provider).account
        account = None if v.is_token(owner) else owner
    here = stack.account
    if account and not v.is_token(here) and account != here:
        raise v.fail("provider", arn if not v.is_token(arn) else provider.node.path,
                     f"is in account {account}, not this stack's account {here}: a role can trust only an OIDC provider "
                     "of its own account; create GitHubOidcProvider in each account (or use GitHubOidcProvider.existing)")


def _one(values: list[str]) -> object:
    return values[0] if len(values) == 1 else values
