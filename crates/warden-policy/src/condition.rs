//! Condition operators: names, value parsing, compiled form and evaluation.
//!
//! Semantics follow `reference_policies_condition-operators` and the absent-key / empty-set table of the
//! reference (§1.5): AND across entries, OR across values, NOR across values of negated operators.

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;

use crate::context::{RequestContext, Values};
use crate::document::Version;
use crate::pattern::{ArnPattern, ArnVars, Pattern, Syntax, VarError};

/// The family of an operator, which fixes the data type of its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// String operators.
    String,
    /// Numeric operators.
    Numeric,
    /// Date operators.
    Date,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    Binary,
    /// `IpAddress` / `NotIpAddress`.
    Ip,
    /// ARN operators.
    Arn,
    /// `Null`.
    Null,
}

macro_rules! base_ops {
    ($($name:ident => $family:ident, $negated:expr;)*) => {
        /// A condition operator without qualifier or `IfExists`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[expect(missing_docs, reason = "each variant is named after the policy operator it stands for")]
        pub enum BaseOp { $($name,)* }

        impl BaseOp {
            /// Every operator.
            pub const ALL: &'static [BaseOp] = &[$(BaseOp::$name,)*];

            /// The policy spelling.
            pub fn name(self) -> &'static str {
                match self { $(BaseOp::$name => stringify!($name),)* }
            }

            /// The data type family.
            pub fn family(self) -> Family {
                match self { $(BaseOp::$name => Family::$family,)* }
            }

            /// True for the "Not" operators, whose values are NORed and which hold when the key is absent.
            pub fn negated(self) -> bool {
                match self { $(BaseOp::$name => $negated,)* }
            }
        }
    };
}

base_ops! {
    StringEquals => String, false;
    StringNotEquals => String, true;
    StringEqualsIgnoreCase => String, false;
    StringNotEqualsIgnoreCase => String, true;
    StringLike => String, false;
    StringNotLike => String, true;
    NumericEquals => Numeric, false;
    NumericNotEquals => Numeric, true;
    NumericLessThan => Numeric, false;
    NumericLessThanEquals => Numeric, false;
    NumericGreaterThan => Numeric, false;
    NumericGreaterThanEquals => Numeric, false;
    DateEquals => Date, false;
    DateNotEquals => Date, true;
    DateLessThan => Date, false;
    DateLessThanEquals => Date, false;
    DateGreaterThan => Date, false;
    DateGreaterThanEquals => Date, false;
    Bool => Bool, false;
    BinaryEquals => Binary, false;
    IpAddress => Ip, false;
    NotIpAddress => Ip, true;
    ArnEquals => Arn, false;
    ArnLike => Arn, false;
    ArnNotEquals => Arn, true;
    ArnNotLike => Arn, true;
    Null => Null, false;
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// Every request value must match.
    ForAllValues,
    /// At least one request value must match.
    ForAnyValue,
}

/// A full operator: qualifier, base operator, `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operator {
    /// `ForAllValues:` / `ForAnyValue:`.
    pub qualifier: Option<SetQualifier>,
    /// The operator proper.
    pub base: BaseOp,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name. Names are matched case-insensitively (see the README's decisions).
    pub fn parse(s: &str) -> Option<Operator> {
        let (qualifier, rest) = match s.split_once(':') {
            Some((q, rest)) if q.eq_ignore_ascii_case("ForAllValues") => {
                (Some(SetQualifier::ForAllValues), rest)
            }
            Some((q, rest)) if q.eq_ignore_ascii_case("ForAnyValue") => {
                (Some(SetQualifier::ForAnyValue), rest)
            }
            Some(_) => return None,
            None => (None, s),
        };
        let (name, if_exists) = match rest.len().checked_sub(8) {
            Some(i) if rest.is_char_boundary(i) && rest[i..].eq_ignore_ascii_case("IfExists") => {
                (&rest[..i], true)
            }
            _ => (rest, false),
        };
        let base = BaseOp::ALL
            .iter()
            .copied()
            .find(|b| b.name().eq_ignore_ascii_case(name))?;
        Some(Operator {
            qualifier,
            base,
            if_exists,
        })
    }
}

