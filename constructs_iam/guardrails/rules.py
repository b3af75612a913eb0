"""The guardrail rules: one pure function each over the synthesized templates, with a stable id.

A rule yields ``Finding`` objects; ``IamGuardrails`` turns them into a policy-validation report,
where each finding can be acknowledged on its resource (``constructs_iam.acknowledge``).
"""

from __future__ import annotations

import re

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .templates import (
    IDENTITY_POLICY_TYPES,
    Assembly,
    Template,
    as_list,
    cdk_path,
    flatten,
    identity_documents,
    resource_document,
    statements,
)

PATTERN_METADATA = "constructs-iam"
"""The CloudFormation ``Metadata`` key under which a pattern records what its role may hold."""

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
        op = operator.lower().removeprefix("forallvalues:").removeprefix("foranyvalue:")
        if op not in _PINNING_OPERATORS or not isinstance(block, dict):
            continue
        for key, value in block.items():
            values = as_list(value)
            if key.lower() in PINNING_KEYS and values and all(v not in ("*", "") for v in values):
                return True
    return False


def _open_statements(document: Any) -> Iterator[dict[str, Any]]:
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in statement or principal_is_open(statement.get("Principal")):
            if not pins_caller(statement.get("Condition")):
                yield statement


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
                problem = _admin_problem(statement)
                if problem:
                    yield Finding("IamGuardrails-AdminAccess", template, logical_id, location,
                                  f"statement {_sid(statement)} {problem}")
        if resource.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for arn in as_list((resource.get("Properties") or {}).get("ManagedPolicyArns")):
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


def _admin_problem(statement: dict[str, Any]) -> str | None:
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
        found = resource_document(resource)
        if found:
            location, document = found
            for statement in _open_statements(document):
                yield Finding("IamGuardrails-OpenResourcePolicy", template, logical_id, location,
                              f"{resource['Type']} statement {_sid(statement)} allows any principal ('*') "
                              "without a condition that pins the caller (aws:PrincipalOrgID, "
                              "aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount, aws:SourceArn)")
        elif resource.get("Type") == "AWS::Lambda::Permission":
            props = resource.get("Properties") or {}
            if props.get("Principal") == "*" and not any(
                props.get(key) for key in ("SourceAccount", "SourceArn", "PrincipalOrgID")
            ):
                yield Finding("IamGuardrails-OpenResourcePolicy", template, logical_id, "Properties/Principal",
                              "Lambda permission lets any principal ('*') invoke the function without "
                              "SourceAccount, SourceArn or PrincipalOrgID")


def permissions_boundary(context: Context) -> Iterator[Finding]:
    for template, logical_id, resource in _resources(context, context.guarded):
        if template.path not in context.boundaries:
            continue
        kind = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user"}.get(resource.get("Type", ""))
        if kind is None:
            continue
        expected = context.boundaries[template.path]
        actual = (resource.get("Properties") or {}).get("PermissionsBoundary")
        if actual is None:
            message = f"{kind} has no permissions boundary; expected {flatten(expected)}"
        elif actual != expected:
            message = f"{kind} has permissions boundary {flatten(actual)}; expected {flatten(expected)}"
        else:
            continue
        yield Finding("IamGuardrails-PermissionsBoundary", template, logical_id,
                      "Properties/PermissionsBoundary", message)


@dataclass(frozen=True)
class _Pattern:
    template: Template
    role_id: str
    info: dict[str, Any]

    @property
    def own(self) -> set[str]:
        return {p for p in as_list(self.info.get("policies")) if isinstance(p, str)}

    def says(self, what: str) -> str:
        path = self.info.get("path", self.role_id)
        return (f"{path} ({self.info.get('pattern', 'pattern')}): {what}. Fix: "
                f"{self.info.get('fix') or 'change the pattern props'}; or, to widen it on purpose, call "
                f"extend_policy(statements, reason=...) on {path}")


