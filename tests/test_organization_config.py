"""The ``organization`` section of cdk.json: the switch, refused values naming the key, and what
the management stack is built from."""

from __future__ import annotations

import copy
import json

import pytest

from stacks import AppConfig, ConfigError, build_stacks
from stacks.organization_stack import deployer_arns

from .support import CONTEXT, new_app

SAMPLE = CONTEXT["constructs-iam"]


def with_org(**changes) -> dict:
    raw = copy.deepcopy(SAMPLE)
    raw["organization"].update(changes)
    return raw


def test_the_sample_configuration_turns_the_management_stack_on():
    config = AppConfig.from_dict(SAMPLE)
    assert config.organization is not None and config.organization.management_account_id == "999999999999"
    assert dict(config.organization.accounts)["222222222222"] == ("ou-ab12-workload1",)


def test_the_switch_turns_the_stack_off_and_reads_nothing_else():
    raw = copy.deepcopy(SAMPLE)
    raw["organization"] = json.loads('{"enabled": false}')  # what -c constructs-iam.organization=... gives
    config = AppConfig.from_dict(raw)
    assert config.organization is None
    assert build_stacks(new_app(), config).organization is None


@pytest.mark.parametrize("changes, message", [
    ({"organisation_id": "o-a1b2c3d4e5"}, "constructs-iam.organization.organisation_id is not a known key; did you mean 'organization_id'?"),
    ({"organization_id": "org-1"}, "constructs-iam.organization.organization_id 'org-1' must be an organization id"),
    ({"root_id": "ou-ab12-x"}, "constructs-iam.organization.root_id 'ou-ab12-x' must be a root id"),
    ({"accounts": {"999999999999": []}}, "lists the management account '999999999999'"),
    ({"accounts": {"2222": []}}, "accounts key '2222' must be a 12-digit account id"),
    ({"workload_ou_ids": ["r-ab12"]}, "workload_ou_ids item 'r-ab12' must be OU ids"),
    ({"perimeter_exceptions": [{"reason": "short", "principal_accounts": ["444444444444"]}]}, "reason 'short' must say why"),
    ({"perimeter_exceptions": [{"reason": "a vendor that reads exports"}]}, "names no account or principal"),
    ({"allowed_regions": ["mars-1"]}, "allowed_regions item 'mars-1' must be an AWS region"),
    ({"workload_ou_ids": ["ou-ab12-workload1", "ou-ab12-workload1"]}, "workload_ou_ids ['ou-ab12-workload1', "
     "'ou-ab12-workload1'] must not name an OU twice"),
    ({"perimeter_exceptions": [{"reason": "a vendor that reads exports", "principal_accounts": ["444444444444"]}] * 2},
     "perimeter_exceptions[1] repeats perimeter_exceptions[0]"),
    ({"deployment_role_arns": ["arn:aws:iam::*:role/*"]}, "deployment_role_arns item 'arn:aws:iam::*:role/*' must name roles"),
])
def test_wrong_values_are_refused_naming_the_key(changes, message):
    with pytest.raises(ConfigError) as error:
        AppConfig.from_dict(with_org(**changes))
    assert message in str(error.value)


def test_the_deployment_role_defaults_to_the_cdk_execution_role_of_the_ci_qualifier():
    config = AppConfig.from_dict(SAMPLE)
    assert deployer_arns(config) == ("arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*",)
    own = AppConfig.from_dict(with_org(deployment_role_arns=["arn:aws:iam::*:role/platform-deployer"]))
    assert deployer_arns(own) == ("arn:aws:iam::*:role/platform-deployer",)
