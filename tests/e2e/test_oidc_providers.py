"""IAM OpenID Connect providers (issue 17, part 1): Create, Get, List, Delete,
UpdateOpenIDConnectProviderThumbprint, Add/RemoveClientIDToOpenIDConnectProvider and the provider's tags, through
the real binary, boto3 and the aws CLI; `Federated` OIDC principals in trust policies; a restart on each store.

Recorded AWS answers these tests assert:
  * moto's tests/test_iam/test_iam_oidc.py (written against AWS): the ARN
    `arn:aws:iam::ACCT:oidc-provider/HOST[/PATH]`, Get's `Url` without scheme, `ThumbprintList`, `ClientIDList`,
    `CreateDate`; an empty ThumbprintList accepted; "Invalid Open ID Connect Provider URL" (ValidationError) for a
    URL without scheme; "Thumbprint list must contain fewer than 5 entries." (InvalidInput) for six;
    "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100" (LimitExceeded) for 101 client ids;
    "OpenIDConnect Provider not found for arn ARN" (NoSuchEntity); deleting a missing provider succeeds; the
    tag listing's pages of MaxItems;
  * the EntityAlreadyExists text "Provider with url URL already exists." as AWS answered it to terraform users
    (shared/reference/federation.md §1.2);
  * "Invalid principal in policy: ..." (MalformedPolicyDocument) for a trust policy naming a provider that does
    not exist, as AWS answers terraform users who create the role before the provider;
  * statuses from botocore's IAM model (InvalidInput, ValidationError 400; EntityAlreadyExists, LimitExceeded 409;
    NoSuchEntity 404).
LocalStack's snapshot suite records no OIDC provider call. Warden's own choices: an http:// URL or a query string
is refused with moto's URL text; a thumbprint that is not hex has our text; a port or an IP address in the URL is
accepted (docs/federation.md).
"""

from __future__ import annotations

import contextlib
import json

import pytest

from e2e_util import (
    ACCOUNT_ID,
    access_denied_messages,
    assert_cli_error,
    create_user_with_key,
    grant,
    make_client,
    raises_aws,
    unique,
)

T1, T2, T3 = "a" * 40, "b" * 40, "0123456789abcdef0123456789ABCDEF01234567"


def new_url(path: str = "") -> str:
    return f"https://{unique('idp')}.example.com{path}"


def arn_of(url: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url.removeprefix('https://')}"


def not_found(arn: str) -> str:
    return f"OpenIDConnect Provider not found for arn {arn}"


def test_create_get_list_delete_with_boto3(iam):
    url = new_url("/tenant/")
    created = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["app-1", "app-2"], ThumbprintList=[T1], Tags=[{"Key": "team", "Value": "blue"}]
    )
    arn = created["OpenIDConnectProviderArn"]
    assert arn == arn_of(url)
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]

    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    # The Url comes back without its scheme, path and trailing slash kept.
    assert got["Url"] == url.removeprefix("https://")
    assert got["ClientIDList"] == ["app-1", "app-2"]
    assert got["ThumbprintList"] == [T1]
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert got["CreateDate"].year >= 2024

    listed = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert {"Arn": arn} in listed

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with raises_aws("NoSuchEntity", not_found(arn), 404):
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert {"Arn": arn} not in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    # Deleting a provider that is gone succeeds, as AWS does (moto's test_delete_open_id_connect_provider).
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_thumbprints_and_client_ids_may_be_omitted(iam):
    url = new_url()
    arn = iam.create_open_id_connect_provider(Url=url, ThumbprintList=[])["OpenIDConnectProviderArn"]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ThumbprintList"] == [] and got["ClientIDList"] == [] and got["Tags"] == []
    assert "Tags" not in iam.create_open_id_connect_provider(Url=new_url())


def test_a_port_or_an_ip_address_is_accepted_and_kept_in_the_arn(iam):
    # Warden departs from AWS here so that private and test issuers work (docs/federation.md).
    url = f"https://127.0.0.1:{8000 + hash(unique()) % 1000}/{unique('p')}"
    arn = iam.create_open_id_connect_provider(Url=url)["OpenIDConnectProviderArn"]
    assert arn == arn_of(url)
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Url"] == url.removeprefix("https://")


@pytest.mark.parametrize(
    "url", ["example.org", "example", "http://example.org", "https://", "https://example.org/oidc?test=true"]
)
def test_a_url_that_is_not_https_host_and_path_is_invalid(iam, url):
    with raises_aws("ValidationError", "Invalid Open ID Connect Provider URL", 400):
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=[])