def pattern_widened(context: Context) -> Iterator[Finding]:
    """Every pattern role, in every stack of the stage (whether or not ``IamGuardrails.of`` ran).

    One pass: index the pattern roles by (template, logical id) and literal name, then look at
    every policy resource once and at what it is attached to or names as principal."""
    by_id: dict[tuple[int, str], _Pattern] = {}
    by_name: dict[str, _Pattern] = {}
    for template, logical_id, resource in _resources(context, context.assembly.templates):
        info = (resource.get("Metadata") or {}).get(PATTERN_METADATA)
        if resource.get("Type") != "AWS::IAM::Role" or not isinstance(info, dict):
            continue
        pattern = _Pattern(template, logical_id, info)
        by_id[(id(template), logical_id)] = pattern
        name = (resource.get("Properties") or {}).get("RoleName")
        if isinstance(name, str):
            by_name[name] = pattern
        yield from _role_itself(pattern, resource)
    if not by_id:
        return

    def named(value: Any, where: Template) -> list[_Pattern]:
        found = []
        for template, ref in context.assembly._references(value, where):
            pattern = by_id.get((id(template), ref)) if template is not None else by_name.get(ref)
            if pattern is not None and pattern not in found:
                found.append(pattern)
        return found

    for template, logical_id, resource in _resources(context, context.assembly.templates):
        kind = resource.get("Type", "")
        props = resource.get("Properties") or {}
        if kind in IDENTITY_POLICY_TYPES:
            attached = [props.get(p) for p in ("Roles", "RoleName") if props.get(p) is not None]
            for pattern in named(attached, template):
                if pattern.template is template and logical_id in pattern.own:
                    continue
                yield Finding("IamGuardrails-PatternWidened", template, logical_id, "Properties/PolicyDocument",
                              pattern.says(f"policy {cdk_path(resource, logical_id)} adds permissions to the "
                                           "pattern's role from outside the pattern"))
            continue
        found = resource_document(resource)
        if not found:
            continue
        for statement in statements(found[1]):
            if statement.get("Effect") != "Allow":
                continue
            for pattern in named(statement.get("Principal"), template):
                yield Finding("IamGuardrails-PatternWidened", template, logical_id, found[0],
                              pattern.says(f"{kind} statement {_sid(statement)} grants the pattern's role access "
                                           "from outside the pattern"))


def _role_itself(pattern: _Pattern, role: dict[str, Any]) -> Iterator[Finding]:
    props = role.get("Properties") or {}
    if props.get("Policies"):
        yield Finding("IamGuardrails-PatternWidened", pattern.template, pattern.role_id, "Properties/Policies",
                      pattern.says("an inline policy was added to the pattern's role"))
    allowed = as_list(pattern.info.get("managed_policy_arns"))
    for arn in as_list(props.get("ManagedPolicyArns")):
        if flatten(arn) in allowed or (isinstance(arn, dict) and arn.get("Ref") in pattern.own):
            continue
        yield Finding("IamGuardrails-PatternWidened", pattern.template, pattern.role_id,
                      "Properties/ManagedPolicyArns",
                      pattern.says(f"managed policy {flatten(arn)} was attached to the pattern's role"))


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
         "A bucket, queue, topic, key, secret, repository, event bus, log or Lambda policy that allows '*' without "
         "a condition that pins the caller exposes the resource to every AWS account.",
         "Name the principals, or add aws:PrincipalOrgID / aws:PrincipalAccount / aws:SourceArn / "
         "aws:SourceAccount.", open_resource_policy),
    Rule("IamGuardrails-PermissionsBoundary", "Every role and user carries the boundary",
         "IamGuardrails.of(scope, permissions_boundary=...) requires that boundary on every role and user.",
         "Set permissions_boundary (or let IamGuardrails apply it).", permissions_boundary),
    Rule("IamGuardrails-PatternWidened", "A pattern's role holds only what the pattern grants",
         "A constructs_iam pattern documents exactly what its role may do; a grant_*, add_to_principal_policy, "
         "add_managed_policy, L1 policy or resource policy from elsewhere silently widens it.",
         "Change the pattern's props, or widen it explicitly with extend_policy(statements, reason=...).",
         pattern_widened),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
