//! XML rendering of generated response types (golden snapshots) and of the
//! error envelope.

use std::collections::BTreeMap;

use time::macros::datetime;
use warden_wire::iam::{
    CreateUserResponse, GetAccountSummaryResponse, ListUsersResponse, SummaryKeyType, Tag, User,
    XML_NAMESPACE as IAM_NS,
};
use warden_wire::sts::{Credentials, GetCallerIdentityResponse, GetSessionTokenResponse};
use warden_wire::xml::{escape, render_response};
use warden_wire::{ApiError, ErrorCode, Fault, Service};

fn user(name: &str) -> User {
    User {
        path: Some("/".into()),
        user_name: Some(name.into()),
        user_id: "AIDAEXAMPLEEXAMPLE123".into(),
        arn: format!("arn:aws:iam::123456789012:user/{name}"),
        create_date: datetime!(2024-01-01 00:00:00 UTC),
        password_last_used: None,
        permissions_boundary: None,
        tags: None,
    }
}

#[test]
fn create_user_response_golden() {
    let mut u = user("alice");
    u.tags = Some(vec![Tag {
        key: "env".into(),
        value: "a<b&c".into(),
    }]);
    let out = CreateUserResponse { user: Some(u) };
    let xml = render_response(
        "CreateUser",
        IAM_NS,
        Some("CreateUserResult"),
        &out,
        "req-1",
    );
    assert_eq!(
        xml,
        "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <CreateUserResult><User><Path>/</Path><UserName>alice</UserName>\
         <UserId>AIDAEXAMPLEEXAMPLE123</UserId>\
         <Arn>arn:aws:iam::123456789012:user/alice</Arn>\
         <CreateDate>2024-01-01T00:00:00Z</CreateDate>\
         <Tags><member><Key>env</Key><Value>a&lt;b&amp;c</Value></member></Tags>\
         </User></CreateUserResult>\
         <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>\
         </CreateUserResponse>"
    );
}

#[test]
fn list_users_golden_with_empty_list() {
    let out = ListUsersResponse {
        users: vec![],
        is_truncated: Some(false),
        marker: None,
    };
    let xml = render_response("ListUsers", IAM_NS, Some("ListUsersResult"), &out, "r");
    assert_eq!(
        xml,
        "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <ListUsersResult><Users></Users><IsTruncated>false</IsTruncated></ListUsersResult>\
         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>"
    );
}

#[test]
fn maps_render_as_entries() {
    let mut m = BTreeMap::new();
    m.insert(SummaryKeyType::USERS, 2);
    m.insert(SummaryKeyType::GROUPS, 1);
    let out = GetAccountSummaryResponse {
        summary_map: Some(m),
    };
    let xml = render_response(
        "GetAccountSummary",
        IAM_NS,
        Some("GetAccountSummaryResult"),
        &out,
        "r",
    );
    assert!(xml.contains(
        "<SummaryMap><entry><key>Groups</key><value>1</value></entry>\
         <entry><key>Users</key><value>2</value></entry></SummaryMap>"
    ));
}

