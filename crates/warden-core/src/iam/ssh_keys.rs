//! SSH public keys of IAM users (the keys CodeCommit authenticates with):
//! UploadSSHPublicKey, GetSSHPublicKey, ListSSHPublicKeys,
//! UpdateSSHPublicKey, DeleteSSHPublicKey.
//!
//! AWS accepts an RSA key of at least 2048 bits, as an OpenSSH `ssh-rsa`
//! line or as PEM ("The public key must be encoded in ssh-rsa format or PEM
//! format. The minimum bit-length of the public key is 2048 bits", the
//! UploadSSHPublicKey reference), at most five per user (IAM quotas: "SSH
//! public keys per user: 5"). A key is stored as uploaded, with its RSA
//! numbers' DER form's MD5 as the fingerprint; GetSSHPublicKey converts it
//! to the encoding asked for.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::crypto;
use crate::error::{CoreError, Result};
use crate::iam::users::find_user;
use crate::iam::Iam;
use crate::model::{now_epoch, Epoch};
use crate::page::{paginate, Page, PageQuery};
use crate::state::{Change, Kind, State};

/// AWS's "SSH public keys per user" quota.
pub const SSH_KEYS_PER_USER: usize = 5;

/// "The minimum bit-length of the public key is 2048 bits."
const MIN_RSA_BITS: usize = 2048;

/// An IAM user's SSH public key, stored under `(account, key id)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKey {
    /// `APKA` + 16 upper-case base32 characters.
    pub id: String,
    /// The owning account.
    pub account: String,
    /// The owner's unique id (`AIDA...`), so a renamed user keeps its keys.
    pub user_id: String,
    /// The key exactly as uploaded (`ssh-rsa ...` or PEM).
    pub body: String,
    /// MD5 of the key's DER `SubjectPublicKeyInfo`, colon-separated hex.
    pub fingerprint: String,
    /// `Active`, `Inactive` or `Expired` (the API's `statusType`).
    pub status: String,
    /// When it was uploaded.
    pub uploaded: Epoch,
}

/// A key as an operation answers it: the record and its owner's name as
/// created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKeyView {
    /// The stored key.
    pub key: SshPublicKey,
    /// The owning user's name.
    pub user_name: String,
}

/// The encoding GetSSHPublicKey answers the body in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshKeyEncoding {
    /// `ssh-rsa AAAA...`.
    Ssh,
    /// `-----BEGIN PUBLIC KEY-----` (DER `SubjectPublicKeyInfo`).
    Pem,
}

/// Whether the user (by unique id) holds any SSH key: DeleteUser's conflict.
pub(crate) fn user_has_ssh_keys(s: &State, account: &str, user_id: &str) -> bool {
    keys_of(s, account, user_id).next().is_some()
}

fn keys_of<'a>(
    s: &'a State,
    account: &'a str,
    user_id: &'a str,
) -> impl Iterator<Item = &'a SshPublicKey> + 'a {
    s.ssh_public_keys
        .range((account.to_string(), String::new())..)
        .take_while(move |((a, _), _)| a == account)
        .map(|(_, k)| k)
        .filter(move |k| k.user_id == user_id)
}

fn find_key<'a>(s: &'a State, account: &str, user_id: &str, id: &str) -> Result<&'a SshPublicKey> {
    s.ssh_public_keys
        .get(&(account.to_string(), id.to_string()))
        .filter(|k| k.user_id == user_id)
        .ok_or_else(|| {
            // LocalStack's AWS-recorded test_iam_ssh_public_keys.snapshot.json.
            CoreError::NoSuchEntity(format!("The Public Key with id {id} cannot be found."))
        })
}