def test_the_same_url_twice_already_exists_and_a_different_case_or_slash_does_not(iam):
    url = new_url()
    iam.create_open_id_connect_provider(Url=url)
    with raises_aws("EntityAlreadyExists", f"Provider with url {url} already exists.", 409):
        iam.create_open_id_connect_provider(Url=url, ThumbprintList=[T2])
    # AWS keeps the string as given: another slash or case is another provider (federation.md §1.2).
    iam.create_open_id_connect_provider(Url=url + "/")
    iam.create_open_id_connect_provider(Url=url.replace("https://idp", "https://IDP"))


def test_thumbprint_rules(iam):
    with raises_aws("InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400):
        iam.create_open_id_connect_provider(Url=new_url(), ThumbprintList=[c * 40 for c in "abcdef"])
    with raises_aws("ValidationError", status=400, message_prefix="1 validation error detected: "):
        iam.create_open_id_connect_provider(Url=new_url(), ThumbprintList=["b" * 41])
    with raises_aws("InvalidInput", status=400, message_prefix="Thumbprint " + "g" * 40):
        iam.create_open_id_connect_provider(Url=new_url(), ThumbprintList=["g" * 40])
    # The control: five hex thumbprints of either case.
    arn = iam.create_open_id_connect_provider(Url=new_url(), ThumbprintList=[c * 40 for c in "abcdE"])[
        "OpenIDConnectProviderArn"
    ]
    # Update replaces the whole list (no merge), with the same rules.
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[T2, T3])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [T2, T3]
    with raises_aws("InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400):
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[c * 40 for c in "abcdef"])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [T2, T3]


def test_client_ids_are_at_most_a_hundred_and_add_remove_are_idempotent(iam):
    with raises_aws("LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409):
        iam.create_open_id_connect_provider(Url=new_url(), ClientIDList=[str(i) for i in range(101)])
    arn = iam.create_open_id_connect_provider(Url=new_url(), ClientIDList=[str(i) for i in range(99)])[
        "OpenIDConnectProviderArn"
    ]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    ids = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]
    assert len(ids) == 100 and ids[-1] == "sts.amazonaws.com"
    with raises_aws("LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="one-too-many")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="0")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="0")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="one-too-many")
    ids = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]
    assert "0" not in ids and ids[-1] == "one-too-many" and len(ids) == 100


def test_unknown_providers_are_no_such_entity(iam):
    url = new_url()
    arn = iam.create_open_id_connect_provider(Url=url)["OpenIDConnectProviderArn"]
    for missing in (arn + "-not-existing", f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/nowhere.example.com"):
        with raises_aws("NoSuchEntity", not_found(missing), 404):
            iam.get_open_id_connect_provider(OpenIDConnectProviderArn=missing)
        with raises_aws("NoSuchEntity", not_found(missing), 404):
            iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=missing, ThumbprintList=[T1])
        with raises_aws("NoSuchEntity", not_found(missing), 404):
            iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=missing, ClientID="x")
        with raises_aws("NoSuchEntity", not_found(missing), 404):
            iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=missing, ClientID="x")
        with raises_aws("NoSuchEntity", not_found(missing), 404):
            iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=missing, Tags=[{"Key": "k", "Value": "v"}])
        with raises_aws("NoSuchEntity", not_found(missing), 404):
            iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=missing, TagKeys=["k"])
        with raises_aws("NoSuchEntity", not_found(missing), 404):
            iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=missing)
    # Another account's ARN is outside the caller's account: authorization refuses it first.
    with raises_aws("AccessDenied", status=403):
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn="arn:aws:iam::999999999999:oidc-provider/" + url[8:])
    # The control: the real one answers.
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Url"] == url[8:]


