"""Session Manager instead of SSH keys: the agent's minimal permissions as part of the instance
role pattern, InstanceSessionAccess (tagged instances, named documents, own sessions, MFA), and the
account's preferences (logged, encrypted). Intent checked with AccessModel."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from constructs_iam import (
    Ec2S3ReadOnlyRole,
    IamGuardrails,
    InstanceSessionAccess,
    PropsError,
    S3Location,
    SessionDocument,
    SessionPreferences,
)
from constructs_iam.access import AccessModel

from .support import actions_of, guardrail_findings, logical_id, nag_findings, new_app, new_stack, policy_statements

ACCOUNT, REGION, IDENTITY = "222222222222", "eu-west-1", "111111111111"
INSTANCE = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0"
SHELL = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/SSM-SessionManagerRunShell"
PORT_FORWARDING = f"arn:aws:ssm:{REGION}::document/AWS-StartPortForwardingSession"
SESSION = f"arn:aws:ssm:{REGION}:{ACCOUNT}:session/alice-0a1b2c3d4e5f67890"
ALICE = "AROAEXAMPLEROLEID1234:alice.example"


@pytest.fixture(scope="module")
def built():
    app = new_app()
    stack = new_stack(app)
    IamGuardrails.of(app)
    prefs = SessionPreferences(stack, "SessionPreferences")
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "acme-data")
    reader = Ec2S3ReadOnlyRole(stack, "Reader", locations=[S3Location(bucket, "reports/")], session_manager=prefs)
    access = InstanceSessionAccess(stack, "Session", trusted_account_id=IDENTITY, instance_tag_key="team",
                                   instance_tag_value="web", preferences=prefs)
    template = Template.from_stack(stack)
    return app, stack, template, prefs, reader, access, AccessModel.from_stack(stack)


def start(model, role, resource, **context):
    ctx = {"ssm:SessionDocumentAccessCheck": "true", **context}
    return model.evaluate(principal=role.role.node.path, action="ssm:StartSession", resource=resource, context=ctx).allowed


def test_a_developer_opens_a_shell_only_on_tagged_instances(built):
    *_, access, model = built
    assert start(model, access, INSTANCE, **{"ssm:resourceTag/team": "web"}) is True
    assert start(model, access, INSTANCE, **{"ssm:resourceTag/team": "database"}) is False
    assert start(model, access, INSTANCE) is False  # untagged
    assert start(model, access, f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0fedcba9876543210",
                 **{"ssm:resourceTag/owner": "web"}) is False


def test_only_listed_session_documents_can_be_used(built):
    *_, access, model = built
    assert start(model, access, SHELL) is True
    assert start(model, access, PORT_FORWARDING) is False
    assert start(model, access, f"arn:aws:ssm:{REGION}::document/AWS-StartSSHSession") is False
    assert start(model, access, f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/AWS-RunShellScript") is False


def test_no_one_can_end_or_resume_another_persons_session(built):
    *_, access, model = built
    for action in ("ssm:TerminateSession", "ssm:ResumeSession"):
        own = model.evaluate(principal=access.role.node.path, action=action, resource=SESSION, context={
            "aws:userid": ALICE, "ssm:resourceTag/aws:ssmmessages:session-id": ALICE})
        other = model.evaluate(principal=access.role.node.path, action=action, resource=SESSION, context={
            "aws:userid": ALICE, "ssm:resourceTag/aws:ssmmessages:session-id": "AROAEXAMPLEROLEID1234:bob.example"})
        assert (own.allowed, other.allowed) == (True, False), action


def test_session_role_needs_mfa_and_a_source_identity(built):
    _, _, template, _, _, access, model = built
    caller = f"arn:aws:iam::{IDENTITY}:user/alice.example"
    assert model.can_assume(role=access.role.node.path, caller=caller, context={
        "aws:MultiFactorAuthPresent": "false", "sts:SourceIdentity": "alice.example"}).allowed is False
    assert model.can_assume(role=access.role.node.path, caller=caller, context={
        "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "300"}).allowed is False
    assert model.can_assume(role=access.role.node.path, caller=caller, context={
        "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "300", "aws:username": "alice.example",
        "sts:SourceIdentity": "alice.example", "sts:RoleSessionName": "alice.example"}).allowed is True
    trust = template.to_json()["Resources"][logical_id(access.role)]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Action"] == ["sts:AssumeRole", "sts:SetSourceIdentity"]


def test_no_one_can_take_another_persons_session_name(built):
    # aws:userid of a role session is <role id>:<session name>: if Alice could pick "bob.example" as
    # her session name, Bob's sessions would be "her own" (resume = take over his shell)
    _, _, _, _, _, access, model = built
    alice = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "300", "aws:username": "alice.example",
             "sts:SourceIdentity": "alice.example"}
    caller = f"arn:aws:iam::{IDENTITY}:user/alice.example"
    assert model.can_assume(role=access.role.node.path, caller=caller,
                            context={**alice, "sts:RoleSessionName": "bob.example"}).allowed is False
    assert model.can_assume(role=access.role.node.path, caller=caller, context=alice).allowed is False
    role_caller = {k: v for k, v in alice.items() if k != "aws:username"}  # a role session has no user name
    assert model.can_assume(role=access.role.node.path, caller=f"arn:aws:iam::{IDENTITY}:role/someone",
                            context={**role_caller, "sts:RoleSessionName": "bob.example"}).allowed is False


def test_session_role_holds_nothing_but_sessions(built):
    _, _, template, _, _, access, _ = built
    assert actions_of(policy_statements(template, access.policy)) == {
        "ssm:StartSession", "ssm:ResumeSession", "ssm:TerminateSession", "kms:GenerateDataKey"}


def test_instance_role_holds_only_what_the_agent_needs_and_no_managed_policy(built):
    _, _, template, prefs, reader, _, model = built
    statements = policy_statements(template, reader.policy)
    assert actions_of(statements) - {"s3:GetObject", "s3:ListBucket"} == {
        "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel", "ssm:UpdateInstanceInformation", "kms:Decrypt",
        "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:DescribeLogGroups"}
    role = template.to_json()["Resources"][logical_id(reader.role)]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role  # no AmazonSSMManagedInstanceCore
    path = reader.role.node.path
    assert model.evaluate(principal=path, action="ssm:GetParameter",
                          resource=f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/db-password").allowed is False
    assert model.evaluate(principal=path, action="ssm:SendCommand", resource=INSTANCE).allowed is False


def test_agent_statements_are_the_patterns_intent_not_a_widening(built):
    app, *_ = built
    assert guardrail_findings(app) == []


def test_preferences_log_shell_sessions_encrypted(built):
    _, _, template, prefs, *_ = built
    template.has_resource_properties("AWS::SSM::Document", {
        "Name": "SSM-SessionManagerRunShell", "DocumentType": "Session",
        "Content": Match.object_like({"sessionType": "Standard_Stream", "inputs": Match.object_like({
            "cloudWatchLogGroupName": {"Ref": logical_id(prefs.log_group)},
            "cloudWatchEncryptionEnabled": True,
            "kmsKeyId": {"Fn::GetAtt": [logical_id(prefs.key), "Arn"]},
            "runAsEnabled": False})}),
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {
        "KmsKeyId": {"Fn::GetAtt": [logical_id(prefs.key), "Arn"]}, "RetentionInDays": 365})


def test_passes_both_nag_packs(built):
    _, stack, *_ = built
    assert nag_findings(stack) == []


def test_port_forwarding_and_instance_connect_are_opt_in():
    stack = new_stack()
    prefs = SessionPreferences(stack, "Prefs", existing_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                               existing_log_group_name="sessions")
    access = InstanceSessionAccess(stack, "S", trusted_account_id=IDENTITY, instance_tag_key="team", instance_tag_value="web",
                                   preferences=prefs, documents=[SessionDocument.SHELL, SessionDocument.PORT_FORWARDING],
                                   instance_connect_os_users=["ec2-user"])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SSM::Document", 0)  # adopted, not created
    model = AccessModel.from_stack(stack)
    assert start(model, access, PORT_FORWARDING) is True
    send = dict(principal=access.role.node.path, action="ec2-instance-connect:SendSSHPublicKey", resource=INSTANCE)
    assert model.evaluate(**send, context={"aws:ResourceTag/team": "web", "ec2:osuser": "ec2-user"}).allowed is True
    assert model.evaluate(**send, context={"aws:ResourceTag/team": "web", "ec2:osuser": "root"}).allowed is False
    assert model.evaluate(**send, context={"aws:ResourceTag/team": "db", "ec2:osuser": "ec2-user"}).allowed is False


@pytest.mark.parametrize(("kwargs", "message"), [
    # a wildcard would give every instance role write access to every log group of the account
    ({"existing_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "existing_log_group_name": "*"}, "existing_log_group_name '*' must be a log group name"),
    ({"existing_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "existing_log_group_name": ""}, "existing_log_group_name '' must be a log group name"),
    ({"idle_timeout": Duration.seconds(90)}, "idle_timeout '1 minute 30 seconds' must be whole minutes"),
    ({"max_session": Duration.seconds(150)}, "max_session '2 minutes 30 seconds' must be whole minutes"),
])
def test_bad_preferences_fail_at_synth_naming_the_prop(kwargs, message):
    stack = new_stack()
    with pytest.raises(PropsError) as error:
        SessionPreferences(stack, "Prefs", **kwargs)
    assert message in str(error.value)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"instance_tag_value": "*"}, "instance_tag_value '*' must be 1 to 256 characters without wildcards"),
    ({"instance_tag_key": "aws:team"}, "instance_tag_key 'aws:team'"),
    ({"documents": []}, "documents"),
    ({"documents": ["AWS-StartSSHSession"]}, "must contain SessionDocument values"),
    ({"instance_connect_os_users": ["root"]}, "instance_connect_os_users 'root'"),
    ({"trusted_account_id": "1234"}, "trusted_account_id '1234'"),
])
def test_bad_input_fails_at_synth_naming_the_prop(kwargs, message):
    stack = new_stack()
    prefs = SessionPreferences(stack, "Prefs")
    props = {"trusted_account_id": IDENTITY, "instance_tag_key": "team", "instance_tag_value": "web", "preferences": prefs, **kwargs}
    with pytest.raises(PropsError) as error:
        InstanceSessionAccess(stack, "S", **props)
    assert message in str(error.value)
