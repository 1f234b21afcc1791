//! What each IAM, STS and Organizations operation is authorized as: the
//! action, its access level, the resource ARN it is evaluated against, and the
//! condition keys the request itself supplies.
//!
//! The table follows AWS's Service Authorization Reference (SAR) for IAM, STS
//! and Organizations, one row per operation of the botocore models warden
//! serves, so the
//! authorizer has a single place to look instead of per-handler `if`s. Where
//! AWS reports a different resource than the SAR's "no resource type" (the
//! path-scoped `List*` calls, whose denials name `arn:aws:iam::ACCT:user/` and
//! `policy path /`), the row follows what AWS evaluates, since that is what a
//! `Resource` element is matched against.
//!
//! This module is plain data plus pure helpers: no I/O, no state lookups. The
//! caller answers the [`Lookup`] trait for request parameters and the stored
//! entities they name.
//!
//! Organizations requests are JSON; the server flattens them into the same
//! query-style names the templates read: a top-level member `PolicyId`, a
//! nested one `Target.Id`, list members `TagKeys.member.N`, list-of-struct
//! members `Tags.member.N.Key` / `.Value`.

/// The service an operation belongs to (the part before `:` in its action).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// IAM (`iam:`).
    Iam,
    /// STS (`sts:`).
    Sts,
    /// AWS Organizations (`organizations:`).
    Organizations,
    /// warden's own authorization API (`warden:`), for the services that ask warden
    /// (`tools/action-table/warden-actions.json`, `docs/authorization-api.md`).
    Warden,
    /// AWS CloudTrail (`cloudtrail:`): only LookupEvents, which serves the audit trail
    /// (`docs/audit.md`; `PARTIAL_SERVICES` in `tools/action-table/generate.py`).
    Cloudtrail,
}

impl Service {
    /// The action prefix: `iam` or `sts`.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::Organizations => "organizations",
            Service::Warden => "warden",
            Service::Cloudtrail => "cloudtrail",
        }
    }

    /// Parses an action prefix, case-insensitively as IAM does.
    pub fn from_prefix(prefix: &str) -> Option<Service> {
        if prefix.eq_ignore_ascii_case("iam") {
            Some(Service::Iam)
        } else if prefix.eq_ignore_ascii_case("sts") {
            Some(Service::Sts)
        } else if prefix.eq_ignore_ascii_case("organizations") {
            Some(Service::Organizations)
        } else if prefix.eq_ignore_ascii_case("warden") {
            Some(Service::Warden)
        } else if prefix.eq_ignore_ascii_case("cloudtrail") {
            Some(Service::Cloudtrail)
        } else {
            None
        }
    }
}

/// The SAR's access level of an action: the service catalogue's type, one definition for both.
pub use warden_catalogue::AccessLevel;

/// Entities whose ARN carries a path, so filling an ARN needs the existing
/// entity's path (see [`resource_arn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// An IAM user (`user/`).
    User,
    /// An IAM group (`group/`).
    Group,
    /// An IAM role (`role/`).
    Role,
    /// An instance profile (`instance-profile/`).
    InstanceProfile,
    /// A server certificate (`server-certificate/`).
    ServerCertificate,
}

impl EntityKind {
    /// The resource type in the ARN: `user`, `group`, ...
    pub fn arn_type(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::InstanceProfile => "instance-profile",
            EntityKind::ServerCertificate => "server-certificate",
        }
    }
}

/// What an Organizations id in a request denotes, so [`Lookup::org_arn`]
/// knows where to look it up. ARNs (SAR resource types), with `MGMT` the
/// management account:
/// `arn:aws:organizations::MGMT:root/o-ORG/r-ID`, `.../ou/o-ORG/ou-ID`,
/// `.../account/o-ORG/ACCOUNT`, `.../policy/o-ORG/{type}/p-ID` (type in
/// lower case, e.g. `service_control_policy`; AWS managed policies are
/// `arn:aws:organizations::aws:policy/{type}/p-FullAWSAccess`),
/// `.../handshake/o-ORG/{HandshakeType}/h-ID`, `.../organization/o-ORG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgKind {
    /// The caller's organization; the id is not used.
    Organization,
    /// A root id, `r-...`.
    Root,
    /// An OU id, `ou-...`.
    OrganizationalUnit,
    /// A 12-digit account id.
    Account,
    /// A policy id, `p-...`: customer managed or AWS managed.
    Policy,
    /// A handshake id, `h-...`.
    Handshake,
    /// A responsibility transfer id, `rt-...`.
    ResponsibilityTransfer,
    /// A root, OU or account, told apart by the id's form: AttachPolicy's
    /// TargetId, a ParentId (root or OU), ListParents' ChildId (OU or
    /// account).
    Target,
    /// Anything taggable: a [`OrgKind::Target`], a policy, or a resource
    /// policy (`rp-...`), as TagResource's ResourceId.
    Resource,
}

impl OrgKind {
    /// The ARN's resource type segment for an id of this kind; for the
    /// kinds that cover several, guessed from the id's prefix.
    pub fn arn_type(self, id: &str) -> &'static str {
        match self {
            OrgKind::Organization => "organization",
            OrgKind::Root => "root",
            OrgKind::OrganizationalUnit => "ou",
            OrgKind::Account => "account",
            OrgKind::Policy => "policy",
            OrgKind::Handshake => "handshake",
            OrgKind::ResponsibilityTransfer => "transfer",
            OrgKind::Target | OrgKind::Resource => {
                if id.starts_with("r-") {
                    "root"
                } else if id.starts_with("ou-") {
                    "ou"
                } else if id.starts_with("p-") {
                    "policy"
                } else if id.starts_with("rp-") {
                    "resourcepolicy"
                } else {
                    "account"
                }
            }
        }
    }
}

/// The organization segment of the ARN [`fill`] makes when
/// [`Lookup::org_arn`] cannot resolve an id (no such entity, or the caller
/// is in no organization). Real organization ids are `o-` and 10 to 32
/// characters, so no real resource has this ARN: only patterns that would
/// match any id (`*`, `.../o-*/...`) match it, and the operation then fails
/// with its own not-found error. (Not `*`: that is what the issue was, a
/// resource that no statement naming one policy or account matches.)
pub const UNRESOLVED_ORG: &str = "o-unknown";

