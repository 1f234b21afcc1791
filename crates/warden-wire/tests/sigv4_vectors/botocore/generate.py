"""Regenerates the botocore-signed requests in this directory.

Each case is signed by botocore's own SigV4 signers (the code the aws CLI and
boto3 use) at the suite time 2015-08-30T12:36:00Z, so the verifier is checked
against what real IAM/STS/Organizations clients send. Run with any botocore:
    python3 generate.py
"""
import datetime
import os
from unittest import mock

import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
T = datetime.datetime(2015, 8, 30, 12, 36, 0)
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEBYaDHVzZXItdG9rZW4+/="


def dump(name, req):
    split = req.url.split("://", 1)[1]
    path_q = "/" + split.split("/", 1)[1] if "/" in split else "/"
    lines = ["%s %s HTTP/1.1" % (req.method, path_q)]
    for k, v in req.headers.items():
        lines.append("%s:%s" % (k, v.decode() if isinstance(v, bytes) else v))
    body = req.body or b""
    if isinstance(body, str):
        body = body.encode()
    with open(os.path.join(HERE, name + ".txt"), "wb") as f:
        f.write(("\n".join(lines) + "\n\n").encode() + body)


def sign(name, method, url, service, region, body=None, headers=None, token=None, query=False, expires=900):
    creds = Credentials(AKID, SECRET, token)
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    # Older botocore reads datetime.datetime.utcnow(), newer get_current_datetime().
    patches = [mock.patch("botocore.auth.datetime")]
    if hasattr(botocore.auth, "get_current_datetime"):
        patches.append(mock.patch("botocore.auth.get_current_datetime", return_value=T))
    with patches[0] as dt, (patches[1] if len(patches) > 1 else mock.MagicMock()):
        dt.datetime.utcnow.return_value = T
        dt.datetime.now.return_value = T
        dt.datetime.strptime = datetime.datetime.strptime
        if query:
            SigV4QueryAuth(creds, service, region, expires=expires).add_auth(req)
        else:
            SigV4Auth(creds, service, region).add_auth(req)
    prepared = req.prepare()
    # Host is added by the HTTP layer; botocore signs it from the URL.
    prepared.headers["Host"] = url.split("://", 1)[1].split("/", 1)[0]
    dump(name, prepared)


form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
sign("iam-list-users", "POST", "https://iam.amazonaws.com/", "iam", "us-east-1",
     body="Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fdivision_abc%2F", headers=form)
sign("sts-get-caller-identity-token", "POST", "http://localhost:4566/", "sts", "us-east-1",
     body="Action=GetCallerIdentity&Version=2011-06-15", headers=form, token=TOKEN)
sign("iam-create-user-tags", "POST", "http://127.0.0.1:8080/", "iam", "us-east-1",
     body="Action=CreateUser&Version=2010-05-08&UserName=b%C3%B6b+x&Tags.member.1.Key=k%2Fe%3Dy&Tags.member.1.Value=v+a%20l",
     headers=form)
sign("sts-get-query", "GET",
     "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&Extra=a%20b%2Bc~", "sts", "us-east-1")
sign("organizations-json", "POST", "https://organizations.us-east-1.amazonaws.com/", "organizations", "us-east-1",
     body='{"MaxResults": 10}',
     headers={"Content-Type": "application/x-amz-json-1.1",
              "X-Amz-Target": "AWSOrganizationsV20161128.ListAccounts"})
sign("sts-presigned-get-caller-identity", "GET",
     "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", "sts", "us-east-1",
     token=TOKEN, query=True, expires=60)
sign("iam-path-encoded", "POST", "http://localhost:4566/some%20path/x%2Fy/", "iam", "us-east-1",
     body="Action=ListUsers&Version=2010-05-08", headers=form)
