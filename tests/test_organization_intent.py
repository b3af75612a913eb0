"""Intent at the organisation's level: what the sample app's SCPs and RCPs refuse, decided by
AccessModel with the organisation gates (constructs_iam.access.organization).

One synthesis of the sample app for the module; a small stack of its own for the requests the app
has no resource for (a bucket whose policy says "*", a role allowed to write anywhere)."""

from __future__ import annotations

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3

from constructs_iam.access import AccessModel, Organization
from constructs_iam.access.organization import organization_report
from constructs_iam.organization_policies import PerimeterException, data_perimeter_rcp, resource_perimeter_scp
from stacks import AppConfig, build_stacks

from .support import CONTEXT, new_app, new_stack

ORG = "o-a1b2c3d4e5"
PRODUCTION, IDENTITY, MANAGEMENT, OUTSIDE = "222222222222", "111111111111", "999999999999", "444444444444"
BUCKET = "arn:aws:s3:::constructsiam-workload-databuckete3889a50"
DEV_ROLE = f"arn:aws:iam::{PRODUCTION}:role/DeveloperReadOnly"
CI_ROLE = f"arn:aws:iam::{PRODUCTION}:role/GitHubActionsDeploy"
SUPPORT_ROLE = f"arn:aws:iam::{PRODUCTION}:role/Support"
ROOT = f"arn:aws:iam::{PRODUCTION}:root"
ADMIN = f"arn:aws:iam::{PRODUCTION}:role/AccountAdministrator"
DEPLOYER = f"arn:aws:iam::{PRODUCTION}:role/cdk-hnb659fds-cfn-exec-role-{PRODUCTION}-eu-west-1"
TLS = {"aws:SecureTransport": "true", "aws:RequestedRegion": "eu-west-1"}


@pytest.fixture(scope="module")
def app_stacks():
    return build_stacks(new_app(), AppConfig.from_dict(CONTEXT["constructs-iam"]))


@pytest.fixture(scope="module")
def org(app_stacks) -> Organization:
    return Organization.from_stack(app_stacks.organization)


@pytest.fixture(scope="module")
def model(app_stacks) -> AccessModel:
    # the Delegation stack holds the platform boundary the production roles carry
    return AccessModel.from_stack(app_stacks.delegation, app_stacks.workload, app_stacks.production_access,
                                  app_stacks.identity, app_stacks.ci)


@pytest.fixture(scope="module")
def open_stack():
    """A production bucket whose policy lets anyone read and S3 server access logging write, and a
    role allowed to write to any bucket: what the perimeter must hold against."""
    stack = new_stack(name="Open")
    bucket = s3.Bucket(stack, "Shared", bucket_name="acme-shared-exports")
    bucket.add_to_resource_policy(iam.PolicyStatement(
        sid="AnyoneMayRead", actions=["s3:GetObject"], principals=[iam.AnyPrincipal()], resources=[bucket.arn_for_objects("*")]))
    bucket.add_to_resource_policy(iam.PolicyStatement(
        sid="ServerAccessLogs", actions=["s3:PutObject"], principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
        resources=[bucket.arn_for_objects("logs/*")], conditions={"StringEquals": {"aws:SourceAccount": PRODUCTION}}))
    role = iam.Role(stack, "Writer", role_name="Writer", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=["arn:aws:s3:::*/*"]))
    return AccessModel.from_stack(stack)


SHARED = "arn:aws:s3:::acme-shared-exports"


def refused(decision) -> bool:
    return decision.allowed is False and decision.outcome == "explicit-deny"


# ------------------------------------------------------------------------------ root locked away


@pytest.mark.parametrize("action, resource", [
    ("s3:GetObject", f"{BUCKET}/reports/daily/a.csv"), ("iam:CreateUser", f"arn:aws:iam::{PRODUCTION}:user/x"),
    ("iam:CreateAccessKey", ROOT), ("ec2:RunInstances", "*"), ("sts:AssumeRole", DEV_ROLE),
    ("kms:Decrypt", f"arn:aws:kms:eu-west-1:{PRODUCTION}:key/k"), ("organizations:LeaveOrganization", "*"),
    ("account:PutAlternateContact", "*"),
])
def test_a_member_accounts_root_is_refused_everything(org, model, action, resource):
    decision = org.evaluate(model, principal=ROOT, action=action, resource=resource, resource_account=PRODUCTION, context=TLS)
    assert refused(decision) and "DenyRootUser" in decision.reason


