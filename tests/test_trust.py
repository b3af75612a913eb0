"""Trust helpers: services pinned to an account, cross-account callers with MFA and/or ExternalId."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam

from constructs_iam import cross_account_principal, service_principal

from .support import new_stack

STACK = new_stack()


def rendered(principal: iam.IPrincipal) -> tuple[dict, dict]:
    fragment = principal.policy_fragment
    return STACK.resolve(fragment.principal_json), STACK.resolve(fragment.conditions)


def test_service_principal_carries_source_account_and_source_arn():
    principals, conditions = rendered(
        service_principal("events.amazonaws.com", source_account="222222222222",
                          source_arn="arn:aws:events:eu-west-1:222222222222:rule/nightly")
    )
    assert principals == {"Service": ["events.amazonaws.com"]}
    assert conditions == {
        "StringEquals": {"aws:SourceAccount": "222222222222"},
        "ArnLike": {"aws:SourceArn": "arn:aws:events:eu-west-1:222222222222:rule/nightly"},
    }


def test_service_principal_defaults_to_the_stacks_own_account():
    _, conditions = rendered(service_principal("lambda.amazonaws.com"))
    assert conditions == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_cross_account_requires_fresh_mfa_by_default():
    principals, conditions = rendered(cross_account_principal("111111111111"))
    assert principals == {"AWS": ["arn:aws:iam::111111111111:root"]}
    assert conditions == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
    }


def test_cross_account_with_external_id_and_named_roles():
    _, conditions = rendered(
        cross_account_principal(
            "111111111111", require_mfa=False, external_id="partner-7f3a9c",
            principal_arns=["arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/b"],
        )
    )
    assert conditions == {
        "StringEquals": {"sts:ExternalId": "partner-7f3a9c"},
        "ArnEquals": {"aws:PrincipalArn": ["arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/b"]},
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: service_principal("ec2"), "service 'ec2' must be an AWS service principal"),
        (lambda: service_principal("*"), "service '*' must be an AWS service principal"),
        (lambda: service_principal("lambda.amazonaws.com", source_account="1234"), "source_account '1234' must be 12 digits"),
        (lambda: service_principal("lambda.amazonaws.com", source_arn="rule/x"), "source_arn 'rule/x' must be an ARN"),
        (lambda: cross_account_principal("1111"), "account_id '1111' must be 12 digits"),
        (lambda: cross_account_principal("111111111111", require_mfa=False), "require_mfa False may be False only with an external_id"),
        (lambda: cross_account_principal("111111111111", external_id="x"), "external_id '<redacted>' must be 2 to 1224 characters"),
        (lambda: cross_account_principal("111111111111", max_mfa_age=Duration.hours(13)), "max_mfa_age '13 hours' must be between"),
        (lambda: cross_account_principal("111111111111", principal_arns=["arn:aws:iam::111111111111:group/devs"]), "must be an IAM role or user ARN"),
    ],
)
def test_bad_input_is_a_value_error_naming_prop_and_value(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


def test_external_id_is_never_echoed_in_errors():
    with pytest.raises(ValueError) as error:
        cross_account_principal("111111111111", external_id="s")
    assert "'s'" not in str(error.value)
