"""The library works when pip-installed into another CDK app, with imported resources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .support import ROOT

OTHER_APP = textwrap.dedent(
    """
    import json, sys
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3
    import constructs_iam
    from constructs_iam import Ec2S3ReadOnlyRole, S3Location, S3PrefixAccessRole, service_principal

    assert "site-packages" in constructs_iam.__file__ or "installed" in constructs_iam.__file__, constructs_iam.__file__
    app = cdk.App()
    stack = cdk.Stack(app, "Consumer", env=cdk.Environment(account="333333333333", region="us-east-1"))
    bucket = s3.Bucket.from_bucket_name(stack, "Shared", "acme-shared-data")
    reader = Ec2S3ReadOnlyRole(stack, "Reader", locations=[S3Location(bucket, "inbound")])
    writer = S3PrefixAccessRole(stack, "Writer", assumed_by=service_principal("lambda.amazonaws.com"),
                                location=S3Location(bucket, "outbound/"))
    template = app.synth().get_stack_by_name("Consumer").template
    policies = {k: v["Properties"]["PolicyDocument"]["Statement"] for k, v in template["Resources"].items()
                if v["Type"] == "AWS::IAM::ManagedPolicy"}

    def flat(value):  # this app sets no feature flags, so ARNs carry {"Ref": "AWS::Partition"}
        if isinstance(value, dict) and "Fn::Join" in value:
            return "".join(flat(p) for p in value["Fn::Join"][1])
        if isinstance(value, dict) and value.get("Ref") == "AWS::Partition":
            return "aws"
        if isinstance(value, list):
            return [flat(v) for v in value]
        if isinstance(value, dict):
            return {k: flat(v) for k, v in value.items()}
        return value

    print(json.dumps(flat(policies), sort_keys=True))
    """
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`pip install` of this repository (no deps: the test venv already has CDK) into a fresh target."""
    target = tmp_path_factory.mktemp("installed")
    source = tmp_path_factory.mktemp("source") / "constructs-iam"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", "node_modules", "cdk.out*", ".git", "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(target), str(source)],
        check=True, capture_output=True, text=True,
    )
    return target


def test_package_installs_with_type_information(installed):
    package = installed / "constructs_iam"
    assert (package / "py.typed").exists()
    assert (package / "__init__.py").exists()


def test_imported_bucket_gets_exact_statements_in_another_app(installed, tmp_path):
    script = tmp_path / "other_app.py"
    script.write_text(OTHER_APP)
    # Only the installed copy is importable: the repository root is not on the path.
    env = {**os.environ, "PYTHONPATH": str(installed), "CDK_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    policies = json.loads(result.stdout.strip().splitlines()[-1])
    reader = next(v for k, v in policies.items() if k.startswith("Reader"))
    writer = next(v for k, v in policies.items() if k.startswith("Writer"))
    assert {"Sid": "ObjectAccess", "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::acme-shared-data/inbound/*"} in reader
    assert {"Sid": "ListPrefix", "Effect": "Allow", "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::acme-shared-data",
            "Condition": {"StringLike": {"s3:prefix": ["inbound/*"]}}} in reader
    writes = next(s for s in writer if s["Sid"] == "ObjectAccess")
    assert writes["Resource"] == "arn:aws:s3:::acme-shared-data/outbound/*"
    assert "s3:PutObject" in writes["Action"]
