//! Proves that a decision allocates nothing: compiles the benchmark-like fixtures, then counts heap
//! allocations (through an instrumented global allocator) across many `evaluate` calls. Exit code 1 if any.
//!
//! Run: `cargo run --release --manifest-path crates/warden-policy/alloc-check/Cargo.toml`

use std::alloc::System;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use warden_policy::{
    evaluate, EvalOptions, NamedPolicy, Policy, PolicySet, Principal, RequestContext,
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn compile(text: &str) -> NamedPolicy {
    match Policy::parse(text) {
        Ok(p) => NamedPolicy::new("p", p),
        Err(e) => panic!("fixture does not parse: {e}"),
    }
}

fn main() {
    let identity: Vec<NamedPolicy> = (0..10)
        .map(|p| {
            compile(&format!(
                r#"{{"Version":"2012-10-17","Statement":[
                {{"Sid":"A{p}","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"arn:aws:s3:::b{p}/${{aws:username}}/*",
                  "Condition":{{"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}},"ForAnyValue:StringLike":{{"aws:TagKeys":"t*"}},
                  "DateLessThan":{{"aws:CurrentTime":"2030-01-01T00:00:00Z"}},"NumericLessThan":{{"s3:max-keys":"100"}},
                  "StringEqualsIgnoreCase":{{"aws:PrincipalTag/team":"${{aws:PrincipalTag/team, 'x'}}"}}}}}},
                {{"Effect":"Deny","NotAction":"s3:*","Resource":"*","Condition":{{"StringNotEquals":{{"aws:RequestedRegion":"us-east-1"}}}}}},
                {{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::*:user/admin*","Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
            ))
        })
        .collect();
    let resource = compile(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"]},"Action":"s3:*","Resource":"*"},
           {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:Delete*","Resource":"*"}]}"#,
    );
    let boundary = compile(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"}]}"#,
    );
    let scps = vec![
        vec![compile(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        )];
        2
    ];
    let set = PolicySet {
        identity: &identity,
        resource: Some(&resource),
        boundary: Some(&boundary),
        session: std::slice::from_ref(&boundary),
        scope_down: &[],
        scp_levels: &scps,
        rcp_levels: &scps,
    };
    let mut contexts = Vec::new();
    for (principal, action, res) in [
        (
            "arn:aws:iam::111122223333:user/alice",
            "s3:GetObject",
            "arn:aws:s3:::b3/alice/x",
        ),
        (
            "arn:aws:sts::111122223333:assumed-role/r/s",
            "s3:DeleteObject",
            "arn:aws:s3:::b1/x",
        ),
        (
            "arn:aws:iam::111122223333:user/alice",
            "iam:CreateUser",
            "arn:aws:iam::111122223333:user/bob",
        ),
        (
            "arn:aws:iam::111122223333:user/alice",
            "ec2:RunInstances",
            "*",
        ),
        ("anonymous", "s3:GetObject", "arn:aws:s3:::b3/alice/x"),
    ] {
        let Ok(p) = Principal::parse(principal) else {
            panic!("principal")
        };
        let Ok(mut ctx) = RequestContext::new(p, action, res) else {
            panic!("context")
        };
        ctx.insert("aws:SourceIp", "10.1.2.3");
        ctx.insert("aws:TagKeys", vec!["team".to_string(), "env".to_string()]);
        ctx.insert("aws:CurrentTime", "2026-11-28T01:00:00Z");
        ctx.insert("s3:max-keys", "10");
        ctx.insert("aws:PrincipalTag/team", "X");
        ctx.insert("aws:RequestedRegion", "us-east-1");
        ctx.insert("aws:MultiFactorAuthPresent", "true");
        contexts.push(ctx);
    }
    let opts = EvalOptions::default();
    let mut kinds = Vec::with_capacity(contexts.len());
    let region = Region::new(GLOBAL);
    let mut decisions = 0u64;
    for _ in 0..10_000 {
        for ctx in &contexts {
            let d = std::hint::black_box(evaluate(ctx, &set, &opts));
            decisions += 1;
            if decisions <= contexts.len() as u64 {
                kinds.push(d.kind);
            }
        }
    }
    let stats = region.change();
    println!("decisions: {decisions}, outcomes: {kinds:?}");
    println!(
        "allocations: {}, reallocations: {}, bytes allocated: {}",
        stats.allocations, stats.reallocations, stats.bytes_allocated
    );
    // `kinds` was sized up front, so any allocation counted here came from `evaluate`.
    if stats.allocations + stats.reallocations > 0 {
        std::process::exit(1);
    }
}
