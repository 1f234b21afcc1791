//! AWS managed policies (`arn:aws:iam::aws:policy/...`) shipped as data.
//!
//! Each policy is one JSON file in `data/aws-managed-policies/`, with AWS's
//! real document, id, version and dates (see the README there for sources).
//! The files are compiled in with `include_str!` and parsed once, on first
//! use. To add a policy, drop its file in that folder and add its name to
//! the `policy_files!` list below; a test fails while a file there is not
//! listed.

use std::sync::LazyLock;

use serde::Deserialize;

/// One AWS managed policy, as IAM's GetPolicy reports it plus the document
/// of its default version.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyData {
    /// AWS's name, e.g. `ReadOnlyAccess`.
    pub policy_name: String,
    /// `arn:aws:iam::aws:policy{Path}{PolicyName}`.
    pub arn: String,
    /// `/`, `/service-role/`, `/job-function/` and so on.
    pub path: String,
    /// AWS's id (`ANPA...`).
    pub policy_id: String,
    /// AWS's current default version (`v1`, `v2`, ...), reported as is.
    pub default_version_id: String,
    /// AWS's description text.
    pub description: String,
    /// ISO 8601, as IAM's query API writes it (`2015-02-06T18:39:46Z`).
    pub create_date: String,
    /// ISO 8601, like `create_date`.
    pub update_date: String,
    /// Where the data came from; also says when a document was trimmed.
    #[serde(default)]
    pub source: String,
    /// The default version's policy document.
    pub document: serde_json::Value,
}

impl ManagedPolicyData {
    /// The document as compact JSON text, the form policy parsing and
    /// GetPolicyVersion (URL-encoded) start from.
    pub fn document_text(&self) -> String {
        self.document.to_string()
    }
}

macro_rules! policy_files {
    ($($name:literal),* $(,)?) => {
        /// The shipped files: (file stem, contents).
        static FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../data/aws-managed-policies/", $name, ".json"))),)*
        ];
    };
}

policy_files!(
    "AdministratorAccess",
    "AWSOrganizationsFullAccess",
    "AWSOrganizationsReadOnlyAccess",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "IAMSelfManageServiceSpecificCredentials",
    "IAMUserChangePassword",
    "IAMUserSSHKeys",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "ViewOnlyAccess",
);

static POLICIES: LazyLock<Vec<ManagedPolicyData>> = LazyLock::new(|| {
    FILES
        .iter()
        .filter_map(|(name, text)| match serde_json::from_str(text) {
            Ok(policy) => Some(policy),
            Err(err) => {
                // Unreachable in a tested build (the tests parse every file);
                // skipping keeps a bad data file from taking the server down.
                tracing::error!(file = name, %err, "unparsable AWS managed policy file");
                None
            }
        })
        .collect()
});

/// Every shipped AWS managed policy, in file order.
pub fn aws_managed_policies() -> &'static [ManagedPolicyData] {
    &POLICIES
}

/// The AWS managed policy with this ARN.
pub fn aws_managed_policy(arn: &str) -> Option<&'static ManagedPolicyData> {
    POLICIES.iter().find(|p| p.arn == arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_file_parses() {
        for (name, text) in FILES {
            let parsed: Result<ManagedPolicyData, _> = serde_json::from_str(text);
            assert!(parsed.is_ok(), "{name}.json: {:?}", parsed.err());
        }
        assert_eq!(aws_managed_policies().len(), FILES.len());
    }

    #[test]
    fn every_file_in_the_folder_is_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/aws-managed-policies");
        let listed: HashSet<&str> = FILES.iter().map(|(n, _)| *n).collect();
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) == Some("json") {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                assert!(listed.contains(stem), "{stem}.json is not in policy_files!");
            }
        }
    }

    #[test]
    fn names_ids_and_arns_are_unique_and_consistent() {
        let mut names = HashSet::new();
        let mut ids = HashSet::new();
        let mut arns = HashSet::new();
        for (file, _) in FILES {
            let p = aws_managed_policies()
                .iter()
                .find(|p| p.policy_name == *file)
                .unwrap_or_else(|| panic!("{file}.json does not hold policy {file}"));
            assert!(names.insert(p.policy_name.as_str()), "{}", p.policy_name);
            assert!(ids.insert(p.policy_id.as_str()), "{}", p.policy_id);
            assert!(arns.insert(p.arn.as_str()), "{}", p.arn);
            assert_eq!(
                p.arn,
                format!("arn:aws:iam::aws:policy{}{}", p.path, p.policy_name)
            );
            assert!(p.path.starts_with('/') && p.path.ends_with('/'));
            assert!(p.policy_id.starts_with("ANPA") && p.policy_id.len() == 21);
            assert!(p.default_version_id.starts_with('v'));
            assert!(!p.description.is_empty());
            assert!(p.create_date <= p.update_date);
            assert_eq!(aws_managed_policy(&p.arn), Some(p));
        }
    }

    #[test]
    fn documents_are_policies_with_statements() {
        for p in aws_managed_policies() {
            let doc = p
                .document
                .as_object()
                .unwrap_or_else(|| panic!("{}", p.policy_name));
            assert_eq!(
                doc.get("Version").and_then(|v| v.as_str()),
                Some("2012-10-17")
            );
            let statements = match doc.get("Statement") {
                Some(serde_json::Value::Array(s)) => s.clone(),
                Some(s @ serde_json::Value::Object(_)) => vec![s.clone()],
                other => panic!("{}: Statement is {other:?}", p.policy_name),
            };
            assert!(!statements.is_empty(), "{}", p.policy_name);
            for s in &statements {
                let effect = s.get("Effect").and_then(|e| e.as_str());
                assert!(
                    matches!(effect, Some("Allow" | "Deny")),
                    "{}",
                    p.policy_name
                );
            }
            // The text form round-trips.
            let again: serde_json::Value =
                serde_json::from_str(&p.document_text()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(again, p.document);
        }
    }

    #[test]
    fn the_required_policies_are_shipped_with_aws_documents() {
        let admin = aws_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess")
            .unwrap_or_else(|| panic!("AdministratorAccess"));
        assert_eq!(admin.policy_id, "ANPAIWMBCKSKIEE64ZLYK");
        assert_eq!(
            admin.document,
            serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        );
        for name in [
            "PowerUserAccess",
            "ReadOnlyAccess",
            "IAMFullAccess",
            "IAMReadOnlyAccess",
            "IAMUserChangePassword",
            "IAMSelfManageServiceSpecificCredentials",
        ] {
            assert!(
                aws_managed_policy(&format!("arn:aws:iam::aws:policy/{name}")).is_some(),
                "{name}"
            );
        }
        let view = aws_managed_policy("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
            .unwrap_or_else(|| panic!("ViewOnlyAccess"));
        assert_eq!(view.path, "/job-function/");
        let change = aws_managed_policy("arn:aws:iam::aws:policy/IAMUserChangePassword")
            .map(ManagedPolicyData::document_text)
            .unwrap_or_default();
        assert!(change.contains("iam:ChangePassword"));
        assert!(change.contains("arn:aws:iam::*:user/${aws:username}"));
    }
}