def test_tag_untag_and_list_tags_in_pages(iam):
    arn = iam.create_open_id_connect_provider(Url=new_url(), Tags=[{"Key": f"k{i}", "Value": f"v{i}"} for i in range(10)])[
        "OpenIDConnectProviderArn"
    ]
    # moto's test_list_open_id_connect_provider_tags__maxitems: pages of MaxItems, no Marker on the last.
    first = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=4)
    assert len(first["Tags"]) == 4 and first["IsTruncated"]
    second = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=4, Marker=first["Marker"])
    third = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, Marker=second["Marker"])
    assert len(third["Tags"]) == 2 and "Marker" not in third
    assert len({t["Key"] for t in first["Tags"] + second["Tags"] + third["Tags"]}) == 10

    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "K0", "Value": "new"}, {"Key": "extra", "Value": "x"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=[f"k{i}" for i in range(1, 10)])
    tags = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"]
    # Keys compare case-insensitively (the stored key keeps its first case); Get answers them sorted.
    assert tags == [{"Key": "extra", "Value": "x"}, {"Key": "k0", "Value": "new"}]
    with raises_aws("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400):
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    with raises_aws("LimitExceeded", "The number of tags has reached the maximum limit.", 409):
        iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": f"n{i}", "Value": ""} for i in range(49)])


ACTIONS = {
    "iam:GetOpenIDConnectProvider": lambda c, arn: c.get_open_id_connect_provider(OpenIDConnectProviderArn=arn),
    "iam:UpdateOpenIDConnectProviderThumbprint": lambda c, arn: c.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=[T2]
    ),
    "iam:AddClientIDToOpenIDConnectProvider": lambda c, arn: c.add_client_id_to_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="new"
    ),
    "iam:RemoveClientIDFromOpenIDConnectProvider": lambda c, arn: c.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="app"
    ),
    "iam:TagOpenIDConnectProvider": lambda c, arn: c.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": "k", "Value": "v"}]
    ),
    "iam:UntagOpenIDConnectProvider": lambda c, arn: c.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"]),
    "iam:ListOpenIDConnectProviderTags": lambda c, arn: c.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn),
    "iam:DeleteOpenIDConnectProvider": lambda c, arn: c.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn),
    "iam:UpdateOpenIDConnectProvider": lambda c, arn: c.update_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ContextProvider={"SubjectSourceKey": "sub"}
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_operation_is_denied_without_its_action_and_allowed_on_the_provider_arn(server, iam, action):
    caller, creds = create_user_with_key(iam)
    arn = iam.create_open_id_connect_provider(Url=new_url(), ClientIDList=["app"], Tags=[{"Key": "team", "Value": "blue"}])[
        "OpenIDConnectProviderArn"
    ]
    client = make_client("iam", server.url, creds)
    call = ACTIONS[action]
    with raises_aws("AccessDenied", status=403, message_in=access_denied_messages(caller["Arn"], action, arn)):
        call(client, arn)
    # Granted on another provider only: still denied.
    grant(iam, caller["UserName"], [action], arn_of(new_url()))
    with raises_aws("AccessDenied", status=403):
        call(client, arn)
    # The control: granted on this provider's ARN (a wildcard over its host).
    grant(iam, caller["UserName"], [action], arn.rsplit(".example.com", 1)[0] + "*")
    call(client, arn)


INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"


@contextlib.contextmanager
def invalid_input(fragment: str):
    """InvalidInput (400) whose text names `fragment`."""
    with raises_aws("InvalidInput", status=400) as err:
        yield
    assert fragment in err["message"], err["message"]


def test_update_sets_and_removes_the_context_provider_and_identity_center_instance(iam):
    """UpdateOpenIDConnectProvider, with the rules its model documentation states: a value never with its Remove
    flag, one configuration per call, the Identity Center association only with a context provider and removed
    before it. No AWS answer to this 2025 operation is recorded (moto and LocalStack have none): the texts are
    warden's, the codes (InvalidInput 400, NoSuchEntity 404) the model's."""
    arn = iam.create_open_id_connect_provider(Url=new_url(), ClientIDList=["app"], ThumbprintList=[T1])[
        "OpenIDConnectProviderArn"
    ]
    plain = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert "ContextProvider" not in plain and "IdentityCenterInstanceArn" not in plain

    # An association needs a context provider first.
    with invalid_input("ContextProvider"):
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, IdentityCenterInstanceArn=INSTANCE)

    context = {
        "SubjectSourceKey": "sub",
        "SubjectTypeValue": "workload",
        "KeyDefinitionList": [{"SourceKey": "email", "TargetKey": "aws:email"}, {"SourceKey": "groups"}],
    }
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=context)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, IdentityCenterInstanceArn=INSTANCE)
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ContextProvider"] == context
    assert got["IdentityCenterInstanceArn"] == INSTANCE
    # The thumbprints and client ids are untouched ("This operation does not update ... thumbprints").
    assert got["ThumbprintList"] == [T1] and got["ClientIDList"] == ["app"]

    # The context provider cannot go while the association stays; removing them in order works.
    with invalid_input("Remove the IAM Identity Center association"):
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveIdentityCenterInstance=True)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert "ContextProvider" not in got and "IdentityCenterInstanceArn" not in got


