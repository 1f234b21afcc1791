//! AWS managed policies (`arn:aws:iam::aws:policy/...`) shipped as data: every
//! policy, every version the pinned source holds, with AWS's dates.
//!
//! Two files in `data/aws-managed-policies/`, written by
//! `tools/action-table/managed_policies.py` (see the README there for sources):
//! `index.jsonl`, one line per policy sorted by ARN, and `documents.deflate`,
//! one raw DEFLATE stream per policy holding one line per version: the default
//! version's document as compact JSON, then each older version as edits of
//! the document before it. Both are compiled in. The
//! index is parsed on first use (about 0.4 MB); a policy's documents are
//! inflated only when asked for, and its default version is compiled once,
//! on first use, and then shared by every account and request.

use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::sync::{Arc, LazyLock, OnceLock};

use flate2::read::DeflateDecoder;
use serde::Deserialize;
use warden_policy::Policy;

use crate::model::{Compiled, Epoch};

static INDEX: &str = include_str!("../../data/aws-managed-policies/index.jsonl");
static DOCUMENTS: &[u8] = include_bytes!("../../data/aws-managed-policies/documents.deflate");

/// One line of `index.jsonl`, its strings borrowed from the compiled-in text.
#[derive(Deserialize)]
struct Line<'a>(
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    &'a str,
    &'a str,
    #[serde(borrow)] Vec<(Cow<'a, str>, &'a str)>,
    usize,
    usize,
);

/// The text itself when the index line held it without escapes (every
/// name, path, id and version id does), else a copy made once per process.
fn keep(text: Cow<'static, str>) -> &'static str {
    match text {
        Cow::Borrowed(t) => t,
        Cow::Owned(t) => Box::leak(t.into_boxed_str()),
    }
}

/// An AWS managed policy: shipped data, read-only, the same in every account.
/// Its strings point into the compiled-in index, so the ~1,600 of them cost
/// little beyond their ARN.
#[derive(Debug)]
pub struct AwsPolicy {
    /// AWS's name, e.g. `ReadOnlyAccess`.
    pub name: &'static str,
    /// AWS's path, e.g. `/job-function/`.
    pub path: &'static str,
    /// `arn:aws:iam::aws:policy{path}{name}`, the same in every account.
    pub arn: String,
    /// AWS's id (`ANPA...`), or one derived from the ARN where no source gives it.
    pub id: &'static str,
    /// AWS's current default version.
    pub default_version: &'static str,
    /// AWS's description, where a source gives it.
    pub description: Option<&'static str>,
    /// AWS's creation date.
    pub created: Epoch,
    /// AWS's last update.
    pub updated: Epoch,
    /// `(version id, creation date)`: the default first, then the others newest first.
    pub versions: Vec<(&'static str, Epoch)>,
    /// Where its documents are in `DOCUMENTS`.
    span: (usize, usize),
    /// The default version compiled, on first use.
    compiled: OnceLock<Compiled>,
}

/// One step of a version's edits of the document before it (the generator's
/// `edits`): copy (n > 0) or skip (n < 0) that many comma-separated pieces of
/// the previous document, or insert the pieces a string holds.
#[derive(Deserialize)]
#[serde(untagged)]
enum Edit {
    Pieces(i64),
    Insert(String),
}

fn apply_edits(previous: &str, edits: &[Edit]) -> Option<String> {
    let pieces: Vec<&str> = previous.split(',').collect();
    let mut at = 0usize;
    let mut out: Vec<&str> = Vec::with_capacity(pieces.len());
    for edit in edits {
        match edit {
            Edit::Insert(text) => out.extend(text.split(',')),
            Edit::Pieces(n) if *n > 0 => {
                let end = at.checked_add(usize::try_from(*n).ok()?)?;
                out.extend(pieces.get(at..end)?);
                at = end;
            }
            Edit::Pieces(n) => at = at.checked_add(usize::try_from(n.unsigned_abs()).ok()?)?,
        }
    }
    Some(out.join(","))
}

impl AwsPolicy {
    /// The inflated lines: the default version's document, then each next
    /// version as edits of the one before.
    fn lines(&self) -> Option<impl Iterator<Item = std::io::Result<String>> + 'static> {
        let (start, len) = self.span;
        let packed = DOCUMENTS.get(start..start.checked_add(len)?)?;
        Some(BufReader::new(DeflateDecoder::new(packed)).lines())
    }

    /// Decodes the first `count` versions' documents, handing each to `each`,
    /// and returns the last; inflates no further than needed.
    fn decode(&self, count: usize, mut each: impl FnMut(&str)) -> Option<String> {
        let mut lines = self.lines()?;
        let mut document = lines.next()?.ok()?;
        each(&document);
        for _ in 1..count {
            let line = lines.next()?.ok()?;
            let edits: Vec<Edit> = serde_json::from_str(&line).ok()?;
            document = apply_edits(&document, &edits)?;
            each(&document);
        }
        Some(document)
    }

    /// The document of `version` as compact JSON.
    pub fn document(&self, version: &str) -> Option<String> {
        let i = self.versions.iter().position(|(v, _)| *v == version)?;
        self.decode(i + 1, |_| {})
    }

    /// The default version's document.
    pub fn default_document(&self) -> String {
        self.decode(1, |_| {}).unwrap_or_default()
    }

    /// Every version's document, in `versions`' order.
    pub fn documents(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.versions.len());
        self.decode(self.versions.len(), |d| out.push(d.to_string()));
        out
    }

    /// The default version compiled once for the authorizer.
    pub fn compiled(&self) -> Option<Arc<Policy>> {
        self.compiled
            .get_or_init(|| crate::iam::policies::compile_stored(&self.default_document()))
            .0
            .clone()
    }
}

