"""The guardrail rules: one pure function each over the synthesized templates, with a stable id.

A rule yields ``Finding`` objects; ``IamGuardrails`` turns them into a policy-validation report,
where each finding can be acknowledged on its resource (``constructs_iam.acknowledge``).
"""

from __future__ import annotations

import json
import re

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .templates import (
    IDENTITY_POLICY_TYPES,
    Assembly,
    Template,
    as_list,
    cdk_path,
    entries,
    flatten,
    identity_documents,
    resource_documents,
    statements,
)

from .seal import PATTERN_METADATA  # noqa: E402  (re-exported: the key of a pattern's metadata)

# Condition keys that pin a '*' principal to known callers (lower case).
PINNING_KEYS = frozenset({
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcearn",
    "aws:sourceowner",
    "kms:calleraccount",
})
# Operators under which such a key really pins: equality or pattern match, not negated, not
# "IfExists" (a request without the key would pass).
_PINNING_OPERATORS = ("stringequals", "stringlike", "arnequals", "arnlike", "stringequalsignorecase")

ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
"""AWS managed policies that amount to administrator access (or the power to grant it)."""


@dataclass(frozen=True)
class Finding:
    rule: str
    template: Template
    logical_id: str
    location: str
    message: str


@dataclass
class Context:
    """What the rules read: every template of the stage, and which are in a guarded scope."""

    assembly: Assembly
    guarded: list[Template]
    boundaries: dict[str, Any] = field(default_factory=dict)  # template path -> expected boundary
    intents: list[Any] = field(default_factory=list)  # seal.PatternIntent, resolved
    cache: dict[str, Any] = field(default_factory=dict)  # what several rules read, computed once
    # (tag, account or None) registered in process by each TenantIsolatedBucket
    tenant_buckets: set[tuple[str, str | None]] = field(default_factory=set)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    explanation: str
    fix: str
    check: Callable[[Context], Iterator[Finding]]


# ------------------------------------------------------------------------------------- helpers


def principal_is_open(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(value) for value in principal.values())
    return False


def pins_caller(condition: Any) -> bool:
    """Whether a condition block limits who the caller can be (org, account, ARN, source)."""
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        # ForAllValues holds when the key is missing (an anonymous caller has no aws:PrincipalAccount): no pin
        op = operator.lower().removeprefix("foranyvalue:")
        if op not in _PINNING_OPERATORS or not isinstance(block, dict):
            continue
        for key, value in block.items():
            values = as_list(value)
            if key.lower() in PINNING_KEYS and values and all(_pinned_value(key.lower(), v) for v in values):
                return True
    return False


def _pinned_value(key: str, value: Any) -> bool:
    """A condition value that names one organisation, account or resource: no policy variable (the
    caller's own value), and a wildcard only after an ARN's account (``arn:aws:iam::111111111111:role/*``,
    ``arn:aws:s3:::bucket/*``) or an organisation path's organisation (``o-abc.../*``)."""
    if not isinstance(value, str):
        return isinstance(value, dict)  # a reference to a resource or a parameter of the app: one value
    if value in ("*", "") or "${" in value:
        return False
    cut = min((i for i in (value.find("*"), value.find("?")) if i >= 0), default=-1)
    if cut < 0:
        return True
    literal = value[:cut]
    if key.endswith("orgpaths"):
        return re.match(r"o-[a-z0-9]{10,32}/", literal) is not None
    return literal.startswith("arn:") and literal.count(":") >= 5 and bool(literal.split(":", 5)[5])


def _open_statements(document: Any, *, network: str | None = None) -> Iterator[dict[str, Any]]:
    """Allows to any principal not pinned by a condition; ``network``: a resource policy, where a
    condition that pins the network path (a VPC endpoint, a VPC, an EFS mount target) pins the caller
    too (AWS's standard private API and file system policies); ``network`` is the resource's type."""
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in statement or principal_is_open(statement.get("Principal")):
            if not pins_caller(statement.get("Condition")) and not (
                    network is not None and _pins_network(statement.get("Condition"), network)):
                yield statement


_NETWORK_KEYS = frozenset({"aws:sourcevpce", "aws:sourcevpc", "aws:sourcevpcarn"})


def _pins_network(condition: Any, kind: str) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not isinstance(block, dict):
            continue
        for key, value in block.items():
            values = as_list(value)
            literal = bool(values) and all(  # one endpoint or VPC each: a literal, or one of the app's (a reference)
                (isinstance(v, str) and v and "*" not in v and "?" not in v and "${" not in v)
                or (isinstance(v, dict) and len(v) == 1 and next(iter(v)) in ("Ref", "Fn::GetAtt", "Fn::ImportValue"))
                for v in values)
            if operator.lower() in ("stringequals", "arnequals") and key.lower() in _NETWORK_KEYS and literal:
                return True
            if kind == "AWS::EFS::FileSystem" and operator.lower() == "bool" \
                    and key.lower() == "elasticfilesystem:accessedviamounttarget" and [str(v).lower() for v in values] == ["true"]:
                return True
    return False


def _sid(statement: dict[str, Any]) -> str:
    return str(statement.get("Sid") or "(no Sid)")


def _resources(context: Context, templates: list[Template]) -> Iterator[tuple[Template, str, dict[str, Any]]]:
    for template in templates:
        for logical_id, resource in template.resources.items():
            if isinstance(resource, dict):
                yield template, logical_id, resource


# --------------------------------------------------------------------------------------- rules


def user_policy(context: Context) -> Iterator[Finding]:
    for template, logical_id, resource in _resources(context, context.guarded):
        kind, props = resource.get("Type"), resource.get("Properties") or {}
        where: str | None = None
        if kind == "AWS::IAM::User":
            if props.get("Policies"):
                where, what = "Properties/Policies", "user has an inline policy"
            elif props.get("ManagedPolicyArns"):
                where, what = "Properties/ManagedPolicyArns", "user has managed policies attached"
        elif kind == "AWS::IAM::UserPolicy":
            where, what = "Properties/UserName", "policy is attached directly to a user"
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and props.get("Users"):
            where, what = "Properties/Users", "policy is attached directly to a user"
        if where:
            yield Finding("IamGuardrails-UserPolicy", template, logical_id, where,
                          f"{what}; people get permissions only through groups")


