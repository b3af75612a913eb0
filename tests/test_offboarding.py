"""Offboarding is a state: an offboarded person keeps the IAM user and can do nothing with it.

The sample app with bob.example marked ``"status": "offboarded"`` is synthesized once, with every
check (IamGuardrails, cdk-nag); its templates are read as written and evaluated with the access
model (AWS's policy evaluation logic): bob cannot sign in, has no key, may do no action and assume
no role, not even from a session issued before (source identity), while the others keep their access.
"""

from __future__ import annotations

import copy

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam

from constructs_iam import HumanUser, PeopleGroup, PersonStatus, PropsError
from constructs_iam.access import AccessModel
from constructs_iam.offboarding import PERSON_METADATA, REVOKE_ACTIONS_ON_USER
from stacks import AppConfig, ConfigError, build_stacks, register_checks

from .support import CONTEXT, cfn_lint, guardrail_findings, new_app, new_stack

IDENTITY = "111111111111"
BOB = f"arn:aws:iam::{IDENTITY}:user/bob.example"
ALICE = f"arn:aws:iam::{IDENTITY}:user/alice.example"
ONCALL = f"arn:aws:iam::{IDENTITY}:role/OnCall"  # a role of the identity account, outside the model
MFA = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}


def offboarded_sample(name: str = "bob.example") -> dict:
    raw = copy.deepcopy(CONTEXT["constructs-iam"])
    for user in raw["identity"]["users"]:
        if user["name"] == name:
            user["status"] = "offboarded"
    return raw


@pytest.fixture(scope="module")
def app():
    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(offboarded_sample()))
    register_checks(app)
    findings = guardrail_findings(app, None)
    assembly = app.synth()
    templates = {s.stack_name: assembly.get_stack_by_name(s.stack_name).template for s in stacks.all()}
    model = AccessModel()
    for stack in (stacks.identity, stacks.production_access):
        template = templates[stack.stack_name]
        paths = {stack.resolve(stack.get_logical_id(role.node.default_child)): role.node.path
                 for role in (getattr(stack, "developer_role", None), stack.support_role) if role is not None
                 for role in [role.role]}
        model.add_template(template, account=stack.account, region=stack.region, stack_name=stack.stack_name,
                           paths=paths)
    return {"stacks": stacks, "findings": findings, "templates": templates, "model": model}


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def person(resource: dict) -> dict | None:
    return (resource.get("Metadata") or {}).get(PERSON_METADATA)


def identity_template(app) -> dict:
    return app["templates"][app["stacks"].identity.stack_name]


# ------------------------------------------------------------------------------------- templates


def test_offboarding_passes_every_check(app):
    assert app["findings"] == []


def test_offboarded_user_is_kept_without_password_groups_or_key(app):
    template = identity_template(app)
    (logical_id, user), = [(k, u) for k, u in resources(template, "AWS::IAM::User").items()
                           if u["Properties"]["UserName"] == "bob.example"]
    assert user["DeletionPolicy"] == "Retain"  # kept for audit history
    assert "LoginProfile" not in user["Properties"]
    assert not user["Properties"].get("Groups")
    assert not {"Policies", "ManagedPolicyArns"} & set(user["Properties"])
    assert person(user) == {"name": "bob.example", "status": "offboarded"}
    keys = [k for k in resources(template, "AWS::IAM::AccessKey").values()
            if k["Properties"]["UserName"] == {"Ref": logical_id}]
    assert keys == []
    secrets = [s for s in resources(template, "AWS::SecretsManager::Secret").values()
               if s["Properties"]["Name"].startswith("people/bob.example/")]
    assert secrets == []


