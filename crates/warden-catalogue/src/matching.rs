//! Text matching on catalogue names: action globs, condition-key templates, ARN formats against ARN
//! patterns, and edit distance for suggestions. All byte-wise and ASCII-case-insensitive: AWS's names
//! (service prefixes, actions, condition keys) are ASCII and case-insensitive.

/// One token of a glob: a literal byte (lower-cased), one byte, or any run of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    One,
    Star,
}

/// Tokens of a policy-style glob (`*` any run, `?` one byte).
fn glob_tokens(pattern: &str) -> Vec<Tok> {
    pattern
        .bytes()
        .map(|b| match b {
            b'*' => Tok::Star,
            b'?' => Tok::One,
            _ => Tok::Lit(b.to_ascii_lowercase()),
        })
        .collect()
}

/// The end of a placeholder starting at `i` (`${...}` or `<...>`), if one starts there.
fn placeholder_end(b: &[u8], i: usize) -> Option<usize> {
    let close = match (b.get(i), b.get(i + 1)) {
        (Some(b'$'), Some(b'{')) => b'}',
        (Some(b'<'), _) => b'>',
        _ => return None,
    };
    let start = if close == b'}' { i + 2 } else { i + 1 };
    let len = b.get(start..)?.iter().position(|&c| c == close)?;
    // `<>` and `${}` are not placeholders.
    (len > 0).then_some(start + len + 1)
}

/// Tokens of a catalogue template: each placeholder (`${TagKey}`, `<key>`) is one or more bytes.
fn template_tokens(template: &str) -> Vec<Tok> {
    let b = template.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = placeholder_end(b, i) {
            out.extend([Tok::One, Tok::Star]);
            i = end;
        } else {
            out.push(Tok::Lit(b[i].to_ascii_lowercase()));
            i += 1;
        }
    }
    out
}

/// Whether `text` matches `toks` (ASCII case-insensitively). The classic wildcard walk: on a mismatch,
/// retry from the last `*` one byte further on; linear for one `*`, quadratic at worst.
fn tokens_match(toks: &[Tok], text: &[u8]) -> bool {
    let (mut t, mut s) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match toks.get(t) {
            Some(Tok::Lit(c)) if *c == text[s].to_ascii_lowercase() => {
                t += 1;
                s += 1;
            }
            Some(Tok::One) => {
                t += 1;
                s += 1;
            }
            Some(Tok::Star) => {
                star = Some((t, s));
                t += 1;
            }
            _ => match star {
                Some((st, ss)) => {
                    t = st + 1;
                    s = ss + 1;
                    star = Some((st, ss + 1));
                }
                None => return false,
            },
        }
    }
    toks[t.min(toks.len())..].iter().all(|k| *k == Tok::Star)
}

/// Whether `text` matches the policy glob `pattern` (`*`, `?`), ASCII case-insensitively, as action
/// names are matched.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern.eq_ignore_ascii_case(text);
    }
    tokens_match(&glob_tokens(pattern), text.as_bytes())
}

/// Whether the condition key `key`, as written in a policy, is an instance of the catalogue key
/// `template` (ASCII case-insensitively). A placeholder in the template (`${TagKey}` in
/// `aws:RequestTag/${TagKey}`, `<key>` in `s3:ExistingObjectTag/<key>`) stands for one or more
/// characters: `aws:RequestTag/team` and `kms:EncryptionContext:Department` match, `aws:RequestTag/`
/// does not.
pub fn condition_key_matches(template: &str, key: &str) -> bool {
    if !has_placeholder(template) {
        return template.eq_ignore_ascii_case(key);
    }
    tokens_match(&template_tokens(template), key.as_bytes())
}

/// Whether a catalogue name holds a placeholder (`${...}` or `<...>`).
pub(crate) fn has_placeholder(name: &str) -> bool {
    let b = name.as_bytes();
    (0..b.len()).any(|i| placeholder_end(b, i).is_some())
}

/// A token of an ARN, for intersecting an ARN pattern with an ARN format: a literal byte (lower-cased),
/// one byte, or any run of bytes; `slash` says whether the byte(s) may be `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArnTok {
    Lit(u8),
    One { slash: bool },
    Star { slash: bool },
}

/// Placeholders of ARN formats that never hold a `/`. S3 bucket names are lower-case letters, digits,
/// dots and hyphens (S3 User Guide, "Bucket naming rules"), so `arn:aws:s3:::b/*` is an object ARN and
/// never a bucket ARN; every other placeholder may hold any text (IAM names with paths, S3 object keys,
/// Lambda qualifiers hold `/` or `:`).
const NO_SLASH_PLACEHOLDERS: &[&str] = &["BucketName"];

