//! Table tests per condition-operator family. Cases come from the AWS IAM User Guide; each table cites its page
//! (under https://docs.aws.amazon.com/IAM/latest/UserGuide/).
#![expect(clippy::unwrap_used, reason = "a test that panics has failed")]

use warden_policy::{
    evaluate, ContextValue, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicySet, Principal,
    RequestContext,
};

/// A context value in the tables: one string, or a set.
enum V {
    One(&'static str),
    Many(&'static [&'static str]),
}

use V::{Many, One};

/// Does an `Allow * on *` statement with `condition` (a JSON object) apply to a request by IAM user `alice`
/// with these context keys?
fn holds_in(version: Option<&str>, condition: &str, ctx: &[(&str, V)]) -> bool {
    let version = version.map_or(String::new(), |v| format!("\"Version\":\"{v}\","));
    let text = format!(
        r#"{{{version}"Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}]}}"#
    );
    let policy = NamedPolicy::new("p", Policy::parse(&text).unwrap());
    let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut c = RequestContext::new(principal, "s3:GetObject", "arn:aws:s3:::b/k").unwrap();
    for (k, v) in ctx {
        let v = match v {
            One(s) => ContextValue::One((*s).into()),
            Many(list) => ContextValue::Many(list.iter().map(|s| (*s).to_string()).collect()),
        };
        c.insert(k, v);
    }
    let set = PolicySet {
        identity: std::slice::from_ref(&policy),
        ..PolicySet::default()
    };
    evaluate(&c, &set, &EvalOptions::default()).kind == DecisionKind::Allow
}

fn holds(condition: &str, ctx: &[(&str, V)]) -> bool {
    holds_in(Some("2012-10-17"), condition, ctx)
}

/// A condition (JSON), the request's context keys, and whether the condition holds.
type Row<'a> = (&'a str, &'a [(&'a str, V)], bool);

fn table(cases: &[Row<'_>]) {
    for (i, (cond, ctx, want)) in cases.iter().enumerate() {
        assert_eq!(holds(cond, ctx), *want, "case {i}: {cond}");
    }
}

#[test]
fn string_operators() {
    // reference_policies_elements_condition_operators.html#Conditions_String
    table(&[
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", One("iamuser-admin"))],
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", One("IAMUser-Admin"))],
            false,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[],
            false,
        ),
        // Key names are case-insensitive.
        (
            r#"{"StringEquals":{"AWS:principaltag/JOB-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", One("iamuser-admin"))],
            true,
        ),
        (
            r#"{"StringEqualsIgnoreCase":{"aws:PrincipalTag/job-category":"iamuser-admin"}}"#,
            &[("aws:PrincipalTag/job-category", One("IAMUser-Admin"))],
            true,
        ),
        // StringEquals gives `*` no meaning.
        (
            r#"{"StringEquals":{"s3:prefix":"home/*"}}"#,
            &[("s3:prefix", One("home/x"))],
            false,
        ),
        (
            r#"{"StringEquals":{"s3:prefix":"home/*"}}"#,
            &[("s3:prefix", One("home/*"))],
            true,
        ),
        // Doc example: StringLike with a variable, "home/${aws:username}/*".
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}"#,
            &[("s3:prefix", One("home/alice/docs"))],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}"#,
            &[("s3:prefix", One("home/bob/docs"))],
            false,
        ),
        (
            r#"{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}"#,
            &[("s3:prefix", One(""))],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":"a?c"}}"#,
            &[("s3:prefix", One("abc"))],
            true,
        ),
        // Values are ORed.
        (
            r#"{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
            &[("aws:RequestedRegion", One("eu-west-1"))],
            true,
        ),
        // Negated operators NOR their values, and hold when the key is absent.
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
            &[("aws:RequestedRegion", One("eu-west-1"))],
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
            &[("aws:RequestedRegion", One("ap-south-1"))],
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
            &[],
            true,
        ),
        (
            r#"{"StringNotLike":{"s3:prefix":"home/*"}}"#,
            &[("s3:prefix", One("tmp/x"))],
            true,
        ),
        (
            r#"{"StringNotEqualsIgnoreCase":{"s3:prefix":"HOME"}}"#,
            &[("s3:prefix", One("home"))],
            false,
        ),
        // Numbers and booleans in policies compare by their string form.
        (
            r#"{"StringEquals":{"s3:max-keys":10}}"#,
            &[("s3:max-keys", One("10"))],
            true,
        ),
    ]);
}

