"""S3PrefixAccessRole: an application reads and writes one directory of a bucket, nothing else."""

from __future__ import annotations

import pytest
from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs_iam import S3Access, S3Location, S3PrefixAccessRole, service_principal

from .support import actions_of, logical_id, nag_findings, new_stack, policy_statements, trust_statements


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    bucket = s3.Bucket(stack, "Data")
    app = S3PrefixAccessRole(
        stack,
        "Uploads",
        assumed_by=service_principal("ecs-tasks.amazonaws.com"),
        location=S3Location(bucket, "app/uploads"),
    )
    return stack, Template.from_stack(stack), app, bucket


def test_read_write_on_the_prefix_with_multipart_and_no_delete(built):
    _, template, app, bucket = built
    objects = next(s for s in policy_statements(template, app.policy) if s["Sid"] == "ObjectAccess")
    assert sorted(objects["Action"]) == sorted(
        ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    )
    assert objects["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [logical_id(bucket), "Arn"]}, "/app/uploads/*"]]}


def test_listing_is_limited_to_the_prefix(built):
    _, template, app, bucket = built
    listing = next(s for s in policy_statements(template, app.policy) if s["Sid"] == "ListPrefix")
    assert listing == {
        "Sid": "ListPrefix",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": {"Fn::GetAtt": [logical_id(bucket), "Arn"]},
        "Condition": {"StringLike": {"s3:prefix": ["app/uploads/*"]}},
    }


def test_at_most_eight_s3_actions_and_nothing_else(built):
    _, template, app, _ = built
    actions = actions_of(policy_statements(template, app.policy))
    assert len(actions) <= 8
    assert all(a.startswith("s3:") for a in actions)


def test_trust_is_the_service_pinned_to_this_account(built):
    _, template, app, _ = built
    assert trust_statements(template, app.role) == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]


def test_session_is_one_hour_by_default(built):
    _, template, app, _ = built
    template.has_resource_properties("AWS::IAM::Role", {"MaxSessionDuration": 3600})


def test_passes_nag_packs(built):
    stack, *_ = built
    assert [f for f in nag_findings(stack) if "/Data/" not in f] == []


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        (S3Access.READ, {"s3:GetObject", "s3:ListBucket"}),
        (S3Access.WRITE, {"s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}),
        (
            S3Access.READ_WRITE_DELETE,
            {"s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:AbortMultipartUpload",
             "s3:ListMultipartUploadParts", "s3:DeleteObject"},
        ),
    ],
)
def test_access_level_decides_the_actions(access, expected):
    stack = new_stack()
    role = S3PrefixAccessRole(
        stack, "R", assumed_by=iam.AccountPrincipal("222222222222"),
        location=S3Location(s3.Bucket(stack, "B"), "x/"), access=access,
    )
    assert actions_of(policy_statements(Template.from_stack(stack), role.policy)) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"assumed_by": iam.AnyPrincipal()}, "trusts any principal ('*')"),
        ({"assumed_by": iam.ArnPrincipal("*")}, "trusts any principal ('*')"),
        (
            {"assumed_by": iam.PrincipalWithConditions(iam.AnyPrincipal(), {"Bool": {"aws:SecureTransport": "true"}})},
            "trusts any principal ('*')",
        ),
        ({"assumed_by": "ecs-tasks.amazonaws.com"}, "assumed_by 'ecs-tasks.amazonaws.com' must be an aws_iam.IPrincipal"),
        ({"access": "read"}, "access 'read' must be one of"),
        ({"max_session_duration": Duration.hours(13)}, "max_session_duration '13 hours' must be between 1 hour and 12 hours"),
        ({"max_session_duration": Duration.minutes(30)}, "max_session_duration '30 minutes' must be between"),
        ({"location": None}, "must contain only S3Location objects"),
    ],
)
def test_bad_input_is_a_value_error_naming_prop_and_value(kwargs, message):
    stack = new_stack()
    props = {
        "assumed_by": iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
        "location": S3Location(s3.Bucket(stack, "B"), "x/"),
        **kwargs,
    }
    with pytest.raises(ValueError) as error:
        S3PrefixAccessRole(stack, "R", **props)
    assert message in str(error.value)


def test_star_principal_pinned_to_an_organization_is_accepted():
    stack = new_stack()
    org_wide = iam.PrincipalWithConditions(iam.AnyPrincipal(), {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}})
    role = S3PrefixAccessRole(stack, "R", assumed_by=org_wide, location=S3Location(s3.Bucket(stack, "B"), "x/"))
    statement = trust_statements(Template.from_stack(stack), role.role)[0]
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}
