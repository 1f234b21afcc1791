//! The credential report: GenerateCredentialReport and GetCredentialReport.
//!
//! AWS builds the report asynchronously: the first Generate answers
//! `STARTED` and later ones `COMPLETE` once it is ready. Building it here
//! takes one pass over the account's users, so Generate builds it at once,
//! yet still answers `STARTED` for the call that starts a new report (the
//! answer clients poll on, as the moto and Prowler loops do) and `COMPLETE`
//! for every call while that report is fresh. `INPROGRESS` is never
//! observable.
//!
//! The report is stored, as one record per account: it is a snapshot of
//! the moment it was generated (AWS's GeneratedTime), which recomputing on
//! Get could not give, and it is small (one CSV line per user). Stored, it
//! survives a restart for its 4 hours, as AWS's does.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{CoreError, Result};
use crate::iam::Iam;
use crate::model::{now_epoch, AccessKey, Epoch, KeyLastUsed, KeyStatus};
use crate::state::{Change, State};

/// AWS keeps a report 4 hours: a Generate within that time returns the
/// existing one ("If the existing report is older than four hours, a new
/// one is generated", IAM User Guide, "Getting credential reports"), and a
/// Get after it answers ReportExpired.
pub const REPORT_LIFETIME_SECS: Epoch = 4 * 3600;

/// The column header, in AWS's order (IAM User Guide, "Getting credential
/// reports"; the same line moto's `test_get_credential_report_content`
/// asserts).
pub const CSV_HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// The Description AWS gives with `STARTED`, recorded from the aws CLI in
/// prowler-cloud/prowler#272 and in AWS's own PowerShell example
/// (Request-IAMCredentialReport).
pub const STARTED_DESCRIPTION: &str = "No report exists. Starting a new report generation task";

/// An account's credential report, stored under `(account, account)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReport {
    /// The account it reports on.
    pub account: String,
    /// When it was generated (GeneratedTime).
    pub generated: Epoch,
    /// The CSV text, header first, one line per user, `<root_account>` first.
    pub content: String,
}

/// What GenerateCredentialReport answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportState {
    /// A new report was started (and, here, finished).
    Started,
    /// A fresh report exists.
    Complete,
}

impl Iam<'_> {
    /// GenerateCredentialReport.
    pub fn generate_credential_report(&self) -> Result<ReportState> {
        self.generate_credential_report_at(now_epoch())
    }

    /// GenerateCredentialReport as of `now` (tests move the clock).
    pub fn generate_credential_report_at(&self, now: Epoch) -> Result<ReportState> {
        // Key use lives in memory until flushed: flush it so the report sees
        // the latest use, as GetAccessKeyLastUsed does.
        self.warden.flush_key_use()?;
        let account = self.account;
        self.warden.write(|s| {
            if let Some(r) = s.credential_reports.get(account) {
                if now - r.generated < REPORT_LIFETIME_SECS {
                    return Ok((vec![], ReportState::Complete));
                }
            }
            let report = CredentialReport {
                account: account.to_string(),
                generated: now,
                content: credential_csv(s, account),
            };
            Ok((vec![Change::CredentialReport(report)], ReportState::Started))
        })
    }

    /// GetCredentialReport: the report and when it was generated.
    pub fn credential_report(&self) -> Result<CredentialReport> {
        self.credential_report_at(now_epoch())
    }

    /// GetCredentialReport as of `now`. AWS sends both refusals without a
    /// message: the aws CLI prints "Unknown" for ReportNotPresent
    /// (prowler-cloud/prowler#272) and the Go SDK an empty text
    /// (turbot/steampipe-plugin-aws#509); ReportExpired is taken to be sent
    /// the same way (no recording).
    pub fn credential_report_at(&self, now: Epoch) -> Result<CredentialReport> {
        let s = self.warden.read();
        let r = s
            .credential_reports
            .get(self.account)
            .ok_or(CoreError::ReportNotPresent)?;
        if now - r.generated >= REPORT_LIFETIME_SECS {
            return Err(CoreError::ReportExpired);
        }
        Ok(r.clone())
    }
}

