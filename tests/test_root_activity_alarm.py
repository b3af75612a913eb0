"""RootActivityAlarm: root sign-ins and API calls reach an encrypted, TLS-only topic."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from constructs_iam import RootActivityAlarm

from .support import logical_id, nag_findings, new_stack


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    alarm = RootActivityAlarm(stack, "Root", emails=["security@example.com", "oncall@example.com"])
    return stack, Template.from_stack(stack), alarm


def test_rule_matches_root_sign_ins_and_api_calls_not_made_by_services(built):
    _, template, _ = built
    template.has_resource_properties("AWS::Events::Rule", {"EventPattern": {
        "detail-type": ["AWS Console Sign In via CloudTrail", "AWS API Call via CloudTrail"],
        "detail": {"userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]},
                   "eventType": [{"anything-but": "AwsServiceEvent"}]},
    }})


def test_topic_is_encrypted_with_a_rotating_key(built):
    _, template, alarm = built
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": {"Fn::GetAtt": [logical_id(alarm.key), "Arn"]}})
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_topic_accepts_only_tls_and_only_this_rule(built):
    _, template, alarm = built
    (policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [{
        "Sid": "AllowOnlyTheRootActivityRuleToPublish", "Effect": "Allow", "Action": "sns:Publish",
        "Principal": {"Service": "events.amazonaws.com"}, "Resource": {"Ref": logical_id(alarm.topic)},
        "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [logical_id(alarm.rule), "Arn"]}}},
    }]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)


def test_email_subscriptions(built):
    _, template, _ = built
    template.resource_count_is("AWS::SNS::Subscription", 2)
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "security@example.com"})


def test_rule_targets_the_topic(built):
    _, template, alarm = built
    template.has_resource_properties("AWS::Events::Rule", {"Targets": [Match.object_like({"Arn": {"Ref": logical_id(alarm.topic)}})]})


def test_passes_nag_packs(built):
    stack, *_ = built
    assert nag_findings(stack) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"emails": ["not-an-address"]}, "emails 'not-an-address' must be an e-mail address"),
        ({"emails": "a@example.com"}, "emails 'a@example.com' must be a list"),
        ({"emails": None}, "emails None must be a list of e-mail addresses"),
        ({"emails": ["a@example.com", "a@example.com"]}, "is listed more than once"),
        ({"topic_name": "bad name"}, "topic_name 'bad name' must be"),
    ],
)
def test_bad_input_is_a_value_error_naming_prop_and_value(kwargs, message):
    with pytest.raises(ValueError) as error:
        RootActivityAlarm(new_stack(), "Root", **kwargs)
    assert message in str(error.value)
