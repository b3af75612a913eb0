"""Read a stack deployed into the emulator back, and resolve its template against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from constructs_iam._cfn import Unresolvable, resolve
from tools.emulator import ACCOUNT, LocalAws


class DeployedStack:
    """One deployed stack: its synthesized template and the physical ids CloudFormation gave it."""

    def __init__(self, aws: LocalAws, outdir: Path, name: str, region: str) -> None:
        self.aws, self.name, self.region, self.outdir = aws, name, region, outdir
        self.template = json.loads((outdir / f"{name}.template.json").read_text())
        resources = aws.client("cloudformation", region).describe_stack_resources(StackName=name)["StackResources"]
        # resources moto does not create (Config rules, rotation schedules) have no physical id
        self.physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
                         if r.get("LogicalResourceId") and r.get("PhysicalResourceId")}
        self.iam = aws.client("iam")

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def ref(self, logical_id: str) -> str:
        if logical_id not in self.physical:
            raise Unresolvable(f"{logical_id} was not deployed")
        return self.physical[logical_id]

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.template["Resources"][logical_id]["Type"]
        name = self.ref(logical_id)
        if attribute != "Arn":
            raise Unresolvable(f"{kind}.{attribute} is not read back (never a secret)")
        if kind == "AWS::IAM::Role":
            return self.iam.get_role(RoleName=name)["Role"]["Arn"]
        if kind == "AWS::IAM::User":
            return self.iam.get_user(UserName=name)["User"]["Arn"]
        if kind == "AWS::IAM::Group":
            return self.iam.get_group(GroupName=name)["Group"]["Arn"]
        if kind == "AWS::IAM::InstanceProfile":
            return self.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if kind == "AWS::KMS::Key":
            return f"arn:aws:kms:{self.region}:{ACCOUNT}:key/{name}"
        if kind == "AWS::Logs::LogGroup":
            # CloudFormation returns ...:log-group:<name>:*; moto's Fn::GetAtt omits the ":*".
            return f"arn:aws:logs:{self.region}:{ACCOUNT}:log-group:{name}"
        if kind == "AWS::Events::Rule":
            return f"arn:aws:events:{self.region}:{ACCOUNT}:rule/{name}"
        if kind == "AWS::Lambda::Function":
            return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{name}"
        if kind == "AWS::IAM::OIDCProvider":  # its physical id is its ARN; ask IAM that it exists
            return self.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=name) and name
        raise Unresolvable(f"GetAtt {kind}.Arn is not known to the test resolver")

    def resolve(self, value: Any) -> Any:
        return resolve(
            value,
            ref=self.ref,
            get_att=self.get_att,
            pseudo={"AWS::AccountId": ACCOUNT, "AWS::Region": self.region, "AWS::Partition": "aws",
                    "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": self.name},
            stack_output=self.stack_output,
        )

    def stack_output(self, stack_name: str, output_name: str) -> str:
        """Fn::GetStackOutput: the producer's output, resolved with the producer's deployed physical
        ids (as CloudFormation does; moto 5.2.5 reports no outputs for a stack created from a change set)."""
        producer = DeployedStack(self.aws, self.outdir, stack_name, self.region)
        return producer.resolve(producer.template["Outputs"][output_name]["Value"])


def canonical(document: Any) -> str:
    """A policy document as IAM would compare it: parsed JSON, keys sorted."""
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True)
