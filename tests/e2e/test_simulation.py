"""Policy simulation (issue #4): SimulatePrincipalPolicy and SimulateCustomPolicy, checked against
AWS's documented output, plus agreement with live enforcement.

Sources:
* AWS CLI command reference examples shipped in awscli (examples/iam/simulate-custom-policy.rst,
  simulate-principal-policy.rst): the exact EvaluationResults for the DynamoDB/aws:CurrentTime custom
  policy (SourcePolicyId `PolicyInputList.1`, StartPosition Line 1 Column 38, EndPosition Line 1
  Column 167), `allowed` / `implicitDeny` with empty MatchedStatements, SourcePolicyId = the inline
  policy's name for a principal.
* IAM API reference (botocore's IAM model docs): EvaluationResult members; EvalDecision values
  allowed | explicitDeny | implicitDeny; Statement.SourcePolicyType user | group | role | aws-managed |
  user-managed | resource | none (a customer managed policy is `IAM Policy`, outside that enum, in
  AWS's recorded answer: LocalStack's test_iam.snapshot.json, test_simulate_principle_policy); MissingContextValues at top level only for resource "*", else under
  ResourceSpecificResults; EvalDecisionDetails absent for same-account "*" simulations and empty for
  same-account resource ARNs; ResourceOwner/CallerArn defaults; SimulatePrincipalPolicy errors
  NoSuchEntity / InvalidInput, SimulateCustomPolicy errors InvalidInput / PolicyEvaluation.
* Error texts users quote from AWS: `The role with name X cannot be found.` (NoSuchEntity for a
  missing PolicySourceArn entity; the user form is IAM's usual `The user with name X cannot be
  found.`), `Invalid Entity Arn: ARN does not clearly define entity type and name.` (InvalidInput),
  `User: ARN is not authorized to perform: iam:SimulateCustomPolicy on resource: * because no
  identity-based policy allows the iam:SimulateCustomPolicy action`.
* Evaluation semantics: IAM User Guide reference_policies_evaluation-logic (a same-account
  resource-based policy naming an IAM user ARN allows on its own), access_policies_boundaries.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from e2e_util import ACCOUNT_ID, create_user_with_key, make_client, raises_aws, unique

DOC_EXAMPLE = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
               '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')


def doc(*statements, indent=None) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=indent)


def allow(action, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"


def ctx(key: str, values, typ: str) -> dict:
    return {"ContextKeyName": key, "ContextKeyValues": list(values), "ContextKeyType": typ}


def by_action(resp) -> dict[str, dict]:
    out = {}
    for r in resp["EvaluationResults"]:
        assert r["EvalActionName"] not in out, "one result per action for a single resource"
        out[r["EvalActionName"]] = r
    return out


def decision_for(resp, action: str, resource: str) -> tuple[str, dict]:
    """The decision for (action, resource): a top-level result naming the resource, or the
    action's ResourceSpecificResults entry for it."""
    for r in resp["EvaluationResults"]:
        if r["EvalActionName"] != action:
            continue
        if r.get("EvalResourceName") == resource:
            return r["EvalDecision"], r
        for rs in r.get("ResourceSpecificResults", []):
            if rs["EvalResourceName"] == resource:
                return rs["EvalResourceDecision"], rs
    raise AssertionError(f"no result for {action} on {resource}: {resp['EvaluationResults']}")


def statement_lines(text: str, index: int) -> tuple[int, int]:
    """1-based lines of the opening and closing brace of the index-th statement of a document
    serialized with json.dumps(indent=...) (statements are the objects at depth 2)."""
    depth, n, start = 0, -1, None
    in_str = esc = False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
            if ch == "{" and depth == 3:
                n += 1
                if n == index:
                    start = text.count("\n", 0, i) + 1
        elif ch in "}]":
            if ch == "}" and depth == 3 and n == index:
                return start, text.count("\n", 0, i) + 1
            depth -= 1
    raise AssertionError("statement not found")


