//! RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits), as AWS virtual MFA
//! devices use, and RFC 4648 base32 for their `Base32StringSeed`.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// TOTP time step, seconds.
pub const TOTP_STEP_SECS: i64 = 30;
/// Digits per code.
pub const TOTP_DIGITS: u32 = 6;
/// How many steps back a pair of codes may be when enabling or resyncing a
/// device: the device clock may have drifted (that is what resync is for).
/// 10 steps is five minutes.
pub const TWO_CODES_LOOKBACK_STEPS: u64 = 10;
/// How many steps ahead a pair may be (a device clock slightly fast).
pub const TWO_CODES_LOOKAHEAD_STEPS: u64 = 1;

/// RFC 4226 HOTP value with `digits` digits.
fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        // HMAC takes keys of any length; unreachable.
        return u32::MAX;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The time step containing `unix_time` (times before 1970 count as step 0).
pub fn totp_step(unix_time: i64) -> u64 {
    u64::try_from(unix_time.max(0) / TOTP_STEP_SECS).unwrap_or(0)
}

/// The 6-digit code at `unix_time`.
pub fn totp_at(secret: &[u8], unix_time: i64) -> u32 {
    hotp(secret, totp_step(unix_time), TOTP_DIGITS)
}

/// The code for one time step.
pub fn totp_for_step(secret: &[u8], step: u64) -> u32 {
    hotp(secret, step, TOTP_DIGITS)
}

/// A user-typed code: exactly six ASCII digits (leading zeros count).
fn parse_code(code: &str) -> Option<u32> {
    let code = code.trim();
    if code.len() != TOTP_DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    code.parse().ok()
}

fn code_eq(a: u32, b: u32) -> bool {
    super::ct_eq(&a.to_be_bytes(), &b.to_be_bytes())
}

/// Whether `code` is valid at `now`, within `window` steps either way.
/// Every step in the window is computed, so timing does not tell which one
/// matched.
pub fn verify_code(secret: &[u8], code: &str, now: i64, window: u32) -> bool {
    verify_code_step(secret, code, now, window).is_some()
}

