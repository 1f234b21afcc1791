//! Query parameter parsing and decoding into generated request types, with
//! the model's constraints and AWS's exact validation messages.

use warden_wire::iam::{
    CreateUserRequest, EntityType, GetAccountAuthorizationDetailsRequest, ListUsersRequest,
    TagUserRequest, UpdateAccessKeyRequest,
};
use warden_wire::sts::{AssumeRoleRequest, GetSessionTokenRequest};
use warden_wire::{ApiError, ErrorCode, Fault, QueryParams};

fn params(body: &str) -> QueryParams {
    match QueryParams::parse(body.as_bytes()) {
        Ok(p) => p,
        Err(e) => panic!("parse {body}: {e}"),
    }
}

fn decode_err<T: warden_wire::query::QueryDecode + std::fmt::Debug>(body: &str) -> ApiError {
    match params(body).decode::<T>() {
        Ok(v) => panic!("expected an error for {body}, got {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn parses_form_bodies_and_query_strings() {
    let p = params("Action=CreateUser&Version=2010-05-08&UserName=a%2Bb+c&Empty=&Flag");
    assert_eq!(p.action(), Some("CreateUser"));
    assert_eq!(p.version(), Some("2010-05-08"));
    assert_eq!(p.get("UserName"), Some("a+b c"));
    assert_eq!(p.get("Empty"), Some(""));
    assert_eq!(p.get("Flag"), Some(""));
    assert_eq!(p.get("username"), None, "lookup is by exact name");
}

#[test]
fn invalid_utf8_is_a_400_not_a_panic() {
    let err = match QueryParams::parse(b"Action=%FF%FE") {
        Ok(p) => panic!("parsed {p:?}"),
        Err(e) => e,
    };
    assert!(err.status() >= 400 && err.status() < 500, "{err:?}");
    assert_eq!(err.fault(), Fault::Sender);
}

#[test]
fn decodes_scalars_and_tag_lists() {
    let req: CreateUserRequest = params(
        "Action=CreateUser&UserName=alice&Path=%2Fteam%2F\
         &Tags.member.1.Key=env&Tags.member.1.Value=prod\
         &Tags.member.2.Key=team&Tags.member.2.Value=",
    )
    .decode()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(req.user_name, "alice");
    assert_eq!(req.path.as_deref(), Some("/team/"));
    let tags = req.tags.unwrap_or_default();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0].key, "env");
    assert_eq!(tags[0].value, "prod");
    assert_eq!(tags[1].key, "team");
    assert_eq!(tags[1].value, "");
}

#[test]
fn list_stops_at_the_first_gap() {
    let req: TagUserRequest = params(
        "UserName=bob&Tags.member.1.Key=a&Tags.member.1.Value=1\
         &Tags.member.3.Key=c&Tags.member.3.Value=3",
    )
    .decode()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(req.tags.len(), 1);
}

#[test]
fn empty_list_marker_is_an_empty_list() {
    // botocore serializes an empty list as `Tags=`.
    let req: TagUserRequest = params("UserName=bob&Tags=")
        .decode()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(req.tags.is_empty());
}

#[test]
fn decodes_integers_and_string_lists() {
    let req: ListUsersRequest = params("MaxItems=10&PathPrefix=%2F")
        .decode()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(req.max_items, Some(10));
    let req: GetAccountAuthorizationDetailsRequest =
        params("Filter.member.1=User&Filter.member.2=Role")
            .decode()
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(req.filter, Some(vec![EntityType::USER, EntityType::ROLE]));
}

