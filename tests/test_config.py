"""The app's configuration: every mistake is a ConfigError naming the key(s), never a CDK trace.

Tenants in the shared bucket cannot see each other by accident: prefixes are pairwise disjoint,
a whole-bucket workload is explicit and alone, cross-workload reads are named.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest
from aws_cdk.assertions import Template

from stacks import AppConfig, ConfigError, build_stacks, register_checks

from .support import CONTEXT, guardrail_findings, new_app

SAMPLE = CONTEXT["constructs-iam"]
KEY_ARN = "arn:aws:kms:eu-west-1:222222222222:key/12345678-1234-1234-1234-123456789012"


def changed(mutate: Callable[[dict[str, Any]], None], create_bucket: bool = False) -> dict[str, Any]:
    """The sample, with the shared bucket imported by name (create_bucket off) unless asked."""
    raw = copy.deepcopy(SAMPLE)
    raw["workloads"]["create_bucket"] = create_bucket
    mutate(raw)
    return raw


def add_workload(**item: Any) -> Callable[[dict[str, Any]], None]:
    return lambda raw: raw["workloads"]["items"].append(item)


@pytest.mark.parametrize(("mutate", "message"), [
    (add_workload(name="copy", prefix="services/billing/", access="read"),
     "constructs-iam.workloads.items[0] (billing, prefix 'services/billing/') and constructs-iam.workloads.items[3] "
     "(copy, prefix 'services/billing/') have the same prefix"),
    (add_workload(name="copy", prefix="services/billing"),  # normalised: 'a' is 'a/'
     "(copy, prefix 'services/billing/') have the same prefix"),
    (add_workload(name="inner", prefix="services/billing/2026/"),
     "(inner, prefix 'services/billing/2026/') have nested prefixes"),
    (add_workload(name="outer", prefix="services/"), "(outer, prefix 'services/') have nested prefixes"),
    (add_workload(name="everything", prefix="", access="read-write-delete"),
     "constructs-iam.workloads.items[3].prefix '' gives workload 'everything' the whole bucket (read-write-delete"),
    (add_workload(name="everything", prefix="", whole_bucket=True), "have nested prefixes"),
    (add_workload(name="odd", prefix="x/", whole_bucket=True), "whole_bucket is true but prefix is 'x/'"),
    (add_workload(name="billing", prefix="other/"), "constructs-iam.workloads.items[0].name and "
     "constructs-iam.workloads.items[3].name: name 'billing' is listed more than once"),
    (add_workload(name="bad", prefix="a/*"), "constructs-iam.workloads.items[3].prefix 'a/*'"),
    (lambda raw: raw["workloads"]["items"][0].update(reads_from=["reportng"]),
     "constructs-iam.workloads.items[0].reads_from 'reportng' is not a workload name; did you mean 'reporting'?"),
    (lambda raw: raw["workloads"]["items"][0].update(reads_from=["billing"]), "names the workload itself"),
    (lambda raw: raw["identity"]["users"].append(copy.deepcopy(raw["identity"]["users"][0])),
     "constructs-iam.identity.users[0].name and constructs-iam.identity.users[4].name: user name 'alice.example' "
     "is listed more than once"),
    (lambda raw: raw["identity"].update(groups=["developers", "auditors", "developers"]),
     "constructs-iam.identity.groups[0] and constructs-iam.identity.groups[2]: group 'developers' is listed more than once"),
    (lambda raw: raw.update(develper_role_name="x"),
     "constructs-iam.develper_role_name is not a known key; did you mean 'developer_role_name'?"),
    (lambda raw: raw["identity"]["password_policy"].update(minimum_lenght=20),
     "constructs-iam.identity.password_policy.minimum_lenght is not a known key; did you mean 'minimum_length'?"),
    (lambda raw: raw["workloads"]["items"][0].update(acess="read"),
     "constructs-iam.workloads.items[0].acess is not a known key; did you mean 'access'?"),
    (lambda raw: raw["stacksets"].update(enable=True), "constructs-iam.stacksets.enable is not a known key; did you mean 'enabled'?"),
    (lambda raw: raw["identity"]["users"][0].update(zzz=1), "constructs-iam.identity.users[0].zzz is not a known key; valid keys:"),
    (lambda raw: raw["workloads"].update(kms_key_arn="alias/data"), "constructs-iam.workloads.kms_key_arn 'alias/data' must be a KMS key ARN"),
])
def test_configuration_mistakes_are_refused_naming_the_keys(mutate, message):
    with pytest.raises(ConfigError) as error:
        AppConfig.from_dict(changed(mutate))
    assert message in str(error.value)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda raw: raw["workloads"]["items"][0].update(reads_from=["reporting"]),
     "constructs-iam.workloads.items[0].reads_from: with create_bucket the bucket denies each workload"),
    (lambda raw: raw["workloads"].update(kms_key_arn=KEY_ARN),
     "constructs-iam.workloads.kms_key_arn: with create_bucket the app creates the bucket and its key"),
    (lambda raw: raw["workloads"]["items"][0].update(prefix="services/bill(ing)/"),
     "constructs-iam.workloads.items[0].prefix 'services/bill(ing)/' must be a valid tag value"),
])
def test_an_isolated_shared_bucket_refuses_what_isolation_would_break(mutate, message):
    with pytest.raises(ConfigError) as error:
        AppConfig.from_dict(changed(mutate, create_bucket=True))
    assert message in str(error.value)


def test_a_whole_bucket_workload_alone_on_its_bucket_is_allowed_when_explicit():
    raw = changed(lambda r: r["workloads"].update(items=[{"name": "all", "prefix": "", "whole_bucket": True}]))
    assert AppConfig.from_dict(raw).workloads.items[0].prefix == ""


@pytest.fixture(scope="module")
def cross_reading():
    """billing reads reporting's data, on a bucket encrypted with a customer managed key."""
    def mutate(raw):
        raw["workloads"]["items"][0]["reads_from"] = ["reporting"]
        raw["workloads"]["kms_key_arn"] = KEY_ARN

    app = new_app()
    stacks = build_stacks(app, AppConfig.from_dict(changed(mutate)))
    register_checks(app)
    shards = {name: shard for shard in stacks.workload_shards for name in shard.roles}
    return app, shards


