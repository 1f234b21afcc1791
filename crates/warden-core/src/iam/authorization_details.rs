//! GetAccountAuthorizationDetails: every user, group, role and managed policy
//! of an account with what grants them permissions, in one ordered sequence
//! paged together as AWS does. It reads across the whole model, so the walk
//! lives here rather than in the handler; the server only converts shapes.

use crate::error::Result;
use crate::iam::policies::{PolicyFilter, PolicyView, VersionView};
use crate::iam::roles::effective_trust_document;
use crate::iam::Iam;
use crate::model::{Group, InstanceProfile, Role, User};
use crate::page::{paginate, Page, PageQuery};

/// An attached managed policy: its name (when the account can see the
/// policy) and ARN.
#[derive(Debug, Clone)]
pub struct AttachedName {
    /// `None` when the ARN names no policy the account can see (e.g. one deleted since).
    pub name: Option<String>,
    /// The policy ARN as stored in the attachment.
    pub arn: String,
}

/// One entry of the listing, in AWS's order: users, groups, roles, then
/// managed policies.
#[derive(Debug, Clone)]
pub enum DetailItem {
    /// A user with its groups and attached policies (its inline policies are on the user).
    User {
        /// The user as stored.
        user: User,
        /// The stored names of the groups the user is in.
        groups: Vec<String>,
        /// Managed policies attached to the user.
        attached: Vec<AttachedName>,
    },
    /// A group with its attached policies (inline ones are on the group).
    Group {
        /// The group as stored.
        group: Group,
        /// Managed policies attached to the group.
        attached: Vec<AttachedName>,
    },
    /// A role with its effective trust policy, instance profiles and attached policies.
    Role {
        /// The role as stored.
        role: Role,
        /// The trust policy as GetRole shows it (pins of deleted principals
        /// replaced by their unique ids).
        trust_document: String,
        /// The instance profiles holding this role.
        instance_profiles: Vec<InstanceProfile>,
        /// Managed policies attached to the role.
        attached: Vec<AttachedName>,
    },
    /// A managed policy with all its versions: every customer one, and the AWS ones in use.
    Policy {
        /// The policy with its usage counts.
        policy: PolicyView,
        /// Every version, newest first.
        versions: Vec<VersionView>,
    },
}

/// The entity kinds of the request's `Filter`; an empty filter wants all.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetailFilter<'a>(pub &'a [String]);

impl DetailFilter<'_> {
    fn wants(&self, kind: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|f| f == kind)
    }
}

impl Iam<'_> {
    /// One page of the account's authorization details.
    pub fn authorization_details(
        &self,
        filter: DetailFilter<'_>,
        query: PageQuery,
    ) -> Result<Page<DetailItem>> {
        let account = self.account;
        let policy_views = self
            .list_policies(&PolicyFilter::default(), PageQuery::first(1000))?
            .items;
        let attached = |arns: &[String]| -> Vec<AttachedName> {
            arns.iter()
                .map(|arn| AttachedName {
                    name: policy_views
                        .iter()
                        .find(|v| &v.arn == arn)
                        .map(|v| v.name.clone()),
                    arn: arn.clone(),
                })
                .collect()
        };
        let mut items: Vec<DetailItem> = Vec::new();
        {
            let s = self.warden.read();
            if filter.wants("User") {
                for u in s.users_of(account) {
                    items.push(DetailItem::User {
                        user: u.clone(),
                        groups: u
                            .groups
                            .iter()
                            .filter_map(|g| s.group(account, g).map(|g| g.name.clone()))
                            .collect(),
                        attached: attached(&u.attached_policies),
                    });
                }
            }
            if filter.wants("Group") {
                for g in s.groups_of(account) {
                    items.push(DetailItem::Group {
                        group: g.clone(),
                        attached: attached(&g.attached_policies),
                    });
                }
            }
            if filter.wants("Role") {
                for r in s.roles_of(account) {
                    let lower = r.name.to_lowercase();
                    items.push(DetailItem::Role {
                        role: r.clone(),
                        trust_document: effective_trust_document(&s, r),
                        instance_profiles: s
                            .instance_profiles_of(account)
                            .filter(|p| p.role.as_deref() == Some(lower.as_str()))
                            .cloned()
                            .collect(),
                        attached: attached(&r.attached_policies),
                    });
                }
            }
        }
        for v in &policy_views {
            let wanted = if v.aws_managed {
                // AWS lists the AWS managed policies that are in use.
                filter.wants("AWSManagedPolicy") && v.attachment_count + v.boundary_usage_count > 0
            } else {
                filter.wants("LocalManagedPolicy")
            };
            if !wanted {
                continue;
            }
            let versions = self
                .list_policy_versions(&v.arn, PageQuery::first(1000))?
                .items;
            items.push(DetailItem::Policy {
                policy: v.clone(),
                versions,
            });
        }
        let page = paginate(
            items.into_iter().enumerate(),
            |(i, _)| format!("{i:08}"),
            query,
        )?;
        Ok(Page {
            items: page.items.into_iter().map(|(_, item)| item).collect(),
            marker: page.marker,
        })
    }
}
