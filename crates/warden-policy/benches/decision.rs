//! Decisions per second for a principal with 10 attached policies, a permissions boundary and 2 SCP levels,
//! at 100 and at 1,000 statements. Policies are compiled once, outside the measured loop.

mod common;

use std::hint::black_box;

use common::{request, request_as, Fixture};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use warden_policy::{evaluate, DecisionKind, EvalOptions};

fn bench(c: &mut Criterion) {
    for statements in [100usize, 1_000] {
        let f = Fixture::new(statements);
        let set = f.set();
        let opts = EvalOptions::default();
        // Statement 40 is an s3 Allow with no condition; s3 is statement 0, 20, 40, ...
        let allow = request("s3:GetObject", "arn:aws:s3:::res-40/key");
        let implicit = request("s3:GetObject", "arn:aws:s3:::nothing/key");
        // Statement 9 denies cloudwatch:Delete* on res-9 for team-4 from 10.9.0.0/16.
        let deny = request_as(
            "cloudwatch:DeleteAlarms",
            "arn:aws:cloudwatch:::res-9/x",
            "team-4",
            "10.9.1.1",
        );
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
        g.bench_function("explicit-deny", |b| {
            b.iter(|| evaluate(black_box(&deny), black_box(&set), &opts))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