def check_not_implemented(call):
    try:
        return call()
    except ClientError as e:
        if e.response["Error"]["Code"] in ("NotImplemented", "NotImplementedException"):
            pytest.fail("not implemented: " + e.response["Error"]["Message"])
        raise


# --------------------------------------------------------------------------------------
# SimulateCustomPolicy
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["root", "user"])
def sim(request, server, iam):
    """The caller of SimulateCustomPolicy: the account root, or a user allowed only iam:Simulate*.
    The caller must not change the result: only the input policies are evaluated."""
    if request.param == "root":
        return iam
    user, creds = create_user_with_key(iam, unique("simcaller"))
    iam.put_user_policy(UserName=user["UserName"], PolicyName="sim", PolicyDocument=doc(allow("iam:Simulate*")))
    return make_client("iam", server.url, creds)



def test_custom_policy_documented_example(iam, sim):
    r = sim.simulate_custom_policy(
        PolicyInputList=[DOC_EXAMPLE], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[ctx("aws:CurrentTime", ["2019-04-25T11:00:00Z"], "date")])
    assert r["IsTruncated"] is False
    [res] = r["EvaluationResults"]
    assert res["EvalActionName"] == "dynamodb:CreateBackup"
    assert res["EvalResourceName"] == "*"
    assert res["EvalDecision"] == "allowed"
    assert res["MissingContextValues"] == []
    assert len(res["MatchedStatements"]) == 1, res
    m = res["MatchedStatements"][0]
    assert m["SourcePolicyId"] == "PolicyInputList.1"
    assert m["StartPosition"] == {"Line": 1, "Column": 38}
    assert m["EndPosition"] == {"Line": 1, "Column": 167}
    assert "EvalDecisionDetails" not in res  # same account, resource "*"

    r = sim.simulate_custom_policy(
        PolicyInputList=[DOC_EXAMPLE], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[ctx("aws:CurrentTime", ["2014-04-25T11:00:00Z"], "date")])
    [res] = r["EvaluationResults"]
    assert res["EvalDecision"] == "implicitDeny"
    assert res["MatchedStatements"] == [] and res["MissingContextValues"] == []


def test_custom_policy_documented_example_with_the_cli(aws):
    # The AWS CLI reference's own example, run verbatim: the output must be the documented one.
    res = aws("iam", "simulate-custom-policy", "--policy-input-list", DOC_EXAMPLE,
              "--action-names", "dynamodb:CreateBackup", "--context-entries",
              "ContextKeyName='aws:CurrentTime',ContextKeyValues='2019-04-25T11:00:00Z',ContextKeyType=date")
    assert res.returncode == 0, res.stderr
    [r] = res.json["EvaluationResults"]
    for m in r.get("MatchedStatements", []):
        m.pop("SourcePolicyType", None)  # newer than the documented output
    assert r == {
        "EvalActionName": "dynamodb:CreateBackup",
        "EvalResourceName": "*",
        "EvalDecision": "allowed",
        "MatchedStatements": [{"SourcePolicyId": "PolicyInputList.1",
                               "StartPosition": {"Line": 1, "Column": 38},
                               "EndPosition": {"Line": 1, "Column": 167}}],
        "MissingContextValues": [],
    }
    res = aws("iam", "simulate-custom-policy", "--policy-input-list", DOC_EXAMPLE,
              "--action-names", "dynamodb:CreateBackup", "--context-entries",
              "ContextKeyName='aws:CurrentTime',ContextKeyValues='2014-04-25T11:00:00Z',ContextKeyType=date")
    assert res.returncode == 0, res.stderr
    assert res.json["EvaluationResults"] == [{"EvalActionName": "dynamodb:CreateBackup", "EvalResourceName": "*",
                                              "EvalDecision": "implicitDeny", "MatchedStatements": [],
                                              "MissingContextValues": []}]


