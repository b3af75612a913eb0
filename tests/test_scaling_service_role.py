"""ScalingServiceRole: reads metrics, launches tagged instances, passes exactly one role to EC2."""

from __future__ import annotations

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from constructs_iam import ScalingServiceRole
from constructs_iam.access import AccessModel

from .support import actions_of, logical_id, nag_findings, new_stack, policy_statements, trust_statements


@pytest.fixture(scope="module")
def built():
    stack = new_stack()
    instance_role = iam.Role(stack, "InstanceRole", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    scaler = ScalingServiceRole(
        stack,
        "Scaler",
        instance_role=instance_role,
        instance_types=["t3.micro", "m7g.*"],
        subnet_ids=["subnet-0123456789abcdef0"],
        target_group_arns=["arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/web/0123456789abcdef"],
        launch_tag_value="web-fleet",
    )
    template = Template.from_stack(stack)
    return stack, template, scaler, instance_role, {s["Sid"]: s for s in policy_statements(template, scaler.policy)}


def test_passes_only_the_instance_role_and_only_to_ec2(built):
    _, _, _, instance_role, statements = built
    assert statements["PassOnlyTheInstanceRoleToEc2"] == {
        "Sid": "PassOnlyTheInstanceRoleToEc2",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": {"Fn::GetAtt": [logical_id(instance_role), "Arn"]},
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
    }
    pass_role = [s for s in statements.values() if "iam:PassRole" in actions_of([s])]
    assert len(pass_role) == 1


def test_terminates_only_instances_it_launched(built):
    *_, statements = built
    terminate = statements["TerminateOwnInstances"]
    assert terminate["Action"] == "ec2:TerminateInstances"
    assert terminate["Condition"] == {"StringEquals": {"aws:ResourceTag/managed-by": "web-fleet"}}
    launch = statements["LaunchTaggedInstances"]
    assert launch["Condition"]["StringEquals"]["aws:RequestTag/managed-by"] == "web-fleet"
    assert statements["LaunchTaggedVolumes"]["Condition"] == {"StringEquals": {"aws:RequestTag/managed-by": "web-fleet"}}


def test_launches_only_instances_that_require_imdsv2(built):
    *_, statements = built
    launch = statements["LaunchTaggedInstances"]
    assert launch["Resource"] == "arn:aws:ec2:eu-west-1:222222222222:instance/*"
    assert launch["Condition"]["StringEquals"]["ec2:MetadataHttpTokens"] == "required"


def test_launches_without_key_pairs_unless_allowed(built):
    stack, template, scaler, *_ = built
    model = AccessModel.from_stack(stack)
    key_pair = "arn:aws:ec2:eu-west-1:222222222222:key-pair/ops"
    assert model.evaluate(principal=scaler.role.node.path, action="ec2:RunInstances", resource=key_pair).allowed is False
    allowed = new_stack()
    role = iam.Role(allowed, "I", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    with_keys = ScalingServiceRole(allowed, "S", instance_role=role, key_pairs=True)
    assert AccessModel.from_stack(allowed).evaluate(principal=with_keys.role.node.path, action="ec2:RunInstances",
                                                    resource=key_pair).allowed is True


def test_launches_only_allowed_instance_types_in_named_subnets(built):
    *_, statements = built
    assert statements["LaunchTaggedInstances"]["Condition"]["StringLike"] == {"ec2:InstanceType": ["t3.micro", "m7g.*"]}
    resources = statements["LaunchWithNetworkAndImage"]["Resource"]
    assert "arn:aws:ec2:eu-west-1:222222222222:subnet/subnet-0123456789abcdef0" in resources
    assert not any(r.endswith("subnet/*") for r in resources)


def test_tags_only_during_launch(built):
    *_, statements = built
    assert statements["TagOnlyAtLaunch"]["Condition"] == {"StringEquals": {"ec2:CreateAction": "RunInstances"}}


def test_reads_metrics_in_this_region_only(built):
    *_, statements = built
    read = statements["ReadMetricsAndInstances"]
    assert read["Resource"] == "*"
    assert read["Condition"] == {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert set(read["Action"]) == {
        "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
        "ec2:DescribeInstances", "ec2:DescribeInstanceStatus",
    }


def test_at_most_fifteen_actions_and_no_action_wildcards(built):
    *_, statements = built
    actions = actions_of(list(statements.values()))
    assert len(actions) <= 15
    assert not any("*" in a for a in actions)


def test_default_trust_is_auto_scaling_for_this_account(built):
    _, template, scaler, *_ = built
    assert trust_statements(template, scaler.role) == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "autoscaling.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]


def test_passes_nag_packs(built):
    stack, *_ = built
    assert nag_findings(stack) == []


def test_launch_template_is_required_when_given():
    stack = new_stack()
    role = iam.Role(stack, "I", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"))
    template_ = ec2.LaunchTemplate.from_launch_template_attributes(stack, "LT", launch_template_id="lt-0123456789abcdef0")
    scaler = ScalingServiceRole(stack, "S", instance_role=role, launch_template=template_)
    statements = {s["Sid"]: s for s in policy_statements(Template.from_stack(stack), scaler.policy)}
    condition = statements["LaunchTaggedInstances"]["Condition"]["ArnEquals"]["ec2:LaunchTemplate"]
    assert "launch-template/lt-0123456789abcdef0" in str(condition)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"instance_role": None}, "instance_role None must be an aws_iam.IRole"),
        ({"instance_types": ["huge"]}, "instance_types 'huge' must be an instance type"),
        ({"instance_types": "t3.micro"}, "instance_types 't3.micro' must be a list of strings"),
        ({"instance_types": None}, "instance_types None must be a list of strings"),
        ({"subnet_ids": ["subnet-*"]}, "subnet_ids 'subnet-*' must be a subnet id"),
        ({"security_group_ids": ["default"]}, "security_group_ids 'default' must be a security group id"),
        ({"target_group_arns": ["arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/*"]}, "must be a target group ARN"),
        ({"launch_tag_key": "aws:owner"}, "launch_tag_key 'aws:owner' must be a tag key"),
        ({"key_pairs": "yes"}, "key_pairs 'yes' must be True or False"),
        ({"assumed_by": iam.AnyPrincipal()}, "trusts any principal ('*')"),
    ],
)
def test_bad_input_is_a_value_error_naming_prop_and_value(kwargs, message):
    stack = new_stack()
    props = {"instance_role": iam.Role(stack, "I", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com")), **kwargs}
    with pytest.raises(ValueError) as error:
        ScalingServiceRole(stack, "S", **props)
    assert message in str(error.value)