/// ISO 8601 as the report writes it: `2014-10-03T22:39:05+00:00` (moto's
/// test parses `%Y-%m-%dT%H:%M:%S+00:00`, copied from a real report).
fn iso(t: Epoch) -> String {
    match OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        Err(_) => NA.to_string(),
    }
}

const NA: &str = "N/A";
const NOT_SUPPORTED: &str = "not_supported";
const NO_INFORMATION: &str = "no_information";

fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// The five `access_key_N_*` columns of one key slot: `false` and `N/A`
/// for no key; `N/A` for the last-used columns of a key never used.
fn key_columns(key: Option<&AccessKey>, used: Option<&KeyLastUsed>) -> [String; 5] {
    let Some(k) = key else {
        return ["false".into(), NA.into(), NA.into(), NA.into(), NA.into()];
    };
    let (date, region, service) = match used {
        Some(u) => (iso(u.date), u.region.clone(), u.service.clone()),
        None => (NA.into(), NA.into(), NA.into()),
    };
    [
        flag(k.status == KeyStatus::Active).into(),
        iso(k.created),
        date,
        region,
        service,
    ]
}

/// The `cert_N_active`, `cert_N_last_rotated` columns of a user (`None`:
/// the root user): its signing certificates, oldest first (AWS's slots),
/// `false`/`N/A` for an empty slot.
fn cert_columns(s: &State, account: &str, user_lower: Option<&str>) -> [String; 4] {
    let owner_id = match user_lower {
        Some(lower) => match s.user(account, lower) {
            Some(u) => Some(u.id.clone()),
            None => return ["false".into(), NA.into(), "false".into(), NA.into()],
        },
        None => None,
    };
    let mut certs: Vec<_> = s
        .signing_certificates
        .range((account.to_string(), String::new())..)
        .take_while(|((a, _), _)| a == account)
        .map(|(_, c)| c)
        .filter(|c| c.user_id == owner_id)
        .collect();
    certs.sort_by(|a, b| (a.uploaded, &a.id).cmp(&(b.uploaded, &b.id)));
    let slot = |i: usize| -> [String; 2] {
        match certs.get(i) {
            Some(c) => [flag(c.status == KeyStatus::Active).into(), iso(c.uploaded)],
            None => ["false".into(), NA.into()],
        }
    };
    let ([a1, r1], [a2, r2]) = (slot(0), slot(1));
    [a1, r1, a2, r2]
}

/// The report's CSV: header, the `<root_account>` line, then one line per
/// user in name order. Lines are joined by `\n`, with no newline after the
/// last (our reading of real reports; moto's and boto3 users' parsers
/// split on `\n` either way).
pub fn credential_csv(s: &State, account: &str) -> String {
    let mut lines = vec![CSV_HEADER.to_string()];
    let policy = s
        .accounts
        .get(account)
        .and_then(|a| a.password_policy.as_ref());
    let mfa_of = |user: Option<&str>| {
        s.mfa_of(account)
            .any(|d| d.enable_date.is_some() && d.user.as_deref() == user)
    };
    let mut push = |cols: Vec<String>| lines.push(cols.join(","));
    let keys_cols = |user: Option<&str>| {
        let keys = s.keys_of(account, user);
        let mut out = Vec::new();
        for slot in 0..2 {
            let key = keys.get(slot).copied();
            let used = key.and_then(|k| s.key_last_used.get(&k.id));
            out.extend(key_columns(key, used));
        }
        out
    };
    // The root user: AWS writes `not_supported` where the root user's
    // password is managed outside IAM; warden records no root sign-in.
    let created = s.accounts.get(account).map(|a| a.created).unwrap_or(0);
    let mut root = vec![
        "<root_account>".to_string(),
        format!("arn:aws:iam::{account}:root"),
        iso(created),
        NOT_SUPPORTED.into(),
        NO_INFORMATION.into(),
        NOT_SUPPORTED.into(),
        NOT_SUPPORTED.into(),
        flag(mfa_of(None)).into(),
    ];
    root.extend(keys_cols(None));
    root.extend(cert_columns(s, account, None));
    push(root);
    for u in s.users_of(account) {
        let lower = u.name.to_lowercase();
        let (enabled, last_used, changed, next) = match &u.login_profile {
            None => ("false", NA.to_string(), NA.to_string(), NA.to_string()),
            Some(p) => {
                let changed = p.password_changed.unwrap_or(p.created);
                (
                    "true",
                    u.password_last_used
                        .map(iso)
                        .unwrap_or_else(|| NO_INFORMATION.into()),
                    iso(changed),
                    policy
                        .and_then(|pp| pp.max_password_age)
                        .map(|days| iso(changed + i64::from(days) * 86_400))
                        .unwrap_or_else(|| NA.into()),
                )
            }
        };
        let mut cols = vec![
            csv_field(&u.name),
            csv_field(&u.arn()),
            iso(u.created),
            enabled.into(),
            last_used,
            changed,
            next,
            flag(mfa_of(Some(&lower))).into(),
        ];
        cols.extend(keys_cols(Some(&lower)));
        cols.extend(cert_columns(s, account, Some(&lower)));
        push(cols);
    }
    lines.join("\n")
}

