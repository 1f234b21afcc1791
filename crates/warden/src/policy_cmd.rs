//! `warden policy ...`: thin clap wiring over `warden_policy::cli`.

use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy document and print findings (exit 1 on an ERROR finding).
    Validate {
        /// The policy type the document is checked as.
        #[arg(long = "type", default_value = "identity")]
        policy_type: String,
        /// Print findings as a JSON array.
        #[arg(long)]
        json: bool,
        /// The policy file, or - for standard input.
        file: String,
    },
    /// Evaluate one JSON request (or JSON Lines with --batch).
    Evaluate {
        /// Read JSON Lines and write one result per line.
        #[arg(long)]
        batch: bool,
        /// The request file, or - for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
}

pub fn run(_cmd: PolicyCommand) -> ExitCode {
    eprintln!("warden policy: not wired yet");
    ExitCode::FAILURE
}