fn parse_date(text: &str) -> Epoch {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .unwrap_or(0)
}

static POLICIES: LazyLock<Vec<AwsPolicy>> = LazyLock::new(|| {
    INDEX
        .lines()
        .filter_map(|line| match serde_json::from_str::<Line<'static>>(line) {
            Ok(Line(name, path, id, description, default, created, updated, versions, at, len)) => {
                let (name, path) = (keep(name), keep(path));
                Some(AwsPolicy {
                    arn: format!("arn:aws:iam::aws:policy{path}{name}"),
                    name,
                    path,
                    id: keep(id),
                    default_version: keep(default),
                    description: description.map(keep),
                    created: parse_date(created),
                    updated: parse_date(updated),
                    versions: versions
                        .into_iter()
                        .map(|(v, d)| (keep(v), parse_date(d)))
                        .collect(),
                    span: (at, len),
                    compiled: OnceLock::new(),
                })
            }
            Err(err) => {
                // Unreachable in a tested build (the tests parse every line);
                // skipping keeps a bad line from taking the server down.
                tracing::error!(%err, "unparsable AWS managed policy index line");
                None
            }
        })
        .collect()
});

/// Every shipped AWS managed policy, sorted by ARN.
pub fn aws_managed_policies() -> &'static [AwsPolicy] {
    &POLICIES
}

/// The AWS managed policy with this ARN (exact case, as AWS).
pub fn aws_managed_policy(arn: &str) -> Option<&'static AwsPolicy> {
    let all = aws_managed_policies();
    all.binary_search_by(|p| p.arn.as_str().cmp(arn))
        .ok()
        .map(|i| &all[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn policy(arn: &str) -> &'static AwsPolicy {
        aws_managed_policy(arn).unwrap_or_else(|| panic!("{arn}"))
    }

    #[test]
    fn every_index_line_parses_and_is_sorted_by_arn() {
        assert_eq!(aws_managed_policies().len(), INDEX.lines().count());
        assert!(aws_managed_policies().len() > 1_300);
        assert!(aws_managed_policies()
            .windows(2)
            .all(|w| w[0].arn < w[1].arn));
    }

    #[test]
    fn names_ids_and_arns_are_unique_and_consistent() {
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        for p in aws_managed_policies() {
            assert!(names.insert(p.name), "{}", p.name);
            assert!(ids.insert(p.id), "{}", p.id);
            assert!(p.path.starts_with('/') && p.path.ends_with('/'));
            assert!(p.id.starts_with("ANPA") && p.id.len() == 21, "{}", p.id);
            assert_eq!(p.versions.first().map(|v| v.0), Some(p.default_version));
            assert!(p.created > 0 && p.created <= p.updated, "{}", p.name);
            assert_eq!(
                aws_managed_policy(&p.arn).map(|q| q.arn.as_str()),
                Some(p.arn.as_str())
            );
        }
    }

    #[test]
    fn every_document_of_every_version_is_a_policy() {
        let mut total = 0;
        for p in aws_managed_policies() {
            let docs = p.documents();
            assert_eq!(docs.len(), p.versions.len(), "{}", p.name);
            for d in &docs {
                let v: serde_json::Value =
                    serde_json::from_str(d).unwrap_or_else(|e| panic!("{}: {e}", p.name));
                assert!(v.get("Statement").is_some(), "{}", p.name);
            }
            total += docs.len();
        }
        assert!(total > 6_000, "{total}");
    }

    #[test]
    fn edits_copy_skip_and_insert_comma_separated_pieces() {
        let edits: Vec<Edit> =
            serde_json::from_str(r#"[1,-1,"x,y",2]"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(apply_edits("a,b,c,d", &edits).as_deref(), Some("a,x,y,c,d"));
        // Copying past the end is refused, not truncated.
        let past: Vec<Edit> = serde_json::from_str("[5]").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(apply_edits("a,b", &past), None);
    }

    #[test]
    fn every_default_version_compiles() {
        let failed: Vec<&str> = aws_managed_policies()
            .iter()
            .filter(|p| p.compiled().is_none())
            .map(|p| p.name)
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
    }

    #[test]
    fn the_well_known_policies_carry_aws_values() {
        let admin = policy("arn:aws:iam::aws:policy/AdministratorAccess");
        assert_eq!(admin.id, "ANPAIWMBCKSKIEE64ZLYK");
        assert_eq!(
            admin.default_document(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        );
        let s3 = policy("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
        assert_eq!(s3.path, "/");
        assert!(s3.versions.iter().any(|(v, _)| *v == "v1"));
        assert!(s3.document("v1").unwrap_or_default().contains("s3:Get*"));
        let read = policy("arn:aws:iam::aws:policy/ReadOnlyAccess");
        assert_eq!(read.id, "ANPAILL3HVNFSB6DCOWYQ");
        assert!(read.versions.len() > 100);
        let v1 = read.document("v1").unwrap_or_default();
        assert!(v1.contains("ec2:Describe*"), "{v1}");
        assert_ne!(v1, read.default_document());
        let view = policy("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess");
        assert_eq!(view.path, "/job-function/");
        assert!(aws_managed_policy(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        )
        .is_some());
        assert!(aws_managed_policy("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
        let change = policy("arn:aws:iam::aws:policy/IAMUserChangePassword").default_document();
        assert!(change.contains("iam:ChangePassword"));
        assert!(change.contains("arn:aws:iam::*:user/${aws:username}"));
    }
}