def test_task_scoped_root_sessions_from_the_management_account_pass_the_gate(org):
    session = {**TLS, "aws:AssumedRoot": "true"}
    assert org.gates(principal=ROOT, action="iam:DeleteLoginProfile", resource=ROOT, context=session) is None
    assert org.gates(principal=ROOT, action="iam:DeleteLoginProfile", resource=ROOT, context=TLS) is not None


def test_the_management_accounts_own_root_stays_outside_every_gate(org):
    root = f"arn:aws:iam::{MANAGEMENT}:root"
    assert org.gates(principal=root, action="iam:CreateAccessKey", resource=root, context=TLS) is None
    assert org.policies_for(MANAGEMENT) == []


# --------------------------------------------------------------------------------- data perimeter


def test_an_outside_principal_cannot_read_the_organisations_bucket_even_when_its_policy_says_anyone(org, open_stack):
    reader = f"arn:aws:iam::{OUTSIDE}:role/Reader"
    read = dict(principal=reader, action="s3:GetObject", resource=f"{SHARED}/report.csv", resource_account=PRODUCTION, context=TLS)
    without_org = Organization(ORG, MANAGEMENT, "r-ab12", {PRODUCTION: ()})  # same structure, no policies
    assert without_org.evaluate(open_stack, **read).allowed is True  # the bucket policy alone lets it in
    decision = org.evaluate(open_stack, **read)
    assert refused(decision) and "EnforceOrgIdentities" in decision.reason
    anonymous = org.evaluate(open_stack, **{**read, "principal": "arn:aws:sts::000000000000:anonymous"})
    assert anonymous.allowed is False
    inside = org.evaluate(open_stack, **{**read, "principal": f"arn:aws:iam::{IDENTITY}:role/Analyst"})
    assert inside.allowed is True  # the organisation's principals still pass


def test_the_organisations_role_cannot_write_to_an_outside_bucket(org, open_stack):
    outside = dict(principal="Writer", action="s3:PutObject", resource="arn:aws:s3:::partner-inbox/x.csv",
                   resource_account="555555555555", context=TLS)
    assert open_stack.evaluate(principal="Writer", action="s3:PutObject", resource="arn:aws:s3:::partner-inbox/x.csv",
                               context=TLS).allowed is True  # its identity policy alone would let it
    decision = org.evaluate(open_stack, **outside)
    assert refused(decision) and "EnforceResourcePerimeterWrites" in decision.reason
    assert org.evaluate(open_stack, **{**outside, "resource": f"{SHARED}/x.csv", "resource_account": PRODUCTION}).allowed is True


def test_a_documented_exception_lets_the_write_through_and_nothing_else(org, open_stack):
    partner = PerimeterException("the partner receives nightly reports", resource_accounts=("555555555555",))
    excepted = Organization(ORG, MANAGEMENT, "r-ab12", {PRODUCTION: ()})
    excepted.add_policy("perimeter", "SERVICE_CONTROL_POLICY",
                        {"Statement": [dict(s) for s in resource_perimeter_scp(ORG, [partner]).statements]}, ["r-ab12"])
    write = dict(principal="Writer", action="s3:PutObject", context=TLS)
    assert excepted.evaluate(open_stack, resource="arn:aws:s3:::partner-inbox/x.csv", resource_account="555555555555", **write).allowed is True
    assert excepted.evaluate(open_stack, resource="arn:aws:s3:::other/x.csv", resource_account="666666666666", **write).allowed is False


def test_a_vendor_named_in_an_exception_reads_and_no_other_outsider_does(open_stack):
    vendor = PerimeterException("the log vendor reads the export bucket", principal_accounts=(OUTSIDE,))
    excepted = Organization(ORG, MANAGEMENT, "r-ab12", {PRODUCTION: ()})
    excepted.add_policy("perimeter", "RESOURCE_CONTROL_POLICY",
                        {"Statement": [dict(s) for s in data_perimeter_rcp(ORG, [vendor]).statements]}, ["r-ab12"])
    read = dict(action="s3:GetObject", resource=f"{SHARED}/report.csv", resource_account=PRODUCTION, context=TLS)
    assert excepted.evaluate(open_stack, principal=f"arn:aws:iam::{OUTSIDE}:role/Reader", **read).allowed is True
    assert excepted.evaluate(open_stack, principal="arn:aws:iam::777777777777:role/Reader", **read).allowed is False


