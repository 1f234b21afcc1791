//! Decision cost in CPU time of the benchmarking thread (from /proc/thread-self/schedstat), which, unlike
//! wall-clock time, does not count time spent waiting for a CPU on a shared, loaded machine.
//!
//! Run: `cargo bench -p warden-policy --bench cputime`. Prints decisions/s and the median (p50) of
//! per-batch average latencies, for the same fixtures as `decision.rs`, plus the `--batch` evaluator.
#![expect(
    clippy::unwrap_used,
    reason = "a bench panics on a broken fixture, which is how it reports one"
)]

mod common;

use std::hint::black_box;
use std::time::Instant;

use common::{request, request_as, Fixture};
use warden_policy::{evaluate, EvalOptions, RequestContext};

/// CPU nanoseconds this thread has run, or 0 where /proc is unavailable.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Throughput from CPU time over the whole run; latency percentiles from the wall time of small batches (most
/// batches run without being preempted, so the median is not inflated by the machine's load; the p99 is).
fn measure(name: &str, f: &mut dyn FnMut()) {
    const BATCH: u32 = 200;
    const BATCHES: usize = 5_000;
    for _ in 0..BATCH * 100 {
        f();
    }
    let mut per_call = Vec::with_capacity(BATCHES);
    let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
    for _ in 0..BATCHES {
        let t = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        per_call.push(t.elapsed().as_nanos() as f64 / f64::from(BATCH));
    }
    let cpu = (thread_cpu_ns() - cpu0) as f64;
    let wall = wall0.elapsed().as_nanos() as f64;
    per_call.sort_by(f64::total_cmp);
    let n = f64::from(BATCH) * BATCHES as f64;
    println!(
        "{name:<36} {:>9.0}/s CPU  {:>9.0}/s wall  p50 {:>6.0} ns  p99 {:>6.0} ns",
        n / cpu * 1e9,
        n / wall * 1e9,
        per_call[BATCHES / 2],
        per_call[BATCHES * 99 / 100],
    );
}

fn main() {
    // `CPUTIME_ONLY=batch` skips the decision fixtures (handy under a profiler).
    let only_batch = std::env::var("CPUTIME_ONLY").is_ok_and(|v| v == "batch");
    for statements in [100usize, 1_000, 10_000]
        .into_iter()
        .filter(|_| !only_batch)
    {
        let f = Fixture::new(statements);
        let set = f.set();
        let opts = EvalOptions::default();
        let cases: [(&str, RequestContext); 4] = [
            ("allow", request("s3:GetObject", "arn:aws:s3:::res-40/key")),
            (
                "implicit-deny",
                request("s3:GetObject", "arn:aws:s3:::nothing/key"),
            ),
            ("other-service", request("ec2:DescribeInstances", "*")),
            (
                "explicit-deny",
                request_as(
                    "cloudwatch:DeleteAlarms",
                    "arn:aws:cloudwatch:::res-9/x",
                    "team-4",
                    "10.9.1.1",
                ),
            ),
        ];
        for (name, ctx) in &cases {
            measure(&format!("{statements} statements / {name}"), &mut || {
                black_box(evaluate(black_box(ctx), black_box(&set), &opts));
            });
        }
    }
    let lines = 100_000;
    let text = common::batch_input(lines);
    let (cpu0, wall0) = (thread_cpu_ns(), Instant::now());
    let runs = 3;
    for _ in 0..runs {
        warden_policy::cli::run_evaluate(text.as_bytes(), true, &mut std::io::sink()).unwrap();
    }
    let cpu = (thread_cpu_ns() - cpu0) as f64 / 1e9;
    let wall = wall0.elapsed().as_secs_f64();
    println!(
        "{:<36} {:>9.0}/s CPU  {:>9.0}/s wall",
        "evaluate --batch, 100k lines",
        (lines * runs) as f64 / cpu,
        (lines * runs) as f64 / wall
    );
}