/// Parses a Numeric value: decimal integers and fractions (with optional exponent). NaN and infinities are
/// not numbers here.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses a Date value to milliseconds since the epoch: epoch seconds (optionally fractional), or the W3C
/// profile of ISO 8601 (`YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s+]][Z|±hh:mm]`; no zone means UTC).
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && !(b.len() >= 10 && b[4] == b'-')
    {
        let v: f64 = s.parse().ok()?;
        if !v.is_finite() || v.abs() > 1e14 {
            return None;
        }
        return Some((v * 1000.0).round() as i64);
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&mo) {
        return None;
    }
    if d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    if b.len() == 10 {
        return Some(ms);
    }
    if !matches!(b.get(10), Some(b'T' | b't')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    if h > 23 || mi > 59 {
        return None;
    }
    ms += (h * 3600 + mi * 60) * 1000;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let sec = num(17..19)?;
        if sec > 60 {
            return None;
        }
        ms += sec * 1000;
        i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            let mut frac = 0i64;
            let mut scale = 100;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                frac += i64::from(c - b'0') * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return None;
            }
            ms += frac;
        }
    }
    match b.get(i) {
        None => Some(ms),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(ms),
        Some(sign @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = if b.len() == i + 3 {
                0
            } else if b.get(i + 3) == Some(&b':') && b.len() == i + 6 {
                num(i + 4..i + 6)?
            } else if b.len() == i + 5 {
                num(i + 3..i + 5)?
            } else {
                return None;
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh * 60 + om) * 60_000;
            Some(if *sign == b'+' { ms - off } else { ms + off })
        }
        _ => None,
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses an IpAddress value: a CIDR block, or a bare address meaning /32 or /128.
pub(crate) fn parse_ip(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Parses a Bool value (`true`/`false`, any case).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Normalises a base64 value to standard padded base64, or `None` when it is not base64.
pub(crate) fn parse_binary(s: &str) -> Option<Box<str>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
        .ok()?;
    Some(
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into_boxed_str(),
    )
}

/// Compiled policy values. `None` marks a value of the wrong type: it never matches.
#[derive(Debug, Clone)]
enum PolicyValues {
    Str(Box<[Pattern]>),
    Num(Box<[Option<f64>]>),
    Date(Box<[Option<i64>]>),
    Bool(Box<[Option<bool>]>),
    Bin(Box<[Option<Box<str>>]>),
    Ip(Box<[Option<IpNet>]>),
    Arn(Box<[ArnPattern]>),
}

/// One compiled `Operator: {Key: values}` entry.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCondition {
    op: Operator,
    /// Lower-cased: key names are case-insensitive.
    key: Box<str>,
    values: PolicyValues,
}

/// Whether a variable may appear in the values of this family. Open question 4: the variables page (no) wins over
/// the operators page (yes) for `Bool`, so `Bool` values are literal.
pub(crate) fn family_allows_vars(f: Family) -> bool {
    matches!(f, Family::String | Family::Arn)
}

impl CompiledCondition {
    /// Compiles one entry, reporting the first malformed policy variable.
    pub(crate) fn compile(
        op: Operator,
        key: &str,
        values: &[String],
        version: Version,
    ) -> (CompiledCondition, Option<VarError>) {
        let vars = version == Version::V2012_10_17 && family_allows_vars(op.base.family());
        let mut err = None;
        let mut note = |e: Option<VarError>| {
            if let Some(e) = e {
                err.get_or_insert(e);
            }
        };
        let compiled = match op.base.family() {
            Family::String => {
                let like = matches!(op.base, BaseOp::StringLike | BaseOp::StringNotLike);
                let syn = Syntax {
                    vars,
                    wildcards: like,
                    lower: false,
                };
                PolicyValues::Str(
                    values
                        .iter()
                        .map(|v| {
                            let (p, e) = Pattern::compile(v, syn);
                            note(e);
                            p
                        })
                        .collect(),
                )
            }
            Family::Arn => PolicyValues::Arn(
                values
                    .iter()
                    .map(|v| {
                        let scope = if vars {
                            ArnVars::Everywhere
                        } else {
                            ArnVars::None
                        };
                        let (p, e) = ArnPattern::compile(v, scope);
                        note(e);
                        p
                    })
                    .collect(),
            ),
            Family::Numeric => PolicyValues::Num(values.iter().map(|v| parse_number(v)).collect()),
            Family::Date => PolicyValues::Date(values.iter().map(|v| parse_date(v)).collect()),
            Family::Bool | Family::Null => {
                PolicyValues::Bool(values.iter().map(|v| parse_bool(v)).collect())
            }
            Family::Binary => PolicyValues::Bin(values.iter().map(|v| parse_binary(v)).collect()),
            Family::Ip => PolicyValues::Ip(values.iter().map(|v| parse_ip(v)).collect()),
        };
        (
            CompiledCondition {
                op,
                key: key.to_ascii_lowercase().into_boxed_str(),
                values: compiled,
            },
            err,
        )
    }

