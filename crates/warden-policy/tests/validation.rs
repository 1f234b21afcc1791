//! Table tests for validation per policy type. Sources: IAM User Guide pages
//! `reference_policies_grammar.html`, `reference_policies_elements_*.html`, `reference_iam-quotas.html`,
//! `access-analyzer-reference-policy-checks.html`; Organizations `orgs_manage_policies_scps_syntax.html` and
//! `orgs_manage_policies_rcps_syntax.html`; recorded AWS messages in the reference `aws-wire-facts.md`.
#![expect(clippy::unwrap_used, reason = "a test that panics has failed")]

use warden_policy::{validate, Policy, PolicyType, Severity};

use PolicyType::{Boundary, Identity, Rcp, Resource, Scp, Session, Trust};

/// `{"Version":..., "Statement":[<statement>]}`
fn doc(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

/// (policy type, document, expected hard-error code or None, expected MalformedPolicyDocument message).
type Row = (
    PolicyType,
    String,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn hard_errors_per_type() {
    let plain = doc(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#);
    let with_principal = doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}"#,
    );
    let trust = doc(
        r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
    );
    let rows: Vec<Row> = vec![
        (Identity, plain.clone(), None, None),
        (Boundary, plain.clone(), None, None),
        (Session, plain.clone(), None, None),
        (Scp, plain.clone(), None, None),
        // reference_policies_elements_principal.html: no Principal in identity-based policies.
        (
            Identity,
            with_principal.clone(),
            Some("UNSUPPORTED_ELEMENT"),
            Some("Policy document should not specify a principal."),
        ),
        (
            Scp,
            with_principal.clone(),
            Some("UNSUPPORTED_ELEMENT"),
            Some("Policy document should not specify a principal."),
        ),
        (Resource, with_principal.clone(), None, None),
        (
            Resource,
            plain.clone(),
            Some("MISSING_PRINCIPAL"),
            Some("Policy document must specify a principal."),
        ),
        (Trust, trust.clone(), None, None),
        (
            Trust,
            with_principal.clone(),
            Some("ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE"),
            Some("Has prohibited field Resource"),
        ),
        (
            Trust,
            doc(
                r#"{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#,
            ),
            Some("ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL"),
            Some("Has prohibited field NotPrincipal"),
        ),
        // Recorded against AWS: CreateRole with a trailing comma.
        (
            Trust,
            r#"{"Version":"2012-10-17","Statement":[],}"#.into(),
            Some("JSON_SYNTAX_ERROR"),
            Some("This policy contains invalid Json"),
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":[],}"#.into(),
            Some("JSON_SYNTAX_ERROR"),
            Some("Syntax errors in policy."),
        ),
        // reference_policies_elements_sid.html: IAM Sids are alphanumeric and unique.
        (
            Identity,
            doc(r#"{"Sid":"My Sid","Effect":"Allow","Action":"s3:*","Resource":"*"}"#),
            Some("UNSUPPORTED_SID"),
            None,
        ),
        (
            Resource,
            doc(
                r#"{"Sid":"My Sid","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
            ),
            None,
            None,
        ),
        // reference_policies_elements_action.html: actions need a service prefix.
        (
            Identity,
            doc(r#"{"Effect":"Allow","Action":"GetObject","Resource":"*"}"#),
            Some("INVALID_ACTION_PREFIX"),
            Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ),
        // reference_policies_elements_resource.html: ARN or "*"; no wildcard in the service segment.
        (
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"bucket/*"}"#),
            Some("INVALID_ARN_FORMAT"),
            Some("Resource bucket/* must be in ARN format or \"*\"."),
        ),
        (
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s*:::b"}"#),
            Some("INVALID_ARN_SERVICE"),
            None,
        ),
        (
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*"}"#),
            Some("MISSING_RESOURCE"),
            Some("Policy statement must contain resources."),
        ),
        // reference_policies_elements_condition_operators.html: Null takes no IfExists; operators must exist.
        (
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:TokenIssueTime":"true"}}}"#,
            ),
            Some("NULL_WITH_IF_EXISTS"),
            None,
        ),
        (
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}"#,
            ),
            Some("INVALID_CONDITION_OPERATOR"),
            None,
        ),
        (
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"maybe"}}}"#,
            ),
            Some("INVALID_CONDITION_DATA_TYPE"),
            None,
        ),
        (
            Resource,
            doc(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Action":"s3:*","Resource":"*"}"#,
            ),
            Some("INVALID_PRINCIPAL_FORMAT"),
            None,
        ),
        (
            Resource,
            doc(
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:group/g"},"Action":"s3:*","Resource":"*"}"#,
            ),
            Some("INVALID_PRINCIPAL_FORMAT"),
            None,
        ),
        (
            Resource,
            doc(
                r#"{"Effect":"Allow","Principal":{"AWS":"AIDAJQABLZS4A3QDU576Q"},"Action":"s3:*","Resource":"*"}"#,
            ),
            None,
            None,
        ),
        // orgs_manage_policies_scps_syntax.html: wildcards only alone or at the end of an action.
        (
            Scp,
            doc(r#"{"Effect":"Deny","Action":"s3:*Object","Resource":"*"}"#),
            Some("SCP_SYNTAX_ERROR_ACTION_WILDCARD"),
            None,
        ),
        (
            Identity,
            doc(r#"{"Effect":"Deny","Action":"s3:*Object","Resource":"*"}"#),
            None,
            None,
        ),
        // orgs_manage_policies_rcps_syntax.html: Principal "*", Deny only, no NotPrincipal.
        (
            Rcp,
            doc(r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}"#),
            None,
            None,
        ),
        (
            Rcp,
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#),
            Some("RCP_SYNTAX_ERROR_ALLOW"),
            None,
        ),
        (
            Rcp,
            with_principal.replace("Allow", "Deny"),
            Some("RCP_SYNTAX_ERROR_PRINCIPAL"),
            None,
        ),
        (
            Rcp,
            plain.replace("Allow", "Deny"),
            Some("MISSING_PRINCIPAL"),
            None,
        ),
    ];
    for (i, (ty, text, code, message)) in rows.iter().enumerate() {
        let report = validate(text, *ty);
        assert_eq!(
            report.error.as_ref().map(|e| e.code()),
            *code,
            "row {i} ({ty}): {text}"
        );
        if let Some(m) = message {
            assert_eq!(
                report.malformed_message(*ty).as_deref(),
                Some(*m),
                "row {i}"
            );
        }
        // `Policy::parse_as` rejects exactly what `validate` calls a hard error.
        assert_eq!(
            Policy::parse_as(text, *ty).is_err(),
            code.is_some(),
            "row {i}"
        );
    }
}

