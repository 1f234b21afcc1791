//! Compiled string patterns: literals, `*`/`?` wildcards and policy variables, plus ARN patterns.
//!
//! Matching never allocates: variables are resolved on the fly through a borrowed lookup.

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(Box<str>),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Many,
    /// `${key}` or `${key, 'default'}`; `key` is stored lower-cased because key names are case-insensitive.
    Var {
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// A syntax problem inside `${...}`, named as Access Analyzer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarError {
    MissingBrace,
    MissingQuote,
    UnsupportedSpace,
    Empty,
}

impl VarError {
    pub(crate) fn code(self) -> &'static str {
        match self {
            VarError::MissingBrace => "MISSING_BRACE_IN_VARIABLE",
            VarError::MissingQuote => "MISSING_QUOTE_IN_VARIABLE",
            VarError::UnsupportedSpace => "UNSUPPORTED_SPACE_IN_VARIABLE",
            VarError::Empty => "EMPTY_VARIABLE",
        }
    }
}

/// How a template's text is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// Substitute `${...}` (2012-10-17 policies only, and only where variables are allowed).
    pub vars: bool,
    /// `*` and `?` are wildcards (Like operators, actions, resources); otherwise literal.
    pub wildcards: bool,
    /// Lower-case the literal text (actions are case-insensitive; the request side is lower-cased too).
    pub lower: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    toks: Box<[Tok]>,
    has_vars: bool,
}

/// Resolves a lower-cased context key to its single value.
pub(crate) trait Resolve {
    fn var(&self, key: &str) -> Option<&str>;
}

/// For contexts with no variables at all (tests, validation).
pub(crate) struct NoVars;

impl Resolve for NoVars {
    fn var(&self, _key: &str) -> Option<&str> {
        None
    }
}

impl Pattern {
    /// Compiles `src`. A malformed `${` is reported and the text is then kept literally, which is what the engine
    /// does at run time for policies that were saved without validation.
    pub(crate) fn compile(src: &str, syn: Syntax) -> (Pattern, Option<VarError>) {
        let mut toks: Vec<Tok> = Vec::new();
        let mut lit = String::new();
        let mut err = None;
        let mut rest = src;
        while let Some(c) = rest.chars().next() {
            if syn.vars && rest.starts_with("${") {
                match parse_var(&rest[2..]) {
                    Ok((tok, used)) => {
                        rest = &rest[2 + used..];
                        match tok {
                            Tok::Lit(s) => lit.push_str(&s),
                            other => {
                                flush(&mut toks, &mut lit, syn.lower);
                                toks.push(other);
                            }
                        }
                        continue;
                    }
                    Err(e) => {
                        err.get_or_insert(e);
                    }
                }
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if syn.wildcards => {
                    flush(&mut toks, &mut lit, syn.lower);
                    // `**` is the same as `*`; keeping one makes matching cheaper.
                    if toks.last() != Some(&Tok::Many) {
                        toks.push(Tok::Many);
                    }
                }
                '?' if syn.wildcards => {
                    flush(&mut toks, &mut lit, syn.lower);
                    toks.push(Tok::One);
                }
                c => lit.push(c),
            }
        }
        flush(&mut toks, &mut lit, syn.lower);
        let has_vars = toks.iter().any(|t| matches!(t, Tok::Var { .. }));
        (
            Pattern {
                toks: toks.into_boxed_slice(),
                has_vars,
            },
            err,
        )
    }

    /// The literal text before the first wildcard or variable, if the pattern starts with one.
    pub(crate) fn literal_prefix(&self) -> Option<&str> {
        match self.toks.first() {
            Some(Tok::Lit(s)) => Some(s),
            _ => None,
        }
    }

    /// The literal text when the pattern has no wildcard and no variable.
    /// Whether every variable of the pattern has a value (from the request or its default).
    pub(crate) fn resolves(&self, r: &dyn Resolve) -> bool {
        !self.has_vars
            || self.toks.iter().all(|t| match t {
                Tok::Var { key, default } => default.is_some() || r.var(key).is_some(),
                _ => true,
            })
    }

    pub(crate) fn as_literal(&self) -> Option<&str> {
        match &*self.toks {
            [] => Some(""),
            [Tok::Lit(s)] => Some(s),
            _ => None,
        }
    }

