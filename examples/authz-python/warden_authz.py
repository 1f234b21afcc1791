"""A client of warden's authorization API (docs/authorization-api.md), standard library + botocore.

A service that received a SigV4-signed request from its client passes the request's material and
the checks it needs; warden answers who signed and whether each check is allowed::

    authz = WardenAuthz("http://127.0.0.1:8080", "AKIA...", "secret")
    verdict = authz.authorize(
        request_material("GET", "/bucket/key", "", headers, "UNSIGNED-PAYLOAD"),
        "s3",
        [{"Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/key"}],
    )
    if not verdict["Authenticated"]: ...   # answer verdict["Error"]
    elif verdict["Decision"] != "Allow": ... # answer AccessDenied

The calling service signs its own calls with SigV4 for the service `warden` and needs
`warden:Authorize` (and `warden:*ResourcePolicy` for the stored policies) on the resources it asks about.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Iterable

import botocore.auth
import botocore.awsrequest
import botocore.credentials

TARGET_PREFIX = "WardenAuthorization"
SCOPE_SERVICE = "warden"


class WardenError(Exception):
    """An error of the API call itself (not a verdict about the client's request)."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(f"{code} ({status}): {message}")
        self.code, self.message, self.status = code, message, status


def request_material(
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    payload_hash: str,
) -> dict[str, Any]:
    """The `Request` member of Authorize: the client's request as the service received it (path and
    query raw, still percent-encoded; every header with its value as received)."""
    return {
        "Method": method,
        "Path": path,
        "Query": query,
        "Headers": [{"Name": n, "Value": v} for n, v in headers],
        "PayloadHash": payload_hash,
    }


class WardenAuthz:
    def __init__(
        self,
        endpoint: str,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        region: str = "us-east-1",
        timeout: float = 10,
    ):
        self.endpoint = endpoint.rstrip("/")
        self.credentials = botocore.credentials.Credentials(access_key_id, secret_access_key, session_token)
        self.region = region
        self.timeout = timeout

    def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        req = botocore.awsrequest.AWSRequest(
            method="POST",
            url=self.endpoint + "/",
            data=data,
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"{TARGET_PREFIX}.{operation}",
            },
        )
        botocore.auth.SigV4Auth(self.credentials, SCOPE_SERVICE, self.region).add_auth(req)
        prepared = req.prepare()
        http_req = urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers), method="POST")
        try:
            with urllib.request.urlopen(http_req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                err = json.loads(raw)
            except ValueError:
                raise WardenError("Unknown", raw.decode(errors="replace"), e.code) from None
            raise WardenError(err.get("__type", "Unknown"), err.get("message", ""), e.code) from None

    def authorize(
        self,
        request: dict[str, Any],
        signing_service: str,
        checks: list[dict[str, Any]],
        signing_region: str | None = None,
        keys: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"Request": request, "SigningService": signing_service, "Checks": checks}
        if signing_region is not None:
            body["SigningRegion"] = signing_region
        if keys:
            body["Keys"] = keys
        return self.call("Authorize", body)

    def put_resource_policy(self, resource_arn: str, policy: str) -> None:
        self.call("PutResourcePolicy", {"ResourceArn": resource_arn, "Policy": policy})

    def get_resource_policy(self, resource_arn: str) -> dict[str, Any]:
        return self.call("GetResourcePolicy", {"ResourceArn": resource_arn})

    def delete_resource_policy(self, resource_arn: str) -> None:
        self.call("DeleteResourcePolicy", {"ResourceArn": resource_arn})
