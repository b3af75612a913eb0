"""Production access a developer can debug with: every configuration read, no data, a named
person behind every session, an end date that holds. Decided with AccessModel on the sample app
and on roles built here, one synthesis per fixture."""

from __future__ import annotations

import datetime
import json

import pytest
from aws_cdk import App, Stack

from constructs_iam import DeveloperAccess, DeveloperExtra, DeveloperReadOnlyRole, PropsError
from constructs_iam.access import AccessModel
from constructs_iam.access.matching import wildcard_match
from constructs_iam.developer_access import (
    BACKSTOP,
    MAX_ALLOW_POLICIES,
    MAX_POLICY_CHARACTERS,
    classification,
    classified_actions,
    developer_policies,
    unclassified,
    visible_actions,
)
from stacks import AppConfig, build_stacks
from tools.classify_read_only import catalog, catalog_version

from .support import CONTEXT, ENV, ROOT, new_app

DEV_ROLE = "arn:aws:iam::222222222222:role/DeveloperReadOnly"
ACCOUNT = "arn:aws:{service}:eu-west-1:222222222222:{resource}"

# what an on-call developer reads while debugging (the list, and more of the same kind)
DEBUGGING_READS = [
    ("cloudwatch:DescribeAlarms", "*"),
    ("cloudwatch:GetMetricData", "*"),
    ("cloudformation:DescribeStackEvents", "arn:aws:cloudformation:eu-west-1:222222222222:stack/app/1"),
    ("cloudformation:DescribeStackResources", "arn:aws:cloudformation:eu-west-1:222222222222:stack/app/1"),
    ("iam:GetRole", "arn:aws:iam::222222222222:role/app"),
    ("iam:GetRolePolicy", "arn:aws:iam::222222222222:role/app"),
    ("kms:DescribeKey", "arn:aws:kms:eu-west-1:222222222222:key/1"),
    ("sns:GetTopicAttributes", "arn:aws:sns:eu-west-1:222222222222:alerts"),
    ("events:DescribeRule", "arn:aws:events:eu-west-1:222222222222:rule/r"),
    ("states:ListStateMachines", "*"),
    ("states:ListExecutions", "arn:aws:states:eu-west-1:222222222222:stateMachine:m"),
    ("codepipeline:GetPipelineState", "arn:aws:codepipeline:eu-west-1:222222222222:p"),
    ("acm:DescribeCertificate", "arn:aws:acm:eu-west-1:222222222222:certificate/c"),
    ("health:DescribeEvents", "*"),
    ("ssm:DescribeParameters", "*"),
    ("secretsmanager:DescribeSecret", "arn:aws:secretsmanager:eu-west-1:222222222222:secret:db"),
    ("s3:GetBucketPolicy", "arn:aws:s3:::data"),
    ("ecs:DescribeServices", "*"),
    ("lambda:GetFunctionConcurrency", "arn:aws:lambda:eu-west-1:222222222222:function:f"),
    ("logs:DescribeLogGroups", "*"),
    ("dynamodb:DescribeTable", "arn:aws:dynamodb:eu-west-1:222222222222:table/orders"),
    ("sqs:GetQueueAttributes", "arn:aws:sqs:eu-west-1:222222222222:jobs"),
    ("elasticloadbalancing:DescribeTargetHealth", "*"),
    ("autoscaling:DescribeScalingActivities", "*"),
    ("rds:DescribeDBInstances", "*"),
    ("cloudtrail:LookupEvents", "*"),
]