def test_custom_policy_three_decisions_and_positions(iam, sim):
    p1 = doc(allow("iam:*"), indent=2)
    p2 = doc(allow("iam:ListUsers"), deny(["iam:DeleteUser", "iam:DeletePolicy"]), indent=4)
    r = sim.simulate_custom_policy(PolicyInputList=[p1, p2],
                                   ActionNames=["iam:GetUser", "iam:DeleteUser", "s3:GetObject"])
    res = by_action(r)
    assert {a: x["EvalDecision"] for a, x in res.items()} == {
        "iam:GetUser": "allowed", "iam:DeleteUser": "explicitDeny", "s3:GetObject": "implicitDeny"}
    assert res["s3:GetObject"]["MatchedStatements"] == []

    [m] = res["iam:GetUser"]["MatchedStatements"]
    assert m["SourcePolicyId"] == "PolicyInputList.1"
    assert (m["StartPosition"]["Line"], m["EndPosition"]["Line"]) == statement_lines(p1, 0)

    deny_matches = [x for x in res["iam:DeleteUser"]["MatchedStatements"] if x["SourcePolicyId"] == "PolicyInputList.2"]
    assert len(deny_matches) == 1, res["iam:DeleteUser"]
    d = deny_matches[0]
    assert (d["StartPosition"]["Line"], d["EndPosition"]["Line"]) == statement_lines(p2, 1)
    # The allow from policy 1 may be listed too; nothing from elsewhere.
    assert {x["SourcePolicyId"] for x in res["iam:DeleteUser"]["MatchedStatements"]} <= {"PolicyInputList.1", "PolicyInputList.2"}