def test_aws_services_still_deliver_logs_to_the_organisations_buckets(org, open_stack):
    deliver = dict(principal="logging.s3.amazonaws.com", action="s3:PutObject", resource=f"{SHARED}/logs/2026/a.log",
                   resource_account=PRODUCTION)
    for_us = {"aws:SecureTransport": "true", "aws:SourceAccount": PRODUCTION, "aws:SourceOrgID": ORG}
    assert org.evaluate(open_stack, **deliver, context=for_us).allowed is True
    # the same service acting for another organisation's bucket (confused deputy) is refused
    for_them = {"aws:SecureTransport": "true", "aws:SourceAccount": OUTSIDE, "aws:SourceOrgID": "o-zzzzzzzzzz"}
    decision = org.evaluate(open_stack, **deliver, context=for_them)
    assert refused(decision) and "EnforceConfusedDeputyProtection" in decision.reason
    assert refused(org.evaluate(open_stack, **deliver, context={**for_us, "aws:SecureTransport": "false"}))
    # a service that names no source account (no resource of anyone's behind it) passes the perimeter
    assert org.gates(principal="cloudtrail.amazonaws.com", action="s3:GetBucketAcl", resource=SHARED,
                     resource_account=PRODUCTION, context={"aws:SecureTransport": "true"}) is None


def test_federation_calls_reach_the_ci_role_by_design_but_outside_roles_do_not(org):
    provider = f"arn:aws:iam::{PRODUCTION}:oidc-provider/token.actions.githubusercontent.com"
    assert org.gates(principal=provider, action="sts:AssumeRoleWithWebIdentity", resource=CI_ROLE, context=TLS) is None
    assert org.gates(principal=provider, action="sts:TagSession", resource=CI_ROLE, context=TLS) is None
    outsider = org.gates(principal=f"arn:aws:iam::{OUTSIDE}:role/Attacker", action="sts:AssumeRole", resource=CI_ROLE, context=TLS)
    assert outsider is not None and "EnforceOrgIdentities" in outsider.reason


def test_no_request_without_tls_reaches_the_organisations_resources(org, open_stack):
    decision = org.evaluate(open_stack, principal=f"arn:aws:iam::{IDENTITY}:role/Analyst", action="s3:GetObject",
                            resource=f"{SHARED}/a", resource_account=PRODUCTION, context={**TLS, "aws:SecureTransport": "false"})
    assert refused(decision) and "EnforceSecureTransport" in decision.reason


# --------------------------------------------------------------------------- the platform's roles


@pytest.mark.parametrize("action", ["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy",
                                    "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:UntagRole"])
@pytest.mark.parametrize("role", [DEV_ROLE, CI_ROLE, SUPPORT_ROLE, f"arn:aws:iam::{PRODUCTION}:role/moved/DeveloperReadOnly"])
def test_the_librarys_roles_cannot_be_edited_from_inside_the_account(org, action, role):
    decision = org.gates(principal=ADMIN, action=action, resource=role, context=TLS)
    assert decision is not None and "ProtectPlatformRoles" in decision.reason


def test_the_platforms_deployment_role_still_changes_them(org):
    assert org.gates(principal=DEPLOYER, action="iam:PutRolePolicy", resource=DEV_ROLE, context=TLS) is None
    assert org.gates(principal=ADMIN, action="iam:PutRolePolicy", resource=f"arn:aws:iam::{PRODUCTION}:role/TeamRole",
                     context=TLS) is None  # other roles are the account's own business


