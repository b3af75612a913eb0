"""Custom resource handler: centralized root access for member accounts (runs in AWS Lambda in the
organisation's management account).

Create and Update enable IAM's trusted access in Organizations, then each feature of centralized
root access that ``ListOrganizationsFeatures`` does not report yet (so a second run changes
nothing). Delete leaves both features on unless ``DisableOnDelete`` is "true": turning them off
would not bring deleted root credentials back, only stop the management account's root sessions.
Its source is inlined into the template (``Code.from_inline``), so ``cfnresponse`` is provided by
Lambda. It logs the request type and the outcome only.
"""

import boto3

IAM_SERVICE_PRINCIPAL = "iam.amazonaws.com"
ENABLE = {
    "RootCredentialsManagement": "enable_organizations_root_credentials_management",
    "RootSessions": "enable_organizations_root_sessions",
}
DISABLE = {
    "RootCredentialsManagement": "disable_organizations_root_credentials_management",
    "RootSessions": "disable_organizations_root_sessions",
}
PHYSICAL_ID = "centralized-root-access"


def enabled_features(iam):
    return set(iam.list_organizations_features().get("EnabledFeatures", []))


def apply(request_type, properties, iam, organizations):
    """Bring the organisation to the requested state; returns the features enabled afterwards."""
    if request_type in ("Create", "Update"):
        organizations.enable_aws_service_access(ServicePrincipal=IAM_SERVICE_PRINCIPAL)
        enabled = enabled_features(iam)
        for feature in sorted(ENABLE):
            if feature not in enabled:
                getattr(iam, ENABLE[feature])()
                enabled.add(feature)
        return sorted(enabled)
    if request_type == "Delete" and str(properties.get("DisableOnDelete", "false")).lower() == "true":
        try:
            enabled = enabled_features(iam)
        except iam.exceptions.ServiceAccessNotEnabledException:
            return []  # trusted access already off: nothing of ours is left
        for feature in sorted(DISABLE, reverse=True):  # root sessions first, then credentials management
            if feature in enabled:
                getattr(iam, DISABLE[feature])()
                enabled.discard(feature)
        return sorted(enabled)
    return []  # Delete without DisableOnDelete: the features stay on (the safe state)


def handler(event, context):
    import cfnresponse  # provided by Lambda for inline code

    try:
        features = apply(event["RequestType"], event.get("ResourceProperties", {}),
                         boto3.client("iam"), boto3.client("organizations"))
        print(f"{event['RequestType']} centralized root access: done, enabled {features}")
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {"EnabledFeatures": ",".join(features)}, PHYSICAL_ID)
    except Exception as error:  # report every failure to CloudFormation instead of hanging
        print(f"{event['RequestType']} centralized root access failed: {type(error).__name__}")
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, PHYSICAL_ID, reason=type(error).__name__ + ": " + str(error)[:200])