def admin_access(context: Context) -> Iterator[Finding]:
    for template, logical_id, resource in _resources(context, context.guarded):
        for location, document in identity_documents(resource):
            for statement in statements(document):
                problem = admin_problem(statement)
                if problem:
                    yield Finding("IamGuardrails-AdminAccess", template, logical_id, location,
                                  f"statement {_sid(statement)} {problem}")
        if resource.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for arn in entries((resource.get("Properties") or {}).get("ManagedPolicyArns")):
                name = flatten(arn).rsplit("/", 1)[-1]
                if ":iam::aws:policy/" in flatten(arn) and name in ADMIN_MANAGED_POLICIES:
                    yield Finding("IamGuardrails-AdminAccess", template, logical_id, "Properties/ManagedPolicyArns",
                                  f"AWS managed policy {name} is attached (administrator access)")


# ARNs of different services and shapes, in each partition: a resource pattern matching all of them in one
# partition is '*' in all but spelling ('arn:*', 'arn:aws:*', 'arn:aws:*:*:*:*', '*:*'), judged by what it
# matches rather than by a list of spellings.
_PROBE_ARNS = ("arn:{p}:iam::123456789012:role/r", "arn:{p}:s3:::b/k", "arn:{p}:ec2:eu-west-1:123456789012:instance/i-1",
               "arn:{p}:kms:eu-west-1:123456789012:key/k")
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")


def _every_resource(resource: Any) -> bool:
    if not isinstance(resource, str):
        return False
    pattern = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in resource), re.DOTALL)
    if any(all(pattern.fullmatch(arn.format(p=p)) for arn in _PROBE_ARNS) for p in _PARTITIONS):
        return True
    # every service's resources of one account ('arn:aws:*:*:111111111111:*') is the account's administrator too
    parts = resource.split(":")
    account = parts[4] if len(parts) > 5 and re.fullmatch(r"[0-9]{12}", parts[4]) else None
    return account is not None and any(
        all(pattern.fullmatch(arn.format(p=p).replace("123456789012", account)) for arn in _PROBE_ARNS if "123456789012" in arn)
        for p in _PARTITIONS)


def admin_problem(statement: dict[str, Any]) -> str | None:
    """Why an identity statement amounts to administrator access, or None (judged by what its
    resources match, not by their spelling)."""
    if statement.get("Effect") != "Allow":
        return None
    resources = as_list(statement.get("Resource"))
    on_everything = any(_every_resource(r) for r in resources) or "NotResource" in statement
    if not on_everything:
        return None
    if "NotAction" in statement:
        return "allows NotAction on '*' (everything but a list)"
    actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
    if "*" in actions or "*:*" in actions:
        return "allows '*' on '*' (administrator access)"
    whole = sorted(a for a in actions if a.endswith(":*"))
    if whole:
        return f"allows every action of a service ({', '.join(whole)}) on '*'"
    return None


def open_trust(context: Context) -> Iterator[Finding]:
    for template, logical_id, resource in _resources(context, context.guarded):
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        document = (resource.get("Properties") or {}).get("AssumeRolePolicyDocument")
        for statement in _open_statements(document):
            yield Finding("IamGuardrails-OpenTrust", template, logical_id, "Properties/AssumeRolePolicyDocument",
                          f"trust policy statement {_sid(statement)} lets any principal ('*') assume the role "
                          "without a condition that pins the caller (aws:PrincipalOrgID, aws:PrincipalAccount, "
                          "aws:PrincipalArn, aws:SourceAccount, aws:SourceArn)")


def open_resource_policy(context: Context) -> Iterator[Finding]:
    for template, logical_id, resource in _resources(context, context.guarded):
        if resource.get("Type") == "AWS::EC2::VPCEndpoint":
            continue  # an endpoint policy only narrows what passes through the endpoint: it grants nothing
        for location, document in resource_documents(resource):
            for statement in _open_statements(document, network=str(resource.get("Type", ""))):
                yield Finding("IamGuardrails-OpenResourcePolicy", template, logical_id, location,
                              f"{resource['Type']} statement {_sid(statement)} allows any principal ('*') "
                              "without a condition that pins the caller (aws:PrincipalOrgID, "
                              "aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn)")
        if resource.get("Type") == "AWS::Lambda::Permission":
            props = resource.get("Properties") or {}
            if props.get("Principal") == "*" and not any(
                props.get(key) for key in ("SourceAccount", "SourceArn", "PrincipalOrgID")
            ):
                yield Finding("IamGuardrails-OpenResourcePolicy", template, logical_id, "Properties/Principal",
                              "Lambda permission lets any principal ('*') invoke the function without "
                              "SourceAccount, SourceArn or PrincipalOrgID")


def permissions_boundary(context: Context) -> Iterator[Finding]:
    """Every role and user of a bounded scope carries the boundary, whatever created it: L2 and L1
    roles, custom-resource providers' roles (a plain ``CfnResource`` of type ``AWS::IAM::Role``),
    singleton functions' roles at the stack's root, roles of other libraries, roles in nested
    stacks (their templates are read from the assembly; CDK does not hand them to validation
    plugins). What creates roles the template cannot show is refused: SAM resources without the
    boundary, service-linked roles (they cannot carry one), a nested stack whose template is not
    in the assembly, a StackSet, and a template transform (a macro, ``AWS::Include``,
    ``AWS::LanguageExtensions``' ``Fn::ForEach``) other than SAM's: CloudFormation expands those
    after synth, into roles no one checked."""
    for template in context.guarded:
        if template.path in context.boundaries:
            yield from _transform_problems(template)
    for template, logical_id, resource in _resources(context, context.guarded):
        if template.path not in context.boundaries:
            continue
        for location, message in _boundary_problems(resource, context.boundaries[template.path],
                                                    _directory(template.path)):
            yield Finding("IamGuardrails-PermissionsBoundary", template, logical_id, location, message)


SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
"""The one transform a bounded template may use: the rule checks the roles SAM's resources create."""


def _transform_problems(template: Template) -> Iterator[Finding]:
    transforms = template.body.get("Transform") or []
    for transform in transforms if isinstance(transforms, list) else [transforms]:
        if transform != SAM_TRANSFORM:
            yield Finding("IamGuardrails-PermissionsBoundary", template, "Transform", "Transform",
                          f"template transform {flatten(transform)} expands at deploy time into resources (roles "
                          "without the boundary among them) that cannot be checked")
    for key in template.resources:
        if key.startswith("Fn::"):
            yield Finding("IamGuardrails-PermissionsBoundary", template, key, f"Resources/{key}",
                          f"{key} in Resources expands at deploy time into resources (roles without the boundary "
                          "among them) that cannot be checked")