/// Like [`verify_code`], returning the matching step so the caller can refuse
/// a code that was already used (replay).
pub fn verify_code_step(secret: &[u8], code: &str, now: i64, window: u32) -> Option<u64> {
    let code = parse_code(code)?;
    let now_step = totp_step(now);
    let mut found = None;
    for step in now_step.saturating_sub(u64::from(window))..=now_step + u64::from(window) {
        if code_eq(totp_for_step(secret, step), code) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// IAM EnableMFADevice / ResyncMFADevice: `code1` and `code2` must be the
/// codes of two consecutive steps near `now` (up to
/// [`TWO_CODES_LOOKBACK_STEPS`] back and [`TWO_CODES_LOOKAHEAD_STEPS`] ahead).
/// Returns the step of `code2`, which the caller records so neither code
/// is accepted again.
pub fn verify_two_consecutive(secret: &[u8], code1: &str, code2: &str, now: i64) -> Option<u64> {
    let (c1, c2) = (parse_code(code1)?, parse_code(code2)?);
    let now_step = totp_step(now);
    let first = now_step.saturating_sub(TWO_CODES_LOOKBACK_STEPS);
    let mut found = None;
    let mut prev = totp_for_step(secret, first);
    for step in first + 1..=now_step + TWO_CODES_LOOKAHEAD_STEPS {
        let cur = totp_for_step(secret, step);
        // Non-short-circuit `&` keeps the work the same for every step.
        if code_eq(prev, c1) & code_eq(cur, c2) && found.is_none() {
            found = Some(step);
        }
        prev = cur;
    }
    found
}

/// Formats a code as six digits.
pub fn format_code(code: u32) -> String {
    format!("{code:06}")
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, upper case, without `=` padding (AWS's 40-byte seeds
/// need none; authenticator apps accept unpadded seeds).
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buf: u64 = 0;
    let mut bits = 0u32;
    for &b in data {
        buf = (buf << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(B32[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(B32[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes RFC 4648 base32: case-insensitive, `=` padding and spaces
/// ignored. `None` on any other character or on leftover non-zero bits.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buf: u64 = 0;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            b'=' | b' ' | b'-' => continue,
            _ => return None,
        };
        buf = (buf << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buf >> bits) & 0xff) as u8);
        }
    }
    if bits >= 5 || (buf & ((1 << bits) - 1)) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_appendix_b_sha1() {
        for (t, code8) in [
            (59i64, 94_287_082u32),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(hotp(RFC_SECRET, totp_step(t), 8), code8, "t={t}");
            assert_eq!(totp_at(RFC_SECRET, t), code8 % 1_000_000, "t={t}");
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            755_224u32, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871,
            520_489,
        ];
        for (i, e) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, i as u64, 6), *e);
        }
    }

    #[test]
    fn verify_single_codes() {
        let now = 1_234_567_890;
        let code = format_code(totp_at(RFC_SECRET, now));
        assert!(verify_code(RFC_SECRET, &code, now, 0));
        assert!(verify_code(RFC_SECRET, &code, now + 30, 1));
        assert!(!verify_code(RFC_SECRET, &code, now + 90, 1));
        assert!(!verify_code(RFC_SECRET, "12345", now, 1));
        assert!(!verify_code(RFC_SECRET, "12345a", now, 1));
        assert!(!verify_code(RFC_SECRET, "1234567", now, 1));
        assert_eq!(
            verify_code_step(RFC_SECRET, &code, now, 1),
            Some(totp_step(now))
        );
        // Leading zeros: 081804 at 1111111109.
        assert!(verify_code(RFC_SECRET, "081804", 1_111_111_109, 0));
        assert!(!verify_code(RFC_SECRET, "81804", 1_111_111_109, 0));
    }

    #[test]
    fn verify_two_codes() {
        let now = 1_700_000_000;
        let s = totp_step(now);
        let c = |step| format_code(totp_for_step(RFC_SECRET, step));
        assert_eq!(
            verify_two_consecutive(RFC_SECRET, &c(s - 1), &c(s), now),
            Some(s)
        );
        assert_eq!(
            verify_two_consecutive(RFC_SECRET, &c(s), &c(s + 1), now),
            Some(s + 1)
        );
        // A device five minutes slow still resyncs.
        assert_eq!(
            verify_two_consecutive(RFC_SECRET, &c(s - 10), &c(s - 9), now),
            Some(s - 9)
        );
        assert_eq!(
            verify_two_consecutive(RFC_SECRET, &c(s - 12), &c(s - 11), now),
            None
        );
        // Not consecutive, or swapped.
        assert_eq!(
            verify_two_consecutive(RFC_SECRET, &c(s - 2), &c(s), now),
            None
        );
        assert_eq!(
            verify_two_consecutive(RFC_SECRET, &c(s), &c(s - 1), now),
            None
        );
        assert_eq!(verify_two_consecutive(RFC_SECRET, &c(s), &c(s), now), None);
        assert_eq!(
            verify_two_consecutive(RFC_SECRET, "abcdef", &c(s), now),
            None
        );
    }

    #[test]
    fn base32_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), enc);
            assert_eq!(base32_decode(enc).as_deref(), Some(plain.as_bytes()));
        }
        // Padded, lower-case and spaced forms decode too.
        assert_eq!(
            base32_decode("mzxw6ytboi======").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(
            base32_decode("MZXW 6YTB OI").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(base32_decode("MZXW6YTB0I"), None);
        assert_eq!(base32_decode("M"), None);
        // 40-byte seeds give AWS's 64-character Base32StringSeed.
        let seed = [0xa5u8; 40];
        let enc = base32_encode(&seed);
        assert_eq!(enc.len(), 64);
        assert_eq!(base32_decode(&enc).as_deref(), Some(&seed[..]));
    }
}
