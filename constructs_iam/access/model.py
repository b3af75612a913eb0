"""AccessModel: the principals, trust and resource policies of some templates, and the decisions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._cfn import Unresolvable

from .catalog import ManagedPolicyCatalog, MotoCatalog
from .conditions import UnknownOperator, evaluate_condition_block
from .decisions import ContextValue, Decision, Statement
from .templates import load_template
from .matching import _as_list, action_matches, resource_matches

# ------------------------------------------------------------------------------------ model


@dataclass
class _Principal:
    logical_id: str
    kind: str  # "role" or "user"
    arn: str
    name: str
    path: str | None
    statements: list[Statement] = field(default_factory=list)
    boundary: list[Statement] | None = None
    boundary_arn: str | None = None  # the permissions boundary's ARN, when it resolves
    trust: list[Statement] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # the principal's IAM tags: aws:PrincipalTag/<key>




class AccessModel:
    """An evaluator of the IAM policies in one or more synthesized templates."""

    def __init__(self, *, catalog: ManagedPolicyCatalog | None = None) -> None:
        """:param catalog: where AWS managed policy documents come from. Default: ``MotoCatalog()``."""
        self.catalog: ManagedPolicyCatalog = catalog or MotoCatalog()
        self._principals: dict[str, _Principal] = {}
        self._aliases: dict[str, str] = {}
        self._resource_policy_statements: list[Statement] = []
        self._key_policies: dict[str, list[Statement]] = {}  # key ARN -> its key policy (a second gate)
        self._managed_policies: dict[str, list[Statement]] = {}  # customer managed policy ARN -> statements
        self._documents: list[tuple[str, str, Any]] = []
        # (stack name, output name) -> a function resolving that output in its own template
        self._outputs: dict[tuple[str, str], Any] = {}

    def _stack_output(self, stack_name: str, output_name: str) -> Any:
        """``Fn::GetStackOutput`` of a template added before (CDK adds producers before consumers)."""
        produce = self._outputs.get((stack_name, output_name))
        if produce is None:
            raise Unresolvable(f"Fn::GetStackOutput {stack_name}.{output_name}: add the producing stack first")
        return produce()

    # ----------------------------------------------------------------------------- building

    @classmethod
    def from_stack(cls, *stacks: Any) -> AccessModel:
        """Synthesize ``stacks`` (CDK ``Stack`` objects of one app) and model them together."""
        from aws_cdk import Stack, Token
        from aws_cdk.assertions import Template

        model = cls()
        for stack in stacks:
            template = Template.from_stack(stack).to_json()
            paths = {}
            for child in stack.node.find_all():
                if hasattr(child, "cfn_resource_type") and Stack.of(child) is stack:
                    paths[stack.resolve(stack.get_logical_id(child))] = child.node.path.removesuffix("/Resource")
            account = None if Token.is_unresolved(stack.account) else stack.account
            region = None if Token.is_unresolved(stack.region) else stack.region
            model.add_template(template, account=account, region=region, stack_name=stack.stack_name, paths=paths)
        return model

    @classmethod
    def from_template(cls, template: Mapping[str, Any], *, account: str | None = None, region: str | None = None,
                      partition: str = "aws", stack_name: str = "Stack") -> AccessModel:
        """Model a synthesized template (a dict). Without ``account``/``region``, ARNs that need
        them cannot be resolved and the decisions that depend on them are ``undecided``."""
        model = cls()
        model.add_template(template, account=account, region=region, partition=partition, stack_name=stack_name)
        return model

    def add_template(self, template: Mapping[str, Any], *, account: str | None, region: str | None,
                     partition: str = "aws", stack_name: str = "Stack", paths: Mapping[str, str] | None = None) -> None:
        """Add a template's principals and policies (``constructs_iam.access.templates``)."""
        load_template(self, template, account=account, region=region, partition=partition, stack_name=stack_name,
                      paths=paths)


    # ---------------------------------------------------------------------------- queries

    def documents(self) -> list[tuple[str, str, Any]]:
        """Every policy document in the model, resolved: ``(kind, source, document)`` where kind is
        ``identity``, ``trust`` or ``resource``; an unresolvable one is an ``Unresolvable`` error."""
        return list(self._documents)

    def effective_policy(self, principal: str) -> dict[str, Any]:
        """The combined identity policy of a role or user (inline, customer and AWS managed,
        groups), denies included, as one document."""
        who = self._principal(principal)
        problems = [s for s in who.statements if s.problem]
        if problems:
            raise Unresolvable("; ".join(f"{s.name}: {s.problem}" for s in problems))
        return {"Version": "2012-10-17", "Statement": [s.raw for s in who.statements]}

    def principals(self) -> list[str]:
        return sorted(self._principals)

    def principal(self, principal: str) -> _Principal:
        """The modelled role or user (logical id, construct path, name or ARN): its statements,
        permissions boundary, trust statements and tags, for reports."""
        return self._principal(principal)

    def resource_policy_statements(self) -> list[Statement]:
        """Every resource-policy statement of the templates (buckets, topics, keys, secrets)."""
        return list(self._resource_policy_statements)

    def arn(self, principal: str) -> str:
        """The ARN the model gives a role or user (by logical id, construct path, name or ARN)."""
        return self._principal(principal).arn

    def _principal(self, key: str) -> _Principal:
        arn = self._aliases.get(key) or self._aliases.get(key.removesuffix("/Resource"))
        if arn is None:
            raise KeyError(f"principal {key!r} is not a role or user of the model (known: {sorted(k for k in self._aliases if '/' not in k)})")
        return self._principals[arn]

    def evaluate(self, *, principal: str, action: str, resource: str = "*", context: Mapping[str, ContextValue] | None = None) -> Decision:
        """May ``principal`` (logical id, construct path or ARN of a role or user) call ``action``
        on ``resource`` with the request ``context`` (condition keys)?"""
        who = self._principal(principal)
        ctx = self._context(who, context)
        return self._decide(who, action, resource, ctx)

    def can_assume(self, *, role: str, caller: str, context: Mapping[str, ContextValue] | None = None,
                   action: str = "sts:AssumeRole") -> Decision:
        """May ``caller`` (an IAM ARN, a service principal such as ``ec2.amazonaws.com``, or an identity
        provider ARN such as ``arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com``
        with ``action="sts:AssumeRoleWithWebIdentity"`` and the token's claims as context) assume ``role``?"""
        target = self._principal(role)
        if target.kind != "role":
            raise KeyError(f"{role!r} is a user, not a role")
        caller_principal = self._principals.get(self._aliases.get(caller, caller))
        ctx = dict(context or {})
        # a service or a federated identity provider: no IAM policy of the caller's to consult
        is_service = caller.endswith(".amazonaws.com") or _is_identity_provider(caller)
        if not is_service:
            ctx.setdefault("aws:PrincipalArn", caller_principal.arn if caller_principal else caller)
            account = _account_of(caller)
            if account:
                ctx.setdefault("aws:PrincipalAccount", account)
            if caller_principal is not None and caller_principal.kind == "user":
                ctx.setdefault("aws:username", caller_principal.name)  # IAM sets it for a user's request
            user = re.match(r"^arn:aws[a-z-]*:iam::\d{12}:user/(?:.*/)?([^/]+)$", caller)
            if user:  # IAM puts the user's name in every request of an IAM user (not of a role session)
                ctx.setdefault("aws:username", user.group(1))
        trust = self._match_trust(target, caller, action, ctx)
        if trust.allowed is not True:
            return trust
        if is_service:
            return trust
        if caller_principal is None:
            return Decision(True, "allow", f"{trust.reason}; the caller's own policies are outside the model "
                            "(its account must also allow sts:AssumeRole)", trust.statements)
        side = self._decide(caller_principal, action, target.arn, self._context(caller_principal, ctx))
        if side.allowed is True:
            return Decision(True, "allow", f"{trust.reason}; caller side: {side.reason}", trust.statements + side.statements)
        return Decision(side.allowed, side.outcome, f"caller side: {side.reason}", side.statements)

    # ---------------------------------------------------------------------------- internals

    def _context(self, who: _Principal, context: Mapping[str, ContextValue] | None) -> dict[str, Any]:
        ctx: dict[str, Any] = dict(context or {})
        ctx.setdefault("aws:PrincipalArn", who.arn)
        account = _account_of(who.arn)
        if account:
            ctx.setdefault("aws:PrincipalAccount", account)
        if who.kind == "user":
            ctx.setdefault("aws:username", who.name)
        for key, value in who.tags.items():  # what IAM puts in every request of the principal
            ctx.setdefault(f"aws:PrincipalTag/{key}", value)
        if account:
            ctx.setdefault("kms:CallerAccount", account)
        return ctx

    def _decide(self, who: _Principal, action: str, resource: str, ctx: Mapping[str, Any]) -> Decision:
        key_policy = self._key_policies.get(resource) if action.lower().startswith("kms:") else None
        resource_statements = [*(s for s in self._resource_policy_statements if s.covers(resource)), *(key_policy or [])]
        relevant = [*who.statements, *(who.boundary or []), *resource_statements]
        undecided = self._undecidable(relevant, action)
        if undecided is not None:
            return undecided
        denies = [s for s in [*who.statements, *(who.boundary or [])] if s.effect == "Deny" and self._applies(s, action, resource, ctx)]
        denies += [s for s in resource_statements
                   if s.effect == "Deny" and self._applies(s, action, resource, ctx, resource_policy=True, principal=who.arn,
                                                           this_resource=s in (key_policy or []))]
        if denies:
            return Decision(False, "explicit-deny", "denied by " + ", ".join(s.name for s in denies), tuple(s.name for s in denies))
        if key_policy is not None:
            # KMS: the key policy must allow too, naming the principal or its account (IAM delegation)
            by_key = [s for s in key_policy if s.effect == "Allow" and self._applies(
                s, action, resource, ctx, resource_policy=True, principal=who.arn, this_resource=True)]
            if not by_key:
                return Decision(False, "implicit-deny", f"the key policy of {resource} does not allow {action} for "
                                f"{who.logical_id} (nor for its account) under these conditions")
            direct = [s for s in by_key if _names_exactly(s.raw, who.arn)]
            if direct:
                return Decision(True, "allow", "allowed by the key policy: " + ", ".join(s.name for s in direct),
                                tuple(s.name for s in direct))
        allows = [s for s in who.statements if s.effect == "Allow" and self._applies(s, action, resource, ctx)]
        if not allows:
            # a resource policy that names this very principal grants on its own (same account)
            granted = [s for s in self._resource_policy_statements if s.effect == "Allow" and s.covers(resource)
                       and _names_exactly(s.raw, who.arn)
                       and self._applies(s, action, resource, ctx, resource_policy=True, principal=who.arn)]
            if granted:
                return Decision(True, "allow", "allowed by the resource policy: " + ", ".join(s.name for s in granted),
                                tuple(s.name for s in granted))
            return Decision(False, "implicit-deny", f"no identity policy of {who.logical_id} allows {action} on {resource}")
        if who.boundary is not None:
            bounded = [s for s in who.boundary if s.effect == "Allow" and self._applies(s, action, resource, ctx)]
            if not bounded:
                return Decision(False, "implicit-deny", f"allowed by {', '.join(s.name for s in allows)} but not by the permissions boundary",
                                tuple(s.name for s in allows))
        return Decision(True, "allow", "allowed by " + ", ".join(s.name for s in allows), tuple(s.name for s in allows))

    def _undecidable(self, statements: Iterable[Statement], action: str) -> Decision | None:
        broken = [s for s in statements if s.problem and ("Action" not in s.raw and "NotAction" not in s.raw or action_matches(s, action))]
        if broken:
            return Decision(None, "undecided", "cannot decide: " + "; ".join(f"{s.name}: {s.problem}" for s in broken),
                            tuple(s.name for s in broken))
        return None

    def _applies(self, statement: Statement, action: str, resource: str, ctx: Mapping[str, Any], *,
                 resource_policy: bool = False, principal: str | None = None, this_resource: bool = False) -> bool:
        # in a key policy "Resource": "*" means the key itself (this_resource)
        if not action_matches(statement, action) or not (this_resource or resource_matches(statement, resource, ctx)):
            return False
        if resource_policy and not _principal_matches(statement.raw, principal or "", service=False):
            return False
        try:
            return evaluate_condition_block(statement.raw.get("Condition", {}), ctx)
        except UnknownOperator as error:
            raise ValueError(f"{statement.name}: unknown condition operator {error}") from error

    def _match_trust(self, role: _Principal, caller: str, action: str, ctx: Mapping[str, Any]) -> Decision:
        undecided = self._undecidable(role.trust, action)
        if undecided is not None:
            return undecided
        service = caller.endswith(".amazonaws.com")
        denies = [s for s in role.trust if s.effect == "Deny" and action_matches(s, action)
                  and _principal_matches(s.raw, caller, service=service) and evaluate_condition_block(s.raw.get("Condition", {}), ctx)]
        if denies:
            return Decision(False, "explicit-deny", "trust policy denies: " + ", ".join(s.name for s in denies), tuple(s.name for s in denies))
        allows = [s for s in role.trust if s.effect == "Allow" and action_matches(s, action)
                  and _principal_matches(s.raw, caller, service=service)]
        if not allows:
            return Decision(False, "implicit-deny", f"the trust policy of {role.logical_id} does not name {caller}")
        passing = [s for s in allows if evaluate_condition_block(s.raw.get("Condition", {}), ctx)]
        if not passing:
            failed = ", ".join(f"{s.name} {json.dumps(s.raw.get('Condition', {}), sort_keys=True)}" for s in allows)
            return Decision(False, "implicit-deny", f"trust conditions not met: {failed}", tuple(s.name for s in allows))
        return Decision(True, "allow", "trusted by " + ", ".join(s.name for s in passing), tuple(s.name for s in passing))


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" and parts[4].isdigit() else None


