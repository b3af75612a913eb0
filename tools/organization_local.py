"""The management stack's organisation policies in the local emulator, through the Organizations API.

moto 5.2.5's CloudFormation has no ``AWS::Organizations::Policy`` (it would report the stack complete
without them), but its Organizations API has organisations, OUs, SCPs and RCPs. ``apply_policies``
does what CloudFormation does with each policy of the synthesized template: ``CreatePolicy`` with
its content, type, name and description, then ``AttachPolicy`` to each target. The configuration's
root and OU ids do not exist in the emulator, so the organisation is created there and each
configured id is mapped to a new OU (the root to the emulator's root). ``read_back`` returns what
the emulator then holds, as a template-like dict ``constructs_iam.access.Organization`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from constructs_iam.access.organization import ORGANIZATION_METADATA


def apply_policies(organizations: Any, template: Mapping[str, Any]) -> dict[str, str]:
    """Create the organisation, its OUs and every policy of ``template``; return {configured id: emulator id}."""
    meta = template["Metadata"][ORGANIZATION_METADATA]
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        if policy_type not in {t["Type"] for t in organizations.list_roots()["Roots"][0].get("PolicyTypes", [])
                               if t["Status"] == "ENABLED"}:
            organizations.enable_policy_type(RootId=root, PolicyType=policy_type)
    ids = {meta["root_id"]: root}
    for ous in meta["accounts"].values():
        parent = root
        for ou in ous:
            if ou not in ids:
                ids[ou] = organizations.create_organizational_unit(ParentId=parent, Name=ou)["OrganizationalUnit"]["Id"]
            parent = ids[ou]
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Organizations::Policy":
            continue
        props = resource["Properties"]
        for target in props["TargetIds"]:
            if target not in ids:  # an OU no account of the configuration is in
                ids[target] = organizations.create_organizational_unit(ParentId=root, Name=target)["OrganizationalUnit"]["Id"]
        policy = organizations.create_policy(
            Content=json.dumps(props["Content"], separators=(",", ":")), Description=props.get("Description", ""),
            Name=props["Name"], Type=props["Type"])["Policy"]["PolicySummary"]
        for target in props["TargetIds"]:
            organizations.attach_policy(PolicyId=policy["Id"], TargetId=ids[target])
    return ids


def read_back(organizations: Any, template: Mapping[str, Any], ids: Mapping[str, str]) -> dict[str, Any]:
    """What the emulator holds, as a management template: the policies attached to each configured
    target (the emulator's ids mapped back), with the content the emulator stores."""
    back = {emulator: configured for configured, emulator in ids.items()}
    resources: dict[str, Any] = {}
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        for summary in organizations.list_policies(Filter=policy_type)["Policies"]:
            if summary.get("AwsManaged"):
                continue  # FullAWSAccess, RCPFullAWSAccess
            policy = organizations.describe_policy(PolicyId=summary["Id"])["Policy"]
            targets = organizations.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]
            resources[summary["Id"]] = {"Type": "AWS::Organizations::Policy", "Properties": {
                "Name": summary["Name"], "Type": policy_type, "Content": policy["Content"],
                "TargetIds": sorted(back[t["TargetId"]] for t in targets)}}
    return {"Metadata": template["Metadata"], "Resources": resources}