/// Which user an action on a `user` resource targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserTarget {
    /// Named by a required parameter.
    Param(&'static str),
    /// Named by an optional parameter; when it is absent IAM acts on the
    /// calling user (GetUser, CreateAccessKey, ListAccessKeys, ...).
    ParamOrCaller(&'static str),
    /// Always the calling user (ChangePassword).
    Caller,
    /// The user owning the access key named by the parameter
    /// (GetAccessKeyLastUsed). The caller resolves the owner and passes it as
    /// the parameter value through `param` under the name [`KEY_OWNER_PARAM`].
    AccessKeyOwner(&'static str),
}

/// The pseudo-parameter through which [`resource_arn`] asks for the owner of
/// an access key ([`UserTarget::AccessKeyOwner`]). The caller's `param`
/// closure answers it with the owning user's name.
pub const KEY_OWNER_PARAM: &str = "@AccessKeyOwner";

/// The resource an action is authorized on, as a template filled from the
/// request by [`resource_arn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceSpec {
    /// The SAR lists no resource type: the action is authorized on `*`.
    Wildcard,
    /// A path-scoped listing (ListUsers, ListRoles, ...). The SAR lists no
    /// resource type, but AWS evaluates it against
    /// `arn:aws:iam::ACCT:{arn_type}{PathPrefix or /}` and names that ARN in denials.
    PathListing {
        /// The SAR resource type in the ARN, e.g. `user` or `role`.
        arn_type: &'static str,
        /// The request's PathPrefix parameter; `/` when absent or when the call has none.
        prefix_param: Option<&'static str>,
    },
    /// ListPolicies: AWS names the resource `policy path {PathPrefix or /}`,
    /// which only `*`-style patterns match.
    PolicyPathListing {
        /// The request's PathPrefix parameter; `/` when absent.
        prefix_param: &'static str,
    },
    /// `arn:aws:iam::ACCT:user{path}{name}`.
    User(UserTarget),
    /// `arn:aws:iam::ACCT:group{path}{name}`.
    Group {
        /// The parameter naming the group.
        name_param: &'static str,
    },
    /// `arn:aws:iam::ACCT:role{path}{name}`.
    Role {
        /// The parameter naming the role.
        name_param: &'static str,
    },
    /// `arn:aws:iam::ACCT:instance-profile{path}{name}`.
    InstanceProfile {
        /// The parameter naming the instance profile.
        name_param: &'static str,
    },
    /// `arn:aws:iam::ACCT:server-certificate{path}{name}`.
    ServerCertificate {
        /// The parameter naming the server certificate.
        name_param: &'static str,
    },
    /// The resource ARN is a request parameter as given: PolicyArn,
    /// SerialNumber (an MFA device ARN), OpenIDConnectProviderArn,
    /// SAMLProviderArn, RoleArn, PolicySourceArn, ...
    ArnParam {
        /// The parameter holding the ARN.
        param: &'static str,
    },
    /// CreatePolicy: `arn:aws:iam::ACCT:policy{Path}{PolicyName}`.
    NewPolicy {
        /// The parameter holding the new policy's name.
        name_param: &'static str,
        /// The parameter holding its path (`/` when absent).
        path_param: &'static str,
    },
    /// CreateVirtualMFADevice: `arn:aws:iam::ACCT:mfa{Path}{VirtualMFADeviceName}`.
    NewVirtualMfa {
        /// The parameter holding the device's name.
        name_param: &'static str,
        /// The parameter holding its path (`/` when absent).
        path_param: &'static str,
    },
    /// CreateOpenIDConnectProvider: `arn:aws:iam::ACCT:oidc-provider/{Url without https://}`.
    NewOidcProvider {
        /// The parameter holding the provider URL.
        url_param: &'static str,
    },
    /// CreateSAMLProvider: `arn:aws:iam::ACCT:saml-provider/{Name}`.
    NewSamlProvider {
        /// The parameter holding the provider's name.
        name_param: &'static str,
    },
    /// CreateServiceLinkedRole:
    /// `arn:aws:iam::ACCT:role/aws-service-role/{AWSServiceName}/{RoleName}`,
    /// e.g. `.../elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`
    /// as AWS's denials show. The role name is the service's own choice, so
    /// the table cannot derive it: [`fill`] asks `param` for it under
    /// [`SERVICE_ROLE_NAME_PARAM`] and leaves it empty when unanswered.
    ServiceLinkedRole {
        /// The parameter holding the service principal, e.g. `elasticloadbalancing.amazonaws.com`.
        service_param: &'static str,
    },
    /// GetServiceLinkedRoleDeletionStatus: the role named inside the task id
    /// `task/aws-service-role/{service}/{RoleName}/{uuid}`.
    ServiceLinkedRoleDeletionTask {
        /// The parameter holding the deletion task id.
        task_param: &'static str,
    },
    /// `arn:aws:iam::ACCT:access-report/{EntityPath}`.
    AccessReport {
        /// The parameter holding the entity path.
        entity_path_param: &'static str,
    },
    /// `arn:aws:iam::ACCT:delegation-request/{id}`; `*` when the request
    /// carries no id (CreateDelegationRequest, whose id AWS assigns).
    DelegationRequest {
        /// The parameter holding the delegation request id, if the call has one.
        id_param: Option<&'static str>,
    },
    /// GetFederationToken: `arn:aws:sts::ACCT:federated-user/{Name}`.
    FederatedUser {
        /// The parameter holding the federated user's name.
        name_param: &'static str,
    },
    /// AssumeRoot: `arn:aws:iam::{TargetPrincipal}:root`.
    AccountRoot {
        /// The parameter holding the target account (TargetPrincipal).
        account_param: &'static str,
    },
    /// The entity as it will be after a rename or move (UpdateUser,
    /// UpdateGroup, UpdateServerCertificate): AWS requires permission on
    /// both the source and the target object. The new name and path default
    /// to the current ones.
    RenameTarget {
        /// The kind of entity renamed or moved.
        kind: EntityKind,
        /// The parameter naming the entity as it is now.
        name_param: &'static str,
        /// The parameter holding the new name, if any.
        new_name_param: &'static str,
        /// The parameter holding the new path, if any.
        new_path_param: &'static str,
    },
    /// An existing Organizations resource named by the id in `id_param`, as
    /// [`Lookup::org_arn`] resolves it in the caller's organization; an
    /// unresolved id gets an ARN under [`UNRESOLVED_ORG`]. For
    /// [`OrgKind::Account`] an absent parameter means the caller's own
    /// account (DescribeEffectivePolicy without TargetId).
    OrgResource {
        /// What the id denotes, so it can be resolved.
        kind: OrgKind,
        /// The parameter holding the id.
        id_param: &'static str,
    },
    /// An Organizations resource about to be created, whose id AWS has not
    /// assigned: `arn:aws:organizations::MGMT:{arn_type}/o-ORG/{type/}*`,
    /// the `{type/}` segment being the lower-cased `type_param` value
    /// (CreatePolicy's `Type`). The trailing `*` is literal, as AWS writes
    /// not-yet-created resources (and as `delegation-request/*` above).
    NewOrgResource {
        /// The SAR resource type in the ARN, e.g. `policy` or `ou`.
        arn_type: &'static str,
        /// The parameter whose lower-cased value is the type segment, if the ARN has one.
        type_param: Option<&'static str>,
    },
}

/// The pseudo-parameter through which [`resource_arn`] asks for the role
/// name of a service-linked role about to be created (see
/// [`ResourceSpec::ServiceLinkedRole`]).
pub const SERVICE_ROLE_NAME_PARAM: &str = "@ServiceLinkedRoleName";

/// Where the value of a condition key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// A scalar request parameter (dotted for nested members, e.g.
    /// `TaskPolicyArn.arn`).
    Param(&'static str),
    /// A list parameter, `{name}.member.N`: multivalued (see [`list_param`]).
    List(&'static str),
    /// `aws:RequestTag/${TagKey}`: one key per tag of `{name}.member.N.Key`
    /// with the value of `.Value` (see [`tag_param`]).
    TagValues(&'static str),
    /// `aws:TagKeys` from the keys of `{name}.member.N.Key`.
    TagKeysOf(&'static str),
    /// A property of the existing target entity, not of the request: its
    /// current permissions boundary (`iam:PermissionsBoundary` on
    /// Attach/Put/Delete calls), its tags (`iam:ResourceTag`), the service of
    /// an existing service-specific credential.
    Target,
    /// A claim of the SAML assertion or web identity token (`saml:*`,
    /// `accounts.google.com:*`, ...), or a tag/identity they carry.
    Federation,
    /// `organizations:PolicyType` of the existing policy whose id is the
    /// parameter (AttachPolicy, UpdatePolicy, ... `PolicyId`; TagResource's
    /// `ResourceId` when it names a policy): the stored policy's type, e.g.
    /// `SERVICE_CONTROL_POLICY`, read from the ARN [`Lookup::org_arn`] gives
    /// it (see [`org_policy_type`]). Absent when the id names no policy.
    OrgPolicyType(&'static str),
    /// Comes from state warden does not model (FIDO certification of a
    /// security key, role templates, delegation workflows, account
    /// property namespaces): listed so simulation can report it missing.
    Unsupported,
}

/// An action-specific condition key and its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestKey {
    /// The key as the SAR spells it, e.g. `iam:PolicyARN` or
    /// `aws:RequestTag/${TagKey}`.
    pub key: &'static str,
    /// Where the key's value comes from.
    pub source: KeySource,
}

/// A further action AWS authorizes as part of an operation: `sts:TagSession`
/// when AssumeRole carries session tags, `sts:SetSourceIdentity` when it sets
/// a source identity, `iam:PassRole` for AddRoleToInstanceProfile, and the
/// same action on the target of a rename (UpdateUser with NewUserName).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImpliedAction {
    /// The further action, e.g. `iam:PassRole`.
    pub action: &'static str,
    /// Only when one of these parameters is present (a scalar, or a list
    /// with a first member); empty means always. See [`ImpliedAction::applies`].
    pub when_any: &'static [&'static str],
    /// The resource the further action is checked on.
    pub resource: ResourceSpec,
    /// Condition keys the further check carries besides the request's own,
    /// e.g. `iam:PassedToService` for the `iam:PassRole` of
    /// AddRoleToInstanceProfile (the role is passed to EC2).
    pub keys: &'static [(&'static str, &'static str)],
}

impl ImpliedAction {
    /// Whether the request triggers this further check.
    pub fn applies(&self, param: &dyn Fn(&str) -> Option<String>) -> bool {
        self.when_any.is_empty()
            || self.when_any.iter().any(|name| {
                param(name).is_some()
                    || param(&format!("{name}.member.1")).is_some()
                    || param(&format!("{name}.member.1.Key")).is_some()
            })
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// The service, whose prefix starts the action.
    pub service: Service,
    /// The wire operation name, e.g. `CreateUser`.
    pub operation: &'static str,
    /// The IAM action, e.g. `iam:CreateUser`.
    pub action: &'static str,
    /// The SAR's access level; the simulator and `iam:` policy tooling report it.
    pub access_level: AccessLevel,
    /// The SAR's resource type name (`user`, `role`, ...), `None` for
    /// wildcard-only actions.
    pub resource_type: Option<&'static str>,
    /// The resource template filled from the request to give the checked ARN.
    pub resource: ResourceSpec,
    /// Condition keys of the resource type: `aws:ResourceTag/${TagKey}`,
    /// and for users and roles also `iam:ResourceTag/${TagKey}`.
    pub resource_tag_keys: &'static [&'static str],
    /// The action's own condition keys (the SAR's "Condition keys" column).
    pub request_keys: &'static [RequestKey],
    /// Further actions authorized with this one (see [`ImpliedAction`]).
    pub implied_actions: &'static [ImpliedAction],
    /// False for operations the SAR data did not list yet; their row is
    /// inferred from the operation's sibling actions.
    pub in_reference: bool,
    /// How AWS names the resource in an AccessDenied message.
    pub denial_form: DenialForm,
}

/// How AWS's AccessDenied text names the resource ("... is not authorized to
/// perform: ACTION on resource: RESOURCE because ..."). AWS is not uniform:
/// calls on an existing user, group, role or instance profile say
/// `user NAME`, `group NAME`, `role NAME`, `instance profile NAME`; policy
/// calls say `policy ARN`; creates, tagging and everything else give the ARN.
/// See [`denial_resource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenialForm {
    /// The resource ARN as evaluated (or `*`, or `policy path /`).
    Arn,
    /// `{label} {name}`, the name being the ARN's last `/` segment.
    Named(&'static str),
    /// `policy {arn}`.
    PolicyArn,
    /// `policy {name}` (CreatePolicy).
    PolicyName,
}

/// The resource as AWS's AccessDenied message names it, given the ARN
/// [`resource_arn`] produced for the same row.
pub fn denial_resource(spec: &ActionSpec, arn: &str) -> String {
    let last = || arn.rsplit('/').next().unwrap_or(arn);
    match spec.denial_form {
        DenialForm::Arn => arn.to_owned(),
        DenialForm::Named(label) => format!("{label} {}", last()),
        DenialForm::PolicyArn => format!("policy {arn}"),
        DenialForm::PolicyName => format!("policy {}", last()),
    }
}

impl ActionSpec {
    /// The source of a condition key of this action, if it has it.
    pub fn request_key(&self, key: &str) -> Option<&'static RequestKey> {
        self.request_keys
            .iter()
            .find(|k| k.key.eq_ignore_ascii_case(key))
    }
}

/// The row for an operation, `None` when warden knows no such operation.
pub fn spec(service: &str, operation: &str) -> Option<&'static ActionSpec> {
    let service = Service::from_prefix(service)?;
    spec_of(service, operation)
}

