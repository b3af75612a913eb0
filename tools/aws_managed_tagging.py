"""Write ``constructs_iam/data/aws_managed_tagging.json``: for every AWS managed policy, the actions of
``TENANT_TAG_ACTIONS`` its document grants without limiting ``aws:TagKeys`` to keys other than the
tenant tag (``[]`` for most), read with the rule's own matcher (``tagging_grants``) from the pinned
moto's copy of AWS's managed policies. ``IamGuardrails-TenantTag`` reads the file when a role, user,
group or permission set attaches an AWS managed policy by ARN; a name the file does not hold fails
closed, so a policy AWS publishes after this copy is a finding until the file is rewritten.

    python -m tools.aws_managed_tagging            # rewrite the file from the installed moto
    python -m tools.aws_managed_tagging --check    # exit 1 when the file differs (tests run this check)

Residual: AWS edits its managed policies in place. A policy that gains a tagging action after this copy
was taken is judged by the copy until moto is upgraded and the file rewritten.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from constructs_iam.guardrails.rules import AWS_MANAGED_TAGGING_FILE, TENANT_TAG_ACTIONS, tagging_grants
from constructs_iam.tenant_bucket import TENANT_TAG


def catalog() -> dict[str, Any]:
    import moto
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies: dict[str, list[str]] = {}
    for name, policy in sorted(json.loads(aws_managed_policies_data).items()):
        path = (policy.get("Path") or "/").strip("/")
        granted: set[str] = set()
        for _, actions in tagging_grants(policy["Document"], {TENANT_TAG}):
            granted.update(actions)
        policies[f"{path}/{name}" if path else name] = [a for a in TENANT_TAG_ACTIONS if a in granted]
    return {
        "source": f"moto {moto.__version__} (moto/iam/aws_managed_policies.py, AWS's managed policies), "
                  f"{len(policies)} policies",
        "tag": TENANT_TAG,
        "actions": list(TENANT_TAG_ACTIONS),
        "policies": policies,
    }


def render() -> str:
    data = catalog()
    # one policy per line: a review reads the change of one policy as one line
    lines = [f"  {json.dumps(name)}: {json.dumps(actions)}" for name, actions in data["policies"].items()]
    head = {k: v for k, v in data.items() if k != "policies"}
    return ("{\n" + "".join(f"  {json.dumps(k)}: {json.dumps(v)},\n" for k, v in head.items())
            + '  "policies": {\n' + ",\n".join("  " + line for line in lines) + "\n  }\n}\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        current = AWS_MANAGED_TAGGING_FILE.read_text() if AWS_MANAGED_TAGGING_FILE.exists() else ""
        if current != text:
            print(f"{AWS_MANAGED_TAGGING_FILE} is not what python -m tools.aws_managed_tagging writes from the "
                  "installed moto; rewrite it and review the change", file=sys.stderr)
            return 1
        return 0
    AWS_MANAGED_TAGGING_FILE.write_text(text)
    data = json.loads(text)
    tagging = {name: actions for name, actions in data["policies"].items() if actions}
    print(f"wrote {AWS_MANAGED_TAGGING_FILE}: {len(data['policies'])} policies, {len(tagging)} grant a tagging action")
    return 0


if __name__ == "__main__":
    sys.exit(main())
