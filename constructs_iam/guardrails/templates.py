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


@dataclass(eq=False)
class Template:
    """One stack's template, with its path (what a validation report names).

    A nested stack's template has ``parent`` (the parent template and the logical id of its
    ``AWS::CloudFormation::Stack`` resource), so its parameters resolve to what the parent passes."""

    path: str
    body: dict[str, Any]
    stack_path: str = ""
    parent: tuple[Template, str] | None = None
    account: str | None = None  # from the manifest's environment, when the stack names one
    stack_name: str | None = None
    stackset: bool = False  # the template a StackSet deploys (cdk-stacksets' StackSetStack): an asset, not a stack

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
    unread: list[tuple[Template, str, str]] = field(default_factory=list)
    """(template, logical id, what) of each template the app deploys that is not here to read: a nested
    stack or StackSet whose template is outside the cloud assembly, a SAM application."""

    @classmethod
    def load(cls, paths: list[str], stack_paths: list[str] | None = None,
             environments: list[tuple[str | None, str | None]] | None = None) -> Assembly:
        """The templates at ``paths`` and, recursively, the templates they deploy: nested stacks'
        (found by the ``aws:asset:path`` metadata CDK writes on each ``AWS::CloudFormation::Stack``)
        and StackSets' (a cdk-stacksets ``StackSetStack``'s template, a file asset of its parent)."""
        templates = []
        for i, path in enumerate(paths):
            account, name = (environments or [(None, None)] * len(paths))[i]
            templates.append(Template(path, json.loads(Path(path).read_text()),
                                      (stack_paths or [""] * len(paths))[i], account=account, stack_name=name))
        unread: list[tuple[Template, str, str]] = []
        for template in list(templates):
            templates.extend(_nested(template, unread=unread))
        assembly = cls(templates, unread=unread)
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
            passed = self.parameter(template, value["Ref"])
            if passed is not None:
                yield from self._references(passed[1], passed[0])
            else:
                yield template, value["Ref"]
            return
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            parts = target.split(".", 1) if isinstance(target, str) else list(target)
            output = self.nested_output(template, str(parts[0]), str(parts[1]) if len(parts) > 1 else "")
            if output is not None:
                yield from self._references(output[1], output[0])
            else:
                yield template, str(parts[0])
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


    def parameter(self, template: Template, name: str) -> tuple[Template, Any] | None:
        """What a nested stack's parent passes for parameter ``name`` (in the parent's terms)."""
        if template.parent is None or name not in (template.body.get("Parameters") or {}):
            return None
        parent, stack_id = template.parent
        passed = (parent.properties(stack_id).get("Parameters") or {}).get(name)
        return (parent, passed) if passed is not None else None

    def stack_output(self, spec: Any) -> list[tuple[Template, Any]]:
        """``Fn::GetStackOutput {StackName, OutputName}``: (producer, value) of that output in the app."""
        if not isinstance(spec, dict):
            return []
        candidates = self.outputs.get(str(spec.get("OutputName")), [])
        named = [c for c in candidates if c[0].path.endswith(f"/{spec.get('StackName')}.template.json")]
        return named or (candidates if len(candidates) == 1 else [])

    def nested_output(self, template: Template, logical_id: str, attribute: str) -> tuple[Template, Any] | None:
        """``Fn::GetAtt [NestedStackResource, Outputs.X]``: the nested template's output ``X``."""
        if not attribute.startswith("Outputs."):
            return None
        for child in self.templates:
            if child.parent is not None and child.parent[0] is template and child.parent[1] == logical_id:
                output = (child.body.get("Outputs") or {}).get(attribute.split(".", 1)[1])
                return (child, output.get("Value")) if isinstance(output, dict) else None
        return None


def _asset_files(directory: Path) -> dict[str, str]:
    """Object key (``<hash>.json``) -> file in the assembly, from the assets manifests there."""
    files: dict[str, str] = {}
    for manifest in directory.glob("*.assets.json"):
        try:
            entries = json.loads(manifest.read_text()).get("files") or {}
        except (OSError, json.JSONDecodeError):
            continue
        for entry in entries.values():
            source = (entry.get("source") or {}).get("path")
            for destination in (entry.get("destinations") or {}).values():
                if isinstance(source, str) and isinstance(destination.get("objectKey"), str):
                    files[destination["objectKey"]] = source
    return files


AWS_ROTATION_TRANSFORM = "AWS::SecretsManager-"
"""Secrets Manager's hosted rotation (``HostedRotation``): the transform adds AWS's own rotation function
(Secrets Manager and network permissions on the secret), nothing the app chooses."""

