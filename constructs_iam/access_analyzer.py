"""AccessAnalyzer: IAM Access Analyzer in this account or organization (CIS AWS Foundations 1.19)."""

from __future__ import annotations

import re

from aws_cdk import aws_accessanalyzer as accessanalyzer
from constructs import Construct

from . import _validation as v

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,254}\Z")


class AccessAnalyzer(Construct):
    """An external-access analyzer of type ``ACCOUNT`` (default) or ``ORGANIZATION``.

    AWS allows one analyzer of each type per account and region: a second one in the same app for
    the same account, region and type is refused with ``PropsError`` naming both construct paths.
    An analyzer works in its own region: deploy one per region you use (the app does, in each of
    ``identity.root_alarm_regions``, and the StackSet in each of its regions). An organization
    analyzer belongs in the management account or a delegated administrator.

    :param organization: analyze the whole organization. Default: False (this account).
    :param analyzer_name: the analyzer's name. Default: generated.
    """

    def __init__(self, scope: Construct, id: str, *, organization: bool = False,
                 analyzer_name: str | None = None) -> None:
        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
        with v.Checks(self) as check:
            if not isinstance(organization, bool):
                check.fail("organization", organization, "must be True or False")
            if analyzer_name is not None and not v.is_token(analyzer_name) and (
                    not isinstance(analyzer_name, str) or not v.matches(_NAME, analyzer_name)):
                check.fail("analyzer_name", analyzer_name,
                                                 "must start with a letter: letters, digits, '_', '.', '-'")
        self.type = "ORGANIZATION" if organization else "ACCOUNT"
        account, region = v.deploy_target(self)
        v.one_per_scope(self, (account, region, self.type),
                        f"organization {organization!r}: a second {self.type} analyzer for account {account} in {region}")
        self.analyzer = accessanalyzer.CfnAnalyzer(self, "Resource", type=self.type, analyzer_name=analyzer_name)