DATA_READS = [
    ("s3:GetObject", "arn:aws:s3:::data/orders/1.json"),
    ("s3:GetObjectVersion", "arn:aws:s3:::data/orders/1.json"),
    ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:222222222222:table/orders"),
    ("dynamodb:Query", "arn:aws:dynamodb:eu-west-1:222222222222:table/orders"),
    ("dynamodb:Scan", "arn:aws:dynamodb:eu-west-1:222222222222:table/orders"),
    ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:222222222222:secret:db"),
    ("ssm:GetParameter", "arn:aws:ssm:eu-west-1:222222222222:parameter/db/password"),
    ("ssm:GetParametersByPath", "arn:aws:ssm:eu-west-1:222222222222:parameter/db"),
    ("kms:Decrypt", "arn:aws:kms:eu-west-1:222222222222:key/1"),
    ("sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:222222222222:jobs"),
    ("kinesis:GetRecords", "arn:aws:kinesis:eu-west-1:222222222222:stream/s"),
    ("athena:GetQueryResults", "*"),
    ("ec2:GetConsoleOutput", "*"),
    ("ec2:DescribeInstanceAttribute", "*"),
    ("ecr:BatchGetImage", "arn:aws:ecr:eu-west-1:222222222222:repository/app"),
    ("codecommit:GetFile", "arn:aws:codecommit:eu-west-1:222222222222:repo"),
    ("lambda:GetFunction", "arn:aws:lambda:eu-west-1:222222222222:function:f"),
    ("apigateway:GET", "arn:aws:apigateway:eu-west-1::/apikeys/abc"),
    ("logs:GetLogEvents", "arn:aws:logs:eu-west-1:222222222222:log-group:app:log-stream:s"),
    ("logs:FilterLogEvents", "arn:aws:logs:eu-west-1:222222222222:log-group:app"),
    ("logs:StartQuery", "arn:aws:logs:eu-west-1:222222222222:log-group:app"),
    ("xray:BatchGetTraces", "*"),
    ("ecr:GetAuthorizationToken", "*"),
    ("sts:GetSessionToken", "*"),
    ("iam:CreateAccessKey", "arn:aws:iam::222222222222:user/x"),
]

# settings that hold secrets in practice: denied by default, opened with DeveloperExtra.RUNTIME_CONFIG
RUNTIME_SETTINGS = [
    ("lambda:GetFunctionConfiguration", "arn:aws:lambda:eu-west-1:222222222222:function:f"),
    ("lambda:ListFunctions", "*"),
    ("cloudformation:GetTemplate", "arn:aws:cloudformation:eu-west-1:222222222222:stack/app/1"),
    ("ecs:DescribeTaskDefinition", "*"),
    ("codebuild:BatchGetProjects", "arn:aws:codebuild:eu-west-1:222222222222:project/p"),
    ("states:DescribeStateMachine", "arn:aws:states:eu-west-1:222222222222:stateMachine:m"),
    ("kafkaconnect:DescribeConnector", "*"), ("scheduler:GetSchedule", "*"), ("pipes:DescribePipe", "*"),
    ("config:BatchGetResourceConfig", "*"), ("lightsail:GetContainerServices", "*"),
    ("kinesisanalytics:DescribeApplication", "*"), ("ssm:DescribeAssociation", "*"),
]

# families the independent review found readable under ReadOnlyAccess
REVIEWED_FAMILIES = [
    ("ec2:DescribeLaunchTemplateVersions", "*"), ("autoscaling:DescribeLaunchConfigurations", "*"),
    ("ec2:DescribeSpotInstanceRequests", "*"), ("apigateway:GET", "arn:aws:apigateway:eu-west-1::/usageplans/u/keys"),
    ("apigateway:GET", "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages/prod"),  # stage variables
    ("appsync:ListApiKeys", "*"), ("cognito-idp:DescribeUserPoolClient", "*"), ("cognito-idp:ListUsers", "*"),
    ("states:DescribeExecution", "arn:aws:states:eu-west-1:222222222222:execution:m:e"),
    ("states:GetExecutionHistory", "arn:aws:states:eu-west-1:222222222222:execution:m:e"),
    ("s3:GetDataAccess", "*"), ("s3express:CreateSession", "*"), ("snowball:GetJobUnlockCode", "*"),
    ("amplify:GetApp", "*"), ("ivs:GetStreamKey", "*"), ("s3vectors:QueryVectors", "*"),
    ("bedrock-agentcore:RetrieveMemoryRecords", "*"), ("connect:GetContactAttributes", "*"),
    ("mobiletargeting:GetEndpoint", "*"), ("glue:GetConnection", "*"),
    ("ec2:DescribeVpnConnections", "*"), ("codepipeline:GetJobDetails", "*"), ("wafv2:GetSampledRequests", "*"),
    ("sns:ListSubscriptionsByTopic", "arn:aws:sns:eu-west-1:222222222222:alerts"), ("firehose:DescribeDeliveryStream", "*"),
    # a second independent review: keys, presigned or embed URLs, execution payloads, end users' data
    ("directconnect:DescribeVirtualInterfaces", "*"), ("iotwireless:GetWirelessDevice", "*"),
    ("amplify:GetArtifactUrl", "*"), ("amplify:GetJob", "*"), ("quicksight:GetDashboardEmbedUrl", "*"),
    ("quicksight:GetSessionEmbedUrl", "*"), ("gamelift:GetGameSessionLogUrl", "*"),
    ("auditmanager:GetAssessmentReportUrl", "*"), ("devicefarm:ListArtifacts", "*"),
    ("transcribe:GetTranscriptionJob", "*"), ("ssm:GetAutomationExecution", "*"),
    ("ssm:GetMaintenanceWindowExecutionTaskInvocation", "*"), ("codebuild:DescribeTestCases", "*"),
    ("qldb:GetBlock", "*"), ("personalize:GetRecommendations", "*"), ("rekognition:ListFaces", "*"),
    ("route53domains:GetDomainDetail", "*"), ("connect:GetCurrentUserData", "*"), ("ec2:GetInstanceUefiData", "*"),
    ("support:DescribeCases", "*"), ("glue:ListStatements", "*"), ("emr-serverless:GetDashboardForJobRun", "*"),
    ("inspector2:BatchGetCodeSnippet", "*"), ("geo:GetDevicePosition", "*"), ("logs:ListAnomalies", "*"),
    ("kinesisvideo:GetImages", "*"), ("kinesisvideo:GetIceServerConfig", "*"), ("chime:GetAttendee", "*"),
    ("chime:ListAttendees", "*"),
    ("medical-imaging:GetDICOMInstance", "*"), ("omics:GetReadSet", "*"), ("sms-voice:DescribeOptedOutNumbers", "*"),
]