READABLE_TRANSFORMS = ("AWS::Serverless-2016-10-31", "AWS::LanguageExtensions")
"""Template transforms whose output the guardrails can still read: SAM's (its functions' policies go to
their own roles) and ``AWS::LanguageExtensions`` (what it generates, ``Fn::ForEach``, is flagged)."""


# the accounts that publish Secrets Manager's rotation functions in the Serverless Application Repository
# (aws, aws-cn, aws-us-gov), which aws_rds' add_rotation_* deploy
_ROTATION_PUBLISHERS = re.compile(r"arn:aws[a-z-]*:serverlessrepo:[a-z0-9-]+:(297356227824|193023089310|023102451235)"
                                  r":applications/SecretsManager[A-Za-z0-9]*Rotation[A-Za-z0-9]*")


def _aws_rotation_application(template: Template, resource: dict[str, Any]) -> bool:
    """A SAM application of Secrets Manager's own rotation functions: its id, or every value the
    ``Fn::FindInMap`` that CDK writes for it (one per partition) can take, names one."""
    location = (resource.get("Properties") or {}).get("Location")
    application = location.get("ApplicationId") if isinstance(location, dict) else None
    texts: list[Any] = [application]
    if isinstance(application, dict) and isinstance(application.get("Fn::FindInMap"), list) \
            and len(application["Fn::FindInMap"]) == 3:  # no DefaultValue: it would deploy whatever it names
        name, _, key = application["Fn::FindInMap"]
        mapping = (template.body.get("Mappings") or {}).get(name) if isinstance(name, str) else None
        texts = [entry.get(key) for entry in mapping.values() if isinstance(entry, dict)] \
            if isinstance(mapping, dict) and isinstance(key, str) else []
    return bool(texts) and all(isinstance(t, str) and _ROTATION_PUBLISHERS.fullmatch(t) for t in texts)


def _nested(template: Template, assets: dict[str, str] | None = None,
            unread: list[tuple[Template, str, str]] | None = None) -> list[Template]:
    """The templates of the nested stacks and StackSets ``template`` deploys: by the
    ``aws:asset:path`` metadata the CLI has CDK write, else by the template URL's object key in the
    assets manifest; a StackSet's inline ``TemplateBody`` (JSON) too. Those that cannot be read go
    to ``unread``."""
    found = []
    unread = [] if unread is None else unread
    transforms = [t if isinstance(t, str) else json.dumps(t) for t in as_list(template.body.get("Transform"))]
    for transform in transforms:
        if transform not in READABLE_TRANSFORMS and not transform.startswith(AWS_ROTATION_TRANSFORM):
            unread.append((template, "Transform", f"the template transform {transform} (a macro rewrites the template "
                                                    "at deploy time)"))
    for logical_id, resource in template.resources.items():
        if logical_id.startswith("Fn::"):
            unread.append((template, logical_id, f"{logical_id} in Resources (expanded at deploy time)"))
            continue
        kind = str(resource.get("Type", "")) if isinstance(resource, dict) else ""
        if kind.endswith("::MODULE") or not kind.startswith(("AWS::", "Custom::", "Alexa::")):
            unread.append((template, logical_id, f"a resource of type {kind or '(none)'} (a module or a registry "
                                                 "type whose resources are decided at deploy time)"))
            continue
        if kind in ("AWS::ServiceCatalog::CloudFormationProvisionedProduct", "AWS::ServiceCatalog::CloudFormationProduct"):
            unread.append((template, logical_id, "a Service Catalog product (whoever provisions it deploys its template)"))
            continue
        if kind in ("AWS::Serverless::Application", "AWS::CloudFormation::StackSet", "AWS::CloudFormation::Stack") \
                and assets is None:
            assets = _asset_files(Path(template.path).parent)
        if kind == "AWS::Serverless::Application":
            if not _aws_rotation_application(template, resource):
                unread.append((template, logical_id, "a SAM application (its template is fetched at deploy time)"))
            continue
        if kind == "AWS::CloudFormation::StackSet":
            stackset = _stackset(template, logical_id, resource, assets or {})
            if stackset is not None:
                found.append(stackset)
                found.extend(_nested(stackset, assets, unread))
            else:
                unread.append((template, logical_id, "a StackSet whose template is not in the cloud assembly"))
            continue
        if kind != "AWS::CloudFormation::Stack":
            continue
        asset = (resource.get("Metadata") or {}).get("aws:asset:path")
        if not isinstance(asset, str):
            url = json.dumps((resource.get("Properties") or {}).get("TemplateURL"))
            asset = next((file for key, file in (assets or {}).items() if key in url), None)
        path = Path(template.path).parent / asset if isinstance(asset, str) else None
        if path is None or not path.exists():
            unread.append((template, logical_id, "a nested stack whose template is not in the cloud assembly"))
            continue
        try:
            body = json.loads(path.read_text())
        except (OSError, ValueError):
            body = None
        if not isinstance(body, dict):  # a YAML template (CfnInclude of a file asset...): not readable here
            unread.append((template, logical_id, "a nested stack whose template is not JSON"))
            continue
        cdk = str((resource.get("Metadata") or {}).get("aws:cdk:path") or "")
        stack_path = cdk.rsplit("/", 1)[0].removesuffix(".NestedStack") if "/" in cdk else f"{template.stack_path}/{logical_id}"
        child = Template(str(path), body, stack_path, parent=(template, logical_id),
                         account=template.account, stack_name=None)
        found.append(child)
        found.extend(_nested(child, assets, unread))
    return found


