//! The catalogue-backed findings (`src/catalogue_findings.rs`) through the public `validate`: one test per
//! finding kind, each with a control policy that differs only in what the finding is about and gets none.
//! Codes are Access Analyzer's ("IAM policy validation check reference") except `RESOURCE_MISMATCH`.
//!
//! Off until `validate()` calls `catalogue_findings` (issue 14): delete the `cfg` line below when wiring it in.

use warden_policy::{validate, Finding, PolicyType, Severity};

fn policy(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",{statement}}}]}}"#)
}

fn findings(statement: &str, ty: PolicyType) -> Vec<Finding> {
    let report = validate(&policy(statement), ty);
    assert!(report.error.is_none(), "{statement}: {:?}", report.error);
    report.findings
}

fn codes(statement: &str) -> Vec<&'static str> {
    findings(statement, PolicyType::Identity)
        .iter()
        .map(|f| f.code)
        .collect()
}

/// The finding with `code`, which must be there exactly once.
fn the(statement: &str, code: &str) -> Finding {
    let all = findings(statement, PolicyType::Identity);
    let mut with: Vec<Finding> = all.iter().filter(|f| f.code == code).cloned().collect();
    assert_eq!(with.len(), 1, "{code} in {statement}: {all:?}");
    with.remove(0)
}

#[test]
fn an_unknown_service_in_an_action() {
    let f = the(
        r#""Action":"s33:GetObject","Resource":"*""#,
        "INVALID_SERVICE_IN_ACTION",
    );
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.path, "Statement[0].Action[0]");
    assert!(f.message.contains("Did you mean s3?"), "{}", f.message);
    assert!(
        !codes(r#""Action":"s3:GetObject","Resource":"*""#).contains(&"INVALID_SERVICE_IN_ACTION")
    );
}