/// IAM names and paths hold `[\w+=,.@-]`, so a comma can appear in one:
/// quoted as RFC 4180 does.
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::keys::KeyOwner;
    use crate::users::NewUser;
    use crate::Warden;

    const ACCOUNT: &str = "123456789012";

    #[test]
    fn generate_starts_once_then_completes_until_the_report_expires() {
        let w = Warden::in_memory_for_tests(ACCOUNT).unwrap();
        let iam = w.iam(ACCOUNT);
        assert!(matches!(
            iam.credential_report_at(1000),
            Err(CoreError::ReportNotPresent)
        ));
        assert_eq!(
            iam.generate_credential_report_at(1000).unwrap(),
            ReportState::Started
        );
        assert_eq!(
            iam.generate_credential_report_at(1000 + REPORT_LIFETIME_SECS - 1)
                .unwrap(),
            ReportState::Complete
        );
        let r = iam
            .credential_report_at(1000 + REPORT_LIFETIME_SECS - 1)
            .unwrap();
        assert_eq!(r.generated, 1000);
        assert!(matches!(
            iam.credential_report_at(1000 + REPORT_LIFETIME_SECS),
            Err(CoreError::ReportExpired)
        ));
        // Past 4 hours Generate starts a new report.
        assert_eq!(
            iam.generate_credential_report_at(1000 + REPORT_LIFETIME_SECS)
                .unwrap(),
            ReportState::Started
        );
        assert_eq!(
            iam.credential_report_at(1000 + REPORT_LIFETIME_SECS)
                .unwrap()
                .generated,
            1000 + REPORT_LIFETIME_SECS
        );
    }

    #[test]
    fn the_csv_has_the_root_line_first_and_aws_placeholders() {
        let w = Warden::in_memory_for_tests(ACCOUNT).unwrap();
        let iam = w.iam(ACCOUNT);
        iam.create_user(NewUser {
            name: "Alice".into(),
            ..NewUser::default()
        })
        .unwrap();
        let key = iam.create_access_key(KeyOwner::User("alice")).unwrap();
        w.record_key_use(&key.key.id, ACCOUNT, "iam", "eu-west-1", 1_700_000_000);
        iam.generate_credential_report().unwrap();
        let csv = iam.credential_report().unwrap().content;
        let lines: Vec<&str> = csv.split('\n').collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(lines.len(), 3);
        let root: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(root.len(), 22);
        assert_eq!(root[0], "<root_account>");
        assert_eq!(root[1], "arn:aws:iam::123456789012:root");
        assert_eq!(
            &root[3..7],
            [
                "not_supported",
                "no_information",
                "not_supported",
                "not_supported"
            ]
        );
        let alice: Vec<&str> = lines[2].split(',').collect();
        assert_eq!(alice.len(), 22);
        assert_eq!(alice[0], "Alice");
        assert_eq!(&alice[3..8], ["false", "N/A", "N/A", "N/A", "false"]);
        assert_eq!(alice[8], "true");
        assert_eq!(alice[10], "2023-11-14T22:13:20+00:00");
        assert_eq!(&alice[11..13], ["eu-west-1", "iam"]);
        assert_eq!(&alice[13..18], ["false", "N/A", "N/A", "N/A", "N/A"]);
        assert_eq!(&alice[18..], ["false", "N/A", "false", "N/A"]);
    }
}
