//! The real router, in process: SigV4-signed requests through
//! `tower::ServiceExt::oneshot`, no socket. The same paths as the e2e suite
//! (authentication, routing, authorization, the three protocols), at unit
//! test speed.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{query_request, sign, Creds, Harness, Unsigned, ACCOUNT};
use serde_json::json;
use time::OffsetDateTime;

const SIG_MISMATCH: &str = "The request signature we calculated does not match the signature you \
     provided. Check your AWS Secret Access Key and signing method. Consult the service \
     documentation for details.";

fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

/// AWS's text for an implicit deny (tests/e2e/e2e_util.py `access_denied_message`).
fn implicit_deny(user: &str, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} \
         because no identity-based policy allows the {action} action",
        user_arn(user)
    )
}

fn allow(actions: &[&str]) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
}

#[tokio::test]
async fn health_answers_ok() {
    let h = Harness::new();
    let req = http::Request::get("/health")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = h.send(req).await;
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn root_creates_gets_and_lists_a_user() {
    let h = Harness::new();
    let created = h
        .root_iam(&[
            ("Action", "CreateUser"),
            ("UserName", "alice"),
            ("Path", "/team/"),
        ])
        .await
        .ok();
    assert!(
        created.body.contains("<CreateUserResponse"),
        "{}",
        created.body
    );
    assert_eq!(created.xml("UserName").as_deref(), Some("alice"));
    assert_eq!(
        created.xml("Arn"),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/team/alice"))
    );
    let id = created.xml("UserId").unwrap();
    assert!(id.starts_with("AIDA"), "{id}");

    let got = h
        .root_iam(&[("Action", "GetUser"), ("UserName", "alice")])
        .await
        .ok();
    assert!(got.content_type.contains("xml"), "{}", got.content_type);
    assert_eq!(got.xml("UserName").as_deref(), Some("alice"));
    assert_eq!(got.xml("UserId"), Some(id.clone()));
    assert_eq!(got.xml("Path").as_deref(), Some("/team/"));

    h.root_iam(&[("Action", "CreateUser"), ("UserName", "bob")])
        .await
        .ok();
    let listed = h.root_iam(&[("Action", "ListUsers")]).await.ok();
    assert_eq!(listed.xml_all("UserName"), ["alice", "bob"]);
    assert_eq!(listed.xml("IsTruncated").as_deref(), Some("false"));
    let prefixed = h
        .root_iam(&[("Action", "ListUsers"), ("PathPrefix", "/team/")])
        .await
        .ok();
    assert_eq!(prefixed.xml_all("UserName"), ["alice"]);
}

#[tokio::test]
async fn a_signed_get_with_the_action_in_the_query_string_works() {
    let h = Harness::new();
    let req = Unsigned {
        method: "GET",
        query: "Action=ListUsers&Version=2010-05-08".into(),
        headers: vec![],
        body: vec![],
    };
    let r = h.send_signed(&req, &Creds::root(), "iam").await.ok();
    assert!(r.body.contains("<ListUsersResponse"), "{}", r.body);
}

#[tokio::test]
async fn a_user_without_permission_is_denied_until_a_policy_grants_it() {
    let h = Harness::new();
    let bob = h.user_with_key("bob").await;
    let denied = h.iam(&bob, &[("Action", "ListUsers")]).await;
    denied.assert_error(
        403,
        "AccessDenied",
        Some(&implicit_deny(
            "bob",
            "iam:ListUsers",
            &format!("arn:aws:iam::{ACCOUNT}:user/"),
        )),
    );
    let denied = h
        .iam(&bob, &[("Action", "CreateUser"), ("UserName", "carol")])
        .await;
    denied.assert_error(
        403,
        "AccessDenied",
        Some(&implicit_deny("bob", "iam:CreateUser", &user_arn("carol"))),
    );

    h.put_user_policy("bob", "lister", &allow(&["iam:ListUsers"]))
        .await;
    let listed = h.iam(&bob, &[("Action", "ListUsers")]).await.ok();
    assert_eq!(listed.xml_all("UserName"), ["bob"]);
    // The grant is exactly that: CreateUser is still refused, and did nothing.
    h.iam(&bob, &[("Action", "CreateUser"), ("UserName", "carol")])
        .await
        .assert_error(403, "AccessDenied", None);
    h.root_iam(&[("Action", "GetUser"), ("UserName", "carol")])
        .await
        .assert_error(404, "NoSuchEntity", None);
}

#[tokio::test]
async fn a_wrong_secret_is_signature_does_not_match() {
    let h = Harness::new();
    let mut creds = Creds::root();
    creds.secret = creds.secret.chars().rev().collect();
    let r = h.iam(&creds, &[("Action", "ListUsers")]).await;
    r.assert_error(403, "SignatureDoesNotMatch", Some(SIG_MISMATCH));
}

#[tokio::test]
async fn a_body_changed_after_signing_is_signature_does_not_match() {
    let h = Harness::new();
    let signed = sign(
        &query_request("iam", &[("Action", "ListUsers")]),
        &Creds::root(),
        "iam",
        OffsetDateTime::now_utc(),
    );
    let (parts, _) = signed.into_parts();
    let tampered = http::Request::from_parts(
        parts,
        axum::body::Body::from("Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fx%2F"),
    );
    h.send(tampered)
        .await
        .assert_error(403, "SignatureDoesNotMatch", Some(SIG_MISMATCH));
}

#[tokio::test]
async fn an_unknown_key_is_invalid_client_token_id() {
    let h = Harness::new();
    let stranger = Creds {
        key_id: "AKIAUNKNOWNKEY000000".into(),
        secret: "x".repeat(40),
        token: None,
    };
    let r = h
        .query(&stranger, "sts", &[("Action", "GetCallerIdentity")])
        .await;
    r.assert_error(
        403,
        "InvalidClientTokenId",
        Some("The security token included in the request is invalid."),
    );
}

#[tokio::test]
async fn an_unsigned_request_is_missing_authentication_token() {
    let h = Harness::new();
    let req = http::Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(
            "Action=ListUsers&Version=2010-05-08",
        ))
        .unwrap();
    let r = h.send(req).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.error().unwrap().0, "MissingAuthenticationToken");
}