/// As [`spec`], with the service already parsed.
pub fn spec_of(service: Service, operation: &str) -> Option<&'static ActionSpec> {
    // The table is generated sorted by (service, operation), so lookup is a
    // binary search: this runs on every request.
    TABLE
        .binary_search_by(|row| (row.service, row.operation).cmp(&(service, operation)))
        .ok()
        .and_then(|i| TABLE.get(i))
}

/// Every row, sorted by service then operation.
pub fn all() -> &'static [ActionSpec] {
    TABLE
}

/// What filling a template needs besides the table: the request and the
/// stored entities it names. The server answers it from the request's
/// parameters and the in-memory model; tests from a map.
pub trait Lookup {
    /// The account the request acts in.
    fn account(&self) -> &str;
    /// The calling IAM user's stored name; `None` for the root user and
    /// sessions. When an action on "the caller" has no calling user, the
    /// resource is the account root, `arn:aws:iam::ACCT:root`.
    fn caller_user(&self) -> Option<&str>;
    /// A request parameter by its wire name (dotted for nested members), or
    /// one of the pseudo-parameters [`KEY_OWNER_PARAM`] and
    /// [`SERVICE_ROLE_NAME_PARAM`].
    fn param(&self, name: &str) -> Option<String>;
    /// The stored entity of `kind` that `name` names, in any letter case, as
    /// IAM finds it: its stored name and path (`/` or `/a/b/`). `None` when
    /// there is none; then the request's spelling and `Path` (or `/`) are
    /// used, as for a create.
    fn entity(&self, kind: EntityKind, name: &str) -> Option<(String, String)>;
    /// The ARN of the Organizations resource of `kind` that `id` names, in
    /// the caller's organization (the server answers it with
    /// [`crate::orgs::org_arns::org_resource_arn`]); `None` when it names none or
    /// the caller is in no organization. For [`OrgKind::Organization`] the
    /// id is empty and the answer is the organization's ARN. Defaults to
    /// `None`, so lookups that never see Organizations requests need not
    /// implement it.
    fn org_arn(&self, _kind: OrgKind, _id: &str) -> Option<String> {
        None
    }
}

/// Fills the row's resource template from the request.
pub fn resource_arn(spec: &ActionSpec, lookup: &dyn Lookup) -> String {
    fill(&spec.resource, lookup)
}

