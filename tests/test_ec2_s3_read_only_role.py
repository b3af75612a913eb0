"""Ec2S3ReadOnlyRole: an EC2 instance reads one bucket/prefix and nothing else."""

from __future__ import annotations

import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from constructs_iam import Ec2S3ReadOnlyRole, S3Location

from .support import actions_of, logical_id, nag_findings, new_stack, policy_statements, trust_statements


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Data", encryption_key=key, enforce_ssl=True)
    plain = s3.Bucket(stack, "Plain")
    reader = Ec2S3ReadOnlyRole(
        stack,
        "Reader",
        locations=[S3Location(bucket, "reports/daily"), S3Location(bucket, "exports/"), S3Location(plain)],
        role_name="reports-reader",
    )
    template = Template.from_stack(stack)
    return stack, template, reader, bucket, plain, key


def test_role_is_trusted_only_by_ec2(built):
    _, template, reader, *_ = built
    assert trust_statements(template, reader.role) == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}
    ]


def test_reads_objects_only_under_each_prefix(built):
    _, template, reader, bucket, plain, _ = built
    statements = policy_statements(template, reader.policy)
    objects = next(s for s in statements if s["Sid"] == "ObjectAccess")
    assert objects["Action"] == "s3:GetObject"
    bucket_arn = {"Fn::GetAtt": [logical_id(bucket), "Arn"]}
    plain_arn = {"Fn::GetAtt": [logical_id(plain), "Arn"]}
    expected = [
        {"Fn::Join": ["", [bucket_arn, "/reports/daily/*"]]},
        {"Fn::Join": ["", [bucket_arn, "/exports/*"]]},
        {"Fn::Join": ["", [plain_arn, "/*"]]},
    ]
    assert sorted(map(repr, objects["Resource"])) == sorted(map(repr, expected))


def test_listing_is_limited_to_the_prefixes(built):
    _, template, reader, bucket, plain, _ = built
    lists = [s for s in policy_statements(template, reader.policy) if s["Action"] == "s3:ListBucket"]
    by_resource = {s["Resource"]["Fn::GetAtt"][0]: s for s in lists}
    assert by_resource[logical_id(bucket)]["Condition"] == {
        "StringLike": {"s3:prefix": ["reports/daily/*", "exports/*"]}
    }
    # a whole-bucket location lists the whole bucket: no condition, and nothing wider
    assert "Condition" not in by_resource[logical_id(plain)]


def test_decrypts_only_through_s3_and_only_with_the_buckets_key(built):
    _, template, reader, _, _, key = built
    kms_statement = next(s for s in policy_statements(template, reader.policy) if s["Sid"] == "KmsViaS3")
    assert kms_statement == {
        "Sid": "KmsViaS3",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": {"Fn::GetAtt": [logical_id(key), "Arn"]},
        "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
    }


def test_grants_at_most_three_s3_actions_and_nothing_outside_s3_and_kms(built):
    _, template, reader, *_ = built
    actions = actions_of(policy_statements(template, reader.policy))
    assert {a for a in actions if a.startswith("s3:")} == {"s3:GetObject", "s3:ListBucket"}
    assert actions - {"s3:GetObject", "s3:ListBucket"} == {"kms:Decrypt"}
    assert not any("*" in a for a in actions)


def test_instance_profile_carries_the_role(built):
    _, template, reader, *_ = built
    template.has_resource_properties(
        "AWS::IAM::InstanceProfile",
        {"Roles": [{"Ref": logical_id(reader.role)}], "InstanceProfileName": "reports-reader"},
    )
    template.has_resource_properties("AWS::IAM::Role", {"RoleName": "reports-reader", "Path": "/"})


def test_policy_is_customer_managed_not_inline(built):
    _, template, *_ = built
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy", {"Roles": [{"Ref": Match.string_like_regexp("^ReaderRole")}]}
    )


def test_passes_nag_packs_with_only_the_object_arn_findings_acknowledged(built):
    stack, *_ = built
    findings = [f for f in nag_findings(stack) if "/Data/" not in f and "/Plain/" not in f and "/Key/" not in f]
    assert findings == []


def test_without_a_kms_key_no_kms_statement_is_written():
    stack = new_stack()
    reader = Ec2S3ReadOnlyRole(stack, "Reader", locations=[S3Location(s3.Bucket(stack, "B"), "a/")])
    statements = policy_statements(Template.from_stack(stack), reader.policy)
    assert actions_of(statements) == {"s3:GetObject", "s3:ListBucket"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"locations": []}, "locations [] must list at least one item"),
        ({"locations": None}, "locations None must list at least one item"),
        ({"locations": ["bucket/prefix"]}, "locations 'bucket/prefix' must contain only S3Location objects"),
        ({"locations": "bucket/prefix"}, "locations 'bucket/prefix' must be a list of S3Location objects"),
        ({"role_name": "x" * 65}, "must be at most 64 characters"),
        ({"role_name": "has space"}, "role_name 'has space' may contain only letters, digits"),
        ({"path": "no-slashes"}, "path 'no-slashes' must be '/' or begin and end with '/'"),
    ],
)
def test_bad_input_is_a_value_error_naming_prop_and_value(kwargs, message):
    stack = new_stack()
    bucket = s3.Bucket(stack, "B")
    props = {"locations": [S3Location(bucket, "a/")], **kwargs}
    with pytest.raises(ValueError) as error:
        Ec2S3ReadOnlyRole(stack, "Reader", **props)
    assert message in str(error.value)


def test_nested_locations_are_refused():
    stack = new_stack()
    bucket = s3.Bucket(stack, "B")
    with pytest.raises(ValueError, match="must not list the same or nested locations twice"):
        Ec2S3ReadOnlyRole(stack, "Reader", locations=[S3Location(bucket, "a/"), S3Location(bucket, "a/b/")])
