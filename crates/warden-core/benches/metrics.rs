//! What recording metrics costs per request: the edge's one call per
//! answered request (`record_request`, success and error), alone and with a
//! second thread bumping the same counters all along (they are shared
//! atomics: contention is the risk).
//!
//! `cargo bench -p warden-core --bench metrics`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly on a broken fixture"
)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use warden_core::actions::{self, Service};
use warden_core::metrics::Metrics;
use warden_wire::ErrorCode;

fn bench(c: &mut Criterion) {
    let metrics = Metrics::default();
    let get_user = actions::spec("iam", "GetUser").unwrap();
    let elapsed = Duration::from_micros(700);
    c.bench_function("record_request/ok", |b| {
        b.iter(|| metrics.record_request(Some(get_user), Service::Iam, None, elapsed));
    });
    c.bench_function("record_request/error", |b| {
        b.iter(|| {
            metrics.record_request(
                Some(get_user),
                Service::Iam,
                Some(ErrorCode::NoSuchEntity),
                elapsed,
            )
        });
    });
    // The same counters bumped by a second thread all along.
    let shared = std::sync::Arc::new(Metrics::default());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let other = {
        let (shared, stop) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                shared.record_request(Some(get_user), Service::Iam, None, elapsed);
            }
        })
    };
    c.bench_function("record_request/ok_contended", |b| {
        b.iter(|| shared.record_request(Some(get_user), Service::Iam, None, elapsed));
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    other.join().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