#[test]
fn quotas() {
    // reference_iam-quotas.html: managed policies 6,144 characters without whitespace; orgs_reference_limits.html:
    // SCPs 5,120 characters with whitespace.
    let statement =
        r#"{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/key"}"#;
    let n = 6_144 / statement.len() + 1;
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; n].join(",")
    );
    assert_eq!(
        validate(&big, Identity).error.map(|e| e.code()),
        Some("POLICY_SIZE_EXCEEDS_QUOTA")
    );
    let small = doc(statement);
    let padded = small.replace(',', &format!(",{}", " ".repeat(2_000)));
    assert!(
        validate(&padded, Identity).error.is_none(),
        "IAM does not count whitespace"
    );
    assert_eq!(
        validate(&padded, Scp).error.map(|e| e.code()),
        Some("POLICY_SIZE_EXCEEDS_QUOTA")
    );
}

#[test]
fn findings_have_locations() {
    // access-analyzer-reference-policy-checks.html: findings carry a path and a position.
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": \"s3:GetObject\",\n    \"Resource\": \"*\",\n    \"Condition\": {\"StringEquals\": {\"aws:PrincipalTag/team\": \"dev*\"}}\n  }]\n}";
    let report = validate(text, Identity);
    let f = report
        .findings
        .iter()
        .find(|f| f.code == "WILDCARD_WITHOUT_LIKE_OPERATOR")
        .unwrap();
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.path,
        "Statement[0].Condition.StringEquals.aws:PrincipalTag/team"
    );
    assert_eq!((f.location.line, f.location.column), (7, 61));
    let missing = validate(
        "{\"Statement\": [{\"Effect\": \"Allow\",\n \"Resource\": \"*\"}]}",
        Identity,
    );
    let e = missing.error.unwrap();
    assert_eq!(e.code(), "MISSING_ACTION");
    assert_eq!((e.location().line, e.location().column), (1, 16));
}

