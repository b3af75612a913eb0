"""The lifecycle gate: no identity is removed or replaced by accident.

    python -m constructs_iam.lifecycle cdk.out                              # against lifecycle.lock.json
    python -m constructs_iam.lifecycle cdk.out --baseline deployed.cdk.out  # against another assembly
    python -m constructs_iam.lifecycle cdk.out --write-lock lifecycle.lock.json
    python -m constructs_iam.lifecycle cdk.out --import-mapping ConstructsIam-Identity --output mapping.json

It compares the stateful identities of a synthesized cloud assembly (``STATEFUL_TYPES``: users,
groups, roles, access keys, secrets, OIDC providers, KMS keys) with the state last deployed: the
lock file the deploy writes after each deploy (``lifecycle.lock.json``, committed, so a clean
clone has it) or an older assembly. It refuses (exit 1), naming each resource by its construct
path, type and physical name:

- a **removal**: the resource is gone from the templates (a person taken out of the configuration,
  a renamed construct id, a deleted stack). A person leaves by being *offboarded*
  (``PersonStatus.OFFBOARDED``); their access key and credential secrets may then go, because the
  person's user, still in the templates, says so in its metadata (``constructs-iam:person``);
- a **replacement**: a property that CloudFormation can only set at creation changed (the
  resource type's ``createOnlyProperties`` in CloudFormation's own resource schemas, as cfn-lint
  ships them; e.g. ``RoleName``, ``UserName``, ``GroupName``, a secret's ``Name``), so
  CloudFormation creates a new resource and deletes or orphans the old one. A user replaced
  because of a rename declared with ``renamed_from`` (on ``HumanUser``, or in the app's
  configuration) passes, with what it costs printed.

A change passes when it is acknowledged by construct path, change (``remove``/``replace``) and
reason: ``acknowledge_lifecycle_change(stack, path, change, reason)`` records it in the template
(metadata ``constructs-iam:lifecycle-acknowledgments``), where the gate reads it. The app takes them
from cdk.json (``constructs-iam.lifecycle.acknowledge``).

The lock holds one entry per stateful identity: stack, logical id, type, construct path, physical
name, the replacement-relevant (create-only) properties, the person it belongs to and, when the
deploy knows it, the physical id. ``--import-mapping`` writes the ``cdk import --resource-mapping``
file that lets a re-created stack adopt the identities its deletion retained (docs/lifecycle.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import _schemas

PERSON_METADATA = "constructs-iam:person"
"""Template metadata on a person's user, access key and secrets: ``{"name", "status"[, "renamed_from"]}``.
The lifecycle gate reads it (intent), never names or ids."""

STATEFUL_TYPES: tuple[str, ...] = (
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::IAM::Role",
    "AWS::IAM::AccessKey",
    "AWS::SecretsManager::Secret",
    "AWS::IAM::OIDCProvider",
    "AWS::KMS::Key",
)
"""The resources whose loss loses something: an identity (and its MFA, history, trust), a credential,
a key that decrypts retained data. Any other resource with ``DeletionPolicy: Retain`` is tracked too:
its removal or replacement leaves it behind outside the stack (a retained group policy stays attached
to its group), and ``cdk import`` must adopt it after a stack deletion."""

ACKNOWLEDGMENTS_METADATA = "constructs-iam:lifecycle-acknowledgments"
LOCK_FILE = "lifecycle.lock.json"
LOCK_FORMAT = 1
CHANGES = ("remove", "replace")

_PHYSICAL_NAME = {
    "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName", "AWS::IAM::Role": "RoleName",
    "AWS::SecretsManager::Secret": "Name", "AWS::IAM::OIDCProvider": "Url", "AWS::IAM::AccessKey": "UserName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::S3::Bucket": "BucketName",
}


# ------------------------------------------------------------------------------------ schemas


def resource_schema(resource_type: str) -> dict[str, Any]:
    """CloudFormation's resource schema of ``resource_type`` (from cfn-lint's bundled copy)."""
    schema = _schemas.resource_schema(resource_type)
    if schema is None:
        raise KeyError(f"no CloudFormation resource schema for {resource_type} in cfn-lint's data")
    return schema


def create_only_properties(resource_type: str) -> tuple[str, ...]:
    """Top-level properties whose change makes CloudFormation replace the resource."""
    names = []
    for pointer in resource_schema(resource_type).get("createOnlyProperties") or []:
        parts = pointer.split("/")
        if len(parts) >= 3 and parts[1] == "properties":
            names.append(parts[2])
    return tuple(dict.fromkeys(names))


def primary_identifier(resource_type: str) -> tuple[str, ...]:
    """The properties that identify an existing resource (what ``cdk import`` asks for)."""
    return tuple(p.split("/")[2] for p in resource_schema(resource_type).get("primaryIdentifier") or [])


# ------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Identity:
    """One stateful identity of a deployed or synthesized stack (one lock entry)."""

    stack: str
    logical_id: str
    type: str
    path: str
    name: str | None = None
    create_only: dict[str, Any] = field(default_factory=dict)
    person: dict[str, str] | None = None
    retained: bool = False  # DeletionPolicy Retain: survives its stack's deletion (cdk import adopts it again)
    physical_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.stack, self.logical_id

    def describe(self) -> str:
        return f"{self.path} ({self.type}{f' {self.name}' if self.name else ''})"


@dataclass(frozen=True)
class Acknowledgment:
    resource: str
    change: str
    reason: str


@dataclass
class Assembly:
    identities: list[Identity]
    acknowledgments: list[Acknowledgment]


def _templates(cdk_out: Path) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every template of the assembly: its stacks', and those its stacks deploy as file assets (nested
    stacks, StackSet templates), named ``<stack>/<template file without .template.json>``."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    artifacts = manifest.get("artifacts", {})
    for name, artifact in artifacts.items():
        if artifact.get("type") == "cdk:cloud-assembly":
            yield from _templates(cdk_out / artifact["properties"]["directoryName"])
        elif artifact.get("type") == "aws:cloudformation:stack":
            properties = artifact.get("properties") or {}
            stack = properties.get("stackName", name)
            yield stack, json.loads((cdk_out / properties["templateFile"]).read_text())
            for dependency in artifact.get("dependencies") or []:
                assets = artifacts.get(dependency) or {}
                if assets.get("type") != "cdk:asset-manifest":
                    continue
                files = json.loads((cdk_out / assets["properties"]["file"]).read_text()).get("files") or {}
                for asset in files.values():
                    source = (asset.get("source") or {}).get("path") or ""
                    if source.endswith(".template.json") and source != properties["templateFile"]:
                        yield f"{stack}/{source.removesuffix('.template.json')}", json.loads((cdk_out / source).read_text())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else (json.dumps(value, sort_keys=True) if value is not None else None)


def _name(value: Any) -> str | None:
    """A physical name written in the template (a reference to another resource is not one)."""
    return value if isinstance(value, str) else None


def identities_of(stack: str, template: Mapping[str, Any]) -> list[Identity]:
    """The stateful identities of one template."""
    found = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = resource.get("Type")
        retained = resource.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
        if kind not in STATEFUL_TYPES and not retained:
            continue
        properties = resource.get("Properties") or {}
        metadata = resource.get("Metadata") or {}
        try:
            create_only = {p: properties[p] for p in create_only_properties(kind) if p in properties}
        except KeyError:  # a retained custom resource: no schema, removal still tracked
            create_only = {}
        found.append(Identity(
            stack=stack, logical_id=logical_id, type=kind,
            path=metadata.get("aws:cdk:path", f"{stack}/{logical_id}").removesuffix("/Resource"),
            name=_name(properties.get(_PHYSICAL_NAME.get(kind, ""))),
            create_only=create_only,
            person=metadata.get(PERSON_METADATA),
            retained=retained,
        ))
    return found


def read_assembly(cdk_out: str | Path) -> Assembly:
    """The stateful identities and lifecycle acknowledgments of a cloud assembly."""
    identities, acknowledgments = [], []
    for stack, template in _templates(Path(cdk_out)):
        identities += identities_of(stack, template)
        for entry in (template.get("Metadata") or {}).get(ACKNOWLEDGMENTS_METADATA, []):
            acknowledgments.append(Acknowledgment(entry["resource"], entry["change"], entry["reason"]))
    return Assembly(sorted(identities, key=lambda i: i.key), acknowledgments)


class LockError(ValueError):
    """A lock file (or baseline) the gate cannot read: the gate refuses rather than compare with less."""


_LOCK_KEYS = ("format", "about", "identities")
_REQUIRED = ("stack", "logical_id", "type", "path")
_KINDS: dict[str, type | tuple[type, ...]] = {
    "stack": str, "logical_id": str, "type": str, "path": str, "name": (str, type(None)), "create_only": dict,
    "person": (dict, type(None)), "retained": bool, "physical_id": (str, type(None)),
}


def read_lock(path: str | Path) -> list[Identity]:
    """The identities of a lock file; ``LockError`` naming the file and the entry when it is not one
    (a truncated or hand-edited lock must not compare as "fewer identities deployed")."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LockError(f"{path}: not a readable lock file ({error})") from None
    if not isinstance(data, dict):
        raise LockError(f"{path}: a lock is a JSON object with {', '.join(_LOCK_KEYS)}")
    unknown = set(data) - set(_LOCK_KEYS)
    if unknown:
        raise LockError(f"{path}: unknown keys {sorted(unknown)} (known: {list(_LOCK_KEYS)})")
    if data.get("format") != LOCK_FORMAT:
        raise LockError(f"{path}: lock format {data.get('format')!r} is not {LOCK_FORMAT}")
    if not isinstance(data.get("identities"), list):
        raise LockError(f"{path}: identities must be a list (of the identities last deployed)")
    identities = []
    for index, entry in enumerate(data["identities"]):
        if not isinstance(entry, dict):
            raise LockError(f"{path}: identities[{index}] is not an object")
        unknown = set(entry) - set(_KINDS)
        if unknown:
            raise LockError(f"{path}: identities[{index}] has unknown keys {sorted(unknown)} (known: {sorted(_KINDS)})")
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise LockError(f"{path}: identities[{index}] lacks {', '.join(missing)}")
        wrong = [k for k, value in entry.items() if not isinstance(value, _KINDS[k])]
        if wrong:
            raise LockError(f"{path}: identities[{index}] has {', '.join(f'{k} {entry[k]!r}' for k in wrong)} of the wrong type")
        identities.append(Identity(**entry))
    return identities