#[tokio::test]
async fn a_request_without_an_action_is_missing_action() {
    let h = Harness::new();
    let r = h.root_iam(&[("UserName", "alice")]).await;
    r.assert_error(400, "MissingAction", Some("Missing Action"));
}

#[tokio::test]
async fn an_unknown_action_is_invalid_action() {
    let h = Harness::new();
    let r = h.root_iam(&[("Action", "DefinitelyNotAnAction")]).await;
    r.assert_error(400, "InvalidAction", None);
    // ListUsers signed for STS is an unknown STS action, and the reverse.
    let r = h
        .query(
            &Creds::root(),
            "sts",
            &[("Action", "ListUsers"), ("Version", "2011-06-15")],
        )
        .await;
    r.assert_error(400, "InvalidAction", None);
    assert!(
        r.body.contains("https://sts.amazonaws.com/doc/2011-06-15/"),
        "{}",
        r.body
    );
    let r = h.root_iam(&[("Action", "GetCallerIdentity")]).await;
    r.assert_error(400, "InvalidAction", None);
}

#[tokio::test]
async fn a_query_action_that_disagrees_with_the_body_is_refused() {
    let h = Harness::new();
    h.root_iam(&[("Action", "CreateUser"), ("UserName", "victim")])
        .await
        .ok();
    let mut req = query_request("iam", &[("Action", "DeleteUser"), ("UserName", "victim")]);
    req.query = "Action=GetUser".into();
    let r = h.send_signed(&req, &Creds::root(), "iam").await;
    r.assert_error(
        400,
        "InvalidParameterCombination",
        Some("The request names conflicting operations in its query string and its body."),
    );
    // Nothing was deleted.
    h.root_iam(&[("Action", "GetUser"), ("UserName", "victim")])
        .await
        .ok();
    // A query Action that agrees with the body is fine.
    let mut req = query_request("iam", &[("Action", "GetUser"), ("UserName", "victim")]);
    req.query = "Action=GetUser".into();
    h.send_signed(&req, &Creds::root(), "iam").await.ok();
}

