//! `cargo run -p warden-codegen [-- --check]`: regenerates (or checks)
//! `crates/warden-wire/src/generated/` from the checked-in service models.

use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let root = warden_codegen::workspace_root();
    if check {
        match warden_codegen::stale_files(&root) {
            Ok(stale) if stale.is_empty() => {
                println!("generated code is current");
                ExitCode::SUCCESS
            }
            Ok(stale) => {
                for f in stale {
                    eprintln!("stale: {}", f.display());
                }
                eprintln!("run `cargo run -p warden-codegen` to regenerate");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("warden-codegen: {e}");
                ExitCode::FAILURE
            }
        }
    } else {
        match warden_codegen::write(&root) {
            Ok(files) => {
                for f in files {
                    println!("wrote {}", f.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("warden-codegen: {e}");
                ExitCode::FAILURE
            }
        }
    }
}
