"""IAM last-accessed information: GenerateServiceLastAccessedDetails,
GetServiceLastAccessedDetails, GetServiceLastAccessedDetailsWithEntities and
ListPoliciesGrantingServiceAccess through the real binary, boto3 and the aws CLI.

No recording of these operations exists in LocalStack's AWS snapshot suite or in moto's tests
(moto does not implement them). The shapes are the botocore model's (JobId; JobStatus,
JobType, JobCreationDate, JobCompletionDate, ServicesLastAccessed with ServiceName,
ServiceNamespace, LastAuthenticated, LastAuthenticatedEntity, LastAuthenticatedRegion,
TotalAuthenticatedEntities, TrackedActionsLastAccessed; EntityDetailsList of EntityInfo and
LastAuthenticated; PoliciesGrantingServiceAccess with PolicyName, PolicyType, PolicyArn for a
managed policy, EntityType and EntityName for an inline one, which the model says "are null for
managed policies"). The rules are the API reference's and the IAM User Guide's ("Refining
permissions using last accessed information"): a report covers the services the entity's
identity policies allow; a group's report names the member users, a policy's the users and roles
holding it; action-level tracking covers EC2, IAM, Lambda and S3 only; the data "includes all
attempts to access an Amazon Web Services API, not just the successful ones"; a JobId "must be used
by the same role within a session, or by the same user"; GetServiceLastAccessedDetailsWithEntities
is "sorted by date, with the most recent access listed first".
Ours, for want of a recording: the NoSuchEntity texts for an unknown job (also another
principal's) and entity, the
InvalidInput text for an ARN that names no user, group, role or policy, ServiceName as the
Service Authorization Reference names the service, the order (by namespace), and that
TrackedActionsLastAccessed lists every allowed action (used ones with their time).
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from e2e_util import (
    ACCOUNT_ID,
    Creds,
    access_denied_message,
    create_user_with_key,
    grant,
    make_client,
    member_session,
    new_organization,
    policy_doc,
    raises_aws,
    run_aws,
    unique,
    utcnow,
)


def doc(*actions: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}
    )


def report(iam, arn: str, granularity: str = "SERVICE_LEVEL") -> dict:
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    assert uuid.UUID(job).version == 4
    return iam.get_service_last_accessed_details(JobId=job) | {"JobId": job}


def by_namespace(r: dict) -> dict:
    return {s["ServiceNamespace"]: s for s in r["ServicesLastAccessed"]}


def test_a_users_report_shows_the_services_its_policies_allow_and_what_it_used(server, iam):
    before = utcnow().replace(microsecond=0)
    user, creds = create_user_with_key(iam)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=doc("iam:GetUser", "s3:List*"))
    make_client("iam", server.url, creds).get_user(UserName=user["UserName"])

    r = report(iam, user["Arn"])
    assert (r["JobStatus"], r["JobType"]) == ("COMPLETED", "SERVICE_LEVEL")
    assert r["JobCompletionDate"] >= r["JobCreationDate"] >= before
    assert r["IsTruncated"] is False
    services = by_namespace(r)
    assert list(services) == ["iam", "s3"]
    used = services["iam"]
    assert used["LastAuthenticated"] >= before
    assert (used["LastAuthenticatedEntity"], used["LastAuthenticatedRegion"], used["TotalAuthenticatedEntities"]) == (
        user["Arn"],
        "us-east-1",
        1,
    )
    assert "TrackedActionsLastAccessed" not in used
    unused = services["s3"]
    assert unused["TotalAuthenticatedEntities"] == 0
    assert not {"LastAuthenticated", "LastAuthenticatedEntity", "LastAuthenticatedRegion"} & set(unused)
    assert all(s["ServiceName"] for s in r["ServicesLastAccessed"])


def test_action_level_tracks_iam_actions_one_by_one(server, iam):
    user, creds = create_user_with_key(iam)
    iam.put_user_policy(
        UserName=user["UserName"], PolicyName="p", PolicyDocument=doc("iam:GetUser", "iam:ListUsers", "s3:ListAllMyBuckets")
    )
    make_client("iam", server.url, creds).list_users()

    r = report(iam, user["Arn"], "ACTION_LEVEL")
    assert r["JobType"] == "ACTION_LEVEL"
    services = by_namespace(r)
    tracked = {a["ActionName"]: a for a in services["iam"]["TrackedActionsLastAccessed"]}
    assert set(tracked) == {"GetUser", "ListUsers"}
    assert (tracked["ListUsers"]["LastAccessedEntity"], tracked["ListUsers"]["LastAccessedRegion"]) == (
        user["Arn"],
        "us-east-1",
    )
    assert "LastAccessedTime" in tracked["ListUsers"]
    assert set(tracked["GetUser"]) == {"ActionName"}
    # S3 is tracked by action too, with nothing used.
    assert [a["ActionName"] for a in services["s3"]["TrackedActionsLastAccessed"]] == ["ListAllMyBuckets"]


def test_a_groups_report_names_the_member_who_used_it(server, iam):
    group = iam.create_group(GroupName=unique("grp"))["Group"]
    iam.put_group_policy(GroupName=group["GroupName"], PolicyName="p", PolicyDocument=doc("iam:ListGroups"))
    used, creds = create_user_with_key(iam)
    idle, _ = create_user_with_key(iam)
    for u in (used, idle):
        iam.add_user_to_group(GroupName=group["GroupName"], UserName=u["UserName"])
    make_client("iam", server.url, creds).list_groups()

    r = report(iam, group["Arn"])
    svc = by_namespace(r)["iam"]
    assert (svc["LastAuthenticatedEntity"], svc["TotalAuthenticatedEntities"]) == (used["Arn"], 1)

    entities = iam.get_service_last_accessed_details_with_entities(JobId=r["JobId"], ServiceNamespace="iam")
    assert entities["JobStatus"] == "COMPLETED"
    got = {e["EntityInfo"]["Arn"]: e for e in entities["EntityDetailsList"]}
    assert set(got) == {used["Arn"], idle["Arn"]}
    info = got[used["Arn"]]["EntityInfo"]
    assert (info["Name"], info["Type"], info["Id"], info["Path"]) == (used["UserName"], "USER", used["UserId"], "/")
    assert "LastAuthenticated" in got[used["Arn"]]
    assert "LastAuthenticated" not in got[idle["Arn"]]


def test_a_denied_attempt_counts_as_access_as_on_aws(server, iam):
    user, creds = create_user_with_key(iam)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=doc("iam:GetUser"))
    with raises_aws("AccessDenied", status=403):
        make_client("iam", server.url, creds).list_roles()
    svc = by_namespace(report(iam, user["Arn"], "ACTION_LEVEL"))["iam"]
    assert (svc["LastAuthenticatedEntity"], svc["TotalAuthenticatedEntities"]) == (user["Arn"], 1)
    # Tracked actions are the allowed ones: the denied ListRoles is not among them.
    assert [a["ActionName"] for a in svc["TrackedActionsLastAccessed"]] == ["GetUser"]


def test_entities_come_most_recent_first(server, iam):
    group = iam.create_group(GroupName=unique("grp"))["Group"]
    iam.put_group_policy(GroupName=group["GroupName"], PolicyName="p", PolicyDocument=doc("iam:ListGroups"))
    members = [create_user_with_key(iam, unique(f"m{i}")) for i in range(3)]
    for u, _ in members:
        iam.add_user_to_group(GroupName=group["GroupName"], UserName=u["UserName"])
    for u, creds in (members[0], members[2]):
        make_client("iam", server.url, creds).list_groups()
        time.sleep(1.1)
    job = iam.generate_service_last_accessed_details(Arn=group["Arn"])["JobId"]
    got = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")["EntityDetailsList"]
    assert [e["EntityInfo"]["Arn"] for e in got] == [members[2][0]["Arn"], members[0][0]["Arn"], members[1][0]["Arn"]]
    first = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam", MaxItems=1)
    rest = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="iam", Marker=first["Marker"]
    )
    assert [e["EntityInfo"]["Arn"] for e in first["EntityDetailsList"] + rest["EntityDetailsList"]] == [
        e["EntityInfo"]["Arn"] for e in got
    ]


def test_a_job_is_read_by_the_principal_that_generated_it_only(server, iam):
    target, _ = create_user_with_key(iam)
    reader, creds = create_user_with_key(iam)
    grant(iam, reader["UserName"], ["iam:GetServiceLastAccessedDetails", "iam:GenerateServiceLastAccessedDetails"])
    job = iam.generate_service_last_accessed_details(Arn=target["Arn"])["JobId"]
    as_reader = make_client("iam", server.url, creds)
    with raises_aws("NoSuchEntity", f"No job found with JobId {job}.", 404):
        as_reader.get_service_last_accessed_details(JobId=job)
    # Control: the reader's own job is its to read.
    own = as_reader.generate_service_last_accessed_details(Arn=target["Arn"])["JobId"]
    assert as_reader.get_service_last_accessed_details(JobId=own)["JobStatus"] == "COMPLETED"


def test_a_roles_report_shows_its_sessions_use(server, iam):
    user, creds = create_user_with_key(iam)
    role = iam.create_role(
        RoleName=unique("role"),
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}],
            }
        ),
    )["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=doc("iam:ListRoles"))
    c = make_client("sts", server.url, creds).assume_role(RoleArn=role["Arn"], RoleSessionName="report-session")["Credentials"]
    make_client("iam", server.url, Creds(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])).list_roles()

    svc = by_namespace(report(iam, role["Arn"]))["iam"]
    assert (svc["LastAuthenticatedEntity"], svc["TotalAuthenticatedEntities"]) == (role["Arn"], 1)


def test_a_policys_report_covers_the_users_and_roles_holding_it(server, iam):
    pol = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=doc("iam:ListPolicies"))["Policy"]
    user, creds = create_user_with_key(iam)
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=pol["Arn"])
    make_client("iam", server.url, creds).list_policies(Scope="Local", MaxItems=1)

    r = report(iam, pol["Arn"])
    assert list(by_namespace(r)) == ["iam"]
    assert by_namespace(r)["iam"]["LastAuthenticatedEntity"] == user["Arn"]
    ents = iam.get_service_last_accessed_details_with_entities(JobId=r["JobId"], ServiceNamespace="iam")
    assert [e["EntityInfo"]["Arn"] for e in ents["EntityDetailsList"]] == [user["Arn"]]


def test_pages_of_services_follow_the_marker(server, iam):
    user, _ = create_user_with_key(iam)
    iam.put_user_policy(UserName=user["UserName"], PolicyName="p", PolicyDocument=doc("iam:GetUser", "s3:GetObject", "ec2:DescribeInstances"))
    job = iam.generate_service_last_accessed_details(Arn=user["Arn"])["JobId"]
    first = iam.get_service_last_accessed_details(JobId=job, MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.get_service_last_accessed_details(JobId=job, Marker=first["Marker"])
    names = [s["ServiceNamespace"] for s in first["ServicesLastAccessed"] + rest["ServicesLastAccessed"]]
    assert names == ["ec2", "iam", "s3"]


def test_unknown_jobs_and_entities_are_no_such_entity(server, iam):
    missing = str(uuid.uuid4())
    with raises_aws("NoSuchEntity", f"No job found with JobId {missing}.", 404):
        iam.get_service_last_accessed_details(JobId=missing)
    with raises_aws("NoSuchEntity", status=404):
        iam.get_service_last_accessed_details_with_entities(JobId=missing, ServiceNamespace="iam")
    gone = f"arn:aws:iam::{ACCOUNT_ID}:user/nobody-{uuid.uuid4().hex[:6]}"
    with raises_aws("NoSuchEntity", f"The entity {gone} does not exist.", 404):
        iam.generate_service_last_accessed_details(Arn=gone)
    bad = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/x"
    with raises_aws("InvalidInput", status=400, message_prefix=f"ARN {bad} is not valid"):
        iam.generate_service_last_accessed_details(Arn=bad)
    # Granularity outside the model's enum is refused before anything runs.
    with raises_aws("ValidationError", status=400):
        iam.generate_service_last_accessed_details(Arn=gone, Granularity="RESOURCE_LEVEL")


def test_the_aws_cli_generates_and_reads_a_report(server, iam):
    user, _ = create_user_with_key(iam)
    grant(iam, user["UserName"], ["iam:GetUser"])
    res = run_aws(server.url, "iam", "generate-service-last-accessed-details", "--arn", user["Arn"])
    assert res.returncode == 0, res.stderr
    res = run_aws(server.url, "iam", "get-service-last-accessed-details", "--job-id", res.json["JobId"])
    assert res.returncode == 0, res.stderr
    assert res.json["JobStatus"] == "COMPLETED"
    assert [s["ServiceNamespace"] for s in res.json["ServicesLastAccessed"]] == ["iam"]


def test_recorded_use_survives_a_restart(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    iam = w.client("iam")
    user, creds = create_user_with_key(iam)
    grant(iam, user["UserName"], ["iam:GetUser"])
    make_client("iam", w.url, creds).get_user(UserName=user["UserName"])
    job = iam.generate_service_last_accessed_details(Arn=user["Arn"])["JobId"]
    before = by_namespace(iam.get_service_last_accessed_details(JobId=job))["iam"]
    assert before["TotalAuthenticatedEntities"] == 1

    w.restart()

    iam = w.client("iam")
    # The job and the use it reports were both stored.
    after = by_namespace(iam.get_service_last_accessed_details(JobId=job))["iam"]
    assert after == before
    fresh = by_namespace(report(iam, user["Arn"]))["iam"]
    assert fresh["LastAuthenticated"] == before["LastAuthenticated"]


def test_generating_a_report_is_denied_without_the_action_and_allowed_with_it(server, iam):
    target, _ = create_user_with_key(iam)
    caller, creds = create_user_with_key(iam)
    as_caller = make_client("iam", server.url, creds)
    action = "iam:GenerateServiceLastAccessedDetails"
    with raises_aws("AccessDenied", access_denied_message(caller["Arn"], action, target["Arn"]), 403):
        as_caller.generate_service_last_accessed_details(Arn=target["Arn"])
    # Granted on another entity only: still denied.
    grant(iam, caller["UserName"], [action], f"arn:aws:iam::{ACCOUNT_ID}:user/someone-else")
    with raises_aws("AccessDenied", status=403):
        as_caller.generate_service_last_accessed_details(Arn=target["Arn"])
    # Control: granted on the target, the same request succeeds.
    grant(iam, caller["UserName"], [action], target["Arn"])
    assert as_caller.generate_service_last_accessed_details(Arn=target["Arn"])["JobId"]


# ---------------------------------------------------------------------------------------------
# ListPoliciesGrantingServiceAccess
# ---------------------------------------------------------------------------------------------


def test_policies_granting_access_cover_the_users_own_and_its_groups(server, iam):
    user, _ = create_user_with_key(iam)
    name = user["UserName"]
    iam.put_user_policy(UserName=name, PolicyName="own-inline", PolicyDocument=doc("iam:GetUser"))
    managed = iam.create_policy(PolicyName=unique("s3read"), PolicyDocument=doc("s3:Get*"))["Policy"]
    iam.attach_user_policy(UserName=name, PolicyArn=managed["Arn"])
    group = iam.create_group(GroupName=unique("grp"))["Group"]
    iam.put_group_policy(GroupName=group["GroupName"], PolicyName="group-inline", PolicyDocument=doc("iam:List*"))
    iam.add_user_to_group(GroupName=group["GroupName"], UserName=name)

    r = iam.list_policies_granting_service_access(Arn=user["Arn"], ServiceNamespaces=["iam", "s3", "ec2"])
    assert r["IsTruncated"] is False
    entries = {e["ServiceNamespace"]: e["Policies"] for e in r["PoliciesGrantingServiceAccess"]}
    assert list(entries) == ["iam", "s3", "ec2"]
    assert entries["iam"] == [
        {"PolicyName": "own-inline", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": name},
        {"PolicyName": "group-inline", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": group["GroupName"]},
    ]
    assert entries["s3"] == [{"PolicyName": managed["PolicyName"], "PolicyType": "MANAGED", "PolicyArn": managed["Arn"]}]
    assert entries["ec2"] == []

    # A group's answer holds only its own policies; an AWS managed policy is named by its ARN.
    iam.attach_group_policy(GroupName=group["GroupName"], PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    r = iam.list_policies_granting_service_access(Arn=group["Arn"], ServiceNamespaces=["ec2"])
    assert r["PoliciesGrantingServiceAccess"][0]["Policies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyType": "MANAGED", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    ]


def test_policies_granting_access_through_the_cli_and_errors(server, iam):
    role = iam.create_role(
        RoleName=unique("role"),
        AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        ),
    )["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="r", PolicyDocument=doc("ec2:Describe*"))
    res = run_aws(
        server.url, "iam", "list-policies-granting-service-access", "--arn", role["Arn"], "--service-namespaces", "ec2"
    )
    assert res.returncode == 0, res.stderr
    assert res.json["PoliciesGrantingServiceAccess"] == [
        {
            "ServiceNamespace": "ec2",
            "Policies": [{"PolicyName": "r", "PolicyType": "INLINE", "EntityType": "ROLE", "EntityName": role["RoleName"]}],
        }
    ]
    gone = f"arn:aws:iam::{ACCOUNT_ID}:role/none-{uuid.uuid4().hex[:6]}"
    with raises_aws("NoSuchEntity", f"The entity {gone} does not exist.", 404):
        iam.list_policies_granting_service_access(Arn=gone, ServiceNamespaces=["iam"])
    # More than 200 namespaces break the model's constraint.
    with raises_aws("ValidationError", status=400):
        iam.list_policies_granting_service_access(Arn=role["Arn"], ServiceNamespaces=[f"s{i}" for i in range(201)])


def test_listing_granting_policies_is_denied_without_the_action_and_allowed_with_it(server, iam):
    caller, creds = create_user_with_key(iam)
    as_caller = make_client("iam", server.url, creds)
    action = "iam:ListPoliciesGrantingServiceAccess"
    with raises_aws("AccessDenied", access_denied_message(caller["Arn"], action, caller["Arn"]), 403):
        as_caller.list_policies_granting_service_access(Arn=caller["Arn"], ServiceNamespaces=["iam"])
    grant(iam, caller["UserName"], [action], caller["Arn"])
    got = as_caller.list_policies_granting_service_access(Arn=caller["Arn"], ServiceNamespaces=["iam"])
    assert got["PoliciesGrantingServiceAccess"][0]["ServiceNamespace"] == "iam"


@pytest.mark.parametrize("granularity", ["SERVICE_LEVEL", "ACTION_LEVEL"])
def test_a_report_on_full_access_lists_every_catalogued_service(server, iam, granularity):
    user, _ = create_user_with_key(iam)
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    job = iam.generate_service_last_accessed_details(Arn=user["Arn"], Granularity=granularity)["JobId"]
    seen, marker = [], None
    while True:
        kw = {"Marker": marker} if marker else {}
        page = iam.get_service_last_accessed_details(JobId=job, MaxItems=1000, **kw)
        seen += [s["ServiceNamespace"] for s in page["ServicesLastAccessed"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert len(seen) > 300 and seen == sorted(seen) and {"iam", "s3", "ec2", "sts"} <= set(seen)


# ---------------------------------------------------------------------------------------------
# GenerateOrganizationsAccessReport / GetOrganizationsAccessReport
#
# The API reference's rules: only the management account generates a report; the entity path
# is o-ID/r-ID[/ou-ID...][/ACCOUNT]; a report on a root, OU or account lists the services the
# SCPs on the path allow (with OrganizationsPolicyId, the services that SCP allows) and, per
# service, the last access by the accounts the entity holds, the management account excepted
# (SCPs do not limit it); EntityPath names the account that accessed last.
# Ours: the AccessDenied text for a non-management caller, the InvalidInput texts for a path or
# policy the organization does not have, the NoSuchEntity text for an unknown job, and the
# default order (by namespace).
# ---------------------------------------------------------------------------------------------


def org_report(iam, path: str, **kw) -> dict:
    job = iam.generate_organizations_access_report(EntityPath=path, **kw)["JobId"]
    return iam.get_organizations_access_report(JobId=job, MaxItems=1000) | {"JobId": job}


def test_an_organizations_report_shows_the_member_accounts_use(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    org, root, member = wd["org"], wd["root"], wd["member"]
    creds, _ = member_session(w, wd)
    make_client("iam", w.url, creds).list_users()
    iam = w.client("iam")
    root_path = f"{org['Id']}/{root['Id']}"
    wd["orgs"].enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")

    r = org_report(iam, root_path)
    assert r["JobStatus"] == "COMPLETED" and r["JobCompletionDate"] >= r["JobCreationDate"]
    details = {d["ServiceNamespace"]: d for d in r["AccessDetails"]}
    # FullAWSAccess everywhere: every service is accessible; only IAM was used, by the member.
    assert r["NumberOfServicesAccessible"] == len(details) > 300
    assert r["NumberOfServicesNotAccessed"] == r["NumberOfServicesAccessible"] - 1
    used = details["iam"]
    assert (used["EntityPath"], used["Region"], used["TotalAuthenticatedEntities"]) == (
        f"{root_path}/{member}",
        "us-east-1",
        1,
    )
    assert "LastAuthenticatedTime" in used
    assert details["s3"]["TotalAuthenticatedEntities"] == 0 and "EntityPath" not in details["s3"]
    # The account's own path gives the same answer for IAM.
    acct = {d["ServiceNamespace"]: d for d in org_report(iam, f"{root_path}/{member}")["AccessDetails"]}
    assert acct["iam"]["EntityPath"] == f"{root_path}/{member}"
    # Sorted by last access, most recent first: IAM leads.
    job = r["JobId"]
    first = iam.get_organizations_access_report(JobId=job, SortKey="LAST_AUTHENTICATED_TIME_DESCENDING", MaxItems=1)
    assert [d["ServiceNamespace"] for d in first["AccessDetails"]] == ["iam"] and first["IsTruncated"] is True
    nxt = iam.get_organizations_access_report(JobId=job, SortKey="LAST_AUTHENTICATED_TIME_DESCENDING", Marker=first["Marker"], MaxItems=1)
    assert nxt["AccessDetails"][0]["ServiceNamespace"] != "iam"
    # The management account's own path: every service, its own use only (the admin's IAM calls
    # in new_organization and this test's AssumeRole).
    mgmt = {d["ServiceNamespace"]: d for d in org_report(iam, f"{root_path}/{ACCOUNT_ID}")["AccessDetails"]}
    assert len(mgmt) > 300
    assert mgmt["sts"]["EntityPath"] == f"{root_path}/{ACCOUNT_ID}"
    assert mgmt["iam"].get("EntityPath") in (None, f"{root_path}/{ACCOUNT_ID}")


def test_an_organizations_report_follows_the_scps_on_the_path(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    orgs, org, root, member = wd["orgs"], wd["org"], wd["root"], wd["member"]
    orgs.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    allow_list = policy_doc({"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"})
    pid = orgs.create_policy(Content=allow_list, Description="", Name="OnlyIam", Type="SERVICE_CONTROL_POLICY")[
        "Policy"
    ]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=pid, TargetId=member)
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    iam = w.client("iam")
    path = f"{org['Id']}/{root['Id']}/{member}"

    r = org_report(iam, path)
    assert [d["ServiceNamespace"] for d in r["AccessDetails"]] == ["iam", "sts"]
    assert (r["NumberOfServicesAccessible"], r["NumberOfServicesNotAccessed"]) == (2, 2)
    # The root still allows everything; with the policy named, its services only.
    assert org_report(iam, f"{org['Id']}/{root['Id']}")["NumberOfServicesAccessible"] > 300
    named = org_report(iam, f"{org['Id']}/{root['Id']}", OrganizationsPolicyId=pid)
    assert [d["ServiceNamespace"] for d in named["AccessDetails"]] == ["iam", "sts"]
    # With a policy, data comes only from the accounts it applies to: the member's use shows while
    # the SCP is attached to it, and not once it is detached (services stay, without data).
    creds, _ = member_session(w, wd)
    make_client("iam", w.url, creds).list_users()
    named = org_report(iam, f"{org['Id']}/{root['Id']}", OrganizationsPolicyId=pid)
    assert named["NumberOfServicesNotAccessed"] == 1
    orgs.attach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    orgs.detach_policy(PolicyId=pid, TargetId=member)
    named = org_report(iam, f"{org['Id']}/{root['Id']}", OrganizationsPolicyId=pid)
    assert (named["NumberOfServicesAccessible"], named["NumberOfServicesNotAccessed"]) == (2, 2)


def test_organizations_reports_are_the_management_accounts_and_check_their_input(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    org, root, member = wd["org"], wd["root"], wd["member"]
    iam = w.client("iam")
    root_path = f"{org['Id']}/{root['Id']}"
    creds, _ = member_session(w, wd)
    with raises_aws("AccessDenied", status=403, message_prefix="Organizations access reports can only be"):
        make_client("iam", w.url, creds).generate_organizations_access_report(EntityPath=root_path)
    # "SCPs must be enabled for your organization root."
    with raises_aws("InvalidInput", status=400, message_prefix="Service control policies must be enabled"):
        iam.generate_organizations_access_report(EntityPath=root_path)
    wd["orgs"].enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    for bad in (f"{org['Id']}/r-zzzz", f"{root_path}/ou-zzzz-zzzzzzzz", f"{root_path}/999999999999"):
        with raises_aws("InvalidInput", status=400, message_prefix=f"Invalid entity path {bad}"):
            iam.generate_organizations_access_report(EntityPath=bad)
    with raises_aws("InvalidInput", status=400, message_prefix="Invalid OrganizationsPolicyId p-zzzzzzzz"):
        iam.generate_organizations_access_report(EntityPath=root_path, OrganizationsPolicyId="p-zzzzzzzz")
    missing = str(uuid.uuid4())
    with raises_aws("NoSuchEntity", f"No job found with JobId {missing}.", 404):
        iam.get_organizations_access_report(JobId=missing)
    # A service-last-accessed job is not an Organizations one, nor the other way round.
    user, _ = create_user_with_key(iam)
    sla = iam.generate_service_last_accessed_details(Arn=user["Arn"])["JobId"]
    with raises_aws("NoSuchEntity", status=404):
        iam.get_organizations_access_report(JobId=sla)
    oar = iam.generate_organizations_access_report(EntityPath=root_path)["JobId"]
    with raises_aws("NoSuchEntity", status=404):
        iam.get_service_last_accessed_details(JobId=oar)
    # The aws CLI.
    res = run_aws(w.url, "iam", "generate-organizations-access-report", "--entity-path", f"{root_path}/{member}")
    assert res.returncode == 0, res.stderr
    res = run_aws(w.url, "iam", "get-organizations-access-report", "--job-id", res.json["JobId"], "--max-items", "5")
    assert res.returncode == 0, res.stderr
    assert res.json["JobStatus"] == "COMPLETED" and len(res.json["AccessDetails"]) == 5


def test_generating_an_organizations_report_is_denied_without_the_action_and_allowed_with_it(warden_factory):
    w = warden_factory()
    wd = new_organization(w)
    iam = w.client("iam")
    path = f"{wd['org']['Id']}/{wd['root']['Id']}"
    wd["orgs"].enable_policy_type(RootId=wd["root"]["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    caller, creds = create_user_with_key(iam)
    as_caller = make_client("iam", w.url, creds)
    action = "iam:GenerateOrganizationsAccessReport"
    with raises_aws("AccessDenied", status=403, message_prefix=f"User: {caller['Arn']} is not authorized to perform: {action}"):
        as_caller.generate_organizations_access_report(EntityPath=path)
    grant(iam, caller["UserName"], [action])
    assert as_caller.generate_organizations_access_report(EntityPath=path)["JobId"]
