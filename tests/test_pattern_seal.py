"""A pattern's role is sealed by content: what the role ends up with is compared with the intent
its pattern registered, by every route ordinary CDK code takes (issue 19's independent cases).

Each widening fails synth naming the rule, the pattern's path and the construct that widened it;
each control (a refactor, a narrowing) synthesizes. No app here calls ``IamGuardrails.of`` unless
the test says so: the patterns guard themselves, in every stage and nested stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone

import jsii
import pytest
from aws_cdk import App, Aws, CfnCondition, CfnParameter, Environment, Fn, NestedStack, Stack, Stage, Tags
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_stacksets import StackSet, StackSetStack, StackSetTarget, StackSetTemplate

from constructs_iam import (
    DeveloperReadOnlyRole,
    Ec2S3ReadOnlyRole,
    GitHubActionsRole,
    IamGuardrails,
    PropsError,
    S3Access,
    S3Location,
    S3PrefixAccessRole,
    acknowledge,
    service_principal,
)

from .support import ENV, guardrail_findings, new_app

WRITE = iam.PolicyStatement(actions=["s3:PutObject"], resources=["arn:aws:s3:::elsewhere/*"])
WIDENED = "IamGuardrails-PatternWidened"


def reader(stack: Stack, id: str = "Pattern", **props) -> Ec2S3ReadOnlyRole:
    bucket = stack.node.try_find_child("Bucket") or s3.Bucket(stack, "Bucket", enforce_ssl=True)
    return Ec2S3ReadOnlyRole(stack, id, locations=[S3Location(bucket, "reports/")], **props)


def app_role(stack: Stack) -> S3PrefixAccessRole:
    bucket = stack.node.try_find_child("Bucket") or s3.Bucket(stack, "Bucket", enforce_ssl=True)
    return S3PrefixAccessRole(stack, "Pattern", assumed_by=service_principal("lambda.amazonaws.com"),
                              location=S3Location(bucket, "app/"), access=S3Access.READ)


def developer(stack: Stack) -> DeveloperReadOnlyRole:
    return DeveloperReadOnlyRole(stack, "Pattern", trusted_account_id="111111111111", role_name="DeveloperReadOnly")


def ci(stack: Stack) -> GitHubActionsRole:
    return GitHubActionsRole(stack, "Pattern", repository="acme/app", branches=["main"])


def run(build: Callable[[Stack], str | None], *, guard: bool = False) -> tuple[list, str | None]:
    app = new_app()
    stack = Stack(app, "Test", env=ENV)
    if guard:
        IamGuardrails.of(app)
    source = build(stack)
    return guardrail_findings(app), source


def assert_refused(found: list, source: str, pattern: str = "Test/Pattern", rule: str = WIDENED) -> str:
    mine = [(path, message) for r, path, message in found if r == rule]
    assert mine, f"no {rule} finding: {found}"
    assert source in {path for path, _ in mine}, f"{source} not named: {[p for p, _ in mine]}"
    message = next(m for path, m in mine if path == source)
    if rule == WIDENED:
        assert message.startswith(f"{pattern} (") and "Fix: " in message
    return message


# ------------------------------------------------------------------------ the pattern's own policy


def test_statements_added_to_the_patterns_own_policy_fail_synth():
    found, source = run(lambda stack: (reader(stack).policy.add_statements(WRITE), "Test/Pattern/Policy/Resource")[1])
    assert "s3:PutObject on arn:aws:s3:::elsewhere/*" in assert_refused(found, source)


def test_an_escape_hatch_rewriting_the_patterns_policy_document_fails_synth():
    def build(stack):
        reader(stack).policy.node.default_child.add_property_override("PolicyDocument.Statement.0.Action", "s3:*")
        return "Test/Pattern/Policy/Resource"

    found, source = run(build)
    assert "s3:*" in assert_refused(found, source)


def test_detaching_the_developer_roles_deny_policies_fails_synth():
    def build(stack):
        for policy in developer(stack).deny_policies:
            policy.node.default_child.add_property_deletion_override("Roles")
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    assert "no longer denies" in assert_refused(found, source)


def test_a_deny_statement_of_the_developer_role_given_a_condition_fails_synth():
    def build(stack):
        developer(stack).deny_policy.node.default_child.add_property_override(
            "PolicyDocument.Statement.0.Condition", {"Bool": {"aws:ViaAWSService": "true"}})
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    assert "no longer denies" in assert_refused(found, source)


def test_a_grant_to_the_role_imported_by_its_arn_fails_synth():
    def build(stack):
        pattern = reader(stack)
        imported = iam.Role.from_role_arn(stack, "Imported", pattern.role.role_arn)
        s3.Bucket(stack, "Other", enforce_ssl=True).grant_read_write(imported)
        return "Test/Imported/PolicyTestImported24776030/Resource"  # the policy CDK names after the import

    found, source = run(build)
    assert_refused(found, source)


# ------------------------------------------------------------------------------------ the trust


def test_a_trust_statement_added_for_another_account_fails_synth():
    def build(stack):
        reader(stack).role.assume_role_policy.add_statements(iam.PolicyStatement(
            principals=[iam.AccountPrincipal("333333333333")], actions=["sts:AssumeRole"]))
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    assert "trust policy allows sts:AssumeRole to AWS" in assert_refused(found, source)


def test_mfa_conditions_deleted_from_the_developer_trust_fail_synth():
    def build(stack):
        cfn = developer(stack).role.node.default_child
        cfn.add_property_deletion_override("AssumeRolePolicyDocument.Statement.0.Condition.Bool")
        cfn.add_property_deletion_override("AssumeRolePolicyDocument.Statement.0.Condition.NumericLessThan")
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    message = assert_refused(found, source)
    assert "bool aws:multifactorauthpresent true" in message and "numericlessthan aws:multifactorauthage" in message


def test_source_account_deleted_from_a_service_trust_fails_synth():
    def build(stack):
        app_role(stack).role.node.default_child.add_property_deletion_override(
            "AssumeRolePolicyDocument.Statement.0.Condition")
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    assert "aws:sourceaccount" in assert_refused(found, source)


def test_a_ci_trust_widened_to_every_repository_of_the_organisation_fails_synth():
    def build(stack):
        cfn = ci(stack).role.node.default_child
        cfn.add_property_deletion_override(
            "AssumeRolePolicyDocument.Statement.0.Condition.StringEquals.token\\.actions\\.githubusercontent\\.com:sub")
        cfn.add_property_override("AssumeRolePolicyDocument.Statement.0.Condition.StringLike",
                                  {"token.actions.githubusercontent.com:sub": "repo:acme/*"})
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    assert "token.actions.githubusercontent.com:sub" in assert_refused(found, source)


# ------------------------------------------------------------------------ the boundary


def boundary(stack: Stack) -> iam.ManagedPolicy:
    return iam.ManagedPolicy(stack, "Boundary", statements=[
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::b/*"])])


def test_permissions_boundary_cleared_for_the_stack_fails_synth():
    def build(stack):
        reader(stack, permissions_boundary=boundary(stack))
        iam.PermissionsBoundary.of(stack).clear()
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    assert "permissions boundary" in assert_refused(found, source) and "removed" in assert_refused(found, source)


def test_an_added_permissions_boundary_or_deny_is_a_narrowing_and_synthesizes():
    def build(stack):
        pattern = reader(stack)
        iam.PermissionsBoundary.of(stack).apply(boundary(stack))
        pattern.role.add_to_principal_policy(iam.PolicyStatement(
            effect=iam.Effect.DENY, actions=["s3:GetObject"], resources=["arn:aws:s3:::secret/*"]))
        return None

    found, _ = run(build)
    assert found == []


# ------------------------------------------------------------------------ nested stacks and stages


def test_a_nested_stack_granting_everything_to_the_pattern_role_fails_synth():
    def build(stack):
        pattern = reader(stack)
        nested = NestedStack(stack, "Nested")
        iam.Policy(nested, "Everything", roles=[pattern.role],
                   statements=[iam.PolicyStatement(actions=["*"], resources=["*"])])
        return "Test/Nested/Everything/Resource"

    found, source = run(build)
    assert "* on *" in assert_refused(found, source)


def test_a_pattern_in_a_nested_stack_is_recognised_by_its_metadata():
    def build(stack, rewrite: bool):
        nested = NestedStack(stack, "Nested")
        pattern = reader(nested)
        pattern.policy.node.default_child.override_logical_id("Kept")
        if rewrite:
            pattern.policy.node.default_child.add_override("Metadata.constructs-iam.policy", "Test/Nested/Other")
        return "Test/Nested/Pattern/Policy/Resource"

    found, _ = run(lambda stack: build(stack, False))
    assert found == []
    found, source = run(lambda stack: build(stack, True))
    # the record now claims another policy: the real one is no longer recognised, the claim is refused
    assert "which the pattern did not register there" in assert_refused(found, source, pattern="Test/Nested/Pattern")
    assert any("own policy Test/Nested/Pattern/Policy no longer carries" in message for _, _, message in found)


def test_the_general_rules_read_nested_stacks():
    def build(stack):
        nested = NestedStack(stack, "Nested")
        role = iam.Role(nested, "Plain", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        role.add_to_principal_policy(iam.PolicyStatement(actions=["*"], resources=["*"]))
        return "Test/Nested/Plain/DefaultPolicy/Resource"

    found, source = run(build, guard=True)
    assert_refused(found, source, rule="IamGuardrails-AdminAccess")


def in_stackset(stack: Stack) -> StackSetStack:
    """A cdk-stacksets ``StackSetStack`` (its template is a file asset of ``stack``) and its StackSet."""
    template = StackSetStack(stack, "Template")
    StackSet(stack, "StackSet", target=StackSetTarget.from_accounts(regions=["eu-west-1"], accounts=["333333333333"]),
             template=StackSetTemplate.from_stack_set_stack(template))
    return template


def widen_in_stackset(route: str, stack: Stack) -> str:
    """Widen a pattern inside a StackSet's template by ``route``; return the construct path that did it."""
    inner = in_stackset(stack)
    if route == "own policy":
        reader(inner).policy.add_statements(WRITE)
        return "Test/Template/Pattern/Policy/Resource"
    if route == "grant":
        s3.Bucket(inner, "Other", enforce_ssl=True).grant_read_write(reader(inner))
        return "Test/Template/Pattern/Role/DefaultPolicy/Resource"
    if route == "trust":
        developer(inner).role.node.default_child.add_property_deletion_override(
            "AssumeRolePolicyDocument.Statement.0.Condition.Bool")
        return "Test/Template/Pattern/Role/Resource"
    if route == "own policy metadata":
        reader(inner).policy.node.default_child.add_override("Metadata.constructs-iam.digest", "0" * 16)
        return "Test/Template/Pattern/Policy/Resource"
    raise AssertionError(route)