@pytest.mark.parametrize(
    "args, fragment",
    [
        ({"ContextProvider": {"SubjectSourceKey": "sub"}, "RemoveContextProvider": True}, "not both"),
        ({"IdentityCenterInstanceArn": INSTANCE, "RemoveIdentityCenterInstance": True}, "not both"),
        ({"ContextProvider": {"SubjectSourceKey": "sub"}, "IdentityCenterInstanceArn": INSTANCE}, "not both"),
        ({}, "Specify a ContextProvider"),
        ({"ContextProvider": {"SubjectSourceKey": " sub"}}, "SubjectSourceKey"),
        ({"ContextProvider": {"SubjectSourceKey": "a  b"}}, "SubjectSourceKey"),
        ({"ContextProvider": {"SubjectSourceKey": "sub", "KeyDefinitionList": [{"SourceKey": "a,b"}]}}, "SourceKey"),
        (
            {"ContextProvider": {"SubjectSourceKey": "sub", "SubjectTypeValue": "user", "SubjectTypeSourceKey": "typ"}},
            "not both",
        ),
    ],
)
def test_update_refuses_what_the_documentation_forbids(iam, args, fragment):
    arn = iam.create_open_id_connect_provider(Url=new_url())["OpenIDConnectProviderArn"]
    with invalid_input(fragment):
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, **args)
    # Nothing was stored by the refused call.
    assert "ContextProvider" not in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_more_than_ten_key_definitions_break_the_models_constraint(iam):
    arn = iam.create_open_id_connect_provider(Url=new_url())["OpenIDConnectProviderArn"]
    context = {"SubjectSourceKey": "sub", "KeyDefinitionList": [{"SourceKey": f"k{i}"} for i in range(11)]}
    with raises_aws(
        "ValidationError",
        "1 validation error detected: Value at 'contextProvider.keyDefinitionList' failed to satisfy constraint: "
        "Member must have length less than or equal to 10",
        400,
    ):
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=context)
    context["KeyDefinitionList"].pop()
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=context)
    assert len(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ContextProvider"]["KeyDefinitionList"]) == 10


def test_update_of_a_missing_provider_is_no_such_entity_and_create_takes_a_context_provider(iam):
    missing = arn_of(new_url())
    with raises_aws("NoSuchEntity", not_found(missing), 404):
        iam.update_open_id_connect_provider(OpenIDConnectProviderArn=missing, ContextProvider={"SubjectSourceKey": "sub"})
    # CreateOpenIDConnectProvider takes the same configuration, with the same rules.
    with invalid_input("ContextProvider"):
        iam.create_open_id_connect_provider(Url=new_url(), IdentityCenterInstanceArn=INSTANCE)
    arn = iam.create_open_id_connect_provider(
        Url=new_url(), ContextProvider={"SubjectSourceKey": "sub"}, IdentityCenterInstanceArn=INSTANCE
    )["OpenIDConnectProviderArn"]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ContextProvider"]["SubjectSourceKey"] == "sub" and got["IdentityCenterInstanceArn"] == INSTANCE


def test_create_and_list_are_denied_without_their_actions(server, iam):
    caller, creds = create_user_with_key(iam)
    client = make_client("iam", server.url, creds)
    url = new_url()
    with raises_aws(
        "AccessDenied", status=403, message_in=access_denied_messages(caller["Arn"], "iam:CreateOpenIDConnectProvider", arn_of(url))
    ):
        client.create_open_id_connect_provider(Url=url)
    with raises_aws("AccessDenied", status=403):
        client.list_open_id_connect_providers()
    grant(iam, caller["UserName"], ["iam:CreateOpenIDConnectProvider", "iam:ListOpenIDConnectProviders"], "*")
    arn = client.create_open_id_connect_provider(Url=url)["OpenIDConnectProviderArn"]
    assert {"Arn": arn} in client.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    # Tags at creation also need iam:TagOpenIDConnectProvider.
    with raises_aws("AccessDenied", status=403):
        client.create_open_id_connect_provider(Url=new_url(), Tags=[{"Key": "k", "Value": "v"}])
    grant(iam, caller["UserName"], ["iam:TagOpenIDConnectProvider"], "*")
    client.create_open_id_connect_provider(Url=new_url(), Tags=[{"Key": "k", "Value": "v"}])


def test_a_resource_tag_condition_reads_the_providers_tags(server, iam):
    caller, creds = create_user_with_key(iam)
    blue = iam.create_open_id_connect_provider(Url=new_url(), Tags=[{"Key": "team", "Value": "blue"}])["OpenIDConnectProviderArn"]
    red = iam.create_open_id_connect_provider(Url=new_url(), Tags=[{"Key": "team", "Value": "red"}])["OpenIDConnectProviderArn"]
    iam.put_user_policy(
        UserName=caller["UserName"],
        PolicyName="blue-only",
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": "iam:GetOpenIDConnectProvider",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}},
            }],
        }),
    )
    client = make_client("iam", server.url, creds)
    with raises_aws("AccessDenied", status=403):
        client.get_open_id_connect_provider(OpenIDConnectProviderArn=red)
    assert client.get_open_id_connect_provider(OpenIDConnectProviderArn=blue)["Tags"] == [{"Key": "team", "Value": "blue"}]