    /// Glob match. `fold` compares ASCII letters case-insensitively. Unresolvable variables never match.
    pub(crate) fn glob(&self, text: &str, fold: bool, r: &dyn Resolve) -> bool {
        // The common shapes (`*`, `literal`, `literal*`) skip the general loop: most statements are rejected
        // here, so this is the decision path's inner loop.
        match &*self.toks {
            [Tok::Many] => return true,
            [Tok::Lit(l)] => {
                return text.len() == l.len() && starts_with(text.as_bytes(), l.as_bytes(), fold)
            }
            [Tok::Lit(l), Tok::Many] => return starts_with(text.as_bytes(), l.as_bytes(), fold),
            _ => {}
        }
        if self.has_vars && !self.vars_resolve(r) {
            return false;
        }
        glob(&self.toks, text.as_bytes(), fold, r)
    }

    /// Equality with the pattern's text (wildcards, if any, are taken literally). With `fold`, compares
    /// Unicode lower-case forms, for the `...IgnoreCase` operators.
    pub(crate) fn equals(&self, text: &str, fold: bool, r: &dyn Resolve) -> bool {
        if let Some(lit) = self.as_literal() {
            return if fold {
                lower_eq(lit.chars(), text.chars())
            } else {
                lit == text
            };
        }
        if self.has_vars && !self.vars_resolve(r) {
            return false;
        }
        let pieces = self
            .toks
            .iter()
            .flat_map(|t| resolve(t, r).unwrap_or("").chars());
        if fold {
            lower_eq(pieces, text.chars())
        } else {
            pieces.eq(text.chars())
        }
    }

    fn vars_resolve(&self, r: &dyn Resolve) -> bool {
        self.toks.iter().all(|t| resolve(t, r).is_some())
    }

    /// Writes the pattern back in policy syntax (used by tests and messages).
    #[cfg(test)]
    pub(crate) fn source(&self) -> String {
        let mut s = String::new();
        for t in self.toks.iter() {
            match t {
                Tok::Lit(l) => s.push_str(l),
                Tok::One => s.push('?'),
                Tok::Many => s.push('*'),
                Tok::Var { key, default } => {
                    s.push_str("${");
                    s.push_str(key);
                    if let Some(d) = default {
                        s.push_str(", '");
                        s.push_str(d);
                        s.push('\'');
                    }
                    s.push('}');
                }
            }
        }
        s
    }
}

fn lower_eq(a: impl Iterator<Item = char>, b: impl Iterator<Item = char>) -> bool {
    a.flat_map(char::to_lowercase)
        .eq(b.flat_map(char::to_lowercase))
}

fn flush(toks: &mut Vec<Tok>, lit: &mut String, lower: bool) {
    if lit.is_empty() {
        return;
    }
    let text = if lower {
        lit.to_ascii_lowercase()
    } else {
        std::mem::take(lit)
    };
    lit.clear();
    toks.push(Tok::Lit(text.into_boxed_str()));
}

/// Parses the inside of `${...}` (after `${`). Returns the token and the bytes used, including the `}`.
fn parse_var(s: &str) -> Result<(Tok, usize), VarError> {
    let Some(close) = s.find('}') else {
        return Err(VarError::MissingBrace);
    };
    let inner = &s[..close];
    // A `${` inside means the first one was never closed.
    if inner.contains("${") {
        return Err(VarError::MissingBrace);
    }
    match inner {
        "*" => return Ok((Tok::Lit("*".into()), close + 1)),
        "?" => return Ok((Tok::Lit("?".into()), close + 1)),
        "$" => return Ok((Tok::Lit("$".into()), close + 1)),
        "" => return Err(VarError::Empty),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        None => (inner, None),
        Some((k, d)) => {
            // The documented form is `${key, 'value'}`: comma, one space, single-quoted literal.
            let d = d.strip_prefix(' ').unwrap_or(d);
            let Some(v) = d.strip_prefix('\'').and_then(|d| d.strip_suffix('\'')) else {
                return Err(VarError::MissingQuote);
            };
            (k, Some(v))
        }
    };
    if key.is_empty() {
        return Err(VarError::Empty);
    }
    if key.contains(char::is_whitespace) {
        return Err(VarError::UnsupportedSpace);
    }
    Ok((
        Tok::Var {
            key: key.to_ascii_lowercase().into_boxed_str(),
            default: default.map(Into::into),
        },
        close + 1,
    ))
}