/// As [`resource_arn`] for any template, e.g. an [`ImpliedAction`]'s.
///
/// An existing entity is named by its stored name and path, never by the
/// request's spelling: IAM names are unique regardless of case, so
/// `UserName=ADMIN` acts on `user/admin`, and a `Deny` on
/// `arn:aws:iam::ACCT:user/admin` must bind it.
pub fn fill(resource: &ResourceSpec, lookup: &dyn Lookup) -> String {
    let account = lookup.account();
    let caller_user = lookup.caller_user();
    let param = |name: &str| lookup.param(name);
    let p = |name: &str| param(name).unwrap_or_default();
    let entity = |kind: EntityKind, name: String| {
        let (name, path) = lookup.entity(kind, &name).unwrap_or_else(|| {
            let path = param("Path").unwrap_or_else(|| "/".to_owned());
            (name, path)
        });
        format!(
            "arn:aws:iam::{account}:{}{}{name}",
            kind.arn_type(),
            normalize_path(&path)
        )
    };
    match *resource {
        ResourceSpec::Wildcard => "*".to_owned(),
        ResourceSpec::PathListing {
            arn_type,
            prefix_param,
        } => {
            let prefix = prefix_param
                .and_then(param)
                .unwrap_or_else(|| "/".to_owned());
            format!("arn:aws:iam::{account}:{arn_type}{prefix}")
        }
        ResourceSpec::PolicyPathListing { prefix_param } => {
            let prefix = param(prefix_param).unwrap_or_else(|| "/".to_owned());
            format!("policy path {prefix}")
        }
        ResourceSpec::User(target) => {
            let name = match target {
                UserTarget::Param(name_param) => Some(p(name_param)),
                UserTarget::ParamOrCaller(name_param) => {
                    param(name_param).or_else(|| caller_user.map(str::to_owned))
                }
                UserTarget::Caller => caller_user.map(str::to_owned),
                UserTarget::AccessKeyOwner(_) => {
                    param(KEY_OWNER_PARAM).or_else(|| caller_user.map(str::to_owned))
                }
            };
            match name {
                Some(name) => entity(EntityKind::User, name),
                None => format!("arn:aws:iam::{account}:root"),
            }
        }
        ResourceSpec::Group { name_param } => entity(EntityKind::Group, p(name_param)),
        ResourceSpec::Role { name_param } => entity(EntityKind::Role, p(name_param)),
        ResourceSpec::InstanceProfile { name_param } => {
            entity(EntityKind::InstanceProfile, p(name_param))
        }
        ResourceSpec::ServerCertificate { name_param } => {
            entity(EntityKind::ServerCertificate, p(name_param))
        }
        ResourceSpec::ArnParam { param: name } => p(name),
        ResourceSpec::NewPolicy {
            name_param,
            path_param,
        } => {
            let path = param(path_param).unwrap_or_else(|| "/".to_owned());
            format!(
                "arn:aws:iam::{account}:policy{}{}",
                normalize_path(&path),
                p(name_param)
            )
        }
        ResourceSpec::NewVirtualMfa {
            name_param,
            path_param,
        } => {
            let path = param(path_param).unwrap_or_else(|| "/".to_owned());
            format!(
                "arn:aws:iam::{account}:mfa{}{}",
                normalize_path(&path),
                p(name_param)
            )
        }
        ResourceSpec::NewOidcProvider { url_param } => {
            let url = p(url_param);
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .unwrap_or(&url);
            format!("arn:aws:iam::{account}:oidc-provider/{host}")
        }
        ResourceSpec::NewSamlProvider { name_param } => {
            format!("arn:aws:iam::{account}:saml-provider/{}", p(name_param))
        }
        ResourceSpec::ServiceLinkedRole { service_param } => {
            format!(
                "arn:aws:iam::{account}:role/aws-service-role/{}/{}",
                p(service_param),
                p(SERVICE_ROLE_NAME_PARAM)
            )
        }
        ResourceSpec::ServiceLinkedRoleDeletionTask { task_param } => {
            // task/aws-service-role/{service}/{RoleName}/{uuid}: the role's
            // path and name sit between the `task/` prefix and the last `/`.
            let task = p(task_param);
            let body = task.strip_prefix("task/").unwrap_or(&task);
            let role = body.rsplit_once('/').map_or(body, |(role, _)| role);
            format!("arn:aws:iam::{account}:role/{role}")
        }
        ResourceSpec::AccessReport { entity_path_param } => {
            format!(
                "arn:aws:iam::{account}:access-report/{}",
                p(entity_path_param)
            )
        }
        ResourceSpec::DelegationRequest { id_param } => {
            let id = id_param.and_then(param).unwrap_or_else(|| "*".to_owned());
            format!("arn:aws:iam::{account}:delegation-request/{id}")
        }
        ResourceSpec::FederatedUser { name_param } => {
            format!("arn:aws:sts::{account}:federated-user/{}", p(name_param))
        }
        ResourceSpec::AccountRoot { account_param } => {
            let given = p(account_param);
            // TargetPrincipal is an account id or the root user's ARN; AssumeRoot reads it with the
            // same function, so both name one account.
            let account = crate::sts::root_target_account(&given).unwrap_or(&given);
            format!("arn:aws:iam::{account}:root")
        }
        ResourceSpec::RenameTarget {
            kind,
            name_param,
            new_name_param,
            new_path_param,
        } => {
            let given = p(name_param);
            let (name, current_path) = lookup
                .entity(kind, &given)
                .unwrap_or_else(|| (given, "/".to_owned()));
            let path = param(new_path_param).unwrap_or(current_path);
            let new_name = param(new_name_param).unwrap_or(name);
            format!(
                "arn:aws:iam::{account}:{}{}{new_name}",
                kind.arn_type(),
                normalize_path(&path)
            )
        }
        ResourceSpec::OrgResource { kind, id_param } => {
            let id = match param(id_param) {
                Some(id) => id,
                None if kind == OrgKind::Account => account.to_owned(),
                None => String::new(),
            };
            lookup.org_arn(kind, &id).unwrap_or_else(|| {
                format!(
                    "arn:aws:organizations::{account}:{}/{UNRESOLVED_ORG}/{id}",
                    kind.arn_type(&id)
                )
            })
        }
        ResourceSpec::NewOrgResource {
            arn_type,
            type_param,
        } => {
            let (owner, org) = lookup
                .org_arn(OrgKind::Organization, "")
                .as_deref()
                .and_then(org_of_arn)
                .unwrap_or_else(|| (account.to_owned(), UNRESOLVED_ORG.to_owned()));
            let type_segment = type_param
                .and_then(param)
                .map(|t| format!("{}/", t.to_ascii_lowercase()))
                .unwrap_or_default();
            format!("arn:aws:organizations::{owner}:{arn_type}/{org}/{type_segment}*")
        }
    }
}

/// The management account and organization id of an organization ARN,
/// `arn:aws:organizations::MGMT:organization/o-ORG`.
fn org_of_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:aws:organizations::")?;
    let (owner, org) = rest.split_once(":organization/")?;
    Some((owner.to_owned(), org.to_owned()))
}

/// The value of [`KeySource::OrgPolicyType`]: the API spelling
/// (`SERVICE_CONTROL_POLICY`) of the type of the policy whose id is the
/// parameter `id_param`, `None` when it names no policy. The type is the
/// segment before the id in the policy's ARN (`.../policy/o-ORG/{type}/p-ID`
/// or `...::aws:policy/{type}/p-ID`), so one lookup serves both.
pub fn org_policy_type(lookup: &dyn Lookup, id_param: &str) -> Option<String> {
    let id = lookup.param(id_param)?;
    let arn = lookup.org_arn(OrgKind::Policy, &id)?;
    let (_, path) = arn.split_once(":policy/")?;
    let mut segments = path.rsplit('/');
    segments.next()?;
    segments.next().map(str::to_ascii_uppercase)
}

/// Paths are stored as `/` or `/a/b/`; tolerate a missing leading or
/// trailing slash from a sloppy caller so the ARN is still well-formed.
fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    if !path.starts_with('/') {
        out.push('/');
    }
    out.push_str(path);
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The values of a query-protocol list parameter `{name}.member.1..N`, in
/// order, stopping at the first gap as the AWS query protocol does.
pub fn list_param(param: &dyn Fn(&str) -> Option<String>, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for i in 1.. {
        match param(&format!("{name}.member.{i}")) {
            Some(v) => out.push(v),
            None => break,
        }
    }
    out
}

/// The tags of a query-protocol tag list `{name}.member.N.Key/.Value`, in
/// order; a missing Value reads as empty, as AWS allows empty tag values.
pub fn tag_param(param: &dyn Fn(&str) -> Option<String>, name: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for i in 1.. {
        match param(&format!("{name}.member.{i}.Key")) {
            Some(k) => {
                let v = param(&format!("{name}.member.{i}.Value")).unwrap_or_default();
                out.push((k, v));
            }
            None => break,
        }
    }
    out
}

