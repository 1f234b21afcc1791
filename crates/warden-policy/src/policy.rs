//! Compiled policies: patterns pre-built, statements indexed by action service and effect.

use crate::condition::{CompiledCondition, Operator};
use crate::context::{
    parse_principal_arn, service_bit, PrincipalArn, PrincipalKind, RequestContext,
};
use crate::document::{Effect, PolicyDocument, PrincipalKey, PrincipalValue, Statement, Version};
use crate::error::PolicyError;
use crate::pattern::{ArnPattern, ArnVars, Pattern, Syntax};
use crate::validate::{first_in_iam_order, hard_errors};
use crate::PolicyType;

/// How the matching `Principal` entry named the caller. Ordered from weakest to strongest, because the
/// same-account resource-policy rules depend on it (reference §1.7 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NamedAs {
    /// The caller's account (`123456789012` or `arn:aws:iam::123456789012:root`): delegation, not a grant.
    Account,
    /// `"*"` / `{"AWS":"*"}`.
    Everyone,
    /// The role the calling session belongs to.
    Role,
    /// The caller's exact IAM user, session, federated-user, service or provider name.
    Exact,
}

/// One compiled `Principal` value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PrincipalPat {
    Everyone,
    Account(Box<str>),
    /// An exact caller ARN of this kind (user, assumed-role session, federated user).
    Arn(PrincipalKind, Box<str>),
    Role {
        account: Box<str>,
        name: Box<str>,
    },
    Service(Box<str>),
    Federated(Box<str>),
    /// Valid-looking but never matching in warden: unique IDs, canonical users, groups, typos.
    Never,
}

impl PrincipalPat {
    fn compile(key: PrincipalKey, v: &str) -> PrincipalPat {
        match key {
            PrincipalKey::Aws => {
                if v == "*" {
                    return PrincipalPat::Everyone;
                }
                if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
                    return PrincipalPat::Account(v.into());
                }
                let Some((_, account, named)) = parse_principal_arn(v) else {
                    return PrincipalPat::Never;
                };
                match named {
                    PrincipalArn::Root => PrincipalPat::Account(account.into()),
                    PrincipalArn::User { .. } => PrincipalPat::Arn(PrincipalKind::User, v.into()),
                    // Pathed roles match sessions by role name plus account: session ARNs carry no path.
                    PrincipalArn::Role { name } => PrincipalPat::Role {
                        account: account.into(),
                        name: name.into(),
                    },
                    PrincipalArn::Session { .. } => {
                        PrincipalPat::Arn(PrincipalKind::AssumedRole, v.into())
                    }
                    PrincipalArn::FederatedUser { .. } => {
                        PrincipalPat::Arn(PrincipalKind::FederatedUser, v.into())
                    }
                    PrincipalArn::Provider => PrincipalPat::Never,
                }
            }
            PrincipalKey::Service => PrincipalPat::Service(v.to_ascii_lowercase().into()),
            PrincipalKey::Federated => PrincipalPat::Federated(v.into()),
            PrincipalKey::CanonicalUser => PrincipalPat::Never,
        }
    }

    fn matches(&self, ctx: &RequestContext) -> Option<NamedAs> {
        let p = ctx.principal();
        let hit = match self {
            PrincipalPat::Everyone => return Some(NamedAs::Everyone),
            PrincipalPat::Account(a) => {
                return (p.has_identity() && p.account() == Some(a)).then_some(NamedAs::Account)
            }
            PrincipalPat::Arn(kind, arn) => p.kind() == *kind && p.arn() == &**arn,
            PrincipalPat::Role { account, name } => {
                return (matches!(p.kind(), PrincipalKind::AssumedRole | PrincipalKind::Role)
                    && p.account() == Some(account)
                    && p.name() == &**name)
                    .then_some(NamedAs::Role)
            }
            PrincipalPat::Service(s) => {
                p.kind() == PrincipalKind::Service && p.name().eq_ignore_ascii_case(s)
            }
            PrincipalPat::Federated(f) => p.kind() == PrincipalKind::Federated && p.name() == &**f,
            PrincipalPat::Never => false,
        };
        hit.then_some(NamedAs::Exact)
    }
}

#[derive(Debug, Clone)]
struct CompiledPrincipal {
    negated: bool,
    pats: Box<[PrincipalPat]>,
}

/// How to treat the `Principal` element while scanning a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalMode {
    /// Identity-style policies (identity, boundary, session, SCP): the element is not used.
    Ignore,
    /// Resource-style policies: a statement without `Principal`/`NotPrincipal` never matches.
    Require { caller_has_boundary: bool },
    /// RCPs: `Principal` is checked when present.
    IfPresent,
}