@pytest.mark.parametrize("route", ["own policy", "grant", "trust", "own policy metadata"])
def test_a_widening_inside_a_stackset_template_fails_synth(route):
    found, source = run(lambda stack: widen_in_stackset(route, stack))
    assert_refused(found, source, pattern="Test/Template/Pattern")


def test_patterns_inside_a_stackset_template_used_as_documented_synthesize():
    def build(stack):
        inner = in_stackset(stack)
        reader(inner).extend_policy([WRITE], reason="The fleet writes its status file there.")
        return None

    found, _ = run(build)
    assert found == []


def test_the_general_rules_read_stackset_templates():
    def build(stack):
        role = iam.Role(in_stackset(stack), "Plain", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        role.add_to_principal_policy(iam.PolicyStatement(actions=["*"], resources=["*"]))
        return "Test/Template/Plain/DefaultPolicy/Resource"

    found, source = run(build, guard=True)
    assert_refused(found, source, rule="IamGuardrails-AdminAccess")


def test_a_widening_in_another_stage_fails_without_iam_guardrails_of():
    app = new_app()
    stage = Stage(app, "Prod")
    stack = Stack(stage, "Test", env=ENV)
    pattern = reader(stack)
    s3.Bucket(stack, "Other").grant_read_write(pattern)
    found = guardrail_findings(app)
    assert_refused(found, "Prod/Test/Pattern/Role/DefaultPolicy/Resource", pattern="Prod/Test/Pattern")


def test_iam_guardrails_of_stays_idempotent_with_patterns_in_stages():
    app = new_app()
    stage = Stage(app, "Prod")
    reader(Stack(stage, "Test", env=ENV))
    assert IamGuardrails.of(app) is IamGuardrails.of(app) is IamGuardrails.of(stage)
    assert guardrail_findings(app) == []


# ------------------------------------------------------------------------ resource policies


def everyone_may_put(stack, conditions) -> str:
    """An Allow of s3:PutObject to '*' on the reader's bucket under ``conditions``; its construct path."""
    bucket = stack.node.find_child("Bucket")
    bucket.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.AnyPrincipal()], actions=["s3:PutObject"], resources=[bucket.arn_for_objects("*")],
        conditions=conditions))
    return "Test/Bucket/Policy/Resource"


