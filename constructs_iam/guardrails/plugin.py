"""IamGuardrails, the CDK policy-validation plugin (the CDK-dependent half of ``constructs_iam.guardrails``)."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import (
    AspectPriority,
    Aspects,
    CfnResource,
    IAspect,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
    Stage,
    Validations,
)
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .. import _role
from .. import _validation as v
from .rules import PATTERN_METADATA, RULES, RULES_BY_ID, Context, Finding, Rule
from .seal import PatternIntent
from .seal import resolve as resolve_intents
from .templates import Assembly

__all__ = ["IamGuardrails", "PATTERN_METADATA", "RULES", "Rule", "PLUGIN_NAME"]

from . import PLUGIN_NAME  # noqa: E402  (defined where no CDK is needed)

_ALWAYS = frozenset({"IamGuardrails-PatternWidened", "IamGuardrails-PatternPrincipalUnresolved",
                     "IamGuardrails-PatternChangedAtDeploy", "IamGuardrails-TenantTag"})
"""Rules that hold in every app using a pattern or a TenantIsolatedBucket, with or without ``IamGuardrails.of``."""


@jsii.implements(IAspect)
class _ApplyBoundary:
    """Sets ``PermissionsBoundary`` on every role and user that has none (a mutating aspect)."""

    def __init__(self, boundary: iam.IManagedPolicy) -> None:
        self.boundary = boundary

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, (iam.CfnRole, iam.CfnUser)) and node.permissions_boundary is None:
            node.permissions_boundary = self.boundary.managed_policy_arn
        elif type(node) is CfnResource and node.cfn_resource_type in ("AWS::IAM::Role", "AWS::IAM::User"):
            # a plain CfnResource role (core CustomResourceProvider's): CDK's own PermissionsBoundary
            # overrides the property the same way
            node.add_property_override("PermissionsBoundary", self.boundary.managed_policy_arn)


# one plugin per app (the root of the construct tree); value: (root, plugin), the root kept alive
_PLUGINS: dict[int, tuple[Any, IamGuardrails]] = {}
_BY_STACK: dict[int, tuple[Any, IamGuardrails]] = {}


@jsii.implements(IPolicyValidationPlugin)
class IamGuardrails:
    """The guardrails of one app. Use ``IamGuardrails.of(scope, ...)``, not the constructor."""

    def __init__(self) -> None:
        self._scopes: dict[str, Any] = {}  # construct path -> expected boundary (resolved) or None
        self._boundary_scopes: set[tuple[str, int]] = set()
        self.intents: list[PatternIntent] = []  # every pattern of the app, registered at construction
        # (tag, account or None) of each TenantIsolatedBucket of the app: the tag it isolates tenants by
        self.tenant_buckets: set[tuple[str, str | None]] = set()

    # -------------------------------------------------------------------------- registration

    @classmethod
    def of(
        cls,
        scope: IConstruct,
        *,
        permissions_boundary: iam.IManagedPolicy | None = None,
        apply_boundary: bool = True,
    ) -> IamGuardrails:
        """Apply the guardrails to ``scope`` (an app, a stage or a stack) and everything in it.

        Idempotent: a second call for the same scope adds nothing. Every scope of one app shares
        one plugin, registered at the app (the root), so every stage's templates are read once.

        :param permissions_boundary: the boundary every role and user must carry. Default: none.
        :param apply_boundary: also set that boundary on roles and users that have none.
            Default: True. With False the guardrail only checks.
        """
        if not v.has(scope, "node"):
            raise v.fail("scope", scope, "must be an app, a stage or a stack (a construct)")
        _role.check_boundary("permissions_boundary", permissions_boundary)
        plugin = cls.for_stage(scope)
        path = scope.node.path
        expected = None
        if permissions_boundary is not None:
            expected = Stack.of(permissions_boundary).resolve(permissions_boundary.managed_policy_arn)
            key = (path, id(permissions_boundary))
            if apply_boundary and key not in plugin._boundary_scopes:
                plugin._boundary_scopes.add(key)
                Aspects.of(scope).add(_ApplyBoundary(permissions_boundary), priority=AspectPriority.MUTATING)
        if path not in plugin._scopes or expected is not None:
            plugin._scopes[path] = expected
        return plugin

    @classmethod
    def for_stack(cls, stack: Stack) -> IamGuardrails:
        """``for_stage`` of a stack, remembered per stack (patterns call it for each role)."""
        entry = _BY_STACK.get(id(stack))
        if entry is None or entry[0] is not stack:
            entry = (stack, cls.for_stage(stack))
            _BY_STACK[id(stack)] = entry
        return entry[1]

    @classmethod
    def for_stage(cls, scope: IConstruct) -> IamGuardrails:
        """The plugin of ``scope``'s app, registered with ``Validations`` at the root of the tree the
        first time: a root plugin reads the templates of every stage of the app (CDK hands it each
        stage's assembly), so a pattern in any ``Stage`` is checked whether or not the app calls
        ``IamGuardrails.of``."""
        root = scope.node.root
        if not isinstance(root, Stage):
            raise ValueError(f"scope {scope.node.path!r} must be inside a cdk.App or cdk.Stage")
        entry = _PLUGINS.get(id(root))
        if entry is None or entry[0] is not root:
            entry = (root, cls())
            _PLUGINS[id(root)] = entry
            Validations.of(root).add_plugins(entry[1])
        return entry[1]

    def register(self, intent: PatternIntent) -> None:
        """Record a pattern's intent (``constructs_iam._pattern`` calls it when a pattern is built)."""
        self.intents.append(intent)

    # -------------------------------------------------------------------------- the plugin

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        from .. import __version__

        return __version__

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in RULES]

    def validate(self, context: Any) -> PolicyValidationPluginReport:
        paths = list(context.template_paths)
        stacks = _stacks(paths)
        if stacks is None:  # no manifest to read them from: ask CDK (one round trip per field)
            found = list(context.stack_templates)
            paths = [s.template_path for s in found]
            stacks = [(s.stack_construct_path, None, None) for s in found]
        assembly = Assembly.load(paths, [s[0] for s in stacks], [(s[1], s[2]) for s in stacks])
        resolve_intents(self.intents)
        return self.report(assembly)

    def report(self, assembly: Assembly) -> PolicyValidationPluginReport:
        """Run the rules over ``assembly``; the report CDK prints and writes to cdk.out."""
        guarded, boundaries = [], {}
        for template in assembly.templates:
            scope = self._scope_of(template.stack_path)
            if scope is not None:
                guarded.append(template)
                # a StackSet's template deploys to other accounts, where the scope's boundary does not
                # exist: the PermissionsBoundary rule refuses the StackSet itself in a bounded scope
                if self._scopes[scope] is not None and not template.stackset:
                    boundaries[template.path] = self._scopes[scope]
        context = Context(assembly=assembly, guarded=guarded, boundaries=boundaries,
                          intents=[i for i in self.intents if i.resolved is not None or i.error is not None],
                          tenant_buckets=set(self.tenant_buckets))
        by_rule: dict[str, list[Finding]] = {}
        for rule in RULES:
            if rule.id in _ALWAYS or guarded:
                for finding in rule.check(context):
                    by_rule.setdefault(rule.id, []).append(finding)
        violations = []
        for rule_id, findings in by_rule.items():
            rule = RULES_BY_ID[rule_id]
            # one violation per message, so each keeps its own words in the report
            by_message: dict[str, list[Finding]] = {}
            for finding in findings:
                by_message.setdefault(finding.message, []).append(finding)
            for message, group in by_message.items():
                violations.append(PolicyViolation(
                    rule_name=rule_id,
                    description=f"{message}. {rule.explanation}",
                    fix=rule.fix,
                    severity="error",
                    violating_resources=[
                        PolicyViolatingResource(
                            locations=[f.location], resource_logical_id=f.logical_id, template_path=f.template.path,
                            # a finding on the template itself (its Transform, its tags): the stack holds it, so
                            # an acknowledgment on the stack names it
                            construct_path=f.template.stack_path or None
                            if f.logical_id not in f.template.resources else None,
                        )
                        for f in group
                    ],
                ))
        return PolicyValidationPluginReport(success=not violations, violations=violations)

    def _scope_of(self, stack_path: str) -> str | None:  # noqa: D401
        best = None
        for scope in self._scopes:
            if scope == "" or stack_path == scope or stack_path.startswith(scope + "/"):
                if best is None or len(scope) > len(best):
                    best = scope
        return best