def read_baseline(path: str | Path) -> list[Identity]:
    """A lock file, or a cloud assembly directory."""
    if Path(path).is_dir():
        if not (Path(path) / "manifest.json").is_file():
            raise LockError(f"{path}: a directory that is not a cloud assembly (no manifest.json)")
        return read_assembly(path).identities
    return read_lock(path)


def lock_text(identities: Iterable[Identity], physical_ids: Mapping[tuple[str, str], str] | None = None) -> str:
    """The lock file: small, sorted, one entry per identity, stable between runs."""
    entries = []
    for identity in sorted(identities, key=lambda i: i.key):
        entry = {k: v for k, v in asdict(identity).items() if v not in (None, {}, False)}
        if physical_ids and identity.key in physical_ids:
            entry["physical_id"] = physical_ids[identity.key]
        entries.append(entry)
    return json.dumps({"format": LOCK_FORMAT,
                       "about": "Stateful identities as last deployed; written by the deploy, read by "
                                "python -m constructs_iam.lifecycle (docs/lifecycle.md). Review changes like code.",
                       "identities": entries}, indent=1, sort_keys=False) + "\n"


# ------------------------------------------------------------------------------------ acknowledging


def acknowledge_lifecycle_change(scope: Any, resource: str, change: str, reason: str) -> None:
    """Let the gate pass one removal or replacement: ``resource`` is the construct path the gate names
    (``ConstructsIam-Identity/User-dave.example/User``), ``change`` ``remove`` or ``replace``, ``reason``
    why nothing is lost. Recorded in the template metadata of ``scope``'s stack."""
    from aws_cdk import Stack

    from . import _validation as v

    if change not in CHANGES:
        raise v.fail("change", change, f"must be one of {', '.join(CHANGES)}")
    if not isinstance(resource, str) or "/" not in resource:
        raise v.fail("resource", resource, "must be a construct path (Stack/Construct/...)")
    if not isinstance(reason, str) or len(reason.strip()) < 3:
        raise v.fail("reason", reason, "must say why the change loses nothing")
    stack = Stack.of(scope)
    recorded = getattr(stack, "_constructs_iam_lifecycle_acks", [])
    recorded.append({"resource": resource.strip("/"), "change": change, "reason": reason})
    stack._constructs_iam_lifecycle_acks = recorded  # type: ignore[attr-defined]
    stack.add_metadata(ACKNOWLEDGMENTS_METADATA, recorded)  # the whole list again: one key, overwritten