def test_principal_star_pinned_to_the_role_by_principal_arn_fails_synth():
    def build(stack):
        pattern = reader(stack)
        return everyone_may_put(stack, {"ArnEquals": {"aws:PrincipalArn": pattern.role.role_arn}})

    found, source = run(build)
    assert_refused(found, source)


@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/reports-*"}},  # a pattern matching its name
    {"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/auditor"}},  # everyone but another role
], ids=["principal-arn-pattern-matching-the-role-name", "negated-principal-arn"])
def test_principal_star_with_a_principal_arn_condition_the_role_meets_fails_synth(condition):
    def build(stack):
        reader(stack, role_name="reports-reader")
        return everyone_may_put(stack, condition)

    found, source = run(build)
    assert_refused(found, source)


def test_not_principal_allowing_everyone_but_another_role_fails_synth():
    def build(stack):
        reader(stack, role_name="reports-reader")
        s3.CfnBucketPolicy(stack, "Open", bucket="elsewhere", policy_document={
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::222222222222:role/auditor"},
                "Action": "s3:PutObject", "Resource": "arn:aws:s3:::elsewhere/*"}]})
        return "Test/Open"

    found, source = run(build)
    assert_refused(found, source)


def test_a_negated_condition_or_not_principal_excluding_the_role_synthesizes():
    def build(stack):
        reader(stack, role_name="reports-reader")
        bucket = stack.node.find_child("Bucket")
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.AnyPrincipal()], actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")],
            conditions={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/reports-*"},
                        "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/auditor"}}))
        s3.CfnBucketPolicy(stack, "Open", bucket="elsewhere", policy_document={
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "NotPrincipal": {"AWS": "*"}, "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::elsewhere/*",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/auditor"}}}]})
        return None

    found, _ = run(build)
    assert found == []


def test_a_resource_policy_for_another_role_synthesizes():
    def build(stack):
        reader(stack, role_name="reports-reader")
        other = iam.Role(stack, "Other", role_name="auditor", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        bucket = stack.node.find_child("Bucket")
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.AnyPrincipal()], actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")],
            conditions={"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/auditor"}}))
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[other], actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")]))
        return None

    found, _ = run(build)
    assert found == []


