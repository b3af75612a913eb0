"""RootActivityAlarm: any use of the root user raises an alarm."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jsii

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from . import _validation as v
from .key_policy import kms_key_policy

_EMAIL = v.EMAIL
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}\Z")

ROOT_ACTIVITY_PATTERN: dict[str, Any] = {
    "detail-type": ["AWS Console Sign In via CloudTrail", "AWS API Call via CloudTrail"],
    "userIdentity": {"type": ["Root"], "invokedBy": [{"exists": False}]},
    "eventType": [{"anything-but": "AwsServiceEvent"}],
}
"""CIS AWS Foundations 1.7 / CloudWatch.1: root activity not on behalf of an AWS service."""


class RootActivityAlarm(Construct):
    """An EventBridge rule on the root user's console sign-ins and API calls, feeding an SNS topic.

    The topic is encrypted with a customer managed KMS key (rotation on), refuses non-TLS
    publishing and subscribing (``aws:SecureTransport``), and accepts publishing only from this
    rule (``aws:SourceArn``).

    Where events arrive:

    - Console sign-in events of the root user are delivered to EventBridge in **us-east-1** (the
      sign-in endpoint is global): deploy this construct in us-east-1 to see them.
    - API calls reach EventBridge in the region where they were made, only through **CloudTrail**
      management events: a trail (an organization trail, or one in this account) must be on.
      For full coverage deploy it in every region you use, or forward events to one region.

    :param emails: e-mail addresses to notify (each must confirm its subscription). Default: none.
    :param topic_name: the SNS topic's name. Default: generated.
    :param encryption_key: the KMS key for the topic. Default: a new key with rotation.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        emails: Sequence[str] = (),
        topic_name: str | None = None,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
        with v.Checks(self) as check:
            addresses = check(v.sequence, "emails", emails, what="e-mail addresses") or []
            for email in addresses:
                if not isinstance(email, str) or (not v.is_token(email) and not v.matches(_EMAIL, email)):
                    check.fail("emails", email, "must be an e-mail address")
            check(v.unique_items, "emails", addresses, key=lambda e: e.lower() if isinstance(e, str) else e)
            if encryption_key is not None and not v.has(encryption_key, "key_arn"):
                check.fail("encryption_key", encryption_key, "must be an aws_kms.IKey")
            elif encryption_key is not None and not isinstance(encryption_key, kms.Key):
                check.warn("encryption_key", encryption_key.key_arn if not v.is_token(encryption_key.key_arn)
                           else encryption_key.node.path, "is not a key this app creates, so its key policy cannot be "
                           "changed here: it must let events.amazonaws.com use kms:Decrypt and kms:GenerateDataKey "
                           "(aws:SourceAccount this account), or EventBridge cannot publish and root activity alerts "
                           "are lost")
            if topic_name is not None and not v.is_token(topic_name) and (
                    not v.matches(_TOPIC_NAME, topic_name)):
                check.fail("topic_name", topic_name, "must be 1 to 256 letters, digits, '-' or '_'")
        stack = Stack.of(self)
        self.key = encryption_key or kms.Key(
            self,
            "TopicKey",
            enable_key_rotation=True,
            description="Encrypts the root activity alarm topic",
            removal_policy=RemovalPolicy.RETAIN,
            policy=kms_key_policy(self),  # administration only; EventBridge gets its statement below
        )
        self.topic = sns.Topic(self, "Topic", topic_name=topic_name, master_key=self.key, enforce_ssl=True)
        self.rule = events.Rule(
            self,
            "Rule",
            description="Root user console sign-in or API call (CIS AWS Foundations: root activity)",
            event_pattern=events.EventPattern(
                detail_type=ROOT_ACTIVITY_PATTERN["detail-type"],
                detail={
                    "userIdentity": ROOT_ACTIVITY_PATTERN["userIdentity"],
                    "eventType": ROOT_ACTIVITY_PATTERN["eventType"],
                },
            ),
        )
        eventbridge = {"Service": "events.amazonaws.com"}  # statements as plain data: one object each for CDK
        if isinstance(self.key, kms.Key):
            self.key.add_to_resource_policy(iam.PolicyStatement.from_json({
                "Sid": "AllowRootActivityRuleToEncrypt", "Effect": "Allow", "Principal": eventbridge,
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",  # in a key policy, "*" means this key
                "Condition": {"StringEquals": {"aws:SourceAccount": stack.account}},
            }))
        self.topic.add_to_resource_policy(iam.PolicyStatement.from_json({
            "Sid": "AllowOnlyTheRootActivityRuleToPublish", "Effect": "Allow", "Principal": eventbridge,
            "Action": "sns:Publish", "Resource": self.topic.topic_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": self.rule.rule_arn}},
        }))
        # Not events_targets.SnsTopic: it also grants events.amazonaws.com sns:Publish without the
        # aws:SourceArn condition, which would undo the statement above.
        self.rule.add_target(_TopicTarget(self.topic))  # type: ignore[arg-type]  # a jsii protocol implementation
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


@jsii.implements(events.IRuleTarget)
class _TopicTarget:
    """Sends matched events to a topic; the topic's policy is written by RootActivityAlarm."""

    def __init__(self, topic: sns.ITopic) -> None:
        self.topic = topic

    def bind(self, _rule: events.IRule, _id: Any = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self.topic.topic_arn)
