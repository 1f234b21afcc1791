//! What authorization costs per request (issue 4's target: at most 2 µs p50
//! added for a user with 10 attached policies, 2 groups and a boundary).
//!
//! Measures `Warden::authorize` alone (the caller is already authenticated)
//! for root, which no policy is read for, and for the policy-heavy user, on
//! the action and resource the server uses for `iam:GetUser`; and for the
//! same user in a member account of an organization, where three SCP levels
//! (root, an OU with a 10-statement SCP, the account) apply as well; and
//! the user's request right after a write (untimed) in another account,
//! which keeps its cached view, or in its own account, which renews it.
//! `authorize_request/*` adds what the edge does first for every request:
//! building the checks from the action table.
//!
//! `cargo bench -p warden-core --bench authorize`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly on a broken fixture"
)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use warden_core::auth::Caller;
use warden_core::authz::RequestFacts;
use warden_core::keys::KeyOwner;
use warden_core::model::{now_epoch, Tag};
use warden_core::policies::{Holder, NewPolicy};
use warden_core::users::NewUser;
use warden_core::Warden;
use warden_policy::ContextValue;

const ACCOUNT: &str = "123456789012";

/// A managed policy of 10 statements on IAM and other services, some with
/// conditions, one of which allows reading users under `/team{n}/`.
fn policy_document(account: &str, n: usize) -> String {
    let mut statements = Vec::new();
    for i in 0..10 {
        let stmt = match i % 5 {
            0 => format!(
                r#"{{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"arn:aws:iam::{account}:user/team{n}/*"}}"#
            ),
            1 => format!(
                r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{n}-{i}/*","Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"t{n}"}}}}}}"#
            ),
            2 => format!(
                r#"{{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*","Condition":{{"IpAddress":{{"aws:SourceIp":"10.{n}.0.0/16"}}}}}}"#
            ),
            3 => format!(
                r#"{{"Effect":"Deny","Action":"iam:Delete*","Resource":"arn:aws:iam::{account}:role/protected-{n}-{i}"}}"#
            ),
            _ => format!(
                r#"{{"Effect":"Allow","Action":"dynamodb:Query","Resource":"arn:aws:dynamodb:us-east-1:{account}:table/t{n}-{i}"}}"#
            ),
        };
        statements.push(stmt);
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// The policy-heavy user `heavy` in `account`, and its access key id.
fn heavy_user(w: &Warden, account: &str) -> String {
    let mut arns = Vec::new();
    for n in 0..13 {
        let view = w
            .iam(account)
            .create_policy(NewPolicy {
                name: format!("p{n}"),
                document: policy_document(account, n),
                ..NewPolicy::default()
            })
            .unwrap();
        arns.push(view.arn);
    }
    let boundary = w
        .iam(account).create_policy(
            NewPolicy {
                name: "boundary".into(),
                document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","sts:*","s3:*","ec2:*"],"Resource":"*"}]}"#.into(),
                ..NewPolicy::default()
            },
        )
        .unwrap()
        .arn;
    w.iam(account)
        .create_user(NewUser {
            name: "heavy".into(),
            path: Some("/team3/".into()),
            permissions_boundary: Some(boundary),
            ..NewUser::default()
        })
        .unwrap();
    for arn in &arns[..10] {
        w.iam(account)
            .attach_policy(Holder::User("heavy"), arn)
            .unwrap();
    }
    for (g, arn) in ["developers", "operators"].iter().zip(&arns[10..]) {
        w.iam(account).create_group(g, None).unwrap();
        w.iam(account).attach_policy(Holder::Group(g), arn).unwrap();
        w.iam(account).put_inline_policy(
            Holder::Group(g),
            "inline",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}"#,
        )
        .unwrap();
        w.iam(account).add_user_to_group(g, "heavy").unwrap();
    }
    let key = w
        .iam(account)
        .create_access_key(KeyOwner::User("heavy"))
        .unwrap()
        .key
        .id;
    key
}

/// An SCP of 10 statements that deny other services' actions.
fn scp_document() -> String {
    let statements: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"Effect":"Deny","Action":["ec2:TerminateInstances","s3:DeleteBucket"],"Resource":"arn:aws:ec2:*:*:instance/i-{i}*","Condition":{{"StringNotEquals":{{"aws:PrincipalTag/team":"ops{i}"}}}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// A member account under an OU, with SCPs enabled: FullAWSAccess on the
/// root, the OU and the account, and a 10-statement SCP on the OU.
fn member_account(w: &Warden) -> String {
    use warden_core::org_policies::SCP;
    let org = w.orgs(ACCOUNT).create_organization(None).unwrap();
    let member = w
        .orgs(ACCOUNT)
        .create_member_account("workload", "workload@example.com", None, Vec::new())
        .unwrap()
        .account;
    let root = org.root_id();
    let ou = w
        .orgs(ACCOUNT)
        .create_org_unit(&root, "workloads", Vec::new())
        .unwrap()
        .id;
    w.orgs(ACCOUNT)
        .move_org_account(&member, &root, &ou)
        .unwrap();
    w.orgs(ACCOUNT).enable_policy_type(&root, SCP).unwrap();
    let scp = w
        .orgs(ACCOUNT)
        .create_org_policy("guardrails", "", SCP, &scp_document(), Vec::new())
        .unwrap();
    w.orgs(ACCOUNT).attach_org_policy(&scp.id, &ou).unwrap();
    member
}

fn bench(c: &mut Criterion) {
    let w = Warden::in_memory_for_tests(ACCOUNT).unwrap();
    let key = heavy_user(&w, ACCOUNT);
    let (_, user) = w.credentials_for(&key, None, now_epoch()).unwrap();
    let member = member_account(&w);
    let member_key = heavy_user(&w, &member);
    let (_, member_user) = w.credentials_for(&member_key, None, now_epoch()).unwrap();
    let member_resource = format!("arn:aws:iam::{member}:user/team3/heavy");
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
    // The whole authorization of a request as the edge runs it: the checks
    // built from the action table (resource from the stored user, its tags
    // and boundary), then decided.
    let get_user = warden_core::actions::spec("iam", "GetUser").unwrap();
    let params = |name: &str| (name == "UserName").then(|| "HEAVY".to_string());
    c.bench_function(
        "authorize_request/user_10_attached_2_groups_boundary/GetUser_from_the_table",
        |b| {
            b.iter(|| {
                let checks = warden_core::access::checks(&w.read(), &user, get_user, &params);
                w.authorize_checks(&user, &checks, &facts).unwrap()
            })
        },
    );
    // The same, plus what the edge notes after an allow for last-accessed
    // information (issue: service last accessed; compare with the above).
    c.bench_function(
        "authorize_request/user_10_attached_2_groups_boundary/GetUser_from_the_table_and_recorded",
        |b| {
            b.iter(|| {
                let checks = warden_core::access::checks(&w.read(), &user, get_user, &params);
                w.authorize_checks(&user, &checks, &facts).unwrap();
                w.record_access(
                    &user,
                    checks.iter().map(|c| c.action),
                    "us-east-1",
                    facts.now,
                );
            })
        },
    );
    c.bench_function("record_access/user_one_action", |b| {
        b.iter(|| w.record_access(&user, ["iam:GetUser"], "us-east-1", facts.now))
    });
    w.authorize(&member_user, "iam:GetUser", &member_resource, &facts)
        .expect("SCPs allow the member's heavy user to read itself");
    c.bench_function(
        "authorize/member_user_10_attached_2_groups_boundary_3_scp_levels/allow",
        |b| {
            b.iter(|| {
                w.authorize(&member_user, "iam:GetUser", &member_resource, &facts)
                    .unwrap()
            })
        },
    );
    // Writes between requests (untimed): one in another account leaves the
    // user's resolved view cached; one in its own account (to a bystander)
    // makes the next request resolve it again.
    let mut flip = 0u64;
    let mut retag = |account: &str, user: &str| {
        flip += 1;
        let tag = Tag {
            key: "flip".into(),
            value: flip.to_string(),
        };
        w.iam(account).tag_user(user, &[tag]).unwrap();
    };
    c.bench_function(
        "authorize/user_10_attached_2_groups_boundary/allow_after_a_write_in_another_account",
        |b| {
            b.iter_batched(
                || retag(&member, "heavy"),
                |()| {
                    w.authorize(&user, "iam:GetUser", &resource, &facts)
                        .unwrap()
                },
                BatchSize::PerIteration,
            )
        },
    );
    w.iam(ACCOUNT)
        .create_user(NewUser {
            name: "bystander".into(),
            ..NewUser::default()
        })
        .unwrap();
    c.bench_function(
        "authorize/user_10_attached_2_groups_boundary/allow_after_a_write_in_its_account",
        |b| {
            b.iter_batched(
                || retag(ACCOUNT, "bystander"),
                |()| {
                    w.authorize(&user, "iam:GetUser", &resource, &facts)
                        .unwrap()
                },
                BatchSize::PerIteration,
            )
        },
    );
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
