//! Decisions per second for a principal with 10 attached policies, a permissions boundary and 2 SCP levels,
//! at 100 and at 1,000 statements. Policies are compiled once, outside the measured loop.
#![allow(clippy::unwrap_used)]

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use warden_policy::{
    evaluate, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicySet, Principal, RequestContext,
};

struct Fixture {
    identity: Vec<NamedPolicy>,
    boundary: NamedPolicy,
    scps: Vec<Vec<NamedPolicy>>,
}

impl Fixture {
    fn new(statements: usize) -> Fixture {
        let compile = |t: &str| NamedPolicy::new("p", Policy::parse(t).unwrap());
        Fixture {
            identity: common::identity_policies(10, statements / 10)
                .iter()
                .map(|t| compile(t))
                .collect(),
            boundary: compile(common::BOUNDARY),
            scps: vec![
                vec![compile(common::SCP_ROOT)],
                vec![compile(common::SCP_OU)],
            ],
        }
    }

    fn set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity,
            boundary: Some(&self.boundary),
            scp_levels: &self.scps,
            ..PolicySet::default()
        }
    }
}

fn request(action: &str, resource: &str) -> RequestContext {
    let p = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut c = RequestContext::new(p, action, resource).unwrap();
    c.insert("aws:PrincipalTag/team", "team-0");
    c.insert("aws:SourceIp", "10.0.3.4");
    c.insert("aws:RequestedRegion", "us-east-1");
    c
}

fn bench(c: &mut Criterion) {
    for statements in [100usize, 1_000] {
        let f = Fixture::new(statements);
        let set = f.set();
        let opts = EvalOptions::default();
        // Statement 40 is an s3 Allow with no condition; s3 is statement 0, 20, 40, ...
        let allow = request("s3:GetObject", "arn:aws:s3:::res-40/key");
        let implicit = request("s3:GetObject", "arn:aws:s3:::nothing/key");
        let deny = request("s3:DeleteObject", "arn:aws:s3:::res-9/key");
        assert_eq!(evaluate(&allow, &set, &opts).kind, DecisionKind::Allow);
        assert_eq!(
            evaluate(&implicit, &set, &opts).kind,
            DecisionKind::ImplicitDeny
        );
        let mut g = c.benchmark_group(format!("decision/{statements}-statements"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("allow", |b| {
            b.iter(|| evaluate(black_box(&allow), black_box(&set), &opts))
        });
        g.bench_function("implicit-deny", |b| {
            b.iter(|| evaluate(black_box(&implicit), black_box(&set), &opts))
        });
        g.bench_function("other-service", |b| {
            let r = request("ec2:DescribeInstances", "*");
            b.iter(|| evaluate(black_box(&r), black_box(&set), &opts))
        });
        g.bench_function("deny-check", |b| {
            b.iter(|| evaluate(black_box(&deny), black_box(&set), &opts))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