/// Splits an ARN (pattern or format) into its six segments (`arn`, partition, service, region, account,
/// resource), tokenised. The first five colons split, as AWS matches resources; a colon inside a
/// placeholder or policy variable does not. `None` when there are fewer than six segments.
fn arn_segments(arn: &str, format: bool) -> Option<Vec<Vec<ArnTok>>> {
    let b = arn.as_bytes();
    let mut segs: Vec<Vec<ArnTok>> = vec![Vec::new()];
    let mut i = 0;
    while i < b.len() {
        if let Some(end) = placeholder_end(b, i).filter(|_| b[i] == b'$') {
            let seg = segs.last_mut()?;
            if format {
                let name = arn.get(i + 2..end - 1).unwrap_or("");
                let slash = !NO_SLASH_PLACEHOLDERS.contains(&name);
                seg.extend([ArnTok::One { slash }, ArnTok::Star { slash }]);
            } else {
                // A policy variable (`${aws:username}`) or escape (`${*}`): its value is unknown here, so
                // it may be anything.
                seg.push(ArnTok::Star { slash: true });
            }
            i = end;
            continue;
        }
        let c = b[i];
        if c == b':' && segs.len() < 6 {
            segs.push(Vec::new());
        } else {
            let tok = match c {
                b'*' if !format => ArnTok::Star { slash: true },
                b'?' if !format => ArnTok::One { slash: true },
                _ => ArnTok::Lit(c.to_ascii_lowercase()),
            };
            segs.last_mut()?.push(tok);
        }
        i += 1;
    }
    if segs.len() != 6 {
        return None;
    }
    // Resources AWS owns have no account in their ARN (public SSM documents and parameters,
    // `arn:aws:ssm:us-east-1::document/AWS-RunShellScript`), so an account placeholder may be empty.
    if format && matches!(segs[4][..], [ArnTok::One { .. }, ArnTok::Star { .. }]) {
        segs[4] = vec![ArnTok::Star { slash: true }];
    }
    Some(segs)
}

/// Whether some text matches both token strings (the two languages intersect): a search over pairs of
/// positions, `*` being a loop that may also be skipped. At most `(a+1)(b+1)` states.
fn intersect(a: &[ArnTok], b: &[ArnTok]) -> bool {
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let idx = i * width + j;
        if seen[idx] {
            continue;
        }
        seen[idx] = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        // Skip a star (it matched nothing more).
        if let Some(ArnTok::Star { .. }) = a.get(i) {
            stack.push((i + 1, j));
        }
        if let Some(ArnTok::Star { .. }) = b.get(j) {
            stack.push((i, j + 1));
        }
        // Consume one byte on both sides.
        let (Some(&ta), Some(&tb)) = (a.get(i), b.get(j)) else {
            continue;
        };
        let one_byte = match (ta, tb) {
            (ArnTok::Lit(x), ArnTok::Lit(y)) => x == y,
            (ArnTok::Lit(x), ArnTok::One { slash } | ArnTok::Star { slash })
            | (ArnTok::One { slash } | ArnTok::Star { slash }, ArnTok::Lit(x)) => {
                slash || x != b'/'
            }
            // Two wildcards always share some byte (any letter).
            _ => true,
        };
        if one_byte {
            let ni = if matches!(ta, ArnTok::Star { .. }) {
                i
            } else {
                i + 1
            };
            let nj = if matches!(tb, ArnTok::Star { .. }) {
                j
            } else {
                j + 1
            };
            stack.push((ni, nj));
        }
    }
    false
}

/// Whether a resource ARN, or an ARN pattern as written in a policy's `Resource` (`*` and `?`
/// wildcards; policy variables such as `${aws:username}` may stand for anything), can name a resource
/// of the given ARN format (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`), whose placeholders
/// stand for any non-empty text (a `${BucketName}` never holds a `/`), except that the account may be
/// empty (resources AWS owns, such as public SSM documents, have none). `format` is one format; a
/// [`crate::ResourceType`] may have several.
///
/// The ARN is cut into its six segments at the first five colons, as AWS matches resources: wildcards
/// in the first five segments stay within their segment, wildcards in the resource part may span `/`
/// and `:`. Comparison is ASCII case-insensitive, so it errs on the side of "can match".
/// An ARN without six segments matches no format; `"*"` alone is not an ARN (it matches every resource,
/// and callers handle it before asking).
pub fn arn_matches_format(arn: &str, format: &str) -> bool {
    let (Some(p), Some(f)) = (arn_segments(arn, false), arn_segments(format, true)) else {
        return false;
    };
    p.iter().zip(&f).all(|(a, b)| intersect(a, b))
}

