"""Read synthesized CloudFormation: the policies each resource holds, and what refers to what.

Pure Python over the JSON templates (no jsii, no construct tree), so a check costs one pass over
each stack's template whatever produced it: a pattern, ``aws_iam`` L2s, an escape hatch or a
third-party construct.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


@dataclass
class Template:
    """One stack's template, with its path (what a validation report names)."""

    path: str
    body: dict[str, Any]
    stack_path: str = ""

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.body.get("Resources") or {}

    def properties(self, logical_id: str) -> dict[str, Any]:
        return self.resources.get(logical_id, {}).get("Properties") or {}


@dataclass
class Assembly:
    """Every template of one validation run, and the exports that link them."""

    templates: list[Template]
    exports: dict[str, tuple[Template, Any]] = field(default_factory=dict)
    outputs: dict[str, list[tuple[Template, Any]]] = field(default_factory=dict)

    @classmethod
    def load(cls, paths: list[str], stack_paths: list[str] | None = None) -> Assembly:
        templates = [
            Template(path, json.loads(Path(path).read_text()), (stack_paths or [""] * len(paths))[i])
            for i, path in enumerate(paths)
        ]
        assembly = cls(templates)
        for template in templates:
            for output_name, output in (template.body.get("Outputs") or {}).items():
                assembly.outputs.setdefault(output_name, []).append((template, output.get("Value")))
                name = (output.get("Export") or {}).get("Name")
                if isinstance(name, str):
                    assembly.exports[name] = (template, output.get("Value"))
        return assembly

    def refers_to(self, value: Any, where: Template, target: Template, logical_id: str, name: str | None = None) -> bool:
        """Whether ``value`` (written in template ``where``) names resource ``logical_id`` of template
        ``target``: by ``Ref``/``Fn::GetAtt``/``${X}`` in the same template, by importing an export
        of it, or by its literal physical ``name``."""
        for template, ref in self._references(value, where):
            if (template is target and ref == logical_id) or (template is None and name is not None and ref == name):
                return True
        return False

    def _references(self, value: Any, template: Template) -> Iterator[tuple[Template | None, str]]:
        if isinstance(value, str):
            yield None, value
            for match in _SUB_REFERENCE.finditer(value):
                yield template, match.group(1)
            # a literal ARN names the resource by its last path segment (role/path/name)
            if value.startswith("arn:") and "/" in value:
                yield None, value.rsplit("/", 1)[1]
            return
        if isinstance(value, list):
            for item in value:
                yield from self._references(item, template)
            return
        if not isinstance(value, dict):
            return
        if "Ref" in value and isinstance(value["Ref"], str):
            yield template, value["Ref"]
            return
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            target = target.split(".", 1)[0] if isinstance(target, str) else target[0]
            yield template, target
            return
        if "Fn::ImportValue" in value and isinstance(value["Fn::ImportValue"], str):
            exported = self.exports.get(value["Fn::ImportValue"])
            if exported:
                yield from self._references(exported[1], exported[0])
            return
        if "Fn::GetStackOutput" in value and isinstance(value["Fn::GetStackOutput"], dict):
            # CDK's strong cross-stack reference: {StackName, OutputName[, Region, RoleArn]}
            spec = value["Fn::GetStackOutput"]
            candidates = self.outputs.get(str(spec.get("OutputName")), [])
            named = [c for c in candidates if Path(c[0].path).name == f"{spec.get('StackName')}.template.json"]
            for producer, output in named or (candidates if len(candidates) == 1 else []):
                yield from self._references(output, producer)
            return
        for item in value.values():
            yield from self._references(item, template)


# ------------------------------------------------------------------------------ policy documents

IDENTITY_POLICY_TYPES = {
    "AWS::IAM::Policy": ("PolicyDocument", ("Roles", "Users", "Groups")),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument", ("Roles", "Users", "Groups")),
    "AWS::IAM::RolePolicy": ("PolicyDocument", ("RoleName",)),
    "AWS::IAM::UserPolicy": ("PolicyDocument", ("UserName",)),
    "AWS::IAM::GroupPolicy": ("PolicyDocument", ("GroupName",)),
}
"""Policy resources: where the document is, and which properties name what it is attached to."""

INLINE_POLICY_HOLDERS = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")

RESOURCE_POLICY_TYPES = {
    "AWS::S3::BucketPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::SecretsManager::ResourcePolicy": "ResourcePolicy",
    "AWS::ECR::Repository": "RepositoryPolicyText",
    "AWS::Events::EventBusPolicy": "Statement",
    "AWS::Logs::ResourcePolicy": "PolicyDocument",
}
"""Resource policies: the property that holds the document (a JSON string for some types)."""


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (a dict, or a JSON string as some types take it)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    if not isinstance(document, dict):
        return []
    if "Statement" not in document and "Effect" in document:  # EventBusPolicy's single statement
        return [document]
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


def identity_documents(resource: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(location, document) of every identity policy a resource holds: its own, or inline ones."""
    kind, props = resource.get("Type"), resource.get("Properties") or {}
    if kind in IDENTITY_POLICY_TYPES:
        yield "Properties/PolicyDocument", props.get("PolicyDocument")
    elif kind in INLINE_POLICY_HOLDERS:
        for index, policy in enumerate(as_list(props.get("Policies"))):
            if isinstance(policy, dict):
                yield f"Properties/Policies/{index}/PolicyDocument", policy.get("PolicyDocument")


def resource_document(resource: dict[str, Any]) -> tuple[str, Any] | None:
    prop = RESOURCE_POLICY_TYPES.get(resource.get("Type", ""))
    if prop is None:
        return None
    return f"Properties/{prop}", (resource.get("Properties") or {}).get(prop)


def flatten(value: Any) -> str:
    """A one-line rendering of a template value, as cdk-nag writes it in finding ids
    (``Ref`` -> ``<Id>``, ``Fn::GetAtt`` -> ``<Id.Attr>``, ``Fn::Join`` concatenated)."""
    from .._nag import flatten as nag_flatten

    return nag_flatten(value)


def cdk_path(resource: dict[str, Any], logical_id: str) -> str:
    """The construct path CDK recorded for a resource (``aws:cdk:path``), else its logical id."""
    return str((resource.get("Metadata") or {}).get("aws:cdk:path") or logical_id)