fn resolve<'a>(t: &'a Tok, r: &'a dyn Resolve) -> Option<&'a str> {
    match t {
        Tok::Lit(s) => Some(s),
        Tok::Var { key, default } => r.var(key).or(default.as_deref()),
        Tok::One | Tok::Many => Some(""),
    }
}

fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn starts_with(text: &[u8], lit: &[u8], fold: bool) -> bool {
    text.len() >= lit.len()
        && if fold {
            text[..lit.len()].eq_ignore_ascii_case(lit)
        } else {
            &text[..lit.len()] == lit
        }
}

/// The classic greedy wildcard algorithm, with whole literal runs compared at once. Backtracking to the last `*`
/// only is enough for `*`/`?` patterns, so the cost is O(len(text) × len(pattern)) in the worst case.
fn glob(toks: &[Tok], text: &[u8], fold: bool, r: &dyn Resolve) -> bool {
    let (mut ti, mut j) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None;
    loop {
        let advanced = match toks.get(ti) {
            None => {
                if j == text.len() {
                    return true;
                }
                false
            }
            Some(Tok::Many) => {
                if ti + 1 == toks.len() {
                    return true;
                }
                back = Some((ti + 1, j));
                ti += 1;
                true
            }
            Some(Tok::One) => {
                if j < text.len() {
                    j = (j + char_len(text[j])).min(text.len());
                    ti += 1;
                    true
                } else {
                    false
                }
            }
            Some(t) => {
                let lit = resolve(t, r).unwrap_or("").as_bytes();
                if starts_with(&text[j..], lit, fold) {
                    j += lit.len();
                    ti += 1;
                    true
                } else {
                    false
                }
            }
        };
        if advanced {
            continue;
        }
        match back {
            Some((bti, bj)) if bj < text.len() => {
                let nj = (bj + char_len(text[bj])).min(text.len());
                back = Some((bti, nj));
                ti = bti;
                j = nj;
            }
            _ => return false,
        }
    }
}

/// Splits an ARN-like string at its first five colons, without allocating.
pub(crate) fn arn_segments(s: &str) -> impl Iterator<Item = &str> {
    s.splitn(6, ':')
}

/// Like [`arn_segments`], but a colon inside `${...}` (as in `${aws:PrincipalAccount}`) does not split.
fn split_outside_vars(s: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(6);
    let (mut start, mut in_var) = (0, false);
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => in_var = true,
            b'}' => in_var = false,
            b':' if !in_var && out.len() < 5 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// A compiled resource or ARN pattern: `*`, or up to six colon-separated segments each matched on its own, the
/// last one covering the rest of the string (colons included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    Any,
    /// The usual shape: the first five segments are literal, so they match exactly when the text starts with
    /// them (colons included); only the resource part needs a glob. One prefix compare rejects most statements.
    Prefixed {
        prefix: Box<str>,
        rest: Pattern,
        /// See [`ArnPattern::for_resource_element`].
        type_wildcard: bool,
    },
    Segments {
        segs: Box<[Pattern]>,
        /// See [`ArnPattern::for_resource_element`].
        type_wildcard: bool,
    },
}

/// Whether a Resource entry has a wildcard in the resource-type word of its resource part: the text before the
/// first `/` or `:` after the fifth colon. A resource part that is only `*` is not a type word, and
/// `${...}` (variables, `${*}`) is not a wildcard. IAM User Guide, "IAM identifiers" and the ARN reference:
/// "You cannot use a wildcard in the portion of the ARN that specifies the resource type".
pub(crate) fn wildcard_in_resource_type(src: &str) -> bool {
    let Some(part) = split_outside_vars(src).get(5).copied() else {
        return false;
    };
    if part.bytes().all(|b| b == b'*') {
        return false;
    }
    let mut depth = false;
    for (i, b) in part.bytes().enumerate() {
        match b {
            b'{' if i > 0 && part.as_bytes()[i - 1] == b'$' => depth = true,
            b'}' => depth = false,
            b'/' | b':' if !depth => return false,
            b'*' | b'?' if !depth => return true,
            _ => {}
        }
    }
    false
}