#[derive(Debug, Clone)]
struct CompiledStatement {
    effect: Effect,
    principal: Option<CompiledPrincipal>,
    not_action: bool,
    /// Lower-cased action globs; `None` marks an action that can never match (it contains a comma).
    actions: Box<[Option<Pattern>]>,
    not_resource: bool,
    /// `None`: the statement has no resource element (trust policies): every resource.
    resources: Option<Box<[ArnPattern]>>,
    conditions: Box<[Condition2]>,
}

/// A condition entry, or one whose operator is unknown (it can never hold).
#[derive(Debug, Clone)]
enum Condition2 {
    Known(CompiledCondition),
    Never,
}

/// Statements of one effect and one service, indexed a second time by the literal start of their resource
/// patterns, so statements about other resources cost nothing.
#[derive(Debug, Clone, Default)]
struct Bucket {
    trie: ResourceTrie,
    /// Statements whose resources have no literal head (`*`, wildcards before the resource part, NotResource,
    /// no Resource element).
    unindexed: Box<[u32]>,
}

impl Bucket {
    fn build(statements: &[CompiledStatement], members: &[u32]) -> Bucket {
        let mut heads: Vec<(String, u32)> = Vec::new();
        let mut unindexed = Vec::new();
        for &i in members {
            match statements
                .get(i as usize)
                .and_then(CompiledStatement::resource_heads)
            {
                Some(hs) => heads.extend(hs.into_iter().map(|h| (h, i))),
                None => unindexed.push(i),
            }
        }
        Bucket {
            trie: ResourceTrie::build(&heads),
            unindexed: unindexed.into_boxed_slice(),
        }
    }

    /// Calls `f` for every statement that may match `resource`, until `f` returns true. Returns true if it did.
    fn visit(&self, resource: &str, f: &mut dyn FnMut(u32) -> bool) -> bool {
        self.unindexed.iter().any(|&i| f(i))
            || (!self.trie.nodes.is_empty() && self.trie.visit(resource.as_bytes(), f))
    }
}

/// A byte trie of resource heads. A statement sits at the node of each of its heads; a request resource visits
/// the statements on its path, i.e. those whose head is a prefix of it. The prefix all heads share (typically
/// `arn:aws:s3:::`) is compared in one go instead of walked byte by byte.
#[derive(Debug, Clone, Default)]
struct ResourceTrie {
    common: Box<[u8]>,
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Clone, Default)]
struct TrieNode {
    /// Sorted by byte.
    children: Vec<(u8, u32)>,
    statements: Vec<u32>,
}

impl ResourceTrie {
    fn build(heads: &[(String, u32)]) -> ResourceTrie {
        let Some((first, _)) = heads.first() else {
            return ResourceTrie::default();
        };
        let common_len = heads.iter().fold(first.len(), |n, (h, _)| {
            first.as_bytes()[..n]
                .iter()
                .zip(h.as_bytes())
                .take_while(|(a, b)| a == b)
                .count()
        });
        let mut trie = ResourceTrie {
            common: first.as_bytes()[..common_len].into(),
            nodes: vec![TrieNode::default()],
        };
        for (h, i) in heads {
            trie.insert(&h.as_bytes()[common_len..], *i);
        }
        trie
    }

    fn insert(&mut self, head: &[u8], statement: u32) {
        let mut at = 0usize;
        for &b in head {
            let next = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
            let Some(node) = self.nodes.get_mut(at) else {
                return;
            };
            at = match node.children.binary_search_by_key(&b, |c| c.0) {
                Ok(k) => node.children[k].1 as usize,
                Err(k) => {
                    node.children.insert(k, (b, next));
                    self.nodes.push(TrieNode::default());
                    next as usize
                }
            };
        }
        if let Some(node) = self.nodes.get_mut(at) {
            if !node.statements.contains(&statement) {
                node.statements.push(statement);
            }
        }
    }

    fn visit(&self, resource: &[u8], f: &mut dyn FnMut(u32) -> bool) -> bool {
        let Some(rest) = resource.strip_prefix(&*self.common) else {
            return false;
        };
        let mut at = 0usize;
        let mut bytes = rest.iter();
        while let Some(node) = self.nodes.get(at) {
            if node.statements.iter().any(|&i| f(i)) {
                return true;
            }
            let Some(b) = bytes.next() else {
                return false;
            };
            match node.children.binary_search_by_key(b, |c| c.0) {
                Ok(k) => at = node.children[k].1 as usize,
                Err(_) => return false,
            }
        }
        false
    }
}

