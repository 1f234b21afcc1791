//! The checked-in generated code must be exactly what the generator makes
//! from the checked-in models. If this fails, run `cargo run -p warden-codegen`.

#[test]
fn generated_code_is_current() {
    let root = warden_codegen::workspace_root();
    let stale = warden_codegen::stale_files(&root).unwrap_or_else(|e| panic!("codegen: {e}"));
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `cargo run -p warden-codegen`"
    );
}