impl Iam<'_> {
    /// UploadSSHPublicKey: a new active key; UnrecognizedPublicKeyEncoding
    /// for what is neither `ssh-rsa` nor PEM, InvalidPublicKey for a key
    /// that does not parse or is shorter than 2048 bits,
    /// DuplicateSSHPublicKey for a key the user already holds (in either
    /// encoding), LimitExceeded past [`SSH_KEYS_PER_USER`].
    pub fn upload_ssh_public_key(&self, user_name: &str, body: &str) -> Result<SshKeyView> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, user_name)?;
            let rsa = parse_public_key(body)?;
            let fingerprint = rsa.fingerprint();
            let held: Vec<&SshPublicKey> = keys_of(s, account, &user.id).collect();
            if held.iter().any(|k| k.fingerprint == fingerprint) {
                return Err(CoreError::DuplicateSSHPublicKey(
                    "The SSH public key is already associated with the specified IAM user."
                        .to_string(),
                ));
            }
            if held.len() >= SSH_KEYS_PER_USER {
                return Err(CoreError::LimitExceeded(format!(
                    "Cannot exceed quota for SSHPublicKeysPerUser: {SSH_KEYS_PER_USER}"
                )));
            }
            let key = SshPublicKey {
                id: new_key_id(),
                account: account.to_string(),
                user_id: user.id.clone(),
                body: body.to_string(),
                fingerprint,
                status: "Active".to_string(),
                uploaded: now_epoch(),
            };
            let view = SshKeyView {
                key: key.clone(),
                user_name: user.name.clone(),
            };
            Ok((vec![Change::SshPublicKey(key)], view))
        })
    }

    /// GetSSHPublicKey: the key, its body in `encoding`; NoSuchEntity unless the user holds it.
    pub fn ssh_public_key(
        &self,
        user_name: &str,
        id: &str,
        encoding: SshKeyEncoding,
    ) -> Result<SshKeyView> {
        let s = self.warden.read();
        let user = find_user(&s, self.account, user_name)?;
        let mut key = find_key(&s, self.account, &user.id, id)?.clone();
        key.body = encoded(&key.body, encoding)?;
        Ok(SshKeyView {
            key,
            user_name: user.name.clone(),
        })
    }

    /// ListSSHPublicKeys: the user's keys in key id order (as the IAM console lists them).
    pub fn list_ssh_public_keys(
        &self,
        user_name: &str,
        query: PageQuery,
    ) -> Result<Page<SshKeyView>> {
        let s = self.warden.read();
        let user = find_user(&s, self.account, user_name)?;
        let keys = keys_of(&s, self.account, &user.id).map(|k| SshKeyView {
            key: k.clone(),
            user_name: user.name.clone(),
        });
        paginate(keys, |k| k.key.id.clone(), query)
    }

    /// UpdateSSHPublicKey: sets the status; NoSuchEntity unless the user holds the key.
    pub fn update_ssh_public_key(&self, user_name: &str, id: &str, status: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, user_name)?;
            let mut key = find_key(s, account, &user.id, id)?.clone();
            key.status = status.to_string();
            Ok((vec![Change::SshPublicKey(key)], ()))
        })
    }

    /// DeleteSSHPublicKey; NoSuchEntity unless the user holds the key.
    pub fn delete_ssh_public_key(&self, user_name: &str, id: &str) -> Result<()> {
        let account = self.account;
        self.warden.write(|s| {
            let user = find_user(s, account, user_name)?;
            find_key(s, account, &user.id, id)?;
            Ok((
                vec![Change::Delete(
                    Kind::SshPublicKey,
                    (account.to_string(), id.to_string()),
                )],
                (),
            ))
        })
    }
}

/// `APKA` + 16 upper-case base32 characters: 20, as AWS's (moto's tests
/// assert the length and prefix AWS answers).
fn new_key_id() -> String {
    let mut id = crypto::random_id("APKA");
    id.truncate(20);
    id
}

/// An RSA public key's numbers, big-endian without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

const UNRECOGNIZED: &str = "Invalid public key uploaded.";

fn unrecognized() -> CoreError {
    // The text AWS answered with UnrecognizedPublicKeyEncoding, quoted in
    // https://github.com/MoriTanosuke (2015, "Creating a Git repository on
    // Amazon CodeCommit"); no emulator recorded one.
    CoreError::UnrecognizedPublicKeyEncoding(UNRECOGNIZED.to_string())
}

fn invalid() -> CoreError {
    CoreError::InvalidPublicKey("The public key is malformed or otherwise invalid.".to_string())
}

/// Parses an uploaded body: an OpenSSH `ssh-rsa` line or a PEM RSA public
/// key (`PUBLIC KEY` or `RSA PUBLIC KEY`).
fn parse_public_key(body: &str) -> Result<RsaKey> {
    let text = body.trim();
    let rsa = if let Some(rest) = text.strip_prefix("ssh-rsa") {
        if !rest.starts_with([' ', '\t']) {
            return Err(unrecognized());
        }
        parse_ssh(rest)?
    } else if text.starts_with("-----BEGIN ") {
        parse_pem(text)?
    } else {
        return Err(unrecognized());
    };
    if bit_length(&rsa.n) < MIN_RSA_BITS {
        return Err(CoreError::InvalidPublicKey(format!(
            "The minimum bit-length of the public key is {MIN_RSA_BITS} bits."
        )));
    }
    Ok(rsa)
}