def _directory(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def _boundary_problems(resource: dict[str, Any], expected: Any, directory: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    kind_name, props = resource.get("Type", ""), resource.get("Properties") or {}
    kind = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user"}.get(kind_name)
    if kind is None and kind_name.startswith("AWS::Serverless::") and "Role" not in props:
        kind = f"{kind_name} (SAM creates its role)"
    if kind is not None:
        actual = props.get("PermissionsBoundary")
        if actual is None:
            yield "Properties/PermissionsBoundary", f"{kind} has no permissions boundary; expected {flatten(expected)}"
        elif actual != expected:
            yield ("Properties/PermissionsBoundary",
                   f"{kind} has permissions boundary {flatten(actual)}; expected {flatten(expected)}")
    elif kind_name == "AWS::CloudFormation::StackSet":
        yield "Type", "a StackSet deploys a template whose roles cannot be checked for the permissions boundary"
    elif kind_name == "AWS::IAM::ServiceLinkedRole":
        yield "Type", "a service-linked role cannot carry a permissions boundary; create it outside the bounded scope"
    elif kind_name == "AWS::CloudFormation::Stack":
        nested = _nested_template(resource, directory)
        if nested is None or depth > 5:
            yield "Properties/TemplateURL", ("nested stack whose template is not in the cloud assembly: the roles it "
                                             "creates cannot be checked for the permissions boundary")
            return
        for finding in _transform_problems(Template("nested", nested)):
            yield "Properties/TemplateURL", f"in the nested stack: {finding.message}"
        for inner in (nested.get("Resources") or {}).values():
            if isinstance(inner, dict):
                where = (inner.get("Metadata") or {}).get("aws:cdk:path", inner.get("Type"))
                for _, message in _boundary_problems(inner, expected, directory, depth + 1):
                    yield "Properties/TemplateURL", f"in the nested stack, {where}: {message}"


# the properties naming an EC2 key pair, by the resource types that launch instances with one
_KEY_NAME_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::EC2::": ("KeyName",),  # Instance, LaunchTemplate(Data), SpotFleet launch specifications
    "AWS::AutoScaling::": ("KeyName",),  # LaunchConfiguration
    "AWS::EKS::Nodegroup": ("Ec2SshKey",),  # RemoteAccess
    "AWS::Batch::ComputeEnvironment": ("Ec2KeyPair",),  # ComputeResources
    "AWS::EMR::Cluster": ("Ec2KeyName",),  # Instances
    "AWS::EMR::InstanceGroupConfig": ("Ec2KeyName",),
    "AWS::ImageBuilder::InfrastructureConfiguration": ("KeyPair",),
}


def _key_names(value: Any, names: tuple[str, ...], where: str) -> Iterator[tuple[str, Any]]:
    """Every ``names`` property anywhere under ``value``, also inside intrinsics (``Fn::If`` branches)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in names and item is not None:
                yield f"{where}/{key}", item
            else:
                yield from _key_names(item, names, f"{where}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _key_names(item, names, f"{where}/{index}")


def ec2_key_pair(context: Context) -> Iterator[Finding]:
    """EC2 key pairs, and instances, launch templates, launch configurations, fleets, node groups
    and other instance launchers that name one (wherever the key name sits in their properties)."""
    for template, logical_id, resource in _resources(context, context.guarded):
        kind, props = resource.get("Type"), resource.get("Properties") or {}
        if kind == "AWS::EC2::KeyPair":
            yield Finding("IamGuardrails-Ec2KeyPair", template, logical_id, "Type",
                          "an EC2 key pair is a long-lived SSH credential shared by whoever holds the file")
            continue
        names = next((n for prefix, n in _KEY_NAME_PROPERTIES.items() if isinstance(kind, str) and kind.startswith(prefix)), None)
        if names is None:
            continue
        for where, key in _key_names(props, names, "Properties"):
            yield Finding("IamGuardrails-Ec2KeyPair", template, logical_id, where,
                          f"{kind} launches instances with the key pair {flatten(key)}")


def _nested_template(resource: dict[str, Any], directory: str) -> dict[str, Any] | None:
    """A CDK nested stack's template, from the assembly: by its asset path (the CLI's metadata) or
    by the object key of its TemplateURL in the stacks' asset manifests."""
    import json
    from pathlib import Path

    asset = (resource.get("Metadata") or {}).get("aws:asset:path")
    if not isinstance(asset, str):
        key = flatten((resource.get("Properties") or {}).get("TemplateURL")).rsplit("/", 1)[-1]
        for manifest in Path(directory).glob("*.assets.json"):
            try:
                files = json.loads(manifest.read_text()).get("files", {})
            except (OSError, ValueError):
                continue
            for entry in files.values():
                if any(d.get("objectKey") == key for d in (entry.get("destinations") or {}).values()):
                    asset = (entry.get("source") or {}).get("path")
    if not isinstance(asset, str) or "/" in asset or not asset.endswith(".json"):
        return None
    try:
        return json.loads((Path(directory) / asset).read_text())
    except (OSError, ValueError):
        return None


def pattern_widened(context: Context) -> Iterator[Finding]:
    """Every pattern role of the app, compared with the intent its pattern registered (``seal``)."""
    from .seal import widenings

    yield from widenings(context, "IamGuardrails-PatternWidened")


def pattern_principal_unresolved(context: Context) -> Iterator[Finding]:
    """A resource policy principal that might be a pattern's role, and that the check cannot resolve."""
    from .seal import unresolved

    yield from unresolved(context, "IamGuardrails-PatternPrincipalUnresolved")


def pattern_changed_at_deploy(context: Context) -> Iterator[Finding]:
    """Deploy-time code (a function, a custom resource) whose role may rewrite a pattern's role."""
    from .seal import deploy_time_writers

    yield from deploy_time_writers(context, "IamGuardrails-PatternChangedAtDeploy")


TENANT_TAG_ACTIONS = ("iam:TagRole", "iam:UntagRole", "iam:TagUser", "iam:UntagUser", "iam:CreateRole",
                      "iam:CreateUser", "sts:TagSession")