def test_a_role_arn_built_with_fn_join_and_the_account_id_fails_synth():
    def build(stack):
        pattern = reader(stack)
        arn = Fn.join("", ["arn:", Aws.PARTITION, ":iam::", Aws.ACCOUNT_ID, ":role/", pattern.role.role_name])
        bucket = stack.node.find_child("Bucket")
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ArnPrincipal(arn)], actions=["s3:PutObject"], resources=[bucket.arn_for_objects("*")]))
        return "Test/Bucket/Policy/Resource"

    found, source = run(build)
    assert_refused(found, source)


def test_a_literal_role_arn_in_a_resource_policy_fails_synth():
    def build(stack):
        reader(stack, role_name="reports-reader")
        bucket = stack.node.find_child("Bucket")
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ArnPrincipal("arn:aws:iam::222222222222:role/reports-reader")],
            actions=["s3:PutObject"], resources=[bucket.arn_for_objects("*")]))
        return "Test/Bucket/Policy/Resource"

    found, source = run(build)
    assert_refused(found, source)


def test_principal_star_pinned_to_the_role_by_its_user_id_fails_synth_and_a_literal_role_id_fails_closed():
    def build(stack, user_id):
        pattern = reader(stack)
        value = Fn.join("", [pattern.role.role_id, ":*"]) if user_id is None else user_id
        return everyone_may_put(stack, {"StringLike": {"aws:userid": value}})

    found, source = run(lambda stack: build(stack, None))
    assert_refused(found, source)
    found, source = run(lambda stack: build(stack, "AROAEXAMPLEID:*"))
    assert_refused(found, source, rule="IamGuardrails-PatternPrincipalUnresolved")


def test_a_resource_policy_in_another_stack_naming_the_role_by_import_fails_synth():
    def build(stack):
        pattern = reader(stack)
        other = Stack(stack.node.scope, "Other", env=ENV)
        bucket = s3.Bucket(other, "Shared", enforce_ssl=True)
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ArnPrincipal(pattern.role.role_arn)], actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects("*")]))
        return "Other/Shared/Policy/Resource"

    found, source = run(build)
    assert_refused(found, source)


def test_another_roles_trust_naming_the_pattern_role_fails_synth():
    def build(stack):
        pattern = reader(stack)
        iam.Role(stack, "Chained", assumed_by=iam.ArnPrincipal(pattern.role.role_arn))
        return "Test/Chained/Resource"

    found, source = run(build)
    assert_refused(found, source)


def test_a_lambda_permission_for_the_role_fails_synth():
    def build(stack):
        pattern = reader(stack)
        lambda_.CfnPermission(stack, "Invoke", action="lambda:InvokeFunction", function_name="some-function",
                              principal=pattern.role.role_arn)
        return "Test/Invoke"

    found, source = run(build)
    assert_refused(found, source)


def table(stack: Stack, statement: dict) -> dynamodb.CfnTable:
    """A table (an L1, as a new resource type appears first) with a one-statement resource policy."""
    return dynamodb.CfnTable(
        stack, "Table", key_schema=[dynamodb.CfnTable.KeySchemaProperty(attribute_name="id", key_type="HASH")],
        attribute_definitions=[dynamodb.CfnTable.AttributeDefinitionProperty(attribute_name="id", attribute_type="S")],
        billing_mode="PAY_PER_REQUEST",
        resource_policy=dynamodb.CfnTable.ResourcePolicyProperty(
            policy_document={"Version": "2012-10-17", "Statement": [statement]}))


def test_a_table_resource_policy_for_the_role_fails_synth():
    def build(stack):
        pattern = reader(stack)
        table(stack, {"Effect": "Allow", "Principal": {"AWS": pattern.role.role_arn},
                      "Action": "dynamodb:PutItem", "Resource": "*"})
        return "Test/Table"

    found, source = run(build)
    assert_refused(found, source)


def test_an_unresolvable_principal_fails_closed_unless_acknowledged():
    def build(stack, ack: bool):
        reader(stack)
        bucket = stack.node.find_child("Bucket")
        bucket.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ArnPrincipal(Fn.import_value("SomeoneElsesRoleArn"))],
            actions=["s3:GetObject"], resources=[bucket.arn_for_objects("*")]))
        if ack:
            acknowledge(bucket.policy, "IamGuardrails-PatternPrincipalUnresolved",
                        "The exported role is the auditors' role in the security account, not a pattern's role.")
        return "Test/Bucket/Policy/Resource"

    found, source = run(lambda stack: build(stack, False))
    assert_refused(found, source, rule="IamGuardrails-PatternPrincipalUnresolved")
    found, _ = run(lambda stack: build(stack, True))
    assert found == []


def test_the_general_rules_read_every_resource_type_with_a_policy():
    def build(stack):
        table(stack, {"Effect": "Allow", "Principal": "*", "Action": "dynamodb:GetItem", "Resource": "*"})
        return "Test/Table"

    found, source = run(build, guard=True)
    assert_refused(found, source, rule="IamGuardrails-OpenResourcePolicy")


# ------------------------------------------------------------------------ metadata and deploy time


