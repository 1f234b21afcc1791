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

/// Pagination is generated from botocore's `paginators-1.json`, vendored
/// beside each service model from the same botocore release.
#[test]
fn paginators_are_vendored_beside_the_models() {
    let root = warden_codegen::workspace_root();
    let models = root.join(warden_codegen::MODELS_DIR);
    let pinned = std::fs::read_to_string(models.join("BOTOCORE_VERSION"))
        .unwrap_or_else(|e| panic!("BOTOCORE_VERSION: {e}"));
    assert_eq!(
        pinned.trim(),
        format!("botocore {}", warden_codegen::BOTOCORE_VERSION)
    );
    for spec in warden_codegen::SERVICES {
        let path = models.join(spec.paginators_file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.contains("\"pagination\""), "{}", path.display());
    }
}
