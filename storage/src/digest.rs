//! The one hashing module: sha256 (hex and `sha256:` form), hashing
//! readers and writers, standard base64 (the `base64` crate), Go's
//! CRC-64/ISO (tar-split's file checksum, the `crc` crate), overlay short
//! link names and lock-file writer tokens. IDs come from
//! [`rpod_runtime_core::names`].

use std::io::{self, Read, Write};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rpod_runtime_core::Result;
use rpod_runtime_core::names;
use sha2::{Digest as _, Sha256};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// The hex part of a `sha256:<hex>` digest (or the input when unprefixed).
pub fn digest_hex(d: &str) -> &str {
    d.strip_prefix("sha256:").unwrap_or(d)
}

/// A reader that hashes and counts everything read through it.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    /// Reads whatever is left, hashing it.
    pub fn drain(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(|_| ())
    }
    /// `sha256:<hex>` and byte count of what was read.
    pub fn finish(self) -> (String, u64) {
        (
            format!("sha256:{}", hex(&self.hasher.finalize())),
            self.count,
        )
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// A writer that hashes and counts everything written through it.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
    /// `sha256:<hex>`, byte count and the inner writer.
    pub fn finish(self) -> (String, u64, W) {
        (
            format!("sha256:{}", hex(&self.hasher.finalize())),
            self.count,
            self.inner,
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Standard base64 that also accepts unpadded input and stray trailing
/// bits on decode, as Go's decoder of tar-split payloads tolerates.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Standard (padded) base64, as Go's `base64.StdEncoding`.
pub fn base64(data: &[u8]) -> String {
    B64.encode(data)
}

/// Decodes standard base64 (padding optional); `None` on bad input.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}

/// Go's `crc64.MakeTable(crc64.ISO)` parameters (CRC-64/GO-ISO).
static CRC64_ISO: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_GO_ISO);

/// Go's `crc64.MakeTable(crc64.ISO)` checksum, as tar-split records it.
#[derive(Clone)]
pub struct Crc64 {
    digest: crc::Digest<'static, u64>,
}

impl Default for Crc64 {
    fn default() -> Self {
        Crc64 {
            digest: CRC64_ISO.digest(),
        }
    }
}

impl std::fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crc64")
            .field("crc", &self.digest.clone().finalize())
            .finish()
    }
}

impl Crc64 {
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }
    /// The checksum, big-endian (Go's `Sum`).
    pub fn sum(&self) -> [u8; 8] {
        self.digest.clone().finalize().to_be_bytes()
    }
}

/// A random 26-character base32 (A–Z, 2–7) overlay short link name.
pub fn random_link() -> Result<String> {
    const ALPHA: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut b = [0u8; 26];
    names::random_bytes(&mut b)?;
    Ok(b.iter().map(|b| ALPHA[(b & 31) as usize] as char).collect())
}

/// 64 bytes for a lock file's "last writer" record (time, counter, pid, random).
///
/// Should the kernel's generator fail (never expected on Linux) the random
/// tail stays zero; time, counter and pid still make the record unique.
pub fn last_write_token(counter: u64) -> [u8; 64] {
    let mut t = [0u8; 64];
    if let Err(e) = names::random_bytes(&mut t) {
        tracing::debug!("last-writer token without random bytes: {e}");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t[0..8].copy_from_slice(&now.to_le_bytes());
    t[8..16].copy_from_slice(&counter.to_le_bytes());
    t[16..24].copy_from_slice(&u64::from(std::process::id()).to_le_bytes());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_known_values() {
        assert_eq!(base64(b"sha256:abc"), "c2hhMjU2OmFiYw==");
        assert_eq!(base64(b"ab"), "YWI=");
        for n in 0..40u8 {
            let v: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base64_decode(&base64(&v)).unwrap(), v);
        }
    }

    #[test]
    fn crc64_iso_matches_go() {
        // The CRC catalogue's check value for CRC-64/GO-ISO over "123456789".
        let mut c = Crc64::default();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(u64::from_be_bytes(c.sum()), 0xb909_56c7_75a4_1001);
    }

    /// Values the hand-written table implementation produced before the
    /// `crc` crate replaced it; layers stored by older rpod keep verifying.
    #[test]
    fn crc64_matches_the_former_implementation() {
        let pattern: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
            .collect();
        let cases: [(&[u8], u64, &str); 7] = [
            (b"", 0, "AAAAAAAAAAA="),
            (b"a", 0x3420_0000_0000_0000, "NCAAAAAAAAA="),
            (b"123456789", 0xb909_56c7_75a4_1001, "uQlWx3WkEAE="),
            (b"hello world\n", 0x44e9_cf3f_572a_d9ac, "ROnPP1cq2aw="),
            (
                &(0..=255u8).collect::<Vec<_>>(),
                0x89f7_eaa7_b75c_07dd,
                "iffqp7dcB90=",
            ),
            (&[0u8; 1000], 0x3fdf_09cf_356a_cf35, "P98JzzVqzzU="),
            (&pattern, 0xbaf2_96a4_ba86_c1fe, "uvKWpLqGwf4="),
        ];
        for (data, want, want_b64) in cases {
            let mut c = Crc64::default();
            for chunk in data.chunks(100) {
                c.update(chunk);
            }
            assert_eq!(u64::from_be_bytes(c.sum()), want);
            assert_eq!(base64(&c.sum()), want_b64);
        }
    }

    #[test]
    fn base64_matches_the_former_implementation() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
            assert_eq!(base64_decode(enc).unwrap(), plain.as_bytes());
            let unpadded = enc.trim_end_matches('=');
            assert_eq!(base64_decode(unpadded).unwrap(), plain.as_bytes());
        }
        assert!(base64_decode("not base64!").is_none());
    }

    #[test]
    fn random_links_are_base32() {
        let l = random_link().unwrap();
        assert_eq!(l.len(), 26);
        assert!(
            l.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        );
    }

    #[test]
    fn sha256_of_empty() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