def _stackset(template: Template, logical_id: str, resource: dict[str, Any], assets: dict[str, str]) -> Template | None:
    """The template a StackSet deploys, when it is a file of this assembly (its ``TemplateURL``
    names the object key of a file asset) or inline JSON (``TemplateBody``). It deploys to other
    accounts, with parameters of its own: no account, no parent to resolve parameters from (an
    unresolvable value fails closed)."""
    body = (resource.get("Properties") or {}).get("TemplateBody")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:  # YAML, or JSON built with intrinsics: not readable here
            return None
        return Template(f"{template.path}#{logical_id}", parsed, f"{template.stack_path}/{logical_id}", stackset=True) \
            if isinstance(parsed, dict) else None
    url = json.dumps((resource.get("Properties") or {}).get("TemplateURL"))
    asset = next((file for key, file in assets.items() if key in url), None)
    if asset is None:
        return None
    path = Path(template.path).parent / asset
    if not path.is_file():
        return None
    try:
        body = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    return Template(str(path), body, _stackset_path(path.name, body) or template.stack_path, stackset=True)


def _stackset_path(file_name: str, body: dict[str, Any]) -> str | None:
    """The construct path of the ``StackSetStack`` that wrote ``file_name``: cdk-stacksets names the
    file after the stack's unique id (``Names.uniqueId``), the prefix of its resources' paths that
    gives that id. None without path metadata."""
    stem = file_name.removesuffix(".stackset.template.json")
    for resource in (body.get("Resources") or {}).values():
        path = (resource.get("Metadata") or {}).get("aws:cdk:path") if isinstance(resource, dict) else None
        if not isinstance(path, str):
            continue
        parts = path.split("/")
        for end in range(1, len(parts)):
            if _unique_id(parts[:end]) == stem:
                return "/".join(parts[:end])
        return None
    return None


def _unique_id(components: list[str]) -> str:
    """CDK's ``Names.uniqueId`` of a construct whose path is ``components`` (makeUniqueId)."""
    import hashlib

    components = [c for c in components if c != "Default"]
    if len(components) == 1:
        candidate = re.sub("[^A-Za-z0-9]", "", components[0])
        if len(candidate) <= 255:
            return candidate
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    human: list[str] = []
    for component in components:  # removeDupes: a component the previous one ends with is dropped
        if not human or not human[-1].endswith(component):
            human.append(component)
    text = "".join(re.sub("[^A-Za-z0-9]", "", c) for c in human if c != "Resource")[:240]
    return text + digest


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


_NO_VALUE = {"Ref": "AWS::NoValue"}
_MAX_CHOICES = 256
_WIDEST = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


def _holds_if(value: Any) -> bool:
    if isinstance(value, dict):
        return "Fn::If" in value or any(_holds_if(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_if(item) for item in value)
    return False


def choices(value: Any) -> list[Any]:
    """Every value ``value`` can deploy as once each ``Fn::If`` in it is decided (either branch;
    ``AWS::NoValue`` removes the key or list item): ``[value]`` when it holds no ``Fn::If``. Past
    256 combinations the answer is the widest statement (fails closed)."""
    if not isinstance(value, (dict, list)) or '"Fn::If"' not in json.dumps(value, default=str) or not _holds_if(value):
        return [value]  # (one pass in C over the whole value; the walk only where the key appears)
    found = _choices(value)
    return found if found is not None else [_WIDEST]


def _choices(value: Any) -> list[Any] | None:
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("Fn::If"), list) \
            and len(value["Fn::If"]) == 3:
        first, second = _choices(value["Fn::If"][1]), _choices(value["Fn::If"][2])
        return None if first is None or second is None else first + second
    if isinstance(value, (dict, list)):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        combos: list[list[tuple[Any, Any]]] = [[]]
        for key, item in items:
            options = _choices(item) if _holds_if(item) else [item]
            if options is None or len(combos) * len(options) > _MAX_CHOICES:
                return None
            combos = [combo + [(key, option)] for combo in combos for option in options]
        if isinstance(value, dict):
            return [{k: v for k, v in combo if v != _NO_VALUE} for combo in combos]
        return [[v for _, v in combo if v != _NO_VALUE] for combo in combos]
    return [value]


