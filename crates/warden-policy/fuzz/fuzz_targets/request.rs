//! Any text as a `warden policy evaluate --batch` input: every line must give exactly one output line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut out = Vec::new();
    let code = warden_policy::cli::run_evaluate(text.as_bytes(), true, &mut out)
        .expect("writing to a Vec");
    assert_eq!(code, 0);
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let produced = out.iter().filter(|b| **b == b'\n').count();
    assert_eq!(lines, produced, "one result per request line");
});