def test_offboarded_user_has_a_deny_all_boundary_not_a_user_policy(app):
    template = identity_template(app)
    (user,) = [u for u in resources(template, "AWS::IAM::User").values() if u["Properties"]["UserName"] == "bob.example"]
    boundary = template["Resources"][user["Properties"]["PermissionsBoundary"]["Ref"]]
    assert boundary["Properties"]["PolicyDocument"]["Statement"] == [
        {"Sid": "OffboardedDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]
    assert not boundary["Properties"].get("Users")  # a boundary, attached to nobody as a policy


def test_active_people_keep_password_groups_and_no_boundary(app):
    template = identity_template(app)
    for user in resources(template, "AWS::IAM::User").values():
        if user["Properties"]["UserName"] != "bob.example":
            configured = next(u for u in CONTEXT["constructs-iam"]["identity"]["users"]
                              if u["name"] == user["Properties"]["UserName"])
            assert user["Properties"]["Groups"]
            assert ("LoginProfile" in user["Properties"]) is configured.get("console_access", True)
            assert "PermissionsBoundary" not in user["Properties"]
            assert person(user)["status"] == "active"


def test_revoker_may_revoke_only_the_offboarded_users_credentials(app):
    template = identity_template(app)
    (revocation,) = resources(template, "Custom::OffboardedCredentials").values()
    (bob_id,) = [k for k, u in resources(template, "AWS::IAM::User").items() if u["Properties"]["UserName"] == "bob.example"]
    assert revocation["Properties"]["UserName"] == {"Ref": bob_id}  # so it runs after the user's update
    policies = [p for p in resources(template, "AWS::IAM::ManagedPolicy").values()
                if any(s.get("Sid") == "RevokeOffboardedCredentials" for s in p["Properties"]["PolicyDocument"]["Statement"])]
    (policy,) = policies
    by_sid = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    assert sorted(by_sid["RevokeOffboardedCredentials"]["Action"]) == sorted(REVOKE_ACTIONS_ON_USER)
    assert by_sid["RevokeOffboardedCredentials"]["Resource"] == {"Fn::GetAtt": [bob_id, "Arn"]}
    assert by_sid["RemoveOffboardedFromGroups"]["Action"] == "iam:RemoveUserFromGroup"
    assert set(by_sid) == {"RevokeOffboardedCredentials", "RemoveOffboardedFromGroups", "WriteOwnLogs"}
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in by_sid.values())


def test_nothing_is_added_while_nobody_is_offboarded():
    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(CONTEXT["constructs-iam"]))
    assembly = app.synth()
    for stack in stacks.all():
        template = assembly.get_stack_by_name(stack.stack_name).template
        assert not resources(template, "Custom::OffboardedCredentials")
        for role in resources(template, "AWS::IAM::Role").values():
            assert "DenyOffboarded" not in str(role["Properties"]["AssumeRolePolicyDocument"])


# ------------------------------------------------------------------------------- access, decided


def test_offboarded_person_cannot_sign_in_or_change_credentials(app):
    model = app["model"]
    for action in ("iam:ChangePassword", "iam:CreateAccessKey", "iam:EnableMFADevice", "sts:GetSessionToken"):
        decision = model.evaluate(principal=BOB, action=action, resource=BOB, context=MFA)
        assert decision.allowed is False and decision.outcome == "explicit-deny", (action, decision.reason)
    # alice, still active, may do what it takes to sign in
    assert model.evaluate(principal=ALICE, action="iam:ChangePassword", resource=ALICE).allowed is True


def test_offboarded_persons_keys_are_refused_everything(app):
    """A key left anywhere (a rotation's, made by hand) acts as bob: the boundary denies every action."""
    model = app["model"]
    for action, resource in (("s3:GetObject", "arn:aws:s3:::any-bucket/any"), ("iam:ListUsers", "*"),
                             ("secretsmanager:GetSecretValue",
                              f"arn:aws:secretsmanager:eu-west-1:{IDENTITY}:secret:people/bob.example/access-key-AbCdEf")):
        decision = model.evaluate(principal=BOB, action=action, resource=resource, context=MFA)
        assert decision.allowed is False and "OffboardedDenyAll" in decision.reason, (action, decision.reason)


@pytest.mark.parametrize("role", ["ConstructsIam-ProductionAccess/DeveloperReadOnly/Role",
                                  "ConstructsIam-ProductionAccess/Support/Role", "ConstructsIam-Identity/Support/Role"])
def test_offboarded_person_cannot_assume_any_role_people_assume(app, role):
    model = app["model"]
    as_bob = {**MFA, "sts:SourceIdentity": "bob.example"}
    refused = model.can_assume(role=role, caller=BOB, context=as_bob)
    assert refused.allowed is False and refused.outcome == "explicit-deny", refused.reason
    # a session issued before offboarding (its source identity is bob) cannot open a new one
    chained = model.can_assume(role=role, caller=ONCALL, context=as_bob)
    assert chained.allowed is False and "DenyOffboardedBySourceIdentity" in chained.reason
    # the same trust still admits an active person, under their own name (a user whose own policies are
    # outside the model: the trust alone decides)
    colleague = f"arn:aws:iam::{IDENTITY}:user/frank.example"
    as_frank = {**MFA, "sts:SourceIdentity": "frank.example"}
    assert model.can_assume(role=role, caller=colleague, context=as_frank).allowed is True


