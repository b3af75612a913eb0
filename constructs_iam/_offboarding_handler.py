"""Custom resource handler: revokes every credential of an offboarded IAM user (runs in AWS Lambda).

CloudFormation removes what it created (the console password, the access key, the groups it
listed); this handler removes what was created *outside* the template for the same user: access
keys made by rotation or self-service, a console password set by an administrator, memberships
added by hand, signing certificates, SSH public keys, service-specific credentials. The user is
kept (audit history); its MFA devices stay with it (they grant nothing without a password or a key,
and the user's deny-all permissions boundary refuses every action).

Its source is inlined into the template (``Code.from_inline``), so ``cfnresponse`` is provided by
Lambda. It logs the request type, the user name and counts: never a key id or a secret.
"""

import boto3


def _gone(client, error_name):
    return getattr(client.exceptions, error_name)


def _login_profile(user_name, client):
    try:
        client.delete_login_profile(UserName=user_name)
        return 1
    except _gone(client, "NoSuchEntityException"):
        return 0


def _each(user_name, client, lister, field, delete, optional=False):
    """Delete every item ``lister`` pages out for the user (``field`` of each page); how many."""
    count = 0
    for page in client.get_paginator(lister).paginate(UserName=user_name):
        for item in (page.get(field, []) if optional else page[field]):
            delete(item)
            count += 1
    return count


def _access_keys(user_name, client):
    return _each(user_name, client, "list_access_keys", "AccessKeyMetadata", lambda key: client.delete_access_key(
        UserName=user_name, AccessKeyId=key["AccessKeyId"]))


def _groups(user_name, client):
    return _each(user_name, client, "list_groups_for_user", "Groups", lambda group: client.remove_user_from_group(
        GroupName=group["GroupName"], UserName=user_name))


def _signing_certificates(user_name, client):
    return _each(user_name, client, "list_signing_certificates", "Certificates",
                 lambda certificate: client.delete_signing_certificate(
                     UserName=user_name, CertificateId=certificate["CertificateId"]))


def _ssh_public_keys(user_name, client):
    return _each(user_name, client, "list_ssh_public_keys", "SSHPublicKeys", lambda key: client.delete_ssh_public_key(
        UserName=user_name, SSHPublicKeyId=key["SSHPublicKeyId"]), optional=True)


def _service_specific_credentials(user_name, client):
    count = 0
    for credential in client.list_service_specific_credentials(UserName=user_name).get("ServiceSpecificCredentials", []):
        client.delete_service_specific_credential(
            UserName=user_name, ServiceSpecificCredentialId=credential["ServiceSpecificCredentialId"])
        count += 1
    return count


STEPS = {
    "LoginProfile": _login_profile,
    "AccessKeys": _access_keys,
    "Groups": _groups,
    "SigningCertificates": _signing_certificates,
    "SSHPublicKeys": _ssh_public_keys,
    "ServiceSpecificCredentials": _service_specific_credentials,
}


def revoke(user_name, client, steps=None):
    """Remove every credential and group membership of ``user_name``; return what was removed (counts).
    ``steps`` (names of ``STEPS``, default all) lets a test leave out what its emulator lacks."""
    return {name: STEPS[name](user_name, client) for name in (steps or STEPS)}


def apply(request_type, properties, client):
    """Create and Update revoke (an update re-checks: a key made since is removed too); Delete does
    nothing: taking the resource out of the template does not give the credentials back."""
    if request_type in ("Create", "Update"):
        return revoke(properties["UserName"], client)
    return {}


def handler(event, context):
    import cfnresponse  # provided by Lambda for inline code

    user_name = event.get("ResourceProperties", {}).get("UserName", "")
    physical_id = f"offboarded-{user_name}"
    try:
        removed = apply(event["RequestType"], event.get("ResourceProperties", {}), boto3.client("iam"))
        print(f"{event['RequestType']} offboarding of {user_name}: removed {removed}")
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {k: str(v) for k, v in removed.items()}, physical_id)
    except Exception as error:  # report every failure to CloudFormation instead of hanging
        print(f"{event['RequestType']} offboarding of {user_name} failed: {type(error).__name__}")
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, physical_id,
                         reason=type(error).__name__ + ": " + str(error)[:200])