def _stacks(template_paths: list[str]) -> list[tuple[str, str | None, str | None]] | None:
    """Each template's (stack construct path, account, stack name), from the cloud assembly's manifest."""
    import json
    from pathlib import Path

    manifests: dict[Path, dict[str, tuple[str, str | None, str | None]]] = {}
    result = []
    for template_path in template_paths:
        directory = Path(template_path).parent
        if directory not in manifests:
            manifest = directory / "manifest.json"
            if not manifest.exists():
                return None
            artifacts = json.loads(manifest.read_text()).get("artifacts", {})
            manifests[directory] = {
                (a.get("properties") or {}).get("templateFile", ""): (
                    a.get("displayName", name), _account(a.get("environment")),
                    (a.get("properties") or {}).get("stackName", name))
                for name, a in artifacts.items() if a.get("type") == "aws:cloudformation:stack"
            }
        found = manifests[directory].get(Path(template_path).name)
        if found is None:
            return None
        result.append(found)
    return result


def _account(environment: Any) -> str | None:
    """The account of ``aws://<account>/<region>``, unless it is CDK's unknown-account placeholder."""
    if not isinstance(environment, str) or not environment.startswith("aws://"):
        return None
    account = environment[len("aws://"):].split("/", 1)[0]
    return account if account.isdigit() else None
