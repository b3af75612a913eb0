"""A thousand workloads: placed within CloudFormation's and IAM's limits, and placed stably."""

from __future__ import annotations

import copy
import json
import re

import pytest
from aws_cdk.assertions import Template

from stacks import AppConfig, ConfigError, build_stacks
from stacks.workload_shards import place

from .support import CONTEXT, new_app

SAMPLE = CONTEXT["constructs-iam"]
COUNT = 1000


def config_with(names: list[str]) -> AppConfig:
    raw = copy.deepcopy(SAMPLE)
    # every tenth workload is an EC2 fleet with an instance role, the rest are services
    raw["workloads"]["items"] = [
        {"name": n, "prefix": f"services/{n}/", "access": "read-write", "role": "ec2-read" if n.endswith("0") else "s3-prefix"}
        for n in names
    ]
    return AppConfig.from_dict(raw)


def role_locations(names: list[str]) -> tuple[dict[str, tuple[str, str]], dict[str, dict]]:
    """{workload: (stack name, role logical id)} and the shard templates, from a real synthesis."""
    stacks = build_stacks(new_app(), config_with(names))
    locations, templates = {}, {}
    for shard in stacks.workload_shards:
        template = Template.from_stack(shard).to_json()
        templates[shard.stack_name] = template
        for name, role in shard.roles.items():
            locations[name] = (shard.stack_name, shard.get_logical_id(role.role.node.default_child))
    return locations, templates


NAMES = [f"svc-{i:04d}" for i in range(COUNT)]


@pytest.fixture(scope="module")
def thousand():
    return role_locations(NAMES)


def test_every_workload_gets_its_own_role(thousand):
    locations, templates = thousand
    assert len(locations) == COUNT
    resources = [r for t in templates.values() for r in t["Resources"].values()]
    assert sum(r["Type"] == "AWS::IAM::Role" for r in resources) == COUNT
    assert sum(r["Type"] == "AWS::IAM::InstanceProfile" for r in resources) == COUNT // 10


def test_no_stack_passes_cloudformation_limits(thousand):
    _, templates = thousand
    for name, template in templates.items():
        assert len(template["Resources"]) <= 500, name
        assert len(json.dumps(template, separators=(",", ":"))) < 1_000_000, name  # template body in S3: 1 MB
        assert len(template.get("Outputs", {})) <= 200 and len(template.get("Parameters", {})) <= 200


def test_no_role_passes_iam_limits(thousand):
    _, templates = thousand
    for template in templates.values():
        attachments: dict[str, int] = {}
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::ManagedPolicy":
                # IAM counts the policy without whitespace; an ARN resolves shorter than its intrinsic
                size = len(re.sub(r"\s", "", json.dumps(resource["Properties"]["PolicyDocument"])))
                assert size <= 6144
                for role in resource["Properties"]["Roles"]:
                    attachments[role["Ref"]] = attachments.get(role["Ref"], 0) + 1
        assert max(attachments.values()) <= 10  # managed policies per role (default quota)


def test_adding_reordering_or_removing_workloads_moves_no_existing_role(thousand):
    locations, _ = thousand
    changed = list(reversed(NAMES[:500] + ["svc-new-in-the-middle"] + NAMES[500:]))  # added and reordered
    removed = changed.pop(10)  # and one removed
    after, _ = role_locations(changed)
    assert set(after) == (set(NAMES) - {removed}) | {"svc-new-in-the-middle"}
    moved = {name: (locations[name], after[name]) for name in after if name in locations and after[name] != locations[name]}
    assert moved == {}


def test_placement_depends_on_the_name_only():
    a = place(config_with(NAMES[:50]).workloads.items, 16)
    b = place(config_with(list(reversed(NAMES[:50]))).workloads.items, 16)
    assert {s: sorted(w.name for w in items) for s, items in a.items()} == {s: sorted(w.name for w in items) for s, items in b.items()}


def test_a_shard_over_the_resource_limit_is_a_clear_error():
    raw = copy.deepcopy(SAMPLE)
    raw["workloads"] = {"bucket_name": "b-bucket", "shards": 1, "items": [{"name": f"w{i}", "prefix": f"p{i}/"} for i in range(241)]}
    with pytest.raises(ConfigError, match=r"constructs-iam.workloads.shards 1 puts 241 workloads in shard 00 \(482 resources, limit 480\)"):
        build_stacks(new_app(), AppConfig.from_dict(raw))


@pytest.mark.parametrize(("workloads", "message"), [
    ({"bucket_name": "b-bucket", "items": [{"name": "a", "prefix": "x/"}, {"name": "A", "prefix": "y/"}]}, "name 'A' is listed more than once"),
    ({"items": [{"name": "a", "prefix": "x/"}]}, "constructs-iam.workloads.bucket_name is missing"),
    ({"bucket_name": "b-bucket", "items": [{"name": "has space", "prefix": "x/"}]}, "constructs-iam.workloads.items[0].name 'has space'"),
    ({"bucket_name": "b-bucket", "items": [{"name": "a", "prefix": "x/", "access": "all"}]}, "access 'all' must be one of"),
    ({"bucket_name": "b-bucket", "shards": 0, "items": []}, "constructs-iam.workloads.shards 0 must be a whole number from 1 to 200"),
    ({"bucket_name": "b-bucket", "items": [{"name": "a", "prefix": "x/", "role": "admin"}]}, "role 'admin' must be s3-prefix or ec2-read"),
])
def test_bad_workload_configuration_names_the_key(workloads, message):
    raw = {**copy.deepcopy(SAMPLE), "workloads": workloads}
    with pytest.raises(ConfigError) as error:
        AppConfig.from_dict(raw)
    assert message in str(error.value)