#[test]
fn an_unknown_action_with_a_suggestion() {
    let f = the(
        r#""Action":["s3:ListBucket","s3:GetObjct"],"Resource":"*""#,
        "INVALID_ACTION",
    );
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.path, "Statement[0].Action[1]");
    assert!(
        f.message.contains("Did you mean s3:GetObject?"),
        "{}",
        f.message
    );
    // Action names are case-insensitive.
    assert!(
        !codes(r#""Action":["s3:ListBucket","S3:getobject"],"Resource":"*""#)
            .contains(&"INVALID_ACTION")
    );
    // Also in NotAction.
    assert!(codes(r#""NotAction":"s3:GetObjct","Resource":"*""#).contains(&"INVALID_ACTION"));
}

#[test]
fn an_action_pattern_that_matches_nothing() {
    the(r#""Action":"s3:Gett*","Resource":"*""#, "INVALID_ACTION");
    assert!(!codes(r#""Action":"s3:Get*","Resource":"*""#).contains(&"INVALID_ACTION"));
    // A wildcard in the service part is not judged.
    assert!(!codes(r#""Action":"s3*:Gett*","Resource":"*""#).contains(&"INVALID_ACTION"));
}

#[test]
fn an_aws_key_that_is_not_a_global_key() {
    let f = the(
        r#""Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIpp":"203.0.113.0/24"}}"#,
        "INVALID_GLOBAL_CONDITION_KEY",
    );
    assert_eq!(f.path, "Statement[0].Condition.IpAddress.aws:SourceIpp");
    let control = codes(
        r#""Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"AWS:SOURCEIP":"203.0.113.0/24"},"StringEquals":{"aws:PrincipalTag/team":"a","aws:RequestTag/x":"b"}}"#,
    );
    assert!(
        !control.contains(&"INVALID_GLOBAL_CONDITION_KEY"),
        "{control:?}"
    );
}

#[test]
fn a_service_key_that_does_not_exist() {
    the(
        r#""Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefixx":"home/"}}"#,
        "INVALID_SERVICE_CONDITION_KEY",
    );
    let control = codes(
        r#""Action":["s3:ListBucket","s3:GetObject"],"Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/","s3:ExistingObjectTag/team":"a"}}"#,
    );
    assert!(
        !control.contains(&"INVALID_SERVICE_CONDITION_KEY"),
        "{control:?}"
    );
}

#[test]
fn a_key_of_an_unknown_service() {
    the(
        r#""Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s33:prefix":"home/"}}"#,
        "INVALID_SERVICE",
    );
    // Keys of identity providers (OIDC, SAML) are not judged: AWS takes any claim, the reference lists few.
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:a:b"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:o/r:*"}}}]}"#;
    assert_eq!(validate(trust, PolicyType::Trust).findings, vec![]);
}

#[test]
fn a_key_none_of_the_actions_takes() {
    let f = the(
        r#""Action":["s3:GetObject","s3:PutObject"],"Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/"}}"#,
        "UNSUPPORTED_ACTION_FOR_CONDITION_KEY",
    );
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message.contains("s3:GetObject, s3:PutObject"),
        "{}",
        f.message
    );
    // One action that takes it is enough; `*` and NotAction are not judged; global keys fit every action.
    for control in [
        r#""Action":["s3:GetObject","s3:ListBucket"],"Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/"}}"#,
        r#""Action":"*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/"}}"#,
        r#""NotAction":"iam:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/"}}"#,
        r#""Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
    ] {
        assert!(
            !codes(control).contains(&"UNSUPPORTED_ACTION_FOR_CONDITION_KEY"),
            "{control}"
        );
    }
}

#[test]
fn an_operator_of_the_wrong_type_for_its_key() {
    for (statement, operator) in [
        (
            r#""Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceIp":"203.0.113.7"}}"#,
            "IpAddress",
        ),
        (
            r#""Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThanIfExists":{"aws:username":"5"}}"#,
            "String",
        ),
        (
            r#""Action":"s3:ListBucket","Resource":"*","Condition":{"ForAnyValue:DateGreaterThan":{"s3:max-keys":"2020-01-01"}}"#,
            "Numeric",
        ),
    ] {
        let f = the(statement, "TYPE_MISMATCH");
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message
                .contains(&format!("Use the operator type {operator} ")),
            "{}",
            f.message
        );
    }
    // ARN keys take String and ARN operators; Null fits every key; aws:EpochTime takes Date and Numeric.
    let control = codes(
        r#""Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/a"},"StringLike":{"aws:SourceArn":"arn:aws:sns:*"},"Null":{"aws:SourceIp":"false"},"NumericLessThan":{"aws:EpochTime":"1700000000"},"DateLessThan":{"aws:EpochTime":"2030-01-01"}}"#,
    );
    assert!(!control.contains(&"TYPE_MISMATCH"), "{control:?}");
}

#[test]
fn a_resource_no_action_of_the_statement_takes() {
    let f = the(
        r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket""#,
        "RESOURCE_MISMATCH",
    );
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.path, "Statement[0].Resource[0]");
    assert!(
        codes(r#""Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket/*""#)
            .contains(&"RESOURCE_MISMATCH")
    );
    for control in [
        r#""Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/${aws:username}/*"]"#,
        r#""Action":"s3:GetObject","Resource":"*""#,
        r#""Action":"s3:GetObject","NotResource":"arn:aws:s3:::bucket""#,
        // Some of ec2's actions take no resource type: not judged.
        r#""Action":"ec2:*","Resource":"arn:aws:s3:::bucket""#,
    ] {
        assert!(!codes(control).contains(&"RESOURCE_MISMATCH"), "{control}");
    }
}

#[test]
fn a_resource_arn_that_fits_no_resource_type_of_its_service() {
    let f = the(
        r#""Action":"ec2:StartInstances","Resource":"arn:aws:ec2:us-east-1:111122223333:instanse/i-0abc""#,
        "INVALID_ARN_RESOURCE",
    );
    assert_eq!(f.severity, Severity::Warning);
    let control = codes(
        r#""Action":"ec2:StartInstances","Resource":"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc""#,
    );
    assert!(!control.contains(&"INVALID_ARN_RESOURCE"), "{control:?}");
}
