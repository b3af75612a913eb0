"""What ``extend_policy`` refuses at the call, whatever the app registers (not public API).

``IamGuardrails.of`` checks the templates of the scopes it is given; a pattern widened on purpose
must not depend on that call. Each statement handed to ``extend_policy`` is refused here, as a
``PropsError`` naming the pattern's path, when it

- names a principal (an identity policy has none; CDK would fail at synth with a jsii trace, and
  ``Principal: "*"`` would be read as opening the role),
- grants administrator access (the ``IamGuardrails-AdminAccess`` rule, by the same function),
- lets the role pass every role (``iam:PassRole`` on ``*`` or on ``role/*``): whoever can pass any
  role to a service can run code as that role, an escalation to the account's strongest role,
- lacks actions or resources (CDK would fail at synth),

and the pattern's policy is refused when the extension takes it past IAM's 6,144 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack

from . import _validation as v
from .guardrails.rules import _admin_problem, _grants


def statement_problems(statements: Sequence[dict[str, Any]]) -> list[str]:
    """Why each resolved statement cannot extend a pattern's role (``prop 'value' rule`` messages)."""
    problems = []
    for index, statement in enumerate(statements):
        shown = f"statements[{index}]"
        if "Principal" in statement or "NotPrincipal" in statement:
            key = "Principal" if "Principal" in statement else "NotPrincipal"
            principal = statement[key]
            opened = " (any principal, '*')" if principal == "*" or "*" in str(principal) else ""
            problems.append(str(v.fail(shown, principal, f"names a principal{opened}: an identity policy grants "
                                       "the role itself; a principal belongs in a trust or resource policy")))
        if not statement.get("Action") and not statement.get("NotAction"):
            problems.append(str(v.fail(shown, statement.get("Sid", ""), "has no actions")))
        if not statement.get("Resource") and not statement.get("NotResource"):
            problems.append(str(v.fail(shown, statement.get("Sid", ""), "has no resources: name the exact ARNs")))
        admin = _admin_problem(statement)
        passing = None if admin else _passes_any_role(statement)  # administrator access says more
        if passing:
            problems.append(str(v.fail(shown, passing, "lets the role pass any role (iam:PassRole on every role): whoever "
                                       "can pass any role to a service runs code as that role; name the role ARNs")))
        if admin:
            problems.append(str(v.fail(shown, v.json_compact({k: statement[k] for k in statement if k != "Condition"}),
                                       f"{admin}; the IamGuardrails-AdminAccess rule refuses it with or without "
                                       "IamGuardrails.of: name the exact actions and resources")))
    return problems


def _passes_any_role(statement: dict[str, Any]) -> str | None:
    """The resource by which an Allow grants ``iam:PassRole`` on every role of an account (or of
    every account), or None."""
    from fnmatch import fnmatchcase

    if statement.get("Effect", "Allow") != "Allow" or not _grants(statement, "iam:PassRole"):  # Action or NotAction
        return None
    if "NotResource" in statement:
        return v.json_compact({"NotResource": statement["NotResource"]})
    resources = statement.get("Resource")
    for resource in resources if isinstance(resources, list) else [resources]:
        if not isinstance(resource, str):
            continue
        parts = resource.split(":", 5)
        partition = parts[1] if len(parts) > 1 and parts[1] and "*" not in parts[1] and "?" not in parts[1] else "aws"
        account = parts[4] if len(parts) > 4 and parts[4].isdigit() else "123456789012"
        samples = (f"arn:{partition}:iam::{account}:role/any-role-name", f"arn:{partition}:iam::{account}:role/other/path/x")
        if all(fnmatchcase(sample, resource) for sample in samples):
            return resource
    return None


def size_problem(stack: Stack, current: Any, added: Sequence[dict[str, Any]]) -> str | None:
    """The policy document after the extension, measured as IAM does; a message when too long."""
    document = stack.resolve(current) or {"Version": "2012-10-17", "Statement": []}
    trial = {**document, "Statement": [*(document.get("Statement") or []), *added]}
    size = v.policy_characters(trial)
    if size > v.MAX_MANAGED_POLICY_CHARACTERS:
        return str(v.fail("statements", f"{len(added)} statement(s)",
                          f"would make the pattern's managed policy {size} characters long, over IAM's "
                          f"{v.MAX_MANAGED_POLICY_CHARACTERS} (white space not counted): split the grant, or "
                          "use fewer, broader-by-prefix resources"))
    return None
