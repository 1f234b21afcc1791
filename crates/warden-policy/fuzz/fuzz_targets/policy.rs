//! Any text through the whole policy pipeline: parse, validate as every type, compile, evaluate, serialise.
//! Nothing may panic, and a parsed document must survive a serialise/parse round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_policy::{
    evaluate, validate, EvalOptions, NamedPolicy, Policy, PolicyDocument, PolicySet, PolicyType,
    Principal, RequestContext,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for ty in PolicyType::ALL {
        let report = validate(text, ty);
        let _ = report.malformed_message(ty);
        let _ = Policy::parse_as(text, ty);
    }
    let Ok(doc) = PolicyDocument::parse(text) else {
        return;
    };
    let json = doc.to_json();
    let again = PolicyDocument::parse(&json).expect("serialised policy must parse");
    assert_eq!(again.to_json(), json, "round trip changed the document");
    let policy = NamedPolicy::new("fuzz", Policy::compile(doc));
    let principals = [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:sts::111122223333:assumed-role/r/s",
        "anonymous",
        "ec2.amazonaws.com",
    ];
    for p in principals {
        let Ok(principal) = Principal::parse(p) else {
            continue;
        };
        for (action, resource) in [
            ("s3:GetObject", "arn:aws:s3:::b/k"),
            ("iam:CreateUser", "*"),
        ] {
            let Ok(mut ctx) = RequestContext::new(principal.clone(), action, resource) else {
                continue;
            };
            ctx.insert("aws:SourceIp", "10.0.0.1");
            ctx.insert("aws:TagKeys", vec!["a".to_string(), String::new()]);
            ctx.insert("aws:CurrentTime", "2024-01-01T00:00:00Z");
            let levels = vec![vec![policy.clone()]];
            let set = PolicySet {
                identity: std::slice::from_ref(&policy),
                resource: Some(&policy),
                boundary: Some(&policy),
                session: std::slice::from_ref(&policy),
                scope_down: &[],
                scp_levels: &levels,
                rcp_levels: &levels,
            };
            let d = evaluate(&ctx, &set, &EvalOptions::default());
            let _ = d.access_denied_message(&ctx);
            for m in d.matched() {
                let _ = set.sid(m);
            }
        }
    }
});
