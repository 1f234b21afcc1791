"""An example service behind warden's authorization API: a toy S3 (path-style GET/PUT of objects,
ListObjectsV2) that keeps objects in memory and lets warden decide every request.

    python service.py --listen 127.0.0.1:9000 --warden http://127.0.0.1:8080 \
        --bucket photos=123456789012

The service's own credentials come from WARDEN_SERVICE_ACCESS_KEY_ID and
WARDEN_SERVICE_SECRET_ACCESS_KEY. Each bucket has an owner account (`--bucket NAME=ACCOUNT`); its
bucket policy is the one stored in warden under `arn:aws:s3:::NAME` (PutResourcePolicy).
Standard library + botocore only.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warden_authz import WardenAuthz, WardenError, request_material  # noqa: E402


def s3_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
        f"<Message>{escape(message)}</Message></Error>"
    ).encode()


class Store:
    def __init__(self, owners: dict[str, str]):
        self.owners = owners
        self.objects: dict[tuple[str, str], bytes] = {}


def make_handler(authz: WardenAuthz, store: Store):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/xml"):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _route(self):
            raw_path, _, raw_query = self.path.partition("?")
            parts = raw_path.lstrip("/").split("/", 1)
            bucket = urllib.parse.unquote(parts[0])
            key = urllib.parse.unquote(parts[1]) if len(parts) > 1 and parts[1] else None
            query = dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True))
            return raw_path, raw_query, bucket, key, query

        def _handle(self):
            raw_path, raw_query, bucket, key, query = self._route()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if bucket not in store.owners:
                return self._send(404, s3_error("NoSuchBucket", "The specified bucket does not exist"))
            if self.command in ("GET", "HEAD") and key is None:
                action, resource = "s3:ListBucket", f"arn:aws:s3:::{bucket}"
            elif self.command in ("GET", "HEAD"):
                action, resource = "s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"
            elif self.command == "PUT" and key is not None:
                action, resource = "s3:PutObject", f"arn:aws:s3:::{bucket}/{key}"
            else:
                return self._send(405, s3_error("MethodNotAllowed", "The specified method is not allowed."))
            keys = []
            if action == "s3:ListBucket":
                for param, cond in (("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")):
                    if param in query:
                        keys.append({"Key": cond, "Values": [query[param]]})
            presigned = "X-Amz-Signature" in urllib.parse.parse_qs(raw_query)
            sent_hash = self.headers.get("x-amz-content-sha256")
            payload_hash = sent_hash or ("UNSIGNED-PAYLOAD" if presigned else hashlib.sha256(body).hexdigest())
            # aws-chunked bodies need their framing removed and chunk signatures checked: not in this toy.
            if payload_hash.startswith("STREAMING-"):
                return self._send(501, s3_error("NotImplemented", "aws-chunked uploads are not supported here."))
            # The service holds the body: a claimed hash must be the body's (warden sees only the hash).
            if len(payload_hash) == 64 and payload_hash != hashlib.sha256(body).hexdigest():
                return self._send(
                    400,
                    s3_error(
                        "XAmzContentSHA256Mismatch",
                        "The provided 'x-amz-content-sha256' header does not match what was computed.",
                    ),
                )
            material = request_material(self.command, raw_path, raw_query, self.headers.items(), payload_hash)
            check = {
                "Action": action,
                "Resource": resource,
                "ResourceAccount": store.owners[bucket],
                "ResourcePolicyArn": f"arn:aws:s3:::{bucket}",
                "Keys": keys,
            }
            client_ip = self.client_address[0]
            try:
                verdict = authz.authorize(
                    material,
                    "s3",
                    [check],
                    keys=[
                        {"Key": "aws:SourceIp", "Values": [client_ip]},
                        {"Key": "aws:SecureTransport", "Values": ["false"]},
                    ],
                )
            except WardenError as e:
                return self._send(500, s3_error("InternalError", f"authorization failed: {e}"))
            if not verdict["Authenticated"]:
                err = verdict["Error"]
                return self._send(err["HttpStatus"], s3_error(err["Code"], err["Message"]))
            if verdict["Decision"] != "Allow":
                message = verdict["Results"][0].get("AccessDeniedMessage") or "Access Denied"
                return self._send(403, s3_error("AccessDenied", message))
            if action == "s3:PutObject":
                store.objects[(bucket, key)] = body
                return self._send(200, b"")
            if action == "s3:GetObject":
                data = store.objects.get((bucket, key))
                if data is None:
                    return self._send(404, s3_error("NoSuchKey", "The specified key does not exist."))
                return self._send(200, data, "application/octet-stream")
            prefix = query.get("prefix", "")
            contents = "".join(
                f"<Contents><Key>{escape(k)}</Key><Size>{len(v)}</Size></Contents>"
                for (b, k), v in sorted(store.objects.items())
                if b == bucket and k.startswith(prefix)
            )
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>{contents}"
                "<IsTruncated>false</IsTruncated></ListBucketResult>"
            )
            return self._send(200, xml.encode())

        do_GET = do_HEAD = do_PUT = do_DELETE = _handle

    return Handler


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="127.0.0.1:9000")
    ap.add_argument("--warden", required=True, help="warden's endpoint URL")
    ap.add_argument("--bucket", action="append", default=[], help="NAME=OWNER_ACCOUNT (repeatable)")
    args = ap.parse_args(argv)
    owners = dict(b.split("=", 1) for b in args.bucket)
    authz = WardenAuthz(
        args.warden,
        os.environ["WARDEN_SERVICE_ACCESS_KEY_ID"],
        os.environ["WARDEN_SERVICE_SECRET_ACCESS_KEY"],
        os.environ.get("WARDEN_SERVICE_SESSION_TOKEN"),
    )
    host, port = args.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), make_handler(authz, Store(owners)))
    print(f"listening on http://{host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
