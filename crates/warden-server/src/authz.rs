//! The request side of authorization: the action, its resource ARN and the
//! context keys that come from the request (source IP, user agent, region,
//! request tags, iam:PolicyARN, ...). The decision itself is the domain's
//! ([`warden_core::Warden::authorize`]).

use std::net::IpAddr;

use axum::http::request::Parts;
use warden_core::authz::RequestFacts;
use warden_core::Warden;
use warden_policy::ContextValue;
use warden_wire::query::QueryParams;

use warden_core::auth::Caller;

/// `Tags.member.N.Key/Value` of a request, in order.
fn request_tags(params: &QueryParams) -> Vec<(String, String)> {
    (1..)
        .map_while(|n| {
            let key = params.get(&format!("Tags.member.{n}.Key"))?;
            let value = params.get(&format!("Tags.member.{n}.Value")).unwrap_or("");
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// `TagKeys.member.N` of an Untag* request.
fn removed_tag_keys(params: &QueryParams) -> Vec<String> {
    (1..)
        .map_while(|n| {
            params
                .get(&format!("TagKeys.member.{n}"))
                .map(str::to_string)
        })
        .collect()
}

/// The tags of the entity the request targets, for `aws:ResourceTag/*`.
fn resource_tags(warden: &Warden, account: &str, params: &QueryParams) -> Vec<(String, String)> {
    let s = warden.read();
    let pairs = |tags: &[warden_core::model::Tag]| -> Vec<(String, String)> {
        tags.iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect()
    };
    if let Some(u) = params.get("UserName").and_then(|n| s.user(account, n)) {
        return pairs(&u.tags);
    }
    if let Some(r) = params.get("RoleName").and_then(|n| s.role(account, n)) {
        return pairs(&r.tags);
    }
    if let Some(arn) = params.get("PolicyArn") {
        if let Some(p) = s.policies_of(account).find(|p| p.arn() == arn) {
            return pairs(&p.tags);
        }
    }
    Vec::new()
}

/// Every context key the request itself supplies.
pub fn request_facts(
    warden: &Warden,
    caller: &Caller,
    region: &str,
    parts: &Parts,
    params: &QueryParams,
    source_ip: Option<IpAddr>,
    now: i64,
) -> RequestFacts {
    let mut keys: Vec<(String, ContextValue)> = Vec::new();
    let mut one = |k: &str, v: String| keys.push((k.to_string(), ContextValue::from(v)));
    if let Some(ip) = source_ip {
        one("aws:SourceIp", ip.to_string());
    }
    if let Some(agent) = parts
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
    {
        one("aws:UserAgent", agent.to_string());
    }
    one("aws:RequestedRegion", region.to_string());
    // warden serves plain HTTP; a TLS-terminating proxy in front does not
    // change what warden itself saw.
    one("aws:SecureTransport", "false".to_string());
    if let Some(arn) = params.get("PolicyArn") {
        one("iam:PolicyARN", arn.to_string());
    }
    if let Some(arn) = params.get("PermissionsBoundary") {
        one("iam:PermissionsBoundary", arn.to_string());
    }
    let tags = request_tags(params);
    for (k, v) in &tags {
        one(&format!("aws:RequestTag/{k}"), v.clone());
    }
    for (k, v) in resource_tags(warden, &caller.account, params) {
        one(&format!("aws:ResourceTag/{k}"), v.clone());
        one(&format!("iam:ResourceTag/{k}"), v);
    }
    let mut tag_keys: Vec<String> = tags.into_iter().map(|(k, _)| k).collect();
    tag_keys.extend(removed_tag_keys(params));
    if !tag_keys.is_empty() {
        keys.push(("aws:TagKeys".to_string(), ContextValue::from(tag_keys)));
    }
    RequestFacts { keys, now }
}