# ------------------------------------------------------------------------------------ comparing


@dataclass(frozen=True)
class Change:
    change: str  # "remove" or "replace"
    before: Identity
    after: Identity | None
    detail: str
    passes_because: str | None = None  # offboarding, a declared rename, or an acknowledgment's reason

    @property
    def refused(self) -> bool:
        return self.passes_because is None

    def line(self) -> str:
        verdict = f"passes: {self.passes_because}" if self.passes_because else "REFUSED"
        return f"{self.change} {self.before.describe()} [{self.before.stack} {self.before.logical_id}]: {self.detail} -- {verdict}"


def compare(baseline: Iterable[Identity], assembly: Assembly) -> list[Change]:
    """Every removal and replacement of a stateful identity from ``baseline`` to ``assembly``, each
    with why it passes, or refused."""
    new = {i.key: i for i in assembly.identities}
    people = {i.person["name"]: i.person for i in assembly.identities
              if i.type == "AWS::IAM::User" and i.person and "status" in i.person}
    acknowledged = {(a.resource.strip("/"), a.change): a.reason for a in assembly.acknowledgments}
    found: dict[tuple[str, str], tuple[str, str, Identity | None]] = {}
    before_all = sorted(baseline, key=lambda i: i.key)
    for before in before_all:
        after = new.get(before.key)
        if after is None or after.type != before.type:
            found[before.key] = ("remove", _removal_detail(before, assembly.identities, people), None)
            continue
        differing = sorted(k for k in {*before.create_only, *after.create_only}
                           if _canonical(before.create_only.get(k)) != _canonical(after.create_only.get(k)))
        if differing:
            found[before.key] = ("replace", f"{', '.join(differing)} changed ({_values(before, after, differing)}): "
                                 "CloudFormation sets it only at creation", after)
    # a create-only value that refers to a replaced resource (Ref, GetAtt) changes with it: replaced too
    changed = True
    while changed:
        changed = False
        for before in before_all:
            after = new.get(before.key)
            if before.key in found or after is None:
                continue
            for prop, value in after.create_only.items():
                target = next((r for r in _references(value) if found.get((before.stack, r), ("",))[0] == "replace"), None)
                if target:
                    found[before.key] = ("replace", f"{prop} refers to {target}, which is replaced", after)
                    changed = True
                    break
    changes = []
    for before in before_all:
        if before.key not in found:
            continue
        change, detail, after = found[before.key]
        if change == "replace":
            detail += (f", so CloudFormation creates a new {before.type.rsplit('::', 1)[-1]} and deletes (or, "
                       "retained, orphans) the old one")
            why = _declared_rename(before, after, people) if after else None
        else:
            why = _offboarding(before, people)
        reason = acknowledged.get((before.path, change))
        if reason:
            why = f"acknowledged: {reason}"
        changes.append(Change(change, before, after, detail, why))
    return changes