#[tokio::test]
async fn sts_get_caller_identity_names_root_and_users() {
    let h = Harness::new();
    let r = h
        .query(&Creds::root(), "sts", &[("Action", "GetCallerIdentity")])
        .await
        .ok();
    assert!(
        r.body.contains(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        ),
        "{}",
        r.body
    );
    assert_eq!(r.xml("Arn"), Some(format!("arn:aws:iam::{ACCOUNT}:root")));
    assert_eq!(r.xml("Account").as_deref(), Some(ACCOUNT));

    // A user needs no permission for it.
    let dana = h.user_with_key("dana").await;
    let r = h
        .query(&dana, "sts", &[("Action", "GetCallerIdentity")])
        .await
        .ok();
    assert_eq!(r.xml("Arn"), Some(user_arn("dana")));
    let id = h
        .root_iam(&[("Action", "GetUser"), ("UserName", "dana")])
        .await
        .ok()
        .xml("UserId");
    assert_eq!(r.xml("UserId"), id);
}

#[tokio::test]
async fn sts_session_credentials_sign_requests() {
    let h = Harness::new();
    let erin = h.user_with_key("erin").await;
    let r = h
        .query(
            &erin,
            "sts",
            &[("Action", "GetSessionToken"), ("DurationSeconds", "900")],
        )
        .await
        .ok();
    let session = Creds {
        key_id: r.xml("AccessKeyId").unwrap(),
        secret: r.xml("SecretAccessKey").unwrap(),
        token: r.xml("SessionToken"),
    };
    assert!(session.key_id.starts_with("ASIA"), "{}", session.key_id);
    let me = h
        .query(&session, "sts", &[("Action", "GetCallerIdentity")])
        .await
        .ok();
    assert_eq!(me.xml("Arn"), Some(user_arn("erin")));
    // AWS: session credentials cannot get another session token.
    h.query(&session, "sts", &[("Action", "GetSessionToken")])
        .await
        .assert_error(
            403,
            "AccessDenied",
            Some("Cannot call GetSessionToken with session credentials"),
        );
    // Without its token the temporary key id is unknown.
    let bare = Creds {
        token: None,
        ..session
    };
    h.query(&bare, "sts", &[("Action", "GetCallerIdentity")])
        .await
        .assert_error(403, "InvalidClientTokenId", None);
}