@pytest.mark.parametrize("action, role", [
    ("iam:CreateRole", f"arn:aws:iam::{PRODUCTION}:role/cdk-hnb659fds-cfn-exec-role-impostor"),
    ("iam:UpdateAssumeRolePolicy", DEPLOYER), ("iam:DeleteRole", DEPLOYER),
])
def test_no_one_becomes_the_deployment_role_by_its_name_or_its_trust(org, action, role):
    """The exception is a principal ARN pattern: a role created under that name, or the real one
    with a trust of the administrator's choosing, would edit the library's roles."""
    decision = org.gates(principal=ADMIN, action=action, resource=role, context=TLS)
    assert decision is not None and decision.allowed is False and "ProtectDeploymentRoles" in decision.reason
    assert org.gates(principal=DEPLOYER, action=action, resource=role, context=TLS) is None


@pytest.mark.parametrize("action", ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion"])
def test_the_developer_and_ci_roles_customer_managed_policies_cannot_be_edited_from_inside_the_account(
        app_stacks, org, action):
    """A new default version of DenyDataAccess or of the CI role's policy would change the role
    without touching it: the app puts them on the protected path, which a policy cannot leave."""
    from aws_cdk.assertions import Template

    for stack, role in ((app_stacks.production_access, "DeveloperReadOnlyRole"), (app_stacks.ci, "GitHubActionsRole")):
        policies = [r for r in Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
                    if any(ref["Ref"].startswith(role) for ref in r["Properties"].get("Roles", []))]
        # the developer role's (no boundary) under /constructs-iam/protected/unbounded/, which the execution role may not write
        assert policies and all(r["Properties"]["Path"].startswith("/constructs-iam/protected/") for r in policies)
    for policy in (f"arn:aws:iam::{PRODUCTION}:policy/constructs-iam/protected/ConstructsIam-CiDeploy-GitHubActionsPolicy-1AB2",
                   f"arn:aws:iam::{PRODUCTION}:policy/constructs-iam/protected/unbounded/ConstructsIam-ProductionAccess-x-1AB2"):
        decision = org.gates(principal=ADMIN, action=action, resource=policy, context=TLS)
        assert decision is not None and "ProtectPlatformRoles" in decision.reason
        assert org.gates(principal=DEPLOYER, action=action, resource=policy, context=TLS) is None
    assert org.gates(principal=ADMIN, action=action, resource=f"arn:aws:iam::{PRODUCTION}:policy/TeamPolicy",
                     context=TLS) is None


def test_a_role_sessions_principal_arn_is_its_roles(org):
    """aws:PrincipalArn of a role session is the role's ARN: the deployment role's session (what
    CloudFormation calls with) passes, an administrator's session does not."""
    session = f"arn:aws:sts::{PRODUCTION}:assumed-role/{DEPLOYER.rsplit('/', 1)[1]}/AWSCloudFormation"
    assert org.gates(principal=session, action="iam:PutRolePolicy", resource=DEV_ROLE, context=TLS) is None
    admin_session = f"arn:aws:sts::{PRODUCTION}:assumed-role/AccountAdministrator/alice"
    decision = org.gates(principal=admin_session, action="iam:PutRolePolicy", resource=DEV_ROLE, context=TLS)
    assert decision is not None and "ProtectPlatformRoles" in decision.reason


def test_a_federated_user_session_is_inside_the_scps(org):
    session = f"arn:aws:sts::{PRODUCTION}:federated-user/bob"
    decision = org.gates(principal=session, action="organizations:LeaveOrganization", resource="*", context=TLS)
    assert decision is not None and "DenyLeaveOrganization" in decision.reason


def test_an_rcp_covered_request_without_the_resources_account_is_undecided_not_allowed(org):
    outsider = f"arn:aws:iam::{OUTSIDE}:role/Reader"
    decision = org.gates(principal=outsider, action="s3:GetObject", resource=f"{SHARED}/a.csv", context=TLS)
    assert decision is not None and decision.allowed is None and "give resource_account" in decision.reason
    assert org.gates(principal=outsider, action="ec2:DescribeInstances", resource="*", context=TLS) is None


def test_a_service_acting_for_an_organisation_account_carries_its_organisation(org):
    """AWS sets aws:SourceOrgID whenever the source account is in an organisation."""
    delivery = {**TLS, "aws:SourceAccount": MANAGEMENT}
    assert org.gates(principal="cloudtrail.amazonaws.com", action="s3:PutObject", resource=f"{SHARED}/AWSLogs/x",
                     resource_account=PRODUCTION, context=delivery) is None
    outside = org.gates(principal="cloudtrail.amazonaws.com", action="s3:PutObject", resource=f"{SHARED}/AWSLogs/x",
                        resource_account=PRODUCTION, context={**TLS, "aws:SourceAccount": OUTSIDE})
    assert outside is not None and "EnforceConfusedDeputyProtection" in outside.reason


def test_the_developer_role_cannot_edit_itself_either(org, model):
    decision = org.evaluate(model, principal=DEV_ROLE, action="iam:AttachRolePolicy", resource=DEV_ROLE, context=TLS)
    assert decision.allowed is False


# ----------------------------------------------------------------------------- other guardrails


def test_security_services_cannot_be_turned_off(org):
    for action in ("cloudtrail:StopLogging", "config:StopConfigurationRecorder", "guardduty:DeleteDetector",
                   "access-analyzer:DeleteAnalyzer", "guardduty:CreateIPSet"):
        decision = org.gates(principal=ADMIN, action=action, resource="*", context=TLS)
        assert decision is not None and "ProtectSecurityServices" in decision.reason
    assert org.gates(principal=DEPLOYER, action="cloudtrail:UpdateTrail", resource="*", context=TLS) is None


def test_no_account_leaves_the_organisation(org):
    decision = org.gates(principal=ADMIN, action="organizations:LeaveOrganization", resource="*", context=TLS)
    assert decision is not None and "DenyLeaveOrganization" in decision.reason


def test_no_iam_users_or_keys_in_workload_accounts_but_people_live_in_the_identity_account(org):
    for action in ("iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"):
        decision = org.gates(principal=ADMIN, action=action, resource=f"arn:aws:iam::{PRODUCTION}:user/x", context=TLS)
        assert decision is not None and "DenyIamUsers" in decision.reason
    identity_admin = f"arn:aws:iam::{IDENTITY}:role/AccountAdministrator"
    assert org.gates(principal=identity_admin, action="iam:CreateUser", resource=f"arn:aws:iam::{IDENTITY}:user/x",
                     context=TLS) is None


def test_regions_outside_the_list_are_refused_but_global_services_work(org):
    far = {"aws:RequestedRegion": "ap-south-1"}
    decision = org.gates(principal=ADMIN, action="ec2:RunInstances", resource="*", context=far)
    assert decision is not None and "RestrictRegions" in decision.reason
    assert org.gates(principal=ADMIN, action="iam:ListRoles", resource="*", context={"aws:RequestedRegion": "us-east-1"}) is None
    assert org.gates(principal=ADMIN, action="ec2:RunInstances", resource="*", context={"aws:RequestedRegion": "eu-west-1"}) is None


def test_service_linked_roles_are_outside_scps_and_rcps(org):
    slr = f"arn:aws:iam::{PRODUCTION}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty"
    assert org.gates(principal=slr, action="guardduty:UpdateDetector", resource="*", context={"aws:SecureTransport": "false"}) is None


def test_the_sample_apps_roles_keep_their_access_under_the_guardrails(org, model):
    ec2 = org.evaluate(model, principal="ConstructsIam-Workload/Ec2ReadOnly/Role", action="s3:GetObject",
                       resource=f"{BUCKET}/reports/daily/a.csv", resource_account=PRODUCTION, context=TLS)
    assert ec2.allowed is True, ec2.reason
    app = org.evaluate(model, principal="ConstructsIam-Workload/AppPrefixAccess/Role", action="s3:PutObject",
                       resource=f"{BUCKET}/app/uploads/a.bin", resource_account=PRODUCTION, context=TLS)
    assert app.allowed is True, app.reason


def test_the_report_lists_which_policies_apply_to_each_account(org):
    report = organization_report(org, [PRODUCTION, IDENTITY, MANAGEMENT])
    production = {p["name"]: p for p in report[PRODUCTION]}
    assert set(production) == {"constructs-iam-Guardrails-1", "constructs-iam-Workloads-1", "constructs-iam-DataPerimeter-1"}
    assert production["constructs-iam-Workloads-1"]["attached_to"] == ["ou-ab12-workload1"]
    assert "constructs-iam-Workloads-1" not in {p["name"] for p in report[IDENTITY]}
    assert report[MANAGEMENT] == []
