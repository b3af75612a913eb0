"""Custom resource handler: sets the IAM account password policy (runs in AWS Lambda).

Its source is inlined into the template (``Code.from_inline``), so ``cfnresponse`` is provided by
Lambda. It logs the request type and the outcome only: the policy has no secret, but nothing from
the event (which carries a pre-signed response URL) is printed.
"""

import boto3

INTEGER_FIELDS = ("MinimumPasswordLength", "PasswordReusePrevention", "MaxPasswordAge")
BOOLEAN_FIELDS = (
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "RequireNumbers",
    "RequireSymbols",
    "AllowUsersToChangePassword",
    "HardExpiry",
)
PHYSICAL_ID = "account-password-policy"


def parameters(properties):
    """CloudFormation passes every property as a string: convert to the API's types."""
    result = {}
    for key in INTEGER_FIELDS:
        if key in properties:
            result[key] = int(properties[key])
    for key in BOOLEAN_FIELDS:
        if key in properties:
            result[key] = str(properties[key]).lower() == "true"
    return result


def apply(request_type, properties, client):
    if request_type in ("Create", "Update"):
        client.update_account_password_policy(**parameters(properties))
    elif request_type == "Delete":
        try:
            client.delete_account_password_policy()
        except client.exceptions.NoSuchEntityException:
            pass


def handler(event, context):
    import cfnresponse  # provided by Lambda for inline code

    try:
        apply(event["RequestType"], event.get("ResourceProperties", {}), boto3.client("iam"))
        print(f"{event['RequestType']} account password policy: done")
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, PHYSICAL_ID)
    except Exception as error:  # report every failure to CloudFormation instead of hanging
        print(f"{event['RequestType']} account password policy failed: {type(error).__name__}")
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, PHYSICAL_ID, reason=type(error).__name__ + ": " + str(error)[:200])
