//! `warden policy evaluate --batch` on 100,000 JSON lines that share their policies, through
//! `warden_policy::cli::run_evaluate` exactly as the binary calls it (output to a sink).
#![allow(clippy::unwrap_used)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const LINES: usize = 100_000;

fn input() -> String {
    let identity = common::identity_policies(3, 5);
    let mut out = String::with_capacity(LINES * 1_500);
    let principals = [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:sts::111122223333:assumed-role/app/s1",
        "arn:aws:iam::111122223333:user/bob",
    ];
    for i in 0..LINES {
        let svc = common::SERVICES[i % 7];
        let line = format!(
            r#"{{"principal":"{}","action":"{svc}:GetThing","resource":"arn:aws:{svc}:::res-{}/k","context":{{"aws:PrincipalTag/team":"team-{}","aws:SourceIp":"10.0.0.{}"}},"identityPolicies":[{},{},{}],"permissionsBoundary":{},"serviceControlPolicies":[[{}],[{}]]}}"#,
            principals[i % 3],
            i % 15,
            i % 5,
            i % 250,
            identity[0],
            identity[1],
            identity[2],
            common::BOUNDARY,
            common::SCP_ROOT,
            common::SCP_OU,
        );
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = input();
    let mut g = c.benchmark_group("evaluate-batch");
    g.sample_size(10);
    g.throughput(Throughput::Elements(LINES as u64));
    g.bench_function("100k-lines", |b| {
        b.iter(|| {
            let code =
                warden_policy::cli::run_evaluate(text.as_bytes(), true, &mut std::io::sink())
                    .unwrap();
            assert_eq!(code, 0);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