/// Statement indices of one effect, bucketed by the lower-cased service prefix of their actions.
#[derive(Debug, Clone, Default)]
struct Index {
    /// OR of [`service_bit`] over `by_service`: most policies say nothing about most services.
    service_filter: u64,
    by_service: Box<[(Box<str>, Bucket)]>,
    /// Statements whose actions may match any service (`*`, `s3*:...`, `NotAction`).
    any_service: Bucket,
}

impl Index {
    fn build(statements: &[CompiledStatement], effect: Effect) -> Index {
        let mut by: Vec<(Box<str>, Vec<u32>)> = Vec::new();
        let mut any = Vec::new();
        for (i, s) in statements.iter().enumerate() {
            if s.effect != effect {
                continue;
            }
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let services: Option<Vec<&str>> = if s.not_action {
                None
            } else {
                s.actions
                    .iter()
                    .flatten()
                    .map(|p| p.literal_prefix()?.split_once(':').map(|(svc, _)| svc))
                    .collect()
            };
            match services {
                None => any.push(i),
                Some(mut svcs) => {
                    svcs.sort_unstable();
                    svcs.dedup();
                    for svc in svcs {
                        match by.iter_mut().find(|(k, _)| &**k == svc) {
                            Some((_, v)) => v.push(i),
                            None => by.push((svc.into(), vec![i])),
                        }
                    }
                }
            }
        }
        by.sort_by(|a, b| a.0.cmp(&b.0));
        Index {
            service_filter: by.iter().fold(0, |f, (svc, _)| f | service_bit(svc)),
            by_service: by
                .into_iter()
                .map(|(k, v)| (k, Bucket::build(statements, &v)))
                .collect(),
            any_service: Bucket::build(statements, &any),
        }
    }

    /// Visits the candidates for a request: the service's bucket, then the any-service bucket.
    fn visit(&self, ctx: &RequestContext, f: &mut dyn FnMut(u32) -> bool) {
        let (service, resource) = (ctx.service(), ctx.resource());
        if self.service_filter & ctx.service_bit() == 0 {
            self.any_service.visit(resource, f);
            return;
        }
        if let Ok(i) = self
            .by_service
            .binary_search_by(|(k, _)| (**k).cmp(service))
        {
            if self.by_service[i].1.visit(resource, f) {
                return;
            }
        }
        self.any_service.visit(resource, f);
    }
}

/// A compiled policy: immutable, `Send + Sync`, cheap to share in an `Arc`.
#[derive(Debug, Clone)]
pub struct Policy {
    document: PolicyDocument,
    statements: Box<[CompiledStatement]>,
    allow: Index,
    deny: Index,
}

impl Policy {
    /// Parses and compiles a policy with the grammar rules only (no policy-type rules, no quotas). This is what
    /// the evaluator CLI uses for the policies in a request.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        Ok(Policy::compile(PolicyDocument::parse(text)?))
    }

    /// Parses, checks every hard rule of `ty` (elements, characters, size quota), and compiles. The error is
    /// the one IAM would return as `MalformedPolicyDocument`; see [`PolicyError::aws_message`].
    pub fn parse_as(text: &str, ty: PolicyType) -> Result<Policy, PolicyError> {
        let (doc, errs) = hard_errors(text, ty);
        match (doc, first_in_iam_order(errs)) {
            (Some(doc), None) => Ok(Policy::compile(doc)),
            (_, Some(e)) => Err(e),
            // parse_collect gives no document only with an error.
            (None, None) => PolicyDocument::parse(text).map(Policy::compile),
        }
    }

    /// Compiles a parsed document.
    pub fn compile(document: PolicyDocument) -> Policy {
        let version = document.effective_version();
        let statements: Box<[CompiledStatement]> = document
            .statements
            .iter()
            .map(|s| compile_statement(s, version))
            .collect();
        let allow = Index::build(&statements, Effect::Allow);
        let deny = Index::build(&statements, Effect::Deny);
        Policy {
            document,
            statements,
            allow,
            deny,
        }
    }

    /// The source document.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }

    /// The `Sid` of statement `index`, if any.
    pub fn sid(&self, index: usize) -> Option<&str> {
        self.document
            .statements
            .get(index)
            .and_then(|s| s.sid.as_ref())
            .map(|s| s.value.as_str())
    }

    /// The first statement of `effect` that applies, with how its principal named the caller. For resource
    /// policies (`Require`), returns the allow that names the caller most strongly.
    pub(crate) fn find(
        &self,
        effect: Effect,
        ctx: &RequestContext,
        mode: PrincipalMode,
    ) -> Option<(u32, Option<NamedAs>)> {
        let index = match effect {
            Effect::Allow => &self.allow,
            Effect::Deny => &self.deny,
        };
        let want_best = effect == Effect::Allow && matches!(mode, PrincipalMode::Require { .. });
        let mut best: Option<(u32, Option<NamedAs>)> = None;
        index.visit(ctx, &mut |i| {
            let Some(named) = self
                .statements
                .get(i as usize)
                .and_then(|s| s.applies(ctx, mode))
            else {
                return false;
            };
            if best.is_none_or(|(_, b)| named > b) {
                best = Some((i, named));
            }
            // Stop at the first hit, except when looking for the strongest naming in a resource policy.
            !want_best || named == Some(NamedAs::Exact)
        });
        best
    }
}

