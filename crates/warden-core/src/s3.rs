//! S3 buckets as warden knows them for the S3 gateway: which account owns each bucket (the account
//! whose principal created it through the gateway), and its bucket policy. The objects themselves
//! live in the backend store; warden keeps only what authorization needs.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::model::{now_epoch, Epoch};
use crate::state::{Change, Kind};
use crate::Warden;

/// S3's documented bucket policy size limit ("Bucket policies are limited to 20 KB").
pub const MAX_BUCKET_POLICY_BYTES: usize = 20 * 1024;

/// A bucket, stored under its (globally unique) name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Bucket {
    /// The bucket's name.
    pub name: String,
    /// The owning account: the account of the principal that created it.
    pub account: String,
    /// When the gateway recorded its creation.
    pub created: Epoch,
    /// The bucket policy as put (returned byte for byte by GetBucketPolicy).
    pub policy: Option<String>,
}

/// The S3 gateway's view of buckets.
#[derive(Debug, Clone, Copy)]
pub struct Buckets<'a> {
    warden: &'a Warden,
}

impl Warden {
    /// Buckets known to the S3 gateway.
    pub fn buckets(&self) -> Buckets<'_> {
        Buckets { warden: self }
    }
}

impl Buckets<'_> {
    /// The bucket `name`, if warden knows it.
    pub fn get(&self, name: &str) -> Option<S3Bucket> {
        self.warden.read().s3_buckets.get(name).cloned()
    }

    /// The names of the buckets `account` owns.
    pub fn owned_by(&self, account: &str) -> Vec<String> {
        self.warden
            .read()
            .s3_buckets
            .values()
            .filter(|b| b.account == account)
            .map(|b| b.name.clone())
            .collect()
    }

    /// Records that `account` created `name` (after the backend created it). A bucket warden
    /// already knows keeps its owner and policy (S3's CreateBucket by the owner again is
    /// `BucketAlreadyOwnedByYou`, which the backend answers).
    pub fn created(&self, name: &str, account: &str) -> Result<()> {
        self.warden.write(|s| {
            if s.s3_buckets.contains_key(name) {
                return Ok((vec![], ()));
            }
            Ok((
                vec![Change::S3Bucket(S3Bucket {
                    name: name.to_string(),
                    account: account.to_string(),
                    created: now_epoch(),
                    policy: None,
                })],
                (),
            ))
        })
    }

    /// Forgets `name` (after the backend deleted it).
    pub fn deleted(&self, name: &str) -> Result<()> {
        self.warden.write(|s| match s.s3_buckets.get(name) {
            Some(b) => Ok((
                vec![Change::Delete(
                    Kind::S3Bucket,
                    (b.account.clone(), b.name.clone()),
                )],
                (),
            )),
            None => Ok((vec![], ())),
        })
    }

    /// Sets the policy of `name` after S3's validation; `MalformedPolicyDocument` carries S3's
    /// `MalformedPolicy` text.
    pub fn put_policy(&self, name: &str, policy: &str) -> Result<()> {
        validate_bucket_policy(name, policy)?;
        self.warden.write(|s| {
            let mut b = s
                .s3_buckets
                .get(name)
                .cloned()
                .ok_or_else(|| CoreError::NoSuchEntity(format!("bucket {name}")))?;
            b.policy = Some(policy.to_string());
            Ok((vec![Change::S3Bucket(b)], ()))
        })
    }

    /// Removes the policy of `name` (no error when it has none, as S3 answers 204).
    pub fn delete_policy(&self, name: &str) -> Result<()> {
        self.warden.write(|s| match s.s3_buckets.get(name) {
            Some(b) if b.policy.is_some() => {
                let mut b = b.clone();
                b.policy = None;
                Ok((vec![Change::S3Bucket(b)], ()))
            }
            _ => Ok((vec![], ())),
        })
    }
}

fn malformed(m: &str) -> CoreError {
    CoreError::MalformedPolicyDocument(m.to_string())
}

/// S3's PutBucketPolicy validation, in S3's words. Recorded (LocalStack `test_s3_api.snapshot.json`,
/// `TestS3BucketPolicy::test_bucket_policy_exc`): not JSON → "Policies must be valid JSON and the
/// first byte must be '{'"; `{}` → "Missing required field Statement". The others are S3's texts as
/// users report them (reference `s3-authorization.md` §6): "Missing required field Principal",
/// "Policy has invalid resource". The grammar itself is warden's one resource-policy parser.
pub fn validate_bucket_policy(bucket: &str, policy: &str) -> Result<()> {
    if !policy.trim_start().starts_with('{') {
        return Err(malformed(
            "Policies must be valid JSON and the first byte must be '{'",
        ));
    }
    let value: serde_json::Value = serde_json::from_str(policy)
        .map_err(|_| malformed("Policies must be valid JSON and the first byte must be '{'"))?;
    if policy.len() > MAX_BUCKET_POLICY_BYTES {
        return Err(malformed(
            "Policy exceeds the maximum allowed document size.",
        ));
    }
    let statements = match value.get("Statement") {
        None => return Err(malformed("Missing required field Statement")),
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(one) => vec![one.clone()],
    };
    if statements.is_empty() {
        return Err(malformed("Could not parse the policy: Statement is empty!"));
    }
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    for st in &statements {
        if st.get("Principal").is_none() && st.get("NotPrincipal").is_none() {
            return Err(malformed("Missing required field Principal"));
        }
        let resources = match st.get("Resource").or_else(|| st.get("NotResource")) {
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| malformed("Policy has invalid resource"))?,
            _ => return Err(malformed("Missing required field Resource")),
        };
        // A bucket policy speaks of its own bucket and its objects only.
        for r in resources {
            let ours = r == bucket_arn
                || r.strip_prefix(&bucket_arn)
                    .is_some_and(|rest| rest.starts_with('/'));
            if !ours {
                return Err(malformed("Policy has invalid resource"));
            }
        }
    }
    crate::iam::policies::compile_document(policy, warden_policy::PolicyType::Resource).map_err(
        |e| match e {
            CoreError::MalformedPolicyDocument(m) => CoreError::MalformedPolicyDocument(m),
            other => other,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bucket: &str, p: &str) -> String {
        match validate_bucket_policy(bucket, p) {
            Err(CoreError::MalformedPolicyDocument(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn s3_policy_texts() {
        assert_eq!(
            err("b", ""),
            "Policies must be valid JSON and the first byte must be '{'"
        );
        assert_eq!(
            err("b", "randomstring"),
            "Policies must be valid JSON and the first byte must be '{'"
        );
        assert_eq!(err("b", "{}"), "Missing required field Statement");
        assert_eq!(
            err(
                "b",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
            ),
            "Missing required field Principal"
        );
        assert_eq!(
            err(
                "b",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#
            ),
            "Policy has invalid resource"
        );
        // A bucket whose name extends this one's is another bucket.
        assert_eq!(
            err(
                "b",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bb/*"}]}"#
            ),
            "Policy has invalid resource"
        );
        validate_bucket_policy(
            "b",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#,
        )
        .unwrap();
    }
}