#[tokio::test]
async fn organizations_json_round_trip() {
    let h = Harness::new();
    let root = Creds::root();
    let r = h.orgs(&root, "DescribeOrganization", &json!({})).await;
    r.assert_error(
        400,
        "AWSOrganizationsNotInUseException",
        Some("Your account is not a member of an organization."),
    );
    assert!(r.content_type.contains("application/x-amz-json-1.1"));

    let created = h
        .orgs(&root, "CreateOrganization", &json!({"FeatureSet": "ALL"}))
        .await
        .ok();
    assert!(
        created.content_type.contains("json"),
        "{}",
        created.content_type
    );
    let org = created.json()["Organization"].clone();
    let org_id = org["Id"].as_str().unwrap().to_string();
    assert!(org_id.starts_with("o-"), "{org_id}");
    assert_eq!(org["MasterAccountId"], ACCOUNT);
    assert_eq!(org["FeatureSet"], "ALL");

    let described = h
        .orgs(&root, "DescribeOrganization", &json!({}))
        .await
        .ok()
        .json();
    assert_eq!(described["Organization"]["Id"], org_id.as_str());
    let accounts = h.orgs(&root, "ListAccounts", &json!({})).await.ok().json();
    let ids: Vec<&str> = accounts["Accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["Id"].as_str())
        .collect();
    assert_eq!(ids, [ACCOUNT]);
    h.orgs(&root, "CreateOrganization", &json!({"FeatureSet": "ALL"}))
        .await
        .assert_error(400, "AlreadyInOrganizationException", None);

    // A user without permission gets the JSON protocol's refusal.
    let frank = h.user_with_key("frank").await;
    let r = h.orgs(&frank, "ListAccounts", &json!({})).await;
    assert_eq!(r.error().unwrap().0, "AccessDeniedException", "{}", r.body);
}

#[tokio::test]
async fn a_deny_on_a_user_binds_every_spelling_of_its_name() {
    // tests/e2e/test_attack_authz.py::test_a_deny_on_a_user_arn_holds_when_the_name_is_spelled_in_another_case
    let h = Harness::new();
    h.root_iam(&[("Action", "CreateUser"), ("UserName", "admin")])
        .await
        .ok();
    h.root_iam(&[("Action", "CreateUser"), ("UserName", "plain")])
        .await
        .ok();
    let me = h.user_with_key("mallory").await;
    let allow_all_but_admin = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": user_arn("admin")},
    ]});
    h.put_user_policy("mallory", "perms", &allow_all_but_admin)
        .await;
    let admin_policy = "arn:aws:iam::aws:policy/AdministratorAccess";
    let everything = allow(&["*"]).to_string();
    for spelling in ["ADMIN", "Admin", "aDmin"] {
        for (action, params) in [
            ("iam:CreateAccessKey", vec![("Action", "CreateAccessKey")]),
            (
                "iam:AttachUserPolicy",
                vec![("Action", "AttachUserPolicy"), ("PolicyArn", admin_policy)],
            ),
            (
                "iam:PutUserPolicy",
                vec![
                    ("Action", "PutUserPolicy"),
                    ("PolicyName", "x"),
                    ("PolicyDocument", everything.as_str()),
                ],
            ),
        ] {
            let mut params = params;
            params.push(("UserName", spelling));
            let r = h.iam(&me, &params).await;
            r.assert_error(403, "AccessDenied", None);
            let (_, message) = r.error().unwrap();
            assert!(
                message.starts_with(&format!(
                    "User: {} is not authorized to perform: {action} on resource: ",
                    user_arn("mallory")
                )),
                "{message}"
            );
            assert!(message.contains("with an explicit deny"), "{message}");
        }
    }
    // Nothing reached the protected user.
    let keys = h
        .root_iam(&[("Action", "ListAccessKeys"), ("UserName", "admin")])
        .await
        .ok();
    assert!(keys.xml_all("AccessKeyId").is_empty(), "{}", keys.body);
    let attached = h
        .root_iam(&[
            ("Action", "ListAttachedUserPolicies"),
            ("UserName", "admin"),
        ])
        .await
        .ok();
    assert!(
        attached.xml_all("PolicyArn").is_empty(),
        "{}",
        attached.body
    );
    let inline = h
        .root_iam(&[("Action", "ListUserPolicies"), ("UserName", "admin")])
        .await
        .ok();
    assert!(inline.xml_all("member").is_empty(), "{}", inline.body);

    // Control: the unprotected user, spelled in another case, is reachable and
    // the key lands on the stored user.
    let k = h
        .iam(&me, &[("Action", "CreateAccessKey"), ("UserName", "PLAIN")])
        .await
        .ok();
    assert_eq!(k.xml("UserName").as_deref(), Some("plain"));
    // Control: without the Deny, the ADMIN spelling acts on the stored user.
    h.put_user_policy("mallory", "perms", &allow(&["iam:*"]))
        .await;
    let k = h
        .iam(&me, &[("Action", "CreateAccessKey"), ("UserName", "ADMIN")])
        .await
        .ok();
    assert_eq!(k.xml("UserName").as_deref(), Some("admin"));
}

#[tokio::test]
async fn names_are_unique_whatever_their_case() {
    // tests/e2e/test_users.py::test_create_user_duplicate
    let h = Harness::new();
    h.root_iam(&[("Action", "CreateUser"), ("UserName", "Zed")])
        .await
        .ok();
    let r = h
        .root_iam(&[("Action", "CreateUser"), ("UserName", "zed")])
        .await;
    r.assert_error(409, "EntityAlreadyExists", None);
    let got = h
        .root_iam(&[("Action", "GetUser"), ("UserName", "ZED")])
        .await
        .ok();
    assert_eq!(got.xml("UserName").as_deref(), Some("Zed"));
}
