"""Organisation gates: service control policies (SCPs) and resource control policies (RCPs).

    org = Organization.from_template(management_template)      # or Organization(...) + add_policy
    org.evaluate(model, principal="arn:aws:iam::222222222222:root", action="s3:GetObject",
                 resource="arn:aws:s3:::acme-data/a.csv", resource_account="222222222222").allowed   # False

Following the AWS Organizations User Guide ("SCP evaluation", "RCP evaluation"):

- an SCP gate applies to IAM users, roles and the root user of member accounts: at every level of
  the account's path (root, each OU, the account) an SCP must allow the action, and an explicit
  Deny at any level refuses it. ``FullAWSAccess`` is assumed attached at every level (the
  guardrails of this library are deny lists); pass ``full_access=False`` to model allow lists;
- an RCP gate applies to requests to resources of member accounts, whoever makes them (other
  organisations, anonymous callers, AWS service principals); ``RCPFullAWSAccess`` is attached at
  every level and cannot be detached, so only Deny statements decide;
- neither applies to the management account (its principals, its resources), nor to
  service-linked roles (``role/aws-service-role/``); AWS service principals are not IAM
  principals of an account, so SCPs never apply to them, while RCPs do (the data perimeter's
  ``aws:PrincipalIsAWSService`` and ``aws:SourceOrgID`` conditions are how they pass).

``Organization.evaluate`` combines the gates with ``AccessModel``: a principal of the model gets
its identity, boundary and resource policies evaluated as before; a principal outside the model
(another account's role, a root user) is decided by the resource policies of the model, assuming
its own account allows the call (an outsider controls its own policies); an AWS service principal
is decided by the resource policies that name it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .conditions import evaluate_condition_block
from .decisions import ContextValue, Decision, Statement, _statements
from .matching import action_matches, resource_matches

if TYPE_CHECKING:
    from .model import AccessModel

ORGANIZATION_METADATA = "constructs-iam:organization"
"""Template metadata of the management stack: ``{"organization_id", "management_account_id",
"root_id", "accounts": {"<account id>": ["<OU id>", ...]}}`` (each account's OUs from the root down)."""
POLICY_METADATA = "constructs-iam:organization-policy"

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


@dataclass(frozen=True)
class OrganizationPolicy:
    """One SCP or RCP and the roots, OUs or accounts it is attached to."""

    name: str
    type: str
    statements: tuple[Statement, ...]
    target_ids: tuple[str, ...]
    sets: tuple[str, ...] = ()


@dataclass
class Organization:
    """An organisation's structure and its SCPs and RCPs.

    :param accounts: every member account with its OUs from the root down (``[]``: directly under
        the root). The management account is not a member: the gates never apply to it.
    """

    organization_id: str
    management_account_id: str
    root_id: str
    accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    policies: list[OrganizationPolicy] = field(default_factory=list)
    full_access: bool = True

    # ------------------------------------------------------------------------------ building

    def add_policy(self, name: str, policy_type: str, document: Mapping[str, Any] | str, target_ids: Sequence[str],
                   sets: Sequence[str] = ()) -> None:
        if policy_type not in (SCP, RCP):
            raise ValueError(f"policy type {policy_type!r} must be {SCP} or {RCP}")
        parsed = json.loads(document) if isinstance(document, str) else dict(document)
        self.policies.append(OrganizationPolicy(name, policy_type, tuple(_statements(name, parsed, lambda s: s)),
                                                tuple(target_ids), tuple(sets)))

    @classmethod
    def from_template(cls, template: Mapping[str, Any]) -> Organization:
        """Read the management stack's template: its organisation metadata and every
        ``AWS::Organizations::Policy`` (literal ``Content`` and ``TargetIds``)."""
        meta = (template.get("Metadata") or {}).get(ORGANIZATION_METADATA)
        if not isinstance(meta, Mapping):
            raise ValueError(f"the template has no {ORGANIZATION_METADATA!r} metadata (not a management stack)")
        org = cls(meta["organization_id"], meta["management_account_id"], meta["root_id"],
                  {a: tuple(path) for a, path in meta.get("accounts", {}).items()})
        for logical_id, resource in (template.get("Resources") or {}).items():
            if resource.get("Type") != "AWS::Organizations::Policy":
                continue
            props = resource.get("Properties", {})
            content, targets = props.get("Content"), props.get("TargetIds", [])
            if not isinstance(content, (str, dict)) or not all(isinstance(t, str) for t in targets):
                raise ValueError(f"{logical_id}: Content and TargetIds must be literals to be evaluated")
            sets = [s["id"] for s in (resource.get("Metadata") or {}).get(POLICY_METADATA, {}).get("sets", [])]
            org.add_policy(props.get("Name", logical_id), props["Type"], content, targets, sets)
        return org

    @classmethod
    def from_stack(cls, stack: Any) -> Organization:
        from aws_cdk.assertions import Template

        return cls.from_template(Template.from_stack(stack).to_json())

    # ------------------------------------------------------------------------------- queries

    def is_member(self, account: str | None) -> bool:
        return account is not None and account in self.accounts and account != self.management_account_id

    def in_organization(self, account: str | None) -> bool:
        return account is not None and (account == self.management_account_id or account in self.accounts)

    def path(self, account: str) -> tuple[str, ...]:
        """The levels whose policies apply to ``account``: the root, its OUs, the account."""
        return (self.root_id, *self.accounts[account], account)

    def policies_for(self, account: str, policy_type: str | None = None) -> list[OrganizationPolicy]:
        """The SCPs and RCPs that apply to ``account`` (none for the management account)."""
        if not self.is_member(account):
            return []
        levels = set(self.path(account))
        return [p for p in self.policies if (policy_type is None or p.type == policy_type) and levels & set(p.target_ids)]

    def scp_gate(self, principal_arn: str, action: str, resource: str, context: Mapping[str, Any]) -> Decision | None:
        """None when SCPs let the request through (or do not apply); otherwise the refusal."""
        account = _account_of(principal_arn)
        if not self.is_member(account) or not _is_iam_principal(principal_arn) or _is_service_linked(principal_arn):
            return None
        assert account is not None
        for level in self.path(account):
            attached = [p for p in self.policies if p.type == SCP and level in p.target_ids]
            for policy in attached:
                denies = [s for s in policy.statements if s.effect == "Deny" and _applies(s, action, resource, context)]
                if denies:
                    return Decision(False, "explicit-deny", f"denied by the SCP {policy.name} at {level}: "
                                    + ", ".join(s.name for s in denies), tuple(s.name for s in denies))
            if not self.full_access and not any(
                s.effect == "Allow" and _applies(s, action, resource, context) for p in attached for s in p.statements
            ):
                return Decision(False, "implicit-deny", f"no SCP at {level} allows {action}")
        return None

    def rcp_gate(self, resource_account: str | None, principal: str, action: str, resource: str,
                 context: Mapping[str, Any]) -> Decision | None:
        """None when RCPs let the request through (or do not apply); otherwise the refusal."""
        if not self.is_member(resource_account) or _is_service_linked(principal):
            return None
        assert resource_account is not None
        for level in self.path(resource_account):
            for policy in (p for p in self.policies if p.type == RCP and level in p.target_ids):
                denies = [s for s in policy.statements if s.effect == "Deny" and _applies(s, action, resource, context)]
                if denies:
                    return Decision(False, "explicit-deny", f"denied by the RCP {policy.name} at {level}: "
                                    + ", ".join(s.name for s in denies), tuple(s.name for s in denies))
        return None

    def request_context(self, principal: str, resource_account: str | None,
                        context: Mapping[str, ContextValue] | None = None) -> dict[str, Any]:
        """The global condition keys AWS puts in the request: the principal's and the resource's
        account and organisation, whether the principal is an AWS service. ``context`` wins."""
        ctx: dict[str, Any] = {}
        if _is_service(principal):
            ctx["aws:PrincipalIsAWSService"] = "true"
            ctx["aws:PrincipalServiceName"] = principal
        elif _is_iam_principal(principal):
            ctx["aws:PrincipalIsAWSService"] = "false"
            ctx["aws:PrincipalArn"] = _principal_arn(principal)
            account = _account_of(principal)
            if account:
                ctx["aws:PrincipalAccount"] = account
                if self.in_organization(account):
                    ctx["aws:PrincipalOrgID"] = self.organization_id
        if resource_account:
            ctx["aws:ResourceAccount"] = resource_account
            if self.in_organization(resource_account):
                ctx["aws:ResourceOrgID"] = self.organization_id
        ctx.update(context or {})
        given = {key.lower() for key in ctx}
        source = next((value for key, value in ctx.items() if key.lower() == "aws:sourceaccount"), None)
        if isinstance(source, str) and "aws:sourceorgid" not in given and self.in_organization(source):
            ctx["aws:SourceOrgID"] = self.organization_id  # AWS sets it whenever the source account is in an organisation
        return ctx

    def gates(self, *, principal: str, action: str, resource: str, resource_account: str | None = None,
              context: Mapping[str, ContextValue] | None = None) -> Decision | None:
        """The organisation's verdict alone: None when its SCPs and RCPs let the request through."""
        resource_account = resource_account or _account_of(resource)
        ctx = self.request_context(principal, resource_account, context)
        if not _is_service(principal):
            refused = self.scp_gate(principal, action, resource, ctx)
            if refused is not None:
                return refused
        if resource_account is None:
            covering = sorted({p.name for p in self.policies if p.type == RCP and any(
                s.effect == "Deny" and action_matches(s, action) for s in p.statements)})
            if covering:  # fail closed: which account owns the resource decides whether RCPs apply
                return Decision(None, "undecided", f"cannot decide: the RCPs {', '.join(covering)} cover {action}, "
                                f"and {resource} names no account; give resource_account")
        return self.rcp_gate(resource_account, principal, action, resource, ctx)

    def evaluate(self, model: AccessModel, *, principal: str, action: str, resource: str = "*",
                 resource_account: str | None = None, context: Mapping[str, ContextValue] | None = None) -> Decision:
        """The organisation's gates, then ``model``'s decision (see the module docstring).

        :param principal: a role or user of ``model`` (logical id, path, name or ARN), any IAM ARN
            (``arn:aws:iam::222222222222:root``, another organisation's role) or a service principal.
        :param resource_account: the account that owns ``resource``. Default: the ARN's account
            (S3 ARNs have none: give it for buckets)."""
        try:
            arn = model.arn(principal)
        except KeyError:
            arn = None
        who = arn or principal
        resource_account = resource_account or _account_of(resource)
        ctx = self.request_context(who, resource_account, context)
        refused = self.gates(principal=who, action=action, resource=resource, resource_account=resource_account, context=ctx)
        if refused is not None:
            return refused
        if arn is not None:
            return model.evaluate(principal=arn, action=action, resource=resource, context=ctx)
        return _by_resource_policies(model, who, action, resource, ctx)


def _by_resource_policies(model: AccessModel, principal: str, action: str, resource: str,
                          ctx: Mapping[str, Any]) -> Decision:
    """A principal outside the model: the model's resource policies decide; its own account is
    assumed to allow (an outsider writes its own policies)."""
    from .model import _principal_matches

    service = _is_service(principal)
    relevant = [s for s in model.resource_policy_statements()
                if action_matches(s, action) and resource_matches(s, resource, ctx)]
    broken = [s for s in relevant if s.problem]
    if broken:
        return Decision(None, "undecided", "cannot decide: " + "; ".join(f"{s.name}: {s.problem}" for s in broken))
    matching = [s for s in relevant if _principal_matches(s.raw, principal, service=service)
                and evaluate_condition_block(s.raw.get("Condition", {}), ctx)]
    denies = [s for s in matching if s.effect == "Deny"]
    if denies:
        return Decision(False, "explicit-deny", "denied by " + ", ".join(s.name for s in denies), tuple(s.name for s in denies))
    allows = [s for s in matching if s.effect == "Allow"]
    if allows:
        whose = "" if service else "; the caller's own account is assumed to allow it"
        return Decision(True, "allow", "allowed by the resource policy " + ", ".join(s.name for s in allows) + whose,
                        tuple(s.name for s in allows))
    return Decision(False, "implicit-deny", f"no resource policy of the model allows {action} on {resource} for {principal}")


def _applies(statement: Statement, action: str, resource: str, context: Mapping[str, Any]) -> bool:
    return (action_matches(statement, action) and resource_matches(statement, resource, context)
            and evaluate_condition_block(statement.raw.get("Condition", {}), context))


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" and re.fullmatch(r"\d{12}", parts[4]) else None


def _principal_arn(principal: str) -> str:
    """``aws:PrincipalArn`` as AWS sets it: for a role session, the role's ARN (the session ARN
    names no path; give the role's ARN when it has one)."""
    session = re.match(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/", principal)
    return f"arn:{session[1]}:iam::{session[2]}:role/{session[3]}" if session else principal


def _is_service(principal: str) -> bool:
    return principal.endswith(".amazonaws.com") or principal.endswith(".amazonaws.com.cn")


def _is_iam_principal(principal: str) -> bool:
    """A user, role, role or federated-user session or root user of an account: what SCPs restrict
    (not an identity provider, not a service)."""
    return bool(re.match(r"^arn:aws[a-z-]*:(iam::\d{12}:(user/|role/|root$)|sts::\d{12}:(assumed-role|federated-user)/)",
                         principal))


def _is_service_linked(principal: str) -> bool:
    return bool(re.match(r"^arn:aws[a-z-]*:(iam::\d{12}:role/aws-service-role/|sts::\d{12}:assumed-role/AWSServiceRoleFor)",
                         principal))


def organization_report(org: Organization, accounts: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """For the access report: each account's SCPs and RCPs (name, type, attached at, sets)."""
    result = {}
    for account in sorted(set(accounts)):
        levels = org.path(account) if org.is_member(account) else ()
        result[account] = [
            {"name": p.name, "type": p.type, "attached_to": sorted(set(levels) & set(p.target_ids)), "sets": list(p.sets)}
            for p in org.policies_for(account)
        ]
    return result
