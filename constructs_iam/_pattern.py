"""What every role pattern shares: ``IGrantable``, ``.role``/``.policy``/``.role_arn``, and the
promise that its role holds only what the pattern grants (not public API; the attributes are)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _extension, _facts, _nag
from . import _validation as v
from . import _role
from .guardrails import PATTERN_METADATA, IamGuardrails
from .guardrails.seal import PatternIntent, intent_digest


@jsii.implements(iam.IGrantable)
class RolePattern(Construct):
    """Base of the role patterns. Subclasses set ``role`` and ``policy``, then call ``_seal``."""

    def __init__(self, scope: Construct, id: str) -> None:
        with v.construct_id(type(self).__name__, scope, id):
            super().__init__(scope, id)
        self._id = id

    WIDEN_FIX = "change the pattern's props"
    """What a user should change instead of widening the role (named in the synth error)."""

    role: iam.Role
    policy: iam.ManagedPolicy

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The role: ``bucket.grant_read(pattern)`` works, and is checked like any other widening."""
        return self.role

    @property
    def role_arn(self) -> str:
        return self.role.role_arn

    def _seal(self, scope: Construct, *, policies: Sequence[iam.ManagedPolicy],
              allowed_managed_policy_arns: Sequence[str] = (), policy_ids: Sequence[str] = ("Policy",),
              trust_actions: Sequence[str] | None = None) -> None:
        """Register what the role may hold (the intent) with the app's guardrails, and record it as
        metadata on the role.

        The intent is whatever the pattern built: the role's trust (``trust_actions`` replaces the
        first statement's actions when the pattern overrode them on the L1), the documents of
        ``policies``, the role's boundary and ``allowed_managed_policy_arns``. It is kept as plain
        data (tokens unresolved) and resolved at validation, one call per stack; ``policy_ids``
        are the construct ids of ``policies`` under this pattern (named in the metadata)."""
        facts = _facts.scope(scope)
        self._stack_facts = facts.stack  # read by TenantIsolatedBucket.admit without a round trip
        here = (*facts.below_stack, self._id)
        path = "/".join((facts.path, here[-1])) if facts.path else here[-1]
        trust = _role.intended_trust(self.role)
        if trust_actions is not None:
            trust["Statement"][0]["Action"] = list(trust_actions)
        boundary = _role.intended_boundary(self.role)
        self.extensions: list[dict[str, Any]] = []
        self._record: dict[str, Any] = {
            "pattern": type(self).__name__,
            "path": path,
            "policies": [f"{path}/{policy_id}" for policy_id in policy_ids],
            "managed_policy_arns": [_nag.flatten(facts.stack.stack.resolve(arn)) for arn in allowed_managed_policy_arns],
            "fix": self.WIDEN_FIX,
            "extensions": self.extensions,
        }
        if boundary is not None:
            self._record["boundary"] = True
        policy_documents = [_role.intended_document(policy) for policy in policies]
        digests = [intent_digest(d) for d in policy_documents]
        # canonical digests of the intent (tokens masked: they resolve only at validation)
        self._record["intent"] = {"trust": intent_digest(trust), "policies": digests, "extensions": []}
        # each own policy resource records its pattern and the digest of its document as intended:
        # the seal recognises the pattern's own policies by this metadata, never by logical ids
        own = [{"pattern": type(self).__name__, "path": path, "policy": f"{path}/{policy_id}", "digest": digest}
               for policy_id, digest in zip(policy_ids, digests)]
        self._intent = PatternIntent(
            pattern=type(self).__name__, path=path, stack=facts.stack.stack, stack_path=facts.stack.path,
            template_file=facts.stack.template_file,
            fix=self.WIDEN_FIX, record=self._record, trust=trust,
            policies=policy_documents, boundary=boundary,
            managed=list(allowed_managed_policy_arns), own_policies=own,
        )
        self._cfn_role, cfn_policies = self._resources(policies)
        self._cfn_role.add_metadata(PATTERN_METADATA, self._record)
        self._own: dict[int, tuple[Any, dict[str, Any], dict[str, Any]]] = {}
        for policy, cfn, record, document in zip(policies, cfn_policies, own, policy_documents):
            cfn.add_metadata(PATTERN_METADATA, record)
            self._own[id(policy)] = (cfn, record, document)
        IamGuardrails.for_stack(facts.stack.stack).register(self._intent)

    def _resources(self, policies: Sequence[iam.ManagedPolicy]) -> tuple[Any, list[Any]]:
        """The L1 resources of the role and of ``policies``, from one listing of this pattern's
        constructs (two round trips to Node, whatever the number of policies): in pre-order, an L2's
        ``Resource`` is the construct right after it. Anything unexpected falls back to
        ``node.default_child`` (two round trips each)."""
        found = self.node.find_all()
        after: dict[int, Any] = {}
        for previous, construct in zip(found, found[1:]):
            after[id(previous)] = (previous, construct)

        def l1(owner: Any, kind: type) -> Any:
            entry = after.get(id(owner))
            if entry is not None and entry[0] is owner and isinstance(entry[1], kind):
                return entry[1]
            return owner.node.default_child

        return l1(self.role, iam.CfnRole), [l1(policy, iam.CfnManagedPolicy) for policy in policies]

    def extend_policy(self, statements: Sequence[iam.PolicyStatement], *, reason: str) -> None:
        """Widen this pattern's role on purpose: add ``statements`` to its own managed policy.

        The only way to give a pattern's role more than the pattern grants without failing synth
        (``IamGuardrails-PatternWidened``). ``reason`` is recorded in the role's template metadata
        and printed by ``make synth``'s summary, so reviewers see every widening and why.

        Refused at the call (``PropsError``), whether or not the app calls ``IamGuardrails.of``: a
        statement with a principal, without actions or resources, or granting administrator access
        (``IamGuardrails-AdminAccess``), and an extension that takes the policy past IAM's 6,144
        characters.
        """
        items: list[Any] = []
        documents: list[dict[str, Any]] = []
        with v.Checks(self) as check:
            items = check(v.non_empty, "statements", statements, what="aws_iam.PolicyStatement objects") or []
            wrong = [item for item in items if not isinstance(item, iam.PolicyStatement)]
            if wrong:
                check.fail("statements", wrong[0], "must contain only aws_iam.PolicyStatement objects")
            else:  # administrator statements are refused below, resolved (_extension.statement_problems)
                documents = [item.to_statement_json() for item in items]
            check(v.reason, "reason", reason, "the pattern is widened")
            if not isinstance(self.policy, iam.ManagedPolicy):
                check.fail("statements", f"{len(items)} statement(s)", "cannot be added: this pattern's only policy is "
                           "AWS managed; grant what else is needed through a role of its own")
            if not check.problems:  # refused at the call, with or without IamGuardrails.of
                stack = Stack.of(self)
                resolved = stack.resolve([item.to_statement_json() for item in items])
                check.problems.extend(_extension.statement_problems(resolved))
                if not check.problems:
                    too_long = _extension.size_problem(stack, self.policy.document, resolved)
                    if too_long:
                        check.problems.append(too_long)
        self.policy.add_statements(*items)
        self.extensions.append({
            "reason": reason,
            "actions": sorted({a for document in documents for a in _as_list(document.get("Action"))}),
        })
        extension = {"Version": "2012-10-17", "Statement": documents}
        self._intent.policies.append(extension)
        digest = intent_digest(extension)
        self._record["intent"]["extensions"].append(digest)
        # CloudFormation metadata is replaced whole: write the records again with this extension
        self._cfn_role.add_metadata(PATTERN_METADATA, self._record)
        own = self._own.get(id(self.policy))
        if own is not None:  # the policy's digest is of its document as intended now, extensions included
            cfn, record, document = own
            document = {"Version": "2012-10-17", "Statement": [*document["Statement"], *documents]}
            record["digest"] = intent_digest(document)
            self._own[id(self.policy)] = (cfn, record, document)
            cfn.add_metadata(PATTERN_METADATA, record)


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]
