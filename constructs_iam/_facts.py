"""Facts about CDK objects that never change once read, asked of Node once (not public API).

Each read of a property of a CDK object is a round trip to the Node process (about 1 ms). A
thousand workloads on one bucket in sixteen stacks need the bucket's ARN, the stack's region and
path, and the scope's path once each, not once per workload. Entries hold the object itself, so an
``id()`` is never reused while its entry lives.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct


@dataclass(frozen=True)
class BucketFacts:
    bucket: Any
    arn: str
    key: Any
    key_arn: str | None
    name: str


class StackFacts:
    """A stack and what the library reads of it: each asked of Node once, when first needed."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    @cached_property
    def path(self) -> str:
        return str(self.stack.node.path)

    @cached_property
    def region(self) -> str:
        return str(self.stack.region)

    @cached_property
    def account(self) -> str:
        return str(self.stack.account)

    @cached_property
    def template_file(self) -> str:
        return str(self.stack.template_file)

    @cached_property
    def partition(self) -> str:
        return str(self.stack.partition)

    @cached_property
    def root(self) -> IConstruct:
        return self.stack.node.root


@dataclass(frozen=True)
class ScopeFacts:
    """A construct scope: its path, its stack, and its path components below the stack."""

    scope: IConstruct
    path: str
    stack: StackFacts
    below_stack: tuple[str, ...]


_BUCKETS: dict[int, BucketFacts] = {}
_FLAT: dict[tuple[int, int], tuple[Any, Any, str]] = {}
_STACKS: dict[int, StackFacts] = {}
_SCOPES: dict[int, ScopeFacts] = {}


def bucket(value: Any) -> BucketFacts:
    facts = _BUCKETS.get(id(value))
    if facts is None or facts.bucket is not value:
        key = value.encryption_key
        facts = BucketFacts(value, value.bucket_arn, key, key.key_arn if key is not None else None, value.bucket_name)
        _BUCKETS[id(value)] = facts
    return facts


def flat_bucket_arn(stack: Stack, value: Any) -> str:
    """A bucket's ARN as cdk-nag writes it in finding ids, resolved in ``stack`` once."""
    key = (id(stack), id(value))
    cached = _FLAT.get(key)
    if cached is None or cached[0] is not stack or cached[1] is not value:
        from ._nag import flatten

        cached = (stack, value, flatten(stack.resolve(bucket(value).arn)))
        _FLAT[key] = cached
    return cached[2]


def stack(value: Stack) -> StackFacts:
    facts = _STACKS.get(id(value))
    if facts is None or facts.stack is not value:
        facts = StackFacts(value)
        _STACKS[id(value)] = facts
    return facts


def scope(value: IConstruct) -> ScopeFacts:
    facts = _SCOPES.get(id(value))
    if facts is None or facts.scope is not value:
        of = Stack.of(value)  # a stack is its own (the same Python object: jsii keeps one per JS object)
        owner = stack(of)
        path = owner.path if of is value else value.node.path
        below = path[len(owner.path) + 1:] if path != owner.path else ""
        facts = ScopeFacts(value, path, owner, tuple(below.split("/")) if below else ())
        _SCOPES[id(value)] = facts
    return facts
