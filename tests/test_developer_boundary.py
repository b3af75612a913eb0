"""Why ``DeveloperReadOnly`` is the one platform role without a permissions boundary, measured.

A boundary for it must allow every action its allow-list allows (or the role loses them) within
one managed policy (``MAX_POLICY_CHARACTERS``), beside the Deny backstop that keeps an
administrator policy put on the role read-only. Two forms were considered (issue 24):

- ``*:Get*``, ``*:List*``...: a wildcard service prefix is not IAM's grammar (an action is a
  service namespace, a colon and an action name; wildcards in the name only), and CDK refuses it;
- ``<service>:<Verb>*`` for every service and leading verb of the allowed catalog actions: too long.

When either stops being true (a smaller level, a grammar change), these tests fail: bound the role
(``stacks.delegation_stack.unbounded_platform_roles``) instead of keeping the exception.
"""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import aws_iam as iam

from constructs_iam.developer_access import (
    MAX_POLICY_CHARACTERS,
    DeveloperAccess,
    classified_actions,
    deny_document,
    developer_policies,
)

WORDS = r"[A-Z]+(?![a-z])|[A-Z][a-z]*|\d+"


def allowed_catalog_actions(access: DeveloperAccess) -> list[str]:
    patterns = developer_policies(access).allowed_patterns
    match = re.compile("^(?:" + "|".join(re.escape(p).replace(r"\*", ".*") for p in patterns) + ")$", re.I).match
    return [a for a in classified_actions() if match(a)]


def read_verb_boundary(access: DeveloperAccess) -> dict:
    """The narrowest per-service form that loses nothing: ``<service>:<Verb>*`` (``Batch`` with the next
    word: ``BatchGet``), and the level's Deny backstop."""
    patterns = set()
    for action in allowed_catalog_actions(access):
        service, name = action.split(":", 1)
        words = re.findall(WORDS, name)
        patterns.add(f"{service}:{''.join(words[:2]) if words[0] == 'Batch' else words[0]}*")
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadVerbs", "Effect": "Allow", "Action": sorted(patterns), "Resource": "*"},
        *deny_document(access)["Statement"]]}


def test_a_wildcard_service_prefix_is_refused_by_cdk():
    with pytest.raises(Exception, match="ActionInvalid|is invalid"):
        iam.PolicyStatement(actions=["*:Get*"], resources=["*"])


@pytest.mark.parametrize("access", list(DeveloperAccess))
def test_the_per_service_read_verb_boundary_covers_the_allow_list(access):
    document = read_verb_boundary(access)
    verbs = document["Statement"][0]["Action"]
    match = re.compile("^(?:" + "|".join(re.escape(p).replace(r"\*", ".*") for p in verbs) + ")$", re.I).match
    assert all(match(a) for a in allowed_catalog_actions(access))


@pytest.mark.parametrize("access", list(DeveloperAccess))
def test_the_per_service_read_verb_boundary_does_not_fit_one_managed_policy(access):
    size = len(json.dumps(read_verb_boundary(access), separators=(",", ":")))
    assert size > MAX_POLICY_CHARACTERS, (
        f"the {access.name} developer boundary now fits ({size} characters): bound DeveloperReadOnly with it")
