//! Reading the generated data file (`data/service-catalogue.tsv`, written by
//! `tools/service-catalogue/generate.py`).
//!
//! One record per line, fields separated by tabs, `#` lines are comments:
//!
//! ```text
//! V  <iam-data version>
//! G  <global condition key>  <type>              the global keys (aws:*, and a few service keys AWS lists as global)
//! U  <key prefix>  <service>,<service>           condition-key prefixes that are not services (saml, OIDC providers)
//! S  <prefix>  <name>  [shared]                  starts a service; the records below belong to it
//!                                                (`shared`: the reference documents the prefix on several pages)
//! K  <condition key>  <type>                     the service's keys, numbered from 0 in file order
//! R  <name>  <ARN format>  <key>,<key>           its resource types, numbered from 0 in file order
//! A  <name>  <L|R|W|P|T>  <key>,<key>  <refs>    its actions; refs are `;`-separated `<type>[*][=<key>,<key>]`:
//!                                                the resource type's number, `*` when required, the row's keys
//! ```
//!
//! Every string is a slice of the embedded text, so loading allocates only the tables.

use crate::matching::has_placeholder;
use crate::{
    AccessLevel, Action, ActionResourceType, Catalogue, ConditionKey, ConditionKeyType,
    ResourceType, Service,
};

/// What is wrong with the data, and on which line.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

/// Parses `text` into a catalogue.
pub(crate) fn parse(text: &'static str) -> Result<Catalogue, ParseError> {
    let mut version = "";
    let mut globals: Vec<ConditionKey> = Vec::new();
    let mut prefixes: Vec<(&'static str, Box<[&'static str]>)> = Vec::new();
    let mut services: Vec<Service> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut f = line.split('\t');
        let tag = f.next().unwrap_or("");
        let mut field = |what: &str| f.next().ok_or_else(|| err(n, format!("missing {what}")));
        match tag {
            "V" => version = field("version")?,
            "G" => {
                let name = field("key")?;
                let ty = key_type(n, field("type")?)?;
                globals.push(ConditionKey {
                    name,
                    ty,
                    global: true,
                });
            }
            "U" => {
                let prefix = field("prefix")?;
                let svcs = field("services")?.split(',').collect();
                prefixes.push((prefix, svcs));
            }
            "S" => {
                let prefix = field("prefix")?;
                let name = field("name")?;
                let shared_prefix = match field("flag").ok() {
                    None => false,
                    Some("shared") => true,
                    Some(other) => return Err(err(n, format!("unknown service flag {other:?}"))),
                };
                services.push(Service {
                    prefix,
                    name,
                    shared_prefix,
                    actions: Vec::new(),
                    resource_types: Vec::new(),
                    condition_keys: Vec::new(),
                });
            }
            "K" | "R" | "A" => {
                let svc = services
                    .last_mut()
                    .ok_or_else(|| err(n, "a service record before any S line"))?;
                match tag {
                    "K" => {
                        let name = field("key")?;
                        let ty = key_type(n, field("type")?)?;
                        svc.condition_keys.push(ConditionKey {
                            name,
                            ty,
                            global: false,
                        });
                    }
                    "R" => {
                        let name = field("name")?;
                        let arn_format = field("ARN format")?;
                        let condition_keys = keys(n, svc, field("keys")?)?;
                        svc.resource_types.push(ResourceType {
                            name,
                            arn_format,
                            condition_keys,
                        });
                    }
                    _ => {
                        let name = field("name")?;
                        let access_level = match field("access level")? {
                            "L" => AccessLevel::List,
                            "R" => AccessLevel::Read,
                            "W" => AccessLevel::Write,
                            "P" => AccessLevel::PermissionsManagement,
                            "T" => AccessLevel::Tagging,
                            other => return Err(err(n, format!("unknown access level {other:?}"))),
                        };
                        let condition_keys = keys(n, svc, field("keys")?)?;
                        let refs = field("resource types")?;
                        let mut resource_types = Vec::new();
                        for r in refs.split(';').filter(|r| !r.is_empty()) {
                            let (head, row_keys) = r.split_once('=').unwrap_or((r, ""));
                            let (idx, required) = match head.strip_suffix('*') {
                                Some(idx) => (idx, true),
                                None => (head, false),
                            };
                            let rt = idx
                                .parse::<usize>()
                                .ok()
                                .and_then(|i| svc.resource_types.get(i))
                                .ok_or_else(|| {
                                    err(n, format!("bad resource type reference {r:?}"))
                                })?;
                            resource_types.push(ActionResourceType {
                                name: rt.name,
                                required,
                                condition_keys: keys(n, svc, row_keys)?,
                            });
                        }
                        svc.actions.push(Action {
                            name,
                            access_level,
                            condition_keys,
                            resource_types: resource_types.into(),
                        });
                    }
                }
            }
            other => return Err(err(n, format!("unknown record {other:?}"))),
        }
    }
    if version.is_empty() || services.is_empty() || globals.is_empty() {
        return Err(err(0, "no version, services or global keys"));
    }
    // Lookups binary-search these; the generator sorts them, but the order is checked rather than trusted.
    sorted(services.iter().map(|s| s.prefix), "services")?;
    for s in &services {
        sorted(s.actions.iter().map(|a| a.name), s.prefix)?;
        sorted(s.resource_types.iter().map(|r| r.name), s.prefix)?;
    }
    Ok(Catalogue::new(version, services, globals, prefixes))
}

fn key_type(line: usize, s: &str) -> Result<ConditionKeyType, ParseError> {
    ConditionKeyType::parse(s).ok_or_else(|| err(line, format!("unknown condition key type {s:?}")))
}

/// The service's keys named by a `,`-separated list of their numbers.
fn keys(line: usize, svc: &Service, list: &str) -> Result<Box<[&'static str]>, ParseError> {
    list.split(',')
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse::<usize>()
                .ok()
                .and_then(|i| svc.condition_keys.get(i))
                .map(|key| key.name)
                .ok_or_else(|| err(line, format!("bad condition key reference {k:?}")))
        })
        .collect()
}

/// Checks that names are strictly increasing, ASCII case-insensitively.
fn sorted<'a>(names: impl Iterator<Item = &'a str>, what: &str) -> Result<(), ParseError> {
    let mut prev: Option<&str> = None;
    for n in names {
        if prev.is_some_and(|p| crate::cmp_ci(p, n) != std::cmp::Ordering::Less) {
            return Err(err(0, format!("{what}: {n:?} is out of order or repeated")));
        }
        prev = Some(n);
    }
    Ok(())
}

/// Whether a key name is a template (holds a placeholder), for the catalogue's key index.
pub(crate) fn is_template(name: &str) -> bool {
    has_placeholder(name)
}