/// `<base64 of the SSH wire blob> [comment]` after `ssh-rsa`.
fn parse_ssh(rest: &str) -> Result<RsaKey> {
    let b64 = rest.split_whitespace().next().ok_or_else(invalid)?;
    let blob = STANDARD.decode(b64).map_err(|_| invalid())?;
    let mut r = SshReader(&blob);
    if r.string()? != b"ssh-rsa" {
        return Err(invalid());
    }
    let e = strip_zeros(r.string()?);
    let n = strip_zeros(r.string()?);
    if !r.0.is_empty() || e.is_empty() || n.is_empty() {
        return Err(invalid());
    }
    Ok(RsaKey { n, e })
}

struct SshReader<'a>(&'a [u8]);

impl<'a> SshReader<'a> {
    fn string(&mut self) -> Result<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>().ok_or_else(invalid)?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return Err(invalid());
        }
        let (s, rest) = rest.split_at(len);
        self.0 = rest;
        Ok(s)
    }
}

fn parse_pem(text: &str) -> Result<RsaKey> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let label = lines
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(unrecognized)?;
    if label != "PUBLIC KEY" && label != "RSA PUBLIC KEY" {
        return Err(unrecognized());
    }
    let mut b64 = String::new();
    let mut ended = false;
    for line in lines {
        if line == format!("-----END {label}-----") {
            ended = true;
            break;
        }
        b64.push_str(line);
    }
    if !ended {
        return Err(invalid());
    }
    let der = STANDARD.decode(b64).map_err(|_| invalid())?;
    let mut outer = Der(&der);
    let seq = outer.expect(0x30)?;
    if !outer.0.is_empty() {
        return Err(invalid());
    }
    let mut seq = Der(seq);
    let pkcs1 = if label == "RSA PUBLIC KEY" {
        seq
    } else {
        let mut algorithm = Der(seq.expect(0x30)?);
        if algorithm.expect(0x06)? != RSA_ENCRYPTION_OID {
            // A PEM key of another algorithm (EC, Ed25519, DSA).
            return Err(unrecognized());
        }
        let bits = seq.expect(0x03)?;
        let (unused, key) = bits.split_first().ok_or_else(invalid)?;
        if *unused != 0 || !seq.0.is_empty() {
            return Err(invalid());
        }
        let mut key = Der(key);
        let inner = key.expect(0x30)?;
        if !key.0.is_empty() {
            return Err(invalid());
        }
        Der(inner)
    };
    let mut pkcs1 = pkcs1;
    let n = strip_zeros(pkcs1.expect(0x02)?);
    let e = strip_zeros(pkcs1.expect(0x02)?);
    if !pkcs1.0.is_empty() || n.is_empty() || e.is_empty() {
        return Err(invalid());
    }
    Ok(RsaKey { n, e })
}

/// 1.2.840.113549.1.1.1, the content of its DER OID.
const RSA_ENCRYPTION_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// A DER reader over definite-length TLVs.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The content of the next TLV, which must carry `tag`.
    fn expect(&mut self, tag: u8) -> Result<&'a [u8]> {
        let (&t, rest) = self.0.split_first().ok_or_else(invalid)?;
        let (&first, mut rest) = rest.split_first().ok_or_else(invalid)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return Err(invalid());
            }
            let (bytes, after) = rest.split_at(count);
            rest = after;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        if t != tag || rest.len() < len {
            return Err(invalid());
        }
        let (content, after) = rest.split_at(len);
        self.0 = after;
        Ok(content)
    }
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