"""What sets or removes a principal's tag: tagging roles and users, creating them with tags, session tags."""

_TAG_KEY_LISTS = ("forallvalues:stringequals", "forallvalues:stringequalsignorecase", "forallvalues:stringlike")


def tenant_tag(context: Context) -> Iterator[Finding]:
    """Where a ``TenantIsolatedBucket`` records its tenant tag (``tenant_tag`` in its bucket policy's
    metadata), no policy of the app (identity or trust) may let a principal set that tag: an Allow of
    a ``TENANT_TAG_ACTIONS`` action passes only with ``ForAllValues:StringEquals aws:TagKeys`` naming
    other keys. Every template of the stage: the tag is a key to the bucket whatever stack holds the role.
    Read: identity, trust and permission-set policies, attached AWS managed policies (from their catalog),
    the role SAM creates for a function, the tag's values on roles and users and on stacks; what cannot be
    read (an ARN from a parameter, a template outside the cloud assembly) is a finding."""
    tags: set[str] = {tag for tag, _ in context.tenant_buckets}
    # the accounts of the tenant buckets (None: an account the check cannot tell)
    accounts: set[str | None] = {account for _, account in context.tenant_buckets}
    for template, _, resource in _resources(context, context.assembly.templates):
        intent = (resource.get("Metadata") or {}).get(PATTERN_METADATA)
        if isinstance(intent, dict) and isinstance(intent.get("tenant_tag"), str):
            tags.add(intent["tenant_tag"])
            accounts.add(template.account)
    if not tags:
        return
    # IAM tags and sessions are per account and the bucket refuses every other account's principals: the
    # rule reads the buckets' accounts, templates of no known account (StackSets' included), and Identity
    # Center everywhere (it provisions roles into every account). With a bucket whose account it cannot
    # tell (an environment-agnostic stack), it reads every template.
    every = not accounts or None in accounts
    scoped = [t for t in context.assembly.templates if every or t.account is None or t.account in accounts]
    named = ", ".join(sorted(tags))
    keys = {tag.lower() for tag in tags}
    yield from _tenant_tag_values(context, keys, scoped)
    yield from _retagged_tenants(context, keys, scoped)
    yield from _stack_tag_findings(context, keys, scoped)
    yield from _attribute_tag_findings(context, keys)
    for template, logical_id, what in context.assembly.unread:
        yield Finding("IamGuardrails-TenantTag", template, logical_id, "Type",
                      f"{what}: the roles and policies it deploys cannot be read, and may set the tenant tag {named}")
    in_scope = {id(t) for t in scoped}
    for template, logical_id, resource in _resources(context, context.assembly.templates):
        if id(template) not in in_scope and not str(resource.get("Type", "")).startswith("AWS::SSO::"):
            continue
        resource = _with_sam_globals(template, resource)
        documents = list(identity_documents(resource))
        if resource.get("Type") == "AWS::IAM::Role" or _sam_creates_role(resource):
            documents.append(("Properties/AssumeRolePolicyDocument",
                              (resource.get("Properties") or {}).get("AssumeRolePolicyDocument")))
        elif resource.get("Type") == "AWS::SSO::PermissionSet":  # the roles Identity Center provisions
            documents.append(("Properties/InlinePolicy", (resource.get("Properties") or {}).get("InlinePolicy")))
        documents.extend((location, item) for location, item in _sam_policies(resource)
                         if isinstance(item, dict) and "Statement" in item)
        for location, document in documents:
            for statement, granted in tagging_grants(document, tags):
                yield Finding("IamGuardrails-TenantTag", template, logical_id, location,
                              f"statement {_sid(statement)} allows {', '.join(granted)} without limiting aws:TagKeys "
                              f"(ForAllValues:StringEquals) to keys other than the tenant tag {named}")
        for location, arns in _managed_policy_arns(resource):
            for arn in arns:
                for text in _policy_arn_texts(arn, template, context.assembly):
                    problem = _aws_managed_problem(arn if text == _UNREADABLE_ARN else text,
                                                   unreadable=text == _UNREADABLE_ARN)
                    if problem:
                        yield Finding("IamGuardrails-TenantTag", template, logical_id, location, f"{problem} {named}")
        for location, problem in _sam_policy_problems(resource):
            yield Finding("IamGuardrails-TenantTag", template, logical_id, location, f"{problem} {named}")


_SAM_POLICY_HOLDERS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
_SAM_GLOBALS = {"AWS::Serverless::Function": "Function", "AWS::Serverless::StateMachine": "StateMachine"}


def _sam_creates_role(resource: dict[str, Any]) -> bool:
    """A SAM function or state machine without ``Role``: SAM creates its role from ``Policies``,
    ``AssumeRolePolicyDocument`` and ``Tags`` at deploy time."""
    return resource.get("Type") in _SAM_POLICY_HOLDERS and "Role" not in (resource.get("Properties") or {})


def _with_sam_globals(template: Template, resource: dict[str, Any]) -> dict[str, Any]:
    """A SAM function or state machine as SAM deploys it: the template's ``Globals`` section for its type
    under its own properties (tags merged, its own first). Any other resource as it is."""
    section = (template.body.get("Globals") or {}).get(_SAM_GLOBALS.get(str(resource.get("Type")), ""))
    if not isinstance(section, dict) or not section:
        return resource
    props = resource.get("Properties") or {}
    merged = {**section, **props}
    if isinstance(section.get("Tags"), dict) and isinstance(props.get("Tags"), dict):
        merged["Tags"] = {**section["Tags"], **props["Tags"]}
    return {**resource, "Properties": merged}


def _principal_tags(template: Template, resource: dict[str, Any]) -> list[Any] | None:
    """The tags a role or user gets from ``resource`` (a role, a user, or a SAM function or state machine
    whose role SAM creates with its ``Tags`` map), as ``{Key, Value}`` items; None for other resources."""
    kind = resource.get("Type")
    if kind in ("AWS::IAM::Role", "AWS::IAM::User"):
        return entries((resource.get("Properties") or {}).get("Tags"))
    if _sam_creates_role(resource):
        tags = (_with_sam_globals(template, resource).get("Properties") or {}).get("Tags")
        if isinstance(tags, dict):
            return [{"Key": key, "Value": value} for key, value in tags.items()]
        return [{"Key": tags, "Value": tags}] if tags is not None else []  # an intrinsic: read as an unreadable key
    return None