def entries(value: Any) -> list[Any]:
    """The items of a list property (``Policies``, ``ManagedPolicyArns``...), each ``Fn::If``
    among them read as both of its branches, and an ``Fn::If`` around the whole list as the items of
    both of its lists."""
    found: list[Any] = []
    for item in as_list(value):
        for choice in choices(item):
            found.extend(v for v in (choice if isinstance(choice, list) else [choice]) if v != _NO_VALUE)
    return found


# a document the seal cannot parse (a JSON string built with intrinsics that does not parse): read as
# an Allow of everything to a principal nobody can resolve, so every check that reads it fails closed
_UNREADABLE_STATEMENT: dict[str, Any] = {
    "Effect": "Allow", "Principal": {"AWS": {"Fn::ImportValue": "(a policy document the seal cannot parse)"}},
    "Action": "*", "Resource": "*"}
_UNREADABLE: dict[str, Any] = {"Version": "2012-10-17", "Statement": [_UNREADABLE_STATEMENT]}


def built_document(value: Any) -> Any:
    """A policy document written as a JSON string built with ``Fn::Sub`` or ``Fn::Join`` (or with
    ``Fn::ToJsonString``), as parsed JSON: each string that held a substitution becomes an
    ``Fn::Sub`` again, which the checks resolve like any other. ``value`` itself when it is not one."""
    if not isinstance(value, dict) or len(value) != 1:
        return value
    (function, argument), = value.items()
    if function == "Fn::ToJsonString":
        return argument
    variables: dict[str, Any] = {}
    if function == "Fn::Sub":
        text = argument if isinstance(argument, str) else (argument[0] if isinstance(argument, list) and argument else None)
        if isinstance(argument, list) and len(argument) > 1 and isinstance(argument[1], dict):
            variables = argument[1]
    elif function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list):
        pieces = []
        for index, part in enumerate(argument[1]):
            if isinstance(part, str):
                pieces.append(part.replace("${", "${!"))  # literal text: a policy variable stays one
            else:
                variables[f"Join{index}"] = part
                pieces.append(f"${{Join{index}}}")
        text = str(argument[0]).join(pieces)
    else:
        return value
    if not isinstance(text, str) or '"Statement"' not in text:
        return value
    try:
        parsed = json.loads(text)
    except ValueError:
        return _UNREADABLE
    return _substituted(parsed, variables)


