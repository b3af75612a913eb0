#!/usr/bin/env python3
"""The constructs-iam CDK app: reads cdk.json's context, builds the stacks, registers the checks."""

import sys

import aws_cdk as cdk

from stacks import AppConfig, ConfigError, build_stacks, register_checks

app = cdk.App()
try:
    config = AppConfig.from_context(app.node)
    build_stacks(app, config)  # a value a construct refuses is a ConfigError naming its key too
except ConfigError as error:
    sys.exit(f"constructs-iam: invalid configuration in cdk.json context: {error}")
register_checks(app)
app.synth()