def test_metadata_rewritten_by_an_escape_hatch_fails_synth():
    def build(stack):
        pattern = reader(stack)
        pattern.role.node.default_child.add_override("Metadata.constructs-iam.extensions", [
            {"reason": "pretend this was reviewed", "actions": ["s3:*"]}])
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    assert "metadata" in assert_refused(found, source)


def own_records(template: dict) -> dict[str, dict]:
    """The constructs-iam metadata of each own policy in ``template``, by the policy's construct path."""
    records = [r["Metadata"]["constructs-iam"] for r in template["Resources"].values()
               if r["Type"] == "AWS::IAM::ManagedPolicy" and "constructs-iam" in r.get("Metadata", {})]
    return {record["policy"]: record for record in records}


def test_each_own_policy_records_its_pattern_and_the_digest_of_its_intended_document():
    app = new_app()
    developer(Stack(app, "Test", env=ENV))
    other = Stack(app, "Other", env=ENV)
    reader(other).extend_policy([WRITE], reason="The fleet writes its status file there.")
    assembly = app.synth()
    for name, pattern in (("Test", "DeveloperReadOnlyRole"), ("Other", "Ec2S3ReadOnlyRole")):
        template = assembly.get_stack_by_name(name).template
        (role,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
        intent = role["Metadata"]["constructs-iam"]
        own = own_records(template)
        assert list(own) == intent["policies"] and len(own) == (10 if name == "Test" else 1)
        assert {(r["pattern"], r["path"]) for r in own.values()} == {(pattern, f"{name}/Pattern")}
        if name == "Test":  # not extended: the digests of the role's intent
            assert [own[path]["digest"] for path in intent["policies"]] == intent["intent"]["policies"]
    # the extended policy's digest is of its document as intended after the extension
    (extended,) = own_records(assembly.get_stack_by_name("Other").template).values()
    before = new_app()
    reader(Stack(before, "Other", env=ENV))
    (plain,) = own_records(before.synth().get_stack_by_name("Other").template).values()
    assert set(extended) == set(plain) == {"pattern", "path", "policy", "digest"}
    assert extended["digest"] != plain["digest"] and {**extended, "digest": ""} == {**plain, "digest": ""}


def test_metadata_of_an_own_policy_rewritten_by_an_escape_hatch_fails_synth():
    def build(stack):
        reader(stack).policy.node.default_child.add_override("Metadata.constructs-iam.digest", "0" * 16)
        return "Test/Pattern/Policy/Resource"

    found, source = run(build)
    assert "metadata on its own policy" in assert_refused(found, source)


def test_metadata_removed_from_an_own_policy_fails_synth():
    def build(stack):
        reader(stack).policy.node.default_child.add_deletion_override("Metadata.constructs-iam")
        return "Test/Pattern/Role/Resource"  # without path metadata the finding sits on the pattern's role

    found, source = run(build)
    assert "Test/Pattern/Policy no longer carries its constructs-iam metadata" in assert_refused(found, source)


def test_an_own_policys_metadata_copied_onto_another_policy_fails_synth():
    app = new_app({"aws:cdk:enable-path-metadata": True})
    stack = Stack(app, "Test", env=ENV)
    pattern = reader(stack)
    lookalike = iam.ManagedPolicy(stack, "Lookalike", statements=[WRITE])
    lookalike.node.default_child.add_metadata("constructs-iam", pattern.policy.node.default_child.get_metadata(
        "constructs-iam"))
    message = assert_refused(guardrail_findings(app), "Test/Lookalike/Resource")
    assert "carries the constructs-iam metadata of the pattern's own policy Test/Pattern/Policy" in message


def test_an_own_policy_is_recognised_by_its_metadata_whatever_its_logical_id():
    def build(stack):
        pattern = reader(stack)
        pattern.policy.node.default_child.override_logical_id("KeptThroughTheRefactor")
        pattern.policy.add_statements(WRITE)
        return "Test/Pattern/Policy/Resource"

    found, source = run(build)
    assert "its own policy" in assert_refused(found, source)


def test_a_function_whose_role_can_rewrite_the_pattern_role_is_flagged():
    def build(stack):
        reader(stack)
        fn = lambda_.Function(stack, "Rewriter", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                              code=lambda_.Code.from_inline("def handler(e, c):\n    return None\n"))
        fn.add_to_role_policy(iam.PolicyStatement(actions=["iam:PutRolePolicy"], resources=["*"]))
        return "Test/Rewriter/Resource"

    found, source = run(build)
    assert "Test/Pattern" in assert_refused(found, source, rule="IamGuardrails-PatternChangedAtDeploy")


# ------------------------------------------------------------------------ extend_policy


@pytest.mark.parametrize("guard", [False, True])
def test_extend_policy_refuses_administrator_access_with_or_without_guardrails(guard):
    app = new_app()
    stack = Stack(app, "Test", env=ENV)
    if guard:
        IamGuardrails.of(app)
    pattern = reader(stack)
    with pytest.raises(PropsError, match=r"allows '\*' on '\*'"):
        pattern.extend_policy([iam.PolicyStatement(actions=["*"], resources=["*"])], reason="the team asked for it")
    with pytest.raises(PropsError, match="every action of a service"):
        pattern.extend_policy([iam.PolicyStatement(actions=["s3:*"], resources=["*"])], reason="the team asked for it")


def test_extend_policy_widens_on_purpose_without_a_finding():
    def build(stack):
        reader(stack).extend_policy([WRITE], reason="The fleet writes its status file there.")
        return None

    found, _ = run(build)
    assert found == []


# ------------------------------------------------------------------------ refactors that keep working


def test_a_statement_the_pattern_already_grants_written_with_a_literal_partition_synthesizes():
    app = App()  # no feature flags: the pattern's ARNs carry ${AWS::Partition}
    stack = Stack(app, "Test", env=ENV)
    bucket = s3.Bucket.from_bucket_name(stack, "Named", "acme-reports")
    pattern = Ec2S3ReadOnlyRole(stack, "Pattern", locations=[S3Location(bucket, "reports/")])
    pattern.role.add_to_principal_policy(iam.PolicyStatement(
        actions=["s3:GetObject"], resources=["arn:aws:s3:::acme-reports/reports/*"]))
    assert guardrail_findings(app) == []


def test_override_logical_id_on_the_patterns_policy_synthesizes():
    def build(stack):
        pattern = reader(stack)
        pattern.policy.node.default_child.override_logical_id("KeptThroughTheRefactor")
        pattern.role.node.default_child.override_logical_id("KeptRole")
        return None

    found, _ = run(build)
    assert found == []


class OwnIds(Stack):
    """A stack that allocates its own logical ids (as some teams do to keep names short)."""

    @jsii.member(jsii_name="allocateLogicalId")
    def allocate_logical_id(self, cfn_element) -> str:
        return "Own" + cfn_element.node.path.replace("/", "").replace("-", "")[-40:]


def test_a_stack_with_its_own_logical_id_allocation_synthesizes():
    app = new_app()
    stack = OwnIds(app, "Test", env=ENV)
    reader(stack)
    app_role_stack = OwnIds(app, "Other", env=ENV)
    developer(app_role_stack)
    assert guardrail_findings(app) == []
    widened = new_app()
    stack = OwnIds(widened, "Test", env=ENV)
    reader(stack).policy.add_statements(WRITE)
    ((rule, _, message),) = guardrail_findings(widened)
    assert rule == WIDENED and "its own policy" in message


def test_the_access_report_lists_functions_that_can_rewrite_a_pattern_role():
    from constructs_iam.report import read_assembly, report, to_markdown

    app = new_app()
    stack = Stack(app, "Test", env=ENV)
    reader(stack)
    fn = lambda_.Function(stack, "Rewriter", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                          code=lambda_.Code.from_inline("def handler(e, c):\n    return None\n"))
    fn.add_to_role_policy(iam.PolicyStatement(actions=["iam:AttachRolePolicy"], resources=["*"]))
    acknowledge(fn, "IamGuardrails-PatternChangedAtDeploy", "This function is the platform team's break-glass tool.")
    data = report(read_assembly(app.synth().directory))
    (writer,) = data["deploy_time_writers"]
    assert writer["patterns"] == ["Test/Pattern"] and writer["type"] == "AWS::Lambda::Function"
    assert "Deploy-time code that can change pattern roles" in to_markdown(data)


# ------------------------------------------------------------------------ a second independent set


ALLOW_ALL_S3 = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


def if_always(stack: Stack, then: object, otherwise: object = None) -> dict:
    """``Fn::If`` on a condition that holds: CloudFormation deploys ``then``."""
    if stack.node.try_find_child("Always") is None:
        CfnCondition(stack, "Always", expression=Fn.condition_equals("a", "a"))
    return {"Fn::If": ["Always", then, {"Ref": "AWS::NoValue"} if otherwise is None else otherwise]}


def widen_under_fn_if(route: str, stack: Stack) -> str:
    """Widen the pattern's role by ``route``, the widening inside an ``Fn::If``; return what did it."""
    if route == "developer deny policy's Effect":
        pattern = developer(stack)
        pattern.deny_policy.node.default_child.add_property_override(
            "PolicyDocument.Statement.0.Effect", if_always(stack, "Allow", "Deny"))
        return "Test/Pattern/DenyDataAccess/Resource"
    pattern = reader(stack)
    role = pattern.role.node.default_child
    if route == "trust statement":
        role.add_property_override("AssumeRolePolicyDocument.Statement.1", if_always(stack, {
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}))
        return "Test/Pattern/Role/Resource"
    if route == "inline policy of the role":
        role.add_property_override("Policies", [if_always(stack, {"PolicyName": "extra", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [ALLOW_ALL_S3]}})])
        return "Test/Pattern/Role/Resource"
    if route == "inline policy list of the role":  # the Fn::If around the whole list: each branch a list
        role.add_property_override("Policies", if_always(stack, [{"PolicyName": "extra", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [ALLOW_ALL_S3]}}], []))
        return "Test/Pattern/Role/Resource"
    if route == "identity statement":
        iam.CfnPolicy(stack, "Hatch", policy_name="extra", roles=[pattern.role.role_name], policy_document={
            "Version": "2012-10-17", "Statement": [if_always(stack, ALLOW_ALL_S3)]})
        return "Test/Hatch"
    if route == "identity document":
        iam.CfnPolicy(stack, "Hatch", policy_name="extra", roles=[pattern.role.role_name], policy_document=if_always(
            stack, {"Version": "2012-10-17", "Statement": [ALLOW_ALL_S3]},
            {"Version": "2012-10-17", "Statement": [{**ALLOW_ALL_S3, "Effect": "Deny"}]}))
        return "Test/Hatch"
    statement = {"Effect": "Allow", "Principal": {"AWS": pattern.role.role_arn}, "Action": "s3:GetObject",
                 "Resource": "*"}
    if route == "resource policy statement":
        document = {"Version": "2012-10-17", "Statement": [if_always(stack, statement)]}
    else:  # "resource policy document"
        document = if_always(stack, {"Version": "2012-10-17", "Statement": [statement]})
    s3.CfnBucketPolicy(stack, "Hatch", bucket="some-bucket", policy_document=document)
    return "Test/Hatch"