def _names_exactly(statement: Mapping[str, Any], arn: str) -> bool:
    """The statement's Principal names this role or user by its ARN (not its account)."""
    principal = statement.get("Principal")
    return isinstance(principal, Mapping) and arn in [str(v) for v in _as_list(principal.get("AWS"))]


def _is_identity_provider(caller: str) -> bool:
    return bool(re.match(r"^arn:aws[a-z-]*:iam::\d{12}:(oidc|saml)-provider/", caller))


def _principal_matches(statement: Mapping[str, Any], caller: str, *, service: bool) -> bool:
    principal = statement.get("Principal")
    if "NotPrincipal" in statement:
        return not _principal_matches({"Principal": statement["NotPrincipal"]}, caller, service=service)
    if principal is None:
        return True
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if _is_identity_provider(caller):
        return caller in _as_list(principal.get("Federated"))
    if service:
        return caller in _as_list(principal.get("Service"))
    caller_account = _account_of(caller)
    for entry in _as_list(principal.get("AWS")):
        if entry == "*" or entry == caller:
            return True
        if caller_account and entry in (caller_account, f"arn:aws:iam::{caller_account}:root") or (
            caller_account and re.fullmatch(rf"arn:aws[a-z-]*:iam::{caller_account}:root", str(entry))
        ):
            return True
        session = re.match(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/", caller)
        if session and str(entry).startswith(f"arn:{session.group(1)}:iam::{session.group(2)}:role/") and str(entry).endswith("/" + session.group(3)):
            return True
    return False