WRITES = [
    ("s3:PutObject", "arn:aws:s3:::data/x"), ("ec2:TerminateInstances", "*"), ("iam:PassRole", "*"),
    ("lambda:UpdateFunctionCode", "*"), ("cloudformation:DeleteStack", "*"),
]


@pytest.fixture(scope="module")
def sample() -> AccessModel:
    stacks = build_stacks(new_app(), AppConfig.from_dict(CONTEXT["constructs-iam"]))
    return AccessModel.from_stack(stacks.production_access)


def decide(model: AccessModel, principal: str, cases, expected: bool) -> list[str]:
    wrong = []
    for action, resource in cases:
        decision = model.evaluate(principal=principal, action=action, resource=resource)
        if decision.allowed is not expected:
            wrong.append(f"{action} on {resource}: {decision.reason}")
    return wrong


def test_the_developer_can_make_every_configuration_read_needed_to_debug(sample):
    assert decide(sample, DEV_ROLE, DEBUGGING_READS, True) == []


def test_the_developer_reads_no_data_and_gets_no_credentials(sample):
    assert decide(sample, DEV_ROLE, DATA_READS + REVIEWED_FAMILIES + RUNTIME_SETTINGS, False) == []


def test_the_developer_changes_nothing(sample):
    assert decide(sample, DEV_ROLE, WRITES, False) == []


def test_no_aws_managed_policy_reaches_the_developer_role(sample):
    """Every statement the role holds comes from a policy of the pattern itself (an AWS managed
    policy's statements would carry the policy's name as their source)."""
    sources = {s.source for s in sample.principal(DEV_ROLE).statements}
    assert sources and all(src.startswith("ConstructsIam-ProductionAccess/DeveloperReadOnly/") for src in sources), sources
    assert {src.rsplit("/", 1)[-1] for src in sources} >= {"DenyDataAccess", "ReadConfiguration"}


def visible_in(model: AccessModel, principal: str) -> list[str]:
    """The catalog actions some Allow of ``principal``'s synthesized policies matches and no Deny
    on every resource matches (read from the templates only: the role's own and managed policies)."""
    statements = model.effective_policy(principal)["Statement"]
    allows = [p for s in statements if s["Effect"] == "Allow" for p in _list(s.get("Action", []))]
    denies = [p for s in statements if s["Effect"] == "Deny" and s.get("Resource") == "*" for p in _list(s["Action"])]
    allow, deny = _by_service(allows), _by_service(denies)
    everything = allow.get("*", [])  # a pattern whose service part is a wildcard would match every service
    return [a for a in classified_actions()
            if any(wildcard_match(p, a, case_sensitive=False) for p in allow.get(_service(a), []) + everything)
            and not any(wildcard_match(p, a, case_sensitive=False) for p in deny.get(_service(a), ()))]


