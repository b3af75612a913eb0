"""Production access a developer can debug with: every configuration read, no data, a named
person behind every session, an end date that holds. Decided with AccessModel on the sample app
and on roles built here, one synthesis per fixture."""

from __future__ import annotations

import datetime

import pytest
from aws_cdk import App, Stack

from constructs_iam import DeveloperAccess, DeveloperExtra, DeveloperReadOnlyRole, PropsError
from constructs_iam.access import AccessModel
from constructs_iam.developer_access import classification, classified_actions, unclassified
from stacks import AppConfig, build_stacks
from tools.classify_read_only import read_only_access

from .support import CONTEXT, ENV, new_app

DEV_ROLE = "arn:aws:iam::222222222222:role/DeveloperReadOnly"
ACCOUNT = "arn:aws:{service}:eu-west-1:222222222222:{resource}"

# what an on-call developer reads while debugging (the list, and more of the same kind)
DEBUGGING_READS = [
    ("cloudwatch:DescribeAlarms", "*"),
    ("cloudwatch:GetMetricData", "*"),
    ("cloudformation:DescribeStackEvents", "arn:aws:cloudformation:eu-west-1:222222222222:stack/app/1"),
    ("cloudformation:GetTemplate", "arn:aws:cloudformation:eu-west-1:222222222222:stack/app/1"),
    ("iam:GetRole", "arn:aws:iam::222222222222:role/app"),
    ("iam:GetRolePolicy", "arn:aws:iam::222222222222:role/app"),
    ("kms:DescribeKey", "arn:aws:kms:eu-west-1:222222222222:key/1"),
    ("sns:GetTopicAttributes", "arn:aws:sns:eu-west-1:222222222222:alerts"),
    ("events:DescribeRule", "arn:aws:events:eu-west-1:222222222222:rule/r"),
    ("states:DescribeStateMachine", "arn:aws:states:eu-west-1:222222222222:stateMachine:m"),
    ("states:DescribeExecution", "arn:aws:states:eu-west-1:222222222222:execution:m:e"),
    ("codepipeline:GetPipelineState", "arn:aws:codepipeline:eu-west-1:222222222222:p"),
    ("acm:DescribeCertificate", "arn:aws:acm:eu-west-1:222222222222:certificate/c"),
    ("health:DescribeEvents", "*"),
    ("ssm:DescribeParameters", "*"),
    ("secretsmanager:DescribeSecret", "arn:aws:secretsmanager:eu-west-1:222222222222:secret:db"),
    ("s3:GetBucketPolicy", "arn:aws:s3:::data"),
    ("ecs:DescribeServices", "*"),
    ("lambda:GetFunctionConfiguration", "arn:aws:lambda:eu-west-1:222222222222:function:f"),
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
    assert decide(sample, DEV_ROLE, DATA_READS, False) == []


def test_the_developer_changes_nothing(sample):
    assert decide(sample, DEV_ROLE, WRITES, False) == []


def test_the_developer_sees_at_least_6000_actions_and_no_data():
    from cloudsplaining.scan.policy_document import PolicyDocument

    stacks = build_stacks(new_app(), AppConfig.from_dict(CONTEXT["constructs-iam"]))
    model = AccessModel.from_stack(stacks.production_access)
    document = PolicyDocument(model.effective_policy(DEV_ROLE))
    allowed = {a.lower() for a in document.all_allowed_actions}
    assert len(allowed) >= 6000
    classes = {a.lower(): c for a, c in classified_actions().items()}
    assert [a for a in allowed if classes.get(a, "config") != "config"] == []


# ------------------------------------------------------------------------ classification as data

def test_every_action_of_the_catalogs_read_only_access_is_classified():
    entry, actions = read_only_access()
    assert unclassified(actions) == [], "run python -m tools.classify_read_only, review the new actions, commit"
    recorded = classification()["catalog"]
    assert recorded["catalog_update_date"] == entry["UpdateDate"]
    assert recorded["actions"] == len(actions)


def test_an_unclassified_action_fails_the_review():
    _, actions = read_only_access()
    assert unclassified([*actions, "newservice:GetCustomerRecords"]) == ["newservice:GetCustomerRecords"]


def test_every_class_decision_names_a_rule_with_a_reason():
    stored = classification()
    for action, item in stored["decisions"].items():
        rule = stored["rules"][item["rule"]]
        assert rule["class"] == item["class"] and len(rule["reason"]) > 20, action


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
            ("logs:GetQueryResults", "*")]
    traces = [("xray:BatchGetTraces", "*"), ("xray:GetTraceSummaries", "*")]
    with_logs = role_model(extras=[DeveloperExtra.LOGS])
    assert decide(with_logs, DEV_ROLE, logs, True) == []
    assert decide(with_logs, DEV_ROLE, traces + DATA_READS[:12], False) == []
    with_traces = role_model(extras=[DeveloperExtra.TRACES])
    assert decide(with_traces, DEV_ROLE, traces, True) == []
    assert decide(with_traces, DEV_ROLE, logs, False) == []


def test_the_view_only_level_stays_for_teams_that_want_it():
    model = role_model(access=DeveloperAccess.VIEW_ONLY)
    assert decide(model, DEV_ROLE, [("ec2:DescribeInstances", "*"), ("iam:ListRoles", "*")], True) == []
    assert decide(model, DEV_ROLE, DATA_READS[:11], False) == []


# ------------------------------------------------------------------- who did what, and until when

def test_an_end_date_holds_and_a_past_or_naive_one_is_refused():
    end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    model = role_model(expires=end)
    caller = "arn:aws:iam::111111111111:user/alice"
    person = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60", "sts:SourceIdentity": "alice"}
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
    mfa = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}
    assert model.can_assume(role=DEV_ROLE, caller=caller, context={**mfa, "sts:SourceIdentity": "alice"}).allowed is True
    assert model.can_assume(role=DEV_ROLE, caller=caller, context=mfa).allowed is False


@pytest.mark.parametrize(("props", "message"), [
    ({"access": "configuration"}, "access 'configuration' must be one of"),
    ({"extras": ["logs"]}, "extras 'logs' must contain DeveloperExtra values"),
    ({"extras": [DeveloperExtra.LOGS], "access": DeveloperAccess.VIEW_ONLY}, "extras ['LOGS'] open data of the CONFIGURATION level"),
    ({"expires": "2030-01-01"}, "expires '2030-01-01' must be a datetime.datetime"),
])
def test_bad_levels_and_dates_are_refused_naming_the_prop(props, message):
    with pytest.raises(PropsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        DeveloperReadOnlyRole(Stack(App(), "P", env=ENV), "Dev", trusted_account_id="111111111111", **props)
