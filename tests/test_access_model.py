"""AccessModel's own tests: every element and operator, with cases from AWS's IAM documentation.

Sources (IAM User Guide):
[EVAL]  Policy evaluation logic, reference_policies_evaluation-logic.html
[COND]  IAM JSON policy elements: Condition operators, reference_policies_elements_condition_operators.html
[MULTI] Single-valued vs multivalued context keys, reference_policies_condition-single-vs-multi-valued-context-keys.html
[VARS]  IAM policy elements: Variables and tags, reference_policies_variables.html
[NOTA]  IAM JSON policy elements: NotAction / NotResource
[EX]    Example policies (e.g. "Allows access to a user's home directory in S3", "Denies access based on IP")
"""

from __future__ import annotations

from typing import Any

import pytest

from constructs_iam.access import AccessModel, evaluate_condition, substitute_variables, wildcard_match

ACCOUNT = "111122223333"


def role_template(*statements: dict[str, Any], boundary: list[dict[str, Any]] | None = None,
                  trust: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "app",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust or [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}],
        }},
    }
    if boundary is not None:
        resources["Boundary"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "ManagedPolicyName": "boundary", "PolicyDocument": {"Version": "2012-10-17", "Statement": boundary}}}
        resources["Role"]["Properties"]["PermissionsBoundary"] = {"Ref": "Boundary"}
    resources.update(extra or {})
    return {"Resources": resources}


def model(*statements: dict[str, Any], **kwargs: Any) -> AccessModel:
    return AccessModel.from_template(role_template(*statements, **kwargs), account=ACCOUNT, region="us-east-1")


def allowed(m: AccessModel, action: str, resource: str = "*", **context: Any) -> bool | None:
    return m.evaluate(principal="Role", action=action, resource=resource, context=context).allowed


# ------------------------------------------------------------------------- evaluation logic


