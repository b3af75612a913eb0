"""Workloads that cannot read each other, enforced by the bucket too: the tenant-isolation Deny
statements (ABAC on aws:PrincipalTag) refuse a role that was widened by hand. Decided by AccessModel."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from constructs_iam import S3Access, S3Location, S3PrefixAccessRole, TenantIsolatedBucket, service_principal
from constructs_iam.access import AccessModel

from .support import ENV, guardrail_findings, nag_findings, new_app

TLS = {"aws:SecureTransport": "true"}


def build(widen: bool = False, tenants: int = 2):
    app = new_app()
    stack = Stack(app, "Shared", env=ENV)
    shared = TenantIsolatedBucket(stack, "Shared", bucket_name="acme-shared-data")
    roles = {}
    for name in ["billing", "reporting", *[f"t{i}" for i in range(tenants - 2)]]:
        role = S3PrefixAccessRole(stack, name, assumed_by=service_principal("ecs-tasks.amazonaws.com"),
                                  location=S3Location(shared.bucket, f"services/{name}/"), access=S3Access.READ_WRITE,
                                  role_name=name)
        TenantIsolatedBucket.admit(role, f"services/{name}")
        roles[name] = role
    if widen:  # someone widens billing by hand, on purpose, past review
        roles["billing"].extend_policy([iam.PolicyStatement(actions=["s3:GetObject", "s3:ListBucket"],
                                                            resources=[shared.bucket.bucket_arn, shared.bucket.arn_for_objects("*")])],
                                       reason="A mistaken widening, reviewed and merged by accident")
    return app, stack, shared, roles


def bucket_statements(stack: Stack) -> list[dict]:
    (policy,) = Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy").values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_roles_are_tagged_with_their_prefix():
    _, stack, _, _ = build()
    Template.from_stack(stack).has_resource_properties("AWS::IAM::Role", {
        "RoleName": "billing", "Tags": [{"Key": "TenantPrefix", "Value": "services/billing/"}]})


def test_isolation_is_two_statements_whatever_the_number_of_tenants():
    _, few, _, _ = build(tenants=2)
    _, many, _, _ = build(tenants=40)
    assert bucket_statements(few) == bucket_statements(many)
    sids = [s.get("Sid") for s in bucket_statements(few)]
    assert "TenantsOnlyInTheirOwnPrefix" in sids and "TenantsListOnlyTheirOwnPrefix" in sids


def test_a_role_widened_by_hand_still_cannot_read_another_tenant():
    _, stack, _, _ = build(widen=True)
    model = AccessModel.from_stack(stack)
    billing = "arn:aws:iam::222222222222:role/billing"
    bucket = "arn:aws:s3:::acme-shared-data"
    decision = model.evaluate(principal=billing, action="s3:GetObject", resource=f"{bucket}/services/reporting/r.csv", context=TLS)
    assert decision.allowed is False and "TenantsOnlyInTheirOwnPrefix" in decision.reason
    listing = model.evaluate(principal=billing, action="s3:ListBucket", resource=bucket,
                             context={**TLS, "s3:prefix": "services/reporting/"})
    assert listing.allowed is False and "TenantsListOnlyTheirOwnPrefix" in listing.reason
    own = model.evaluate(principal=billing, action="s3:GetObject", resource=f"{bucket}/services/billing/b.csv", context=TLS)
    assert own.allowed is True
    own_list = model.evaluate(principal=billing, action="s3:ListBucket", resource=bucket,
                              context={**TLS, "s3:prefix": "services/billing/2026/"})
    assert own_list.allowed is True


def test_without_the_tag_the_same_widening_reads_everything():
    """The control group: the Deny applies to tagged tenants only, so the test above proves the tag works."""
    app, stack, shared, roles = build(widen=True)
    template = Template.from_stack(stack).to_json()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            resource["Properties"].pop("Tags", None)
    model = AccessModel.from_template(template, account="222222222222", region="eu-west-1")
    decision = model.evaluate(principal="arn:aws:iam::222222222222:role/billing", action="s3:GetObject",
                              resource="arn:aws:s3:::acme-shared-data/services/reporting/r.csv", context=TLS)
    assert decision.allowed is True


def test_the_bucket_passes_every_check_but_the_two_the_caller_decides():
    app, stack, _, _ = build()
    # access logging needs a log bucket (server_access_logs_bucket) and replication a second region:
    # the caller's decisions (the app passes its log bucket and acknowledges replication)
    unexpected = [f for f in nag_findings(stack) if not f.startswith((
        "AwsSolutions-S1 ", "NIST.800.53.R5-S3BucketLoggingEnabled ", "NIST.800.53.R5-S3BucketReplicationEnabled "))]
    assert unexpected == []
    assert [f for f in guardrail_findings(app, plugin="IamGuardrails")] == []


@pytest.mark.parametrize(("prefix", "message"), [
    ("", "must not be empty"),
    ("a(b)/", "must be a valid tag value"),
])
def test_admit_refuses_prefixes_a_tag_cannot_hold(prefix, message):
    stack = Stack(App(), "S", env=ENV)
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    with pytest.raises(ValueError, match=message):
        TenantIsolatedBucket.admit(role, prefix)