def test_the_developer_sees_over_5000_actions_of_the_catalog_and_none_that_is_not_config(sample):
    """Read from the synthesized template: every catalog action some Allow of the role matches and
    no Deny matches is counted, and each one is classified config."""
    classes = classified_actions()
    visible = visible_in(sample, DEV_ROLE)
    assert len(visible) > 5000
    assert [a for a in visible if classes[a] != "config"] == []
    assert len(visible) == len(visible_actions())


def _list(value):
    return value if isinstance(value, list) else [value]


def _service(action: str) -> str:
    return action.split(":", 1)[0].lower()


def _by_service(items):
    """Patterns or actions grouped by service prefix (a service prefix has no wildcard here)."""
    grouped = {}
    for item in items:
        grouped.setdefault(_service(item), []).append(item)
    return grouped


# ------------------------------------------------------------------------ classification as data

def test_every_action_of_the_catalog_is_classified_with_its_catalog_version():
    entries = catalog()
    actions = [f"{service}:{name}" for service, names in entries.items() for name in names]
    assert unclassified(actions) == [], "run python -m tools.classify_read_only, review the new actions, commit"
    recorded = classification()["catalog"]
    assert recorded["source"] == catalog_version()
    assert recorded["actions"] == len(actions) > 15000


def test_an_unclassified_action_fails_the_review():
    assert unclassified(["ec2:DescribeVpcs", "newservice:GetCustomerRecords"]) == ["newservice:GetCustomerRecords"]


def test_every_decision_names_a_rule_of_its_class_with_a_reason():
    stored = classification()
    for service, names in stored["actions"].items():
        for name, decision in names.items():
            kind, rule = decision.split(" ")
            assert stored["rules"][rule]["class"] == kind and len(stored["rules"][rule]["reason"]) > 20, name


def test_no_allowed_pattern_matches_a_catalog_action_outside_its_class():
    """The property the wildcards rest on: each level's and extra's patterns match only catalog
    actions of the classes they open (config, or the extra's own class)."""
    classes = classified_actions()
    by_service = _by_service(classes)
    levels = {"configuration": {"config"}, "view-only": {"config"}, "logs": {"logs"}, "traces": {"traces"},
              "runtime_config": {"runtime_config"}}
    wrong = []
    for level, patterns in classification()["patterns"].items():
        for pattern, count, _ in patterns:
            matched = [a for a in by_service[_service(pattern)] if wildcard_match(pattern, a, case_sensitive=False)]
            assert len(matched) == count and matched, pattern
            wrong += [f"{level}: {pattern} matches {a} ({classes[a]})" for a in matched if classes[a] not in levels[level]]
    assert wrong == []


@pytest.mark.parametrize("future", [
    "s3:GetObjectContentStream",          # a new object read, under s3's allowed GetObjectA*/... wildcards
    "dynamodb:GetItemsByPartition",        # a new item read
    "dynamodb:QueryIndexStream",           # a new query
    "secretsmanager:GetSecretValueStream",  # a new secret read
    "ssm:GetParameterValueV2",             # a new parameter read
    "sqs:ReceiveMessageBatch",             # a new message read
    "kms:DecryptWithContext",              # a new decryption
    "quicksight:GetTopicEmbedUrl",         # a new embed URL (a session into dashboards' data)
    "sqs:GetMessages",                     # a new message read, under sqs's allowed G*
    "lambda:GetFunctionCode",              # a new code read, under lambda's allowed GetFunctionCod*
    "ec2:GetInstanceUserData",             # a new user-data read
])
def test_the_backstop_denies_invented_future_data_actions_even_under_an_allowed_wildcard(future):
    policies = developer_policies()
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [future.split(":")[0] + ":*"], "Resource": "*"},  # the worst later edit
        *[s for d in policies.allow_documents for s in d["Statement"]], *policies.deny_document["Statement"]]}
    model = AccessModel.from_template({"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "Dev", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
            "Policies": [{"PolicyName": "p", "PolicyDocument": document}]}}}},
        account="222222222222", region="eu-west-1")
    decision = model.evaluate(principal="arn:aws:iam::222222222222:role/Dev", action=future, resource="*")
    assert decision.allowed is False, decision.reason
    assert any(wildcard_match(p, future, case_sensitive=False) for p in BACKSTOP)