@pytest.mark.parametrize("route", [
    "trust statement", "inline policy of the role", "inline policy list of the role", "identity statement",
    "identity document",
    "resource policy statement", "resource policy document", "developer deny policy's Effect",
])
def test_a_widening_inside_fn_if_fails_synth(route):
    found, source = run(lambda stack: widen_under_fn_if(route, stack))
    assert_refused(found, source)


def test_fn_if_choosing_between_denies_or_naming_another_role_synthesizes():
    def build(stack):
        pattern = reader(stack)
        other = iam.Role(stack, "Other", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        iam.CfnPolicy(stack, "Narrowing", policy_name="narrowing", roles=[pattern.role.role_name], policy_document={
            "Version": "2012-10-17", "Statement": [if_always(
                stack, {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*"})]})
        s3.CfnBucketPolicy(stack, "Elsewhere", bucket="some-bucket", policy_document={
            "Version": "2012-10-17", "Statement": [if_always(stack, {
                "Effect": "Allow", "Principal": {"AWS": other.role_arn}, "Action": "s3:GetObject", "Resource": "*"})]})

    found, _ = run(build)
    assert found == []


def test_the_role_metadata_copied_onto_another_role_fails_synth():
    def build(stack):
        pattern = reader(stack)
        lookalike = iam.Role(stack, "Lookalike", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
        lookalike.node.default_child.add_metadata(
            "constructs-iam", stack.resolve(pattern.role.node.default_child.get_metadata("constructs-iam")))
        pattern.role.add_to_principal_policy(WRITE)  # and the real role is still the one compared
        return "Test/Lookalike/Resource"

    found, source = run(build)
    message = assert_refused(found, source)
    assert "carries the constructs-iam metadata of the pattern's role" in message
    assert "Test/Pattern/Role/DefaultPolicy/Resource" in {path for _, path, _ in found}


@pytest.mark.parametrize("principal, rule", [
    ("arn:aws:sts::222222222222:assumed-role/reports-reader/i-0123456789abcdef0", WIDENED),  # a session of it
    ("arn:aws:iam::222222222222:role/REPORTS-READER", WIDENED),  # IAM role names ignore case
    ("AROAEXAMPLEROLEID12345", "IamGuardrails-PatternPrincipalUnresolved"),  # a unique id: only IAM knows whose
])
def test_a_resource_policy_naming_the_role_by_session_case_or_id_fails_synth(principal, rule):
    def build(stack):
        reader(stack, role_name="reports-reader")
        s3.CfnBucketPolicy(stack, "Hatch", bucket="some-bucket", policy_document={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject", "Resource": "*"}]})
        return "Test/Hatch"

    found, source = run(build)
    assert_refused(found, source, rule=rule)


def test_an_identity_policy_attached_to_an_unresolvable_role_fails_closed_unless_acknowledged():
    def build(stack, ack: bool):
        reader(stack, role_name="reports-reader")
        imported = iam.CfnManagedPolicy(stack, "Imported", roles=[Fn.import_value("SomeoneElsesRoleName")],
                                        policy_document={"Version": "2012-10-17", "Statement": [ALLOW_ALL_S3]})
        parameter = CfnParameter(stack, "RoleName")
        iam.CfnPolicy(stack, "Parameter", policy_name="p", roles=[parameter.value_as_string],
                      policy_document={"Version": "2012-10-17", "Statement": [ALLOW_ALL_S3]})
        if ack:
            acknowledge(imported, "IamGuardrails-PatternPrincipalUnresolved",
                        "The export names the auditors' role of the security account, never a pattern's role.")
        return "Test/Imported"

    found, source = run(lambda stack: build(stack, False))
    assert_refused(found, source, rule="IamGuardrails-PatternPrincipalUnresolved")
    assert_refused(found, "Test/Parameter", rule="IamGuardrails-PatternPrincipalUnresolved")
    found, _ = run(lambda stack: build(stack, True))
    assert {path for _, path, _ in found} == {"Test/Parameter"}


@pytest.mark.parametrize("condition, rule", [
    ({"StringEquals": {"aws:PrincipalTag/team": "reports"}}, WIDENED),  # the tag the role carries
    ({"StringNotEquals": {"aws:PrincipalTag/team": "payments"}}, WIDENED),  # every role without that tag
    ({"StringEquals": {"aws:PrincipalTag/team": "payments"}}, None),  # a tag no pattern role carries
])
def test_principal_star_pinned_by_a_principal_tag_the_role_carries_fails_synth(condition, rule):
    def build(stack):
        pattern = reader(stack)
        Tags.of(pattern.role).add("team", "reports")
        s3.CfnBucketPolicy(stack, "Hatch", bucket="some-bucket", policy_document={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}]})
        return "Test/Hatch"

    found, source = run(build)
    if rule is None:
        assert found == []
    else:
        assert_refused(found, source, rule=rule)


def test_a_dynamic_reference_or_a_template_macro_fails_closed():
    def build(stack, what: str):
        reader(stack, role_name="reports-reader")
        if what == "macro":
            stack.add_transform("AcmeRewriteMacro")
            return "Test/Pattern/Role/Resource"
        iam.CfnPolicy(stack, "Hatch", policy_name="p", roles=["{{resolve:ssm:/roles/deployer}}"],
                      policy_document={"Version": "2012-10-17", "Statement": [ALLOW_ALL_S3]})
        return "Test/Hatch"

    for what in ("macro", "dynamic reference"):
        found, source = run(lambda stack: build(stack, what))
        assert_refused(found, source, rule="IamGuardrails-PatternPrincipalUnresolved")
    found, _ = run(lambda stack: reader(stack).node.scope.add_transform("AWS::Serverless-2016-10-31"))
    assert found == []


def widen_by_a_built_json_document(route: str, stack: Stack) -> str:
    """Widen the pattern's role with a policy document written as a JSON string built by an intrinsic."""
    pattern = reader(stack)
    if route == "trust (Fn::Sub)":
        pattern.role.node.default_child.add_property_override("AssumeRolePolicyDocument", {"Fn::Sub": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"AWS": "arn:aws:iam::${AWS::AccountId}:root"}}]})})
        return "Test/Pattern/Role/Resource"
    if route == "identity policy (Fn::Join)":
        iam.CfnPolicy(stack, "Hatch", policy_name="p", roles=[pattern.role.role_name], policy_document={}) \
            .add_property_override("PolicyDocument", {"Fn::Join": ["", [
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"', "*", '"}]}']]})
        return "Test/Hatch"
    logs.CfnResourcePolicy(stack, "Hatch", policy_name="p", policy_document=Fn.sub(json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "${RoleArn}"},
                                                "Action": "logs:PutLogEvents", "Resource": "*"}]}),
        {"RoleArn": pattern.role.role_arn}))
    return "Test/Hatch"