def test_explicit_deny_overrides_allow():  # [EVAL] "An explicit deny in any policy overrides any allows"
    m = model({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
              {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"})
    decision = m.evaluate(principal="Role", action="s3:DeleteObject", resource="arn:aws:s3:::b/k")
    assert (decision.allowed, decision.outcome) == (False, "explicit-deny")
    assert "inline#NoDelete" in decision.reason
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/k") is True


def test_without_an_allow_the_request_is_implicitly_denied():  # [EVAL] default deny
    decision = model({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}).evaluate(
        principal="Role", action="s3:PutObject", resource="arn:aws:s3:::b/k")
    assert (decision.allowed, decision.outcome) == (False, "implicit-deny")


def test_permissions_boundary_intersects():  # [EVAL] boundary: effective = identity ∩ boundary
    m = model({"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"},
              boundary=[{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/k") is True
    decision = m.evaluate(principal="Role", action="iam:CreateUser", resource="*")
    assert decision.allowed is False and "permissions boundary" in decision.reason


def test_boundary_alone_grants_nothing():  # [EVAL] a boundary does not grant permissions
    m = model({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
              boundary=[{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/k") is False


def test_deny_in_a_resource_policy_applies():  # [EVAL] explicit deny in a resource-based policy
    bucket_policy = {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b", "PolicyDocument": {"Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}}
    m = model({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, extra={"BucketPolicy": bucket_policy})
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/k", **{"aws:SecureTransport": "false"}) is False
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/k", **{"aws:SecureTransport": "true"}) is True


def test_a_bucket_policy_applies_only_to_requests_on_its_bucket():  # [EVAL] resource policy of the resource requested
    bucket_policy = {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b", "PolicyDocument": {"Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "NotResource": "arn:aws:s3:::b/mine/*"}]}}}
    m = model({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, extra={"BucketPolicy": bucket_policy})
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/other/k") is False
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/mine/k") is True
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b2/other/k") is True  # another bucket: its own policy, not b's


# ------------------------------------------------------------------- Action and Resource


def test_action_matching_is_case_insensitive_with_wildcards():  # [NOTA]/Action: "case-insensitive"
    m = model({"Effect": "Allow", "Action": ["S3:get*", "ec2:Describe?nstances"], "Resource": "*"})
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/k") is True
    assert allowed(m, "ec2:DescribeInstances") is True
    assert allowed(m, "ec2:DescribeInstanceStatus") is False


def test_not_action_allows_everything_else():  # [NOTA] "Allow":"NotAction":"iam:*"
    m = model({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert allowed(m, "s3:ListAllMyBuckets") is True
    assert allowed(m, "iam:CreateUser") is False


def test_not_action_with_deny_is_the_mfa_pattern():  # [EX] "DenyAllExceptListedIfNoMFA"
    m = model({"Effect": "Allow", "Action": "*", "Resource": "*"},
              {"Effect": "Deny", "NotAction": ["iam:ChangePassword"], "Resource": "*",
               "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    assert allowed(m, "s3:ListAllMyBuckets") is False  # no MFA key: BoolIfExists is true
    assert allowed(m, "iam:ChangePassword") is True
    assert allowed(m, "s3:ListAllMyBuckets", **{"aws:MultiFactorAuthPresent": "true"}) is True


def test_resource_arns_are_case_sensitive():  # Resource element: ARNs are case sensitive
    m = model({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/Reports/*"})
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::bucket/Reports/a") is True
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::bucket/reports/a") is False


def test_question_mark_matches_one_character():
    assert wildcard_match("arn:aws:s3:::b/log-20??/*", "arn:aws:s3:::b/log-2026/x")
    assert not wildcard_match("arn:aws:s3:::b/log-20??/*", "arn:aws:s3:::b/log-202/x")


def test_not_resource():  # [NOTA] "NotResource"
    m = model({"Effect": "Allow", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]})
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::HRBucket/Other") is True
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x") is False


# -------------------------------------------------------------------------- policy variables


def test_username_variable_scopes_to_the_callers_home():  # [VARS] home/${aws:username}/*
    template = role_template()
    template["Resources"]["User"] = {"Type": "AWS::IAM::User", "Properties": {
        "UserName": "alice", "Policies": [{"PolicyName": "home", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*"}]}}]}}
    m = AccessModel.from_template(template, account=ACCOUNT, region="us-east-1")
    assert m.evaluate(principal="User", action="s3:GetObject", resource="arn:aws:s3:::bucket/home/alice/a").allowed is True
    assert m.evaluate(principal="User", action="s3:GetObject", resource="arn:aws:s3:::bucket/home/bob/a").allowed is False


def test_missing_variable_matches_nothing_and_defaults_apply():  # [VARS] default values
    assert substitute_variables("home/${aws:username}/", {}) is None
    assert substitute_variables("home/${aws:username, 'guest'}/", {}) == "home/guest/"


def test_escaped_wildcards_are_literal():  # [VARS] ${*} ${?} ${$}
    m = model({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${*}literal${?}"})
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/*literal?") is True
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/xliteralx") is False


# ------------------------------------------------------------------------ condition operators


@pytest.mark.parametrize(("operator", "policy", "request_value", "expected"), [
    ("StringEquals", ["dev"], "dev", True),
    ("StringEquals", ["dev"], "Dev", False),
    ("StringNotEquals", ["dev", "test"], "prod", True),  # [COND] negated: NOR across values
    ("StringNotEquals", ["dev", "test"], "dev", False),
    ("StringEqualsIgnoreCase", ["dev"], "DEV", True),
    ("StringNotEqualsIgnoreCase", ["dev"], "DEV", False),
    ("StringLike", ["home/*"], "home/alice", True),
    ("StringLike", ["home/?"], "home/ab", False),
    ("StringNotLike", ["home/*"], "other", True),
    ("NumericLessThan", ["3600"], "300", True),
    ("NumericLessThan", ["3600"], "3600", False),
    ("NumericLessThanEquals", ["3600"], "3600", True),
    ("NumericGreaterThan", ["10"], "11", True),
    ("NumericGreaterThanEquals", ["10"], "9", False),
    ("NumericEquals", ["10"], "10.0", True),
    ("NumericNotEquals", ["10"], "11", True),
    ("DateLessThan", ["2026-06-30T00:00:00Z"], "2026-01-01T00:00:00Z", True),
    ("DateGreaterThan", ["2026-06-30T00:00:00Z"], "2026-01-01T00:00:00Z", False),
    ("DateEquals", ["2026-01-01T00:00:00Z"], "1767225600", True),  # epoch seconds are dates too
    ("DateNotEquals", ["2026-01-01T00:00:00Z"], "2026-01-02T00:00:00Z", True),
    ("DateLessThanEquals", ["2026-01-01T00:00:00Z"], "2026-01-01T00:00:00Z", True),
    ("DateGreaterThanEquals", ["2026-01-01T00:00:00Z"], "2025-12-31T23:59:59Z", False),
    ("Bool", ["true"], "true", True),
    ("Bool", ["true"], "false", False),
    ("IpAddress", ["203.0.113.0/24"], "203.0.113.7", True),  # [EX] deny based on source IP
    ("IpAddress", ["203.0.113.0/24"], "198.51.100.7", False),
    ("NotIpAddress", ["203.0.113.0/24"], "198.51.100.7", True),
    ("IpAddress", ["2001:db8::/32"], "2001:db8::1", True),
    ("ArnEquals", ["arn:aws:sns:us-east-1:111122223333:topic"], "arn:aws:sns:us-east-1:111122223333:topic", True),
    ("ArnLike", ["arn:aws:iam::111122223333:role/*"], "arn:aws:iam::111122223333:role/app", True),
    ("ArnLike", ["arn:aws:iam::*:role/app"], "arn:aws:iam::444455556666:role/app", True),
    ("ArnNotLike", ["arn:aws:iam::111122223333:role/*"], "arn:aws:iam::444455556666:role/app", True),
    ("ArnNotEquals", ["arn:aws:iam::111122223333:role/app"], "arn:aws:iam::111122223333:role/app", False),
    ("BinaryEquals", ["QmluYXJ5VmFsdWU="], "QmluYXJ5VmFsdWU=", True),
])
def test_condition_operator(operator, policy, request_value, expected):
    assert evaluate_condition(operator, "k", policy, {"k": request_value}) is expected


@pytest.mark.parametrize(("operator", "expected"), [
    # [COND] "If the key ... is not present in the request context, the values do not match and the
    # condition is false. If the policy condition requires that the key is not matched, such as
    # StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
    ("StringEquals", False), ("StringLike", False), ("NumericLessThan", False), ("DateLessThan", False),
    ("Bool", False), ("IpAddress", False), ("ArnLike", False), ("ArnEquals", False),
    ("StringNotEquals", True), ("StringNotLike", True), ("ArnNotLike", True), ("NotIpAddress", True),
    ("NumericNotEquals", True), ("DateNotEquals", True),
    # [COND] ...IfExists: "If the key is not present, evaluate the condition element as true"
    ("StringEqualsIfExists", True), ("NumericLessThanIfExists", True), ("BoolIfExists", True),
])
def test_missing_key_behaviour(operator, expected):
    assert evaluate_condition(operator, "aws:SomeKey", ["1"], {}) is expected


def test_if_exists_evaluates_normally_when_the_key_is_present():
    assert evaluate_condition("StringEqualsIfExists", "ec2:InstanceType", ["t3.micro"], {"ec2:InstanceType": "m5.large"}) is False


def test_null_checks_presence():  # [COND] Null: "true" means the key is absent
    assert evaluate_condition("Null", "aws:TokenIssueTime", ["true"], {}) is True
    assert evaluate_condition("Null", "aws:TokenIssueTime", ["false"], {}) is False
    assert evaluate_condition("Null", "aws:TokenIssueTime", ["false"], {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}) is True


def test_for_all_values():  # [MULTI] ForAllValues: every request value is in the policy set; empty/missing is true
    allowed_tags = ["environment", "cost-center"]
    assert evaluate_condition("ForAllValues:StringEquals", "aws:TagKeys", allowed_tags, {"aws:TagKeys": ["environment"]}) is True
    assert evaluate_condition("ForAllValues:StringEquals", "aws:TagKeys", allowed_tags, {"aws:TagKeys": ["environment", "owner"]}) is False
    assert evaluate_condition("ForAllValues:StringEquals", "aws:TagKeys", allowed_tags, {}) is True


def test_for_any_value():  # [MULTI] ForAnyValue: at least one request value matches; missing is false
    assert evaluate_condition("ForAnyValue:StringEquals", "aws:TagKeys", ["owner"], {"aws:TagKeys": ["environment", "owner"]}) is True
    assert evaluate_condition("ForAnyValue:StringEquals", "aws:TagKeys", ["owner"], {"aws:TagKeys": ["environment"]}) is False
    assert evaluate_condition("ForAnyValue:StringEquals", "aws:TagKeys", ["owner"], {}) is False


def test_condition_keys_are_case_insensitive_but_values_are_not():  # [COND] key names are not case sensitive
    assert evaluate_condition("StringEquals", "AWS:SourceAccount", [ACCOUNT], {"aws:sourceaccount": ACCOUNT}) is True
    assert evaluate_condition("StringEquals", "aws:ResourceTag/Team", ["a"], {"aws:resourcetag/team": "a"}) is False  # tag key keeps case


def test_all_operators_and_keys_must_hold_values_are_or():  # [COND] "evaluation logic for conditions"
    m = model({"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
               "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                             "StringLike": {"ec2:InstanceType": "t3.*"}}})
    assert allowed(m, "ec2:RunInstances", **{"aws:RequestedRegion": "eu-west-1", "ec2:InstanceType": "t3.micro"}) is True
    assert allowed(m, "ec2:RunInstances", **{"aws:RequestedRegion": "eu-west-1", "ec2:InstanceType": "m5.large"}) is False
    assert allowed(m, "ec2:RunInstances", **{"aws:RequestedRegion": "ap-south-1", "ec2:InstanceType": "t3.micro"}) is False


def test_policy_variables_in_condition_values():  # [VARS] ${aws:username} in a condition
    template = role_template()
    template["Resources"]["User"] = {"Type": "AWS::IAM::User", "Properties": {"UserName": "alice", "Policies": [
        {"PolicyName": "list", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": "arn:aws:s3:::bucket", "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}}]}}]}}
    m = AccessModel.from_template(template, account=ACCOUNT, region="us-east-1")
    assert m.evaluate(principal="User", action="s3:ListBucket", resource="arn:aws:s3:::bucket", context={"s3:prefix": "home/alice/x"}).allowed is True
    assert m.evaluate(principal="User", action="s3:ListBucket", resource="arn:aws:s3:::bucket", context={"s3:prefix": "home/bob/x"}).allowed is False


def test_unknown_operator_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        evaluate_condition("StringSortOf", "k", ["v"], {"k": "v"})


# ---------------------------------------------------------------------------------- trust


TRUST_ACCOUNT = [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole",
                  "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]


def test_account_root_trusts_any_principal_of_that_account():  # [EVAL] cross-account: both sides
    m = model(trust=TRUST_ACCOUNT)
    mfa = {"aws:MultiFactorAuthPresent": "true"}
    decision = m.can_assume(role="Role", caller="arn:aws:iam::444455556666:user/dev", context=mfa)
    assert decision.allowed is True and "outside the model" in decision.reason
    assert m.can_assume(role="Role", caller="arn:aws:iam::777788889999:user/dev", context=mfa).allowed is False
    assert m.can_assume(role="Role", caller="arn:aws:iam::444455556666:user/dev").allowed is False


def test_service_principal_trust():
    m = model()
    assert m.can_assume(role="Role", caller="ec2.amazonaws.com").allowed is True
    assert m.can_assume(role="Role", caller="lambda.amazonaws.com").allowed is False


def test_assumed_role_session_matches_its_role_principal():
    m = model(trust=[{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/ops"}, "Action": "sts:AssumeRole"}])
    assert m.can_assume(role="Role", caller="arn:aws:sts::444455556666:assumed-role/ops/session-1").allowed is True


def test_caller_in_the_model_needs_its_own_allow():
    template = role_template(trust=[{"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}}, "Action": "sts:AssumeRole"}])
    template["Resources"]["User"] = {"Type": "AWS::IAM::User", "Properties": {"UserName": "dev"}}
    m = AccessModel.from_template(template, account=ACCOUNT, region="us-east-1")
    decision = m.can_assume(role="Role", caller=f"arn:aws:iam::{ACCOUNT}:user/dev")
    assert decision.allowed is False and decision.reason.startswith("caller side")


# ------------------------------------------------------------------------- intrinsic functions


def test_intrinsics_resolve_from_the_environment():
    m = AccessModel.from_template({"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}, "Policies": [
            {"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/in/*"]]}},
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q"}},
            ]}}]}},
    }}, account=ACCOUNT, region="eu-west-1")
    assert m.evaluate(principal="Role", action="s3:GetObject", resource="arn:aws:s3:::data/in/a").allowed is True
    assert m.evaluate(principal="Role", action="sqs:SendMessage", resource=f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q").allowed is True


def test_unresolvable_values_make_the_decision_undecided_never_silent():
    m = AccessModel.from_template({"Parameters": {"BucketArn": {"Type": "String"}}, "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}, "Policies": [
            {"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": {"Ref": "BucketArn"}},
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]}}}}, account=ACCOUNT, region="eu-west-1")
    decision = m.evaluate(principal="Role", action="s3:DeleteObject", resource="arn:aws:s3:::x/y")
    assert decision.allowed is None and decision.outcome == "undecided" and "BucketArn" in decision.reason
    with pytest.raises(TypeError):
        bool(decision)
    # a request the unresolvable statement cannot touch is still decided
    assert m.evaluate(principal="Role", action="s3:GetObject", resource="arn:aws:s3:::x/y").allowed is True


def test_missing_environment_makes_arn_dependent_decisions_undecided():
    template = role_template({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::Sub": "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:q"}})
    m = AccessModel.from_template(template)
    assert m.evaluate(principal="app", action="sqs:SendMessage", resource="arn:aws:sqs:eu-west-1:1:q").allowed is None


def test_aws_managed_policies_come_from_the_packaged_catalog():
    template = role_template()
    template["Resources"]["Role"]["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]
    m = AccessModel.from_template(template, account=ACCOUNT, region="us-east-1")
    assert allowed(m, "ec2:DescribeInstances") is True
    assert allowed(m, "s3:GetObject", "arn:aws:s3:::b/k") is False
    unknown = role_template()
    unknown["Resources"]["Role"]["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/NoSuchPolicy"]
    assert allowed(AccessModel.from_template(unknown, account=ACCOUNT, region="us-east-1"), "s3:GetObject") is None


# ------------------------------------------------- resource policies on their own, key policies as a gate

def _template(role_statements: list, resources: dict) -> dict:
    return {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": "app", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": role_statements}}]
            if role_statements else []}},
        **resources,
    }}


ROLE_ARN = "arn:aws:iam::222222222222:role/app"


def _key(statements: list) -> dict:
    return {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": statements}}}}


def test_a_key_policy_is_a_second_gate_for_kms_actions():
    """IAM User Guide / KMS Developer Guide: a principal uses a key only if the key policy allows it,
    directly or by allowing the account (so IAM policies can)."""
    identity = [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]
    key = "arn:aws:kms:eu-west-1:222222222222:key/Key"
    closed = AccessModel.from_template(_template(identity, _key([
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:role/admin"}, "Action": "kms:*", "Resource": "*"}])),
        account="222222222222", region="eu-west-1")
    decision = closed.evaluate(principal=ROLE_ARN, action="kms:Decrypt", resource=key)
    assert decision.allowed is False and "key policy" in decision.reason
    via_s3 = AccessModel.from_template(_template(identity, _key([
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:CallerAccount": "222222222222"}}}])),
        account="222222222222", region="eu-west-1")
    assert via_s3.evaluate(principal=ROLE_ARN, action="kms:Decrypt", resource=key,
                           context={"kms:ViaService": "s3.eu-west-1.amazonaws.com"}).allowed is True
    assert via_s3.evaluate(principal=ROLE_ARN, action="kms:Decrypt", resource=key).allowed is False


def test_a_key_policy_naming_the_role_grants_on_its_own():
    key = "arn:aws:kms:eu-west-1:222222222222:key/Key"
    model = AccessModel.from_template(_template([], _key([
        {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "kms:Encrypt", "Resource": "*"}])),
        account="222222222222", region="eu-west-1")
    assert model.evaluate(principal=ROLE_ARN, action="kms:Encrypt", resource=key).allowed is True
    assert model.evaluate(principal=ROLE_ARN, action="kms:Decrypt", resource=key).allowed is False


def test_a_bucket_policy_naming_the_role_grants_on_its_own_but_naming_the_account_does_not():
    """Same account: a resource-based policy that names the role's ARN is enough; one that names the
    account delegates to IAM (an identity policy must allow too)."""
    def bucket(principal: str) -> dict:
        return {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data"}},
                "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {
                    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal},
                                                            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}}}}
    named = AccessModel.from_template(_template([], bucket(ROLE_ARN)), account="222222222222", region="eu-west-1")
    assert named.evaluate(principal=ROLE_ARN, action="s3:GetObject", resource="arn:aws:s3:::data/a").allowed is True
    assert named.evaluate(principal=ROLE_ARN, action="s3:PutObject", resource="arn:aws:s3:::data/a").allowed is False
    account = AccessModel.from_template(_template([], bucket("arn:aws:iam::222222222222:root")), account="222222222222",
                                        region="eu-west-1")
    assert account.evaluate(principal=ROLE_ARN, action="s3:GetObject", resource="arn:aws:s3:::data/a").allowed is False
