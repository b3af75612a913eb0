"""S3PrefixAccessRole: an application reads and writes one "directory" of a bucket, nothing else."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import _facts, _nag, _role
from . import _validation as v
from .acknowledgments import acknowledge_findings
from ._pattern import RolePattern
from .s3_location import S3Access, S3Location, check_locations, object_findings, s3_statements


class S3PrefixAccessRole(RolePattern):
    """A role for an application that works on one S3 prefix.

    Grants, in one customer managed policy (``access`` decides which lines apply):

    - on ``<bucket>/<prefix>*``: ``s3:GetObject`` (reads); ``s3:PutObject``,
      ``s3:AbortMultipartUpload``, ``s3:ListMultipartUploadParts`` (writes, multipart included);
      ``s3:DeleteObject`` (``READ_WRITE_DELETE`` only);
    - on the bucket: ``s3:ListBucket`` with ``StringLike s3:prefix <prefix>*`` (reads);
    - on a customer managed key of the bucket: ``kms:Decrypt`` and, for writes,
      ``kms:GenerateDataKey``, only ``kms:ViaService s3.<region>``.

    :param assumed_by: who assumes the role: a service (see ``trust.service_principal``), a role,
        an account. ``iam.AnyPrincipal()`` without an identity-scoping condition is refused.
    :param location: the bucket and prefix.
    :param access: what the role may do there. Default: ``S3Access.READ_WRITE``.
    :param role_name: the IAM role name, at most 64 characters. Default: generated.
    :param path: the IAM path. Default: ``/``.
    :param description: the role's description. Default: a sentence naming the pattern.
    :param permissions_boundary: a managed policy capping the role. Default: none.
    :param max_session_duration: 1 to 12 hours. Default: one hour.

    The role holds only this policy: any other permission reaching it fails synth with
    ``IamGuardrails-PatternWidened``; ``extend_policy(statements, reason=...)`` widens it on purpose.
    """

    WIDEN_FIX = ("choose the access it needs (access=S3Access.READ_WRITE, READ_WRITE_DELETE, ...) or give "
                 "another location its own S3PrefixAccessRole")

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        assumed_by: iam.IPrincipal,
        location: S3Location,
        access: S3Access = S3Access.READ_WRITE,
        role_name: str | None = None,
        path: str = "/",
        description: str | None = None,
        permissions_boundary: iam.IManagedPolicy | None = None,
        max_session_duration: Duration = v.ONE_HOUR,
    ) -> None:
        super().__init__(scope, id)
        with v.Checks(self) as check:
            check(_role.check_assumed_by, self, "assumed_by", assumed_by)
            located = check(check_locations, "location", [location], self)
            if not isinstance(access, S3Access):
                check.fail("access", access, f"must be one of {[a.name for a in S3Access]} (S3Access)")
            check(v.duration_between, "max_session_duration", max_session_duration, v.ONE_HOUR, v.TWELVE_HOURS)
            _role.check_role_props(check, role_name=role_name, path=path, description=description,
                  permissions_boundary=permissions_boundary)
        (self.location,) = located
        self.access = access
        self.role: iam.Role = _role.build_role(
            self,
            assumed_by=assumed_by,
            role_name=role_name,
            path=path,
            description=description
            or f"Application role: {access.value} on one S3 prefix, nothing else in the bucket",
            permissions_boundary=permissions_boundary,
            max_session_duration=max_session_duration,
        )
        stack = _facts.scope(scope).stack.stack
        self.policy: iam.ManagedPolicy = _role.attach_policy(
            self,
            self.role,
            s3_statements(stack, [self.location], access),
            f"{access.value} access to one S3 prefix",
            path=path,  # with its role: both named by one path
        )
        acknowledge_findings(self.policy, object_findings(stack, [self.location]), _nag.OBJECT_ARN_REASON)
        self._seal(scope, policies=[self.policy])
