"""STS DecodeAuthorizationMessage, end to end with boto3 and the aws CLI.

Sources (AWS, not warden): the STS API reference (botocore 1.44.8's model): the caller needs
`sts:DecodeAuthorizationMessage`; a message that cannot be decoded is InvalidAuthorizationMessageException
(400). The message format is AWS's opaque one; warden's are sealed under its master key for one account
(crates/warden-core/src/authz/messages.rs). The exception's text is warden's own (none is recorded).
Messages warden encodes come from its authorization API's denials (tests/e2e/test_authorization_api.py).
"""

from __future__ import annotations

from e2e_util import allow, create_user_with_key, make_client, policy_doc, raises_aws, run_aws


def test_a_message_warden_did_not_encode_is_invalid(server, sts):
    with raises_aws("InvalidAuthorizationMessageException", status=400):
        sts.decode_authorization_message(EncodedMessage="not-a-message")
    res = run_aws(server.url, "sts", "decode-authorization-message", "--encoded-message", "AAAA")
    assert res.returncode != 0
    assert "InvalidAuthorizationMessageException" in res.stderr


def test_decoding_needs_the_permission(server, iam):
    user, creds = create_user_with_key(iam)
    client = make_client("sts", server.url, creds)
    with raises_aws(
        "AccessDenied",
        f"User: {user['Arn']} is not authorized to perform: sts:DecodeAuthorizationMessage on resource: * "
        "because no identity-based policy allows the sts:DecodeAuthorizationMessage action",
        403,
    ):
        client.decode_authorization_message(EncodedMessage="x")
    # Control: granted, the same call reaches the decoder.
    iam.put_user_policy(
        UserName=user["UserName"],
        PolicyName="decode",
        PolicyDocument=policy_doc(allow("sts:DecodeAuthorizationMessage")),
    )
    with raises_aws("InvalidAuthorizationMessageException", status=400):
        client.decode_authorization_message(EncodedMessage="x")
