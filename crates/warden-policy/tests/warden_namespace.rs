//! warden's own namespace (`warden:Authorize` and the resource-policy actions of the authorization API,
//! `tools/action-table/warden-actions.json`) validates like an AWS service's: a policy granting a service
//! the API, scoped to its resources and to the actions it may ask about, gets no finding; a misspelled
//! action does, as for any service.

use warden_policy::{validate, PolicyType};

fn codes(statement: &str) -> Vec<&'static str> {
    let doc =
        format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",{statement}}}]}}"#);
    let report = validate(&doc, PolicyType::Identity);
    assert!(report.error.is_none(), "{statement}: {:?}", report.error);
    report.findings.iter().map(|f| f.code).collect()
}

#[test]
fn a_policy_granting_the_authorization_api_has_no_finding() {
    assert_eq!(
        codes(
            r#""Action":["warden:Authorize","warden:GetResourcePolicy","warden:PutResourcePolicy","warden:DeleteResourcePolicy"],
               "Resource":"arn:aws:s3:::*",
               "Condition":{"StringLike":{"warden:RequestedAction":"s3:Get*"}}"#
        ),
        Vec::<&str>::new()
    );
    assert_eq!(
        codes(r#""Action":"warden:*","Resource":"*""#),
        Vec::<&str>::new()
    );
}

#[test]
fn a_misspelled_warden_action_is_found() {
    assert_eq!(
        codes(r#""Action":"warden:Authorise","Resource":"*""#),
        vec!["INVALID_ACTION"]
    );
}