def _substituted(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return {"Fn::Sub": [value, variables]} if "${" in value.replace("${!", "") else value.replace("${!", "${")
    if isinstance(value, dict):
        return {key: _substituted(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [_substituted(item, variables) for item in value]
    return value


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (a dict, or a JSON string as some types take it).

    ``Fn::If`` (on the document, its statement list, a statement or any part of one) is read as
    every way it can deploy: an ``Allow`` of either branch counts, a ``Deny`` under an ``Fn::If``
    does not (it may not deploy). A document or statement an ``Fn::Transform`` (``AWS::Include``, a
    macro) writes at deploy, or that comes whole from a value decided at deploy (a parameter, an SSM
    value, ``{{resolve:...}}``, an import, a custom resource's attribute), is read as an ``Allow`` of
    everything. An ``Effect`` that is neither ``Allow`` nor ``Deny`` as written (a parameter, ...) is
    read as ``Allow``: a check that looks for widenings fails closed."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return [dict(_UNREADABLE_STATEMENT)]
    document = built_document(document)
    if _decided_at_deploy(document):
        return [dict(_UNREADABLE_STATEMENT)]
    found: list[dict[str, Any]] = []
    for whole in choices(document):
        conditional = whole is not document
        if isinstance(whole, list):  # a list of statements
            items = whole
        elif not isinstance(whole, dict):
            continue
        elif "Statement" not in whole and "Effect" in whole:  # EventBusPolicy's single statement
            items = [whole]
        else:
            items = entries(whole.get("Statement"))
        for item in items:
            if isinstance(item, dict) and "Fn::Transform" in item:
                found.append(dict(_UNREADABLE_STATEMENT))
                continue
            for statement in choices(item):
                if not isinstance(statement, dict):
                    continue
                effect = statement.get("Effect")
                if effect == "Deny" and (conditional or statement is not item):
                    continue
                if effect not in ("Allow", "Deny"):
                    statement = {**statement, "Effect": "Allow"}
                found.append(statement)
    return found


def _decided_at_deploy(document: Any) -> bool:
    """A document written by an ``Fn::Transform``, or that is whole an intrinsic other than ``Fn::If``
    (which ``choices`` reads): a parameter, an import, a custom resource's attribute."""
    if not isinstance(document, dict):
        return False
    if "Fn::Transform" in document:
        return True
    if len(document) != 1:
        return False
    function = next(iter(document))
    return function != "Fn::If" and (function == "Ref" or function.startswith("Fn::"))


def identity_documents(resource: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(location, document) of every identity policy a resource holds: its own, or inline ones."""
    kind, props = resource.get("Type"), resource.get("Properties") or {}
    if (kind in IDENTITY_POLICY_TYPES or kind in INLINE_POLICY_HOLDERS) and isinstance(props, dict) \
            and "Fn::Transform" in props:  # the properties themselves are written at deploy
        yield "Properties", _UNREADABLE
    elif kind in IDENTITY_POLICY_TYPES:
        yield "Properties/PolicyDocument", props.get("PolicyDocument")
    elif kind in INLINE_POLICY_HOLDERS:
        for index, policy in enumerate(entries(props.get("Policies"))):
            if isinstance(policy, dict) and "Fn::Transform" in policy:  # a policy (or the list) written at deploy
                yield f"Properties/Policies/{index}", _UNREADABLE
            elif isinstance(policy, dict):
                yield f"Properties/Policies/{index}/PolicyDocument", policy.get("PolicyDocument")


def resource_document(resource: dict[str, Any]) -> tuple[str, Any] | None:
    """The first resource policy of a resource (see ``resource_documents`` for all of them)."""
    return next(resource_documents(resource), None)


def resource_documents(resource: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(location, document) of every resource policy a resource holds, whatever its type: any
    property value that is a policy document (``Statement`` of statements with ``Effect``), as an
    object or a JSON string, at any depth (a table's ``ResourcePolicy.PolicyDocument``, a bus's
    single ``Statement``...). Identity policies and a role's own trust are not resource policies
    here (``identity_documents``; the trust is read with the role)."""
    kind = resource.get("Type", "")
    if kind in IDENTITY_POLICY_TYPES or kind in INLINE_POLICY_HOLDERS:
        return
    yield from _documents_in(resource.get("Properties") or {}, "Properties")


def _is_statement(value: Any) -> bool:
    return isinstance(value, dict) and ("Effect" in value or "Fn::If" in value)


def _is_document(value: Any) -> bool:
    if isinstance(value, dict):
        found = value.get("Statement")
        if isinstance(found, list):
            return bool(found) and all(_is_statement(s) for s in found)
        return _is_statement(found)
    return False


def _documents_in(value: Any, location: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, str) and value.lstrip().startswith("{") and '"Statement"' in value:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return
        if _is_document(parsed):
            yield location, parsed
        return
    if isinstance(value, dict):
        built = built_document(value)
        if built is not value:  # a JSON string built with Fn::Sub / Fn::Join
            if _is_document(built):
                yield location, built
            return
        if len(value) == 1 and isinstance(value.get("Fn::If"), list) and len(value["Fn::If"]) == 3:
            for branch in value["Fn::If"][1:]:  # either branch may deploy: read both
                yield from _documents_in(branch, location)
            return
        if _is_document(value):
            yield location, value
            return
        if "Effect" in value and ("Action" in value or "NotAction" in value) and location.endswith("/Statement"):
            yield location, {"Statement": [value]}  # EventBusPolicy's one statement
            return
        for key, item in value.items():
            if not key.startswith("Fn::"):
                yield from _documents_in(item, f"{location}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _documents_in(item, f"{location}/{index}")


def flatten(value: Any) -> str:
    """A one-line rendering of a template value, as cdk-nag writes it in finding ids
    (``Ref`` -> ``<Id>``, ``Fn::GetAtt`` -> ``<Id.Attr>``, ``Fn::Join`` concatenated)."""
    from .._nag import flatten as nag_flatten

    return nag_flatten(value)


def cdk_path(resource: dict[str, Any], logical_id: str) -> str:
    """The construct path CDK recorded for a resource (``aws:cdk:path``), else its logical id."""
    return str((resource.get("Metadata") or {}).get("aws:cdk:path") or logical_id)
