//! The authorization input of a request, built from the action table alone:
//! every resource the operation acts on (the destination of a rename or
//! move too), each named by the canonical stored entity rather than the
//! request's spelling; every condition key the table lists for the
//! operation and the request carries; every dependent action; and how the
//! denial names the resource. Handlers add no authorization of their own.
//!
//! The request's parameters come in as a function from wire name to value
//! (Query parameters as sent; the server flattens JSON bodies to the same
//! names), so one path serves IAM, STS and Organizations.

use warden_policy::ContextValue;

use crate::authz::actions::{
    self, ActionSpec, EntityKind, KeySource, Lookup, OrgKind, ResourceSpec,
};
use crate::authz::auth::{Caller, PrincipalKind};
use crate::model::Tag;
use crate::state::State;

/// One decision a request needs: the operation's own action on its
/// resource, or a dependent action (`iam:PassRole`, `sts:TagSession`, the
/// same action on a rename's target).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The action checked, e.g. `iam:CreateUser` or `iam:PassRole`.
    pub action: &'static str,
    /// The resource ARN the action is checked on, filled from the request and the stored entity
    /// (its real name and path).
    pub resource: String,
    /// The resource as AWS's AccessDenied text names it (`user bob`,
    /// `policy ARN`, or the ARN).
    pub shown: String,
    /// The condition keys of this check: those the table lists and the
    /// request carries, and the target's tags and boundary.
    pub keys: Vec<(String, ContextValue)>,
}

/// A request's parameters by wire name.
pub type Params<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The model as the table asks for it, for one request.
struct View<'a> {
    s: &'a State,
    account: &'a str,
    caller_user: Option<String>,
    params: Params<'a>,
}

impl Lookup for View<'_> {
    fn account(&self) -> &str {
        self.account
    }

    fn caller_user(&self) -> Option<&str> {
        self.caller_user.as_deref()
    }

    fn param(&self, name: &str) -> Option<String> {
        match name {
            // Only a key of the request's own account has an owner here: a
            // key of another account must not lend its owner's name to a
            // same-named user of this one.
            actions::KEY_OWNER_PARAM => {
                let key = self
                    .s
                    .access_keys
                    .get(&(self.params)("AccessKeyId")?)
                    .filter(|k| k.account == self.account)?;
                self.s
                    .user(&key.account, key.user.as_deref()?)
                    .map(|u| u.name.clone())
            }
            actions::SERVICE_ROLE_NAME_PARAM => Some(crate::iam::roles::service_linked_role_name(
                &(self.params)("AWSServiceName")?,
                (self.params)("CustomSuffix").as_deref(),
            )),
            _ => (self.params)(name),
        }
    }

    fn entity(&self, kind: EntityKind, name: &str) -> Option<(String, String)> {
        let (s, account) = (self.s, self.account);
        match kind {
            EntityKind::User => s
                .user(account, name)
                .map(|u| (u.name.clone(), u.path.clone())),
            EntityKind::Group => s
                .group(account, name)
                .map(|g| (g.name.clone(), g.path.clone())),
            EntityKind::Role => s
                .role(account, name)
                .map(|r| (r.name.clone(), r.path.clone())),
            EntityKind::InstanceProfile => s
                .instance_profiles_of(account)
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| (p.name.clone(), p.path.clone())),
            EntityKind::ServerCertificate => s
                .server_certificates
                .get(&crate::state::name_key(account, name))
                .map(|c| (c.name.clone(), c.path.clone())),
        }
    }

    fn org_arn(&self, kind: OrgKind, id: &str) -> Option<String> {
        crate::orgs::org_arns::org_resource_arn(self.s, self.account, kind, id)
    }
}

/// What the model knows of the entity an ARN names: its tags, and for users
/// and roles their permissions boundary. `None` when the ARN names nothing
/// stored (a create, a resource of another service).
struct Target<'s> {
    tags: &'s [Tag],
    boundary: Option<&'s str>,
    /// Users and roles also carry `iam:ResourceTag/*`.
    iam_tags: bool,
}

