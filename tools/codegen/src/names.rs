//! Identifier and pattern translation: model names to Rust names, Java
//! regexes to `regex`-crate syntax.

/// `UserName` -> `user_name`, `MFADevices` -> `mfa_devices`,
/// `SAMLProviderList` -> `saml_provider_list`, `Base32StringSeed` ->
/// `base32_string_seed`. A word boundary is a capital after a lower-case
/// letter or digit, or the last capital of an acronym that is followed by a
/// lower-case letter.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A struct field or method name: snake case, with a trailing `_` when the
/// result is a Rust keyword (`Type` -> `type_`).
pub fn field_name(name: &str) -> String {
    let s = snake_case(name);
    if KEYWORDS.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// A type name: the shape name with its first letter upper-cased.
pub fn type_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut chars = cleaned.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => "Unnamed".to_string(),
    }
}

/// `SCREAMING_SNAKE` for statics.
pub fn screaming(name: &str) -> String {
    snake_case(name).to_ascii_uppercase()
}

/// The member path AWS prints in validation messages: the member name with
/// its first character lower-cased (`SAMLMetadataDocument` ->
/// `sAMLMetadataDocument`).
pub fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Translates a model (Java) pattern to the `regex` crate, anchored at both
/// ends because AWS matches the whole value (`String.matches`):
/// `\uXXXX` becomes `\x{XXXX}` (Java reads exactly four hex digits), and
/// `\w` / `\d` become their ASCII classes, as in Java without
/// `UNICODE_CHARACTER_CLASS`.
pub fn translate_pattern(java: &str) -> String {
    // The one look-ahead in the models, `-(?!-)` ("a hyphen not followed by
    // another"), is not supported by the regex crate; it is matched as a
    // plain `-` here and the "no `--`" half is enforced separately (see
    // [`pattern_forbids`]).
    let java = java.replace("-(?!-)", "-");
    let chars: Vec<char> = java.chars().collect();
    let mut out = String::from("^(?:");
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                match n {
                    'u' if hex4(&chars[i + 2..]).is_some() => {
                        let hex: String = chars[i + 2..i + 6].iter().collect();
                        out.push_str(&format!("\\x{{{hex}}}"));
                        i += 6;
                        continue;
                    }
                    'w' => out.push_str(if in_class {
                        "0-9A-Za-z_"
                    } else {
                        "[0-9A-Za-z_]"
                    }),
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                i += 2;
                continue;
            }
            '[' => {
                if in_class {
                    // A literal `[` inside a class must be escaped for the
                    // regex crate, which reads `[` as a nested class.
                    out.push_str("\\[");
                } else {
                    in_class = true;
                    out.push('[');
                    // A `]` or `^]` right after the opening bracket is literal.
                    if chars.get(i + 1) == Some(&'^') {
                        out.push('^');
                        i += 1;
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out.push_str(")$");
    out
}

/// A substring the pattern forbids that the translated regex cannot express.
pub fn pattern_forbids(java: &str) -> Option<&'static str> {
    java.contains("-(?!-)").then_some("--")
}

fn hex4(chars: &[char]) -> Option<()> {
    if chars.len() >= 4 && chars[..4].iter().all(char::is_ascii_hexdigit) {
        Some(())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases_like_the_brief() {
        assert_eq!(snake_case("UserName"), "user_name");
        assert_eq!(snake_case("MFADevices"), "mfa_devices");
        assert_eq!(snake_case("SAMLProviderList"), "saml_provider_list");
        assert_eq!(snake_case("QRCodePNG"), "qr_code_png");
        assert_eq!(snake_case("Base32StringSeed"), "base32_string_seed");
        assert_eq!(
            snake_case("OpenIDConnectProviderArn"),
            "open_id_connect_provider_arn"
        );
        assert_eq!(snake_case("userNameType"), "user_name_type");
        assert_eq!(field_name("Type"), "type_");
    }

    #[test]
    fn translates_java_patterns() {
        assert_eq!(
            translate_pattern(r"[\w+=,.@-]+"),
            r"^(?:[0-9A-Za-z_+=,.@-]+)$"
        );
        assert_eq!(
            translate_pattern(r"[\u0009\u000A]+"),
            r"^(?:[\x{0009}\x{000A}]+)$"
        );
        assert_eq!(translate_pattern(r"\d{12}"), r"^(?:[0-9]{12})$");
    }
}