#[test]
fn sts_namespace_and_credentials() {
    let out = GetSessionTokenResponse {
        credentials: Some(Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration: datetime!(2024-01-01 12:00:00.5 +02:00),
        }),
        ..Default::default()
    };
    let xml = render_response(
        "GetSessionToken",
        warden_wire::sts::XML_NAMESPACE,
        Some("GetSessionTokenResult"),
        &out,
        "r",
    );
    assert!(xml.starts_with(
        "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    // Converted to UTC, seconds precision.
    assert!(xml.contains("<Expiration>2024-01-01T10:00:00Z</Expiration>"));
    let gci = GetCallerIdentityResponse {
        user_id: Some("AIDA".into()),
        account: Some("123456789012".into()),
        arn: Some("arn:aws:iam::123456789012:root".into()),
    };
    let xml = render_response(
        "GetCallerIdentity",
        warden_wire::sts::XML_NAMESPACE,
        Some("GetCallerIdentityResult"),
        &gci,
        "r",
    );
    assert!(xml.contains(
        "<GetCallerIdentityResult><UserId>AIDA</UserId><Account>123456789012</Account>\
         <Arn>arn:aws:iam::123456789012:root</Arn></GetCallerIdentityResult>"
    ));
}

#[test]
fn operation_without_output_has_no_result_element() {
    let xml = render_response("DeleteUser", IAM_NS, None, &(), "r");
    assert_eq!(
        xml,
        "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteUserResponse>"
    );
}

#[test]
fn escaping() {
    assert_eq!(
        escape("<a href=\"x\">&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
    );
    assert_eq!(escape("a\u{1}b\r\n"), "ab&#xD;\n");
    assert_eq!(escape("日本"), "日本");
}

#[test]
fn error_envelope() {
    let e = ApiError::no_such_entity("The user with name bob cannot be found.");
    assert_eq!(e.status(), 404);
    assert_eq!(e.fault(), Fault::Sender);
    assert_eq!(
        e.to_xml(Service::Iam, "rid"),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
         <Type>Sender</Type><Code>NoSuchEntity</Code>\
         <Message>The user with name bob cannot be found.</Message></Error>\
         <RequestId>rid</RequestId></ErrorResponse>"
    );
    let e = ApiError::internal_failure();
    assert_eq!(e.status(), 500);
    assert!(e.to_xml(Service::Sts, "x").contains(
        "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Receiver</Type>"
    ));
    let e = ApiError::validation("a < b");
    assert!(e
        .to_xml(Service::Iam, "x")
        .contains("<Message>a &lt; b</Message>"));
}

#[test]
fn statuses_come_from_the_tables() {
    let cases = [
        ("EntityAlreadyExists", 409),
        ("DeleteConflict", 409),
        ("LimitExceeded", 409),
        ("NoSuchEntity", 404),
        ("MalformedPolicyDocument", 400),
        ("InvalidAuthenticationCode", 403),
        ("ServiceFailure", 500),
        ("PackedPolicyTooLarge", 400),
        ("InvalidClientTokenId", 403),
        ("SignatureDoesNotMatch", 403),
        ("MissingAuthenticationToken", 403),
        ("IncompleteSignature", 400),
        ("ExpiredToken", 403),
        ("AccessDenied", 403),
        ("InvalidAction", 400),
        ("ValidationError", 400),
        ("MissingParameter", 400),
        ("InvalidParameterValue", 400),
        ("InvalidParameterCombination", 400),
        ("RequestExpired", 400),
        ("NotImplemented", 501),
        ("InternalFailure", 500),
        ("ServiceUnavailable", 503),
        ("RequestTimeout", 408),
    ];
    for (code, status) in cases {
        let known = ErrorCode::from_code(code).unwrap_or_else(|| panic!("{code} unknown"));
        assert_eq!(ApiError::new(known, "m").status(), status, "{code}");
    }
    assert_eq!(ErrorCode::from_code("SomethingNobodyDeclared"), None);
    assert_eq!(
        ApiError::new(ErrorCode::ServiceFailure, "m").fault(),
        Fault::Receiver
    );
}

#[test]
fn every_error_code_round_trips_and_5xx_is_the_receivers_fault() {
    for &code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        assert_eq!(code.to_string(), code.as_str());
        let receiver = code.status() >= 500;
        assert_eq!(code.fault() == Fault::Receiver, receiver, "{code}");
    }
}

#[test]
fn json_error_body() {
    let e = ApiError::new(ErrorCode::AccessDeniedException, "no \"way\"");
    let v: serde_json::Value =
        serde_json::from_slice(&e.to_json()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(v["__type"], "AccessDeniedException");
    assert_eq!(v["message"], "no \"way\"");
}

#[test]
fn policy_documents_are_url_encoded_like_aws() {
    let out = warden_wire::iam::GetUserPolicyResponse {
        user_name: "bob".into(),
        policy_name: "p".into(),
        policy_document: "{\"Version\": \"2012-10-17\", \"Statement\": []}".into(),
    };
    let xml = render_response(
        "GetUserPolicy",
        IAM_NS,
        Some("GetUserPolicyResult"),
        &out,
        "r",
    );
    assert!(
        xml.contains(
            "<PolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D</PolicyDocument>"
        ),
        "{xml}"
    );
}