/// Whether a resource ARN's resource part starts with a resource-type word (`user/`, `table/`, `function:`).
/// S3 (`bucket/key`) and API Gateway's `execute-api` (`api-id/stage/...`) start with a name, as do resource
/// parts without a `/` or `:` (an SNS topic, an SQS queue) and those starting with one (`/restapis/...`).
#[inline(never)] // Only flagged patterns reach it.
pub(crate) fn has_type_word(arn: &str) -> bool {
    let mut segs = arn_segments(arn);
    let service = segs.nth(2).unwrap_or("");
    let Some(part) = segs.nth(2) else {
        return false;
    };
    if matches!(service, "s3" | "execute-api") {
        return false;
    }
    part.find(['/', ':']).is_some_and(|i| i > 0)
}

/// Where an ARN pattern substitutes policy variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArnVars {
    /// Nowhere (2008-10-17 policies).
    None,
    /// Only after the fifth colon: the `Resource` element, as the doc says.
    ResourcePart,
    /// In every segment: values of the ARN condition operators (`arn:aws:sns:*:${aws:PrincipalAccount}:*`).
    Everywhere,
}

impl ArnPattern {
    pub(crate) fn compile(src: &str, vars: ArnVars) -> (ArnPattern, Option<VarError>) {
        if src == "*" {
            return (ArnPattern::Any, None);
        }
        let mut err = None;
        let mut segs = Vec::with_capacity(6);
        let segments = if vars == ArnVars::None {
            arn_segments(src).collect()
        } else {
            split_outside_vars(src)
        };
        for (i, seg) in segments.into_iter().enumerate() {
            let syn = Syntax {
                vars: vars == ArnVars::Everywhere || (vars == ArnVars::ResourcePart && i == 5),
                wildcards: true,
                lower: false,
            };
            let (p, e) = Pattern::compile(seg, syn);
            if let Some(e) = e {
                err.get_or_insert(e);
            }
            segs.push(p);
        }
        if let [a, b, c, d, e, rest] = &segs[..] {
            let lits: Option<Vec<&str>> = [a, b, c, d, e].iter().map(|p| p.as_literal()).collect();
            if let Some(lits) = lits {
                let mut prefix = lits.join(":");
                prefix.push(':');
                let pat = ArnPattern::Prefixed {
                    prefix: prefix.into_boxed_str(),
                    rest: rest.clone(),
                    type_wildcard: false,
                };
                return (pat, err);
            }
        }
        let pat = ArnPattern::Segments {
            segs: segs.into_boxed_slice(),
            type_wildcard: false,
        };
        (pat, err)
    }

    /// This pattern as a Resource element entry. When `src` has a wildcard in its resource-type word
    /// (`arn:aws:iam::1:us*r/bob`), the word is compared literally: the pattern then matches no resource that
    /// has a type word, only those of services whose resource part starts with a name (see [`has_type_word`]).
    pub(crate) fn for_resource_element(mut self, src: &str) -> ArnPattern {
        let flag = wildcard_in_resource_type(src);
        match &mut self {
            ArnPattern::Any => {}
            ArnPattern::Prefixed { type_wildcard, .. }
            | ArnPattern::Segments { type_wildcard, .. } => {
                *type_wildcard = flag;
            }
        }
        self
    }

    /// Text every match must start with, when the first five segments are literal.
    pub(crate) fn literal_head(&self) -> Option<String> {
        match self {
            ArnPattern::Prefixed { prefix, rest, .. } => {
                Some(format!("{prefix}{}", rest.literal_prefix().unwrap_or("")))
            }
            ArnPattern::Any | ArnPattern::Segments { .. } => None,
        }
    }