#[test]
fn numeric_operators() {
    // reference_policies_elements_condition_operators.html#Conditions_Numeric: "NumericLessThanEquals":
    // {"s3:max-keys": "10"}.
    let c = r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#;
    table(&[
        (c, &[("s3:max-keys", One("10"))], true),
        (c, &[("s3:max-keys", One("9.5"))], true),
        (c, &[("s3:max-keys", One("11"))], false),
        (c, &[("s3:max-keys", One("ten"))], false),
        (c, &[], false),
        (
            r#"{"NumericEquals":{"k:n":"10"}}"#,
            &[("k:n", One("10.0"))],
            true,
        ),
        (
            r#"{"NumericNotEquals":{"k:n":["1","2"]}}"#,
            &[("k:n", One("2"))],
            false,
        ),
        (
            r#"{"NumericNotEquals":{"k:n":["1","2"]}}"#,
            &[("k:n", One("3"))],
            true,
        ),
        (
            r#"{"NumericLessThan":{"k:n":"10"}}"#,
            &[("k:n", One("10"))],
            false,
        ),
        (
            r#"{"NumericGreaterThan":{"k:n":"10"}}"#,
            &[("k:n", One("10.1"))],
            true,
        ),
        (
            r#"{"NumericGreaterThanEquals":{"k:n":10}}"#,
            &[("k:n", One("10"))],
            true,
        ),
        // A policy value that is not a number never matches.
        (
            r#"{"NumericEquals":{"k:n":"ten"}}"#,
            &[("k:n", One("10"))],
            false,
        ),
    ]);
}

#[test]
fn date_operators() {
    // reference_policies_elements_condition_operators.html#Conditions_Date: "DateGreaterThan":
    // {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}; epoch seconds are accepted too.
    let c = r#"{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}"#;
    table(&[
        (
            c,
            &[("aws:TokenIssueTime", One("2020-01-01T00:00:02Z"))],
            true,
        ),
        (
            c,
            &[("aws:TokenIssueTime", One("2020-01-01T00:00:01Z"))],
            false,
        ),
        (c, &[("aws:TokenIssueTime", One("1577836802"))], true),
        (
            c,
            &[("aws:TokenIssueTime", One("2020-01-01T01:00:02+01:00"))],
            true,
        ),
        (c, &[], false),
        (
            r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}"#,
            &[("aws:CurrentTime", One("2029-12-31T23:59:59Z"))],
            true,
        ),
        (
            r#"{"DateLessThanEquals":{"aws:CurrentTime":"1577836800"}}"#,
            &[("aws:CurrentTime", One("2020-01-01T00:00:00Z"))],
            true,
        ),
        (
            r#"{"DateEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
            &[("aws:CurrentTime", One("2020-01-01"))],
            true,
        ),
        (
            r#"{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}"#,
            &[("aws:CurrentTime", One("2020-01-02"))],
            true,
        ),
        (
            r#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01"}}"#,
            &[("aws:CurrentTime", One("garbage"))],
            false,
        ),
    ]);
}