@pytest.mark.parametrize("route", ["trust (Fn::Sub)", "identity policy (Fn::Join)", "resource policy (Fn::Sub)"])
def test_a_widening_in_a_json_document_built_with_an_intrinsic_fails_synth(route):
    found, source = run(lambda stack: widen_by_a_built_json_document(route, stack))
    assert_refused(found, source)


def test_a_json_document_built_with_an_intrinsic_for_a_service_synthesizes():
    def build(stack):
        reader(stack)
        logs.CfnResourcePolicy(stack, "Delivery", policy_name="p", policy_document=Fn.sub(json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "logs:PutLogEvents",
                "Resource": "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/app:*",
                "Condition": {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}}}]})))

    found, _ = run(build)
    assert found == []


@pytest.mark.parametrize("moment, widened", [("2029-06-30T00:00:00Z", False), ("2099-01-01T00:00:00Z", True)])
def test_the_developer_roles_expiry_brought_forward_synthesizes_and_put_off_fails(moment, widened):
    def build(stack):
        pattern = DeveloperReadOnlyRole(stack, "Pattern", trusted_account_id="111111111111",
                                        expires=datetime(2030, 1, 1, tzinfo=timezone.utc))
        pattern.role.node.default_child.add_property_override(
            "AssumeRolePolicyDocument.Statement.0.Condition.DateLessThan", {"aws:CurrentTime": moment})
        return "Test/Pattern/Role/Resource"

    found, source = run(build)
    if widened:
        assert "without datelessthan aws:currenttime" in assert_refused(found, source)
    else:
        assert found == []


def test_a_cross_region_reference_to_the_role_in_a_resource_policy_fails_synth_naming_the_pattern():
    # without cdk.json's flags, the reference is read from a Custom::CrossRegionExportReader (with them,
    # CDK gives the role a generated name and writes its literal ARN)
    app = App()
    stack = Stack(app, "Test", env=ENV, cross_region_references=True)
    pattern = reader(stack)
    other = iam.Role(stack, "Other", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    east = Stack(app, "East", env=Environment(account=ENV.account, region="us-east-1"), cross_region_references=True)
    for id, role in (("ForPattern", pattern.role), ("ForOther", other)):
        s3.CfnBucketPolicy(east, id, bucket=f"bucket-{id.lower()}", policy_document={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": role.role_arn}, "Action": "s3:GetObject", "Resource": "*"}]})
    found = guardrail_findings(app)
    assert_refused(found, "East/ForPattern")
    assert {path for _, path, _ in found} == {"East/ForPattern"}  # the other role's, read the same way, passes
