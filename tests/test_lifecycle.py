"""The lifecycle gate refuses, by construct path, what would remove or replace an identity.

Three versions of the sample app are synthesized once each: as committed (the baseline), changed
carelessly (a person removed without offboarding, another renamed without declaring it, a group and
the developer role renamed) and changed carefully (the same intents, done as the gate asks). The
gate compares them as a CI job would (``python -m constructs_iam.lifecycle``), and the committed
lock file is checked against the sample.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys

import pytest

from constructs_iam.lifecycle import (
    LOCK_FILE,
    STATEFUL_TYPES,
    Acknowledgment,
    Identity,
    compare,
    create_only_properties,
    import_mapping,
    lock_text,
    read_assembly,
    read_lock,
)
from stacks import AppConfig, ConfigError, build_stacks

from .support import CONTEXT, ROOT, new_app

SAMPLE = CONTEXT["constructs-iam"]
DEVELOPER_ROLE = "ConstructsIam-ProductionAccess/DeveloperReadOnly/Role"
BOB = "ConstructsIam-Identity/User-bob.example/User"
CAROL = "ConstructsIam-Identity/User-carol.example/User"
AUDITORS = "ConstructsIam-Identity/Group-auditors/Group"


def synth(raw: dict, tmp_path_factory, name: str) -> str:
    app = new_app({"aws:cdk:enable-path-metadata": True})
    build_stacks(app, AppConfig.from_dict(raw))
    return app.synth().directory


def users(raw: dict) -> list[dict]:
    return raw["identity"]["users"]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> str:
    return synth(SAMPLE, tmp_path_factory, "baseline")


@pytest.fixture(scope="module")
def careless(tmp_path_factory) -> str:
    raw = copy.deepcopy(SAMPLE)
    raw["identity"]["users"] = [u for u in users(raw) if u["name"] != "bob.example"]  # bob left: just deleted
    for user in users(raw):
        if user["name"] == "carol.example":
            user["name"] = "carol.jones"  # married: renamed without a word
            user["groups"] = ["audit"]
    raw["identity"]["groups"] = ["developers", "audit"]  # auditors -> audit
    raw["developer_role_name"] = "DeveloperView"
    return synth(raw, tmp_path_factory, "careless")


@pytest.fixture(scope="module")
def careful(tmp_path_factory) -> str:
    raw = copy.deepcopy(SAMPLE)
    for user in users(raw):
        if user["name"] == "bob.example":
            user["status"] = "offboarded"
        if user["name"] == "carol.example":
            user["name"], user["renamed_from"] = "carol.jones", "carol.example"
    raw["developer_role_name"] = "DeveloperView"
    raw["lifecycle"] = {"acknowledge": [{"resource": DEVELOPER_ROLE, "change": "replace",
                                         "reason": "planned: the identity account's grant names the new role ARN"}]}
    return synth(raw, tmp_path_factory, "careful")


def by_path(changes) -> dict[str, list]:
    result: dict[str, list] = {}
    for change in changes:
        result.setdefault(change.before.path, []).append(change)
    return result


def gate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "constructs_iam.lifecycle", *args], capture_output=True, text=True,
                          cwd=ROOT)


# --------------------------------------------------------------------------------- refused


def test_removing_a_person_without_offboarding_is_refused_naming_the_user(baseline, careless):
    changes = by_path(compare(read_assembly(baseline).identities, read_assembly(careless)))
    (removal,) = changes[BOB]
    assert removal.change == "remove" and removal.refused
    assert "without offboarding" in removal.detail and "offboarded" in removal.detail
    # and the credentials that would be destroyed with it
    for path, found in changes.items():
        if path.startswith("ConstructsIam-Identity/User-bob.example/"):
            assert all(c.refused for c in found), path


def test_an_undeclared_rename_is_refused(baseline, careless):
    changes = by_path(compare(read_assembly(baseline).identities, read_assembly(careless)))
    (removal,) = changes[CAROL]
    assert removal.refused and removal.before.name == "carol.example"


def test_a_renamed_group_is_refused(baseline, careless):
    changes = by_path(compare(read_assembly(baseline).identities, read_assembly(careless)))
    (removal,) = changes[AUDITORS]
    assert removal.change == "remove" and removal.refused and removal.before.name == "auditors"


def test_a_role_rename_is_a_refused_replacement(baseline, careless):
    changes = by_path(compare(read_assembly(baseline).identities, read_assembly(careless)))
    (replacement,) = changes[DEVELOPER_ROLE]
    assert replacement.change == "replace" and replacement.refused
    assert "RoleName DeveloperReadOnly -> DeveloperView" in replacement.detail


def test_the_gate_command_fails_and_names_each_refused_resource(baseline, careless):
    result = gate(careless, "--baseline", baseline)
    assert result.returncode == 1, result.stdout + result.stderr
    refused = [line for line in result.stdout.splitlines() if line.endswith("REFUSED")]
    for path in (BOB, CAROL, AUDITORS, DEVELOPER_ROLE):
        assert any(line.split("] ", 1)[0].split(" ", 2)[1] == path or f" {path} (" in line for line in refused), path


# --------------------------------------------------------------------------------- passes


def test_offboarding_declared_rename_and_acknowledged_replacement_pass(baseline, careful):
    changes = compare(read_assembly(baseline).identities, read_assembly(careful))
    assert [c.line() for c in changes if c.refused] == []
    paths = by_path(changes)
    assert BOB not in paths  # the user stays
    assert all("bob.example is offboarded" in c.passes_because for p, found in paths.items()
               if p.startswith("ConstructsIam-Identity/User-bob.example/") for c in found)
    (rename,) = paths[CAROL]
    assert rename.change == "replace" and "declared rename carol.example -> carol.jones" in rename.passes_because
    (role,) = paths[DEVELOPER_ROLE]
    assert role.passes_because == "acknowledged: planned: the identity account's grant names the new role ARN"


def test_the_gate_command_passes_the_careful_change(baseline, careful):
    result = gate(careful, "--baseline", baseline)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 refused" in result.stdout


def test_an_acknowledgment_passes_only_the_change_it_names(baseline, careless):
    assembly = read_assembly(careless)
    acknowledged = dataclasses.replace(assembly, acknowledgments=[Acknowledgment(DEVELOPER_ROLE, "remove", "wrong change")])
    (role,) = by_path(compare(read_assembly(baseline).identities, acknowledged))[DEVELOPER_ROLE]
    assert role.refused  # a removal acknowledged does not let a replacement through


# --------------------------------------------------------------------------------- the lock


def test_committed_lock_is_the_samples_deployed_state(baseline):
    """make synth compares with lifecycle.lock.json: for the sample as committed, nothing changes."""
    lock = read_lock(ROOT / LOCK_FILE)
    assert compare(lock, read_assembly(baseline)) == []
    assert {i.key for i in lock} == {i.key for i in read_assembly(baseline).identities}


def test_lock_is_small_reviewable_json_one_entry_per_identity(baseline, tmp_path):
    identities = read_assembly(baseline).identities
    text = lock_text(identities, {identities[0].key: "physical-1"})
    data = json.loads(text)
    assert len(data["identities"]) == len(identities)
    assert all(e["type"] in STATEFUL_TYPES or e.get("retained") for e in data["identities"])
    assert data["identities"][0]["physical_id"] == "physical-1"
    path = tmp_path / "lock.json"
    path.write_text(text)
    assert [dataclasses.replace(i, physical_id=None) for i in read_lock(path)] == identities


def test_replacement_comes_from_cloudformation_schemas():
    assert create_only_properties("AWS::IAM::Role") == ("Path", "RoleName")
    assert create_only_properties("AWS::IAM::User") == ("UserName",)  # a user's Path changes in place
    assert create_only_properties("AWS::SecretsManager::Secret") == ("Name",)
    before = Identity("S", "U", "AWS::IAM::User", "S/U", "u", {"UserName": "u"})
    moved = dataclasses.replace(before, create_only={"UserName": "u"}, name="u")
    from constructs_iam.lifecycle import Assembly

    assert compare([before], Assembly([moved], [])) == []


def test_a_key_referring_to_a_replaced_user_is_replaced_too():
    from constructs_iam.lifecycle import Assembly

    user = Identity("S", "User", "AWS::IAM::User", "S/P/User", "bob", {"UserName": "bob"})
    key = Identity("S", "Key", "AWS::IAM::AccessKey", "S/P/Key", None, {"UserName": {"Ref": "User"}})
    changes = compare([user, key], Assembly([dataclasses.replace(user, create_only={"UserName": "rob"}), key], []))
    assert [(c.before.logical_id, c.change) for c in changes] == [("Key", "replace"), ("User", "replace")]
    assert "refers to User" in changes[0].detail


def test_a_name_moved_to_another_construct_id_is_named(baseline):
    from constructs_iam.lifecycle import Assembly

    group = Identity("S", "Old", "AWS::IAM::Group", "S/Old/Group", "auditors", {"GroupName": "auditors"})
    (change,) = compare([group], Assembly([dataclasses.replace(group, logical_id="New", path="S/New/Group")], []))
    assert change.refused and "the same name is now S/New/Group" in change.detail and "already exists" in change.detail


# --------------------------------------------------------------------------------- recovery


def test_import_mapping_names_every_retained_identity_of_the_stack(baseline):
    identities = read_assembly(baseline).identities
    mapping, missing = import_mapping(identities, "ConstructsIam-Identity")
    users_ = {lid: m["UserName"] for lid, m in mapping.items() if "UserName" in m}
    assert sorted(users_.values()) == sorted(u["name"] for u in users(SAMPLE))
    assert sorted(m["GroupName"] for m in mapping.values() if "GroupName" in m) == sorted(SAMPLE["identity"]["groups"])
    # retained KMS keys have no name in the template: mapped from the lock's physical id, else listed
    keys = [i for i in identities if i.stack == "ConstructsIam-Identity" and i.type == "AWS::KMS::Key" and i.retained]
    assert keys and all(any(i.path in line for line in missing) for i in keys)
    with_ids = [dataclasses.replace(i, physical_id=f"key-{n}") if i in keys else i for n, i in enumerate(identities)]
    mapping, missing = import_mapping(with_ids, "ConstructsIam-Identity")
    assert not any("AWS::KMS::Key" in line for line in missing)  # the group policies: test_retained_group_policies_...
    assert {mapping[i.logical_id]["KeyId"] for i in keys} == {f"key-{n}" for n, i in enumerate(identities) if i in keys}
    # what the stack deletion did not retain (access keys, secrets) is not imported: the deploy makes it anew
    assert not any("Id" in m for m in mapping.values())


# --------------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("change, message", [
    ({"renamed_from": "carol.example"}, r"users\[2\]\.renamed_from 'carol.example' is the name itself"),
    ({"renamed_from": "alice.example"}, r"alice.example' is listed more than once"),
    ({"renamed_form": "carol.old"}, r"renamed_form is not a known key; did you mean 'renamed_from'"),
])
def test_config_refuses_a_wrong_rename(change, message):
    raw = copy.deepcopy(SAMPLE)
    users(raw)[2].update(change)
    with pytest.raises(ConfigError, match=message):
        AppConfig.from_dict(raw)


@pytest.mark.parametrize("entry, message", [
    ({"resource": DEVELOPER_ROLE, "change": "rename", "reason": "why not"}, r"change 'rename' must be remove or replace"),
    ({"resource": "DeveloperReadOnly", "change": "replace", "reason": "why not"}, r"resource 'DeveloperReadOnly' must be a construct path"),
    ({"resource": DEVELOPER_ROLE, "change": "replace"}, r"acknowledge\[0\]\.reason is missing"),
    ({"resource": DEVELOPER_ROLE, "change": "replace", "reason": "ok", "by": "me"}, r"by is not a known key"),
])
def test_config_refuses_a_malformed_lifecycle_acknowledgment(entry, message):
    raw = {**copy.deepcopy(SAMPLE), "lifecycle": {"acknowledge": [entry]}}
    with pytest.raises(ConfigError, match=message):
        AppConfig.from_dict(raw)


def test_removing_an_offboarded_persons_user_is_the_explicit_step_that_needs_an_acknowledgment():
    from constructs_iam.lifecycle import Assembly

    user = Identity("S", "U", "AWS::IAM::User", "S/P/User", "bob", {"UserName": "bob"},
                    person={"name": "bob", "status": "offboarded"})
    (change,) = compare([user], Assembly([], []))
    assert change.refused and "offboarded person's user is deleted" in change.detail
    (change,) = compare([user], Assembly([], [Acknowledgment("S/P/User", "remove", "left in 2024; audit kept 2 years")]))
    assert change.passes_because == "acknowledged: left in 2024; audit kept 2 years"


def test_an_acknowledgment_that_matches_nothing_is_reported(baseline, careful):
    result = gate(careful, "--baseline", careful)  # nothing changes: the role's acknowledgment is stale
    assert result.returncode == 0
    assert f"unused acknowledgment (replace {DEVELOPER_ROLE})" in result.stdout


# --------------------------------------------------------------------------------- templates a stack deploys


def _nested_app(with_nested: bool, *, user_in_nested: bool = False) -> str:
    """A stack with a user, and (optionally) a nested stack and a StackSet each holding a role."""
    from aws_cdk import NestedStack, Stack
    from aws_cdk import aws_iam as iam
    from cdk_stacksets import StackSet, StackSetStack, StackSetTarget, StackSetTemplate

    app = new_app({"aws:cdk:enable-path-metadata": True})
    stack = Stack(app, "Parent", env={"account": "111111111111", "region": "eu-west-1"})
    if not user_in_nested:
        iam.User(stack, "Person", user_name="dana.example")
    if with_nested:
        nested = NestedStack(stack, "Nested")
        iam.Role(nested, "NestedRole", role_name="NestedRole", assumed_by=iam.AccountRootPrincipal())
        if user_in_nested:
            iam.User(nested, "Person", user_name="dana.example")
        member = StackSetStack(stack, "Member")
        iam.Role(member, "MemberRole", role_name="MemberRole", assumed_by=iam.AccountPrincipal("111111111111"))
        StackSet(stack, "StackSet", target=StackSetTarget.from_accounts(regions=["eu-west-1"], accounts=["222222222222"]),
                 template=StackSetTemplate.from_stack_set_stack(member))
    return app.synth().directory


def test_the_gate_reads_nested_stack_and_stackset_templates():
    """A role in a nested stack or a StackSet template is an identity too: taking the nested stack or the
    StackSet away deletes it (in every account of the StackSet), and the gate says so."""
    before = read_assembly(_nested_app(True))
    names = {i.name: i for i in before.identities}
    assert {"NestedRole", "MemberRole", "dana.example"} <= set(names)
    assert names["NestedRole"].path == "Parent/Nested/NestedRole" and names["MemberRole"].stack.startswith("Parent/")
    changes = compare(before.identities, read_assembly(_nested_app(False)))
    assert {"MemberRole", "NestedRole"} <= {c.before.name for c in changes}
    assert all(c.change == "remove" and c.refused for c in changes)
    assert "dana.example" not in {c.before.name for c in changes}


def test_a_user_moved_into_a_nested_stack_is_refused_as_a_moved_name():
    changes = compare(read_assembly(_nested_app(True)).identities, read_assembly(_nested_app(True, user_in_nested=True)))
    (change,) = [c for c in changes if c.before.name == "dana.example"]
    assert change.refused and change.change == "remove" and "the same name is now Parent/Nested/Person" in change.detail


# --------------------------------------------------------------------------------- a lock the gate cannot read


@pytest.mark.parametrize("text, message", [
    ('{"format": 1,', "not a readable lock file"),
    ('[1, 2]', "a lock is a JSON object"),
    ('{"format": 1}', "identities must be a list"),
    ('{"format": 1, "identities": {}}', "identities must be a list"),
    ('{"format": 1, "identities": [], "signed": "me"}', r"unknown keys \['signed'\]"),
    ('{"format": 2, "identities": []}', "lock format 2 is not 1"),
    ('{"format": 1, "identities": [{"stack": "S", "logical_id": "U", "path": "S/U"}]}', r"identities\[0\] lacks type"),
    ('{"format": 1, "identities": [{"stack": "S", "logical_id": "U", "type": "AWS::IAM::User", "path": "S/U", "create_only": "x"}]}',
     r"identities\[0\] has create_only 'x' of the wrong type"),
    ('{"format": 1, "identities": [{"stack": "S", "logical_id": "U", "type": "AWS::IAM::User", "path": "S/U", "owner": "x"}]}',
     r"identities\[0\] has unknown keys \['owner'\]"),
])
def test_a_lock_the_gate_cannot_read_is_refused_in_one_line(baseline, tmp_path, text, message):
    """A truncated or hand-edited lock is never compared as "fewer identities deployed" (that would let
    every removal through): the gate stops with one line naming the file and what is wrong."""
    lock = tmp_path / "lock.json"
    lock.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_lock(lock)
    result = gate(baseline, "--baseline", str(lock))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("lifecycle:")]
    assert "Traceback" not in result.stderr and len(lines) == 1 and lines[0].startswith(f"lifecycle: {lock}:")


def test_a_baseline_directory_that_is_not_an_assembly_is_refused(baseline, tmp_path):
    result = gate(baseline, "--baseline", str(tmp_path))
    assert result.returncode == 2 and "not a cloud assembly (no manifest.json)" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------------- retained beyond identities


def test_retained_group_policies_are_tracked_and_imported(baseline):
    """A stack deletion retains the groups' MFA policies with the groups (still attached): the import
    mapping adopts them too (by the policy ARN the deploy recorded), else lists them; replacing one (its
    Description is create-only) would leave the old one attached to the group, so the gate refuses it."""
    identities = read_assembly(baseline).identities
    policies = [i for i in identities if i.type == "AWS::IAM::ManagedPolicy"]
    assert {i.path for i in policies} == {f"ConstructsIam-Identity/Group-{g}/MfaAndSelfService" for g in SAMPLE["identity"]["groups"]}
    assert all(i.retained for i in policies)
    mapping, missing = import_mapping(identities, "ConstructsIam-Identity")
    assert all(any(i.path in line for line in missing) for i in policies)
    arns = {i.key: f"arn:aws:iam::111111111111:policy/{i.logical_id}" for i in policies}
    mapping, _ = import_mapping([dataclasses.replace(i, physical_id=arns.get(i.key)) for i in identities], "ConstructsIam-Identity")
    assert {mapping[i.logical_id]["PolicyArn"] for i in policies} == set(arns.values())
    from constructs_iam.lifecycle import Assembly

    changed = [dataclasses.replace(i, create_only={**i.create_only, "Description": "new words"}) if i in policies else i
               for i in identities]
    changes = compare(identities, Assembly(changed, []))
    assert {c.before.path for c in changes if c.refused and c.change == "replace"} == {i.path for i in policies}
    gone = compare(identities, Assembly([i for i in identities if i not in policies], []))
    assert all(c.refused and "stays attached" in c.detail for c in gone) and len(gone) == len(policies)