fn compile_statement(s: &Statement, version: Version) -> CompiledStatement {
    let vars = version == Version::V2012_10_17;
    let principal = s.principal.as_ref().map(|p| CompiledPrincipal {
        negated: p.negated,
        pats: match &p.value {
            PrincipalValue::Star => vec![PrincipalPat::Everyone].into_boxed_slice(),
            PrincipalValue::Map(m) => m
                .iter()
                .flat_map(|(k, vs)| {
                    vs.iter()
                        .map(move |v| PrincipalPat::compile(k.value, &v.value))
                })
                .collect(),
        },
    });
    let action_syntax = Syntax {
        vars: false,
        wildcards: true,
        lower: true,
    };
    let actions = s
        .action
        .values
        .iter()
        // An action containing a comma never matches (public-simulator case `commas.json`).
        .map(|a| (!a.value.contains(',')).then(|| Pattern::compile(&a.value, action_syntax).0))
        .collect();
    let resources = s.resource.as_ref().map(|r| {
        r.values
            .iter()
            .map(|v| {
                let scope = if vars {
                    ArnVars::ResourcePart
                } else {
                    ArnVars::None
                };
                ArnPattern::compile(&v.value, scope)
                    .0
                    .for_resource_element(&v.value)
            })
            .collect()
    });
    let conditions = s
        .conditions
        .iter()
        .map(|c| match Operator::parse(&c.operator.value) {
            Some(op) => {
                let values: Vec<String> = c.values.iter().map(|v| v.value.clone()).collect();
                Condition2::Known(CompiledCondition::compile(op, &c.key.value, &values, version).0)
            }
            None => Condition2::Never,
        })
        .collect();
    CompiledStatement {
        effect: s.effect.value,
        principal,
        not_action: s.action.negated,
        actions,
        not_resource: s.resource.as_ref().is_some_and(|r| r.negated),
        resources,
        conditions,
    }
}

impl CompiledStatement {
    /// The literal starts of this statement's resource patterns, minimal (none is a prefix of another), or
    /// `None` when some resource has no literal start and the statement must always be looked at.
    fn resource_heads(&self) -> Option<Vec<String>> {
        if self.not_resource {
            return None;
        }
        let mut heads: Vec<String> = self
            .resources
            .as_ref()?
            .iter()
            .map(ArnPattern::literal_head)
            .collect::<Option<_>>()?;
        heads.sort();
        heads.dedup();
        let minimal = heads
            .iter()
            .filter(|h| !heads.iter().any(|o| o != *h && h.starts_with(o.as_str())))
            .cloned()
            .collect();
        Some(minimal)
    }

