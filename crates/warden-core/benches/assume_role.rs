//! AssumeRole and request authorization, in process (no HTTP): what one
//! AssumeRole costs the domain (trust policy decision, caller policies,
//! token sealing), and what authenticating + authorizing a request signed
//! with long-term keys vs. session credentials costs.
//!
//! `cargo bench -p warden-core --bench assume_role`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly on a broken fixture"
)]

use criterion::{criterion_group, criterion_main, Criterion};
use warden_core::authz::RequestFacts;
use warden_core::keys::KeyOwner;
use warden_core::model::now_epoch;
use warden_core::policies::Holder;
use warden_core::roles::NewRole;
use warden_core::sts::AssumeRoleInput;
use warden_core::users::NewUser;
use warden_core::Warden;

const ACCOUNT: &str = "123456789012";

fn setup() -> (Warden, String, String) {
    let w = Warden::in_memory_for_tests(ACCOUNT).unwrap();
    w.iam(ACCOUNT)
        .create_user(NewUser {
            name: "dev".into(),
            ..NewUser::default()
        })
        .unwrap();
    w.iam(ACCOUNT).put_inline_policy(
        Holder::User("dev"),
        "assume",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","iam:GetUser"],"Resource":"*"}]}"#,
    )
    .unwrap();
    let key = w
        .iam(ACCOUNT)
        .create_access_key(KeyOwner::User("dev"))
        .unwrap()
        .key
        .id;
    w.iam(ACCOUNT).create_role(
        NewRole {
            name: "app".into(),
            trust_document: format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"x"}}}}}}]}}"#
            ),
            ..NewRole::default()
        },
    )
    .unwrap();
    w.iam(ACCOUNT).put_inline_policy(
        Holder::Role("app"),
        "read",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
    )
    .unwrap();
    (w, key, format!("arn:aws:iam::{ACCOUNT}:role/app"))
}

fn bench(c: &mut Criterion) {
    let (w, key, role_arn) = setup();
    let (_, caller) = w.credentials_for(&key, None, now_epoch()).unwrap();
    let params = |name: &str| match name {
        "RoleArn" => Some(role_arn.clone()),
        "RoleSessionName" => Some("bench".to_string()),
        "ExternalId" => Some("x".to_string()),
        _ => None,
    };
    let row = warden_core::actions::spec("sts", "AssumeRole").unwrap();
    let checks = warden_core::access::checks(&w.read(), &caller, row, &params);
    let input = AssumeRoleInput {
        role_arn: role_arn.clone(),
        checks,
        session_name: "bench".into(),
        external_id: Some("x".into()),
        region: "us-east-1".into(),
        facts: RequestFacts {
            keys: Vec::new(),
            now: now_epoch(),
        },
        ..AssumeRoleInput::default()
    };
    c.bench_function("assume_role", |b| {
        b.iter(|| w.sts(&caller).assume_role(input.clone()).unwrap())
    });

    let session = w
        .sts(&caller)
        .assume_role(input.clone())
        .unwrap()
        .credentials;
    let facts = RequestFacts {
        keys: Vec::new(),
        now: now_epoch(),
    };
    let user_arn = format!("arn:aws:iam::{ACCOUNT}:user/dev");
    c.bench_function("authn_authz/long_term_key", |b| {
        b.iter(|| {
            let (_, caller) = w.credentials_for(&key, None, now_epoch()).unwrap();
            w.authorize(&caller, "iam:GetUser", &user_arn, &facts)
                .unwrap();
        })
    });
    c.bench_function("authn_authz/session_credentials", |b| {
        b.iter(|| {
            let (_, caller) = w
                .credentials_for(
                    &session.access_key_id,
                    Some(&session.session_token),
                    now_epoch(),
                )
                .unwrap();
            w.authorize(&caller, "iam:GetUser", &user_arn, &facts)
                .unwrap();
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