def _references(value: Any) -> list[str]:
    """Logical ids a template value refers to (``Ref``, ``Fn::GetAtt``)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            return [value["Ref"]]
        if set(value) == {"Fn::GetAtt"} and isinstance(value["Fn::GetAtt"], list):
            return [value["Fn::GetAtt"][0]]
        return [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _values(before: Identity, after: Identity, keys: list[str]) -> str:
    return "; ".join(f"{k} {_text(before.create_only.get(k))} -> {_text(after.create_only.get(k))}" for k in keys)


def _removal_detail(before: Identity, now: list[Identity], people: Mapping[str, Mapping[str, str]]) -> str:
    same_name = [i for i in now if i.type == before.type and i.name and i.name == before.name]
    if same_name:
        return (f"gone from {before.stack}, and the same name is now {same_name[0].path}: a changed construct id. "
                "CloudFormation creates the new resource before deleting the old, so in AWS it fails "
                "('already exists'); keep the construct id (renamed_from) or remove, then re-add")
    if before.type == "AWS::IAM::User":
        if before.person and before.person.get("status") == "offboarded":
            return "the offboarded person's user is deleted from the stack (retained users stay in the account)"
        return ("a person removed without offboarding: their user is retained with its password, MFA and groups, "
                "still able to sign in. Set \"status\": \"offboarded\" and deploy first")
    if before.person:
        return (f"a credential of {before.person['name']}, destroyed (not retained): offboard the person, "
                "or acknowledge the removal")
    if before.retained:
        return ("gone from the templates; retained, so it stays in the account outside any stack "
                "(a policy stays attached, a bucket keeps its data): delete or import it deliberately")
    return "gone from the templates"


def _offboarding(before: Identity, people: Mapping[str, Mapping[str, str]]) -> str | None:
    """A credential of a person whose user, still deployed, is offboarded may go."""
    if before.type == "AWS::IAM::User" or not before.person:
        return None
    person = people.get(before.person["name"])
    if person and person.get("status") == "offboarded":
        return f"{before.person['name']} is offboarded: their credentials go with it"
    return None


def _declared_rename(before: Identity, after: Identity, people: Mapping[str, Mapping[str, str]]) -> str | None:
    """A user (or that user's credential) replaced because of a rename its person declares."""
    person = after.person or {}
    owner = people.get(person.get("name", ""), person)
    old = owner.get("renamed_from")
    if not old or (before.person or {}).get("name") != old:
        return None
    return (f"declared rename {old} -> {owner.get('name')}: a new identity (MFA re-enrolment, a new key, new ARNs; "
            "the old user is retained and must be offboarded). docs/lifecycle.md keeps the person instead")


# ------------------------------------------------------------------------------------ recovery


def import_mapping(identities: Iterable[Identity], stack: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``cdk import --resource-mapping`` for the retained identities of ``stack`` (DeletionPolicy Retain): each logical id with
    its resource type's primary identifier, from the template (names) or the lock (physical ids).
    Returns the mapping and what could not be mapped (with why)."""
    mapping, missing = {}, []
    for identity in identities:
        if identity.stack != stack or not identity.retained:
            continue  # what the deletion did not retain is gone: the deploy creates it anew
        keys = primary_identifier(identity.type)
        if keys == (_PHYSICAL_NAME.get(identity.type),) and identity.name:
            mapping[identity.logical_id] = {keys[0]: identity.name}
        elif identity.physical_id and len(keys) == 1:
            mapping[identity.logical_id] = {keys[0]: identity.physical_id}
        else:
            missing.append(f"{identity.describe()}: its {'/'.join(keys)} is not in the template or the lock; "
                           "find it in the account and add it, or let the deploy create a new one")
    return mapping, missing


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m constructs_iam.lifecycle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cdk_out", help="a synthesized cloud assembly (cdk.out)")
    parser.add_argument("--baseline", help=f"the deployed state: a lock file or an older assembly (default: {LOCK_FILE})")
    parser.add_argument("--write-lock", metavar="PATH", help="write the assembly's stateful identities as the lock")
    parser.add_argument("--import-mapping", metavar="STACK", help="write the cdk import resource mapping of STACK")
    parser.add_argument("--output", help="with --import-mapping: the file to write (default: standard output)")
    args = parser.parse_args(argv)
    if not (Path(args.cdk_out) / "manifest.json").is_file():
        parser.error(f"{args.cdk_out} is not a cloud assembly (no manifest.json): run cdk synth first")
    try:
        return _run(args, parser)
    except LockError as error:
        print(f"lifecycle: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    assembly = read_assembly(args.cdk_out)
    if args.write_lock:
        previous = {}
        if Path(args.write_lock).is_file():  # keep the physical ids a deploy recorded
            previous = {i.key: i.physical_id for i in read_lock(args.write_lock) if i.physical_id}
        Path(args.write_lock).write_text(lock_text(assembly.identities, previous))
        print(f"wrote {args.write_lock}: {len(assembly.identities)} stateful identities")
        return 0
    if args.import_mapping:
        source = read_baseline(args.baseline) if args.baseline else (
            read_lock(LOCK_FILE) if Path(LOCK_FILE).is_file() else assembly.identities)
        mapping, missing = import_mapping(source, args.import_mapping)
        if not mapping and not missing:
            print(f"no stateful identity of stack {args.import_mapping} is known", file=sys.stderr)
            return 1
        text = json.dumps(mapping, indent=1, sort_keys=True) + "\n"
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
        for line in missing:
            print(f"not mapped: {line}", file=sys.stderr)
        return 0
    baseline_path = args.baseline or LOCK_FILE
    if not Path(baseline_path).exists():
        if args.baseline:
            parser.error(f"--baseline {args.baseline} does not exist")
        print(f"lifecycle: no {LOCK_FILE} (nothing deployed yet): nothing to compare")
        return 0
    changes = compare(read_baseline(baseline_path), assembly)
    refused = [c for c in changes if c.refused]
    print(f"lifecycle: {len(assembly.identities)} stateful identities compared with {baseline_path}: "
          f"{len(changes) - len(refused)} changes pass, {len(refused)} refused")
    for change in changes:
        print(f"  {change.line()}")
    used = {(c.before.path, c.change) for c in changes if (c.passes_because or "").startswith("acknowledged: ")}
    for ack in assembly.acknowledgments:
        if (ack.resource.strip("/"), ack.change) not in used:
            print(f"  unused acknowledgment ({ack.change} {ack.resource}): it matches no change; remove it once "
                  "deployed, or it will let the next such change through unreviewed")
    if refused:
        print("Offboard people instead of removing them, keep construct ids and names, or acknowledge the change "
              "by construct path, change and reason (cdk.json constructs-iam.lifecycle.acknowledge; docs/lifecycle.md).")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