def trust(arn: str) -> str:
    host = arn.split(":oidc-provider/", 1)[1]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{host}:aud": "app"}},
        }],
    })


def test_a_trust_policy_may_name_only_an_existing_provider_of_a_served_account(iam):
    url = new_url()
    arn = arn_of(url)
    with raises_aws("MalformedPolicyDocument", f'Invalid principal in policy: "Federated":"{arn}"', 400):
        iam.create_role(RoleName=unique("web"), AssumeRolePolicyDocument=trust(arn))
    iam.create_open_id_connect_provider(Url=url, ClientIDList=["app"])
    name = unique("web")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(arn))
    # Another account's provider is not checked (warden cannot know it), nor a built-in provider.
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust("arn:aws:iam::999999999999:oidc-provider/elsewhere.example.com"))
    iam.update_assume_role_policy(
        RoleName=name,
        PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}],
        }),
    )
    with raises_aws("MalformedPolicyDocument", status=400):
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust(arn_of(new_url())))


def test_create_and_get_with_the_aws_cli(iam, aws):
    url = new_url("/id/ABC")
    rc, out, err = aws(
        "iam", "create-open-id-connect-provider", "--url", url, "--client-id-list", "sts.amazonaws.com", "--thumbprint-list", T1
    )
    assert rc == 0, err
    arn = out["OpenIDConnectProviderArn"]
    assert arn == arn_of(url)
    rc, out, err = aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert rc == 0, err
    assert out["Url"] == url[8:] and out["ClientIDList"] == ["sts.amazonaws.com"] and out["ThumbprintList"] == [T1]
    res = aws("iam", "create-open-id-connect-provider", "--url", url)
    assert_cli_error(res, "EntityAlreadyExists", "CreateOpenIDConnectProvider", f"Provider with url {url} already exists.")
    rc, _, err = aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert rc == 0, err
    res = aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert_cli_error(res, "NoSuchEntity", "GetOpenIDConnectProvider", not_found(arn))


def test_providers_survive_a_restart(warden_factory, store):
    w = warden_factory(extra_env=store.env)
    iam = make_client("iam", w.url)
    url = new_url("/p")
    arn = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["a", "b"], ThumbprintList=[T1], Tags=[{"Key": "t", "Value": "1"}]
    )["OpenIDConnectProviderArn"]
    gone = iam.create_open_id_connect_provider(Url=new_url())["OpenIDConnectProviderArn"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="a")
    iam.update_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ContextProvider={"SubjectSourceKey": "sub", "SubjectTypeSourceKey": "typ"}
    )
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=gone)
    before = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    w.restart()
    iam = make_client("iam", w.url)
    after = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    for k in ("Url", "ClientIDList", "ThumbprintList", "Tags", "CreateDate", "ContextProvider"):
        assert after[k] == before[k], k
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == [{"Arn": arn}]
    with raises_aws("EntityAlreadyExists", status=409):
        iam.create_open_id_connect_provider(Url=url)


def test_a_github_actions_trust_policy_must_scope_the_subject(iam):
    # AWS refuses a role that trusts GitHub's shared issuer without testing `sub` (federation.md §1.8, AWS's text).
    arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
    try:
        iam.create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"])
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    host = "token.actions.githubusercontent.com"
    text = (
        f"Trust policy with trusted principal {arn} must evaluate, using StringEquals, StringLike or "
        f"StringEqualsIgnoreCase, {host}:sub which is not scoped to all."
    )

    def doc(condition: dict) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition}]})

    for bad in (
        {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}},
        {"StringLike": {f"{host}:sub": "*"}},
        {"StringNotEquals": {f"{host}:sub": "repo:o/r:ref:refs/heads/main"}},
    ):
        with raises_aws("MalformedPolicyDocument", text, 400):
            iam.create_role(RoleName=unique("gh"), AssumeRolePolicyDocument=doc(bad))
    # The controls: a repository scoped with StringLike or StringEquals.
    iam.create_role(RoleName=unique("gh"), AssumeRolePolicyDocument=doc({"StringLike": {f"{host}:sub": "repo:o/r:*"}}))
    iam.create_role(
        RoleName=unique("gh"),
        AssumeRolePolicyDocument=doc({"StringEquals": {f"{host}:aud": "sts.amazonaws.com", f"{host}:sub": "repo:o/r:ref:refs/heads/main"}}),
    )
