"""HumanUser(rotate_every=...) and AccessKeyRotation: the key rotates, the function's role touches
only that user's keys and that one secret (AccessModel), nothing secret in the template."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from constructs_iam import HumanUser, PeopleGroup, PropsError
from constructs_iam.access import AccessModel
from constructs_iam.key_rotation import AccessKeyRotation

from .support import logical_id, nag_findings, new_stack, policy_statements

ACCOUNT, REGION = "222222222222", "eu-west-1"


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    group = PeopleGroup(stack, "Developers", group_name="developers")
    dave = HumanUser(stack, "Dave", user_name="dave.example", groups=[group], console_access=False,
                     access_key=True, rotate_every=Duration.days(90))
    bob = HumanUser(stack, "Bob", user_name="bob.example", groups=[group], access_key=True)
    template = Template.from_stack(stack)
    return stack, template, dave, bob, AccessModel.from_stack(stack)


def test_rotating_key_is_created_by_the_rotation_not_by_cloudformation(built):
    _, template, dave, bob, _ = built
    assert dave.access_key is None and dave.rotation is not None
    keys = template.find_resources("AWS::IAM::AccessKey")
    assert [k["Properties"]["UserName"] for k in keys.values()] == [{"Ref": logical_id(bob.user)}]
    secret = template.to_json()["Resources"][logical_id(dave.access_key_secret)]["Properties"]
    assert "SecretString" not in secret and secret["Name"] == "people/dave.example/access-key"


def test_secrets_manager_rotates_every_90_days_from_the_first_deploy(built):
    _, template, dave, _, _ = built
    template.has_resource_properties("AWS::SecretsManager::RotationSchedule", {
        "SecretId": {"Ref": logical_id(dave.access_key_secret)},
        "RotationLambdaARN": {"Fn::GetAtt": [logical_id(dave.rotation.function), "Arn"]},
        "RotateImmediatelyOnUpdate": True,
        "RotationRules": {"AutomaticallyAfterDays": 90},
    })
    rule = template.find_resources("AWS::Events::Rule")
    (cleanup,) = [r["Properties"] for r in rule.values()]
    assert cleanup["ScheduleExpression"] == "rate(1 day)"
    assert '"GraceSeconds":604800' in str(cleanup["Targets"][0]["Input"])
    # the function finds its user in the secret's tag; no environment variables
    secret = template.to_json()["Resources"][logical_id(dave.access_key_secret)]["Properties"]
    assert {"Key": "constructs-iam:access-key-of", "Value": "dave.example"} in secret["Tags"]
    function = template.to_json()["Resources"][logical_id(dave.rotation.function)]["Properties"]
    assert "Environment" not in function


def test_rotation_role_holds_exactly_this_users_keys_this_secret_and_its_logs(built):
    _, template, dave, _, _ = built
    statements = {s["Sid"]: s for s in policy_statements(template, dave.rotation.policy)}
    assert statements["ManageThisUsersKeys"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:user/dave.example"
    assert sorted(statements["ManageThisUsersKeys"]["Action"]) == [
        "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"]
    assert statements["RotateThisSecret"]["Resource"] == {"Ref": logical_id(dave.access_key_secret)}
    assert statements["UseTheSecretsKeyThroughSecretsManager"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    assert set(statements) == {"ManageThisUsersKeys", "RotateThisSecret", "WriteOwnLogs",
                               "UseTheSecretsKeyThroughSecretsManager"}


def test_rotation_role_cannot_touch_another_users_keys_or_secret(built):
    stack, _, dave, bob, model = built
    role = dave.rotation.role.node.path
    for action in ("iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"):
        assert model.evaluate(principal=role, action=action,
                              resource=f"arn:aws:iam::{ACCOUNT}:user/dave.example").allowed is True
        assert model.evaluate(principal=role, action=action,
                              resource=f"arn:aws:iam::{ACCOUNT}:user/bob.example").allowed is False
    bob_secret = model.evaluate(principal=role, action="secretsmanager:PutSecretValue",
                                resource=f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:people/bob.example/access-key-AbCdEf")
    assert bob_secret.allowed is False


def test_rotation_passes_the_nag_packs_without_acknowledging_rotation(built):
    stack, *_ = built
    assert nag_findings(stack) == []


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"access_key": False, "rotate_every": Duration.days(90)}, "rotate_every '90 days' needs access_key=True"),
    ({"access_key": True, "rotate_every": Duration.days(400)}, "rotate_every"),
    ({"access_key": True, "rotate_every": Duration.hours(36)}, "must be whole days"),
    ({"access_key": True, "rotate_every": "90"}, "rotate_every '90' must be an aws_cdk.Duration"),
])
def test_bad_rotation_props_fail_at_synth_naming_the_prop(kwargs, message):
    stack = new_stack()
    group = PeopleGroup(stack, "G", group_name="g")
    with pytest.raises(PropsError) as error:
        HumanUser(stack, "U", user_name="u.example", groups=[group], **kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"user_name": None}, "user_name None is required"),
    # the next rotation deletes the previous key (two keys per user): a longer grace would be a false promise
    ({"rotate_every": Duration.days(5), "grace_period": Duration.days(7)},
     "grace_period '7 days' must be shorter than rotate_every (5 days)"),
])
def test_bad_access_key_rotation_props_fail_at_synth_naming_the_prop(kwargs, message):
    stack = new_stack()
    props = {"user_name": "u.example", "secret": secretsmanager.Secret(stack, "Secret"), "rotate_every": Duration.days(30), **kwargs}
    with pytest.raises(PropsError) as error:
        AccessKeyRotation(stack, "Rotation", **props)
    assert message in str(error.value)


def test_a_short_rotation_period_keeps_the_old_key_half_the_period_not_longer():
    stack = new_stack()
    group = PeopleGroup(stack, "G", group_name="g")
    user = HumanUser(stack, "U", user_name="u.example", groups=[group], console_access=False, access_key=True,
                     rotate_every=Duration.days(3))
    assert user.rotation is not None and user.rotation.grace_period.to_hours() == 36