fn target<'s>(s: &'s State, arn: &'s str) -> Option<Target<'s>> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let (kind, path_and_name) = resource.split_once('/')?;
    let name = path_and_name.rsplit('/').next()?;
    let found = match kind {
        "user" => s
            .user(account, name)
            .filter(|u| u.arn() == arn)
            .map(|u| Target {
                tags: &u.tags,
                boundary: u.permissions_boundary.as_deref(),
                iam_tags: true,
            }),
        "role" => s
            .role(account, name)
            .filter(|r| r.arn() == arn)
            .map(|r| Target {
                tags: &r.tags,
                boundary: r.permissions_boundary.as_deref(),
                iam_tags: true,
            }),
        "policy" => s
            .policies_of(account)
            .find(|p| p.arn() == arn)
            .map(|p| Target {
                tags: &p.tags,
                boundary: None,
                iam_tags: false,
            }),
        "instance-profile" => s
            .instance_profiles_of(account)
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| Target {
                tags: &p.tags,
                boundary: None,
                iam_tags: false,
            }),
        "server-certificate" => s
            .server_certificates
            .get(&crate::state::name_key(account, name))
            .filter(|c| c.arn() == arn)
            .map(|c| Target {
                tags: &c.tags,
                boundary: None,
                iam_tags: false,
            }),
        "oidc-provider" => crate::iam::oidc_providers::find_by_arn(s, arn).map(|p| Target {
            tags: &p.tags,
            boundary: None,
            iam_tags: false,
        }),
        _ => None,
    };
    found
}

/// The keys the request itself carries for this row (its `Param`, `List`,
/// `TagValues` and `TagKeysOf` sources). Keys about the target, the
/// federation token or state warden does not model are not request keys.
fn request_keys(spec: &ActionSpec, view: &View<'_>) -> Vec<(String, ContextValue)> {
    let params = &|name: &str| view.param(name);
    let mut out = Vec::new();
    for k in spec.request_keys {
        match k.source {
            KeySource::Param(name) => {
                if let Some(v) = params(name) {
                    out.push((k.key.to_owned(), ContextValue::from(v)));
                }
            }
            KeySource::List(name) => {
                let values = actions::list_param(params, name);
                if !values.is_empty() {
                    out.push((k.key.to_owned(), ContextValue::from(values)));
                }
            }
            KeySource::TagValues(name) => {
                for (tag, value) in actions::tag_param(params, name) {
                    out.push((format!("aws:RequestTag/{tag}"), ContextValue::from(value)));
                }
            }
            KeySource::TagKeysOf(name) => {
                let keys: Vec<String> = actions::tag_param(params, name)
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect();
                if !keys.is_empty() {
                    out.push((k.key.to_owned(), ContextValue::from(keys)));
                }
            }
            KeySource::OrgPolicyType(id_param) => {
                if let Some(t) = actions::org_policy_type(view, id_param) {
                    out.push((k.key.to_owned(), ContextValue::from(t)));
                }
            }
            // The stored credential's service, for Delete/Reset/Update of a service-specific
            // credential (the SAR lists the key for them; CreateServiceSpecificCredential reads it
            // from its `ServiceName` parameter instead).
            KeySource::Target if k.key == "iam:ServiceSpecificCredentialServiceName" => {
                let stored = params("ServiceSpecificCredentialId").and_then(|id| {
                    view.s
                        .service_credentials
                        .get(&(view.account.to_owned(), id))
                });
                if let Some(c) = stored {
                    out.push((k.key.to_owned(), ContextValue::from(c.service.clone())));
                }
            }
            KeySource::Target | KeySource::Federation | KeySource::Unsupported => {}
        }
    }
    out
}

/// The keys about the stored target of a check: `aws:ResourceTag/*` (and
/// `iam:ResourceTag/*` for users and roles) and, where the row lists
/// `iam:PermissionsBoundary` as a property of the target, its boundary.
fn target_keys(
    s: &State,
    resource: &str,
    wants_boundary: bool,
    out: &mut Vec<(String, ContextValue)>,
) {
    let Some(t) = target(s, resource) else {
        return;
    };
    for tag in t.tags {
        out.push((
            format!("aws:ResourceTag/{}", tag.key),
            ContextValue::from(tag.value.clone()),
        ));
        if t.iam_tags {
            out.push((
                format!("iam:ResourceTag/{}", tag.key),
                ContextValue::from(tag.value.clone()),
            ));
        }
    }
    if let (true, Some(b)) = (wants_boundary, t.boundary) {
        out.push((
            "iam:PermissionsBoundary".to_owned(),
            ContextValue::from(b.to_owned()),
        ));
    }
}

