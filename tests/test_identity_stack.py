"""The identity stack: people only in groups, developers may assume the production role with MFA."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from stacks import AppConfig, build_stacks

from .support import CONTEXT, logical_id, new_app

SAMPLE = CONTEXT["constructs-iam"]


@pytest.fixture(scope="module")
def identity():
    stacks = build_stacks(new_app(), AppConfig.from_dict(SAMPLE))
    return stacks.identity, Template.from_stack(stacks.identity)


def test_one_user_per_configured_person_each_only_in_groups(identity):
    stack, template = identity
    users = template.find_resources("AWS::IAM::User")
    assert sorted(u["Properties"]["UserName"] for u in users.values()) == sorted(u["name"] for u in SAMPLE["identity"]["users"])
    for user in users.values():
        assert user["Properties"]["Groups"], user
        assert not {"Policies", "ManagedPolicyArns"} & set(user["Properties"])
        assert user["DeletionPolicy"] == "Retain"


def test_developers_group_may_assume_the_production_role_with_mfa(identity):
    stack, template = identity
    policy = template.to_json()["Resources"][logical_id(stack.assume_production)]
    assert policy["Properties"]["Groups"] == [{"Ref": logical_id(stack.groups["developers"].group)}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == "arn:aws:iam::222222222222:role/DeveloperReadOnly"
    assert statement["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}


def test_only_developers_can_assume(identity):
    stack, template = identity
    assume = [p for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
              if "sts:AssumeRole" in json.dumps(p["Properties"]["PolicyDocument"])]
    # the production read-only role and the instance session role
    assert [p["Properties"]["Groups"] for p in assume] == [[{"Ref": logical_id(stack.groups["developers"].group)}]] * 2


def test_every_group_enforces_mfa(identity):
    stack, template = identity
    for group in stack.groups.values():
        policy = template.to_json()["Resources"][logical_id(group.mfa_policy)]
        sids = [s["Sid"] for s in policy["Properties"]["PolicyDocument"]["Statement"]]
        assert "DenyAllExceptListedIfNoMFA" in sids


def test_password_policy_uses_the_configured_values(identity):
    _, template = identity
    template.has_resource_properties("Custom::AccountPasswordPolicy", {"MinimumPasswordLength": 14, "PasswordReusePrevention": 24, "MaxPasswordAge": 90})


def test_no_secret_or_password_in_outputs(identity):
    _, template = identity
    outputs = json.dumps(template.to_json().get("Outputs", {}))
    assert "Secret" not in outputs and "Password" not in outputs and "resolve:secretsmanager" not in outputs