    /// `Some(named)` when the statement applies to the request; `named` is how the principal matched, if the
    /// principal was checked.
    fn applies(&self, ctx: &RequestContext, mode: PrincipalMode) -> Option<Option<NamedAs>> {
        let action = ctx.action_lower();
        let hit = self
            .actions
            .iter()
            .flatten()
            .any(|p| p.glob(action, false, ctx));
        if hit == self.not_action {
            return None;
        }
        if let Some(rs) = &self.resources {
            // A NotResource entry whose variable has no value cannot say what it excludes, so the statement
            // does not apply (reference_policies_variables: a variable that cannot be resolved makes the
            // statement not match; a Resource entry in that case simply matches nothing).
            if self.not_resource && !rs.iter().all(|p| p.resolves(ctx)) {
                return None;
            }
            let hit = rs.iter().any(|p| p.matches(ctx.resource(), ctx));
            if hit == self.not_resource {
                return None;
            }
        }
        let named = match (mode, &self.principal) {
            (PrincipalMode::Ignore, _) | (PrincipalMode::IfPresent, None) => None,
            (PrincipalMode::Require { .. }, None) => return None,
            (mode, Some(p)) => {
                let best = p.pats.iter().filter_map(|x| x.matches(ctx)).max();
                if p.negated {
                    // Deny + NotPrincipal always applies to a caller that has a permissions boundary
                    // (access_policies_boundaries).
                    let boundary_quirk = self.effect == Effect::Deny
                        && mode
                            == PrincipalMode::Require {
                                caller_has_boundary: true,
                            };
                    if best.is_some() && !boundary_quirk {
                        return None;
                    }
                    Some(NamedAs::Everyone)
                } else {
                    Some(best?)
                }
            }
        };
        let conds_hold = self.conditions.iter().all(|c| match c {
            Condition2::Known(c) => c.eval(ctx),
            Condition2::Never => false,
        });
        conds_hold.then_some(named)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Principal;
    use proptest::prelude::*;

    impl Policy {
        /// Every statement in order, no index: the reference the index must agree with.
        fn find_linear(
            &self,
            effect: Effect,
            ctx: &RequestContext,
            mode: PrincipalMode,
        ) -> Option<Option<NamedAs>> {
            let hits = self
                .statements
                .iter()
                .filter(|s| s.effect == effect)
                .filter_map(|s| s.applies(ctx, mode));
            if effect == Effect::Allow && matches!(mode, PrincipalMode::Require { .. }) {
                hits.max()
            } else {
                hits.into_iter().next()
            }
        }
    }

    fn statement() -> impl Strategy<Value = String> {
        let action = prop::sample::select(vec![
            r#""Action":"s3:Get*""#,
            r#""Action":["s3:GetObject","iam:*"]"#,
            r#""Action":"*""#,
            r#""Action":"s3*:GetObject""#,
            r#""NotAction":"iam:*""#,
            r#""Action":"S3:getobject""#,
        ]);
        let resource = prop::sample::select(vec![
            r#""Resource":"*""#,
            r#""Resource":"arn:aws:s3:::b""#,
            r#""Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"]"#,
            r#""Resource":"arn:aws:s3:::b*""#,
            r#""Resource":"arn:aws:s3:::${aws:username}/*""#,
            r#""Resource":"arn:*:s3:::b/k""#,
            r#""NotResource":"arn:aws:s3:::b/*""#,
            r#""Resource":"arn:aws:iam::1:user/*""#,
        ]);
        let principal = prop::sample::select(vec![
            "",
            r#""Principal":"*","#,
            r#""Principal":{"AWS":"111122223333"},"#,
            r#""Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"#,
        ]);
        (any::<bool>(), action, resource, principal).prop_map(|(allow, a, r, p)| {
            let e = if allow { "Allow" } else { "Deny" };
            format!(r#"{{"Effect":"{e}",{p}{a},{r}}}"#)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The service and resource index never changes a result.
        #[test]
        fn index_agrees_with_linear_scan(
            sts in prop::collection::vec(statement(), 1..12),
            resource in prop::sample::select(vec![
                "arn:aws:s3:::b", "arn:aws:s3:::b/k", "arn:aws:s3:::bx", "*", "arn:aws:s3:::alice/x",
                "arn:aws:iam::1:user/x", "arn:aws:s3:::", "arn:aws:s3:::b/k/l",
            ]),
            action in prop::sample::select(vec!["s3:GetObject", "iam:CreateUser", "ec2:RunInstances", "s3x:GetObject"]),
        ) {
            let text = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, sts.join(","));
            let policy = Policy::parse(&text).unwrap();
            let principal = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
            let ctx = RequestContext::new(principal, action, resource).unwrap();
            for mode in [PrincipalMode::Ignore, PrincipalMode::Require { caller_has_boundary: false }, PrincipalMode::IfPresent] {
                for effect in [Effect::Allow, Effect::Deny] {
                    let indexed = policy.find(effect, &ctx, mode).map(|(_, n)| n);
                    let linear = policy.find_linear(effect, &ctx, mode);
                    // Only a resource policy's allow needs the strongest naming; elsewhere any hit will do.
                    if effect == Effect::Allow && matches!(mode, PrincipalMode::Require { .. }) {
                        prop_assert_eq!(indexed, linear, "{} {:?} {:?}", text, mode, effect);
                    } else {
                        prop_assert_eq!(indexed.is_some(), linear.is_some(), "{} {:?} {:?}", text, mode, effect);
                    }
                }
            }
        }
    }
}
