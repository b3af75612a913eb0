"""IamGuardrails-Ec2KeyPair: key pairs, and instances / launch templates naming one, are reported;
each finding can be acknowledged on its resource with a reason. Each case is a pair."""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Stack
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks

from constructs_iam import IamGuardrails, acknowledge

from .support import guardrail_findings, new_app, new_stack

RULE = "IamGuardrails-Ec2KeyPair"


def key_pair_findings(build: Callable[[Stack], None]) -> set[tuple[str, str]]:
    app = new_app()
    stack = new_stack(app)
    build(stack)
    IamGuardrails.of(stack)
    return {(rule, path) for rule, path, _ in guardrail_findings(app) if rule == RULE}


def test_a_key_pair_is_reported():
    assert key_pair_findings(lambda s: ec2.CfnKeyPair(s, "Ops", key_name="ops")) == {(RULE, "Test/Ops")}


def test_an_instance_without_a_key_passes_and_with_one_is_reported():
    assert key_pair_findings(lambda s: ec2.CfnInstance(s, "Web", image_id="ami-0123456789abcdef0")) == set()
    assert key_pair_findings(lambda s: ec2.CfnInstance(s, "Web", image_id="ami-0123456789abcdef0", key_name="ops")) == {
        (RULE, "Test/Web")}


def test_a_launch_template_with_a_key_is_reported_and_without_passes():
    def with_key(stack: Stack) -> None:
        ec2.CfnLaunchTemplate(stack, "Template", launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
            key_name="ops", metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(http_tokens="required")))

    def without(stack: Stack) -> None:
        ec2.CfnLaunchTemplate(stack, "Template", launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
            metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(http_tokens="required")))

    assert key_pair_findings(with_key) == {(RULE, "Test/Template")}
    assert key_pair_findings(without) == set()


def test_a_launch_configuration_with_a_key_is_reported():
    assert key_pair_findings(lambda s: autoscaling.CfnLaunchConfiguration(
        s, "Config", image_id="ami-0123456789abcdef0", instance_type="t3.micro", key_name="ops")) == {(RULE, "Test/Config")}


def test_a_key_pair_can_be_acknowledged_with_a_reason():
    def acknowledged(stack: Stack) -> None:
        instance = ec2.CfnInstance(stack, "Legacy", image_id="ami-0123456789abcdef0", key_name="ops")
        acknowledge(instance, RULE, "Vendor appliance without an SSM agent; SSH from the bastion only, key in the vault.")

    assert key_pair_findings(acknowledged) == set()


def test_a_key_name_behind_an_intrinsic_or_an_escape_hatch_is_reported():
    def conditional(stack: Stack) -> None:
        template = ec2.CfnLaunchTemplate(stack, "Template", launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
            metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(http_tokens="required")))
        template.add_property_override("LaunchTemplateData", {"Fn::If": [
            "WithKey", {"KeyName": "ops"}, {"MetadataOptions": {"HttpTokens": "required"}}]})

    assert key_pair_findings(conditional) == {(RULE, "Test/Template")}


def test_other_launchers_naming_a_key_are_reported_and_without_one_pass():
    def with_keys(stack: Stack) -> None:
        ec2.CfnSpotFleet(stack, "Fleet", spot_fleet_request_config_data=ec2.CfnSpotFleet.SpotFleetRequestConfigDataProperty(
            iam_fleet_role="arn:aws:iam::222222222222:role/fleet", target_capacity=1,
            launch_specifications=[ec2.CfnSpotFleet.SpotFleetLaunchSpecificationProperty(
                image_id="ami-0123456789abcdef0", key_name="ops")]))
        eks.CfnNodegroup(stack, "Nodes", cluster_name="c", node_role="arn:aws:iam::222222222222:role/node",
                         subnets=["subnet-0123456789abcdef0"], remote_access=eks.CfnNodegroup.RemoteAccessProperty(ec2_ssh_key="ops"))
        batch.CfnComputeEnvironment(stack, "Batch", type="MANAGED", compute_resources=batch.CfnComputeEnvironment.ComputeResourcesProperty(
            type="EC2", maxv_cpus=1, subnets=["subnet-0123456789abcdef0"], ec2_key_pair="ops"))

    def without(stack: Stack) -> None:
        eks.CfnNodegroup(stack, "Nodes", cluster_name="c", node_role="arn:aws:iam::222222222222:role/node",
                         subnets=["subnet-0123456789abcdef0"])

    assert key_pair_findings(with_keys) == {(RULE, "Test/Fleet"), (RULE, "Test/Nodes"), (RULE, "Test/Batch")}
    assert key_pair_findings(without) == set()
