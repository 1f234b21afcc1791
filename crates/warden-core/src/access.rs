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

use crate::actions::{self, ActionSpec, EntityKind, KeySource, Lookup, OrgKind, ResourceSpec};
use crate::auth::{Caller, PrincipalKind};
use crate::model::Tag;
use crate::state::State;

/// One decision a request needs: the operation's own action on its
/// resource, or a dependent action (`iam:PassRole`, `sts:TagSession`, the
/// same action on a rename's target).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub action: &'static str,
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
            actions::KEY_OWNER_PARAM => {
                let key = self.s.access_keys.get(&(self.params)("AccessKeyId")?)?;
                self.s
                    .user(&key.account, key.user.as_deref()?)
                    .map(|u| u.name.clone())
            }
            actions::SERVICE_ROLE_NAME_PARAM => Some(crate::roles::service_linked_role_name(
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
            EntityKind::ServerCertificate => None,
        }
    }

    fn org_arn(&self, kind: OrgKind, id: &str) -> Option<String> {
        crate::org_arns::org_resource_arn(self.s, self.account, kind, id)
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
    if !spec.resource_tag_keys.is_empty() || boundary_of_target(spec) {
        target_keys(s, &resource, boundary_of_target(spec), &mut keys);
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
