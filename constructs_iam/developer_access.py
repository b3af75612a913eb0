"""What a developer in production may see: one policy source for every way of granting it.

``DeveloperAccess`` is the level, ``DeveloperExtra`` the opt-in data by name; ``developer_policies``
turns a level and extras into the AWS managed policy to attach and the exact deny statements,
split into managed policies within IAM's size limit. ``DeveloperReadOnlyRole``, the StackSet
instance template and ``DeveloperReadOnlyPermissionSet`` all build from it.

The configuration level is AWS's ``ReadOnlyAccess`` (about 6,800 actions) minus every action that
``constructs_iam/data/read_only_classification.json`` classifies as data or credentials (written by
``tools/classify_read_only.py``, whose rules say why for each class; reviewed like code), plus
``DENIED_DATA_ACTIONS`` at every level, plus a deny of API Gateway API key values (the one secret
``apigateway:GET`` returns, refused by resource).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CLASSIFICATION = Path(__file__).parent / "data" / "read_only_classification.json"

MAX_POLICY_CHARACTERS = 6144
"""IAM's limit for one managed policy document (white space not counted)."""
MAX_DENY_POLICIES = 8
"""A role holds at most 10 managed policies: one AWS managed policy, up to 8 of ours, one spare."""

DENIED_DATA_ACTIONS: tuple[str, ...] = (
    # S3 object contents
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTorrent",
    "s3:GetObjectVersionTorrent",
    # secret and parameter values, decryption
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    # database items and query results
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:GetRecords",
    "dynamodb:ExportTableToPointInTime",
    "rds-data:ExecuteStatement",
    "rds-data:BatchExecuteStatement",
    "athena:GetQueryResults",
    # queue messages and stream records
    "sqs:ReceiveMessage",
    "kinesis:GetRecords",
    "kinesis:SubscribeToShard",
    # calls that issue credentials or open sessions
    "sts:AssumeRole",
    "sts:GetFederationToken",
    "sts:GetSessionToken",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreateServiceSpecificCredential",
    "ecr:GetAuthorizationToken",
    "codeartifact:GetAuthorizationToken",
    "redshift:GetClusterCredentials",
    "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials",
    "rds-db:connect",
    "ec2:GetPasswordData",
    "ec2-instance-connect:SendSSHPublicKey",
    "ssm:StartSession",
    # function code (a download URL) can embed secrets
    "lambda:GetFunction",
)
"""Denied at every level, whatever the AWS managed policy grants today or tomorrow: the data
itself and the calls that issue credentials (including ones no read-only policy grants)."""


class DeveloperAccess(enum.Enum):
    """How much of production's configuration the developer role sees. Data is denied at both."""

    CONFIGURATION = "configuration"
    """AWS ``ReadOnlyAccess`` minus every data and credential read (classified; about 6,700 actions)."""
    VIEW_ONLY = "view-only"
    """AWS ``ViewOnlyAccess`` (about 1,700 actions, mostly List/Describe) minus ``DENIED_DATA_ACTIONS``."""

    @property
    def managed_policy(self) -> str:
        return "ReadOnlyAccess" if self is DeveloperAccess.CONFIGURATION else "job-function/ViewOnlyAccess"


class DeveloperExtra(enum.Enum):
    """Data a team may let developers read, by name (``CONFIGURATION`` level only)."""

    LOGS = "logs"
    """CloudWatch Logs events and Logs Insights queries (``logs:GetLogEvents``, ``FilterLogEvents``,
    ``StartQuery``, ``GetQueryResults``, ...) and RDS log files."""
    TRACES = "traces"
    """X-Ray traces (``xray:BatchGetTraces``, ``GetTraceSummaries``, ``GetTraceGraph``, ...)."""


def check_level(check: Any, access: Any, extras: Any, additional: Any) -> tuple[list[DeveloperExtra], list[str]]:
    """``access``, ``extras`` and ``additional_denied_actions`` as every developer-access construct
    takes them, each problem recorded in ``check`` (a ``v.Checks``); returns the valid extras and
    additional actions."""
    from . import _validation as v

    opened: list[DeveloperExtra] = []
    extra: list[str] = []
    if not isinstance(access, DeveloperAccess):
        check.fail("access", access, f"must be one of {[a.name for a in DeveloperAccess]} (DeveloperAccess)")
    with check.each():
        opened = v.sequence("extras", extras, what="DeveloperExtra values")
        for item in opened:
            if not isinstance(item, DeveloperExtra):
                raise v.fail("extras", item, f"must contain DeveloperExtra values {[e.name for e in DeveloperExtra]}")
        if opened and access is not DeveloperAccess.CONFIGURATION:
            raise v.fail("extras", [e.name for e in opened], "open data of the CONFIGURATION level; VIEW_ONLY grants none")
    with check.each():
        extra = v.sequence("additional_denied_actions", additional, what="IAM actions")
        for action in extra:
            if not isinstance(action, str) or not is_action(action):
                raise v.fail("additional_denied_actions", action, "must be an IAM action such as 'logs:GetLogEvents'")
    return opened, extra


