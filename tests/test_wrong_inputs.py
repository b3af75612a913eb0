"""Wrong input, round 2: every mistake refused clearly (a PropsError naming the construct path and the
prop, a ConfigError naming the cdk.json key, one line and exit 2 from the report), or warned about
where it is allowed but probably not meant. One test per property; each case is a new user's mistake."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from aws_cdk import App, Duration, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from constructs_iam import (
    AccessAnalyzer,
    AccountPasswordPolicy,
    HumanUser,
    IamGuardrails,
    PeopleGroup,
    RootActivityAlarm,
    ScalingServiceRole,
    cross_account_principal,
    kms_key_policy,
    DeveloperExtra,
    DeveloperReadOnlyPermissionSet,
    DeveloperReadOnlyRole,
    GitHubActionsRole,
    GitHubOidcProvider,
    PropsError,
    S3Access,
    S3Location,
    S3PrefixAccessRole,
    SupportRole,
    TenantIsolatedBucket,
    acknowledge,
    report,
    service_principal,
)
from constructs_iam.access import AccessModel
from constructs_iam.github_actions import glob_can_start, glob_matches
from stacks import AppConfig, ConfigError, build_stacks

from .support import CONTEXT, ENV, new_app

SAMPLE = CONTEXT["constructs-iam"]
INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
PROVIDER = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"


def stack(name: str = "S", env: Environment = ENV, app: App | None = None) -> Stack:
    return Stack(app or App(), name, env=env)


def warnings_of(stack: Stack) -> list[str]:
    return [str(w.entry.data) for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())]


# ------------------------------------------------------------------- 1. identifiers matched whole


@pytest.mark.parametrize(("build", "message"), [
    (lambda s: SupportRole(s, "R", trusted_account_id="111111111111\n"), "trusted_account_id '111111111111\\\\n' must be 12 digits"),
    (lambda s: SupportRole(s, "R", trusted_account_id="١١١١١١١١١١١١"), "trusted_account_id '١١١١١١١١١١١١' must be 12 digits"),
    (lambda s: SupportRole(s, "R", trusted_account_id="111111111111", role_name="Support\n"), "role_name 'Support\\\\n' may contain only"),
    (lambda s: SupportRole(s, "R", trusted_account_id="111111111111", path="/people/\n"), "path '/people/\\\\n' must be '/'"),
    (lambda s: GitHubActionsRole(s, "R", repository="acme/platform\n", branches=["main"]), "repository 'acme/platform\\\\n' must be"),
    (lambda s: GitHubActionsRole(s, "R", repository="acme/platform", branches=["main\n"]), "branches 'main\\\\n' must be exact names"),
    (lambda s: GitHubActionsRole(s, "R", repository="acme/platform", environments=["prod\n"]), "environments 'prod\\\\n' must be exact"),
    (lambda s: GitHubActionsRole(s, "R", repository="acme/platform", branches=["main"], deploy_accounts=["222222222222\n"]),
     "deploy_accounts '222222222222\\\\n' must be 12 digits"),
    (lambda s: GitHubActionsRole(s, "R", repository="acme/platform", branches=["main"], cdk_qualifier="hnb659fds\n"),
     "cdk_qualifier 'hnb659fds\\\\n' must be"),
    (lambda s: DeveloperReadOnlyPermissionSet(s, "P", instance_arn=INSTANCE + "\n"), "instance_arn"),
    (lambda s: AccessAnalyzer(s, "A", analyzer_name="analyzer\n"), "analyzer_name 'analyzer\\\\n' must start with a letter"),
])
def test_an_identifier_with_a_trailing_newline_or_foreign_digits_is_refused(build, message):
    with pytest.raises(PropsError, match=message):
        build(stack())


def test_value_objects_match_whole_too():
    with pytest.raises(ValueError, match="must be an AWS service principal"):
        service_principal("ec2.amazonaws.com\n")
    bucket = s3.Bucket.from_bucket_name(stack(), "B", "acme-data")
    with pytest.raises(ValueError, match="S3Location.prefix 'x\\\\n' may contain only"):
        S3Location(bucket, "x\n")


# ---------------------------------------------------- 1. the CI role's patterns, by what they match


def test_stringlike_matching_is_iams():
    assert glob_matches("ref:refs/heads/release/*", "ref:refs/heads/release/1.0")
    assert glob_matches("pull?request", "pull_request") and glob_matches("*", "")
    assert not glob_matches("ref:refs/heads/?", "ref:refs/heads/ab")
    assert glob_can_start("*:*", "environment:") and not glob_can_start("ref:refs/tags/*", "ref:refs/heads/")


@pytest.mark.parametrize(("pattern", "message"), [
    ("repo:acme/platform:pull_request", "matches pull-request tokens"),
    ("repo:acme/platform:pull*", "matches pull-request tokens"),
    ("repo:acme/platform:*request", "matches pull-request tokens"),
    ("repo:acme/platform:pull?request", "matches pull-request tokens"),
    ("repo:acme/platform:?*", "matches pull-request tokens"),
    ("repo:acme/platform:**", "matches pull-request tokens"),
    ("repo:acme/platform:*_*", "matches pull-request tokens"),
    ("repo:acme/platform:*:*", "subjects of several kinds"),
    ("repo:acme/platform:ref:*", "subjects of several kinds"),
    ("repo:acme/platform:ref:refs/*", "subjects of several kinds"),
    ("repo:acme/platform:refs/heads/main", "matches no subject GitHub issues"),
    ("repo:acme/platform:ref:refs/heads/*", "matches every branch"),
    ("repo:acme/platform:ref:refs/heads/?*", "matches every branch"),
    ("repo:acme/platform:environment:*", "matches every environment"),
    ("repo:acme/platform:ref:refs/tags/*", "matches every tag"),
    ("repo:acme/platform*", "must start with 'repo:acme/platform:'"),
    ("repo:acme/platform?:ref:refs/heads/main", "must start with 'repo:acme/platform:'"),
    ("repo:acme/*:ref:refs/heads/main", "must start with 'repo:acme/platform:'"),
    ("repo:*/platform:ref:refs/heads/main", "must start with 'repo:acme/platform:'"),
    ("repo:acme/platform:ref:refs/heads/${aws:username}", "policy variables"),
    ("repo:acme/platform:ref:refs/heads/main\n", "control characters"),
    ("repo:acme/platform:ref:refs/heads/main:pull_request", "matches no branch: a branch name holds no ':'"),
    ("repo:acme/platform:environment:prod:*", "matches no environment"),
])
def test_a_subject_pattern_that_reaches_pull_requests_or_other_repositories_is_refused(pattern, message):
    with pytest.raises(PropsError, match=f"subject_patterns .* {message}"):
        GitHubActionsRole(stack(), "Deploy", repository="acme/platform", subject_patterns=[pattern])


@pytest.mark.parametrize("pattern", [
    "repo:acme/platform:ref:refs/heads/release/*",
    "repo:acme/platform:ref:refs/tags/v*",
    "repo:acme/platform:environment:prod-*",
])
def test_a_narrow_pattern_is_kept_and_a_pull_request_still_cannot_assume(pattern):
    s = stack()
    GitHubActionsRole(s, "Deploy", repository="acme/platform", subject_patterns=[pattern], role_name="Ci")
    model = AccessModel.from_stack(s)
    for sub in ("repo:acme/platform:pull_request", "repo:acme/platform-fork:ref:refs/heads/release/1",
                "repo:acme/platform:ref:refs/heads/main"):
        context = {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
        assert not model.can_assume(role="arn:aws:iam::222222222222:role/Ci", caller=PROVIDER, context=context,
                                    action="sts:AssumeRoleWithWebIdentity").allowed, sub


@pytest.mark.parametrize(("props", "message"), [
    ({"branches": ["refs/heads/main"]}, "branches 'refs/heads/main' is a full ref: give the branch name \\('main'\\)"),
    ({"tags": ["refs/tags/v1.0.0"]}, "tags 'refs/tags/v1.0.0' is a full ref: give the tag name \\('v1.0.0'\\)"),
    ({"branches": ["main", "main"]}, "branches 'main' is listed more than once"),
    ({"deploy_accounts": ["333333333333", "333333333333"]}, "deploy_accounts '333333333333' is listed more than once"),
    ({"branches": ["main."]}, "branches 'main.' must be exact names"),
])
def test_refs_are_never_rewritten_and_duplicates_are_refused(props, message):
    with pytest.raises(PropsError, match=message):
        GitHubActionsRole(stack(), "Deploy", **{"repository": "acme/platform", "branches": ["main"], **props})


def test_a_provider_of_another_account_is_refused():
    s = stack()
    other = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
        s, "Other", "arn:aws:iam::999999999999:oidc-provider/token.actions.githubusercontent.com")
    with pytest.raises(PropsError, match="provider .* is in account 999999999999, not this stack's account 222222222222"):
        GitHubActionsRole(s, "Deploy", repository="acme/platform", branches=["main"], provider=other)
    app = App()
    elsewhere = GitHubOidcProvider(Stack(app, "Elsewhere", env=Environment(account="999999999999", region="eu-west-1")), "GitHub")
    with pytest.raises(PropsError, match="is in account 999999999999"):
        GitHubActionsRole(Stack(app, "Ci", env=ENV), "Deploy", repository="acme/platform", branches=["main"],
                          provider=elsewhere.provider)


def test_no_deploy_accounts_is_a_warning_naming_the_prop():
    s = stack()
    GitHubActionsRole(s, "Deploy", repository="acme/platform", branches=["main"])
    assert any("deploy_accounts is empty" in w for w in warnings_of(s))
    named = stack()
    GitHubActionsRole(named, "Deploy", repository="acme/platform", branches=["main"], deploy_accounts=["222222222222"])
    assert not any("deploy_accounts" in w for w in warnings_of(named))


# -------------------------------------------------------------- 2. extend_policy refused at the call


def prefix_role(s: Stack) -> S3PrefixAccessRole:
    bucket = s3.Bucket.from_bucket_name(s, "Data", "acme-data")
    return S3PrefixAccessRole(s, "Reader", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                              location=S3Location(bucket, "reports/"), access=S3Access.READ)


def widened(statements: list[iam.PolicyStatement]) -> None:
    prefix_role(stack()).extend_policy(statements, reason="Reviewed widening for a test case")  # no IamGuardrails.of


@pytest.mark.parametrize(("statement", "message"), [
    (lambda: iam.PolicyStatement(actions=["*"], resources=["*"]), "allows '\\*' on '\\*' \\(administrator access\\)"),
    (lambda: iam.PolicyStatement(actions=["iam:*"], resources=["*"]), "allows every action of a service \\(iam:\\*\\)"),
    (lambda: iam.PolicyStatement(not_actions=["iam:*"], resources=["*"]), "allows NotAction on '\\*'"),
    (lambda: iam.PolicyStatement(actions=["*"], resources=["arn:*"]), "allows '\\*' on '\\*' \\(administrator access\\)"),
    (lambda: iam.PolicyStatement(actions=["iam:*"], resources=["arn:aws:*:*:*:*"]), "allows every action of a service \\(iam:\\*\\)"),
    (lambda: iam.PolicyStatement(actions=["*"], resources=["arn:aws:*:*:222222222222:*"]), "allows '\\*' on '\\*'"),
    (lambda: iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"], principals=[iam.AnyPrincipal()]),
     "names a principal \\(any principal, '\\*'\\)"),
    (lambda: iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"], principals=[iam.AccountPrincipal("333333333333")]),
     "names a principal"),
    (lambda: iam.PolicyStatement(actions=["s3:GetObject"]), "has no resources"),
    (lambda: iam.PolicyStatement(actions=["iam:PassRole"], resources=["*"]), "lets the role pass any role"),
    (lambda: iam.PolicyStatement(actions=["iam:Pass*"], resources=["arn:aws:iam::111111111111:role/*"]),
     "lets the role pass any role"),
    (lambda: iam.PolicyStatement(actions=["iam:PassRole"], resources=["arn:*"]), "lets the role pass any role"),
    (lambda: iam.PolicyStatement(not_actions=["s3:*"], resources=["arn:aws:iam::111111111111:role/*"]),
     "lets the role pass any role"),
])
def test_extend_policy_refuses_admin_and_principals_without_iam_guardrails_of(statement, message):
    with pytest.raises(PropsError, match=f"S/Reader \\(S3PrefixAccessRole\\): statements\\[0\\] .*{message}"):
        widened([statement()])


def test_extend_policy_keeps_passing_named_roles():
    widened([iam.PolicyStatement(actions=["iam:PassRole"], resources=["arn:aws:iam::111111111111:role/app/worker-*"],
                                 conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})])


def test_a_pattern_whose_policy_aws_maintains_cannot_be_extended():
    role = SupportRole(stack(), "Support", trusted_account_id="111111111111")
    with pytest.raises(PropsError, match="S/Support \\(SupportRole\\): statements .* cannot be added: this pattern's only policy "
                                         "is AWS managed"):
        role.extend_policy([iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::b/k"])],
                           reason="Reviewed widening for a test case")


def test_extend_policy_checks_the_size_after_every_extension():
    role = prefix_role(stack())

    def grant(first: int) -> list[iam.PolicyStatement]:
        return [iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"arn:aws:s3:::bucket-{i:04d}/reports/*" for i in
                                                                         range(first, first + 60)])]

    role.extend_policy(grant(0), reason="Reviewed widening for a test case")  # about 2,400 characters: fits
    role.extend_policy(grant(60), reason="Reviewed widening for a test case")
    with pytest.raises(PropsError, match="would make the pattern's managed policy \\d+ characters long, over IAM's 6144"):
        role.extend_policy(grant(120), reason="Reviewed widening for a test case")


# ---------------------------------------------------------------------- 2. admit: only taggable roles


def tenant_stack() -> tuple[Stack, TenantIsolatedBucket]:
    s = stack()
    return s, TenantIsolatedBucket(s, "Shared", bucket_name="acme-shared-data")


def workload(s: Stack, shared: TenantIsolatedBucket, name: str, prefix: str) -> S3PrefixAccessRole:
    return S3PrefixAccessRole(s, name, assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                              location=S3Location(shared.bucket, prefix), access=S3Access.READ)


@pytest.mark.parametrize(("admitted", "message"), [
    (lambda s: iam.Group(s, "G"), "pattern 'S/G' must be a role this app creates"),
    (lambda s: iam.Role.from_role_arn(s, "I", "arn:aws:iam::222222222222:role/imported"), "must be a role this app creates"),
    (lambda s: iam.ServicePrincipal("ecs-tasks.amazonaws.com"), "must be a role this app creates"),
    (lambda s: iam.User(s, "U"), "must be a role this app creates"),
])
def test_admit_refuses_what_it_cannot_tag(admitted, message):
    s, _ = tenant_stack()
    with pytest.raises(PropsError, match=message):
        TenantIsolatedBucket.admit(admitted(s), "services/x/")


def test_admit_refuses_a_role_twice_and_overlapping_tenants_and_lets_one_tenant_have_several_roles():
    s, shared = tenant_stack()
    billing = workload(s, shared, "billing", "services/billing/")
    TenantIsolatedBucket.admit(billing, "services/billing/")
    with pytest.raises(PropsError, match="pattern 'S/billing' is already admitted with prefix 'services/billing/'"):
        TenantIsolatedBucket.admit(billing, "services/billing2/")
    nested = workload(s, shared, "nested", "services/billing/2026/")
    with pytest.raises(PropsError, match="prefix 'services/billing/2026/' overlaps the prefix 'services/billing/' of tenant S/billing"):
        TenantIsolatedBucket.admit(nested, "services/billing/2026/")
    outer = workload(s, shared, "outer", "services/")
    with pytest.raises(PropsError, match="overlaps the prefix 'services/billing/'"):
        TenantIsolatedBucket.admit(outer, "services/")
    same = workload(s, shared, "same", "services/billing/")  # a second role of the same tenant (reader, writer)
    assert TenantIsolatedBucket.admit(same, "services/billing") == "services/billing/"
    Template.from_stack(s).has_resource_properties("AWS::IAM::Role", {
        "Tags": [{"Key": "TenantPrefix", "Value": "services/billing/"}]})


def test_a_tenant_prefix_other_than_the_roles_location_warns():
    s, shared = tenant_stack()
    TenantIsolatedBucket.admit(workload(s, shared, "billing", "services/billing/"), "services/reporting/")
    assert any("prefix 'services/reporting/' is not the role's own S3 location ('services/billing/')" in w
               for w in warnings_of(s))


# -------------------------------------------------------------------------- 3. one per scope


def test_two_account_analyzers_in_one_account_and_region_are_refused_naming_both():
    app = App()
    AccessAnalyzer(Stack(app, "A", env=ENV), "Analyzer")
    with pytest.raises(PropsError, match="B/Analyzer \\(AccessAnalyzer\\): .*a second ACCOUNT analyzer for account "
                                         "222222222222 in eu-west-1; A/Analyzer is already one"):
        AccessAnalyzer(Stack(app, "B", env=ENV), "Analyzer")
    AccessAnalyzer(Stack(app, "C", env=Environment(account="222222222222", region="us-east-1")), "Analyzer")
    AccessAnalyzer(Stack(app, "D", env=ENV), "Organization", organization=True)
    with pytest.raises(PropsError, match="A/Again"):
        AccessAnalyzer(app.node.find_child("A"), "Again")


def test_two_github_providers_in_one_account_are_refused_naming_both():
    app = App()
    GitHubOidcProvider(Stack(app, "A", env=ENV), "GitHub")
    with pytest.raises(PropsError, match="B/GitHub \\(GitHubOidcProvider\\): .*account 222222222222; A/GitHub is already one"):
        GitHubOidcProvider(Stack(app, "B", env=Environment(account="222222222222", region="us-east-1")), "GitHub")
    GitHubOidcProvider(Stack(app, "C", env=Environment(account="333333333333", region="eu-west-1")), "GitHub")


def test_two_password_policies_in_one_account_are_refused_naming_both():
    from constructs_iam import AccountPasswordPolicy

    app = App()
    AccountPasswordPolicy(Stack(app, "A", env=ENV), "Passwords")
    with pytest.raises(PropsError, match="B/Passwords \\(AccountPasswordPolicy\\): .*account 222222222222; A/Passwords is already one"):
        AccountPasswordPolicy(Stack(app, "B", env=Environment(account="222222222222", region="us-east-1")), "Passwords")


def test_the_app_builds_one_analyzer_when_identity_and_production_are_one_account():
    raw = copy.deepcopy(SAMPLE)
    raw.update(identity_account_id=raw["production_account_id"])
    raw["identity"]["root_alarm_regions"] = [raw["region"], "us-east-1"]
    stacks = build_stacks(new_app(), AppConfig.from_dict(raw))
    analyzers = [s.analyzer for s in (stacks.production_access, *stacks.root_activity) if s.analyzer is not None]
    assert len(analyzers) == 2  # production's in eu-west-1, the root-activity stack's in us-east-1


# -------------------------------------------------------------- 4. meaning kept, or a warning


def test_a_ninety_minute_permission_set_session_stays_ninety_minutes():
    s = stack()
    DeveloperReadOnlyPermissionSet(s, "P", instance_arn=INSTANCE, session_duration=Duration.minutes(90))
    Template.from_stack(s).has_resource_properties("AWS::SSO::PermissionSet", {"SessionDuration": "PT1H30M"})


def test_a_fractional_session_is_a_props_error_not_a_jsii_trace():
    with pytest.raises(PropsError, match="session_duration '1 hour 30 minutes' must be a whole number of seconds"):
        DeveloperReadOnlyPermissionSet(stack(), "P", instance_arn=INSTANCE, session_duration=Duration.seconds(5400.5))


def test_duplicate_permission_set_accounts_are_a_props_error_not_a_jsii_trace():
    with pytest.raises(PropsError, match="account_ids '333333333333' is listed more than once"):
        DeveloperReadOnlyPermissionSet(stack(), "P", instance_arn=INSTANCE, group_id="12345678-1234-1234-1234-123456789012",
                                       account_ids=["333333333333", "333333333333"])


def test_an_end_date_a_century_away_warns_naming_the_prop():
    s = stack()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=365 * 100)
    DeveloperReadOnlyRole(s, "Dev", trusted_account_id="111111111111", expires=later)
    assert any(w.startswith("expires '") and "year(s) away" in w for w in warnings_of(s))


def test_a_denied_action_that_matches_nothing_warns_naming_the_prop():
    s = stack()
    DeveloperReadOnlyRole(s, "Dev", trusted_account_id="111111111111",
                          additional_denied_actions=["logs:GetLogEvnts", "logs:GetLogEvents", "cloudwatch:Get*"])
    warnings = [w for w in warnings_of(s) if w.startswith("additional_denied_actions")]
    assert len(warnings) == 1 and "'logs:GetLogEvnts' matches no action" in warnings[0]
    assert "did you mean 'logs:GetLogEvents'" in warnings[0]


@pytest.mark.parametrize(("props", "message"), [
    ({"extras": [DeveloperExtra.LOGS, DeveloperExtra.LOGS]}, "extras .*is listed more than once \\(items 0 and 1\\)"),
    ({"additional_denied_actions": ["logs:GetLogEvents", "LOGS:getlogevents"]},
     "additional_denied_actions 'LOGS:getlogevents' is listed more than once \\(items 0 and 1\\)"),
])
def test_a_developer_access_item_listed_twice_is_refused(props, message):
    with pytest.raises(PropsError, match=message):
        DeveloperReadOnlyRole(stack(), "Dev", trusted_account_id="111111111111", **props)


@pytest.mark.parametrize(("finding_id", "message"), [
    ("AwsSolutions-IAM55", "did you mean 'AwsSolutions-IAM5'"),
    ("AwsSolution-S1", "names no rule of the packs"),
    ("IamGuardrails-AdminAcess", "did you mean 'IamGuardrails-AdminAccess'"),
    ("NIST.800.53.R5-S3BucketLogging", "names no rule"),
    ("AwsSolutions-S1\n", "one finding id on one line"),
    ("AwsSolutions-IAM5[Resource::*", "names no rule"),
])
def test_an_acknowledgment_of_an_unknown_rule_is_refused(finding_id, message):
    bucket = s3.Bucket(stack(), "Bucket")
    with pytest.raises(ValueError, match=f"finding_id .*{message}"):
        acknowledge(bucket, finding_id, "A reason long enough to be read")


@pytest.mark.parametrize("finding_id", ["AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled",
                                        "AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]", "IamGuardrails-AdminAccess"])
def test_an_acknowledgment_of_a_known_rule_is_kept(finding_id):
    acknowledge(s3.Bucket(stack(), "Bucket"), finding_id, "A reason long enough to be read")


# ------------------------------------------------------------- 5. configuration errors name the key


def changed(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    raw = copy.deepcopy(SAMPLE)
    mutate(raw)
    return raw


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda raw: raw.update(region="eu-wset-1"), "constructs-iam.region 'eu-wset-1' must be an AWS region such as "
     "'eu-west-1' (a name in the partitions' region lists); did you mean 'eu-west-1'?"),
    (lambda raw: raw.update(region="eu-west-1\n"), "constructs-iam.region 'eu-west-1\\n' must be an AWS region"),
    (lambda raw: raw.update(production_account_id="222222222222\n"), "constructs-iam.production_account_id '222222222222\\n'"),
    (lambda raw: raw["identity"].update(root_alarm_regions=["us-east-1", "us-east-1"]),
     "constructs-iam.identity.root_alarm_regions[0] and constructs-iam.identity.root_alarm_regions[1]: value 'us-east-1' "
     "is listed more than once"),
    (lambda raw: raw["identity"].update(root_alarm_regions=["us-east-7"]), "constructs-iam.identity.root_alarm_regions item 'us-east-7'"),
    (lambda raw: raw["identity"].update(alarm_emails=["a@example.com", "a@example.com"]), "alarm_emails[0] and"),
    (lambda raw: raw["ci"].update(branches=["refs/heads/main"]), "constructs-iam.ci.branches item 'refs/heads/main' is a full ref"),
    (lambda raw: raw["ci"].update(branches=["a..b"]), "constructs-iam.ci.branches item 'a..b' must be exact names"),
    (lambda raw: raw["ci"].update(environments=["prod/eu"]), "constructs-iam.ci.environments item 'prod/eu' must be exact"),
    (lambda raw: raw["ci"].update(repository="acme/.."), "constructs-iam.ci.repository 'acme/..' must be 'owner/name'"),
    (lambda raw: raw["ci"].update(deploy_accounts=["222222222222", "222222222222"]), "constructs-iam.ci.deploy_accounts[0] and"),
    (lambda raw: raw.update(identity_center={"instance_arn": INSTANCE, "group_id": "developers"}),
     "constructs-iam.identity_center.group_id 'developers' must be an identity store group id"),
    (lambda raw: raw.update(identity_center={"instance_arn": INSTANCE, "group_id": "12345678-1234-1234-1234-123456789012",
                                             "account_ids": ["333333333333", "333333333333"]}),
     "constructs-iam.identity_center.account_ids[0] and"),
    (lambda raw: raw.update(ec2_read_prefixes=["reports/*"]), "constructs-iam.ec2_read_prefixes item 'reports/*' must not contain"),
    (lambda raw: raw.update(app_prefix="/app/"), "constructs-iam.app_prefix '/app/' must not start with '/'"),
    (lambda raw: raw.update(app_service="ecs-tasks.amazonaws.com\n"), "constructs-iam.app_service"),
    (lambda raw: raw.update(developer_trusted_principal_arns=["arn:aws:iam::999999999999:role/dev"]),
     "constructs-iam.developer_trusted_principal_arns item"),
    (lambda raw: raw["stacksets"].update(enabled=True, organizational_unit_ids=["r-abcd"], regions=["eu-west-1", "eu-west-1"]),
     "constructs-iam.stacksets.regions[0] and"),
    (lambda raw: raw["workloads"].update(bucket_name="acme..data"), "constructs-iam.workloads.bucket_name 'acme..data' must not hold"),
    (lambda raw: raw["workloads"].update(bucket_name="192.168.1.1"), "'192.168.1.1' must not look like an IP address"),
    (lambda raw: raw.update(support_role_name=raw["developer_role_name"]),
     "constructs-iam.developer_role_name and constructs-iam.support_role_name: role name 'DeveloperReadOnly' is used twice"),
    (lambda raw: raw["ci"].update(role_name=raw["support_role_name"].lower()),
     "constructs-iam.support_role_name and constructs-iam.ci.role_name: role name 'support' is used twice"),
])
def test_configuration_values_a_construct_would_refuse_are_refused_naming_the_key(mutate, message):
    with pytest.raises(ConfigError) as error:
        AppConfig.from_dict(changed(mutate))
    assert message in str(error.value)


def test_a_value_refused_only_by_a_construct_is_a_config_error_naming_the_key():
    config = AppConfig.from_dict(changed(lambda raw: raw.update(ec2_read_prefixes=["reports/", "reports/daily/"])))
    with pytest.raises(ConfigError, match="constructs-iam.ec2_read_prefixes: locations .* \\(refused by .*/Ec2ReadOnly, "
                                          "Ec2S3ReadOnlyRole\\)"):
        build_stacks(new_app(), config)


# ---------------------------------------------------------------------- 6. the report's command line


@pytest.fixture(scope="module")
def assembly(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small.out")
    app = App(outdir=str(out))
    SupportRole(Stack(app, "Small", env=ENV), "Support", trusted_account_id="111111111111", role_name="Support")
    app.synth()
    return out


@pytest.fixture(scope="module")
def other_assembly(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("other.out")
    app = App(outdir=str(out))
    SupportRole(Stack(app, "Other", env=ENV), "Help", trusted_account_id="111111111111", role_name="Help")
    app.synth()
    return out


def cli(capsys, *args: str) -> tuple[int, str]:
    status = report.main(list(args))
    return status, capsys.readouterr().err


def corrupt(tmp_path: Path, assembly: Path, name: str, text: str) -> Path:
    import shutil

    copy_of = tmp_path / "corrupt.out"
    shutil.copytree(assembly, copy_of)
    target = copy_of / name if name != "template" else next(copy_of.glob("*.template.json"))
    target.write_text(text)
    return copy_of


@pytest.mark.parametrize(("args", "message"), [
    (lambda a, t: [str(t / "missing.out")], "argument cdk_out: '.*missing.out' does not exist"),
    (lambda a, t: [str(a / "manifest.json")], "argument cdk_out: '.*manifest.json' is a file, not a cloud assembly folder"),
    (lambda a, t: [str(t)], "argument cdk_out: '.*' has no manifest.json"),
    (lambda a, t: [str(corrupt(t, a, "manifest.json", "{not json"))], "argument cdk_out: .* invalid JSON"),
    (lambda a, t: [str(corrupt(t, a, "manifest.json", '{"artifacts": {}}'))], "argument cdk_out: .* holds no stack templates"),
    (lambda a, t: [str(corrupt(t, a, "template", "[1, 2"))], "argument cdk_out: .* invalid JSON"),
    (lambda a, t: [str(corrupt(t, a, "template", "[1, 2]"))], "argument cdk_out: .* is not a CloudFormation template"),
    (lambda a, t: [str(a), "--baseline", str(t / "missing.out")], "argument --baseline: '.*missing.out' does not exist"),
    (lambda a, t: [str(a), "--accept", str(t / "accepted.txt")], "argument --accept: needs --baseline"),
    (lambda a, t: [str(a), "--baseline", str(a), "--accept", str(t / "accepted.txt")], "argument --accept: '.*' is not a file"),
    (lambda a, t: [str(a), "--output", str(t / "no" / "such" / "report.md")], "argument --output: .* does not exist"),
    (lambda a, t: [str(a), "--output", str(t)], "argument --output: '.*' is a folder"),
])
def test_bad_report_arguments_are_one_line_naming_the_argument_and_exit_2(args, message, assembly, tmp_path, capsys):
    status, err = cli(capsys, *args(assembly, tmp_path))
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m constructs_iam.report: error: ")
    import re

    assert re.search(message, lines[0]), lines[0]


def test_a_baseline_of_another_app_warns_that_no_principal_matched(assembly, other_assembly, capsys):
    status, err = cli(capsys, str(assembly), "--baseline", str(other_assembly))
    assert status == 1
    assert "shares no principal" in err
    status, err = cli(capsys, str(assembly), "--baseline", str(assembly))
    assert status == 0 and "shares no principal" not in err


def test_the_nag_rule_ids_are_those_of_the_pinned_cdk_nag():
    from tools import nag_rule_ids

    assert nag_rule_ids.main(["--check"]) == 0


def test_an_unknown_format_is_one_line_and_exit_2(assembly, capsys):
    with pytest.raises(SystemExit) as exit_:
        report.main([str(assembly), "--format", "pdf"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and "argument --format: invalid choice: 'pdf'" in err[0]


def test_a_template_that_is_json_but_not_cloudformation_is_one_line(assembly, tmp_path, capsys):
    broken = corrupt(tmp_path, assembly, "template", json.dumps({"Resources": {"Role": {"Type": "AWS::IAM::Role",
                                                                                        "Properties": "not an object"}}}))
    status, err = cli(capsys, str(broken))
    assert status == 2 and len(err.strip().splitlines()) == 1 and "argument cdk_out:" in err


@pytest.mark.parametrize(("build", "message"), [
    (lambda s: TenantIsolatedBucket(s, "T", server_access_logs_bucket="logs"), "server_access_logs_bucket 'logs' must be an aws_s3.IBucket"),
    (lambda s: TenantIsolatedBucket(s, "T", server_access_logs_bucket=s3.Bucket(s, "L"), server_access_logs_prefix=5),
     "server_access_logs_prefix 5 must be a key prefix"),
    (lambda s: TenantIsolatedBucket(s, "T", bucket_name="acme..shared"), "bucket_name 'acme..shared' must not hold '..'"),
    (lambda s: GitHubOidcProvider(s, "G", client_ids=["a" * 256]), "client_ids 'a+' must be audiences"),
    (lambda s: GitHubOidcProvider(s, "G", client_ids=["sts.amazonaws.com", "sts.amazonaws.com"]), "is listed more than once"),
])
def test_wrong_props_of_last_rounds_constructs_are_props_errors_not_jsii_traces(build, message):
    with pytest.raises(PropsError, match=message):
        build(stack())


# ------------------------------------------------------------- round 2b: a second independent set


@pytest.mark.parametrize(("build", "message"), [
    (lambda s: (PeopleGroup(s, "G"), PeopleGroup(s, "G")),
     "S/G \\(PeopleGroup\\): id 'G' is already used in S by S/G \\(PeopleGroup\\)"),
    (lambda s: (SupportRole(s, "R", trusted_account_id="111111111111"), SupportRole(s, "R", trusted_account_id="111111111111")),
     "S/R \\(SupportRole\\): id 'R' is already used in S by S/R \\(SupportRole\\)"),
    (lambda s: SupportRole(s, "R", trusted_account_id="111111111111", description="reads\x00"),
     "description 'reads\\\\x00' must be a string of at most 1000 characters: printable"),
    (lambda s: PeopleGroup(s, "G", enforce_mfa="false"), "enforce_mfa 'false' must be True or False"),
    (lambda s: HumanUser(s, "U", user_name="alice", groups=[PeopleGroup(s, "G")], encryption_key="alias/people"),
     "encryption_key 'alias/people' must be an aws_kms.IKey"),
    (lambda s: AccountPasswordPolicy(s, "P", max_age=Duration.hours(36)), "max_age '1 day 12 hours' must be a whole number of days"),
    (lambda s: TenantIsolatedBucket(s, "T", server_access_logs_bucket=s3.Bucket(s, "L"), server_access_logs_prefix="/logs/"),
     "server_access_logs_prefix '/logs/' must be a key prefix .* not starting with '/'"),
    (lambda s: ScalingServiceRole(s, "Sc", instance_role=iam.Role.from_role_arn(s, "I", "arn:aws:iam::999999999999:role/x")),
     "instance_role 'arn:aws:iam::999999999999:role/x' is in account 999999999999, not this stack's account 222222222222"),
    (lambda s: ScalingServiceRole(s, "Sc", instance_role=iam.Role(s, "I", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com")),
                                  target_group_arns=["arn:aws:elasticloadbalancing:us-east-1:222222222222:targetgroup/t/0123456789abcdef"]),
     "target_group_arns .* is in region us-east-1, not this stack's region eu-west-1"),
    (lambda s: GitHubActionsRole(s, "R", repository="acme/platform", branches=["main"],
                                 provider=iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(
                                     s, "P", "arn:aws:iam::222222222222:oidc-provider/gitlab.com")),
     "provider 'arn:aws:iam::222222222222:oidc-provider/gitlab.com' is not GitHub's OIDC provider"),
])
def test_more_wrong_props_are_props_errors_not_jsii_traces_or_silent(build, message):
    with pytest.raises(PropsError, match=message):
        build(stack())


def test_a_user_name_twice_a_group_twice_or_a_group_of_another_account_is_refused():
    s = stack()
    group = PeopleGroup(s, "G")
    with pytest.raises(PropsError, match="S/U \\(HumanUser\\): groups 'S/G/Group' is listed more than once"):
        HumanUser(s, "U", user_name="alice", groups=[group, group])
    HumanUser(s, "Alice", user_name="alice", groups=[group])
    with pytest.raises(PropsError, match="S/Alice2 \\(HumanUser\\): user_name 'Alice': a second IAM user .* S/Alice is already one"):
        HumanUser(s, "Alice2", user_name="Alice", groups=[group])
    other = stack("O", Environment(account="333333333333", region="eu-west-1"), app=s.node.root)
    with pytest.raises(PropsError, match="groups 'S/G/Group' is in account 222222222222, not this user's account 333333333333"):
        HumanUser(other, "U", user_name="bob", groups=[group])
    imported = iam.Group.from_group_arn(s, "Imported", "arn:aws:iam::999999999999:group/devs")
    with pytest.raises(PropsError, match="groups 'arn:aws:iam::999999999999:group/devs' is in account 999999999999"):
        HumanUser(s, "Carol", user_name="carol", groups=[imported])


def test_a_generated_name_bucket_of_another_account_is_refused_before_cdk_fails_at_synth():
    s = stack()
    bucket = s3.Bucket(s, "B")
    other = stack("O", Environment(account="333333333333", region="eu-west-1"), app=s.node.root)
    with pytest.raises(PropsError, match="O/R \\(S3PrefixAccessRole\\): location 'S/B/t1/' is a bucket of account 222222222222"):
        S3PrefixAccessRole(other, "R", assumed_by=service_principal("ecs-tasks.amazonaws.com"), location=S3Location(bucket, "t1/"))


def test_helpers_refuse_what_is_not_a_construct_or_contradicts_itself():
    with pytest.raises(PropsError, match="acknowledge\\): scope 'S/R' must be a construct"):
        acknowledge("S/R", "AwsSolutions-IAM5", "A reason long enough to pass")
    with pytest.raises(ValueError, match="scope 'S' must be a construct"):
        kms_key_policy("S")
    with pytest.raises(ValueError, match="scope None must be an app, a stage or a stack"):
        IamGuardrails.of(None)
    with pytest.raises(ValueError, match="require_mfa 'false' must be True or False"):
        cross_account_principal("111111111111", require_mfa="false")
    with pytest.raises(ValueError, match="source_arn .* is in account 999999999999, not source_account 111111111111"):
        service_principal("sns.amazonaws.com", source_account="111111111111",
                          source_arn="arn:aws:sns:eu-west-1:999999999999:topic")


def test_an_imported_key_for_the_root_alarm_warns_that_its_policy_is_not_changed():
    s = stack()
    key = kms.Key.from_key_arn(s, "K", "arn:aws:kms:eu-west-1:222222222222:key/12345678-1234-1234-1234-123456789012")
    RootActivityAlarm(s, "A", emails=["security@example.com"], encryption_key=key)
    assert any("encryption_key" in w and "events.amazonaws.com" in w for w in warnings_of(s))
