"""`make deploy-local`: deploy every stack into a local AWS API emulator with the real CDK CLI.

    python -m tools.deploy_local              # start, bootstrap, deploy --all, report, stop
    python -m tools.deploy_local --keep-running   # ... and leave the emulator up (Ctrl-C stops it)

The emulator is moto's server on a free loopback port (see tools/emulator.py, tools/moto_cfn.py).
Both account ids of the configuration are replaced by the emulator's account (123456789012),
through `-c constructs-iam.<field>=...` context overrides; nothing in cdk.json changes.
Fails (exit 1) if bootstrap or any stack fails, or a stack is not in a *_COMPLETE state.
After a deploy it writes the lifecycle lock (lifecycle.lock.json: the stateful identities now
deployed, with their physical ids), which `make synth`'s lifecycle gate compares the next change with.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from constructs_iam.lifecycle import LOCK_FILE, lock_text, read_assembly
from stacks.config import CONTEXT_KEY, AppConfig, load_cdk_json
from tools.emulator import ACCOUNT, ROOT, EmulatorError, LocalAws

LOCAL_CONTEXT = {
    "constructs-iam.identity_account_id": ACCOUNT,
    "constructs-iam.production_account_id": ACCOUNT,
    # the management account's stack needs an organisation, which the emulator's CloudFormation
    # cannot create (tests/test_organization_emulator.py applies its policies through the API)
    "constructs-iam.organization": '{"enabled": false}',
}


def app_regions() -> list[str]:
    """Every region the app deploys to (each needs `cdk bootstrap`), from the validated configuration."""
    config = AppConfig.from_dict(load_cdk_json()[CONTEXT_KEY])
    return sorted({config.region, *config.identity.root_alarm_regions})


def app_qualifiers() -> list[tuple[str, str]]:
    """(qualifier, region) of the bootstraps other than CDK's default (a delegated team's)."""
    config = AppConfig.from_dict(load_cdk_json()[CONTEXT_KEY])
    return [(config.delegation.qualifier, config.region)] if config.delegation else []


def deploy(aws: LocalAws, outdir: Path, context: dict[str, str] | None = None) -> dict[str, str]:
    """Bootstrap every region, deploy every stack, return {stack: status}; raise on any failure."""
    ctx = {**LOCAL_CONTEXT, **(context or {})}
    regions = app_regions()
    aws.cdk("bootstrap", *[f"aws://{ACCOUNT}/{region}" for region in regions], context=ctx)
    for qualifier, region in app_qualifiers():  # a delegated team deploys with a bootstrap of its own
        aws.cdk("bootstrap", f"aws://{ACCOUNT}/{region}", "--qualifier", qualifier,
                "--toolkit-stack-name", f"CDKToolkit-{qualifier}", context=ctx)
    # moto 5.2.5 finds change sets by name alone, across stacks, so a second deploy that reuses the
    # CLI's default name ("cdk-deploy-change-set") picks up an old change set and fails or waits
    # forever. A name unique to this run (stacks deploy one after another) avoids it.
    change_set = f"cdk-deploy-{uuid.uuid4().hex[:12]}"
    aws.cdk("deploy", "--all", "--require-approval", "never", "--change-set-name", change_set,
            "--progress", "events", "-o", str(outdir), context=ctx)
    statuses = stack_statuses(aws, regions)
    failed = {name: status for name, status in statuses.items() if not status.endswith("_COMPLETE") or "ROLLBACK" in status}
    if failed:
        raise EmulatorError(f"stacks not deployed: {failed}")
    return statuses


def stack_statuses(aws: LocalAws, regions: list[str]) -> dict[str, str]:
    statuses = {}
    for region in regions:
        for stack in aws.client("cloudformation", region).describe_stacks()["Stacks"]:
            if not stack["StackName"].startswith("CDKToolkit"):
                statuses[stack["StackName"]] = stack["StackStatus"]
    return statuses


def iam_inventory(aws: LocalAws) -> dict[str, Any]:
    """What IAM holds now: roles, users (with groups), groups (with policies), customer policies."""
    iam = aws.client("iam")
    roles = [r for r in iam.list_roles()["Roles"] if not r["RoleName"].startswith("cdk-")]
    users = {
        u["UserName"]: sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName=u["UserName"])["Groups"])
        for u in iam.list_users()["Users"]
    }
    groups = {
        g["GroupName"]: sorted(p["PolicyName"] for p in iam.list_attached_group_policies(GroupName=g["GroupName"])["AttachedPolicies"])
        for g in iam.list_groups()["Groups"]
    }
    policies = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"] if not p["PolicyName"].startswith("cdk-")]
    profiles = [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]
    return {"roles": sorted(r["RoleName"] for r in roles), "users": users, "groups": groups,
            "policies": sorted(policies), "instance_profiles": sorted(profiles)}


def report(statuses: dict[str, str], inventory: dict[str, Any]) -> str:
    lines = ["", "Deployed into the local emulator (account 123456789012):"]
    lines += [f"  stack  {name:<40} {status}" for name, status in sorted(statuses.items())]
    lines += [f"  role   {name}" for name in inventory["roles"]]
    lines += [f"  profile {name}" for name in inventory["instance_profiles"]]
    lines += [f"  group  {name:<20} policies: {', '.join(policies) or '-'}" for name, policies in inventory["groups"].items()]
    lines += [f"  user   {name:<20} groups: {', '.join(groups)}" for name, groups in inventory["users"].items()]
    lines.append(f"  {len(inventory['policies'])} customer managed policies")
    return "\n".join(lines)


def deployed_physical_ids(aws: LocalAws, regions: list[str]) -> dict[tuple[str, str], str]:
    """(stack, logical id) -> physical id of every stateful identity the deploy created (the lock keeps
    those a template cannot name: key ids, secret ARNs, access key ids)."""
    ids = {}
    for region in regions:
        cloudformation = aws.client("cloudformation", region)
        for stack in cloudformation.describe_stacks()["Stacks"]:
            if stack["StackName"] == "CDKToolkit":
                continue
            for resource in cloudformation.describe_stack_resources(StackName=stack["StackName"])["StackResources"]:
                if resource.get("PhysicalResourceId"):  # the lock keeps those of its identities
                    ids[(stack["StackName"], resource["LogicalResourceId"])] = resource["PhysicalResourceId"]
    return ids


def write_lock(aws: LocalAws, outdir: Path, path: Path = ROOT / LOCK_FILE) -> int:
    """After a deploy: the lifecycle lock of what is now deployed (docs/lifecycle.md), with physical ids."""
    identities = read_assembly(outdir).identities
    path.write_text(lock_text(identities, deployed_physical_ids(aws, app_regions())))
    return len(identities)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep-running", action="store_true", help="leave the emulator running after the deploy")
    parser.add_argument("--outdir", default=str(ROOT / "cdk.out.local"), help="cloud assembly folder (default: cdk.out.local)")
    parser.add_argument("--lock", default=str(ROOT / LOCK_FILE),
                        help=f"write the lifecycle lock of what was deployed here (default: {LOCK_FILE}; '' for none)")
    args = parser.parse_args()
    aws = LocalAws(log_path=Path(args.outdir + ".moto.log"))
    try:
        aws.start()
        print(f"Emulator listening on {aws.endpoint} (log: {aws.log_path})", flush=True)
        statuses = deploy(aws, Path(args.outdir))
        print(report(statuses, iam_inventory(aws)), flush=True)
        if args.lock:
            count = write_lock(aws, Path(args.outdir), Path(args.lock))
            print(f"\nLifecycle lock: {args.lock} ({count} stateful identities); commit it with the change", flush=True)
        if args.keep_running:
            print("\nThe emulator keeps running. Point the AWS CLI or boto3 at it with:")
            for key, value in aws.env().items():
                if value and key.startswith("AWS_"):
                    print(f"  export {key}={value}")
            print("Press Ctrl-C to stop it.", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            stop.wait()
        return 0
    except EmulatorError as error:
        print(f"deploy-local failed: {error}", file=sys.stderr)
        return 1
    finally:
        aws.stop()


if __name__ == "__main__":
    sys.exit(main())