# ---------------------------------------------------------------------------- wrong input refused


def test_offboarded_person_with_groups_is_refused():
    stack = new_stack()
    group = PeopleGroup(stack, "Devs")
    with pytest.raises(PropsError, match=r"groups .* must be empty for an offboarded person"):
        HumanUser(stack, "Bob", user_name="bob", groups=[group], status=PersonStatus.OFFBOARDED)


@pytest.mark.parametrize("status", ["offboarded", None, 1])
def test_status_must_be_a_person_status(status):
    stack = new_stack()
    with pytest.raises(PropsError, match=r"status .* must be a constructs_iam.PersonStatus"):
        HumanUser(stack, "Bob", user_name="bob", groups=[PeopleGroup(stack, "Devs")], status=status)


def test_renamed_from_must_name_another_user():
    stack = new_stack()
    with pytest.raises(PropsError, match=r"renamed_from 'bob' is the user_name itself"):
        HumanUser(stack, "Bob", user_name="bob", groups=[PeopleGroup(stack, "Devs")], renamed_from="bob")


def test_offboarded_library_user_in_its_own_stack_gets_its_own_boundary_and_revoker():
    stack = new_stack()
    user = HumanUser(stack, "Bob", user_name="bob", groups=[], status=PersonStatus.OFFBOARDED)
    other = HumanUser(stack, "Carol", user_name="carol", groups=[], status=PersonStatus.OFFBOARDED)
    assert user.user.permissions_boundary is other.user.permissions_boundary  # one deny-all policy per stack
    assert user.initial_password is None and user.access_key is None and user.access_key_secret is None
    template = Stack.of(user).resolve(user.user.node.default_child.permissions_boundary)
    assert template == {"Ref": Stack.of(user).get_logical_id(
        stack.node.find_child("OffboardedDenyAll").node.default_child)}
    assert isinstance(user.user, iam.User)


def test_config_offboarded_person_needs_no_groups_and_status_is_checked():
    raw = copy.deepcopy(CONTEXT["constructs-iam"])
    raw["identity"]["users"].append({"name": "erin.example", "status": "offboarded"})
    (erin,) = [u for u in AppConfig.from_dict(raw).identity.users if u.name == "erin.example"]
    assert erin.offboarded and erin.groups == ()
    raw["identity"]["users"][-1]["status"] = "gone"
    with pytest.raises(ConfigError, match=r"users\[4\]\.status 'gone' must be active or offboarded"):
        AppConfig.from_dict(raw)
    raw["identity"]["users"][-1] = {"name": "erin.example", "stauts": "offboarded", "groups": ["developers"]}
    with pytest.raises(ConfigError, match=r"stauts is not a known key; did you mean 'status'"):
        AppConfig.from_dict(raw)


def test_offboarding_templates_are_clean_under_cfn_lint(app, tmp_path):
    assert cfn_lint(identity_template(app), tmp_path, "identity") == []


def test_the_user_a_declared_rename_leaves_behind_cannot_assume_a_role_people_assume():
    """renamed_from replaces the user; AWS keeps the old one (retained) with its password and groups.
    Until someone offboards it, the roles people assume refuse it, by ARN and by source identity."""
    raw = copy.deepcopy(CONTEXT["constructs-iam"])
    raw["identity"]["users"][0].update(name="alice.renamed", renamed_from="alice.example")
    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(raw))
    template = app.synth().get_stack_by_name(stacks.production_access.stack_name).template
    model = AccessModel.from_template(template, account="222222222222", region="eu-west-1")
    for role in ("DeveloperReadOnly", "Support"):
        arn = f"arn:aws:iam::222222222222:role/{role}"
        old = model.can_assume(role=arn, caller=ALICE, context={**MFA, "sts:SourceIdentity": "alice.example"})
        assert old.allowed is False and old.outcome == "explicit-deny", (role, old.reason)
        chained = model.can_assume(role=arn, caller=ONCALL, context={**MFA, "sts:SourceIdentity": "alice.example"})
        assert chained.allowed is False and "DenyOffboardedBySourceIdentity" in chained.reason
        renamed = f"arn:aws:iam::{IDENTITY}:user/alice.renamed"
        assert model.can_assume(role=arn, caller=renamed, context={**MFA, "sts:SourceIdentity": "alice.renamed"}).allowed is True
