"""AccessModel: who can do what to which resource, decided from the synthesized policies.

    model = AccessModel.from_stack(stack)
    model.evaluate(principal="ReaderRole", action="s3:GetObject",
                   resource="arn:aws:s3:::acme-data/daily/a.csv").allowed
    model.can_assume(role="DevRole", caller="arn:aws:iam::111111111111:user/dev",
                     context={"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "300"}).allowed

It follows AWS's documented policy evaluation logic for requests within an account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

1. an explicit ``Deny`` in any applicable policy (identity, permissions boundary, resource policy)
   decides: denied;
2. otherwise an ``Allow`` must come from an identity policy (inline, customer managed, or AWS
   managed; AWS managed documents come from moto's maintained copy of the AWS catalog, when moto is
   installed);
3. a permissions boundary intersects: it must allow too;
4. for ``sts:AssumeRole`` the role's trust policy decides the role's side; a trusted account root
   (``arn:aws:iam::111111111111:root``) means "any principal of that account that its own policies
   allow": when the caller is in the model its identity policies are evaluated too, otherwise the
   decision says that the caller's side is outside the model.

Resource policies (bucket, topic, secret) deny for every request on their resource and grant on
their own when they name the principal's ARN; a KMS key policy is a second gate for ``kms:*`` on
its key (it must allow the principal, or its account for IAM to delegate), and grants on its own
when it names the principal. Not modelled here (the reason says so where it matters): session
policies, cross-account requests (both accounts' policies). SCPs and RCPs are organisation gates in ``constructs_iam.access.organization`` (``Organization.evaluate`` wraps this model).

A value the model cannot resolve (an intrinsic function it does not know, a reference to a
resource outside the template) makes any decision that depends on it ``undecided`` with the
reason: never a silent allow or deny.
"""

from __future__ import annotations

from .catalog import DictCatalog, ManagedPolicyCatalog, MotoCatalog
from .conditions import UnknownOperator, evaluate_condition, evaluate_condition_block
from .decisions import ContextValue, Decision, Statement
from .matching import action_matches, resource_matches, substitute_variables, wildcard_match
from .model import AccessModel
from .organization import Organization, OrganizationPolicy

__all__ = [
    "AccessModel",
    "ContextValue",
    "Decision",
    "DictCatalog",
    "ManagedPolicyCatalog",
    "MotoCatalog",
    "Organization",
    "OrganizationPolicy",
    "Statement",
    "UnknownOperator",
    "action_matches",
    "evaluate_condition",
    "evaluate_condition_block",
    "resource_matches",
    "substitute_variables",
    "wildcard_match",
]
