//! Generated traits and dispatch: a handler is a plain method from the typed
//! request to the typed response.

use time::macros::datetime;
use warden_wire::iam::{self, CreateUserRequest, CreateUserResponse, IamApi, User};
use warden_wire::sts::{self, GetCallerIdentityResponse, StsApi};
use warden_wire::{ApiError, ErrorCode, QueryParams};

struct Iam;

impl IamApi for Iam {
    type Ctx = String;
    type Error = ApiError;

    fn create_user(
        &self,
        ctx: &String,
        input: CreateUserRequest,
    ) -> Result<CreateUserResponse, ApiError> {
        if input.user_name == "taken" {
            return Err(ApiError::entity_already_exists(format!(
                "User with name {} already exists.",
                input.user_name
            )));
        }
        Ok(CreateUserResponse {
            user: Some(User {
                path: Some(input.path.unwrap_or_else(|| "/".into())),
                user_name: Some(input.user_name.clone()),
                user_id: "AIDAEXAMPLE".into(),
                arn: format!("arn:aws:iam::{ctx}:user/{}", input.user_name),
                create_date: datetime!(2024-01-01 00:00:00 UTC),
                password_last_used: None,
                permissions_boundary: None,
                tags: input.tags,
            }),
        })
    }

    fn delete_user(&self, _ctx: &String, _input: iam::DeleteUserRequest) -> Result<(), ApiError> {
        Ok(())
    }
}

struct Sts;

impl StsApi for Sts {
    type Ctx = ();
    type Error = ApiError;

    fn get_caller_identity(
        &self,
        _ctx: &(),
        _input: sts::GetCallerIdentityRequest,
    ) -> Result<GetCallerIdentityResponse, ApiError> {
        Ok(GetCallerIdentityResponse {
            user_id: Some("123456789012".into()),
            account: Some("123456789012".into()),
            arn: Some("arn:aws:iam::123456789012:root".into()),
        })
    }
}

fn call_iam(body: &str) -> Result<String, ApiError> {
    let p = QueryParams::parse(body.as_bytes())?;
    let action = p.action().unwrap_or("").to_string();
    iam::dispatch(&Iam, &"123456789012".to_string(), &action, &p, "req-id")
}

#[test]
fn dispatches_to_the_handler_and_renders_xml() {
    let xml = call_iam("Action=CreateUser&Version=2010-05-08&UserName=alice")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(xml.starts_with("<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateUserResult><User><Path>/</Path><UserName>alice</UserName>"));
    assert!(xml.ends_with(
        "<ResponseMetadata><RequestId>req-id</RequestId></ResponseMetadata></CreateUserResponse>"
    ));
}

#[test]
fn handler_errors_pass_through() {
    let e = match call_iam("Action=CreateUser&Version=2010-05-08&UserName=taken") {
        Ok(x) => panic!("{x}"),
        Err(e) => e,
    };
    assert_eq!(e.code, ErrorCode::EntityAlreadyExists);
    assert_eq!(e.status(), 409);
}

#[test]
fn operation_without_output() {
    let xml = call_iam("Action=DeleteUser&Version=2010-05-08&UserName=a")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(xml, "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata><RequestId>req-id</RequestId></ResponseMetadata></DeleteUserResponse>");
}

#[test]
fn validation_happens_before_the_handler() {
    let e = match call_iam("Action=CreateUser&Version=2010-05-08") {
        Ok(x) => panic!("{x}"),
        Err(e) => e,
    };
    assert_eq!(e.code, ErrorCode::ValidationError);
}

#[test]
fn unimplemented_operations_default_to_not_implemented() {
    let e = match call_iam("Action=ListRoles&Version=2010-05-08") {
        Ok(x) => panic!("{x}"),
        Err(e) => e,
    };
    assert_eq!(e.code, ErrorCode::NotImplemented);
    assert_eq!(e.status(), 501);
}

#[test]
fn unknown_action_is_invalid_action() {
    let e = match call_iam("Action=Foo&Version=2010-05-08") {
        Ok(x) => panic!("{x}"),
        Err(e) => e,
    };
    assert_eq!(e.code, ErrorCode::InvalidAction);
    assert_eq!(e.status(), 400);
    assert_eq!(
        e.message,
        "Could not find operation Foo for version 2010-05-08"
    );
    // An STS action sent to IAM is unknown there too.
    let e = match call_iam("Action=GetCallerIdentity&Version=2010-05-08") {
        Ok(x) => panic!("{x}"),
        Err(e) => e,
    };
    assert_eq!(e.code, ErrorCode::InvalidAction);
    // So is a known action under another API version.
    let e = match call_iam("Action=CreateUser&Version=2011-06-15&UserName=a") {
        Ok(x) => panic!("{x}"),
        Err(e) => e,
    };
    assert_eq!(
        e.message,
        "Could not find operation CreateUser for version 2011-06-15"
    );
    let e = match call_iam("Version=2010-05-08") {
        Ok(x) => panic!("{x}"),
        Err(e) => e,
    };
    assert_eq!(e.code, ErrorCode::MissingAction);
}

#[test]
fn sts_dispatch() {
    let p = QueryParams::parse(b"Action=GetCallerIdentity&Version=2011-06-15")
        .unwrap_or_else(|e| panic!("{e}"));
    let xml =
        sts::dispatch(&Sts, &(), "GetCallerIdentity", &p, "r").unwrap_or_else(|e| panic!("{e}"));
    assert!(xml.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
    ));
}

#[test]
fn operation_names_and_actions() {
    assert_eq!(iam::Operation::CreateUser.name(), "CreateUser");
    assert_eq!(iam::Operation::CreateUser.action(), "iam:CreateUser");
    assert_eq!(
        sts::Operation::from_name("GetSessionToken").map(sts::Operation::action),
        Some("sts:GetSessionToken")
    );
    assert!(iam::OPERATIONS.len() >= 180, "{}", iam::OPERATIONS.len());
    assert_eq!(iam::OPERATIONS.len(), iam::Operation::ALL.len());
    assert!(sts::OPERATIONS.contains(&"GetCallerIdentity"));
    assert_eq!(warden_wire::organizations::OPERATIONS.len(), 63);
}