#[test]
fn security_warnings() {
    // access-analyzer-reference-policy-checks.html, security warnings.
    let cases = [
        (
            Resource,
            doc(
                r#"{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}"#,
            ),
            "ALLOW_WITH_NOT_PRINCIPAL",
        ),
        (
            Identity,
            doc(r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}"#),
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        ),
        (
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:username":"a"}}}"#,
            ),
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
        ),
        (
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"a"}}}"#,
            ),
            "FORALLVALUES_WITHOUT_NULL_GUARD",
        ),
        (
            Resource,
            doc(r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#),
            "PUBLIC_PRINCIPAL_WITHOUT_CONDITION",
        ),
        (
            Trust,
            doc(
                r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRole"}"#,
            ),
            "MISMATCHED_ACTION_FOR_PRINCIPAL",
        ),
        (
            Identity,
            doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}"#),
            "MISSING_BRACE_IN_VARIABLE",
        ),
        (
            Identity,
            doc(
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"a"}}}"#,
            ),
            "MISSING_QUALIFIER",
        ),
    ];
    for (ty, text, code) in cases {
        let codes: Vec<&str> = validate(&text, ty)
            .findings
            .iter()
            .map(|f| f.code)
            .collect();
        assert!(codes.contains(&code), "{code} not in {codes:?}");
    }
    let guarded = doc(
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"a"},"Null":{"aws:TagKeys":"false"}}}"#,
    );
    let left = validate(&guarded, Identity).findings;
    assert!(left.is_empty(), "{left:?}");
}

/// IAM User Guide, reference_identifiers / reference-arns: "You cannot use a wildcard in the portion of the
/// ARN that specifies the resource type". The validator reports such an entry; a literal type word, an S3 or
/// execute-api glob and an SNS name glob are not reported.
#[test]
fn wildcard_in_resource_type_is_reported() {
    let has = |resource: &str| {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"{resource}"}}]}}"#
        );
        validate(&text, Identity)
            .findings
            .iter()
            .any(|f| f.code == "WILDCARD_IN_RESOURCE_TYPE" && f.severity == Severity::Error)
    };
    assert!(has("arn:aws:iam::111122223333:us*r/bob"));
    assert!(has("arn:aws:dynamodb:*:*:*/orders"));
    assert!(has("arn:aws:lambda:*:*:func*:name"));
    for control in [
        "arn:aws:iam::111122223333:user/*",
        "arn:aws:iam::111122223333:*",
        "arn:aws:s3:::my*/*",
        "arn:aws:execute-api:*:*:*/prod/GET/*",
        "arn:aws:sns:*:*:top*",
        "*",
    ] {
        assert!(!has(control), "{control}");
    }
}

/// The classic mistake of putting a role's trust policy where an identity policy belongs: IAM answers about the
/// Principal, not about the missing Resource (the message users quote for this mistake; e2e
/// `test_roles.py::test_role_inline_policies` has the same answer through the server).
#[test]
fn trust_policy_as_identity_policy_is_answered_about_the_principal() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for ty in [Identity, PolicyType::Managed] {
        assert_eq!(
            validate(trust, ty).malformed_message(ty).as_deref(),
            Some("Policy document should not specify a principal.")
        );
    }
    // Control: the same statement without Principal is answered about the Resource.
    let no_principal =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
    assert_eq!(
        validate(no_principal, Identity)
            .malformed_message(Identity)
            .as_deref(),
        Some("Policy statement must contain resources.")
    );
}