def test_each_level_fits_iams_quotas_in_a_stable_order():
    for access, extras in [(DeveloperAccess.CONFIGURATION, ()), (DeveloperAccess.VIEW_ONLY, ()),
                           (DeveloperAccess.CONFIGURATION, tuple(DeveloperExtra))]:
        first, again = developer_policies(access, extras), developer_policies(access, extras)
        assert first == again
        assert 1 <= len(first.allow_documents) <= MAX_ALLOW_POLICIES
        sizes = [len(json.dumps(d, separators=(",", ":"))) for d in (*first.allow_documents, first.deny_document)]
        assert max(sizes) <= MAX_POLICY_CHARACTERS
        assert list(first.allowed_patterns) == sorted(first.allowed_patterns)


def test_a_level_that_cannot_fit_fails_naming_the_quota(monkeypatch):
    from constructs_iam import developer_access

    monkeypatch.setattr(developer_access, "MAX_ALLOW_POLICIES", 1)
    developer_access._allow_documents.cache_clear()
    try:
        with pytest.raises(ValueError, match="IAM's quota of 10 managed policies per role"):
            developer_access.allow_documents(DeveloperAccess.CONFIGURATION, [DeveloperExtra.RUNTIME_CONFIG])
    finally:
        developer_access._allow_documents.cache_clear()


def test_a_catalog_upgrade_lists_new_actions_under_allowed_wildcards_for_review():
    import copy

    from tools.classify_read_only import new_under_wildcards

    stored = classification()
    wildcard = next(p for p, _, _ in stored["patterns"]["configuration"] if p.endswith("*") and p.startswith("ec2:"))
    invented = wildcard[:-1] + "InventedByAws"
    fresh = copy.deepcopy(stored)
    fresh["actions"]["ec2"][invented.split(":", 1)[1]] = "config configuration"
    fresh["actions"]["newservice"] = {"GetCustomerRecords": "data data-name"}
    assert new_under_wildcards(stored, fresh) == [invented]


def test_more_denied_actions_than_a_policy_holds_fail_naming_the_quota():
    too_many = [f"ec2:DescribeInvented{i:04d}Thing" for i in range(400)]
    with pytest.raises(PropsError, match="IAM's 6144 for one managed policy"):
        DeveloperReadOnlyRole(Stack(App(), "P", env=ENV), "Dev", trusted_account_id="111111111111",
                              additional_denied_actions=too_many)


# ---------------------------------------------------------------------------- levels and extras

def role_model(**props) -> AccessModel:
    app = App()
    stack = Stack(app, "Prod", env=ENV)
    DeveloperReadOnlyRole(stack, "Dev", trusted_account_id="111111111111", role_name="DeveloperReadOnly", **props)
    return AccessModel.from_stack(stack)


def test_logs_and_traces_are_opened_only_by_name():
    logs = [("logs:GetLogEvents", "arn:aws:logs:eu-west-1:222222222222:log-group:app:log-stream:s"),
            ("logs:FilterLogEvents", "arn:aws:logs:eu-west-1:222222222222:log-group:app"),
            ("logs:StartQuery", "arn:aws:logs:eu-west-1:222222222222:log-group:app"),
            ("logs:GetQueryResults", "*"), ("logs:ListAnomalies", "*")]
    traces = [("xray:BatchGetTraces", "*"), ("xray:GetTraceSummaries", "*")]
    with_logs = role_model(extras=[DeveloperExtra.LOGS])
    assert decide(with_logs, DEV_ROLE, logs, True) == []
    assert decide(with_logs, DEV_ROLE, traces + DATA_READS[:12], False) == []
    with_traces = role_model(extras=[DeveloperExtra.TRACES])
    assert decide(with_traces, DEV_ROLE, traces, True) == []
    assert decide(with_traces, DEV_ROLE, logs + RUNTIME_SETTINGS, False) == []


def test_runtime_settings_are_opened_only_by_name():
    opened = role_model(extras=[DeveloperExtra.RUNTIME_CONFIG])
    assert decide(opened, DEV_ROLE, RUNTIME_SETTINGS, True) == []
    assert decide(opened, DEV_ROLE, DATA_READS + REVIEWED_FAMILIES, False) == []