def is_action(action: str) -> bool:
    """``service:Action``, the action part possibly with ``*`` wildcards."""
    service, _, name = action.partition(":")
    return bool(service) and bool(name) and service.replace("-", "").isalnum() and name.replace("*", "").isalnum()


@lru_cache(maxsize=1)
def classification() -> dict[str, Any]:
    return json.loads(CLASSIFICATION.read_text())


def classified_actions() -> dict[str, str]:
    """Every classified action -> its class (``config``, ``data``, ``credentials``, ``logs``, ``traces``)."""
    return actions_of(classification())


def actions_of(stored: dict[str, Any]) -> dict[str, str]:
    """action -> class, from a classification's two parts (its decisions, and the configuration
    actions listed by service)."""
    result = {action: item["class"] for action, item in stored["decisions"].items()}
    for service, names in stored["configuration"].items():
        result.update({f"{service}:{name}": "config" for name in names})
    return result


def unclassified(catalog_actions: Iterable[str]) -> list[str]:
    """Actions of the catalog's ReadOnlyAccess that the classification does not know yet: each must
    be reviewed (``python -m tools.classify_read_only``) before the developer role may see it."""
    known = {action.lower() for action in classified_actions()}
    return sorted({a for a in catalog_actions if a.lower() not in known}, key=str.lower)


@dataclass(frozen=True)
class DeveloperPolicies:
    """What to attach for one level: the AWS managed policy name and our deny documents."""

    managed_policy: str
    deny_documents: tuple[dict[str, Any], ...]
    denied_actions: tuple[str, ...]


def denied_actions(access: DeveloperAccess, extras: Iterable[DeveloperExtra] = (),
                   additional: Iterable[str] = ()) -> list[str]:
    """The exact actions denied at ``access`` with ``extras`` opened and ``additional`` added."""
    denied = set(DENIED_DATA_ACTIONS) | set(additional)
    if access is DeveloperAccess.CONFIGURATION:
        opened = {extra.value for extra in extras}
        denied |= {
            action for action, item in classification()["decisions"].items()
            if item["class"] in ("data", "credentials") or (item["class"] in ("logs", "traces") and item["class"] not in opened)
        }
    return sorted(denied, key=str.lower)


def developer_policies(access: DeveloperAccess = DeveloperAccess.CONFIGURATION,
                       extras: Sequence[DeveloperExtra] = (), additional: Sequence[str] = (),
                       partition: str = "aws") -> DeveloperPolicies:
    """The level's AWS managed policy and deny documents, split deterministically by size.

    Actions are sorted and packed in order into statements ``DenyDataAndCredentials`` (then
    ``DenyDataAndCredentials2``, ...), one per document, each within ``MAX_POLICY_CHARACTERS``;
    the first document also denies reading API Gateway API key values."""
    actions = denied_actions(access, extras, additional)
    api_keys = {
        "Sid": "DenyApiKeyValues", "Effect": "Deny", "Action": "apigateway:GET",
        # GET /apikeys?includeValues=true and GET /apikeys/{id}?includeValue=true return the keys
        "Resource": [f"arn:{partition}:apigateway:*::/apikeys", f"arn:{partition}:apigateway:*::/apikeys/*"],
    }
    documents: list[dict[str, Any]] = []
    current: list[str] = []

    def document(items: list[str], index: int) -> dict[str, Any]:
        statements: list[dict[str, Any]] = [{
            "Sid": "DenyDataAndCredentials" + (str(index + 1) if index else ""), "Effect": "Deny",
            "Action": items, "Resource": "*",  # a Deny: the data is refused wherever it is
        }]
        if index == 0 and access is DeveloperAccess.CONFIGURATION:
            statements.append(api_keys)
        return {"Version": "2012-10-17", "Statement": statements}

    for action in actions:
        trial = document([*current, action], len(documents))
        if _size(trial) > MAX_POLICY_CHARACTERS and current:
            documents.append(document(current, len(documents)))
            current = [action]
        else:
            current.append(action)
    documents.append(document(current, len(documents)))
    if len(documents) > MAX_DENY_POLICIES:
        raise ValueError(f"additional_denied_actions: {len(actions)} denied actions need {len(documents)} managed "
                         f"policies, more than the {MAX_DENY_POLICIES} a role can hold besides its AWS managed policy")
    return DeveloperPolicies(access.managed_policy, tuple(documents), tuple(actions))


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))
