"""Root activity alarms, one stack per region of the identity account."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from constructs_iam import AccessAnalyzer, RootActivityAlarm

from .config import AppConfig


class RootActivityStack(Stack):
    """``RootActivityAlarm`` in one region. us-east-1 sees root console sign-ins and IAM/STS calls."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, analyzer: bool = True, **kwargs: Any) -> None:
        """:param analyzer: create this account's Access Analyzer in this region (CIS 1.19). False when
        another stack of the app already does (identity and production one account): AWS allows one."""
        super().__init__(scope, id, **kwargs)
        self.alarm = RootActivityAlarm(self, "RootActivity", emails=list(config.identity.alarm_emails))
        self.analyzer = AccessAnalyzer(self, "AccessAnalyzer") if analyzer else None  # CIS 1.19: one per region
        CfnOutput(self, "AlarmTopicArn", value=self.alarm.topic.topic_arn)
