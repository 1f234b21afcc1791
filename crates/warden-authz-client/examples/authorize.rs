//! Asks warden whether a client may read an S3 object: signs the client's `GET /BUCKET/KEY` the way an
//! SDK signs for S3 (warden-wire's signer), hands the material to warden as a service would, and prints
//! the verdict. Exit status: 0 allowed, 1 denied or not authenticated, 2 an error of the call.
//!
//! ```text
//! cargo run -p warden-authz-client --example authorize -- \
//!     127.0.0.1:8080 SERVICE_KEY_ID SERVICE_SECRET CLIENT_KEY_ID CLIENT_SECRET BUCKET KEY OWNER_ACCOUNT
//! ```

use std::process::ExitCode;

use time::OffsetDateTime;
use warden_authz_client::{Check, Client, ClientRequest, Credentials};
use warden_wire::sigv4::{format_amz_date, sign_authorization, HttpRequestParts};

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, svc_id, svc_secret, client_id, client_secret, bucket, key, owner] = args.as_slice()
    else {
        eprintln!("usage: authorize ADDR SERVICE_KEY_ID SERVICE_SECRET CLIENT_KEY_ID CLIENT_SECRET BUCKET KEY OWNER_ACCOUNT");
        return ExitCode::from(2);
    };
    // The client's request, signed as an SDK signs it for S3.
    let now = OffsetDateTime::now_utc();
    let amz_date = format_amz_date(now);
    let path = format!("/{bucket}/{key}");
    let mut headers = vec![
        ("host".to_string(), "s3.example.test".to_string()),
        ("x-amz-content-sha256".to_string(), EMPTY_SHA256.to_string()),
        ("x-amz-date".to_string(), amz_date),
    ];
    let borrowed: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let parts = HttpRequestParts {
        method: "GET",
        raw_path: &path,
        raw_query: "",
        headers: &borrowed,
        body: b"",
    };
    let authorization = sign_authorization(
        &parts,
        &["host", "x-amz-content-sha256", "x-amz-date"],
        client_id,
        client_secret.as_bytes(),
        "us-east-1",
        "s3",
        now,
    );
    headers.push(("authorization".to_string(), authorization));
    let request = ClientRequest {
        method: "GET".into(),
        path,
        query: String::new(),
        headers,
        payload_hash: EMPTY_SHA256.into(),
    };
    let check = Check::new("s3:GetObject", format!("arn:aws:s3:::{bucket}/{key}"))
        .resource_account(owner.as_str())
        .resource_policy_arn(format!("arn:aws:s3:::{bucket}"));
    let warden = Client::new(
        addr.as_str(),
        Credentials::new(svc_id.as_str(), svc_secret.as_str()),
    );
    match warden.authorize(&request, "s3", &[check]) {
        Ok(verdict) => {
            println!("{verdict:?}");
            if verdict.allowed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