def _stack_tag_findings(context: Context, keys: set[str], templates: list[Template]) -> Iterator[Finding]:
    """Tags CloudFormation copies onto every role of a stack at deploy: a stack's own tags (the cloud
    assembly's manifest) and a nested stack resource's ``Tags``. A tenant tag there makes every role of
    the stack a tenant, whatever admit decided."""
    for template in templates:
        if template.parent is None and not template.stackset:
            tags = _manifest_stack_tags(context, template)
            for key, value in tags.items():
                if isinstance(key, str) and key.lower() in keys and value != "":
                    yield Finding("IamGuardrails-TenantTag", template, "Tags", "Tags",
                                  f"the stack {template.stack_path or template.path} is tagged {key}={value}: CloudFormation "
                                  "copies a stack's tags onto its roles, so each becomes that tenant")
        for logical_id, resource in template.resources.items():
            if isinstance(resource, dict) and resource.get("Type") in ("AWS::CloudFormation::Stack",
                                                                       "AWS::CloudFormation::StackSet"):
                for tag in entries((resource.get("Properties") or {}).get("Tags")):
                    tag_key = tag.get("Key") if isinstance(tag, dict) else None
                    if not isinstance(tag_key, str) or (tag_key.lower() in keys and tag.get("Value") != ""):
                        shown = flatten(tag.get("Value") if isinstance(tag, dict) else tag)
                        yield Finding("IamGuardrails-TenantTag", template, logical_id, "Properties/Tags",
                                      f"the {'nested stack' if resource['Type'].endswith('::Stack') else 'StackSet'} is tagged "
                                      f"{flatten(tag_key)}={shown}: CloudFormation copies its tags onto the roles it "
                                      "deploys, so each becomes that tenant")


def _attribute_tag_findings(context: Context, keys: set[str]) -> Iterator[Finding]:
    """Identity Center's attributes for access control and Cognito identity pools' principal tags:
    every session they give carries the tags they map, with values from the directory or the identity
    provider, so one mapping the tenant key lets whoever writes that attribute choose the tenant."""
    for template, logical_id, resource in _resources(context, context.assembly.templates):
        if resource.get("Type") == "AWS::SSO::InstanceAccessControlAttributeConfiguration":
            # once on, an identity provider's SAML assertion may send any attribute (AccessControl:<key>)
            # as a session tag, whatever keys the configuration lists
            yield Finding("IamGuardrails-TenantTag", template, logical_id, "Type",
                          "Identity Center attributes for access control let the directory or identity provider set "
                          "session tags (any AccessControl:<key> in a SAML assertion): whoever sets that attribute "
                          "chooses the tenant")
            continue
        if resource.get("Type") != "AWS::Cognito::IdentityPoolPrincipalTag":
            continue
        mapped = (resource.get("Properties") or {}).get("PrincipalTags")  # a map: tag key -> the provider's claim
        for name in (list(mapped) if isinstance(mapped, dict) else [mapped]):
            if name is not None and (not isinstance(name, str) or name.lower() in keys):
                yield Finding("IamGuardrails-TenantTag", template, logical_id, "Properties/PrincipalTags",
                              f"maps {flatten(name)} into every session's tags: whoever sets that attribute in the "
                              "directory or identity provider chooses the tenant")


def _manifest_stack_tags(context: Context, template: Template) -> dict[str, Any]:
    """The tags the cloud assembly's manifest gives the stack of ``template`` (``Stack(tags=...)``,
    ``Tags.of(stack)``): CloudFormation applies them to the stack at deploy."""
    directory = str(Path(template.path).parent)
    manifests = context.cache.setdefault("manifest-stack-tags", {})
    if directory not in manifests:
        by_file: dict[str, dict[str, Any]] = {}
        try:
            manifest = json.loads((Path(directory) / "manifest.json").read_text())
        except (OSError, ValueError):
            manifest = {}
        for artifact in (manifest.get("artifacts") or {}).values():
            properties = artifact.get("properties") or {} if isinstance(artifact, dict) else {}
            if isinstance(properties.get("templateFile"), str) and isinstance(properties.get("tags"), dict):
                by_file[properties["templateFile"]] = properties["tags"]
        manifests[directory] = by_file
    return manifests[directory].get(Path(template.path).name, {})