    /// Evaluates the entry against the request.
    pub(crate) fn eval(&self, ctx: &RequestContext) -> bool {
        let op = self.op;
        let found = ctx.values(&self.key);
        if op.base == BaseOp::Null {
            // `"true"` means "the key is absent"; values are ORed.
            let absent = found.is_none();
            return match &self.values {
                PolicyValues::Bool(vs) => vs.contains(&Some(absent)),
                _ => false,
            };
        }
        let Some(found) = found else {
            // Some value of no values never matches, and IfExists does not change that: AWS denied
            // sqs:ListQueues under an Allow with `ForAnyValue:StringEqualsIfExists` on the absent aws:TagKeys
            // (re:Post QU9HFmDzP0QGuU-fd7rS6B7w, "ForAnyValue:StringEqualsIfExists behaving unexpectedly"); the
            // condition-keys page: ForAnyValue on a missing key is false.
            if op.if_exists && op.qualifier != Some(SetQualifier::ForAnyValue) {
                return true;
            }
            return match op.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => op.base.negated(),
            };
        };
        match (op.qualifier, found) {
            // Open question 2: a plain operator on a multivalued key is false, negated or not.
            (None, Values::Many(_)) => false,
            (None, Values::One(v)) => self.test_value(v, ctx),
            (Some(q), found) => {
                let set: &[String] = match found {
                    Values::Many(list) => list,
                    Values::One("") => &[],
                    Values::One(v) => return self.test_value(v, ctx),
                };
                match q {
                    SetQualifier::ForAllValues => set.iter().all(|v| self.test_value(v, ctx)),
                    SetQualifier::ForAnyValue => set.iter().any(|v| self.test_value(v, ctx)),
                }
            }
        }
    }

    /// One request value against all policy values: OR for positive operators, NOR for negated ones.
    fn test_value(&self, v: &str, ctx: &RequestContext) -> bool {
        let any = self.any_value_matches(v, ctx);
        if self.op.base.negated() {
            !any
        } else {
            any
        }
    }

    /// Does `v` match some policy value under the positive form of the operator?
    fn any_value_matches(&self, v: &str, ctx: &RequestContext) -> bool {
        use BaseOp as B;
        match &self.values {
            PolicyValues::Str(ps) => match self.op.base {
                B::StringLike | B::StringNotLike => ps.iter().any(|p| p.glob(v, false, ctx)),
                B::StringEqualsIgnoreCase | B::StringNotEqualsIgnoreCase => {
                    ps.iter().any(|p| p.equals(v, true, ctx))
                }
                _ => ps.iter().any(|p| p.equals(v, false, ctx)),
            },
            PolicyValues::Arn(ps) => ps.iter().any(|p| p.matches(v, ctx)),
            PolicyValues::Num(ps) => {
                let Some(x) = parse_number(v) else {
                    return false;
                };
                ps.iter().flatten().any(|p| ordered(self.op.base, x, *p))
            }
            PolicyValues::Date(ps) => {
                let Some(x) = parse_date(v) else {
                    return false;
                };
                ps.iter().flatten().any(|p| ordered(self.op.base, x, *p))
            }
            PolicyValues::Bool(ps) => {
                let Some(x) = parse_bool(v) else {
                    return false;
                };
                ps.contains(&Some(x))
            }
            PolicyValues::Bin(ps) => ps.iter().flatten().any(|p| {
                // Request values are base64 too; compare ignoring padding rather than decoding (no allocation).
                p.trim_end_matches('=') == v.trim_end_matches('=')
            }),
            PolicyValues::Ip(ps) => {
                let Ok(ip) = v.parse::<IpAddr>() else {
                    return false;
                };
                ps.iter().flatten().any(|net| net.contains(&ip))
            }
        }
    }
}

/// The comparison of a Numeric or Date operator, `x` from the request and `p` from the policy.
fn ordered<T: PartialOrd>(op: BaseOp, x: T, p: T) -> bool {
    use BaseOp as B;
    match op {
        B::NumericLessThan | B::DateLessThan => x < p,
        B::NumericLessThanEquals | B::DateLessThanEquals => x <= p,
        B::NumericGreaterThan | B::DateGreaterThan => x > p,
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => x >= p,
        // Equals and the negated NotEquals (negation is applied by the caller).
        _ => x == p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAllValues:StringLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAllValues));
        assert_eq!(op.base, BaseOp::StringLike);
        assert!(op.if_exists);
        assert_eq!(Operator::parse("NullIfExists").unwrap().base, BaseOp::Null);
        assert!(Operator::parse("StringEqualz").is_none());
        assert!(Operator::parse("ForSomeValues:StringEquals").is_none());
        assert!(Operator::parse("IfExists").is_none());
        assert_eq!(BaseOp::ALL.len(), 27);
    }

    #[test]
    fn dates() {
        // Formats from reference_policies_elements_condition_operators.html#Conditions_Date.
        assert_eq!(parse_date("2020-01-01"), Some(1_577_836_800_000));
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(1_577_836_800_000));
        assert_eq!(
            parse_date("2020-01-01T01:00:00+01:00"),
            Some(1_577_836_800_000)
        );
        assert_eq!(
            parse_date("2020-01-01T00:00:00.5Z"),
            Some(1_577_836_800_500)
        );
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800_000));
        assert_eq!(parse_date("2019-02-29"), None);
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2020-01-01T00:00:00Q"), None);
    }

    #[test]
    fn scalars() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("1.5e2"), Some(150.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert!(parse_ip("203.0.113.0/24").is_some());
        assert!(parse_ip("2001:DB8:1234:5678::/64").is_some());
        assert_eq!(parse_ip("203.0.113.7").map(|n| n.prefix_len()), Some(32));
        assert!(parse_ip("10.0.0.0/33").is_none());
        assert_eq!(
            parse_binary("QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
            parse_binary("QmluYXJ5VmFsdWVJbkJhc2U2NA")
        );
        assert!(parse_binary("not base64!").is_none());
    }
}
