"""IAM Identity Center: the developer permission set, from the same policy source as the role."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from constructs import Construct

from constructs_iam import DeveloperAccess, DeveloperExtra, DeveloperReadOnlyPermissionSet

from .config import AppConfig


class IdentityCenterStack(Stack):
    """``DeveloperReadOnlyPermissionSet``, assigned to one group in the configured accounts."""

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        ic = config.identity_center
        assert ic is not None
        self.permission_set = DeveloperReadOnlyPermissionSet(
            self, "DeveloperReadOnly", instance_arn=ic.instance_arn, name=ic.name,
            access=DeveloperAccess(ic.access), extras=[DeveloperExtra(e) for e in ic.extras],
            session_duration=Duration.hours(ic.session_hours), group_id=ic.group_id, account_ids=list(ic.account_ids),
        )