def test_custom_policy_context_entries_source_ip(iam, sim):
    p = doc(allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    inside = sim.simulate_custom_policy(PolicyInputList=[p], ActionNames=["iam:GetUser"],
                                        ContextEntries=[ctx("aws:SourceIp", ["10.1.2.3"], "ip")])
    assert inside["EvaluationResults"][0]["EvalDecision"] == "allowed"
    outside = sim.simulate_custom_policy(PolicyInputList=[p], ActionNames=["iam:GetUser"],
                                         ContextEntries=[ctx("aws:SourceIp", ["192.168.1.1"], "ip")])
    assert outside["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert outside["EvaluationResults"][0]["MissingContextValues"] == []
    missing = sim.simulate_custom_policy(PolicyInputList=[p], ActionNames=["iam:GetUser"])
    res = missing["EvaluationResults"][0]
    assert res["EvalDecision"] == "implicitDeny"
    assert [k.lower() for k in res["MissingContextValues"]] == ["aws:sourceip"]
    # Context entries of other types: a string and a number.
    p2 = doc(allow("iam:GetUser", Condition={"StringEquals": {"aws:username": "alice"},
                                             "NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}))
    ok = sim.simulate_custom_policy(PolicyInputList=[p2], ActionNames=["iam:GetUser"], ContextEntries=[
        ctx("aws:username", ["alice"], "string"), ctx("aws:MultiFactorAuthAge", ["60"], "numeric")])
    assert ok["EvaluationResults"][0]["EvalDecision"] == "allowed"
    old = sim.simulate_custom_policy(PolicyInputList=[p2], ActionNames=["iam:GetUser"], ContextEntries=[
        ctx("aws:username", ["alice"], "string"), ctx("aws:MultiFactorAuthAge", ["3600"], "numeric")])
    assert old["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"


def test_custom_policy_resource_arns(iam, sim):
    team = user_arn("alice", "/team/")
    other = user_arn("bob", "/other/")
    p = doc(allow("iam:GetUser", "arn:aws:iam::*:user/team/*"),
            allow("iam:DeleteUser", "arn:aws:iam::*:user/team/*",
                  Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))
    r = sim.simulate_custom_policy(PolicyInputList=[p], ActionNames=["iam:GetUser", "iam:DeleteUser"],
                                   ResourceArns=[team, other])
    assert decision_for(r, "iam:GetUser", team)[0] == "allowed"
    assert decision_for(r, "iam:GetUser", other)[0] == "implicitDeny"
    assert decision_for(r, "iam:DeleteUser", other)[0] == "implicitDeny"
    dec, top = decision_for(r, "iam:DeleteUser", team)
    assert dec == "implicitDeny"
    # With a resource list, missing context keys are reported per resource, in the result's
    # ResourceSpecificResults entry, and the top-level list is empty (API reference,
    # MissingContextValues; AWS's recorded answer in LocalStack's test_iam.snapshot.json,
    # test_simulate_principle_policy).
    assert top["MissingContextValues"] == [], top
    [detail] = top["ResourceSpecificResults"]
    assert detail["EvalResourceName"] == team and detail["EvalResourceDecision"] == "implicitDeny", detail
    assert [k.lower() for k in detail.get("MissingContextValues", [])] == ["aws:requestedregion"], detail
    for res in r["EvaluationResults"]:
        assert res.get("EvalDecisionDetails", {}) == {}  # same account: never populated


def test_custom_policy_permissions_boundary(iam, sim):
    r = sim.simulate_custom_policy(
        PolicyInputList=[doc(allow("*"))],
        PermissionsBoundaryPolicyInputList=[doc(allow(["iam:Get*", "iam:List*"]))],
        ActionNames=["iam:GetUser", "iam:CreateUser"])
    res = by_action(r)
    assert res["iam:GetUser"]["EvalDecision"] == "allowed"
    assert res["iam:GetUser"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert res["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert res["iam:CreateUser"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # A deny in the boundary is an explicit deny.
    r = sim.simulate_custom_policy(
        PolicyInputList=[doc(allow("*"))],
        PermissionsBoundaryPolicyInputList=[doc(allow("*"), deny("iam:DeleteUser"))],
        ActionNames=["iam:DeleteUser"])
    assert r["EvaluationResults"][0]["EvalDecision"] == "explicitDeny"


def test_custom_policy_resource_policy_with_caller(iam, sim):
    alice = unique("alice")
    bob = unique("bob")
    iam.create_user(UserName=alice)
    iam.create_user(UserName=bob)
    bucket_obj = "arn:aws:s3:::warden-sim-bucket/report.csv"
    rp = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn(alice)}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::warden-sim-bucket/*"},
        {"Effect": "Deny", "Principal": {"AWS": user_arn(alice)}, "Action": "s3:DeleteObject",
         "Resource": "arn:aws:s3:::warden-sim-bucket/*"}]})
    identity = doc(allow("s3:DeleteObject"))  # nothing about GetObject
    common = dict(PolicyInputList=[identity], ResourcePolicy=rp, ResourceArns=[bucket_obj],
                  ActionNames=["s3:GetObject", "s3:DeleteObject"])
    ra = sim.simulate_custom_policy(CallerArn=user_arn(alice), **common)
    dec, detail = decision_for(ra, "s3:GetObject", bucket_obj)
    assert dec == "allowed"  # same-account resource policy naming the user allows on its own
    assert any(m.get("SourcePolicyType") == "resource" or m["SourcePolicyId"] == "ResourcePolicy"
               for m in detail.get("MatchedStatements", [])), detail
    assert decision_for(ra, "s3:DeleteObject", bucket_obj)[0] == "explicitDeny"
    rb = sim.simulate_custom_policy(CallerArn=user_arn(bob), **common)
    assert decision_for(rb, "s3:GetObject", bucket_obj)[0] == "implicitDeny"
    assert decision_for(rb, "s3:DeleteObject", bucket_obj)[0] == "allowed"


def test_custom_policy_bad_input(iam, sim):
    for bad in ("{not json", doc({"Effect": "Allow", "Resource": "*"}),
                doc({"Effect": "Allow", "Principal": "*", "Action": "iam:GetUser", "Resource": "*"})):
        with pytest.raises(ClientError) as e:
            sim.simulate_custom_policy(PolicyInputList=[bad], ActionNames=["iam:GetUser"])
        err = e.value.response
        assert err["Error"]["Code"] in ("MalformedPolicyDocument", "InvalidInput"), err["Error"]
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_simulation_pagination(iam, sim):
    actions = ["iam:GetUser", "iam:ListUsers", "iam:CreateUser"]
    first = sim.simulate_custom_policy(PolicyInputList=[doc(allow("iam:*"))], ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True and first["Marker"] and len(first["EvaluationResults"]) == 2
    rest = sim.simulate_custom_policy(PolicyInputList=[doc(allow("iam:*"))], ActionNames=actions, Marker=first["Marker"])
    assert rest["IsTruncated"] is False and len(rest["EvaluationResults"]) == 1
    got = [x["EvalActionName"] for x in first["EvaluationResults"] + rest["EvaluationResults"]]
    assert sorted(got) == sorted(actions)


# --------------------------------------------------------------------------------------
# SimulatePrincipalPolicy
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def subject(server, iam):
    """A user with an inline policy, an attached customer managed policy, a group with an inline
    deny, and a permissions boundary."""
    name = unique("simu")
    boundary = iam.create_policy(PolicyName=unique("sim-bnd"), PolicyDocument=doc(
        allow(["iam:Get*", "iam:List*", "iam:CreateUser", "iam:CreateAccessKey"])))["Policy"]["Arn"]
    user, creds = create_user_with_key(iam, name, PermissionsBoundary=boundary)
    iam.put_user_policy(UserName=name, PolicyName="inl", PolicyDocument=doc(
        allow(["iam:GetUser", "iam:CreateUser", "iam:DeleteUser"]),
        allow("iam:CreateAccessKey", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    mgd_name = unique("mgd")
    mgd = iam.create_policy(PolicyName=mgd_name, PolicyDocument=doc(allow("iam:ListGroups")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=mgd)
    group = unique("simg")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="gdeny", PolicyDocument=doc(deny("iam:CreateUser")))
    iam.add_user_to_group(GroupName=group, UserName=name)
    return {"name": name, "arn": user["Arn"], "creds": creds, "mgd_name": mgd_name, "group": group,
            "boundary": boundary, "client": make_client("iam", server.url, creds)}


def test_principal_policy_decisions_and_sources(iam, subject):
    r = iam.simulate_principal_policy(
        PolicySourceArn=subject["arn"],
        ActionNames=["iam:GetUser", "iam:CreateUser", "iam:DeleteUser", "iam:ListGroups", "iam:ListUsers"])
    res = by_action(r)
    dec = {a: x["EvalDecision"] for a, x in res.items()}
    assert dec == {"iam:GetUser": "allowed", "iam:CreateUser": "explicitDeny", "iam:DeleteUser": "implicitDeny",
                   "iam:ListGroups": "allowed", "iam:ListUsers": "implicitDeny"}, dec

    get = res["iam:GetUser"]["MatchedStatements"]
    # The user's inline policy is the identity match; the boundary's allowing statement may be
    # listed too, nothing else.
    bnd_name = subject["boundary"].rsplit("/", 1)[1]
    assert ("inl", "user") in [(m["SourcePolicyId"], m.get("SourcePolicyType")) for m in get], get
    assert {m["SourcePolicyId"] for m in get} <= {"inl", bnd_name}, get
    lg = [m for m in res["iam:ListGroups"]["MatchedStatements"] if m["SourcePolicyId"] != bnd_name]
    assert len(lg) == 1 and lg[0]["SourcePolicyId"] == subject["mgd_name"] and lg[0].get("SourcePolicyType") == "IAM Policy", lg
    cu = res["iam:CreateUser"]["MatchedStatements"]
    group_hits = [m for m in cu if m.get("SourcePolicyType") == "group"]
    assert len(group_hits) == 1 and "gdeny" in group_hits[0]["SourcePolicyId"], cu
    assert [m for m in res["iam:ListUsers"]["MatchedStatements"] if m["SourcePolicyId"] != bnd_name] == []

    pb = {a: x.get("PermissionsBoundaryDecisionDetail") for a, x in res.items()}
    assert pb["iam:GetUser"] == {"AllowedByPermissionsBoundary": True}
    assert pb["iam:ListUsers"] == {"AllowedByPermissionsBoundary": True}
    assert pb["iam:DeleteUser"] == {"AllowedByPermissionsBoundary": False}


def test_principal_policy_context_and_extra_policies(iam, subject):
    base = dict(PolicySourceArn=subject["arn"], ActionNames=["iam:CreateAccessKey"])
    missing = iam.simulate_principal_policy(**base)["EvaluationResults"][0]
    assert missing["EvalDecision"] == "implicitDeny"
    assert [k.lower() for k in missing["MissingContextValues"]] == ["aws:sourceip"]
    inside = iam.simulate_principal_policy(**base, ContextEntries=[ctx("aws:SourceIp", ["10.9.8.7"], "ip")])
    assert inside["EvaluationResults"][0]["EvalDecision"] == "allowed"
    outside = iam.simulate_principal_policy(**base, ContextEntries=[ctx("aws:SourceIp", ["127.0.0.1"], "ip")])
    assert outside["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    # PolicyInputList adds policies to the principal's own.
    extra = iam.simulate_principal_policy(PolicySourceArn=subject["arn"], ActionNames=["iam:ListUsers"],
                                          PolicyInputList=[doc(allow("iam:ListUsers"))])
    [res] = extra["EvaluationResults"]
    assert res["EvalDecision"] == "allowed"
    assert [m["SourcePolicyId"] for m in res["MatchedStatements"]] == ["PolicyInputList.1"]
    # Resource ARNs: DeleteUser on a specific user, still capped by the boundary.
    target = user_arn("someone")
    rr = iam.simulate_principal_policy(PolicySourceArn=subject["arn"], ActionNames=["iam:GetUser", "iam:DeleteUser"],
                                       ResourceArns=[target])
    assert decision_for(rr, "iam:GetUser", target)[0] == "allowed"
    assert decision_for(rr, "iam:DeleteUser", target)[0] == "implicitDeny"


def test_simulator_agrees_with_enforcement(iam, subject):
    me = subject["client"]
    sim = by_action(iam.simulate_principal_policy(
        PolicySourceArn=subject["arn"], ActionNames=["iam:GetUser", "iam:CreateUser", "iam:DeleteUser", "iam:ListGroups"],
        ResourceArns=["*"]))
    victim = unique("victim")
    iam.create_user(UserName=victim)
    new = unique("new")
    live = {}
    for action, call in (
        ("iam:GetUser", lambda: me.get_user(UserName=subject["name"])),
        ("iam:CreateUser", lambda: me.create_user(UserName=new)),
        ("iam:DeleteUser", lambda: me.delete_user(UserName=victim)),
        ("iam:ListGroups", lambda: me.list_groups()),
    ):
        try:
            call()
            live[action] = "allowed"
        except ClientError as e:
            assert e.response["Error"]["Code"] == "AccessDenied", e.response
            msg = e.response["Error"]["Message"]
            live[action] = "explicitDeny" if "with an explicit deny" in msg else "implicitDeny"
    assert live == {a: x["EvalDecision"] for a, x in sim.items()}


def test_principal_policy_for_a_group(iam, subject):
    garn = f"arn:aws:iam::{ACCOUNT_ID}:group/{subject['group']}"
    r = by_action(iam.simulate_principal_policy(PolicySourceArn=garn, ActionNames=["iam:CreateUser", "iam:GetUser"]))
    assert r["iam:CreateUser"]["EvalDecision"] == "explicitDeny"
    assert r["iam:GetUser"]["EvalDecision"] == "implicitDeny"  # the user's own policies are not the group's


def test_principal_policy_errors(iam):
    ghost = user_arn("ghost-" + unique("g"))
    name = ghost.rsplit("/", 1)[1]
    with raises_aws("NoSuchEntity", f"The user with name {name} cannot be found.", 404):
        iam.simulate_principal_policy(PolicySourceArn=ghost, ActionNames=["iam:GetUser"])
    gghost = f"arn:aws:iam::{ACCOUNT_ID}:group/ghost-group-zz"
    with raises_aws("NoSuchEntity", "The group with name ghost-group-zz cannot be found.", 404):
        iam.simulate_principal_policy(PolicySourceArn=gghost, ActionNames=["iam:GetUser"])
    session = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/u-admin/botocore-session-0987654321"
    with raises_aws("InvalidInput",
                    f"Invalid Entity Arn: {session} does not clearly define entity type and name.", 400):
        iam.simulate_principal_policy(PolicySourceArn=session, ActionNames=["iam:GetUser"])
    user = unique("simerr")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=user_arn(user), ActionNames=["iam:GetUser"],
                                      PolicyInputList=["{broken"])
    assert e.value.response["Error"]["Code"] in ("MalformedPolicyDocument", "InvalidInput"), e.value.response["Error"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_simulation_needs_permission(server, iam):
    user, creds = create_user_with_key(iam, unique("nosim"))
    me = make_client("iam", server.url, creds)
    arn = user["Arn"]
    with raises_aws("AccessDenied",
                    f"User: {arn} is not authorized to perform: iam:SimulateCustomPolicy on resource: * because no "
                    f"identity-based policy allows the iam:SimulateCustomPolicy action", 403):
        me.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["iam:GetUser"])
    other = unique("other")
    iam.create_user(UserName=other)
    with raises_aws("AccessDenied",
                    f"User: {arn} is not authorized to perform: iam:SimulatePrincipalPolicy on resource: "
                    f"{user_arn(other)} because no identity-based policy allows the iam:SimulatePrincipalPolicy action", 403):
        me.simulate_principal_policy(PolicySourceArn=user_arn(other), ActionNames=["iam:GetUser"])
    # Allowed counterpart: grant both (the principal one on its own user only).
    iam.put_user_policy(UserName=user["UserName"], PolicyName="sim", PolicyDocument=doc(
        allow("iam:SimulateCustomPolicy"),
        allow("iam:SimulatePrincipalPolicy", "arn:aws:iam::*:user/${aws:username}")))
    assert me.simulate_custom_policy(PolicyInputList=[doc(allow("*"))], ActionNames=["iam:GetUser"])[
        "EvaluationResults"][0]["EvalDecision"] == "allowed"
    own = me.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:SimulateCustomPolicy", "iam:DeleteUser"])
    assert {x["EvalActionName"]: x["EvalDecision"] for x in own["EvaluationResults"]} == {
        "iam:SimulateCustomPolicy": "allowed", "iam:DeleteUser": "implicitDeny"}
    with raises_aws("AccessDenied", status=403):
        me.simulate_principal_policy(PolicySourceArn=user_arn(other), ActionNames=["iam:GetUser"])


# --------------------------------------------------------------------------------------
# Context keys of policies (GetContextKeysFor*Policy)
# --------------------------------------------------------------------------------------


def test_context_keys_for_policies(iam, subject):
    p = doc(allow("iam:GetUser", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                                            "StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    keys = check_not_implemented(lambda: iam.get_context_keys_for_custom_policy(PolicyInputList=[p]))["ContextKeyNames"]
    assert {k.lower() for k in keys} == {"aws:sourceip", "aws:principaltag/team"}
    pk = check_not_implemented(lambda: iam.get_context_keys_for_principal_policy(PolicySourceArn=subject["arn"]))
    assert "aws:sourceip" in {k.lower() for k in pk["ContextKeyNames"]}


def test_the_simulator_decides_assume_role_from_identity_policies(iam, sim):
    """AWS's policy simulator derives its verdict for sts:AssumeRole* from the identity policies only, without
    the role's trust policy (aws/aws-cli#10314, 11 cases verified against AWS). Real AssumeRole requests still
    need the trust policy to allow; only the simulator leaves it out."""
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/some-role"
    allowed = sim.simulate_custom_policy(
        PolicyInputList=[doc(allow("sts:AssumeRole"))], ActionNames=["sts:AssumeRole"], ResourceArns=[role_arn]
    )["EvaluationResults"][0]
    assert allowed["EvalDecision"] == "allowed", allowed
    # Control: without the identity allow it is an implicit deny.
    denied = sim.simulate_custom_policy(
        PolicyInputList=[doc(allow("s3:GetObject"))], ActionNames=["sts:AssumeRole"], ResourceArns=[role_arn]
    )["EvaluationResults"][0]
    assert denied["EvalDecision"] == "implicitDeny", denied
