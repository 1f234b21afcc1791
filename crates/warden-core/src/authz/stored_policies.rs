//! Resource policies that services keep in warden (the authorization API's
//! `PutResourcePolicy`, `GetResourcePolicy`, `DeleteResourcePolicy`), so a
//! service needs no policy store of its own. Each is stored under the account
//! that put it (the calling service's) and the resource's ARN, and validated
//! as a resource-based policy with IAM's grammar and errors when it is put.

use serde::{Deserialize, Serialize};
use warden_policy::PolicyType;

use crate::error::{CoreError, Result};
use crate::iam::policies::compile_document;
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch};
use crate::state::{Change, Kind};

/// The longest resource ARN accepted: IAM's limit for ARN parameters (`arnType`, 2048).
const MAX_ARN_LEN: usize = 2048;

/// A resource policy a service stored, under `(account, resource ARN)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResourcePolicy {
    /// The account that stored it: the calling service's.
    pub account: String,
    /// The resource it governs, as given (`arn:aws:s3:::bucket`).
    pub resource_arn: String,
    /// The document exactly as put.
    pub document: String,
    /// When it was last put.
    pub updated: Epoch,
}

/// Refuses what cannot be a resource's ARN: `arn:partition:service:region:account:resource`.
fn check_arn(arn: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = arn.len() <= MAX_ARN_LEN
        && parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
        && !arn.contains('*')
        && !arn.contains('?');
    if well_formed {
        Ok(())
    } else {
        // Our wording: no AWS API stores policies under arbitrary ARNs.
        Err(CoreError::InvalidInput(format!(
            "ResourceArn {arn} is not a valid resource ARN (arn:partition:service:region:account:resource, no wildcards)."
        )))
    }
}

fn not_found(arn: &str) -> CoreError {
    CoreError::NoSuchEntity(format!("No resource policy is stored for {arn}."))
}

impl Iam<'_> {
    /// Stores `document` as the resource policy of `resource_arn`, replacing any, after validating it
    /// as a resource-based policy (IAM's `MalformedPolicyDocument` texts, the 20 KB quota of S3
    /// bucket policies).
    pub fn put_resource_policy(&self, resource_arn: &str, document: &str) -> Result<()> {
        check_arn(resource_arn)?;
        compile_document(document, PolicyType::Resource)?;
        let record = StoredResourcePolicy {
            account: self.account.to_string(),
            resource_arn: resource_arn.to_string(),
            document: document.to_string(),
            updated: now_epoch(),
        };
        self.warden
            .write(|_| Ok((vec![Change::ResourcePolicy(record)], ())))
    }

    /// The resource policy stored for `resource_arn`.
    pub fn resource_policy(&self, resource_arn: &str) -> Result<StoredResourcePolicy> {
        check_arn(resource_arn)?;
        self.stored_resource_policy(resource_arn)
            .ok_or_else(|| not_found(resource_arn))
    }

    /// The stored policy of `resource_arn`, if any (for Authorize, which decides without one when
    /// there is none).
    pub fn stored_resource_policy(&self, resource_arn: &str) -> Option<StoredResourcePolicy> {
        self.warden
            .read()
            .resource_policies
            .get(&(self.account.to_string(), resource_arn.to_string()))
            .cloned()
    }

    /// Removes the resource policy stored for `resource_arn`.
    pub fn delete_resource_policy(&self, resource_arn: &str) -> Result<()> {
        check_arn(resource_arn)?;
        let account = self.account;
        self.warden.write(|s| {
            let key = (account.to_string(), resource_arn.to_string());
            if !s.resource_policies.contains_key(&key) {
                return Err(not_found(resource_arn));
            }
            Ok((vec![Change::Delete(Kind::ResourcePolicy, key)], ()))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use super::*;
    use crate::Warden;

    const A: &str = "111111111111";
    const B: &str = "222222222222";
    const BUCKET: &str = "arn:aws:s3:::photos";
    const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}"#;

    #[test]
    fn put_get_replace_and_delete() {
        let w = Warden::in_memory_for_tests(A).unwrap();
        let iam = w.iam(A);
        assert!(matches!(
            iam.resource_policy(BUCKET),
            Err(CoreError::NoSuchEntity(_))
        ));
        iam.put_resource_policy(BUCKET, PUBLIC).unwrap();
        assert_eq!(iam.resource_policy(BUCKET).unwrap().document, PUBLIC);
        // Another account's store is its own.
        assert!(w.iam(B).stored_resource_policy(BUCKET).is_none());
        let other = PUBLIC.replace("GetObject", "ListBucket");
        iam.put_resource_policy(BUCKET, &other).unwrap();
        assert_eq!(iam.resource_policy(BUCKET).unwrap().document, other);
        iam.delete_resource_policy(BUCKET).unwrap();
        assert!(matches!(
            iam.delete_resource_policy(BUCKET),
            Err(CoreError::NoSuchEntity(_))
        ));
    }

    #[test]
    fn documents_are_validated_as_resource_policies() {
        let w = Warden::in_memory_for_tests(A).unwrap();
        let iam = w.iam(A);
        assert!(matches!(
            iam.put_resource_policy(BUCKET, "{"),
            Err(CoreError::MalformedPolicyDocument(_))
        ));
        // A resource policy names its principal.
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert!(matches!(
            iam.put_resource_policy(BUCKET, no_principal),
            Err(CoreError::MalformedPolicyDocument(_))
        ));
        let huge = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}]}}"#,
            "a".repeat(20_480)
        );
        assert!(iam.put_resource_policy(BUCKET, &huge).is_err());
        assert!(iam.stored_resource_policy(BUCKET).is_none());
    }

    #[test]
    fn only_resource_arns_are_keys() {
        let w = Warden::in_memory_for_tests(A).unwrap();
        for arn in ["photos", "arn:aws:s3", "arn:aws:s3:::*", "arn:aws:s3:::"] {
            assert!(
                matches!(
                    w.iam(A).put_resource_policy(arn, PUBLIC),
                    Err(CoreError::InvalidInput(_))
                ),
                "{arn}"
            );
        }
    }
}