mod table;
#[cfg(test)]
use table::INPUT_MEMBERS;
use table::TABLE;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// A request in account 123456789012 whose only stored entities are
    /// user `alice` at `/eng/`, role `ops` at `/svc/` and group `devs` at
    /// `/`, found in any letter case as IAM finds them; and, in
    /// organization `o-exampleorg1` managed by 123456789012, root `r-exam`,
    /// OU `ou-exam-11111111`, account 210987654321 and SCP `p-11111111`
    /// (see [`ORG_ARNS`]).
    struct Req {
        params: HashMap<String, String>,
        caller: Option<&'static str>,
    }

    impl Req {
        fn new(caller: Option<&'static str>, pairs: &[(&str, &str)]) -> Req {
            Req {
                params: params(pairs),
                caller,
            }
        }

        fn param_fn(&self) -> impl Fn(&str) -> Option<String> + '_ {
            |k: &str| self.params.get(k).cloned()
        }
    }

    impl Lookup for Req {
        fn account(&self) -> &str {
            "123456789012"
        }
        fn caller_user(&self) -> Option<&str> {
            self.caller
        }
        fn param(&self, name: &str) -> Option<String> {
            self.params.get(name).cloned()
        }
        fn entity(&self, kind: EntityKind, name: &str) -> Option<(String, String)> {
            let (stored, path) = match kind {
                EntityKind::User => ("alice", "/eng/"),
                EntityKind::Role => ("ops", "/svc/"),
                EntityKind::Group => ("devs", "/"),
                _ => return None,
            };
            name.eq_ignore_ascii_case(stored)
                .then(|| (stored.to_owned(), path.to_owned()))
        }
        fn org_arn(&self, kind: OrgKind, id: &str) -> Option<String> {
            // As org_arns::org_resource_arn answers: ids are exact, and the
            // kinds covering several resources try each.
            let kinds: &[OrgKind] = match kind {
                OrgKind::Target => &[OrgKind::Root, OrgKind::OrganizationalUnit, OrgKind::Account],
                OrgKind::Resource => &[
                    OrgKind::Root,
                    OrgKind::OrganizationalUnit,
                    OrgKind::Account,
                    OrgKind::Policy,
                ],
                _ => std::slice::from_ref(&kind),
            };
            ORG_ARNS
                .iter()
                .find(|(k, i, _)| kinds.contains(k) && *i == id)
                .map(|(_, _, arn)| (*arn).to_owned())
        }
    }

    /// The organization resources [`Req`] knows, by kind and id.
    const ORG_ARNS: &[(OrgKind, &str, &str)] = &[
        (
            OrgKind::Organization,
            "",
            "arn:aws:organizations::123456789012:organization/o-exampleorg1",
        ),
        (
            OrgKind::Root,
            "r-exam",
            "arn:aws:organizations::123456789012:root/o-exampleorg1/r-exam",
        ),
        (
            OrgKind::OrganizationalUnit,
            "ou-exam-11111111",
            "arn:aws:organizations::123456789012:ou/o-exampleorg1/ou-exam-11111111",
        ),
        (
            OrgKind::Account,
            "210987654321",
            "arn:aws:organizations::123456789012:account/o-exampleorg1/210987654321",
        ),
        (
            OrgKind::Policy,
            "p-11111111",
            "arn:aws:organizations::123456789012:policy/o-exampleorg1/service_control_policy/p-11111111",
        ),
        (
            OrgKind::Policy,
            "p-FullAWSAccess",
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
        ),
    ];

    /// Fills the ARN of `service:operation` with the given request params.
    fn arn(
        service: &str,
        op: &str,
        caller: Option<&'static str>,
        pairs: &[(&str, &str)],
    ) -> String {
        let spec = spec(service, op).unwrap_or_else(|| panic!("no row for {service}:{op}"));
        resource_arn(spec, &Req::new(caller, pairs))
    }

    fn row_members(row: &ActionSpec) -> &'static [&'static str] {
        INPUT_MEMBERS
            .iter()
            .find(|(action, _)| *action == row.action)
            .map_or(&[], |(_, members)| *members)
    }

    fn keys(service: &str, op: &str) -> Vec<(&'static str, KeySource)> {
        spec(service, op)
            .map(|s| s.request_keys.iter().map(|k| (k.key, k.source)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_model_operation_has_exactly_one_row() {
        for (service, ops) in [
            (Service::Iam, warden_wire::iam::OPERATIONS),
            (Service::Sts, warden_wire::sts::OPERATIONS),
            (
                Service::Organizations,
                warden_wire::organizations::OPERATIONS,
            ),
        ] {
            for op in ops {
                let rows = TABLE
                    .iter()
                    .filter(|r| r.service == service && r.operation == *op)
                    .count();
                assert_eq!(rows, 1, "{}:{op} has {rows} rows", service.prefix());
            }
            let in_table = TABLE.iter().filter(|r| r.service == service).count();
            assert_eq!(in_table, ops.len(), "rows for operations not in the model");
        }
    }

    #[test]
    fn table_is_sorted_and_lookups_find_every_row() {
        for pair in TABLE.windows(2) {
            if let [a, b] = pair {
                assert!((a.service, a.operation) < (b.service, b.operation));
            }
        }
        for row in TABLE {
            assert_eq!(spec_of(row.service, row.operation), Some(row));
            assert_eq!(
                row.action,
                format!("{}:{}", row.service.prefix(), row.operation)
            );
        }
        assert!(spec("iam", "NoSuchOperation").is_none());
        assert!(spec("s3", "GetObject").is_none());
        assert!(spec("IAM", "GetUser").is_some());
        assert!(spec("organizations", "AttachPolicy").is_some());
    }

    #[test]
    fn create_user_is_write_on_the_new_user_with_tag_and_boundary_keys() {
        let s = spec("iam", "CreateUser").unwrap_or_else(|| panic!("row"));
        assert_eq!(s.access_level, AccessLevel::Write);
        assert_eq!(s.resource_type, Some("user"));
        assert_eq!(
            arn(
                "iam",
                "CreateUser",
                Some("admin"),
                &[("UserName", "bob"), ("Path", "/ops/")]
            ),
            "arn:aws:iam::123456789012:user/ops/bob"
        );
        assert_eq!(
            arn("iam", "CreateUser", None, &[("UserName", "bob")]),
            "arn:aws:iam::123456789012:user/bob"
        );
        let k = keys("iam", "CreateUser");
        assert!(k.contains(&(
            "iam:PermissionsBoundary",
            KeySource::Param("PermissionsBoundary")
        )));
        assert!(k.contains(&("aws:RequestTag/${TagKey}", KeySource::TagValues("Tags"))));
        assert!(k.contains(&("aws:TagKeys", KeySource::TagKeysOf("Tags"))));
        assert_eq!(
            s.resource_tag_keys,
            &["aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"]
        );
    }

    #[test]
    fn attach_user_policy_is_on_the_user_with_the_policy_arn_key() {
        let s = spec("iam", "AttachUserPolicy").unwrap_or_else(|| panic!("row"));
        assert_eq!(s.access_level, AccessLevel::PermissionsManagement);
        assert_eq!(
            arn(
                "iam",
                "AttachUserPolicy",
                Some("alice"),
                &[
                    ("UserName", "alice"),
                    ("PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess")
                ]
            ),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
        let k = keys("iam", "AttachUserPolicy");
        assert!(k.contains(&("iam:PolicyARN", KeySource::Param("PolicyArn"))));
        // The boundary key here is the target user's current boundary.
        assert!(k.contains(&("iam:PermissionsBoundary", KeySource::Target)));
        let g = keys("iam", "DetachGroupPolicy");
        assert!(g.contains(&("iam:PolicyARN", KeySource::Param("PolicyArn"))));
    }

    #[test]
    fn put_user_permissions_boundary_reads_the_boundary_from_the_request() {
        let s = spec("iam", "PutUserPermissionsBoundary").unwrap_or_else(|| panic!("row"));
        assert_eq!(s.access_level, AccessLevel::PermissionsManagement);
        assert_eq!(
            arn(
                "iam",
                "PutUserPermissionsBoundary",
                None,
                &[("UserName", "alice")]
            ),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
        assert_eq!(
            keys("iam", "PutUserPermissionsBoundary"),
            vec![(
                "iam:PermissionsBoundary",
                KeySource::Param("PermissionsBoundary")
            )]
        );
        assert_eq!(
            keys("iam", "DeleteUserPermissionsBoundary"),
            vec![("iam:PermissionsBoundary", KeySource::Target)]
        );
    }

    #[test]
    fn user_name_optional_operations_default_to_the_caller() {
        for op in [
            "GetUser",
            "CreateAccessKey",
            "ListAccessKeys",
            "UpdateAccessKey",
            "DeleteAccessKey",
            "ListMFADevices",
            "GetLoginProfile",
            "ListSigningCertificates",
        ] {
            let s = spec("iam", op).unwrap_or_else(|| panic!("row {op}"));
            assert_eq!(
                s.resource,
                ResourceSpec::User(UserTarget::ParamOrCaller("UserName")),
                "{op}"
            );
        }
        assert_eq!(
            arn("iam", "CreateAccessKey", Some("alice"), &[]),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
        assert_eq!(
            arn(
                "iam",
                "CreateAccessKey",
                Some("alice"),
                &[("UserName", "bob")]
            ),
            "arn:aws:iam::123456789012:user/bob"
        );
        // The root user has no user ARN: the account root stands in.
        assert_eq!(
            arn("iam", "ListAccessKeys", None, &[]),
            "arn:aws:iam::123456789012:root"
        );
    }

    #[test]
    fn change_password_is_always_the_caller() {
        let s = spec("iam", "ChangePassword").unwrap_or_else(|| panic!("row"));
        assert_eq!(s.resource, ResourceSpec::User(UserTarget::Caller));
        assert_eq!(
            arn(
                "iam",
                "ChangePassword",
                Some("alice"),
                &[("UserName", "bob")]
            ),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
    }

    #[test]
    fn path_listings_name_the_path_as_aws_reports_it() {
        // AWS denials: "... iam:ListUsers on resource: arn:aws:iam::ACCT:user/".
        assert_eq!(
            arn("iam", "ListUsers", None, &[]),
            "arn:aws:iam::123456789012:user/"
        );
        assert_eq!(
            arn(
                "iam",
                "ListRoles",
                None,
                &[("PathPrefix", "/aws-service-role/")]
            ),
            "arn:aws:iam::123456789012:role/aws-service-role/"
        );
        assert_eq!(arn("iam", "ListPolicies", None, &[]), "policy path /");
        let s = spec("iam", "ListUsers").unwrap_or_else(|| panic!("row"));
        assert_eq!(s.access_level, AccessLevel::List);
        assert_eq!(s.resource_type, None);
    }

    #[test]
    fn account_level_reads_are_wildcard() {
        for op in [
            "GetAccountSummary",
            "GetAccountAuthorizationDetails",
            "ListAccountAliases",
            "GetAccountPasswordPolicy",
            "SimulateCustomPolicy",
        ] {
            assert_eq!(arn("iam", op, Some("alice"), &[]), "*", "{op}");
        }
        assert_eq!(
            spec("iam", "GetAccountSummary").map(|s| s.access_level),
            Some(AccessLevel::List)
        );
    }

    #[test]
    fn assume_role_is_on_the_role_with_sts_keys_and_implied_actions() {
        let s = spec("sts", "AssumeRole").unwrap_or_else(|| panic!("row"));
        assert_eq!(s.access_level, AccessLevel::Write);
        let role = "arn:aws:iam::123456789012:role/svc/ops";
        assert_eq!(
            arn("sts", "AssumeRole", Some("alice"), &[("RoleArn", role)]),
            role
        );
        let k = keys("sts", "AssumeRole");
        for expected in [
            ("sts:ExternalId", KeySource::Param("ExternalId")),
            ("sts:RoleSessionName", KeySource::Param("RoleSessionName")),
            ("sts:SourceIdentity", KeySource::Param("SourceIdentity")),
            (
                "sts:TransitiveTagKeys",
                KeySource::List("TransitiveTagKeys"),
            ),
            ("aws:RequestTag/${TagKey}", KeySource::TagValues("Tags")),
            ("aws:TagKeys", KeySource::TagKeysOf("Tags")),
            ("iam:ResourceTag/${TagKey}", KeySource::Target),
        ] {
            assert!(k.contains(&expected), "{expected:?}");
        }
        let implied: Vec<_> = s
            .implied_actions
            .iter()
            .map(|a| (a.action, a.when_any))
            .collect();
        assert!(implied.contains(&("sts:TagSession", &["Tags", "TransitiveTagKeys"][..])));
        assert!(implied.contains(&("sts:SetSourceIdentity", &["SourceIdentity"][..])));
        let map = params(&[("RoleArn", role), ("Tags.member.1.Key", "k")]);
        let param = |k: &str| map.get(k).cloned();
        let applied: Vec<_> = s
            .implied_actions
            .iter()
            .filter(|a| a.applies(&param))
            .map(|a| a.action)
            .collect();
        assert_eq!(applied, vec!["sts:TagSession"]);
    }

    #[test]
    fn create_role_with_tags() {
        assert_eq!(
            arn(
                "iam",
                "CreateRole",
                None,
                &[("RoleName", "r1"), ("Path", "/app/")]
            ),
            "arn:aws:iam::123456789012:role/app/r1"
        );
        let k = keys("iam", "CreateRole");
        assert!(k.contains(&("aws:RequestTag/${TagKey}", KeySource::TagValues("Tags"))));
        assert!(k.contains(&("aws:TagKeys", KeySource::TagKeysOf("Tags"))));
        assert!(k.contains(&(
            "iam:PermissionsBoundary",
            KeySource::Param("PermissionsBoundary")
        )));
    }

    #[test]
    fn tagging_operations() {
        let tag_user = spec("iam", "TagUser").unwrap_or_else(|| panic!("row"));
        assert_eq!(tag_user.access_level, AccessLevel::Tagging);
        assert_eq!(
            arn("iam", "TagUser", None, &[("UserName", "alice")]),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
        let untag = spec("iam", "UntagRole").unwrap_or_else(|| panic!("row"));
        assert_eq!(untag.access_level, AccessLevel::Tagging);
        assert_eq!(
            arn("iam", "UntagRole", None, &[("RoleName", "ops")]),
            "arn:aws:iam::123456789012:role/svc/ops"
        );
        assert_eq!(
            keys("iam", "UntagRole"),
            vec![("aws:TagKeys", KeySource::List("TagKeys"))]
        );
    }

    #[test]
    fn mfa_operations() {
        // Enabling a device is authorized on the user, not the device.
        assert_eq!(
            arn(
                "iam",
                "EnableMFADevice",
                None,
                &[("UserName", "alice"), ("SerialNumber", "x")]
            ),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
        assert_eq!(
            arn(
                "iam",
                "CreateVirtualMFADevice",
                Some("alice"),
                &[("VirtualMFADeviceName", "alice-phone")]
            ),
            "arn:aws:iam::123456789012:mfa/alice-phone"
        );
        assert_eq!(
            arn(
                "iam",
                "DeleteVirtualMFADevice",
                None,
                &[("SerialNumber", "arn:aws:iam::123456789012:mfa/alice-phone")]
            ),
            "arn:aws:iam::123456789012:mfa/alice-phone"
        );
    }

    #[test]
    fn policy_operations() {
        let p = "arn:aws:iam::123456789012:policy/team/p1";
        assert_eq!(arn("iam", "DeletePolicy", None, &[("PolicyArn", p)]), p);
        assert_eq!(
            spec("iam", "DeletePolicy").map(|s| s.access_level),
            Some(AccessLevel::PermissionsManagement)
        );
        assert_eq!(
            arn(
                "iam",
                "CreatePolicy",
                None,
                &[("PolicyName", "p1"), ("Path", "/team/")]
            ),
            p
        );
    }

    #[test]
    fn sts_token_operations() {
        assert_eq!(
            arn(
                "sts",
                "GetFederationToken",
                Some("alice"),
                &[("Name", "bob")]
            ),
            "arn:aws:sts::123456789012:federated-user/bob"
        );
        for op in ["GetCallerIdentity", "GetSessionToken", "GetAccessKeyInfo"] {
            assert_eq!(arn("sts", op, Some("alice"), &[]), "*", "{op}");
            assert_eq!(
                spec("sts", op).map(|s| s.access_level),
                Some(AccessLevel::Read),
                "{op}"
            );
        }
        assert_eq!(
            arn(
                "sts",
                "AssumeRoot",
                None,
                &[("TargetPrincipal", "210987654321")]
            ),
            "arn:aws:iam::210987654321:root"
        );
    }

    #[test]
    fn access_key_last_used_is_on_the_key_owner() {
        let req = Req::new(
            Some("bob"),
            &[("AccessKeyId", "AKIAEXAMPLE"), (KEY_OWNER_PARAM, "alice")],
        );
        let s = spec("iam", "GetAccessKeyLastUsed").unwrap_or_else(|| panic!("row"));
        assert_eq!(
            resource_arn(s, &req),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
    }

    #[test]
    fn group_membership_is_on_the_group_and_pass_role_is_implied() {
        assert_eq!(
            arn(
                "iam",
                "AddUserToGroup",
                None,
                &[("GroupName", "devs"), ("UserName", "alice")]
            ),
            "arn:aws:iam::123456789012:group/devs"
        );
        let s = spec("iam", "AddRoleToInstanceProfile").unwrap_or_else(|| panic!("row"));
        assert_eq!(
            s.implied_actions.first().map(|a| (a.action, a.resource)),
            Some((
                "iam:PassRole",
                ResourceSpec::Role {
                    name_param: "RoleName"
                }
            ))
        );
    }

    #[test]
    fn renames_are_also_authorized_on_the_target() {
        let s = spec("iam", "UpdateUser").unwrap_or_else(|| panic!("row"));
        // Spelt in another case: both ARNs use the stored name and path.
        let req = Req::new(None, &[("UserName", "ALICE"), ("NewUserName", "alicia")]);
        let targets: Vec<String> = s
            .implied_actions
            .iter()
            .filter(|a| a.applies(&req.param_fn()))
            .map(|a| fill(&a.resource, &req))
            .collect();
        assert_eq!(targets, vec!["arn:aws:iam::123456789012:user/eng/alicia"]);
        assert_eq!(
            resource_arn(s, &req),
            "arn:aws:iam::123456789012:user/eng/alice"
        );
        let req = Req::new(None, &[("GroupName", "devs"), ("NewPath", "/x/")]);
        // Both given: still one check on the target.
        let g = spec("iam", "UpdateGroup").unwrap_or_else(|| panic!("row"));
        let moved: Vec<String> = g
            .implied_actions
            .iter()
            .filter(|a| a.applies(&req.param_fn()))
            .map(|a| fill(&a.resource, &req))
            .collect();
        assert_eq!(moved, vec!["arn:aws:iam::123456789012:group/x/devs"]);
    }

    #[test]
    fn denials_name_the_resource_as_aws_does() {
        let named = |service: &str, op: &str, pairs: &[(&str, &str)]| {
            let s = spec(service, op).unwrap_or_else(|| panic!("row {op}"));
            denial_resource(s, &arn(service, op, Some("alice"), pairs))
        };
        // Each as quoted from real AWS AccessDenied messages.
        assert_eq!(
            named("iam", "GetUser", &[("UserName", "alice")]),
            "user alice"
        );
        assert_eq!(named("iam", "ListAccessKeys", &[]), "user alice");
        assert_eq!(
            named("iam", "AttachUserPolicy", &[("UserName", "alice")]),
            "user alice"
        );
        assert_eq!(named("iam", "GetRole", &[("RoleName", "ops")]), "role ops");
        assert_eq!(
            named("iam", "GetGroup", &[("GroupName", "devs")]),
            "group devs"
        );
        assert_eq!(
            named(
                "iam",
                "GetInstanceProfile",
                &[("InstanceProfileName", "ip")]
            ),
            "instance profile ip"
        );
        let p = "arn:aws:iam::aws:policy/AdministratorAccess";
        assert_eq!(
            named("iam", "GetPolicy", &[("PolicyArn", p)]),
            format!("policy {p}")
        );
        assert_eq!(
            named("iam", "CreatePolicy", &[("PolicyName", "p1")]),
            "policy p1"
        );
        assert_eq!(
            named("iam", "CreateUser", &[("UserName", "bob")]),
            "arn:aws:iam::123456789012:user/bob"
        );
        assert_eq!(
            named("iam", "TagRole", &[("RoleName", "ops")]),
            "arn:aws:iam::123456789012:role/svc/ops"
        );
        assert_eq!(
            named("iam", "ListUsers", &[]),
            "arn:aws:iam::123456789012:user/"
        );
        assert_eq!(named("iam", "ListPolicies", &[]), "policy path /");
        assert_eq!(named("iam", "GetAccountSummary", &[]), "*");
    }

    #[test]
    fn list_and_tag_helpers_read_query_members() {
        let map = params(&[
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "red"),
            ("Tags.member.2.Key", "env"),
            ("TagKeys.member.1", "a"),
            ("TagKeys.member.2", "b"),
            ("TagKeys.member.4", "gap"),
        ]);
        let param = |k: &str| map.get(k).cloned();
        assert_eq!(list_param(&param, "TagKeys"), vec!["a", "b"]);
        assert_eq!(
            tag_param(&param, "Tags"),
            vec![
                ("team".to_owned(), "red".to_owned()),
                ("env".to_owned(), String::new())
            ]
        );
    }

    /// The request parameters a resource template reads.
    fn resource_params(r: &ResourceSpec) -> Vec<&'static str> {
        match *r {
            ResourceSpec::Wildcard => vec![],
            ResourceSpec::PathListing { prefix_param, .. } => prefix_param.into_iter().collect(),
            ResourceSpec::PolicyPathListing { prefix_param } => vec![prefix_param],
            ResourceSpec::User(UserTarget::Param(p))
            | ResourceSpec::User(UserTarget::ParamOrCaller(p))
            | ResourceSpec::User(UserTarget::AccessKeyOwner(p)) => vec![p],
            ResourceSpec::User(UserTarget::Caller) => vec![],
            ResourceSpec::Group { name_param }
            | ResourceSpec::Role { name_param }
            | ResourceSpec::InstanceProfile { name_param }
            | ResourceSpec::ServerCertificate { name_param }
            | ResourceSpec::NewSamlProvider { name_param }
            | ResourceSpec::FederatedUser { name_param } => vec![name_param],
            ResourceSpec::ArnParam { param } => vec![param],
            ResourceSpec::NewPolicy {
                name_param,
                path_param,
            }
            | ResourceSpec::NewVirtualMfa {
                name_param,
                path_param,
            } => vec![name_param, path_param],
            ResourceSpec::NewOidcProvider { url_param } => vec![url_param],
            ResourceSpec::ServiceLinkedRole { service_param } => vec![service_param],
            ResourceSpec::ServiceLinkedRoleDeletionTask { task_param } => vec![task_param],
            ResourceSpec::AccessReport { entity_path_param } => vec![entity_path_param],
            ResourceSpec::DelegationRequest { id_param } => id_param.into_iter().collect(),
            ResourceSpec::AccountRoot { account_param } => vec![account_param],
            ResourceSpec::RenameTarget {
                name_param,
                new_name_param,
                new_path_param,
                ..
            } => vec![name_param, new_name_param, new_path_param],
            ResourceSpec::OrgResource { id_param, .. } => vec![id_param],
            ResourceSpec::NewOrgResource { type_param, .. } => type_param.into_iter().collect(),
        }
    }

    #[test]
    fn every_resource_template_reads_parameters_of_its_operation() {
        for row in TABLE {
            let members = row_members(row);
            let templates = std::iter::once(&row.resource)
                .chain(row.implied_actions.iter().map(|a| &a.resource));
            for r in templates {
                for p in resource_params(r) {
                    // A nested member (`Target.Id`) is read from its top-level one.
                    let top = p.split('.').next().unwrap_or(p);
                    assert!(
                        members.contains(&top),
                        "{}: resource reads missing parameter {p}",
                        row.action
                    );
                }
            }
            for a in row.implied_actions {
                for w in a.when_any {
                    assert!(members.contains(w), "{}: implied action on {w}", row.action);
                }
            }
        }
    }

    #[test]
    fn every_key_source_names_a_parameter_of_its_operation() {
        // Param/List/Tag sources must name a real input member, or the
        // authorizer would silently read nothing.
        for row in TABLE {
            for k in row.request_keys {
                let name = match k.source {
                    KeySource::Param(n)
                    | KeySource::List(n)
                    | KeySource::TagValues(n)
                    | KeySource::TagKeysOf(n)
                    | KeySource::OrgPolicyType(n) => n,
                    _ => continue,
                };
                let member = name.split('.').next().unwrap_or(name);
                assert!(
                    row_members(row).contains(&member),
                    "{}: {} reads missing parameter {name}",
                    row.action,
                    k.key
                );
            }
        }
    }

    const SCP_ARN: &str =
        "arn:aws:organizations::123456789012:policy/o-exampleorg1/service_control_policy/p-11111111";
    const OU_ARN: &str = "arn:aws:organizations::123456789012:ou/o-exampleorg1/ou-exam-11111111";
    const ROOT_ARN: &str = "arn:aws:organizations::123456789012:root/o-exampleorg1/r-exam";
    const ACCOUNT_ARN: &str =
        "arn:aws:organizations::123456789012:account/o-exampleorg1/210987654321";

    fn org_arn_of(op: &str, pairs: &[(&str, &str)]) -> String {
        arn("organizations", op, None, pairs)
    }

    /// The resources of the implied actions the request triggers.
    fn implied(op: &str, pairs: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let s = spec("organizations", op).unwrap_or_else(|| panic!("row {op}"));
        let req = Req::new(None, pairs);
        s.implied_actions
            .iter()
            .filter(|a| a.applies(&req.param_fn()))
            .map(|a| (a.action, fill(&a.resource, &req)))
            .collect()
    }

    #[test]
    fn policy_operations_are_on_the_policy_arn() {
        for op in [
            "AttachPolicy",
            "DetachPolicy",
            "UpdatePolicy",
            "DeletePolicy",
            "DescribePolicy",
            "ListTargetsForPolicy",
        ] {
            let s = spec("organizations", op).unwrap_or_else(|| panic!("row {op}"));
            assert_eq!(s.resource_type, Some("policy"), "{op}");
            assert_eq!(
                org_arn_of(op, &[("PolicyId", "p-11111111"), ("TargetId", "r-exam")]),
                SCP_ARN,
                "{op}"
            );
            assert_eq!(
                keys("organizations", op),
                vec![(
                    "organizations:PolicyType",
                    KeySource::OrgPolicyType("PolicyId")
                )],
                "{op}"
            );
            assert_eq!(s.resource_tag_keys, &["aws:ResourceTag/${TagKey}"], "{op}");
            assert_eq!(s.denial_form, DenialForm::Arn, "{op}");
        }
        assert_eq!(
            spec("organizations", "AttachPolicy").map(|s| s.access_level),
            Some(AccessLevel::PermissionsManagement)
        );
        // An AWS managed policy has its organization-less ARN.
        assert_eq!(
            org_arn_of("DetachPolicy", &[("PolicyId", "p-FullAWSAccess")]),
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
        );
    }

    #[test]
    fn attach_and_detach_are_also_authorized_on_the_target() {
        for (target, target_arn) in [
            ("r-exam", ROOT_ARN),
            ("ou-exam-11111111", OU_ARN),
            ("210987654321", ACCOUNT_ARN),
        ] {
            for op in ["AttachPolicy", "DetachPolicy"] {
                let pairs = [("PolicyId", "p-11111111"), ("TargetId", target)];
                assert_eq!(
                    implied(op, &pairs),
                    vec![(
                        spec("organizations", op).map_or("", |s| s.action),
                        target_arn.to_owned()
                    )],
                    "{op} {target}"
                );
            }
        }
        // MoveAccount: the account, and both parents.
        let pairs = [
            ("AccountId", "210987654321"),
            ("SourceParentId", "r-exam"),
            ("DestinationParentId", "ou-exam-11111111"),
        ];
        assert_eq!(org_arn_of("MoveAccount", &pairs), ACCOUNT_ARN);
        assert_eq!(
            implied("MoveAccount", &pairs),
            vec![
                ("organizations:MoveAccount", ROOT_ARN.to_owned()),
                ("organizations:MoveAccount", OU_ARN.to_owned())
            ]
        );
    }

    #[test]
    fn unresolved_ids_never_become_a_wildcard() {
        // No such policy: an ARN no real policy has; the call then fails
        // with PolicyNotFound after authorization.
        let unknown = org_arn_of("UpdatePolicy", &[("PolicyId", "p-99999999")]);
        assert_eq!(
            unknown,
            "arn:aws:organizations::123456789012:policy/o-unknown/p-99999999"
        );
        assert_eq!(
            implied(
                "AttachPolicy",
                &[("PolicyId", "p-11111111"), ("TargetId", "ou-exam-22222222")]
            ),
            vec![(
                "organizations:AttachPolicy",
                "arn:aws:organizations::123456789012:ou/o-unknown/ou-exam-22222222".to_owned()
            )]
        );
        // Handshakes are not modelled: never resolved.
        assert_eq!(
            org_arn_of("AcceptHandshake", &[("HandshakeId", "h-abcdefgh")]),
            "arn:aws:organizations::123456789012:handshake/o-unknown/h-abcdefgh"
        );
        // A lookup that knows no organizations (the default method).
        struct NoOrg;
        impl Lookup for NoOrg {
            fn account(&self) -> &str {
                "123456789012"
            }
            fn caller_user(&self) -> Option<&str> {
                None
            }
            fn param(&self, name: &str) -> Option<String> {
                (name == "OrganizationalUnitId").then(|| "ou-exam-11111111".to_owned())
            }
            fn entity(&self, _: EntityKind, _: &str) -> Option<(String, String)> {
                None
            }
        }
        let s = spec("organizations", "DeleteOrganizationalUnit").unwrap_or_else(|| panic!("row"));
        assert_eq!(
            resource_arn(s, &NoOrg),
            "arn:aws:organizations::123456789012:ou/o-unknown/ou-exam-11111111"
        );
    }

    #[test]
    fn organizations_ids_name_their_resources() {
        assert_eq!(
            org_arn_of(
                "DescribeOrganizationalUnit",
                &[("OrganizationalUnitId", "ou-exam-11111111")]
            ),
            OU_ARN
        );
        assert_eq!(
            org_arn_of("DescribeAccount", &[("AccountId", "210987654321")]),
            ACCOUNT_ARN
        );
        assert_eq!(
            org_arn_of(
                "EnablePolicyType",
                &[
                    ("RootId", "r-exam"),
                    ("PolicyType", "SERVICE_CONTROL_POLICY")
                ]
            ),
            ROOT_ARN
        );
        assert_eq!(
            keys("organizations", "EnablePolicyType"),
            vec![("organizations:PolicyType", KeySource::Param("PolicyType"))]
        );
        // Parents and children are roots, OUs or accounts.
        assert_eq!(
            org_arn_of("ListChildren", &[("ParentId", "r-exam")]),
            ROOT_ARN
        );
        assert_eq!(
            org_arn_of(
                "CreateOrganizationalUnit",
                &[("ParentId", "ou-exam-11111111")]
            ),
            OU_ARN
        );
        assert_eq!(
            org_arn_of("ListParents", &[("ChildId", "210987654321")]),
            ACCOUNT_ARN
        );
        // Tagging names any taggable resource, policies included.
        assert_eq!(
            org_arn_of("TagResource", &[("ResourceId", "p-11111111")]),
            SCP_ARN
        );
        assert_eq!(
            org_arn_of("UntagResource", &[("ResourceId", "210987654321")]),
            ACCOUNT_ARN
        );
        // DescribeEffectivePolicy without TargetId is about the caller's
        // own account.
        assert_eq!(
            org_arn_of("DescribeEffectivePolicy", &[]),
            "arn:aws:organizations::123456789012:account/o-unknown/123456789012"
        );
        assert_eq!(
            org_arn_of("DescribeEffectivePolicy", &[("TargetId", "210987654321")]),
            ACCOUNT_ARN
        );
        // No resource type in the SAR: `*`.
        for op in [
            "DescribeOrganization",
            "ListAccounts",
            "ListPolicies",
            "CreateAccount",
            "ListRoots",
        ] {
            assert_eq!(org_arn_of(op, &[]), "*", "{op}");
        }
        let k = keys("organizations", "EnableAWSServiceAccess");
        assert_eq!(
            k,
            vec![(
                "organizations:ServicePrincipal",
                KeySource::Param("ServicePrincipal")
            )]
        );
        assert_eq!(
            keys("organizations", "ListPolicies"),
            vec![("organizations:PolicyType", KeySource::Param("Filter"))]
        );
    }

    #[test]
    fn create_policy_carries_its_type_and_request_tags() {
        let s = spec("organizations", "CreatePolicy").unwrap_or_else(|| panic!("row"));
        assert_eq!(s.access_level, AccessLevel::Write);
        let k = keys("organizations", "CreatePolicy");
        for expected in [
            ("organizations:PolicyType", KeySource::Param("Type")),
            ("aws:RequestTag/${TagKey}", KeySource::TagValues("Tags")),
            ("aws:TagKeys", KeySource::TagKeysOf("Tags")),
        ] {
            assert!(k.contains(&expected), "{expected:?}");
        }
        let pairs = [
            ("Name", "deny-s3"),
            ("Type", "SERVICE_CONTROL_POLICY"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "red"),
        ];
        // Not created yet: every policy of that type in the organization.
        let new_policy =
            "arn:aws:organizations::123456789012:policy/o-exampleorg1/service_control_policy/*";
        assert_eq!(org_arn_of("CreatePolicy", &pairs), new_policy);
        // Tags on a create need organizations:TagResource too.
        assert_eq!(
            implied("CreatePolicy", &pairs),
            vec![("organizations:TagResource", new_policy.to_owned())]
        );
        assert_eq!(implied("CreatePolicy", &pairs[..2]), vec![]);
        assert_eq!(
            implied("CreateAccount", &[("Tags.member.1.Key", "k")]),
            vec![(
                "organizations:TagResource",
                "arn:aws:organizations::123456789012:account/o-exampleorg1/*".to_owned()
            )]
        );
        let req = Req::new(None, &pairs);
        let tags = tag_param(&req.param_fn(), "Tags");
        assert_eq!(tags, vec![("team".to_owned(), "red".to_owned())]);
    }

    #[test]
    fn org_policy_type_reads_the_named_policy() {
        let req = Req::new(
            None,
            &[
                ("PolicyId", "p-11111111"),
                ("ResourceId", "ou-exam-11111111"),
                ("Other", "p-FullAWSAccess"),
                ("Missing", "p-99999999"),
            ],
        );
        assert_eq!(
            org_policy_type(&req, "PolicyId").as_deref(),
            Some("SERVICE_CONTROL_POLICY")
        );
        assert_eq!(
            org_policy_type(&req, "Other").as_deref(),
            Some("SERVICE_CONTROL_POLICY")
        );
        // An OU, an unknown policy, no parameter: no key.
        assert_eq!(org_policy_type(&req, "ResourceId"), None);
        assert_eq!(org_policy_type(&req, "Missing"), None);
        assert_eq!(org_policy_type(&req, "Absent"), None);
    }
}
