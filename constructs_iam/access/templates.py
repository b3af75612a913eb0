"""Template loading: a CloudFormation template's roles, users, groups, policies, trust, resource and key
policies, resolved against the stack's environment, into an ``AccessModel``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._cfn import Unresolvable, resolve
from .decisions import Statement, _broken, _statements
from .matching import _as_list

if TYPE_CHECKING:
    from .model import AccessModel


def load_template(model: AccessModel, template: Mapping[str, Any], *, account: str | None, region: str | None,
                  partition: str = "aws", stack_name: str = "Stack", paths: Mapping[str, str] | None = None) -> None:
    """Add ``template``'s principals and policies to ``model`` (``AccessModel.add_template``)."""
    from .model import _Principal

    resources: dict[str, Any] = dict(template.get("Resources", {}))
    paths = dict(paths or {})
    for logical_id, resource in resources.items():
        path = resource.get("Metadata", {}).get("aws:cdk:path")
        if path and logical_id not in paths:
            paths[logical_id] = path.removesuffix("/Resource")
    pseudo = {"AWS::Partition": partition, "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": stack_name,
              "AWS::NoValue": None}
    if account:
        pseudo["AWS::AccountId"] = account
    if region:
        pseudo["AWS::Region"] = region

    def props(logical_id: str) -> dict[str, Any]:
        return resources[logical_id].get("Properties", {})

    def name_of(logical_id: str) -> str:
        kind = resources[logical_id]["Type"]
        key = {"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
               "AWS::S3::Bucket": "BucketName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
               "AWS::IAM::InstanceProfile": "InstanceProfileName", "AWS::SNS::Topic": "TopicName",
               "AWS::SecretsManager::Secret": "Name"}.get(kind)
        value = props(logical_id).get(key) if key else None
        if isinstance(value, str):
            return value
        generated = f"{stack_name}-{logical_id}"
        return generated.lower() if kind == "AWS::S3::Bucket" else generated

    def need(value: str | None, what: str) -> str:
        if value is None:
            raise Unresolvable(f"{what} is not known (give the stack an explicit env)")
        return value

    def arn_of(logical_id: str) -> str:
        kind = resources[logical_id]["Type"]
        name = name_of(logical_id)
        acct = lambda: need(account, "the account")  # noqa: E731
        reg = lambda: need(region, "the region")  # noqa: E731
        path = props(logical_id).get("Path", "/") if isinstance(props(logical_id).get("Path", "/"), str) else "/"
        if kind == "AWS::IAM::Role":
            return f"arn:{partition}:iam::{acct()}:role{path}{name}"
        if kind == "AWS::IAM::User":
            return f"arn:{partition}:iam::{acct()}:user{path}{name}"
        if kind == "AWS::IAM::Group":
            return f"arn:{partition}:iam::{acct()}:group{path}{name}"
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:{partition}:iam::{acct()}:policy{path}{name}"
        if kind == "AWS::IAM::InstanceProfile":
            return f"arn:{partition}:iam::{acct()}:instance-profile{path}{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:{partition}:s3:::{name}"
        if kind == "AWS::KMS::Key":
            return f"arn:{partition}:kms:{reg()}:{acct()}:key/{logical_id}"
        if kind == "AWS::SNS::Topic":
            return f"arn:{partition}:sns:{reg()}:{acct()}:{name}"
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:{partition}:secretsmanager:{reg()}:{acct()}:secret:{name}"
        if kind == "AWS::Events::Rule":
            return f"arn:{partition}:events:{reg()}:{acct()}:rule/{name}"
        if kind == "AWS::Logs::LogGroup":
            return f"arn:{partition}:logs:{reg()}:{acct()}:log-group:{name}:*"
        if kind == "AWS::Lambda::Function":
            return f"arn:{partition}:lambda:{reg()}:{acct()}:function:{name}"
        if kind == "AWS::IAM::OIDCProvider":
            url = props(logical_id).get("Url")
            if not isinstance(url, str):
                raise Unresolvable(f"the Url of {kind} {logical_id} is not a literal")
            return f"arn:{partition}:iam::{acct()}:oidc-provider/{url.removeprefix('https://')}"
        raise Unresolvable(f"the ARN of {kind} {logical_id} is not modelled")

    def ref(logical_id: str) -> str:
        if logical_id not in resources:
            raise Unresolvable(f"Ref {logical_id}: not a resource of this template (a parameter?)")
        kind = resources[logical_id]["Type"]
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::SNS::Topic", "AWS::SecretsManager::Secret", "AWS::IAM::OIDCProvider"):
            return arn_of(logical_id)
        if kind == "AWS::KMS::Key":
            return logical_id
        return name_of(logical_id)

    def get_att(logical_id: str, attribute: str) -> str:
        if logical_id not in resources:
            raise Unresolvable(f"Fn::GetAtt {logical_id}: not a resource of this template")
        if attribute == "Arn":
            return arn_of(logical_id)
        raise Unresolvable(f"Fn::GetAtt {logical_id}.{attribute} is not modelled")

    def resolver(value: Any) -> Any:
        return resolve(value, ref=ref, get_att=get_att, pseudo={k: v for k, v in pseudo.items() if v is not None},
                       stack_output=model._stack_output)

    for output_name, output in (template.get("Outputs") or {}).items():
        if isinstance(output, dict):
            model._outputs[(stack_name, output_name)] = lambda value=output.get("Value"): resolver(value)

    def document_for(policy_arn_value: Any, source: str) -> list[Statement]:
        try:
            arn = resolver(policy_arn_value)
        except Unresolvable as error:
            return [_broken(source, str(error))]
        for logical_id, resource in resources.items():
            if resource["Type"] == "AWS::IAM::ManagedPolicy":
                try:
                    if arn_of(logical_id) == arn:
                        return _statements(paths.get(logical_id, logical_id), props(logical_id)["PolicyDocument"], resolver)
                except Unresolvable:
                    continue
        return managed_policy_statements(model, arn)

    # customer managed policies by ARN, for roles of later templates (a boundary in another stack)
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            try:
                model._managed_policies[arn_of(logical_id)] = _statements(
                    paths.get(logical_id, logical_id), props(logical_id)["PolicyDocument"], resolver)
            except Unresolvable:
                continue

    # every policy document of the template, resolved, for linters
    for logical_id, resource in resources.items():
        kind, p = resource["Type"], props(logical_id)
        source = paths.get(logical_id, logical_id)
        found = []
        if kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy"):
            found.append(("resource" if kind in ("AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy") else "identity", source, p.get("PolicyDocument")))
        if kind == "AWS::SecretsManager::ResourcePolicy":
            found.append(("resource", source, p.get("ResourcePolicy")))
        if kind == "AWS::KMS::Key":
            found.append(("resource", source, p.get("KeyPolicy")))
        if kind == "AWS::IAM::Role":
            found.append(("trust", f"{source}/trust", p.get("AssumeRolePolicyDocument")))
        for inline in _as_list(p.get("Policies")) if kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group") else []:
            found.append(("identity", f"{source}/{inline.get('PolicyName')}", inline.get("PolicyDocument")))
        for doc_kind, name, document in found:
            try:
                model._documents.append((doc_kind, name, resolver(document)))
            except Unresolvable as error:
                model._documents.append((doc_kind, name, Unresolvable(str(error))))

    # identities
    group_statements: dict[str, list[Statement]] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::IAM::Group":
            statements: list[Statement] = []
            for arn in _as_list(props(logical_id).get("ManagedPolicyArns")):
                statements += document_for(arn, logical_id)
            for inline in _as_list(props(logical_id).get("Policies")):
                statements += _statements(f"{paths.get(logical_id, logical_id)}/{inline.get('PolicyName')}", inline["PolicyDocument"], resolver)
            group_statements[name_of(logical_id)] = statements
    for logical_id, resource in resources.items():
        kind = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user"}.get(resource["Type"])
        if not kind:
            continue
        p = props(logical_id)
        try:
            arn = arn_of(logical_id)
        except Unresolvable:
            arn = f"{kind}:{logical_id}"
        principal = _Principal(logical_id, kind, arn, name_of(logical_id), p.get("Path", "/"))
        for tag in _as_list(p.get("Tags")):
            if isinstance(tag, dict) and isinstance(tag.get("Key"), str) and isinstance(tag.get("Value"), str):
                principal.tags[tag["Key"]] = tag["Value"]
        for managed in _as_list(p.get("ManagedPolicyArns")):
            principal.statements += document_for(managed, paths.get(logical_id, logical_id))
        for inline in _as_list(p.get("Policies")):
            principal.statements += _statements(f"{paths.get(logical_id, logical_id)}/{inline.get('PolicyName')}", inline["PolicyDocument"], resolver)
        if p.get("PermissionsBoundary") is not None:
            principal.boundary = document_for(p["PermissionsBoundary"], "PermissionsBoundary")
            try:
                principal.boundary_arn = resolver(p["PermissionsBoundary"])
            except Unresolvable:
                pass
        if kind == "role":
            principal.trust = _statements(f"{paths.get(logical_id, logical_id)}/trust", p.get("AssumeRolePolicyDocument", {}), resolver)
        if kind == "user":
            for group in _as_list(p.get("Groups")):
                try:
                    principal.statements += group_statements.get(resolver(group), [])
                except Unresolvable as error:
                    principal.statements.append(_broken(str(group), str(error)))
        model._principals[arn] = principal
        for alias in (logical_id, paths.get(logical_id), arn, principal.name):
            if alias:
                model._aliases[alias] = arn
    # policies that name their identities
    for logical_id, resource in resources.items():
        if resource["Type"] not in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            continue
        p = props(logical_id)
        source = paths.get(logical_id, logical_id)
        attached: list[Statement] | None = None
        for field_name, kind in (("Roles", "role"), ("Users", "user"), ("Groups", "group")):
            for entity in _as_list(p.get(field_name)):
                attached = attached if attached is not None else _statements(source, p["PolicyDocument"], resolver)
                try:
                    entity_name = resolver(entity)
                except Unresolvable:
                    continue
                for principal in model._principals.values():
                    if kind == principal.kind and principal.name == entity_name:
                        principal.statements += attached
                    if kind == "group":
                        user_groups = _as_list(props(principal.logical_id).get("Groups")) if principal.kind == "user" else []
                        try:
                            if entity_name in [resolver(g) for g in user_groups]:
                                principal.statements += attached
                        except Unresolvable:
                            pass
    # resource policies: their explicit denies apply to every request on their resources
    for logical_id, resource in resources.items():
        kind = resource["Type"]
        p = props(logical_id)
        source = paths.get(logical_id, logical_id)
        if kind == "AWS::S3::BucketPolicy":
            in_bucket = _statements(source, p["PolicyDocument"], resolver)
            try:  # a bucket policy is evaluated for requests on its bucket and its objects only
                bucket = resolver(p.get("Bucket"))
                scope = (f"arn:{partition}:s3:::{bucket}",) if isinstance(bucket, str) else None
            except Unresolvable:
                scope = None
            for statement in in_bucket:
                statement.scope = scope
            model._resource_policy_statements += in_bucket
        elif kind == "AWS::SNS::TopicPolicy":
            model._resource_policy_statements += _statements(source, p["PolicyDocument"], resolver)
        elif kind == "AWS::SecretsManager::ResourcePolicy":
            model._resource_policy_statements += _statements(source, p["ResourcePolicy"], resolver)
        elif kind == "AWS::KMS::Key" and isinstance(p.get("KeyPolicy"), dict):
            try:
                model._key_policies[arn_of(logical_id)] = _statements(f"{source}/KeyPolicy", p["KeyPolicy"], resolver)
            except Unresolvable:
                pass


def managed_policy_statements(model: Any, arn: str) -> list[Statement]:
    """The statements of the managed policy ``arn`` that no template being read defines: a customer
    managed policy of a template added before, else an AWS managed one from the model's catalog."""
    if arn in model._managed_policies:
        return model._managed_policies[arn]  # type: ignore[no-any-return]
    try:
        document = model.catalog.document(arn)
    except Unresolvable as error:
        return [_broken(arn, str(error))]
    if document is None:
        return [_broken(arn, f"managed policy {arn} is outside the model")]
    statements = _statements(arn.rsplit("/", 1)[-1], document, lambda d: d)  # AWS managed: no intrinsics
    for statement in statements:
        statement.aws_managed = True
    return statements
