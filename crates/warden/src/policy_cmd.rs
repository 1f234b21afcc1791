//! `warden policy ...`: thin clap wiring over `warden_policy::cli`.

use std::io::Read;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy document and print findings (exit 1 on an ERROR finding).
    Validate {
        /// The policy type the document is checked as: identity (an inline policy), managed (CreatePolicy,
        /// which also needs Version 2012-10-17), resource, trust, boundary, session, scp or rcp.
        #[arg(long = "type", default_value = "identity")]
        policy_type: String,
        /// Print findings as a JSON array.
        #[arg(long)]
        json: bool,
        /// The policy file, or - for standard input.
        file: String,
    },
    /// Evaluate one JSON request (or JSON Lines with --batch); format: docs/policy-evaluate.md.
    ///
    /// A request is a JSON object with principal, action and resource, and optionally resourceAccount,
    /// context, identityPolicies, resourcePolicy, permissionsBoundary, sessionPolicy, serviceControlPolicies,
    /// resourceControlPolicies (levels, root first) and the booleans principalAccountIsManagement,
    /// resourceAccountIsManagement and requireResourcePolicyAllow. Each result is one line:
    /// {"decision","decidedBy","matched","reason"}, or {"error"} naming the field of a malformed request.
    ///
    /// Every field, the result, exit codes and worked examples: docs/policy-evaluate.md; JSON Schemas:
    /// docs/policy-evaluate-request.schema.json and docs/policy-evaluate-result.schema.json.
    ///
    /// Exit code: 0 when evaluated (whatever the decision, and always with --batch); 1 when the single
    /// request is malformed; 2 when the input cannot be read.
    Evaluate {
        /// Read JSON Lines: every non-empty line is a request and gets one result line, in order; a
        /// malformed line gets {"error": ...} and the batch goes on.
        #[arg(long)]
        batch: bool,
        /// The request file, or - for standard input.
        #[arg(default_value = "-")]
        file: String,
    },
}

fn open_input(file: &str) -> std::io::Result<Box<dyn std::io::BufRead>> {
    if file == "-" {
        Ok(Box::new(std::io::BufReader::new(std::io::stdin())))
    } else {
        Ok(Box::new(std::io::BufReader::new(std::fs::File::open(
            file,
        )?)))
    }
}

pub fn run(cmd: PolicyCommand) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match cmd {
        PolicyCommand::Validate {
            policy_type,
            json,
            file,
        } => {
            let Some(policy_type) = warden_policy::PolicyType::parse(&policy_type) else {
                eprintln!(
                    "warden policy validate: unknown --type {policy_type} (identity, managed, resource, trust, boundary, session, scp, rcp)"
                );
                return ExitCode::from(2);
            };
            let mut text = String::new();
            match open_input(&file).and_then(|mut r| r.read_to_string(&mut text)) {
                Ok(_) => {}
                Err(e) => {
                    eprintln!("warden policy validate: {file}: {e}");
                    return ExitCode::from(2);
                }
            }
            let args = warden_policy::cli::ValidateArgs { policy_type, json };
            warden_policy::cli::run_validate(args, &text, &mut out)
        }
        PolicyCommand::Evaluate { batch, file } => match open_input(&file) {
            Ok(input) => warden_policy::cli::run_evaluate(input, batch, &mut out),
            Err(e) => {
                eprintln!("warden policy evaluate: {file}: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let flushed = std::io::Write::flush(&mut out);
    match (result, flushed) {
        (Ok(code), Ok(())) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (Err(e), _) => {
            eprintln!("warden policy: {e}");
            ExitCode::from(2)
        }
        (_, Err(e)) => {
            eprintln!("warden policy: {e}");
            ExitCode::from(2)
        }
    }
}
