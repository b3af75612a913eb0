"""The management stack's policies in the local emulator (moto's server, tools/emulator.py).

What this proves: Organizations accepts every synthesized SCP and RCP (content, type, name,
description) and attaches them to their targets, and the documents the emulator then holds decide
the same requests as the synthesized ones (AccessModel reads them back). What it cannot: moto's
CloudFormation has no AWS::Organizations::Policy (tools/organization_local.py plays its part
through the API); moto does not enforce SCPs or RCPs on requests, nor the 5,120-character and
5-per-target quotas; IAM's centralized root access calls are not in moto, so the custom resource's
handler is tested against botocore's Stubber (tests/test_centralized_root_access.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from aws_cdk.assertions import Template

from constructs_iam.access import Organization
from stacks import AppConfig, build_stacks
from tools.emulator import LocalAws
from tools.organization_local import apply_policies, read_back

from .support import CONTEXT, new_app

PRODUCTION = "222222222222"


@pytest.fixture(scope="module")
def template() -> dict:
    stacks = build_stacks(new_app(), AppConfig.from_dict(CONTEXT["constructs-iam"]))
    return Template.from_stack(stacks.organization).to_json()


@pytest.fixture(scope="module")
def aws(tmp_path_factory) -> Iterator[LocalAws]:
    with LocalAws(log_path=tmp_path_factory.mktemp("moto") / "moto.log") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def applied(aws, template):
    organizations = aws.client("organizations")
    ids = apply_policies(organizations, template)
    return organizations, ids


def test_organizations_accepts_every_policy_with_its_content_and_targets(applied, template):
    organizations, ids = applied
    held = read_back(organizations, template, ids)
    synthesized = {r["Properties"]["Name"]: r["Properties"] for r in template["Resources"].values()
                   if r["Type"] == "AWS::Organizations::Policy"}
    assert {p["Properties"]["Name"] for p in held["Resources"].values()} == set(synthesized)
    for policy in held["Resources"].values():
        props = policy["Properties"]
        assert json.loads(props["Content"]) == synthesized[props["Name"]]["Content"]
        assert props["Type"] == synthesized[props["Name"]]["Type"]
        assert props["TargetIds"] == sorted(synthesized[props["Name"]]["TargetIds"])


def test_the_policies_the_emulator_holds_decide_like_the_synthesized_ones(applied, template):
    organizations, ids = applied
    deployed, synthesized = Organization.from_template(read_back(organizations, template, ids)), Organization.from_template(template)
    requests = [
        dict(principal=f"arn:aws:iam::{PRODUCTION}:root", action="s3:GetObject", resource="arn:aws:s3:::b/k"),
        dict(principal=f"arn:aws:iam::{PRODUCTION}:role/Admin", action="iam:AttachRolePolicy",
             resource=f"arn:aws:iam::{PRODUCTION}:role/DeveloperReadOnly"),
        dict(principal="arn:aws:iam::444444444444:role/Outsider", action="s3:GetObject", resource="arn:aws:s3:::b/k"),
        dict(principal=f"arn:aws:iam::{PRODUCTION}:role/Admin", action="iam:CreateUser", resource="*"),
        dict(principal=f"arn:aws:iam::{PRODUCTION}:role/Admin", action="s3:GetObject", resource="arn:aws:s3:::b/k"),
    ]
    context = {"aws:SecureTransport": "true", "aws:RequestedRegion": "eu-west-1"}
    for request in requests:
        a = deployed.gates(**request, resource_account=PRODUCTION, context=context)
        b = synthesized.gates(**request, resource_account=PRODUCTION, context=context)
        assert (None if a is None else a.reason) == (None if b is None else b.reason), request
    assert sum(1 for r in requests if synthesized.gates(**r, resource_account=PRODUCTION, context=context) is not None) == 4


def test_the_emulator_has_neither_trusted_access_for_iam_nor_centralized_root_access(aws, applied):
    """Both steps of CentralizedRootAccess are missing from moto 5.2.5: when this test fails, moto
    has one of them, and the handler can run against the emulator too."""
    organizations, _ = applied
    with pytest.raises(organizations.exceptions.InvalidInputException, match="unrecognized service principal"):
        organizations.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    from moto.iam.responses import IamResponse

    missing = [name for name in ("list_organizations_features", "enable_organizations_root_credentials_management",
                                 "enable_organizations_root_sessions") if not hasattr(IamResponse, name)]
    assert len(missing) == 3
    with pytest.raises((ClientError, ResponseParserError)):  # the server fails on the unknown action
        aws.client("iam").list_organizations_features()