def test_reads_from_grants_read_on_the_named_prefix_only_and_is_recorded(cross_reading):
    app, shards = cross_reading
    billing = shards["billing"].roles["billing"]
    template = Template.from_stack(shards["billing"]).to_json()
    policy = template["Resources"][shards["billing"].get_logical_id(billing.policy.node.default_child)]
    reads = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Sid"].startswith("ReadsFrom")]
    assert {s["Sid"]: s["Action"] for s in reads} == {
        "ReadsFromObjects": "s3:GetObject", "ReadsFromList": "s3:ListBucket", "ReadsFromDecrypt": "kms:Decrypt"}
    assert reads[0]["Resource"] == "arn:aws:s3:::acme-shared-workload-data/services/reporting/*"
    role = template["Resources"][shards["billing"].get_logical_id(billing.role.node.default_child)]
    (extension,) = role["Metadata"]["constructs-iam"]["extensions"]
    assert extension["reason"].startswith("reads_from in cdk.json: billing reads the data of reporting")
    assert shards["billing"].cross_workload_reads == {"billing": ("reporting",)}


def test_kms_key_arn_lets_workload_roles_use_the_key_through_s3_only(cross_reading):
    _, shards = cross_reading
    for name, actions in (("billing", ["kms:Decrypt", "kms:GenerateDataKey"]), ("reporting", "kms:Decrypt"),
                          ("ingest", ["kms:Decrypt", "kms:GenerateDataKey"])):
        pattern = shards[name].roles[name]
        template = Template.from_stack(shards[name]).to_json()
        statements = template["Resources"][shards[name].get_logical_id(pattern.policy.node.default_child)][
            "Properties"]["PolicyDocument"]["Statement"]
        (kms_statement,) = [s for s in statements if s["Sid"] == "KmsViaS3"]
        assert kms_statement["Action"] == actions
        assert kms_statement["Resource"] == KEY_ARN
        assert kms_statement["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}


def test_the_cross_reading_configuration_passes_every_check(cross_reading):
    app, _ = cross_reading
    assert guardrail_findings(app, plugin=None) == []
