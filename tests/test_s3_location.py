"""S3Location and S3Access: prefixes are validated and normalized; action lists are exact."""

from __future__ import annotations

import pytest
from aws_cdk import aws_s3 as s3
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_iam import S3Access, S3Location

from .support import new_stack

STACK = new_stack()
BUCKET = s3.Bucket(STACK, "B")


@pytest.mark.parametrize(
    ("prefix", "normalized"),
    [("", ""), ("daily", "daily/"), ("daily/", "daily/"), ("a/b/year=2026/", "a/b/year=2026/")],
)
def test_prefix_is_normalized_to_a_directory(prefix, normalized):
    assert S3Location(BUCKET, prefix).prefix == normalized


def test_directory_prefix_never_matches_a_sibling_with_the_same_start():
    # "daily" must not also grant "daily-secret/...": the ARN ends "daily/*", not "daily*"
    location = S3Location(BUCKET, "daily")
    assert STACK.resolve(location.objects_arn)["Fn::Join"][1][1] == "/daily/*"
    assert location.list_prefixes == ["daily/*"]


@pytest.mark.parametrize(
    ("prefix", "rule"),
    [
        ("reports/*", "wildcard"),
        ("report?", "wildcard"),
        ("*", "wildcard"),
        ("home/${aws:username}/", "policy variables"),
        ("/reports/", "must not start with '/'"),
        ("a//b/", "empty, '.' or '..'"),
        ("a/../b/", "empty, '.' or '..'"),
        ("a/./b", "empty, '.' or '..'"),
        ("has space/", "may contain only"),
        ("back\\slash", "may contain only"),
        ("percent%20/", "may contain only"),
        ("x" * 1025, "at most 1024 bytes"),
    ],
)
def test_bad_prefix_is_refused_naming_the_value(prefix, rule):
    with pytest.raises(ValueError) as error:
        S3Location(BUCKET, prefix)
    assert "S3Location.prefix" in str(error.value)
    assert repr(prefix)[:50] in str(error.value)
    assert rule in str(error.value)


def test_non_string_prefix_and_non_bucket_are_refused():
    with pytest.raises(ValueError, match="S3Location.prefix 42 must be a string"):
        S3Location(BUCKET, 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="S3Location.bucket 'my-bucket' must be an aws_s3.IBucket"):
        S3Location("my-bucket", "a/")  # type: ignore[arg-type]


def test_location_is_immutable():
    location = S3Location(BUCKET, "a/")
    with pytest.raises(AttributeError):
        location.prefix = "b/"  # type: ignore[misc]


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_accepted_prefix_is_a_clean_directory(prefix):
    """Whatever is accepted has no wildcard, no variable, and ends in exactly one '/'."""
    try:
        location = S3Location(BUCKET, prefix)
    except ValueError:
        return
    assert not set("*?$") & set(location.prefix)
    assert location.prefix == "" or (location.prefix.endswith("/") and not location.prefix.endswith("//"))
    assert not location.prefix.startswith("/")


def test_access_levels_grant_exact_action_lists():
    assert S3Access.READ.object_actions == ["s3:GetObject"]
    assert S3Access.READ.bucket_actions == ["s3:ListBucket"]
    assert S3Access.WRITE.object_actions == ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    assert S3Access.WRITE.bucket_actions == []
    assert set(S3Access.READ_WRITE.object_actions) == {"s3:GetObject", *S3Access.WRITE.object_actions}
    assert set(S3Access.READ_WRITE_DELETE.object_actions) == {*S3Access.READ_WRITE.object_actions, "s3:DeleteObject"}
    for access in S3Access:
        assert len(access.object_actions + access.bucket_actions) <= 8