/// Whether a row reads `iam:PermissionsBoundary` from the existing target.
fn boundary_of_target(spec: &ActionSpec) -> bool {
    spec.request_keys
        .iter()
        .any(|k| k.key == "iam:PermissionsBoundary" && k.source == KeySource::Target)
}

/// The checks `caller` needs for the operation of `spec` with `params`, in
/// the order AWS reports denials: the operation's own action first.
pub fn checks(s: &State, caller: &Caller, spec: &ActionSpec, params: Params<'_>) -> Vec<Check> {
    let caller_user = match &caller.kind {
        PrincipalKind::User { name_lower } => {
            s.user(&caller.account, name_lower).map(|u| u.name.clone())
        }
        _ => None,
    };
    let view = View {
        s,
        account: &caller.account,
        caller_user,
        params,
    };
    let asked = request_keys(spec, &view);

    let resource = actions::resource_arn(spec, &view);
    let mut keys = asked.clone();
    let wants_boundary = boundary_of_target(spec);
    if !spec.resource_tag_keys.is_empty() || wants_boundary {
        target_keys(s, &resource, wants_boundary, &mut keys);
    }
    let mut out = vec![Check {
        action: spec.action,
        shown: actions::denial_resource(spec, &resource),
        resource,
        keys,
    }];
    for implied in spec.implied_actions {
        if !implied.applies(&|n| view.param(n)) {
            continue;
        }
        let resource = actions::fill(&implied.resource, &view);
        let mut keys = asked.clone();
        keys.extend(
            implied
                .keys
                .iter()
                .map(|(k, v)| ((*k).to_owned(), ContextValue::from((*v).to_owned()))),
        );
        target_keys(s, &resource, false, &mut keys);
        // The same action on a rename's target is worded like the source;
        // other dependent actions name their resource by ARN.
        let shown = if implied.action == spec.action
            && matches!(implied.resource, ResourceSpec::RenameTarget { .. })
        {
            actions::denial_resource(spec, &resource)
        } else {
            resource.clone()
        };
        out.push(Check {
            action: implied.action,
            resource,
            shown,
            keys,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    //! Properties over the whole table: no row may build its resource from
    //! the request's spelling of an existing entity, and no request key the
    //! table lists may be dropped on the way to the engine.
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on a broken fixture"
    )]

    use std::collections::HashMap;

    use super::*;
    use crate::authz::tests::user_in;
    use crate::iam::roles::NewRole;
    use crate::iam::users::NewUser;
    use crate::model::Tag;
    use crate::Warden;

    const ACCT: &str = "123456789012";
    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

    fn tag() -> Vec<Tag> {
        vec![Tag {
            key: "team".into(),
            value: "blue".into(),
        }]
    }

    /// A model holding one user, group, role, instance profile and server certificate, each
    /// named `Stored` at `/p/`; the user and role are tagged and bounded.
    fn world() -> (Warden, Caller) {
        let w = Warden::in_memory_for_tests(ACCT).unwrap();
        let boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_string();
        w.iam(ACCT)
            .create_user(NewUser {
                name: "Stored".into(),
                path: Some("/p/".into()),
                tags: tag(),
                permissions_boundary: Some(boundary.clone()),
            })
            .unwrap();
        w.iam(ACCT).create_group("Stored", Some("/p/")).unwrap();
        w.iam(ACCT)
            .create_role(NewRole {
                name: "Stored".into(),
                path: Some("/p/".into()),
                trust_document: TRUST.into(),
                tags: tag(),
                permissions_boundary: Some(boundary),
                ..NewRole::default()
            })
            .unwrap();
        w.iam(ACCT)
            .create_instance_profile("Stored", Some("/p/"), Vec::new())
            .unwrap();
        // Stored directly: an upload needs a real certificate and key.
        let cert = crate::iam::certificates::ServerCertificate {
            id: "ASCAEXAMPLEEXAMPLEXX".into(),
            account: ACCT.into(),
            name: "Stored".into(),
            path: "/p/".into(),
            body: String::new(),
            chain: None,
            sealed_private_key: String::new(),
            expiration: 0,
            uploaded: 0,
            tags: tag(),
        };
        w.write(|_| Ok((vec![crate::state::Change::ServerCertificate(cert)], ())))
            .unwrap();
        let caller = user_in(&w, ACCT, "caller");
        (w, caller)
    }

    /// Parameters naming an existing entity, spelt in another case.
    const NAME_PARAMS: &[&str] = &[
        "UserName",
        "GroupName",
        "RoleName",
        "InstanceProfileName",
        "ServerCertificateName",
    ];

    #[test]
    fn every_row_names_existing_entities_by_their_stored_name_and_path() {
        let (w, caller) = world();
        let s = w.read();
        let mut named = 0;
        for row in actions::all() {
            let params = |name: &str| NAME_PARAMS.contains(&name).then(|| "STORED".to_string());
            for check in checks(&s, &caller, row, &params) {
                assert!(
                    !check.resource.contains("STORED"),
                    "{}: {} built from the request's spelling: {}",
                    row.action,
                    check.action,
                    check.resource
                );
                if check.resource.ends_with("/p/Stored") {
                    named += 1;
                }
            }
        }
        // Dozens of IAM rows act on an existing user, group, role or profile.
        assert!(named > 60, "only {named} checks named a stored entity");
    }

    #[test]
    fn a_rename_or_move_is_also_checked_on_its_destination() {
        let (w, caller) = world();
        let s = w.read();
        for (op, name_param, new_name_param, kind) in [
            ("UpdateUser", "UserName", "NewUserName", "user"),
            ("UpdateGroup", "GroupName", "NewGroupName", "group"),
            (
                "UpdateServerCertificate",
                "ServerCertificateName",
                "NewServerCertificateName",
                "server-certificate",
            ),
        ] {
            let row = actions::spec("iam", op).unwrap();
            let moved = |name: &str| match name {
                n if n == name_param => Some("stored".to_string()),
                "NewPath" => Some("/admins/".to_string()),
                _ => None,
            };
            let got: Vec<String> = checks(&s, &caller, row, &moved)
                .into_iter()
                .map(|c| c.resource)
                .collect();
            assert_eq!(
                got,
                vec![
                    format!("arn:aws:iam::{ACCT}:{kind}/p/Stored"),
                    format!("arn:aws:iam::{ACCT}:{kind}/admins/Stored"),
                ],
                "{op}"
            );
            let renamed = |name: &str| match name {
                n if n == name_param => Some("Stored".to_string()),
                n if n == new_name_param => Some("admin".to_string()),
                _ => None,
            };
            let got: Vec<String> = checks(&s, &caller, row, &renamed)
                .into_iter()
                .map(|c| c.resource)
                .collect();
            assert_eq!(
                got[1],
                format!("arn:aws:iam::{ACCT}:{kind}/p/admin"),
                "{op}"
            );
        }
    }

    /// Request parameters that carry every request-sourced key of `row`,
    /// and the context keys that must then reach the engine.
    fn carrying(row: &ActionSpec) -> (HashMap<String, String>, Vec<String>) {
        let mut params = HashMap::new();
        let mut expected = Vec::new();
        for k in row.request_keys {
            match k.source {
                KeySource::Param(name) => {
                    params.insert(name.to_string(), "v".to_string());
                    expected.push(k.key.to_string());
                }
                KeySource::List(name) => {
                    params.insert(format!("{name}.member.1"), "v".to_string());
                    expected.push(k.key.to_string());
                }
                KeySource::TagValues(name) => {
                    params.insert(format!("{name}.member.1.Key"), "k".to_string());
                    params.insert(format!("{name}.member.1.Value"), "v".to_string());
                    expected.push("aws:RequestTag/k".to_string());
                }
                KeySource::TagKeysOf(name) => {
                    params.insert(format!("{name}.member.1.Key"), "k".to_string());
                    expected.push(k.key.to_string());
                }
                _ => {}
            }
        }
        (params, expected)
    }

    #[test]
    fn every_request_key_the_table_lists_reaches_every_check_when_carried() {
        let (w, caller) = world();
        let s = w.read();
        let mut filled = 0;
        for row in actions::all() {
            let (map, expected) = carrying(row);
            let params = |name: &str| map.get(name).cloned();
            for check in checks(&s, &caller, row, &params) {
                for key in &expected {
                    assert!(
                        check.keys.iter().any(|(k, _)| k == key),
                        "{} ({}): {key} not filled",
                        row.action,
                        check.action
                    );
                    filled += 1;
                }
            }
        }
        assert!(filled > 100, "only {filled} keys checked");
        // The keys issue 12 names, spot-checked.
        for (service, op, key) in [
            ("iam", "CreateServiceLinkedRole", "iam:AWSServiceName"),
            ("iam", "AttachUserPolicy", "iam:PolicyARN"),
            (
                "iam",
                "PutRolePermissionsBoundary",
                "iam:PermissionsBoundary",
            ),
            ("iam", "CreateUser", "aws:TagKeys"),
            ("sts", "AssumeRole", "sts:ExternalId"),
            (
                "organizations",
                "EnableAWSServiceAccess",
                "organizations:ServicePrincipal",
            ),
            ("organizations", "CreatePolicy", "organizations:PolicyType"),
        ] {
            let row = actions::spec(service, op).unwrap();
            assert!(carrying(row).1.iter().any(|k| k == key), "{op} lists {key}");
        }
    }

    #[test]
    fn targets_bring_their_tags_and_boundary_and_passed_roles_their_service() {
        let (w, caller) = world();
        let s = w.read();
        let attach = actions::spec("iam", "AttachRolePolicy").unwrap();
        let params = |name: &str| (name == "RoleName").then(|| "stored".to_string());
        let keys = &checks(&s, &caller, attach, &params)[0].keys;
        for key in [
            "aws:ResourceTag/team",
            "iam:ResourceTag/team",
            "iam:PermissionsBoundary",
        ] {
            assert!(keys.iter().any(|(k, _)| k == key), "{key}");
        }
        let add = actions::spec("iam", "AddRoleToInstanceProfile").unwrap();
        let params = |name: &str| match name {
            "RoleName" | "InstanceProfileName" => Some("STORED".to_string()),
            _ => None,
        };
        let all = checks(&s, &caller, add, &params);
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].action, "iam:PassRole");
        assert_eq!(
            all[1].resource,
            format!("arn:aws:iam::{ACCT}:role/p/Stored")
        );
        assert!(all[1].keys.iter().any(|(k, v)| k == "iam:PassedToService"
            && *v == ContextValue::from("ec2.amazonaws.com".to_string())));
        assert!(all[1].keys.iter().any(|(k, _)| k == "iam:ResourceTag/team"));
    }

    #[test]
    fn a_server_certificate_brings_its_aws_resource_tags_only() {
        let (w, caller) = world();
        let s = w.read();
        let row = actions::spec("iam", "DeleteServerCertificate").unwrap();
        let params = |name: &str| (name == "ServerCertificateName").then(|| "STORED".to_string());
        let check = &checks(&s, &caller, row, &params)[0];
        assert_eq!(
            check.resource,
            format!("arn:aws:iam::{ACCT}:server-certificate/p/Stored")
        );
        assert!(check.keys.iter().any(|(k, _)| k == "aws:ResourceTag/team"));
        assert!(!check.keys.iter().any(|(k, _)| k == "iam:ResourceTag/team"));
    }

    #[test]
    fn federation_tokens_with_tags_need_tag_session() {
        let (w, caller) = world();
        let s = w.read();
        let row = actions::spec("sts", "GetFederationToken").unwrap();
        let without = |name: &str| (name == "Name").then(|| "visitor".to_string());
        assert_eq!(checks(&s, &caller, row, &without).len(), 1);
        let with = |name: &str| match name {
            "Name" => Some("visitor".to_string()),
            "Tags.member.1.Key" => Some("team".to_string()),
            "Tags.member.1.Value" => Some("red".to_string()),
            _ => None,
        };
        let all = checks(&s, &caller, row, &with);
        assert_eq!(all[1].action, "sts:TagSession");
        assert_eq!(
            all[1].resource,
            format!("arn:aws:sts::{ACCT}:federated-user/visitor")
        );
        assert!(all[1].keys.iter().any(|(k, _)| k == "aws:RequestTag/team"));
    }
}
