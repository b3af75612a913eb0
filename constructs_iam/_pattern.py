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
from .guardrails import PATTERN_METADATA, IamGuardrails


@jsii.implements(iam.IGrantable)
class RolePattern(Construct):
    """Base of the role patterns. Subclasses set ``role`` and ``policy``, then call ``_seal``."""

    def __init__(self, scope: Construct, id: str) -> None:
        v.construct_id(type(self).__name__, scope, id)
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
              allowed_managed_policy_arns: Sequence[str] = (), policy_ids: Sequence[str] = ("Policy",)) -> None:
        """Record what the role may hold, and make sure the stage checks it at synth.

        ``scope`` is the scope the pattern was created in; ``policy_ids`` are the construct ids of
        ``policies`` under this pattern: their logical ids are computed in Python
        (``_facts.logical_id``) rather than asked of Node."""
        facts = _facts.scope(scope)
        here = (*facts.below_stack, self._id)
        self.extensions: list[dict[str, Any]] = []
        self._own_policies = list(policies)
        self._record = {
            "pattern": type(self).__name__,
            "path": "/".join((facts.path, here[-1])) if facts.path else here[-1],
            # plain strings: a Ref in Metadata would make the role depend on its own policy
            "policies": [_facts.logical_id((*here, policy_id, "Resource")) for policy_id in policy_ids],
            "managed_policy_arns": [_nag.flatten(facts.stack.stack.resolve(arn)) for arn in allowed_managed_policy_arns],
            "fix": self.WIDEN_FIX,
            "extensions": self.extensions,
        }
        self._cfn_role = self.role.node.default_child
        self._cfn_role.add_metadata(PATTERN_METADATA, self._record)  # type: ignore[union-attr]
        IamGuardrails.for_stack(facts.stack.stack)

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
        with v.Checks(self) as check:
            items = check(v.non_empty, "statements", statements, what="aws_iam.PolicyStatement objects") or []
            wrong = [item for item in items if not isinstance(item, iam.PolicyStatement)]
            if wrong:
                check.fail("statements", wrong[0], "must contain only aws_iam.PolicyStatement objects")
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
            "actions": sorted({a for item in items for a in item.actions}),
        })
        # CloudFormation metadata is replaced whole: write the record again with this extension
        self._cfn_role.add_metadata(PATTERN_METADATA, self._record)  # type: ignore[union-attr]
