//! `warden policy evaluate --batch` on 100,000 JSON lines that share their policies, through
//! `warden_policy::cli::run_evaluate` exactly as the binary calls it (output to a sink).
#![expect(
    clippy::unwrap_used,
    reason = "a bench panics on a broken fixture, which is how it reports one"
)]

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const LINES: usize = 100_000;

fn bench(c: &mut Criterion) {
    let text = common::batch_input(LINES);
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