/// The optimal-string-alignment edit distance (insertions, deletions, substitutions and swaps of two
/// neighbours each cost 1) between two names, ASCII case-insensitively.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<u8> = a.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<u8> = b.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The closest of `names` to `wanted` when it is close enough to be a likely misspelling: at most
/// `1 + len/5` edits (capped at 3), and never the name itself. Ties go to the first in `names`' order.
pub(crate) fn nearest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (1 + wanted.len() / 5).min(3);
    let mut best: Option<(usize, &'a str)> = None;
    for n in names {
        // The distance is at least the difference in length.
        if n.len().abs_diff(wanted.len()) > limit {
            continue;
        }
        let d = edit_distance(wanted, n);
        if d > 0 && d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, n));
        }
    }
    best.map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_are_case_insensitive_with_star_and_question_mark() {
        assert!(glob_matches("Get*", "GetObject"));
        assert!(glob_matches("get*", "GetObject"));
        assert!(glob_matches("*Object", "getobject"));
        assert!(glob_matches("Get?bject", "GetObject"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("G*t*j*t", "GetObject"));
        assert!(!glob_matches("Get?", "GetObject"));
        assert!(!glob_matches("Put*", "GetObject"));
        assert!(glob_matches("GetObject", "GETOBJECT"));
        assert!(!glob_matches("GetObject", "GetObjects"));
    }

    #[test]
    fn condition_key_templates_need_a_non_empty_placeholder() {
        assert!(condition_key_matches(
            "aws:RequestTag/${TagKey}",
            "aws:requesttag/Team"
        ));
        assert!(condition_key_matches(
            "s3:ExistingObjectTag/<key>",
            "s3:ExistingObjectTag/a/b"
        ));
        assert!(condition_key_matches(
            "kms:EncryptionContext:${EncryptionContextKey}",
            "kms:EncryptionContext:aws:s3:arn"
        ));
        assert!(condition_key_matches(
            "codebuild:secondarySources/${sourceIdentifier}.buildspec",
            "codebuild:secondarySources/src1.buildspec"
        ));
        assert!(!condition_key_matches(
            "aws:RequestTag/${TagKey}",
            "aws:RequestTag/"
        ));
        assert!(!condition_key_matches(
            "aws:RequestTag/${TagKey}",
            "aws:RequestTag"
        ));
        assert!(condition_key_matches("aws:SourceIp", "AWS:SOURCEIP"));
        assert!(!condition_key_matches("aws:SourceIp", "aws:SourceIps"));
    }

    #[test]
    fn arn_patterns_against_formats() {
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        assert!(arn_matches_format("arn:aws:s3:::my-bucket", bucket));
        assert!(!arn_matches_format("arn:aws:s3:::my-bucket", object));
        assert!(arn_matches_format("arn:aws:s3:::my-bucket/*", object));
        assert!(!arn_matches_format("arn:aws:s3:::my-bucket/*", bucket));
        assert!(arn_matches_format("arn:aws:s3:::*", bucket));
        assert!(arn_matches_format("arn:aws:s3:::*", object));
        assert!(arn_matches_format("arn:*:s3:::b/${aws:username}/*", object));
        assert!(arn_matches_format("arn:aws:s3:::my-bucket/a:b", object));
        // An empty placeholder is not a name.
        assert!(!arn_matches_format("arn:aws:s3:::", bucket));
        // A wildcard in a header segment stays within it.
        assert!(!arn_matches_format("arn:aws:s3:*", bucket));
        assert!(!arn_matches_format("arn:aws:s3:us-east-1::b", bucket));
        let role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        assert!(arn_matches_format(
            "arn:aws:iam::123456789012:role/a/b/c",
            role
        ));
        assert!(arn_matches_format("arn:aws:iam::*:role/*", role));
        assert!(arn_matches_format(
            "arn:aws:iam::123456789012:role/${aws:username}",
            role
        ));
        assert!(!arn_matches_format(
            "arn:aws:iam::123456789012:user/bob",
            role
        ));
        assert!(!arn_matches_format(
            "arn:aws:kms:us-east-1:123456789012:key/1",
            role
        ));
        assert!(arn_matches_format("arn:aws:*:*:*:*", role));
        assert!(arn_matches_format("arn:aws:iam::123456789012:ro?e/x", role));
        let function = "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}";
        assert!(arn_matches_format(
            "arn:aws:lambda:us-east-1:1:function:f:PROD",
            function
        ));
        assert!(arn_matches_format(
            "arn:aws:lambda:*:*:function:*",
            function
        ));
        assert!(!arn_matches_format(
            "arn:aws:lambda:us-east-1:1:layer:f",
            function
        ));
        assert!(!arn_matches_format("*", function));
        let document = "arn:${Partition}:ssm:${Region}:${Account}:document/${DocumentName}";
        assert!(arn_matches_format(
            "arn:aws:ssm:*::document/AWS-RunShellScript",
            document
        ));
        assert!(arn_matches_format(
            "arn:aws:ssm:us-east-1:123456789012:document/x",
            document
        ));
        assert!(!arn_matches_format("arn:aws:ssm:::document/x", document));
        assert!(!arn_matches_format("arn:aws:s3", bucket));
    }

    #[test]
    fn edit_distance_counts_swaps_once() {
        assert_eq!(edit_distance("GetObjct", "GetObject"), 1);
        assert_eq!(edit_distance("GetObejct", "GetObject"), 1);
        assert_eq!(edit_distance("getobject", "GetObject"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn nearest_name_is_close_and_not_itself() {
        let names = ["GetObject", "GetObjectAcl", "PutObject"];
        assert_eq!(nearest("GetObjct", names.into_iter()), Some("GetObject"));
        // A name is never its own suggestion (callers ask only for names they did not find).
        assert_eq!(nearest("GetObject", names.into_iter()), Some("PutObject"));
        assert_eq!(nearest("Frobnicate", names.into_iter()), None);
    }
}