    /// Whether every variable in the pattern has a value for this request.
    pub(crate) fn resolves(&self, r: &dyn Resolve) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Prefixed { rest, .. } => rest.resolves(r),
            ArnPattern::Segments { segs, .. } => segs.iter().all(|p| p.resolves(r)),
        }
    }

    pub(crate) fn matches(&self, text: &str, r: &dyn Resolve) -> bool {
        let (segs, type_wildcard) = match self {
            ArnPattern::Any => return true,
            ArnPattern::Prefixed {
                prefix,
                rest,
                type_wildcard,
            } => {
                // The type-word check runs only after a match, and only for flagged patterns.
                return text
                    .strip_prefix(&**prefix)
                    .is_some_and(|tail| rest.glob(tail, false, r))
                    && !(*type_wildcard && has_type_word(text));
            }
            ArnPattern::Segments {
                segs,
                type_wildcard,
            } => (segs, *type_wildcard),
        };
        if type_wildcard && has_type_word(text) {
            return false;
        }
        let last = segs.len().saturating_sub(1);
        let mut rest = text;
        for (i, p) in segs.iter().enumerate() {
            if i == last {
                return p.glob(rest, false, r);
            }
            let Some((seg, tail)) = rest.split_once(':') else {
                return false;
            };
            if !p.glob(seg, false, r) {
                return false;
            }
            rest = tail;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOB: Syntax = Syntax {
        vars: false,
        wildcards: true,
        lower: false,
    };
    const VARS: Syntax = Syntax {
        vars: true,
        wildcards: true,
        lower: false,
    };

    struct Map(&'static [(&'static str, &'static str)]);
    impl Resolve for Map {
        fn var(&self, key: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
    }

    fn g(p: &str, t: &str) -> bool {
        Pattern::compile(p, GLOB).0.glob(t, false, &NoVars)
    }

    #[test]
    fn wildcards() {
        assert!(g("s3:Get*", "s3:GetObject"));
        assert!(g("*", ""));
        assert!(g("a*b*c", "aXXbYYc"));
        assert!(!g("a*b*c", "aXXbYY"));
        assert!(g("a?c", "abc"));
        assert!(g("a?c", "aéc"));
        assert!(!g("a?c", "ac"));
        assert!(g("*a*a*a*b", "aaaaaaaaab"));
        assert!(!g("*a*a*a*b", "aaaaaaaaaa"));
        assert!(g("", ""));
        assert!(!g("", "x"));
    }

    #[test]
    fn variables() {
        let r = Map(&[("aws:username", "Bob*")]);
        let (p, e) = Pattern::compile("home/${aws:username}/*", VARS);
        assert!(e.is_none());
        assert!(p.glob("home/Bob*/x", false, &r));
        // A value from a variable is literal: `Bob*` is not a glob (public-simulator case).
        assert!(!p.glob("home/Bobby/x", false, &r));
        let (p, _) = Pattern::compile("${aws:PrincipalTag/team, 'company-wide'}", VARS);
        assert!(p.equals("company-wide", false, &r));
        let (p, _) = Pattern::compile("a${*}b${?}${$}", VARS);
        assert_eq!(p.as_literal(), Some("a*b?$"));
        let (p, _) = Pattern::compile("${nope}", VARS);
        assert!(!p.glob("", false, &r));
        for (src, want) in [
            ("${aws:username", VarError::MissingBrace),
            ("${}", VarError::Empty),
            ("${aws: username}", VarError::UnsupportedSpace),
            ("${a, x}", VarError::MissingQuote),
        ] {
            assert_eq!(Pattern::compile(src, VARS).1, Some(want), "{src}");
        }
        // Without variable support the text is literal, but wildcards still work (2008-10-17).
        let (p, _) = Pattern::compile("${aws:username}*", GLOB);
        assert!(p.glob("${aws:username}/x", false, &NoVars));
        assert_eq!(p.source(), "${aws:username}*");
    }

    /// The obviously correct exponential definition, over characters.
    fn reference_glob(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| reference_glob(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && reference_glob(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && reference_glob(rest, &t[1..]),
        }
    }

    /// Per-segment ARN matching by definition: split both at the first five colons.
    fn reference_arn(p: &str, t: &str) -> bool {
        if p == "*" {
            return true;
        }
        let ps: Vec<&str> = p.splitn(6, ':').collect();
        let ts: Vec<&str> = t.splitn(ps.len(), ':').collect();
        ps.len() == ts.len()
            && ps.iter().zip(&ts).all(|(a, b)| {
                let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                reference_glob(&a, &b)
            })
    }

    proptest::proptest! {
        #[test]
        fn glob_agrees_with_reference(p in "[ab*?é]{0,8}", t in "[abé]{0,10}") {
            let pc: Vec<char> = p.chars().collect();
            let tc: Vec<char> = t.chars().collect();
            proptest::prop_assert_eq!(g(&p, &t), reference_glob(&pc, &tc));
        }

        #[test]
        fn case_folding_glob(p in "[aB*?]{0,6}", t in "[Ab]{0,8}") {
            let (lp, lt): (Vec<char>, Vec<char>) = (p.to_ascii_lowercase().chars().collect(), t.to_ascii_lowercase().chars().collect());
            let got = Pattern::compile(&p, GLOB).0.glob(&t, true, &NoVars);
            proptest::prop_assert_eq!(got, reference_glob(&lp, &lt));
        }

        #[test]
        fn var_aware_split_matches_plain_split_without_vars(p in "[a:/*]{0,16}") {
            proptest::prop_assert_eq!(split_outside_vars(&p), arn_segments(&p).collect::<Vec<_>>());
        }

        #[test]
        fn arn_agrees_with_reference(p in "[a:*?/]{0,12}", t in "[a:/]{0,14}") {
            let got = ArnPattern::compile(&p, ArnVars::None).0.matches(&t, &NoVars);
            proptest::prop_assert_eq!(got, reference_arn(&p, &t));
        }

        #[test]
        fn template_source_round_trips(p in "[a*?]{0,4}(\\$\\{[a-z:/]{1,6}\\})?[a*]{0,3}") {
            let (pat, err) = Pattern::compile(&p, VARS);
            proptest::prop_assert!(err.is_none());
            // `**` collapses to `*`, so compare compiled forms.
            proptest::prop_assert_eq!(Pattern::compile(&pat.source(), VARS).0, pat);
        }
    }

    #[test]
    fn resource_type_words_are_literal() {
        let m = |p: &str, t: &str| {
            ArnPattern::compile(p, ArnVars::ResourcePart)
                .0
                .for_resource_element(p)
                .matches(t, &NoVars)
        };
        let bob = "arn:aws:iam::111122223333:user/bob";
        // A wildcard in the type word matches nothing that has a type word.
        for p in [
            "arn:aws:iam::111122223333:us*r/bob",
            "arn:aws:iam::111122223333:u*",
            "arn:aws:iam::111122223333:*/bob",
            "arn:aws:iam::111122223333:?ser/*",
        ] {
            assert!(!m(p, bob), "{p}");
        }
        // Controls: a literal type word, or a resource part that is only `*`.
        for p in [
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::111122223333:*",
            "arn:aws:iam::*:user/b?b",
            "arn:aws:iam::111122223333:user/${*}*",
        ] {
            assert!(m(p, bob) || p.contains("${*}"), "{p}");
        }
        assert!(m(
            "arn:aws:logs:*:*:*",
            "arn:aws:logs:us-east-1:1:log-group:/aws/x:*"
        ));
        // Services whose resource part starts with a name keep their glob.
        assert!(m("arn:aws:s3:::my*/*", "arn:aws:s3:::mybucket/key"));
        assert!(m(
            "arn:aws:execute-api:*:*:*/prod/GET/*",
            "arn:aws:execute-api:us-east-1:1:a1b2c3/prod/GET/pets"
        ));
        assert!(m("arn:aws:sns:*:*:top*", "arn:aws:sns:us-east-1:1:topic"));
        assert!(!wildcard_in_resource_type(
            "arn:aws:iam::1:user/${aws:username}*"
        ));
        assert!(wildcard_in_resource_type("arn:aws:dynamodb:*:*:tab*/x"));
    }

    #[test]
    fn arn_segments_do_not_cross() {
        // Doc example, reference_policies_condition-operators.html#Conditions_ARN.
        let (p, _) = ArnPattern::compile(
            "arn:aws:someservice:*:111122223333:finance/*",
            ArnVars::ResourcePart,
        );
        assert!(!p.matches(
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            &NoVars
        ));
        assert!(p.matches(
            "arn:aws:someservice:us-east-2:111122223333:finance/a:b/c",
            &NoVars
        ));
        let (p, _) = ArnPattern::compile("arn:aws:s3:::b/*", ArnVars::ResourcePart);
        assert!(p.matches("arn:aws:s3:::b/x/y/z", &NoVars));
        assert!(!p.matches("arn:aws:s3:::c/x", &NoVars));
        assert!(!p.matches("*", &NoVars));
        assert!(ArnPattern::compile("*", ArnVars::ResourcePart)
            .0
            .matches("*", &NoVars));
    }
}
