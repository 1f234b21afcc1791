//! The context keys of the request as a whole: where it came from and how
//! (source IP, user agent, region, transport). Everything about the
//! operation itself (its resources, its own condition keys, dependent
//! actions) comes from the action table ([`warden_core::access::checks`]);
//! the decision is the domain's ([`warden_core::Warden::authorize_checks`]).

use std::net::IpAddr;

use axum::http::request::Parts;
use warden_core::authz::RequestFacts;
use warden_policy::ContextValue;

/// The global condition keys the request itself supplies.
pub fn request_facts(
    region: &str,
    parts: &Parts,
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
    RequestFacts { keys, now }
}