def _sam_policies(resource: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(location, item) of each entry of the ``Policies`` of a SAM function or state machine whose role
    SAM creates: a policy document, an AWS managed policy's name or ARN, a SAM policy template."""
    props = resource.get("Properties") or {}
    if _sam_creates_role(resource) and "Policies" in props:
        for index, item in enumerate(entries(props["Policies"])):
            yield f"Properties/Policies/{index}", item


def _sam_policy_problems(resource: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The ``Policies`` of a SAM function or state machine that are not documents (those are read with
    the others): an AWS managed policy (by name or ARN) judged from the catalog; a SAM policy template
    or an intrinsic cannot be read here and fails closed."""
    for location, item in _sam_policies(resource):
        if isinstance(item, dict) and "Statement" in item:
            continue  # a policy document: read with the others
        if isinstance(item, str):
            problem = _aws_managed_problem(item, by_name=":" not in item)
            if problem:
                yield location, problem
            continue
        what = (f"SAM policy template {next(iter(item))}" if isinstance(item, dict) and len(item) == 1
                and not next(iter(item)).startswith("Fn::") and next(iter(item)) != "Ref" else flatten(item))
        yield location, (f"{what} becomes statements only when SAM transforms the template, so what it allows cannot be "
                         "checked: it may set the tenant tag")


def tagging_grants(document: Any, tags: set[str]) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """(statement, actions) of each Allow in ``document`` that grants ``TENANT_TAG_ACTIONS`` without
    limiting ``aws:TagKeys`` to keys other than ``tags`` (a Deny in the same document of tagging with
    the tenant key, whatever else it tags, closes it)."""
    closing = [d for d in statements(document) if _denies_tag_keys(d, tags)]
    for statement in statements(document):
        if statement.get("Effect") != "Allow" or not _may_name(statement, _TENANT_TAG_SERVICES):
            continue
        granted = [a for a in TENANT_TAG_ACTIONS if _grants(statement, a)
                   and not any(_grants(deny, a, unreadable=False) for deny in closing)]
        if granted and not _tag_keys_exclude(statement.get("Condition"), tags):
            yield statement, granted


def _managed_policy_arns(resource: dict[str, Any]) -> Iterator[tuple[str, list[Any]]]:
    """(location, ARNs) of the managed policies a role, user, group or permission set attaches."""
    kind, props = resource.get("Type"), resource.get("Properties") or {}
    if kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
        yield "Properties/ManagedPolicyArns", entries(props.get("ManagedPolicyArns"))
    elif kind == "AWS::SSO::PermissionSet":
        yield "Properties/ManagedPolicies", entries(props.get("ManagedPolicies"))


AWS_MANAGED_TAGGING_FILE = Path(__file__).parent.parent / "data" / "aws_managed_tagging.json"
"""What each AWS managed policy grants of ``TENANT_TAG_ACTIONS`` (written by ``python -m
tools.aws_managed_tagging`` from the pinned moto's copy of AWS's managed policies)."""


@lru_cache(maxsize=1)
def aws_managed_tagging() -> dict[str, list[str]]:
    """AWS managed policy (``path/name`` after ``:iam::aws:policy/``, lower case) -> the tagging actions it grants."""
    policies = json.loads(AWS_MANAGED_TAGGING_FILE.read_text())["policies"]
    return {name.lower(): actions for name, actions in policies.items()}


@lru_cache(maxsize=1)
def _aws_managed_by_name() -> dict[str, list[str]]:
    """``aws_managed_tagging`` by the policy's name alone (SAM takes AWS managed policies by name)."""
    return {name.rsplit("/", 1)[-1]: actions for name, actions in aws_managed_tagging().items()}


_UNREADABLE_ARN = "(a value the check cannot read)"
# a customer managed policy of one account: the partition and account may be the stack's pseudo parameters
# (ManagedPolicy.from_managed_policy_name), never a value that could be 'aws'
_LITERAL_POLICY_ARN = re.compile(r"arn:(aws[a-z-]*|<AWS::Partition>):iam::([0-9]{12}|<AWS::AccountId>):policy/.+",
                                 re.IGNORECASE)


def _policy_arn_texts(arn: Any, template: Template, assembly: Assembly, depth: int = 0) -> Iterator[str | None]:
    """Every text an attached policy's ARN can deploy as (``flatten``ed), resolved within the app: a
    nested stack's parameter to what its parent passes, an ``Fn::ImportValue`` to the app's export, an
    ``Fn::FindInMap`` to every value of the mapping. None where it names a managed policy resource of the
    app (read where it is); ``_UNREADABLE_ARN`` where it cannot be read (a parameter, an SSM value...)."""
    if depth > 8:
        yield _UNREADABLE_ARN
        return
    if isinstance(arn, str):
        yield arn
        return
    if not isinstance(arn, dict) or len(arn) != 1:
        yield _UNREADABLE_ARN
        return
    (function, argument), = arn.items()
    linked: list[tuple[Template, Any]] = []  # where the value comes from, in another template of the app
    if function in ("Ref", "Fn::GetAtt"):
        parts = argument.split(".", 1) if isinstance(argument, str) else [str(a) for a in as_list(argument)]
        if (template.resources.get(parts[0]) or {}).get("Type") in IDENTITY_POLICY_TYPES:
            yield None
            return
        found = assembly.parameter(template, parts[0]) if function == "Ref" else \
            assembly.nested_output(template, parts[0], parts[1]) if len(parts) == 2 else None
        linked = [found] if found is not None else []
    elif function == "Fn::ImportValue" and isinstance(argument, str) and argument in assembly.exports:
        linked = [assembly.exports[argument]]
    elif function == "Fn::GetStackOutput":
        linked = assembly.stack_output(argument)
    if linked:
        for producer, value in linked:
            yield from _policy_arn_texts(value, producer, assembly, depth + 1)
    elif function in ("Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::GetStackOutput"):
        yield _UNREADABLE_ARN
    elif function == "Fn::FindInMap" and isinstance(argument, list) and argument and isinstance(argument[0], str) \
            and isinstance((template.body.get("Mappings") or {}).get(argument[0]), dict):
        for top in template.body["Mappings"][argument[0]].values():  # the keys may be decided at deploy: every value
            for value in (top.values() if isinstance(top, dict) else [top]):
                yield from _policy_arn_texts(value, template, assembly, depth + 1)
        if len(argument) > 3 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
            yield from _policy_arn_texts(argument[3]["DefaultValue"], template, assembly, depth + 1)
    elif function in ("Fn::Join", "Fn::Sub"):
        yield flatten(arn)  # an AWS managed ARN with a token in its name is not in the catalog: a finding
    else:
        yield _UNREADABLE_ARN


def _aws_managed_problem(arn: Any, *, by_name: bool = False, unreadable: bool = False) -> str | None:
    """Why an attached AWS managed policy may set the tenant tag, judged by its content in the catalog
    (``aws_managed_tagging``); one the catalog does not hold, or whose name is an intrinsic, fails closed.
    ``by_name``: ``arn`` is the policy's name alone, as SAM takes it."""
    if arn is None:
        return None  # a managed policy resource of the app: its document is read where it is
    text = flatten(arn)
    if by_name:
        name = text
        granted = _aws_managed_by_name().get(name.lower())
    elif unreadable or ":iam::aws:policy/" not in text.lower():
        if not unreadable and _LITERAL_POLICY_ARN.fullmatch(text):
            return None  # a customer managed policy of an account, named by a literal ARN: not the app's to read
        return (f"the managed policy ARN {text} cannot be read here (a parameter, an SSM value, an import of an "
                "export outside the app...): it may be an AWS managed policy that sets the tenant tag")
    else:
        name = text[text.lower().index(":iam::aws:policy/") + len(":iam::aws:policy/"):]
        granted = aws_managed_tagging().get(name.lower())
    if granted is None:
        return (f"AWS managed policy {name} is not in the catalog of AWS managed policies this release reads "
                "(constructs_iam/data/aws_managed_tagging.json), so what it allows cannot be checked: it may set "
                "the tenant tag")
    if granted:
        return (f"AWS managed policy {name} allows {', '.join(granted)} without limiting aws:TagKeys to keys other "
                "than the tenant tag")
    return None


def _tenant_tag_values(context: Context, keys: set[str], templates: list[Template]) -> Iterator[Finding]:
    """The tenant tag's values on the app's roles and users, however they were set (``admit`` or a
    ``Tags.of`` by hand): each a normalised prefix (``a/b/``, so ``a`` cannot reach ``ab/``), and no
    tenant's prefix inside another's (``a/`` would reach all of ``a/b/``). An empty value is no tag."""
    from ..tenant_bucket import TenantIsolatedBucket

    found: list[tuple[Template, str, str]] = []
    for template, logical_id, resource in _resources(context, templates):
        tags = _principal_tags(template, resource)
        for tag in tags or []:
            if not isinstance(tag, dict) or not isinstance(tag.get("Key"), str):  # an intrinsic, a transform
                shown = flatten(tag.get("Key") if isinstance(tag, dict) and "Key" in tag else tag)
                yield Finding("IamGuardrails-TenantTag", template, logical_id, "Properties/Tags",
                              f"a tag key {shown} is decided at deploy (an intrinsic): it may be the tenant tag")
                continue
            if tag["Key"].lower() not in keys:
                continue
            value = tag.get("Value")
            if value == "":
                continue
            try:
                valid = isinstance(value, str) and TenantIsolatedBucket.tenant_prefix(value) == value
            except ValueError:
                valid = False
            if not valid or not isinstance(value, str):
                yield Finding("IamGuardrails-TenantTag", template, logical_id, "Properties/Tags",
                              f"tenant tag {tag['Key']}={flatten(value)} is not a tenant prefix as "
                              "TenantIsolatedBucket.admit writes it (a literal ending in '/'): 'a' would reach 'ab/'")
            else:
                found.append((template, logical_id, value))
    prefixes = {value for _, _, value in found}
    for template, logical_id, value in found:  # the prefixes of a/b/c/ are a/ and a/b/ (each ends with '/')
        parts = value.split("/")[:-2]
        outer = [p for p in ("/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)) if p in prefixes]
        if outer:
            yield Finding("IamGuardrails-TenantTag", template, logical_id, "Properties/Tags",
                          f"tenant prefix {value} lies inside tenant prefix {', '.join(outer)} of another role or user: "
                          "that tenant reaches every key of this one")


def _retagged_tenants(context: Context, keys: set[str], templates: list[Template]) -> Iterator[Finding]:
    """A role ``TenantIsolatedBucket.admit`` tagged carries that prefix in its template: a tag set
    afterwards (``Tags.of(role).add`` by hand, a stack-wide tag) would move it into another tenant."""
    from ..tenant_bucket import TENANT_METADATA

    admitted = {intent.path: intent.tenant for intent in context.intents if getattr(intent, "tenant", None)}
    for template, logical_id, resource in _resources(context, templates):
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        metadata = resource.get("Metadata") or {}
        record = metadata.get(PATTERN_METADATA)
        expected = {admitted.get(record.get("path")) if isinstance(record, dict) else None, metadata.get(TENANT_METADATA)}
        expected.discard(None)
        if not expected:
            continue
        values = [tag.get("Value") for tag in _principal_tags(template, resource) or []
                  if isinstance(tag, dict) and isinstance(tag.get("Key"), str) and tag["Key"].lower() in keys]
        for value in values:
            if value not in expected:
                yield Finding("IamGuardrails-TenantTag", template, logical_id, "Properties/Tags",
                              f"the role was admitted with tenant prefix {', '.join(sorted(map(str, expected)))} "
                              f"(TenantIsolatedBucket.admit) but its tenant tag is {flatten(value)}: a tag set after "
                              "admit moves the role into another tenant's data")


_TENANT_TAG_SERVICES = frozenset(a.split(":", 1)[0].lower() for a in TENANT_TAG_ACTIONS)


def _may_name(statement: dict[str, Any], services: frozenset[str]) -> bool:
    """Whether ``statement`` can grant an action of ``services`` (``_grants`` decides which): a
    ``NotAction`` or a pattern whose service part is a wildcard or one of ``services``. Checked first
    so the thousands of actions of other services are not matched one by one. An action the check
    cannot read (an intrinsic function) may name any service."""
    if "NotAction" in statement:
        return True
    for pattern in as_list(statement.get("Action")):
        if not isinstance(pattern, str):
            return True
        head = pattern.partition(":")[0].lower()
        if head in services or "*" in head or "?" in head:
            return True
    return False


def _grants(statement: dict[str, Any], action: str, *, unreadable: bool = True) -> bool:
    """Whether ``statement`` names ``action`` (by ``Action``, or by leaving it out of ``NotAction``), as
    IAM matches: without case, ``*`` and ``?`` wildcards. An action pattern the check cannot read (an
    intrinsic function: a parameter, ``Fn::Join``, ``Fn::Sub``) fails closed: it counts as naming
    ``action`` (``unreadable=True``, for an Allow that would be a finding), or as not naming it
    (``unreadable=False``, for a Deny that would close one)."""
    from fnmatch import fnmatchcase

    action = action.lower()
    service, _, _ = action.partition(":")

    def matches(pattern: Any, unknown: bool) -> bool:
        if not isinstance(pattern, str):
            return unknown
        pattern = pattern.lower()
        if "*" not in pattern and "?" not in pattern:
            return pattern == action
        head, colon, _ = pattern.partition(":")  # another service's pattern cannot match: no regex needed
        if colon and "*" not in head and "?" not in head and head != service:
            return False
        return fnmatchcase(action, pattern.replace("[", "[[]"))

    if "NotAction" in statement:
        return not any(matches(p, not unreadable) for p in as_list(statement["NotAction"]))
    return any(matches(p, unreadable) for p in as_list(statement.get("Action")))


def _denies_tag_keys(statement: Any, tags: set[str]) -> bool:
    """A Deny on every resource whose only condition is ``ForAnyValue:StringEqualsIgnoreCase`` on
    ``aws:TagKeys`` naming each tenant tag: any request that sets or removes that key is refused
    (IAM compares tag keys without case, so only the IgnoreCase operator is sure)."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Deny" or "NotResource" in statement:
        return False
    if "NotPrincipal" in statement or ("Principal" in statement and statement["Principal"] not in ("*", {"AWS": "*"})):
        return False  # a trust policy's Deny closes nothing for the principals it does not name
    if "*" not in as_list(statement.get("Resource")) and "Principal" not in statement:
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or len(condition) != 1:
        return False
    (operator, block), = condition.items()
    if operator.lower() != "foranyvalue:stringequalsignorecase" or not isinstance(block, dict) or len(block) != 1:
        return False
    (key, value), = block.items()
    named = {v.lower() for v in as_list(value) if isinstance(v, str)}
    return key.lower() == "aws:tagkeys" and all(tag.lower() in named for tag in tags)


def _tag_keys_exclude(condition: Any, tags: set[str]) -> bool:
    """A ``ForAllValues`` list of ``aws:TagKeys`` whose every entry is a literal other than the tags."""
    from fnmatch import fnmatchcase

    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if not isinstance(block, dict):
            continue
        keys = {key.lower(): value for key, value in block.items()}
        if operator.lower() == "null" and str(keys.get("aws:tagkeys")).lower() == "true":
            return True  # the request carries no tags at all
        if operator.lower() == "forallvalues:stringnotequalsignorecase" and isinstance(keys.get("aws:tagkeys"), (str, list)):
            named = {v.lower() for v in as_list(keys["aws:tagkeys"]) if isinstance(v, str) and "${" not in v}
            if all(tag.lower() in named for tag in tags):
                return True  # every key of the request differs from the tenant tag (compared without case)
        if operator.lower() not in _TAG_KEY_LISTS:
            continue
        for key, value in block.items():
            values = as_list(value)
            # a policy variable ('${aws:PrincipalTag/x}') is a value the caller may choose: it limits nothing
            if key.lower() != "aws:tagkeys" or not values or not all(isinstance(v, str) and v and "${" not in v
                                                                     for v in values):
                continue
            # IAM tag keys are case-insensitive: 'tenantprefix' is the same tag
            if not any(fnmatchcase(tag.lower(), v.lower().replace("[", "[[]")) for v in values for tag in tags):
                return True
    return False


_admin_problem = admin_problem  # the name constructs_iam._extension imports


RULES: tuple[Rule, ...] = (
    Rule("IamGuardrails-UserPolicy", "No policy on a user",
         "People get permissions only through groups (CIS 1.15): a policy on a user is invisible to whoever "
         "reviews the group, and outlives the person's role.",
         "Attach the policy to a group (PeopleGroup) the user belongs to.", user_policy),
    Rule("IamGuardrails-AdminAccess", "No administrator statements",
         "An Allow of '*', '*:*' or 'service:*' on Resource '*' (or of NotAction / NotResource), or an attached "
         "AdministratorAccess/PowerUserAccess/IAMFullAccess, grants far more than any workload needs.",
         "Name the exact actions and resources.", admin_access),
    Rule("IamGuardrails-OpenTrust", "No trust policy open to anyone",
         "A trust policy with Principal '*' (or NotPrincipal) and no condition that pins the caller lets any "
         "AWS account assume the role.",
         "Trust a service, account, role or user, or add aws:PrincipalOrgID / aws:PrincipalAccount / "
         "aws:PrincipalArn / aws:SourceAccount.", open_trust),
    Rule("IamGuardrails-OpenResourcePolicy", "No resource policy open to anyone",
         "A resource policy of any resource type (bucket, queue, topic, key, secret, table, repository, event bus, "
         "log group, function...) that allows '*' without a condition that pins the caller exposes the resource "
         "to every AWS account.",
         "Name the principals, or add aws:PrincipalOrgID / aws:PrincipalAccount / aws:SourceArn / "
         "aws:SourceAccount.", open_resource_policy),
    Rule("IamGuardrails-PermissionsBoundary", "Every role and user carries the boundary",
         "IamGuardrails.of(scope, permissions_boundary=...) requires that boundary on every role and user.",
         "Set permissions_boundary (or let IamGuardrails apply it).", permissions_boundary),
    Rule("IamGuardrails-Ec2KeyPair", "No SSH key pairs on instances",
         "An EC2 key pair is a private key file that anyone holding it can use, that no one rotates, and whose "
         "use IAM and CloudTrail do not see; Session Manager gives shells decided by IAM and logged.",
         "Remove KeyName and the key pair; reach instances with Session Manager (Ec2S3ReadOnlyRole(session_manager=...), "
         "InstanceSessionAccess), or acknowledge this finding with the reason the key is needed.", ec2_key_pair),
    Rule("IamGuardrails-PatternWidened", "A pattern's role holds only what the pattern grants",
         "A constructs_iam pattern documents exactly what its role may do; a grant_*, add_to_principal_policy, "
         "add_managed_policy, L1 policy or resource policy from elsewhere silently widens it.",
         "Change the pattern's props, or widen it explicitly with extend_policy(statements, reason=...).",
         pattern_widened),
    Rule("IamGuardrails-TenantTag", "Only the deployment sets the tenant tag",
         "A TenantIsolatedBucket lets a principal with the tenant tag into that tenant's prefix and refuses untagged "
         "ones: a policy that lets a principal tag a role or user, create one with tags, or tag its session with "
         "that key hands out the key to every tenant's data.",
         "Limit the statement with ForAllValues:StringEquals on aws:TagKeys to the keys it needs (not the tenant "
         "tag), or drop the action; tag tenants only with TenantIsolatedBucket.admit in the app.", tenant_tag),
    Rule("IamGuardrails-PatternPrincipalUnresolved", "A resource policy principal that may be a pattern's role is known",
         "A resource policy Allow whose principal (or aws:PrincipalArn / aws:userid condition under '*') the check "
         "cannot resolve (a parameter, an unknown import, a custom resource's attribute, a dynamic reference, a "
         "literal role id), an identity policy attached to a role it cannot resolve, or a template CloudFormation "
         "rewrites before it deploys (a macro) might reach a pattern's role; the seal fails closed.",
         "Name the principal by a literal ARN or a reference to its role, or acknowledge this finding on the "
         "resource with the reason the principal is not a pattern's role.", pattern_principal_unresolved),
    Rule("IamGuardrails-PatternChangedAtDeploy", "No deploy-time code may rewrite a pattern's role",
         "A Lambda function or custom resource whose role holds IAM write actions (iam:Put*, Attach*, Update*, "
         "Delete*...) on a pattern's role can change that role after synth, where no template shows it.",
         "Scope the function's IAM actions to the roles it manages (not the pattern's), or acknowledge this "
         "finding on the function with the reason.", pattern_changed_at_deploy),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