#[test]
fn missing_required_member_is_validation_error() {
    let e = decode_err::<CreateUserRequest>("Action=CreateUser");
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert_eq!(e.status(), 400);
    assert_eq!(
        e.message,
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn length_violation_message_matches_aws() {
    let long = "a".repeat(65);
    let e = decode_err::<CreateUserRequest>(&format!("UserName={long}"));
    assert_eq!(
        e.message,
        format!(
            "1 validation error detected: Value '{long}' at 'userName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        )
    );
}

#[test]
fn pattern_violation_message_matches_aws() {
    let e = decode_err::<CreateUserRequest>("UserName=bad%2Fname");
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'bad/name' at 'userName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
}

#[test]
fn java_word_class_is_ascii_only() {
    let e = decode_err::<CreateUserRequest>("UserName=%C3%A9t%C3%A9");
    assert!(e.message.contains("regular expression pattern"), "{e:?}");
}

#[test]
fn enum_violation_message_matches_aws() {
    // IAM repeats the value only for names (and maxSessionDuration), and names no set: AWS's
    // recorded answer for a bad status (LocalStack's test_iam.snapshot.json,
    // test_invalid_update_parameters).
    let e = decode_err::<UpdateAccessKeyRequest>("AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=On");
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'status' failed to satisfy constraint: \
         Member must satisfy enum value set"
    );
}

#[test]
fn range_violation_message_matches_aws() {
    let e = decode_err::<GetSessionTokenRequest>("DurationSeconds=899");
    assert_eq!(
        e.message,
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy \
         constraint: Member must have value greater than or equal to 900"
    );
}

#[test]
fn several_violations_are_counted_and_joined() {
    // As recorded against STS: pattern first, then length.
    let e = decode_err::<AssumeRoleRequest>(
        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=%2F",
    );
    assert_eq!(
        e.message,
        "2 validation errors detected: Value '/' at 'roleSessionName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; \
         Value '/' at 'roleSessionName' failed to satisfy constraint: Member must have length \
         greater than or equal to 2"
    );
}

#[test]
fn missing_and_invalid_members_are_reported_together() {
    let e = decode_err::<AssumeRoleRequest>("RoleSessionName=a");
    assert_eq!(
        e.message,
        "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: \
         Member must not be null; Value 'a' at 'roleSessionName' failed to satisfy \
         constraint: Member must have length greater than or equal to 2"
    );
}

#[test]
fn nested_member_paths_use_list_indexes() {
    let long = "k".repeat(129);
    let e = decode_err::<TagUserRequest>(&format!(
        "UserName=bob&Tags.member.1.Key={long}&Tags.member.1.Value=v"
    ));
    // IAM does not repeat a tag key; a name it does.
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'tags.1.member.key' failed to \
         satisfy constraint: Member must have length less than or equal to 128"
    );
    let e = decode_err::<TagUserRequest>("UserName=bob&Tags.member.1.Key=k");
    assert_eq!(
        e.message,
        "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy \
         constraint: Member must not be null"
    );
}

#[test]
fn iam_repeats_names_and_max_session_duration_only() {
    use warden_wire::iam::{CreateRoleRequest, UpdateRoleRequest};
    let e = decode_err::<UpdateRoleRequest>("RoleName=bad%2Fname&MaxSessionDuration=5");
    assert_eq!(
        e.message,
        "2 validation errors detected: Value 'bad/name' at 'roleName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
         Value '5' at 'maxSessionDuration' failed to satisfy constraint: Member must have \
         value greater than or equal to 3600"
    );
    let e = decode_err::<CreateRoleRequest>(
        "RoleName=r&AssumeRolePolicyDocument=%7B%7D&Tags.member.1.Key=k&Tags.member.1.Value=v\
         &MaxSessionDuration=abc",
    );
    assert_eq!(
        e.message,
        "1 validation error detected: Value 'abc' at 'maxSessionDuration' failed to satisfy \
         constraint: Member must be a valid integer"
    );
    let e = decode_err::<ListUsersRequest>("MaxItems=abc");
    assert_eq!(
        e.message,
        "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: \
         Member must be a valid integer"
    );
}

#[test]
fn unparseable_numbers_and_booleans_are_400_validation_errors() {
    for body in ["MaxItems=abc", "MaxItems=99999999999", "MaxItems="] {
        let e = decode_err::<ListUsersRequest>(body);
        assert_eq!(e.code, ErrorCode::ValidationError, "{body}");
        assert_eq!(e.status(), 400, "{body}");
        assert!(e.message.contains("'maxItems'"), "{e:?}");
    }
}

#[test]
fn sensitive_values_are_not_echoed() {
    use warden_wire::iam::CreateLoginProfileRequest;
    let e = decode_err::<CreateLoginProfileRequest>("UserName=bob&Password=");
    assert!(!e.message.contains("Value ''"), "{e:?}");
    assert!(e.message.contains("Value at 'password'"), "{e:?}");
}

#[test]
fn every_model_pattern_compiles() {
    let failed: Vec<&str> = warden_wire::iam::PATTERNS
        .iter()
        .chain(warden_wire::sts::PATTERNS)
        .chain(warden_wire::organizations::PATTERNS)
        .filter(|p| !p.compiles())
        .map(|p| p.java)
        .collect();
    assert!(failed.is_empty(), "uncompilable patterns: {failed:?}");
}

#[test]
fn look_ahead_pattern_is_enforced() {
    // `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: no double hyphen.
    let rule = warden_wire::iam::PATTERNS
        .iter()
        .find(|p| p.java.contains("(?!-)"))
        .unwrap_or_else(|| panic!("pattern not found"));
    assert!(rule.matches("my-domain"));
    assert!(!rule.matches("my--domain"));
    assert!(!rule.matches("-leading"));
}

#[test]
fn iam_path_violation_has_iams_own_message() {
    // IAM words a bad path on its own (seen in AWS's CreateVirtualMFADevice
    // and CreateUser answers), not with the generic constraint list.
    let e = decode_err::<CreateUserRequest>("UserName=ok&Path=no-leading-slash%2F");
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert_eq!(
        e.message,
        "The specified value for path is invalid. It must begin and end with / and contain only \
         alphanumeric characters and/or / characters."
    );
    // A good path passes.
    assert!(params("UserName=ok&Path=%2Fteam%2F")
        .decode::<CreateUserRequest>()
        .is_ok());
}