fn bit_length(n: &[u8]) -> usize {
    match n.first() {
        None => 0,
        Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER of a non-negative number given without leading zeros.
fn der_uint(n: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(n.len() + 1);
    if n.first().is_none_or(|&b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(n);
    der_tlv(0x02, &content)
}

/// An SSH `mpint`/`string` field.
fn ssh_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

impl RsaKey {
    /// The DER `SubjectPublicKeyInfo` (what `-----BEGIN PUBLIC KEY-----` holds).
    fn spki_der(&self) -> Vec<u8> {
        let pkcs1 = der_tlv(0x30, &[der_uint(&self.n), der_uint(&self.e)].concat());
        let algorithm = der_tlv(
            0x30,
            &[der_tlv(0x06, RSA_ENCRYPTION_OID), vec![0x05, 0x00]].concat(),
        );
        let bits = der_tlv(0x03, &[&[0u8][..], &pkcs1].concat());
        der_tlv(0x30, &[algorithm, bits].concat())
    }

    /// MD5 of the DER public key, colon-separated lower-case hex (as the
    /// aws CLI's examples print it: `12:34:56:...:ef`).
    fn fingerprint(&self) -> String {
        Md5::digest(self.spki_der())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    fn pem(&self) -> String {
        let b64 = STANDARD.encode(self.spki_der());
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    fn ssh(&self) -> String {
        let mut blob = Vec::new();
        ssh_string(&mut blob, b"ssh-rsa");
        // mpints are two's complement: a set top bit needs a zero byte.
        let mpint = |n: &[u8]| {
            if n.first().is_some_and(|&b| b & 0x80 != 0) {
                [&[0u8][..], n].concat()
            } else {
                n.to_vec()
            }
        };
        ssh_string(&mut blob, &mpint(&self.e));
        ssh_string(&mut blob, &mpint(&self.n));
        format!("ssh-rsa {}", STANDARD.encode(blob))
    }
}

/// A stored body in `encoding`: as uploaded when it is already in it,
/// converted otherwise.
fn encoded(body: &str, encoding: SshKeyEncoding) -> Result<String> {
    let is_ssh = body.trim_start().starts_with("ssh-rsa");
    match (encoding, is_ssh) {
        (SshKeyEncoding::Ssh, true) | (SshKeyEncoding::Pem, false) => Ok(body.to_string()),
        (SshKeyEncoding::Ssh, false) => Ok(parse_public_key(body)?.ssh()),
        (SshKeyEncoding::Pem, true) => Ok(parse_public_key(body)?.pem()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2048-bit key made with `ssh-keygen -t rsa -b 2048`; its PEM form
    /// and DER MD5 were computed with `ssh-keygen -e -m PKCS8` and
    /// `openssl pkey -pubin -outform DER | openssl md5 -c`.
    const SSH: &str = include_str!("../../tests/data/ssh_rsa_2048.pub");
    const PEM: &str = include_str!("../../tests/data/ssh_rsa_2048.pem");
    const FINGERPRINT: &str = include_str!("../../tests/data/ssh_rsa_2048.md5");

    #[test]
    fn both_encodings_parse_to_the_same_key_and_fingerprint() {
        let from_ssh = parse_public_key(SSH).unwrap();
        let from_pem = parse_public_key(PEM).unwrap();
        assert_eq!(from_ssh, from_pem);
        assert_eq!(from_ssh.fingerprint(), FINGERPRINT.trim());
        assert_eq!(bit_length(&from_ssh.n), 2048);
    }

    #[test]
    fn conversions_round_trip_to_openssl_and_openssh_forms() {
        let key = parse_public_key(SSH).unwrap();
        assert_eq!(key.pem(), PEM);
        let ssh_fields: Vec<&str> = SSH.split_whitespace().take(2).collect();
        assert_eq!(key.ssh(), ssh_fields.join(" "));
        assert_eq!(encoded(SSH, SshKeyEncoding::Ssh).unwrap(), SSH);
        assert_eq!(encoded(SSH, SshKeyEncoding::Pem).unwrap(), PEM);
        assert_eq!(
            encoded(PEM, SshKeyEncoding::Ssh).unwrap(),
            ssh_fields.join(" ")
        );
    }

    #[test]
    fn other_encodings_are_unrecognized_and_broken_keys_invalid() {
        let code = |body: &str| parse_public_key(body).unwrap_err().aws_code();
        use warden_wire::ErrorCode::{InvalidPublicKey, UnrecognizedPublicKeyEncoding};
        assert_eq!(code("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKzvfE+qS09w+okgrO0gY7jryF0lSCxdEO/O0UaUhuZe x"), UnrecognizedPublicKeyEncoding);
        assert_eq!(code("not a key"), UnrecognizedPublicKeyEncoding);
        assert_eq!(
            code("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            UnrecognizedPublicKeyEncoding
        );
        assert_eq!(code("ssh-rsa !!!notbase64"), InvalidPublicKey);
        assert_eq!(code("ssh-rsa AAAAB3NzaC1yc2E="), InvalidPublicKey);
        assert_eq!(
            code("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"),
            InvalidPublicKey
        );
        // A well-formed 1024-bit key is too short.
        let short = RsaKey {
            n: [vec![0xc1], vec![0x55; 127]].concat(),
            e: vec![1, 0, 1],
        };
        assert_eq!(code(&short.ssh()), InvalidPublicKey);
        assert_eq!(code(&short.pem()), InvalidPublicKey);
    }
}
