//! What authorization costs per request (issue 4's target: at most 2 µs p50
//! added for a user with 10 attached policies, 2 groups and a boundary).
//!
//! Measures `Warden::authorize` alone (the caller is already authenticated)
//! for root, which no policy is read for, and for the policy-heavy user, on
//! the action and resource the server uses for `iam:GetUser`.
//!
//! `cargo bench -p warden-core --bench authorize`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use warden_core::auth::Caller;
use warden_core::authz::RequestFacts;
use warden_core::keys::KeyOwner;
use warden_core::model::now_epoch;
use warden_core::policies::{Holder, NewPolicy};
use warden_core::users::NewUser;
use warden_core::Warden;
use warden_policy::ContextValue;

const ACCOUNT: &str = "123456789012";

/// A managed policy of 10 statements on IAM and other services, some with
/// conditions, one of which allows reading users under `/team{n}/`.
fn policy_document(n: usize) -> String {
    let mut statements = Vec::new();
    for i in 0..10 {
        let stmt = match i % 5 {
            0 => format!(
                r#"{{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::{ACCOUNT}:user/team{n}/*"}}"#
            ),
            1 => format!(
                r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{n}-{i}/*","Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"t{n}"}}}}}}"#
            ),
            2 => format!(
                r#"{{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*","Condition":{{"IpAddress":{{"aws:SourceIp":"10.{n}.0.0/16"}}}}}}"#
            ),
            3 => format!(
                r#"{{"Effect":"Deny","Action":"iam:Delete*","Resource":"arn:aws:iam::{ACCOUNT}:role/protected-{n}-{i}"}}"#
            ),
            _ => format!(
                r#"{{"Effect":"Allow","Action":"dynamodb:Query","Resource":"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t{n}-{i}"}}"#
            ),
        };
        statements.push(stmt);
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn setup() -> (Warden, String) {
    let w = Warden::in_memory_for_tests(ACCOUNT).unwrap();
    let mut arns = Vec::new();
    for n in 0..13 {
        let view = w
            .create_policy(
                ACCOUNT,
                NewPolicy {
                    name: format!("p{n}"),
                    document: policy_document(n),
                    ..NewPolicy::default()
                },
            )
            .unwrap();
        arns.push(view.arn);
    }
    let boundary = w
        .create_policy(
            ACCOUNT,
            NewPolicy {
                name: "boundary".into(),
                document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","sts:*","s3:*","ec2:*"],"Resource":"*"}]}"#.into(),
                ..NewPolicy::default()
            },
        )
        .unwrap()
        .arn;
    w.create_user(
        ACCOUNT,
        NewUser {
            name: "heavy".into(),
            path: Some("/team3/".into()),
            permissions_boundary: Some(boundary),
            ..NewUser::default()
        },
    )
    .unwrap();
    for arn in &arns[..10] {
        w.attach_policy(ACCOUNT, Holder::User("heavy"), arn)
            .unwrap();
    }
    for (g, arn) in ["developers", "operators"].iter().zip(&arns[10..]) {
        w.create_group(ACCOUNT, g, None).unwrap();
        w.attach_policy(ACCOUNT, Holder::Group(g), arn).unwrap();
        w.put_inline_policy(
            ACCOUNT,
            Holder::Group(g),
            "inline",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}"#,
        )
        .unwrap();
        w.add_user_to_group(ACCOUNT, g, "heavy").unwrap();
    }
    let key = w
        .create_access_key(ACCOUNT, KeyOwner::User("heavy"))
        .unwrap()
        .key
        .id;
    (w, key)
}

fn bench(c: &mut Criterion) {
    let (w, key) = setup();
    let (_, user) = w.credentials_for(&key, None, now_epoch()).unwrap();
    let root = Caller::root(ACCOUNT, "AKIAROOTBENCH0000000");
    let resource = format!("arn:aws:iam::{ACCOUNT}:user/team3/heavy");
    // What the edge derives for every request.
    let facts = RequestFacts {
        keys: vec![
            ("aws:SourceIp".into(), ContextValue::from("127.0.0.1")),
            ("aws:SecureTransport".into(), ContextValue::from("false")),
            (
                "aws:RequestedRegion".into(),
                ContextValue::from("us-east-1"),
            ),
            (
                "aws:UserAgent".into(),
                ContextValue::from("aws-cli/1.46.3 Python/3.11.7"),
            ),
        ],
        now: now_epoch(),
    };
    // The policy-heavy user is allowed by an attached policy and the boundary.
    w.authorize(&user, "iam:GetUser", &resource, &facts)
        .expect("the heavy user may read itself");
    c.bench_function("authorize/root", |b| {
        b.iter(|| {
            w.authorize(&root, "iam:GetUser", &resource, &facts)
                .unwrap()
        })
    });
    c.bench_function("authorize/user_10_attached_2_groups_boundary/allow", |b| {
        b.iter(|| {
            w.authorize(&user, "iam:GetUser", &resource, &facts)
                .unwrap()
        })
    });
    let other = format!("arn:aws:iam::{ACCOUNT}:user/elsewhere/someone");
    c.bench_function(
        "authorize/user_10_attached_2_groups_boundary/implicit_deny",
        |b| {
            b.iter(|| {
                w.authorize(&user, "iam:GetUser", &other, &facts)
                    .unwrap_err()
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
