"""Organisation guardrails as data: each statement set says why, documents are packed within
Organizations' quotas in a stable order, and a set that cannot fit fails synth with a clear message."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match, Template

from constructs_iam import (
    OrganizationPolicies,
    OrganizationPolicyType,
    PerimeterException,
    PolicyAttachment,
    PropsError,
    StatementSet,
)
from constructs_iam.organization_policies import (
    FEDERATION_EXCEPTIONS,
    MAX_POLICY_CHARACTERS,
    PolicyPackingError,
    data_perimeter_rcp,
    deny_iam_users,
    deny_leaving_organization,
    deny_root_user,
    pack,
    protect_roles,
    protect_security_services,
    render,
    resource_perimeter_scp,
    restrict_regions,
)

from .support import nag_findings, new_stack

ORG = "o-a1b2c3d4e5"
SCP = OrganizationPolicyType.SERVICE_CONTROL_POLICY
RCP = OrganizationPolicyType.RESOURCE_CONTROL_POLICY


def all_scp_sets():
    return (deny_root_user(), deny_leaving_organization(), protect_security_services(),
            protect_roles(["DeveloperReadOnly", "Support", "GitHubActionsDeploy"]), resource_perimeter_scp(ORG),
            restrict_regions(["eu-west-1", "us-east-1"]))


def filler(name: str, size: int) -> StatementSet:
    """A set whose rendered statements are about ``size`` characters."""
    statement = {"Sid": name, "Effect": "Deny", "Action": [], "Resource": "*"}
    while len(render([statement])) < size:
        statement["Action"].append(f"ec2:Describe{name}{len(statement['Action']):04d}")
    return StatementSet(name, "a filler set for packing tests", (statement,))


def test_every_guardrail_says_why_and_prefixes_its_statements():
    for statement_set in [*all_scp_sets(), deny_iam_users(), data_perimeter_rcp(ORG)]:
        assert len(statement_set.reason) >= 40
        assert all(st["Effect"] == "Deny" for st in statement_set.statements)
        assert all(st["Sid"] for st in statement_set.statements)


def test_root_user_is_denied_everything_except_task_scoped_root_sessions():
    (statement,) = deny_root_user().statements
    assert statement["Action"] == "*" and statement["Resource"] == "*"
    assert statement["Condition"] == {"ArnLike": {"aws:PrincipalArn": "arn:*:iam::*:root"},
                                      "Null": {"aws:AssumedRoot": "true"}}


def test_protected_roles_are_named_by_arn_under_any_path_not_by_path():
    statement, _deployers = protect_roles(["DeveloperReadOnly"], ["arn:aws:iam::*:role/deployer"]).statements
    assert statement["Resource"][:2] == ["arn:*:iam::*:role/DeveloperReadOnly", "arn:*:iam::*:role/*/DeveloperReadOnly"]
    assert "iam:UpdateAssumeRolePolicy" in statement["Action"] and "iam:AttachRolePolicy" in statement["Action"]
    assert statement["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/deployer"]}}


def test_the_rcp_leaves_out_only_the_documented_federation_calls():
    (identity, deputy, tls) = data_perimeter_rcp(ORG).statements
    actions = identity["Action"]
    for service in ("s3:*", "kms:*", "sqs:*", "secretsmanager:*", "ecr:*", "aoss:*", "sts:AssumeRole"):
        assert service in actions
    assert not any(a in actions for a in FEDERATION_EXCEPTIONS) and "sts:*" not in actions
    assert all(len(reason) > 30 for reason in FEDERATION_EXCEPTIONS.values())
    assert identity["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}
    assert deputy["Condition"]["Bool"] == {"aws:PrincipalIsAWSService": "true"}
    assert deputy["Condition"]["StringNotEqualsIfExists"] == {"aws:SourceOrgID": ORG}
    assert tls["Condition"] == {"BoolIfExists": {"aws:SecureTransport": "false"}}


def test_perimeter_exceptions_are_data_with_a_reason():
    vendor = PerimeterException("the log vendor reads the export bucket", principal_accounts=("444444444444",))
    partner = PerimeterException("the partner receives nightly reports", resource_accounts=("555555555555",))
    (identity, deputy, _) = data_perimeter_rcp(ORG, [vendor, partner]).statements
    assert identity["Condition"]["StringNotEqualsIfExists"] == {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": ["444444444444"]}
    (writes,) = resource_perimeter_scp(ORG, [vendor, partner]).statements
    assert writes["Condition"]["StringNotEqualsIfExists"] == {"aws:ResourceOrgID": ORG, "aws:ResourceAccount": ["555555555555"]}
    with pytest.raises(ValueError, match="reason 'ok' must say why"):
        PerimeterException("ok", principal_accounts=("444444444444",))
    with pytest.raises(ValueError, match="names no account or principal"):
        PerimeterException("a reason long enough")
    with pytest.raises(ValueError, match="must be 12-digit account ids"):
        PerimeterException("a reason long enough", resource_accounts=("12345",))


def test_region_restriction_exempts_the_global_services():
    (statement,) = restrict_regions(["eu-west-1"]).statements
    for global_action in ("iam:*", "sts:*", "organizations:*", "cloudfront:*", "route53:*", "support:*"):
        assert global_action in statement["NotAction"]
    with pytest.raises(ValueError, match="must be AWS regions"):
        restrict_regions(["europe"])


# ------------------------------------------------------------------------------------ packing


def test_the_sample_guardrails_fit_in_one_policy_each():
    (scp,) = pack(all_scp_sets())
    assert scp.size <= MAX_POLICY_CHARACTERS
    assert [s.id for s in scp.sets] == [s.id for s in all_scp_sets()]
    (rcp,) = pack([data_perimeter_rcp(ORG)], kind="RCP")
    assert json.loads(rcp.content)["Statement"][0]["Sid"] == "EnforceOrgIdentities"


def test_packing_uses_the_fewest_documents_and_the_same_order_every_time():
    sets = [filler("A", 3000), filler("B", 3000), filler("C", 1500), filler("D", 1500)]
    packed = pack(sets)
    assert [[s.id for s in p.sets] for p in packed] == [["A", "C"], ["B", "D"]]  # first fit, in order
    assert all(p.size <= MAX_POLICY_CHARACTERS for p in packed)
    assert [p.content for p in pack(sets)] == [p.content for p in packed]


def test_a_set_too_large_for_one_policy_is_refused_by_name():
    with pytest.raises(PolicyPackingError, match=r"SCP statement set 'Huge' is \d+ characters, more than the 5120"):
        pack([filler("Huge", 6000)])


def test_more_policies_than_slots_are_refused_with_the_sizes():
    sets = [filler(name, 4000) for name in "ABCDE"]
    with pytest.raises(PolicyPackingError, match=r"need 5 policies .* only 4 can be attached to one target .*A \(\d+\)"):
        pack(sets)


# ---------------------------------------------------------------------------------- construct


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    scps = OrganizationPolicies(stack, "Scps", policy_type=SCP, attachments=[
        PolicyAttachment(all_scp_sets(), ("r-ab12",), "Guardrails"),
        PolicyAttachment((deny_iam_users(),), ("ou-ab12-workload1",), "Workloads"),
    ])
    rcps = OrganizationPolicies(stack, "Rcps", policy_type=RCP, attachments=[
        PolicyAttachment((data_perimeter_rcp(ORG),), ("r-ab12",), "DataPerimeter")])
    return stack, Template.from_stack(stack), scps, rcps


def test_policies_synthesize_as_organizations_policies_of_both_types(built):
    _, template, *_ = built
    template.resource_count_is("AWS::Organizations::Policy", 3)
    template.has_resource_properties("AWS::Organizations::Policy", {
        "Type": "SERVICE_CONTROL_POLICY", "Name": "constructs-iam-Guardrails-1", "TargetIds": ["r-ab12"]})
    template.has_resource_properties("AWS::Organizations::Policy", {
        "Type": "SERVICE_CONTROL_POLICY", "Name": "constructs-iam-Workloads-1", "TargetIds": ["ou-ab12-workload1"]})
    template.has_resource_properties("AWS::Organizations::Policy", {
        "Type": "RESOURCE_CONTROL_POLICY", "TargetIds": ["r-ab12"],
        "Content": Match.object_like({"Statement": Match.array_with([Match.object_like({"Sid": "EnforceOrgIdentities"})])})})


def test_each_policy_is_within_the_size_quota_and_records_its_sets(built):
    _, template, *_ = built
    for resource in template.find_resources("AWS::Organizations::Policy").values():
        assert len(render(resource["Properties"]["Content"]["Statement"])) <= MAX_POLICY_CHARACTERS
        sets = resource["Metadata"]["constructs-iam:organization-policy"]["sets"]
        assert sets and all(len(s["reason"]) > 20 for s in sets)


def test_passes_nag_packs(built):
    stack, *_ = built
    assert nag_findings(stack) == []


def test_a_target_with_too_many_policies_fails_synth_naming_it():
    stack = new_stack()
    big = [filler(name, 4000) for name in "ABC"]
    with pytest.raises(PropsError, match=r"Test/Scps \(OrganizationPolicies\): target 'r-ab12' would hold 5 SCPs, more than the 4"):
        OrganizationPolicies(stack, "Scps", policy_type=SCP, attachments=[
            PolicyAttachment(tuple(big), ("r-ab12",), "One"),
            PolicyAttachment((filler("D", 4000), filler("E", 4000)), ("r-ab12", "ou-ab12-workload1"), "Two")])


def test_an_rcp_that_allows_or_names_principals_is_refused():
    allow = StatementSet("AllowAll", "not allowed in an RCP at all", (
        {"Sid": "AllowAll", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},))
    with pytest.raises(PropsError, match="RCP statements must be Deny with Principal"):
        OrganizationPolicies(new_stack(), "Rcps", policy_type=RCP,
                             attachments=[PolicyAttachment((allow,), ("r-ab12",), "Bad")])


def test_wrong_targets_are_refused_with_the_value():
    with pytest.raises(PropsError, match=r"target_ids 'ou-nope' must be a root id"):
        OrganizationPolicies(new_stack(), "Scps", policy_type=SCP,
                             attachments=[PolicyAttachment((deny_root_user(),), ("ou-nope",), "Bad")])


def test_render_is_compact_json():
    assert render([{"Effect": "Deny"}]) == '{"Version":"2012-10-17","Statement":[{"Effect":"Deny"}]}'


@pytest.mark.parametrize("build", [
    lambda deployers: protect_roles(["DeveloperReadOnly"], deployers), protect_security_services])
def test_no_one_becomes_the_deployment_role_by_creating_one_of_its_name_or_changing_its_trust(build):
    deployers = ["arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"]
    statement = build(deployers).statements[-1]
    assert statement["Sid"] == "ProtectDeploymentRoles" and statement["Effect"] == "Deny"
    assert set(statement["Action"]) == {"iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"}
    assert statement["Resource"] == deployers
    assert statement["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": deployers}}


@pytest.mark.parametrize("deployers, rule", [
    (["*"], "must be role ARN patterns"), (["arn:aws:iam::*:role/*"], "must be role ARN patterns"),
    ([], "must be a non-empty list"), ("arn:aws:iam::*:role/deployer", "must be a non-empty list"),
])
def test_a_deployment_role_that_would_exempt_everyone_is_refused(deployers, rule):
    with pytest.raises(ValueError, match=rule):
        protect_roles(["DeveloperReadOnly"], deployers)
    with pytest.raises(ValueError, match=rule):
        protect_security_services(deployers)


def test_one_string_where_a_list_belongs_is_refused_not_split_into_characters():
    with pytest.raises(ValueError, match="role_names 'DeveloperReadOnly' must be a list"):
        protect_roles("DeveloperReadOnly")
    with pytest.raises(ValueError, match="regions 'eu-west-1' must be a non-empty list"):
        restrict_regions("eu-west-1")
    with pytest.raises(ValueError, match="principal_accounts '444444444444' must be a tuple"):
        PerimeterException("the vendor reads the exports", principal_accounts="444444444444")


@pytest.mark.parametrize("call, rule", [
    (lambda: data_perimeter_rcp(ORG + "\n"), "organization_id"),
    (lambda: restrict_regions(["eu-west-1\n"]), "regions"),
    (lambda: PerimeterException("the vendor reads the exports", principal_accounts=("444444444444\n",)), "principal_accounts"),
])
def test_identifiers_with_a_trailing_newline_are_refused(call, rule):
    with pytest.raises(ValueError, match=rule):
        call()


@pytest.mark.parametrize("arn", ["arn:aws:iam::*:role/*", "arn:aws:iam::*:*", "arn:aws:sts::*:assumed-role/*"])
def test_a_perimeter_exception_for_every_principal_is_refused(arn):
    with pytest.raises(ValueError, match="names every principal of a kind"):
        PerimeterException("the exporter writes to the partner", principal_arns=(arn,))


def test_attachments_that_would_deploy_nothing_or_invalid_documents_fail_synth_naming_the_prop():
    def build(attachments):
        OrganizationPolicies(new_stack(), "Scps", policy_type=SCP, attachments=attachments)

    with pytest.raises(PropsError, match=r"attachments \[\] must hold at least one attachment"):
        build([])
    with pytest.raises(PropsError, match=r"attachments\[Empty\].statement_sets \[\] must hold at least one"):
        build([PolicyAttachment((), ("r-ab12",), "Empty")])
    with pytest.raises(PropsError, match=r"attachments\[Twice\].target_ids \['r-ab12', 'r-ab12'\] must not name a target twice"):
        build([PolicyAttachment((deny_root_user(),), ("r-ab12", "r-ab12"), "Twice")])
    with pytest.raises(PropsError, match=r"target_ids 'r-ab12\\n' must be a root id"):
        build([PolicyAttachment((deny_root_user(),), ("r-ab12\n",), "Newline")])
    not_principal = StatementSet("NotPrincipal", "SCP grammar has no NotPrincipal", (
        {"Sid": "NotPrincipal", "Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"},
         "Action": "*", "Resource": "*"},))
    with pytest.raises(PropsError, match="no NotPrincipal"):
        build([PolicyAttachment((not_principal,), ("r-ab12",), "Bad")])


def test_a_statement_two_sets_share_is_written_once_per_document():
    both = pack([protect_roles(["DeveloperReadOnly"]), protect_security_services()])
    (document,) = [json.loads(p.content) for p in both]
    assert [st["Sid"] for st in document["Statement"]] == ["ProtectPlatformRoles", "ProtectDeploymentRoles",
                                                           "ProtectSecurityServices"]


def test_the_protected_roles_policies_are_named_by_their_path_which_never_changes():
    statement = protect_roles(["DeveloperReadOnly"]).statements[0]
    assert "arn:*:iam::*:policy/constructs-iam/protected/*" in statement["Resource"]
    assert {"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion",
            "iam:DeletePolicy"} <= set(statement["Action"])
    with pytest.raises(ValueError, match="policy_path '/' must be an IAM path below the root"):
        protect_roles(["DeveloperReadOnly"], policy_path="/")


def test_protect_policies_moves_only_the_named_roles_customer_managed_policies():
    from aws_cdk import aws_iam as iam

    from constructs_iam.organization_policies import PROTECTED_POLICY_PATH, protect_policies

    stack = new_stack()
    kept = iam.Role(stack, "Kept", role_name="DeveloperReadOnly", assumed_by=iam.AccountRootPrincipal())
    other = iam.Role(stack, "Other", role_name="TeamRole", assumed_by=iam.AccountRootPrincipal())
    statement = iam.PolicyStatement(actions=["s3:ListBucket"], resources=["arn:aws:s3:::b"])
    iam.ManagedPolicy(stack, "KeptPolicy", roles=[kept], statements=[statement])
    iam.ManagedPolicy(stack, "OtherPolicy", roles=[other], statements=[statement])
    assert protect_policies(stack, ["DeveloperReadOnly"]) == ["Test/KeptPolicy/Resource"]
    policies = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy")
    assert {lid[:-8]: r["Properties"].get("Path") for lid, r in policies.items()} == {
        "KeptPolicy": PROTECTED_POLICY_PATH, "OtherPolicy": "/"}


def test_a_repeated_perimeter_exception_is_refused_naming_the_first():
    vendor = PerimeterException("the vendor reads the exports", principal_accounts=("444444444444",))
    for build in (data_perimeter_rcp, resource_perimeter_scp):
        with pytest.raises(ValueError, match=r"exceptions 'the vendor reads the exports' repeats exceptions\[0\]"):
            build(ORG, [vendor, vendor])


def test_root_and_the_protected_roles_are_matched_in_every_partition():
    """arn:aws-cn:... and arn:aws-us-gov:... principals and roles would slip past an arn:aws: pattern."""
    (root,) = deny_root_user().statements
    assert root["Condition"]["ArnLike"]["aws:PrincipalArn"].startswith("arn:*:")
    assert all(r.startswith("arn:*:") for r in protect_roles(["DeveloperReadOnly"]).statements[0]["Resource"])
