//! Organizations (JSON 1.1): decoding with constraints, encoding with epoch
//! timestamps, dispatch and JSON errors.

use time::macros::datetime;
use warden_wire::organizations::{
    self, Account, DescribeAccountRequest, DescribeAccountResponse, ListAccountsRequest,
    ListAccountsResponse, OrganizationsApi,
};
use warden_wire::{ApiError, ErrorCode};

struct Orgs;

impl OrganizationsApi for Orgs {
    type Ctx = ();
    type Error = ApiError;

    fn describe_account(
        &self,
        _ctx: &(),
        input: DescribeAccountRequest,
    ) -> Result<DescribeAccountResponse, ApiError> {
        Ok(DescribeAccountResponse {
            account: Some(Account {
                id: Some(input.account_id),
                name: Some("main".into()),
                joined_timestamp: Some(datetime!(2024-01-01 00:00:00 UTC)),
                ..Default::default()
            }),
        })
    }

    fn list_accounts(
        &self,
        _ctx: &(),
        input: ListAccountsRequest,
    ) -> Result<ListAccountsResponse, ApiError> {
        Ok(ListAccountsResponse {
            accounts: Some(vec![]),
            next_token: input.next_token,
        })
    }
}

fn call(op: &str, body: &str) -> Result<serde_json::Value, ApiError> {
    let out = organizations::dispatch_json(&Orgs, &(), op, body.as_bytes())?;
    serde_json::from_slice(&out).map_err(|e| ApiError::validation(e.to_string()))
}

fn err(op: &str, body: &str) -> ApiError {
    match call(op, body) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e,
    }
}

#[test]
fn describe_account_round_trip() {
    let v = call("DescribeAccount", r#"{"AccountId":"123456789012"}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["Account"]["Id"], "123456789012");
    assert_eq!(v["Account"]["Name"], "main");
    // Epoch seconds, as botocore's JSON parser expects.
    assert_eq!(v["Account"]["JoinedTimestamp"], 1_704_067_200);
    assert!(
        v["Account"].get("Email").is_none(),
        "absent members are omitted"
    );
}

#[test]
fn empty_body_is_an_empty_object() {
    let v = call("ListAccounts", "").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["Accounts"], serde_json::json!([]));
}

#[test]
fn constraint_violations_are_invalid_input_with_a_reason() {
    let e = err("DescribeAccount", "{}");
    assert_eq!(e.code, ErrorCode::InvalidInputException);
    assert_eq!(e.status(), 400);
    assert_eq!(e.reason.as_deref(), Some("INPUT_REQUIRED"));
    assert_eq!(
        e.message,
        "You must include a value for all required parameters."
    );
    // As recorded against AWS for DescribeAccount with a malformed id.
    let e = err("DescribeAccount", r#"{"AccountId":"12"}"#);
    assert_eq!(e.code, ErrorCode::InvalidInputException);
    assert_eq!(
        e.message,
        "You provided a value that does not match the required pattern."
    );
    let body: serde_json::Value =
        serde_json::from_slice(&e.to_json()).unwrap_or_else(|x| panic!("{x}"));
    assert_eq!(body["__type"], "InvalidInputException");
    assert_eq!(body["Reason"], "INVALID_PATTERN");
    let e = err("ListAccounts", r#"{"MaxResults":0}"#);
    assert_eq!(e.reason.as_deref(), Some("MIN_VALUE_EXCEEDED"));
}

#[test]
fn malformed_and_mistyped_bodies_are_serialization_errors() {
    for body in ["{", "[]", r#"{"AccountId":12}"#] {
        let e = err("DescribeAccount", body);
        assert_eq!(e.code, ErrorCode::SerializationException, "{body}");
        assert_eq!(e.status(), 400, "{body}");
    }
}

#[test]
fn unknown_and_unimplemented_operations() {
    let e = err("Nope", "{}");
    assert_eq!(e.code, ErrorCode::UnknownOperationException);
    assert_eq!(e.status(), 400);
    let e = err("DescribeOrganization", "{}");
    assert_eq!(e.code, ErrorCode::NotImplemented);
    let body: serde_json::Value =
        serde_json::from_slice(&e.to_json()).unwrap_or_else(|x| panic!("{x}"));
    assert_eq!(body["__type"], "NotImplemented");
    assert_eq!(
        organizations::Operation::DescribeOrganization.action(),
        "organizations:DescribeOrganization"
    );
    assert_eq!(organizations::TARGET_PREFIX, "AWSOrganizationsV20161128");
}