def test_the_view_only_level_stays_for_teams_that_want_it():
    model = role_model(access=DeveloperAccess.VIEW_ONLY)
    assert decide(model, DEV_ROLE, [("ec2:DescribeInstances", "*"), ("iam:ListRoles", "*")], True) == []
    assert decide(model, DEV_ROLE, DATA_READS + REVIEWED_FAMILIES + RUNTIME_SETTINGS, False) == []
    assert 1500 < len(visible_actions(DeveloperAccess.VIEW_ONLY)) < len(visible_actions())


# ------------------------------------------------------------------- who did what, and until when

def test_an_end_date_holds_and_a_past_or_naive_one_is_refused():
    end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    model = role_model(expires=end)
    caller = "arn:aws:iam::111111111111:user/alice"
    person = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60", "sts:SourceIdentity": "alice",
              "aws:username": "alice"}
    before = (end - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = (end + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert model.can_assume(role=DEV_ROLE, caller=caller, context={**person, "aws:CurrentTime": before}).allowed is True
    assert model.can_assume(role=DEV_ROLE, caller=caller, context={**person, "aws:CurrentTime": after}).allowed is False
    stack = Stack(App(), "P", env=ENV)
    with pytest.raises(PropsError, match="expires .* is in the past"):
        DeveloperReadOnlyRole(stack, "A", trusted_account_id="111111111111",
                              expires=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
    with pytest.raises(PropsError, match="expires .* must have a time zone"):
        DeveloperReadOnlyRole(stack, "B", trusted_account_id="111111111111", expires=datetime.datetime(2099, 1, 1))


def test_a_session_without_source_identity_is_refused_by_the_trust_policy():
    model = role_model()
    caller = "arn:aws:iam::111111111111:user/alice"
    mfa = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60", "aws:username": "alice"}
    assert model.can_assume(role=DEV_ROLE, caller=caller, context={**mfa, "sts:SourceIdentity": "alice"}).allowed is True
    assert model.can_assume(role=DEV_ROLE, caller=caller, context=mfa).allowed is False


def test_the_trust_itself_refuses_another_persons_name():
    """A principal of the identity account with MFA whose own policy allows any source identity
    still cannot assume the role as someone else: the trust pins sts:SourceIdentity to the IAM user name."""
    model = role_model()
    caller = "arn:aws:iam::111111111111:user/mallory"
    mfa = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}
    user = {**mfa, "aws:username": "mallory"}  # what AWS puts in the request of an IAM user
    assert model.can_assume(role=DEV_ROLE, caller=caller, context={**user, "sts:SourceIdentity": "mallory"}).allowed is True
    assert model.can_assume(role=DEV_ROLE, caller=caller, context={**user, "sts:SourceIdentity": "alice"}).allowed is False
    # a role session (federated, or chained) has no aws:username: refused whatever name it sets
    session = "arn:aws:sts::111111111111:assumed-role/Federated/alice"
    assert model.can_assume(role=DEV_ROLE, caller=session, context={**mfa, "sts:SourceIdentity": "alice"}).allowed is False


@pytest.mark.parametrize(("props", "message"), [
    ({"access": "configuration"}, "access 'configuration' must be one of"),
    ({"extras": ["logs"]}, "extras 'logs' must contain DeveloperExtra values"),
    ({"extras": [DeveloperExtra.LOGS], "access": DeveloperAccess.VIEW_ONLY}, "extras ['LOGS'] open data of the CONFIGURATION level"),
    ({"expires": "2030-01-01"}, "expires '2030-01-01' must be a datetime.datetime"),
])
def test_bad_levels_and_dates_are_refused_naming_the_prop(props, message):
    with pytest.raises(PropsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        DeveloperReadOnlyRole(Stack(App(), "P", env=ENV), "Dev", trusted_account_id="111111111111", **props)


def test_the_documented_counts_are_the_generated_ones():
    """docs/developer-access.md and the role's reference page state the visible-action counts per
    level: they stay true."""
    page = (ROOT / "docs" / "developer-access.md").read_text()
    readme = (ROOT / "docs" / "human-access.md").read_text()  # the README's former section
    default = f"**{len(visible_actions()):,}**"
    assert default in page and default in readme
    for access, extras in [(DeveloperAccess.CONFIGURATION, [DeveloperExtra.RUNTIME_CONFIG]), (DeveloperAccess.VIEW_ONLY, [])]:
        count = f"{len(visible_actions(access, extras)):,}"
        assert count in page and count in readme, (access, extras, count)
