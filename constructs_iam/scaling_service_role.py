"""ScalingServiceRole: reads CloudWatch metrics and launches EC2 instances as required.

It may pass exactly one instance role, only to EC2, and terminate only the instances it launched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import ArnFormat, Names, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _role
from . import _validation as v
from .acknowledgments import acknowledge_wildcards
from ._pattern import RolePattern
from .trust import service_principal

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.(\*|[a-z0-9]+)\Z")
_SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}\Z")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}\Z")
_TARGET_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+\Z")
_TAG_KEY = re.compile(r"^[\w .:/=+@-]{1,128}\Z")

READ_ACTIONS = [
    "cloudwatch:GetMetricData",
    "cloudwatch:GetMetricStatistics",
    "cloudwatch:ListMetrics",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus",
]
"""Read actions that IAM does not scope to resources (the service authorization reference lists
no resource type for them), so they take ``Resource: *`` pinned by ``aws:RequestedRegion``."""


class ScalingServiceRole(RolePattern):
    """The role of a scaler that watches CloudWatch and launches EC2 instances.

    Grants, in one customer managed policy (at most 12 actions):

    - ``cloudwatch:GetMetricData``, ``GetMetricStatistics``, ``ListMetrics``,
      ``ec2:DescribeInstances``, ``DescribeInstanceStatus`` on ``*`` in this region only
      (``aws:RequestedRegion``): these actions have no resource-level permissions;
    - ``cloudwatch:DescribeAlarms`` on this account's alarms in this region;
    - ``ec2:RunInstances`` on instances only when they are tagged ``<launch_tag_key>=<launch_tag_value>``
      at launch and require IMDSv2 (``ec2:MetadataHttpTokens`` ``required``), and only of
      ``instance_types`` / from ``launch_template`` when given; on volumes only when tagged the same;
      and on the images, subnets, security groups and network interfaces of this region (exact
      subnets / security groups when given); key pairs only with ``key_pairs=True``, so by default an
      instance launched with a key pair is refused (people reach instances with Session Manager);
    - ``ec2:CreateTags`` on instances and volumes, only as part of ``RunInstances``;
    - ``ec2:TerminateInstances`` only on instances carrying that tag;
    - ``iam:PassRole`` on ``instance_role`` only, only to ``ec2.amazonaws.com``;
    - ``elasticloadbalancing:RegisterTargets``/``DeregisterTargets`` on ``target_group_arns``
      (only when given).

    :param instance_role: the one role the scaler may pass to the instances it launches.
    :param assumed_by: who assumes this role. Default: ``autoscaling.amazonaws.com`` acting for
        this account (``aws:SourceAccount``).
    :param instance_types: allowed instance types, e.g. ``["t3.micro", "m7g.*"]``. Default: any.
    :param launch_template: instances must be launched from this template. Default: not required.
    :param subnet_ids: the subnets instances may be launched in. Default: any in this region.
    :param security_group_ids: the security groups instances may use. Default: any in this region.
    :param target_group_arns: load balancer target groups it may register instances with.
        Default: none.
    :param key_pairs: allow launching with an EC2 key pair of this region. Default: False.
    :param launch_tag_key: the tag marking instances it launched. Default: ``managed-by``.
    :param launch_tag_value: that tag's value. Default: this construct's unique id.
    :param role_name: the IAM role name. Default: generated.
    :param path: the IAM path. Default: ``/``.
    :param description: the role's description. Default: a sentence naming the pattern.
    :param permissions_boundary: a managed policy capping the role. Default: none.

    The role holds only this policy: any other permission reaching it fails synth with
    ``IamGuardrails-PatternWidened``; ``extend_policy(statements, reason=...)`` widens it on purpose.
    """

    WIDEN_FIX = ("set instance_types, subnet_ids, security_group_ids, launch_template or target_group_arns; "
                 "pass another instance role through its own ScalingServiceRole")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        instance_role: iam.IRole,
        assumed_by: iam.IPrincipal | None = None,
        instance_types: Sequence[str] = (),
        launch_template: ec2.ILaunchTemplate | None = None,
        subnet_ids: Sequence[str] = (),
        security_group_ids: Sequence[str] = (),
        target_group_arns: Sequence[str] = (),
        key_pairs: bool = False,
        launch_tag_key: str = "managed-by",
        launch_tag_value: str | None = None,
        role_name: str | None = None,
        path: str = "/",
        description: str | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
    ) -> None:
        super().__init__(scope, id)
        principal = assumed_by or service_principal("autoscaling.amazonaws.com")
        tag_value = launch_tag_value
        with v.Checks(self) as check:
            if instance_role is None or not v.has(instance_role, "role_arn"):
                check.fail("instance_role", instance_role, "must be an aws_iam.IRole")
            check(_role.check_assumed_by, self, "assumed_by", principal)
            check(_check_list, "instance_types", instance_types, _INSTANCE_TYPE, "an instance type such as 't3.micro' or 'm7g.*'")
            check(_check_list, "subnet_ids", subnet_ids, _SUBNET, "a subnet id such as 'subnet-0123456789abcdef0'")
            check(_check_list, "security_group_ids", security_group_ids, _SECURITY_GROUP,
                  "a security group id such as 'sg-0123456789abcdef0'")
            with check.each():
                for arn in _as_list("target_group_arns", target_group_arns):
                    if not v.is_token(arn) and not v.matches(_TARGET_GROUP_ARN, arn):
                        raise v.fail("target_group_arns", arn, "must be a target group ARN (no wildcards)")
                    _check_where(self, "target_group_arns", arn, region=True,
                                 why="an Auto Scaling group registers instances only with target groups of its own "
                                     "account and region")
            if instance_role is not None and v.has(instance_role, "role_arn"):
                with check.each():
                    arn = instance_role.role_arn
                    if v.is_token(arn) and v.has(instance_role, "node"):  # a role of this app: its stack's account
                        account = Stack.of(instance_role).account
                        arn = f"arn:aws:iam::{account}:role/{instance_role.node.path}" if not v.is_token(account) else arn
                    _check_where(self, "instance_role", arn, region=False,
                                 why="iam:PassRole passes only roles of the launching account to its instances")
            if not isinstance(key_pairs, bool):
                check.fail("key_pairs", key_pairs, "must be True or False")
            if not isinstance(launch_tag_key, str) or not v.matches(_TAG_KEY, launch_tag_key) or launch_tag_key.lower().startswith("aws:"):
                check.fail(
                    "launch_tag_key", launch_tag_key, "must be a tag key of 1 to 128 characters, not starting with 'aws:'")
            if tag_value is not None and (not isinstance(tag_value, str) or (not v.is_token(tag_value) and not 1 <= len(tag_value) <= 256)):
                check.fail("launch_tag_value", tag_value, "must be 1 to 256 characters")
            _role.check_role_props(check, role_name=role_name, path=path, description=description,
                  permissions_boundary=permissions_boundary)
        if tag_value is None:
            tag_value = Names.unique_id(self)

        self.instance_role = instance_role
        self.launch_tag = (launch_tag_key, tag_value)
        self.role: iam.Role = _role.build_role(
            self,
            assumed_by=principal,
            role_name=role_name,
            path=path,
            description=description
            or "Scaling service role: reads metrics, launches and terminates its own EC2 instances",
            permissions_boundary=permissions_boundary,
        )

        stack = Stack.of(self)

        def ec2_arn(resource: str, name: str = "*", account: bool = True) -> str:
            return stack.format_arn(
                service="ec2", resource=resource, resource_name=name, account=None if account else ""
            )

        instances, volumes = ec2_arn("instance"), ec2_arn("volume")
        images = ec2_arn("image", account=False)
        subnets = [ec2_arn("subnet", s) for s in subnet_ids] or [ec2_arn("subnet")]
        groups = [ec2_arn("security-group", g) for g in security_group_ids] or [ec2_arn("security-group")]
        self.key_pairs = key_pairs
        launch_resources = [ec2_arn("network-interface"), *([ec2_arn("key-pair")] if key_pairs else []),
                            images, *subnets, *groups]
        tagged = {f"aws:RequestTag/{launch_tag_key}": tag_value}
        # ec2:MetadataHttpTokens and ec2:InstanceType exist on the instance only: volumes get their own statement
        launch_conditions: dict[str, dict[str, object]] = {
            "StringEquals": {**tagged, "ec2:MetadataHttpTokens": "required"}
        }
        volume_conditions: dict[str, dict[str, object]] = {"StringEquals": dict(tagged)}
        if instance_types:
            launch_conditions["StringLike"] = {"ec2:InstanceType": list(instance_types)}
        if launch_template is not None:
            template_arn = ec2_arn("launch-template", launch_template.launch_template_id or "*")
            launch_resources.append(template_arn)
            launch_conditions["ArnEquals"] = {"ec2:LaunchTemplate": template_arn}
            volume_conditions["ArnEquals"] = {"ec2:LaunchTemplate": template_arn}

        region_only = {"StringEquals": {"aws:RequestedRegion": stack.region}}
        alarms = stack.format_arn(service="cloudwatch", resource="alarm", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME)
        statements = [
            # READ_ACTIONS have no resource type: "*" is the only valid Resource, pinned to this region
            iam.PolicyStatement(sid="ReadMetricsAndInstances", actions=READ_ACTIONS, resources=["*"], conditions=region_only),
            iam.PolicyStatement(
                sid="ReadAlarms",
                actions=["cloudwatch:DescribeAlarms"],
                resources=[alarms],
            ),
            iam.PolicyStatement(
                sid="LaunchTaggedInstances",
                actions=["ec2:RunInstances"],
                resources=[instances],
                conditions=launch_conditions,
            ),
            iam.PolicyStatement(
                sid="LaunchTaggedVolumes",
                actions=["ec2:RunInstances"],
                resources=[volumes],
                conditions=volume_conditions,
            ),
            iam.PolicyStatement(sid="LaunchWithNetworkAndImage", actions=["ec2:RunInstances"], resources=launch_resources),
            iam.PolicyStatement(
                sid="TagOnlyAtLaunch",
                actions=["ec2:CreateTags"],
                resources=[instances, volumes],
                conditions={"StringEquals": {"ec2:CreateAction": "RunInstances"}},
            ),
            iam.PolicyStatement(
                sid="TerminateOwnInstances",
                actions=["ec2:TerminateInstances"],
                resources=[instances],
                conditions={"StringEquals": {f"aws:ResourceTag/{launch_tag_key}": tag_value}},
            ),
            iam.PolicyStatement(
                sid="PassOnlyTheInstanceRoleToEc2",
                actions=["iam:PassRole"],
                resources=[instance_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            ),
        ]
        if target_group_arns:
            statements.append(
                iam.PolicyStatement(
                    sid="RegisterWithTargetGroups",
                    actions=["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                    resources=list(target_group_arns),
                )
            )
        self.policy: iam.ManagedPolicy = _role.attach_policy(
            self, self.role, statements, "Scale EC2 on CloudWatch metrics, passing one instance role"
        )
        launch_reason = (
            "Instance and volume ids do not exist before launch; RunInstances on them requires the "
            f"launch tag {launch_tag_key} (aws:RequestTag), CreateTags only happens during "
            "RunInstances, and TerminateInstances requires the tag (aws:ResourceTag).")
        network_reason = (
            "RunInstances must reference the network interface it creates and the image, "
            + ("key pair, " if key_pairs else "") +
            "subnet and security group it uses; scoped to this account and region (set subnet_ids "
            "and security_group_ids to name them exactly).")
        acknowledge_wildcards(self.policy, [
            ("*", "CloudWatch GetMetricData/GetMetricStatistics/ListMetrics and EC2 DescribeInstances/"
                  "DescribeInstanceStatus support no resource-level permissions; the statement is pinned "
                  "to this region with aws:RequestedRegion and grants read actions only."),
            (alarms, "Alarms are read by name at run time; scoped to this account and region, read-only."),
            (instances, launch_reason),
            (volumes, launch_reason),
            *[(r, network_reason) for r in launch_resources if r not in (instances, volumes)],
        ])
        self._seal(scope, policies=[self.policy])


def _check_where(scope: Construct, prop: str, arn: Any, *, region: bool, why: str) -> None:
    """``arn`` (when literal) is in ``scope``'s stack's account (and region): a ``ValueError`` otherwise."""
    if not isinstance(arn, str) or v.is_token(arn) or arn.count(":") < 5:
        return
    stack = Stack.of(scope)
    parts = arn.split(":")
    for name, theirs, ours in (("account", parts[4], stack.account), ("region", parts[3], stack.region)):
        if name == "region" and not region:
            continue
        if theirs and not v.is_token(ours) and theirs != ours:
            raise v.fail(prop, arn, f"is in {name} {theirs}, not this stack's {name} {ours}: {why}")


def _as_list(prop: str, values: Sequence[str]) -> list[str]:
    return v.sequence(prop, values, what="strings")


def _check_list(prop: str, values: Sequence[str], pattern: re.Pattern[str], what: str) -> None:
    items = _as_list(prop, values)
    for item in items:
        if not isinstance(item, str) or (not v.is_token(item) and not v.matches(pattern, item)):
            raise v.fail(prop, item, f"must be {what}")
    v.unique(prop, items)
