"""The sample app written with plain aws_cdk (aws_iam directly), no checks: the benchmark's baseline.

Same stacks, same resource types and counts (kept in step with the app: the shared bucket, support
roles, analyzers, the CI stack, tenant tags, the management account's policies and root access handler,
the delegated team), similar statements; no validation, no guardrails, no
cdk-nag. Run by tools/bench.py exactly like app.py (CDK_CONTEXT_JSON from cdk.json, CDK_OUTDIR).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Duration, RemovalPolicy, SecretValue, Tags
from aws_cdk import aws_accessanalyzer as accessanalyzer
from aws_cdk import aws_config as config
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as sm
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm

from constructs_iam.developer_access import developer_policies

app = cdk.App()
c = app.node.try_get_context("constructs-iam")
prod = cdk.Environment(account=c["production_account_id"], region=c["region"])
ident = cdk.Environment(account=c["identity_account_id"], region=c["region"])


def policy(scope, id, roles=(), groups=(), statements=()):
    return iam.ManagedPolicy(scope, id, roles=list(roles), groups=list(groups), statements=list(statements))


w = cdk.Stack(app, "Plain-Workload", env=prod)
logs_bucket = s3.Bucket(w, "AccessLogBucket", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
                        block_public_access=s3.BlockPublicAccess.BLOCK_ALL, removal_policy=RemovalPolicy.RETAIN)
key = kms.Key(w, "DataKey", enable_key_rotation=True)
bucket = s3.Bucket(w, "DataBucket", encryption_key=key, enforce_ssl=True, versioned=True, server_access_logs_bucket=logs_bucket,
                   block_public_access=s3.BlockPublicAccess.BLOCK_ALL, removal_policy=RemovalPolicy.RETAIN)
session_key = kms.Key(w, "SessionKey", enable_key_rotation=True)  # Session Manager preferences
session_logs = logs.LogGroup(w, "SessionLogs", encryption_key=session_key)
ssm.CfnDocument(w, "SessionPreferences", name="SSM-SessionManagerRunShell", document_type="Session", content={
    "schemaVersion": "1.0", "sessionType": "Standard_Stream",
    "inputs": {"cloudWatchLogGroupName": session_logs.log_group_name, "kmsKeyId": session_key.key_arn}})
ec2_role = iam.Role(w, "Ec2Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
policy(w, "Ec2Policy", [ec2_role], statements=[
    iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{p}*") for p in c["ec2_read_prefixes"]]),
    iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]),
    iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn, session_key.key_arn]),
    iam.PolicyStatement(actions=["ssmmessages:CreateControlChannel", "ssm:UpdateInstanceInformation"], resources=["*"]),
    iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[session_logs.log_group_arn])])
iam.InstanceProfile(w, "Profile", role=ec2_role)
app_role = iam.Role(w, "AppRole", assumed_by=iam.ServicePrincipal(c["app_service"]))
policy(w, "AppPolicy", [app_role], statements=[
    iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                        resources=[bucket.arn_for_objects(f"{c['app_prefix']}*")]),
    iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])])
if c.get("workloads", {}).get("create_bucket"):  # the shared bucket, with its seven tenant-isolation statements
    shared_key = kms.Key(w, "SharedKey", enable_key_rotation=True)
    shared_bucket = s3.Bucket(w, "SharedBucket", bucket_name=c["workloads"]["bucket_name"], encryption_key=shared_key,
                              enforce_ssl=True, versioned=True, server_access_logs_bucket=logs_bucket,
                              block_public_access=s3.BlockPublicAccess.BLOCK_ALL, removal_policy=RemovalPolicy.RETAIN)
    for sid in ("Objects", "List", "Bucket", "OthersObjects", "OthersList", "OthersBucket", "OtherAccounts"):
        shared_bucket.add_to_resource_policy(iam.PolicyStatement(
            sid=sid, effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()], actions=["s3:*Object*"],
            not_resources=[shared_bucket.arn_for_objects("${aws:PrincipalTag/TenantPrefix}*")]))
scaler = iam.Role(w, "ScalingRole", assumed_by=iam.ServicePrincipal("autoscaling.amazonaws.com"))
policy(w, "ScalingPolicy", [scaler], statements=[
    iam.PolicyStatement(actions=["cloudwatch:GetMetricData", "ec2:DescribeInstances"], resources=["*"]),
    iam.PolicyStatement(actions=["ec2:RunInstances", "ec2:TerminateInstances", "ec2:CreateTags"], resources=["*"]),
    iam.PolicyStatement(actions=["iam:PassRole"], resources=[ec2_role.role_arn])])
session_role = iam.Role(w, "InstanceSession", role_name=c.get("session_role_name", "InstanceSession"),
                        assumed_by=iam.AccountPrincipal(c["identity_account_id"]).with_conditions({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
policy(w, "InstanceSessionPolicy", [session_role], statements=[
    iam.PolicyStatement(actions=["ssm:StartSession", "ssm:TerminateSession"], resources=["*"]),
    iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[session_key.key_arn])])
p = cdk.Stack(app, "Plain-ProductionAccess", env=prod)
dev = iam.Role(p, "Developer", role_name=c["developer_role_name"],
               assumed_by=iam.AccountPrincipal(c["identity_account_id"]).with_conditions({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
# the same documents the sample's developer role holds (its generated allow-list and Deny backstop), as plain data
_dev = developer_policies()
for _i, _doc in enumerate((_dev.deny_document, *_dev.allow_documents)):
    iam.ManagedPolicy(p, f"DeveloperPolicy{_i}", roles=[dev], document=iam.PolicyDocument.from_json(_doc))


def support_and_analyzer(scope: cdk.Stack, name: str | None) -> None:
    iam.Role(scope, "Support", role_name=name, assumed_by=iam.AccountPrincipal(c["identity_account_id"]),
             managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AWSSupportAccess")])
    accessanalyzer.CfnAnalyzer(scope, "Analyzer", type="ACCOUNT")


support_and_analyzer(p, c.get("support_role_name", "Support"))

i = cdk.Stack(app, "Plain-Identity", env=ident)
log_key = kms.Key(i, "LogKey", enable_key_rotation=True)
log_group = logs.LogGroup(i, "Logs", encryption_key=log_key)
handler_role = iam.Role(i, "HandlerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
policy(i, "HandlerPolicy", [handler_role], statements=[iam.PolicyStatement(actions=["iam:UpdateAccountPasswordPolicy"], resources=["*"])])
fn = lambda_.Function(i, "Handler", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
                      code=lambda_.Code.from_inline("def handler(e, c): pass"), role=handler_role, log_group=log_group)
cdk.CustomResource(i, "PasswordPolicy", service_token=fn.function_arn, properties={"MinimumPasswordLength": 14})
for rule in ("IAM_USER_UNUSED_CREDENTIALS_CHECK", "ACCESS_KEYS_ROTATED", "IAM_ROOT_ACCESS_KEY_CHECK", "ROOT_ACCOUNT_MFA_ENABLED",
             "ROOT_ACCOUNT_HARDWARE_MFA_ENABLED", "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS", "IAM_PASSWORD_POLICY",
             "IAM_USER_NO_POLICIES_CHECK", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"):  # CredentialHygiene
    config.CfnConfigRule(i, rule, source=config.CfnConfigRule.SourceProperty(owner="AWS", source_identifier=rule))
groups = {g: iam.Group(i, f"Group-{g}", group_name=g) for g in c["identity"]["groups"]}
for g, group in groups.items():
    policy(i, f"Mfa-{g}", groups=[group], statements=[iam.PolicyStatement(effect=iam.Effect.DENY, not_actions=["iam:ChangePassword"], resources=["*"])])
policy(i, "Assume", groups=[groups[c["identity"]["developer_group"]]], statements=[
    iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[f"arn:aws:iam::{c['production_account_id']}:role/{c['developer_role_name']}"])])
policy(i, "AssumeSession", groups=[groups[c["identity"]["developer_group"]]], statements=[
    iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[f"arn:aws:iam::{c['production_account_id']}:role/InstanceSession"])])
iam.Role(i, "Support", assumed_by=iam.AccountPrincipal(c["identity_account_id"]),
         managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AWSSupportAccess")])
secrets_key = kms.Key(i, "SecretsKey", enable_key_rotation=True)
for u in c["identity"]["users"]:
    console = u.get("console_access", True)
    secret = sm.Secret(i, f"Password-{u['name']}", encryption_key=secrets_key) if console else None
    user = iam.User(i, f"User-{u['name']}", user_name=u["name"], groups=[groups[g] for g in u["groups"]],
                    password=secret.secret_value if secret else None, password_reset_required=True if secret else None)
    if u.get("access_key") and u.get("rotate_access_key_days"):  # the rotation function of each rotating key
        key_secret = sm.Secret(i, f"KeySecret-{u['name']}", encryption_key=secrets_key)
        rotation_role = iam.Role(i, f"Rotation-{u['name']}", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        policy(i, f"RotationPolicy-{u['name']}", [rotation_role], statements=[
            iam.PolicyStatement(actions=["iam:CreateAccessKey", "iam:DeleteAccessKey"], resources=[user.user_arn]),
            iam.PolicyStatement(actions=["secretsmanager:PutSecretValue"], resources=[key_secret.secret_arn])])
        rotation_fn = lambda_.Function(i, f"RotationFn-{u['name']}", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
                                       code=lambda_.Code.from_inline("def handler(e, c): pass"), role=rotation_role,
                                       log_group=logs.LogGroup(i, f"RotationLogs-{u['name']}"))
        lambda_.CfnPermission(i, f"RotationInvoke-{u['name']}", action="lambda:InvokeFunction", function_name=rotation_fn.function_arn,
                              principal="secretsmanager.amazonaws.com")
        sm.CfnRotationSchedule(i, f"RotationSchedule-{u['name']}", secret_id=key_secret.secret_arn,
                               rotation_lambda_arn=rotation_fn.function_arn,
                               rotation_rules=sm.CfnRotationSchedule.RotationRulesProperty(automatically_after_days=90))
        cleanup = events.CfnRule(i, f"RotationCleanup-{u['name']}", schedule_expression="rate(1 day)",
                                 targets=[events.CfnRule.TargetProperty(id="Cleanup", arn=rotation_fn.function_arn)])
        lambda_.CfnPermission(i, f"CleanupInvoke-{u['name']}", action="lambda:InvokeFunction", function_name=rotation_fn.function_arn,
                              principal="events.amazonaws.com", source_arn=cleanup.attr_arn)
    elif u.get("access_key"):
        access_key = iam.AccessKey(i, f"Key-{u['name']}", user=user)
        sm.Secret(i, f"KeySecret-{u['name']}", encryption_key=secrets_key,
                  secret_object_value={"AccessKeyId": SecretValue.unsafe_plain_text(access_key.access_key_id),
                                       "SecretAccessKey": access_key.secret_access_key})

r = cdk.Stack(app, "Plain-RootActivity", env=cdk.Environment(account=c["identity_account_id"], region="us-east-1"))
topic_key = kms.Key(r, "TopicKey", enable_key_rotation=True)
topic = sns.Topic(r, "Topic", master_key=topic_key, enforce_ssl=True)
for email in c["identity"].get("alarm_emails", []):
    sns.Subscription(r, f"Email{len(email)}", topic=topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint=email)
events.Rule(r, "Rule", event_pattern=events.EventPattern(detail_type=["AWS Console Sign In via CloudTrail"]))
accessanalyzer.CfnAnalyzer(r, "Analyzer", type="ACCOUNT")

if c.get("ci"):  # GitHub Actions over OIDC
    ci = cdk.Stack(app, "Plain-CiDeploy", env=prod)
    provider = iam.CfnOIDCProvider(ci, "GitHub", url="https://token.actions.githubusercontent.com",
                                   client_id_list=["sts.amazonaws.com"])
    oidc = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(ci, "Provider", provider.attr_arn)
    ci_role = iam.Role(ci, "Deploy", role_name=c["ci"].get("role_name"), assumed_by=iam.OpenIdConnectPrincipal(oidc, {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}))
    policy(ci, "DeployPolicy", [ci_role], statements=[iam.PolicyStatement(
        actions=["sts:AssumeRole", "sts:TagSession"], resources=[f"arn:aws:iam::{c['production_account_id']}:role/cdk-*"])])

org = c.get("organization")
if org and org.get("enabled", True):  # the management account: SCPs, RCPs, centralized root access
    from aws_cdk import aws_organizations as organizations

    m = cdk.Stack(app, "Plain-Organization", env=cdk.Environment(account=org["management_account_id"], region="us-east-1"))
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
    organizations.CfnPolicy(m, "Scp", name="scp", type="SERVICE_CONTROL_POLICY", content=deny, target_ids=[org["root_id"]])
    if org.get("workload_ou_ids"):
        organizations.CfnPolicy(m, "WorkloadScp", name="workloads", type="SERVICE_CONTROL_POLICY", content=deny,
                                target_ids=org["workload_ou_ids"])
    organizations.CfnPolicy(m, "Rcp", name="rcp", type="RESOURCE_CONTROL_POLICY", target_ids=[org["root_id"]], content={
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    if org.get("centralized_root_access", True):
        root_key = kms.Key(m, "LogKey", enable_key_rotation=True)
        root_logs = logs.LogGroup(m, "Logs", encryption_key=root_key)
        root_role = iam.Role(m, "HandlerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        policy(m, "HandlerPolicy", [root_role], statements=[iam.PolicyStatement(
            actions=["iam:EnableOrganizationsRootSessions"], resources=["*"])])
        root_fn = lambda_.Function(m, "Handler", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
                                   code=lambda_.Code.from_inline("def handler(e, c): pass"), role=root_role, log_group=root_logs)
        cdk.CustomResource(m, "RootAccess", service_token=root_fn.function_arn)

for n, workload in enumerate(c.get("workloads", {}).get("items", [])):
    s = cdk.Stack(app, f"Plain-Workloads-{n:02d}", env=prod)
    shared = s3.Bucket.from_bucket_name(s, "Shared", c["workloads"]["bucket_name"])
    role = iam.Role(s, workload["name"], assumed_by=iam.ServicePrincipal(workload.get("service", "ecs-tasks.amazonaws.com")),
                    max_session_duration=Duration.hours(1))
    if c["workloads"].get("create_bucket"):
        Tags.of(role).add("TenantPrefix", workload["prefix"])
    policy(s, f"{workload['name']}Policy", [role], statements=[
        iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[shared.arn_for_objects(f"{workload['prefix']}*")]),
        iam.PolicyStatement(actions=["s3:ListBucket"], resources=[shared.bucket_arn])])

if c.get("delegation"):  # a delegated team: boundary, creator, deployer, execution policies; the team's stack
    d = c["delegation"]
    dl = cdk.Stack(app, "Plain-Delegation", env=prod)
    boundary_arn = f"arn:aws:iam::{c['production_account_id']}:policy/guardrails/{d['boundary_name']}"
    iam.ManagedPolicy(dl, "Boundary", managed_policy_name=d["boundary_name"], path="/guardrails/", statements=[
        iam.PolicyStatement(actions=[f"{s}:*" for s in d["allowed_services"]], resources=["*"]),
        iam.PolicyStatement(effect=iam.Effect.DENY, actions=["iam:CreateRole"], resources=["*"],
                            conditions={"StringNotEquals": {"iam:PermissionsBoundary": boundary_arn}})])
    deployer = iam.Role(dl, "Deployer", role_name=f"{d['team']}-deployer", path="/delegation/",
                        assumed_by=iam.AccountPrincipal(c["identity_account_id"]))
    Tags.of(deployer).add("constructs-iam:guardrail", "true")
    iam.ManagedPolicy(dl, "Creator", managed_policy_name=f"{d['team']}-role-creator", path="/guardrails/", roles=[deployer],
                      statements=[iam.PolicyStatement(actions=["iam:CreateRole", "iam:PutRolePolicy"],
                                                      resources=[f"arn:aws:iam::{c['production_account_id']}:role{d['role_path']}*"],
                                                      conditions={"StringEquals": {"iam:PermissionsBoundary": boundary_arn}})])
    for n, name in enumerate(("cdk-hnb659fds-execution-1", "cdk-hnb659fds-execution-2", "cdk-hnb659fds-execution-3",
                               f"cdk-{d['qualifier']}-execution-1")):
        iam.ManagedPolicy(dl, f"Execution{n}", managed_policy_name=name, path="/guardrails/", statements=[
            iam.PolicyStatement(actions=["s3:CreateBucket", "iam:GetRole"], resources=["*"])])
    # the platform boundary on every production role the platform deploys (the developer role excepted)
    platform_boundary = iam.ManagedPolicy(dl, "PlatformBoundary", managed_policy_name="platform-boundary",
                                          path="/guardrails/", statements=[
        iam.PolicyStatement(actions=["s3:Get*", "kms:Decrypt*", "sts:Assume*"], resources=["*"]),
        iam.PolicyStatement(effect=iam.Effect.DENY, actions=["iam:DeleteRolePermissionsBoundary"], resources=["*"])])
    for stack in [x for x in app.node.children if isinstance(x, cdk.Stack) and x.account == c["production_account_id"]
                  and x not in (dl,)]:
        iam.PermissionsBoundary.of(stack).apply(iam.ManagedPolicy.from_managed_policy_arn(
            stack, "PlatformBoundary", f"arn:aws:iam::{c['production_account_id']}:policy/guardrails/platform-boundary"))
    del platform_boundary
    team = cdk.Stack(app, f"Plain-Team-{d['team']}", env=prod,
                     synthesizer=cdk.DefaultStackSynthesizer(qualifier=d["qualifier"]))
    team_role = iam.Role(team, "Workload", role_name=f"{d['team']}-workload", path=d["role_path"],
                         assumed_by=iam.ServicePrincipal(next(iter(d["pass_to_services"]))),
                         permissions_boundary=iam.ManagedPolicy.from_managed_policy_arn(team, "Boundary", boundary_arn))
    iam.ManagedPolicy(team, "WorkloadPolicy", path=d["role_path"], roles=[team_role], statements=[
        iam.PolicyStatement(actions=["dynamodb:GetItem"], resources=[f"arn:aws:dynamodb:{c['region']}:"
                                                                      f"{c['production_account_id']}:table/{d['team']}-orders"])])

app.synth()
