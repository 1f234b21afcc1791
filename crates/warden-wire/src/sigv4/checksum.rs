//! S3's flexible checksums (`x-amz-checksum-*`): computed while a body streams, compared with the
//! base64 of the big-endian digest the client sent.

use sha2::Digest;

/// A checksum algorithm S3 accepts in `x-amz-checksum-<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC), what botocore sends by default.
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME, what the aws CLI v2 sends by default.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

impl ChecksumAlgorithm {
    /// The algorithm of a header name `x-amz-checksum-crc32` (any case).
    pub fn from_header(name: &str) -> Option<ChecksumAlgorithm> {
        let lower = name.trim().to_ascii_lowercase();
        Some(match lower.strip_prefix("x-amz-checksum-")? {
            "crc32" => ChecksumAlgorithm::Crc32,
            "crc32c" => ChecksumAlgorithm::Crc32c,
            "crc64nvme" => ChecksumAlgorithm::Crc64Nvme,
            "sha1" => ChecksumAlgorithm::Sha1,
            "sha256" => ChecksumAlgorithm::Sha256,
            _ => return None,
        })
    }

    /// The upper-case name S3's messages use (`The CRC32 you specified ...`).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The header that carries it, lower-case.
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    /// The digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The length of the digest's base64 (padded), as a header or trailer carries it.
    pub fn base64_len(self) -> usize {
        self.digest_len().div_ceil(3) * 4
    }
}

const fn crc32c_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const fn crc64nvme_table() -> [u64; 256] {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x9A6C_9329_AC4B_C9B5
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC32C: [u32; 256] = crc32c_table();
static CRC64NVME: [u64; 256] = crc64nvme_table();

/// A running checksum.
#[derive(Debug, Clone)]
pub enum Checksum {
    /// CRC-32.
    Crc32(crc32fast::Hasher),
    /// CRC-32C state (inverted).
    Crc32c(u32),
    /// CRC-64/NVME state (inverted).
    Crc64Nvme(u64),
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// SHA-256.
    Sha256(sha2::Sha256),
}

impl Checksum {
    /// A fresh checksum of `algorithm`.
    pub fn new(algorithm: ChecksumAlgorithm) -> Checksum {
        match algorithm {
            ChecksumAlgorithm::Crc32 => Checksum::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => Checksum::Crc32c(!0),
            ChecksumAlgorithm::Crc64Nvme => Checksum::Crc64Nvme(!0),
            ChecksumAlgorithm::Sha1 => Checksum::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => Checksum::Sha256(sha2::Sha256::new()),
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Checksum::Crc32(h) => h.update(data),
            Checksum::Crc32c(c) => {
                for &b in data {
                    *c = CRC32C[usize::from((*c as u8) ^ b)] ^ (*c >> 8);
                }
            }
            Checksum::Crc64Nvme(c) => {
                for &b in data {
                    *c = CRC64NVME[usize::from((*c as u8) ^ b)] ^ (*c >> 8);
                }
            }
            Checksum::Sha1(h) => h.update(data),
            Checksum::Sha256(h) => h.update(data),
        }
    }

    /// The digest, big-endian, base64 as S3 sends it.
    pub fn base64(&self) -> String {
        use base64::Engine;
        let bytes: Vec<u8> = match self {
            Checksum::Crc32(h) => h.clone().finalize().to_be_bytes().to_vec(),
            Checksum::Crc32c(c) => (!*c).to_be_bytes().to_vec(),
            Checksum::Crc64Nvme(c) => (!*c).to_be_bytes().to_vec(),
            Checksum::Sha1(h) => h.clone().finalize().to_vec(),
            Checksum::Sha256(h) => h.clone().finalize().to_vec(),
        };
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut c = Checksum::new(algorithm);
        c.update(data);
        c.base64()
    }

    fn be_b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn check_values_of_the_crc_catalogue() {
        // The "check" values of "123456789" in the CRC catalogue (reveng): CRC-32/ISO-HDLC cbf43926,
        // CRC-32/ISCSI e3069283, CRC-64/NVME ae8b14860a799888.
        assert_eq!(
            of(ChecksumAlgorithm::Crc32, b"123456789"),
            be_b64(&0xCBF4_3926u32.to_be_bytes())
        );
        assert_eq!(
            of(ChecksumAlgorithm::Crc32c, b"123456789"),
            be_b64(&0xE306_9283u32.to_be_bytes())
        );
        assert_eq!(
            of(ChecksumAlgorithm::Crc64Nvme, b"123456789"),
            be_b64(&0xAE8B_1486_0A79_9888u64.to_be_bytes())
        );
    }

    #[test]
    fn aws_trailer_example_crc32c() {
        // AWS's trailer example (sigv4-streaming-trailers): 66560 × 'a' → `sOO8/Q==`.
        assert_eq!(
            of(ChecksumAlgorithm::Crc32c, &vec![b'a'; 66560]),
            "sOO8/Q=="
        );
    }

    #[test]
    fn header_names() {
        assert_eq!(
            ChecksumAlgorithm::from_header("X-Amz-Checksum-CRC64NVME"),
            Some(ChecksumAlgorithm::Crc64Nvme)
        );
        assert_eq!(ChecksumAlgorithm::from_header("x-amz-checksum-md4"), None);
        assert_eq!(ChecksumAlgorithm::Crc32.header(), "x-amz-checksum-crc32");
    }
}