#[test]
fn bool_binary_ip_arn_operators() {
    table(&[
        // reference_policies_elements_condition_operators.html#Conditions_Boolean
        (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &[("aws:SecureTransport", One("true"))], true),
        (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &[("aws:SecureTransport", One("false"))], false),
        (r#"{"Bool":{"aws:SecureTransport":true}}"#, &[("aws:SecureTransport", One("TRUE"))], true),
        (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, &[], false),
        // ...#Conditions_BinaryEquals
        (r#"{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, &[("key", One("QmluYXJ5VmFsdWVJbkJhc2U2NA=="))], true),
        (r#"{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}"#, &[("key", One("QmluYXJ5"))], false),
        // ...#Conditions_IPAddress: "IpAddress": {"aws:SourceIp": "203.0.113.0/24"} and the IPv6 example.
        (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, &[("aws:SourceIp", One("203.0.113.77"))], true),
        (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, &[("aws:SourceIp", One("203.0.114.1"))], false),
        (r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}"#, &[("aws:SourceIp", One("2001:db8:1234:5678::1"))], true),
        (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, &[("aws:SourceIp", One("::ffff:203.0.113.1"))], false),
        (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}"#, &[("aws:SourceIp", One("203.0.113.5"))], true),
        (r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#, &[("aws:SourceIp", One("203.0.113.1"))], false),
        (r#"{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#, &[("aws:SourceIp", One("198.51.100.1"))], true),
        (r#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#, &[], true),
        // ...#Conditions_ARN: "ArnLike": {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}, and the
        // page's example of a pattern whose `*` must not cross colons.
        (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic-*"}}"#, &[("aws:SourceArn", One("arn:aws:sns:us-east-1:123456789012:topic-1"))], true),
        (r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:topic-*"}}"#, &[("aws:SourceArn", One("arn:aws:sns:us-east-1:123456789012:topic-1"))], true),
        (r#"{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, &[("aws:SourceArn", One("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"))], false),
        (r#"{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}"#, &[("aws:SourceArn", One("arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"))], true),
        (r#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, &[("aws:SourceArn", One("arn:aws:sns:us-east-1:999999999999:t"))], true),
        (r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, &[("aws:SourceArn", One("arn:aws:sns:us-east-1:123456789012:t"))], false),
        (r#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}"#, &[], true),
    ]);
}

#[test]
fn null_and_if_exists() {
    // reference_policies_elements_condition_operators.html#Conditions_Null and #Conditions_IfExists
    let null = r#"{"Null":{"aws:TokenIssueTime":"true"}}"#;
    let like = r#"{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}"#;
    table(&[
        (null, &[], true),
        (
            null,
            &[("aws:TokenIssueTime", One("2020-01-01T00:00:00Z"))],
            false,
        ),
        (
            r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
            &[("aws:TokenIssueTime", One("x"))],
            true,
        ),
        (r#"{"Null":{"aws:TokenIssueTime":"false"}}"#, &[], false),
        (like, &[], true),
        (like, &[("ec2:InstanceType", One("t2.micro"))], true),
        (like, &[("ec2:InstanceType", One("m5.large"))], false),
        // IfExists on a negated operator: absent is still true.
        (
            r#"{"StringNotEqualsIfExists":{"aws:ResourceTag/env":"prod"}}"#,
            &[],
            true,
        ),
        (
            r#"{"StringNotEqualsIfExists":{"aws:ResourceTag/env":"prod"}}"#,
            &[("aws:ResourceTag/env", One("prod"))],
            false,
        ),
        (
            r#"{"NumericLessThanIfExists":{"k:n":"3"}}"#,
            &[("k:n", One("5"))],
            false,
        ),
    ]);
}

#[test]
fn set_qualifiers() {
    // reference_policies_condition-single-vs-multi-valued-context-keys.html and
    // reference_policies_multi-value-conditions.html: aws:TagKeys examples.
    let all = r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    let any = r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}"#;
    table(&[
        (all, &[("aws:TagKeys", Many(&["environment"]))], true),
        (
            all,
            &[("aws:TagKeys", Many(&["environment", "cost-center"]))],
            true,
        ),
        (
            all,
            &[("aws:TagKeys", Many(&["environment", "dept"]))],
            false,
        ),
        // The "null data set": absent or empty makes ForAllValues true.
        (all, &[], true),
        (all, &[("aws:TagKeys", Many(&[]))], true),
        (
            any,
            &[("aws:TagKeys", Many(&["dept", "cost-center"]))],
            true,
        ),
        (any, &[("aws:TagKeys", Many(&["dept"]))], false),
        (any, &[], false),
        (any, &[("aws:TagKeys", Many(&[]))], false),
        // A negated operator under ForAllValues: every request value must match none of the policy values.
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            &[("aws:TagKeys", Many(&["a", "b"]))],
            true,
        ),
        (
            r#"{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            &[("aws:TagKeys", Many(&["a", "secret"]))],
            false,
        ),
        (
            r#"{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["secret"]}}"#,
            &[("aws:TagKeys", Many(&["a", "secret"]))],
            true,
        ),
        (
            r#"{"ForAnyValue:StringLike":{"aws:TagKeys":["env*"]}}"#,
            &[("aws:TagKeys", Many(&["a", "environment"]))],
            true,
        ),
        // A single-valued key under a set qualifier is a one-element set.
        (
            r#"{"ForAnyValue:StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#,
            &[("aws:RequestedRegion", One("us-east-1"))],
            true,
        ),
        // ForAnyValue over an absent key is false, and IfExists does not make it true: AWS denied
        // sqs:ListQueues under exactly this Allow (re:Post QU9HFmDzP0QGuU-fd7rS6B7w,
        // "ForAnyValue:StringEqualsIfExists behaving unexpectedly"; the accepted answer cites the
        // condition-keys page: "if there is no matching context key ... the condition returns false").
        (
            r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"team"}}"#,
            &[],
            false,
        ),
        // Control: the key present with a matching value.
        (
            r#"{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"team"}}"#,
            &[("aws:TagKeys", Many(&["team", "env"]))],
            true,
        ),
        // ForAllValues with IfExists stays true on an absent key (ForAllValues over no values).
        (
            r#"{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":"team"}}"#,
            &[],
            true,
        ),
        // Open question 2: a plain operator on a multivalued key is false, negated or not.
        (
            r#"{"StringEquals":{"aws:TagKeys":"a"}}"#,
            &[("aws:TagKeys", Many(&["a"]))],
            false,
        ),
        (
            r#"{"StringNotEquals":{"aws:TagKeys":"b"}}"#,
            &[("aws:TagKeys", Many(&["a"]))],
            false,
        ),
    ]);
}

#[test]
fn and_across_entries() {
    // reference_policies_condition-logic-multiple-context-keys-or-values.html: operators and keys are ANDed.
    let c = r#"{"StringEquals":{"aws:PrincipalTag/team":"a","aws:PrincipalTag/env":"dev"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#;
    table(&[
        (
            c,
            &[
                ("aws:PrincipalTag/team", One("a")),
                ("aws:PrincipalTag/env", One("dev")),
                ("aws:MultiFactorAuthPresent", One("true")),
            ],
            true,
        ),
        (
            c,
            &[
                ("aws:PrincipalTag/team", One("a")),
                ("aws:PrincipalTag/env", One("dev")),
            ],
            false,
        ),
        (
            c,
            &[
                ("aws:PrincipalTag/team", One("a")),
                ("aws:PrincipalTag/env", One("prod")),
                ("aws:MultiFactorAuthPresent", One("true")),
            ],
            false,
        ),
    ]);
}

#[test]
fn policy_variables() {
    // reference_policies_variables.html
    table(&[
        // Derived principal keys: aws:username of an IAM user.
        (
            r#"{"StringEquals":{"s3:prefix":"${aws:username}"}}"#,
            &[("s3:prefix", One("alice"))],
            true,
        ),
        (
            r#"{"StringEquals":{"s3:prefix":"${AWS:UserName}"}}"#,
            &[("s3:prefix", One("alice"))],
            true,
        ),
        // Default values: `${aws:PrincipalTag/team, 'company-wide'}`.
        (
            r#"{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'company-wide'}"}}"#,
            &[("s3:prefix", One("company-wide"))],
            true,
        ),
        (
            r#"{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/team, 'company-wide'}"}}"#,
            &[("s3:prefix", One("x")), ("aws:PrincipalTag/team", One("x"))],
            true,
        ),
        // Special characters: `${*}`, `${?}`, `${$}` are literal.
        (
            r#"{"StringLike":{"s3:prefix":"a${*}b"}}"#,
            &[("s3:prefix", One("a*b"))],
            true,
        ),
        (
            r#"{"StringLike":{"s3:prefix":"a${*}b"}}"#,
            &[("s3:prefix", One("axb"))],
            false,
        ),
        (
            r#"{"StringLike":{"s3:prefix":"${$}${?}"}}"#,
            &[("s3:prefix", One("$?"))],
            true,
        ),
        // A variable whose key is absent (and no default) never matches.
        (
            r#"{"StringEquals":{"s3:prefix":"${aws:PrincipalTag/none}"}}"#,
            &[("s3:prefix", One(""))],
            false,
        ),
        // ARN operator values take variables in every segment, not only the resource part.
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}"#,
            &[("aws:SourceArn", One("arn:aws:sns:us-east-1:111122223333:t"))],
            true,
        ),
        (
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}"#,
            &[("aws:SourceArn", One("arn:aws:sns:us-east-1:999999999999:t"))],
            false,
        ),
        // Variables are not substituted in Numeric values.
        (
            r#"{"NumericEquals":{"k:n":"${k:m}"}}"#,
            &[("k:n", One("1")), ("k:m", One("1"))],
            false,
        ),
        // Open question 4: nor in Bool values.
        (
            r#"{"Bool":{"k:b":"${k:c}"}}"#,
            &[("k:b", One("true")), ("k:c", One("true"))],
            false,
        ),
        // A multivalued key cannot be a variable.
        (
            r#"{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}"#,
            &[("s3:prefix", One("a")), ("aws:TagKeys", Many(&["a"]))],
            false,
        ),
    ]);
    // Open question 3: without Version 2012-10-17, `${...}` is literal text while `*` still globs.
    let c = r#"{"StringLike":{"s3:prefix":"${aws:username}/*"}}"#;
    assert!(holds_in(
        None,
        c,
        &[("s3:prefix", One("${aws:username}/x"))]
    ));
    assert!(!holds_in(None, c, &[("s3:prefix", One("alice/x"))]));
    assert!(holds_in(
        Some("2008-10-17"),
        c,
        &[("s3:prefix", One("${aws:username}/x"))]
    ));
    assert!(holds_in(
        Some("2012-10-17"),
        c,
        &[("s3:prefix", One("alice/x"))]
    ));
}

#[test]
fn unknown_operator_never_holds() {
    assert!(!holds(
        r#"{"StringEqualz":{"k:a":"x"}}"#,
        &[("k:a", One("x"))]
    ));
}
