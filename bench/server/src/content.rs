//! Bytes and ETags for seeded keys, generated from the key so that nothing is stored per key
//! but its size, and every GET of the same range returns the same bytes.

use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use s3s::StdError;
use s3s::stream::{ByteStream, RemainingLength};

/// Text that synthetic objects repeat, each from its own offset, so contents differ by key.
const PATTERN: &[u8; 64] = b"s3lease bench object: deterministic bytes for ranged GETs 01234\n";

/// Large ranges stream in chunks of this size instead of being built in memory at once.
const CHUNK: usize = 64 * 1024;

/// FNV-1a: tiny, stable across Rust releases (unlike `DefaultHasher`), and good enough to
/// make names and ETags look varied.
pub fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A 32-hex-digit ETag, MD5-shaped like S3's for single-part objects, unquoted.
pub fn synthetic_etag(key: &str, size: u64) -> String {
    let size = size.to_le_bytes();
    let hi = fnv1a(fnv1a(1, key.as_bytes()), &size);
    let lo = fnv1a(fnv1a(2, key.as_bytes()), &size);
    format!("{hi:016x}{lo:016x}")
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(data);
    let mut hex = String::with_capacity(32);
    for byte in digest.iter() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// The bytes of a seeded object within `range`, as a stream with an exact length.
pub struct SyntheticBody {
    /// Where in `PATTERN` the next byte comes from.
    phase: usize,
    remaining: u64,
}

impl SyntheticBody {
    pub fn new(key: &str, range: Range<u64>) -> SyntheticBody {
        let origin = fnv1a(0, key.as_bytes()) % PATTERN.len() as u64;
        let phase = ((origin + range.start % PATTERN.len() as u64) % PATTERN.len() as u64) as usize;
        SyntheticBody { phase, remaining: range.end.saturating_sub(range.start) }
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.remaining == 0 {
            return None;
        }
        let len = usize::try_from(self.remaining).map_or(CHUNK, |r| r.min(CHUNK));
        let mut chunk = Vec::with_capacity(len);
        while chunk.len() < len {
            let take = (PATTERN.len() - self.phase).min(len - chunk.len());
            chunk.extend_from_slice(&PATTERN[self.phase..self.phase + take]);
            self.phase = (self.phase + take) % PATTERN.len();
        }
        self.remaining -= len as u64;
        Some(Bytes::from(chunk))
    }
}

impl Stream for SyntheticBody {
    type Item = Result<Bytes, StdError>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.get_mut().next_chunk().map(Ok))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let chunks = usize::try_from(self.remaining.div_ceil(CHUNK as u64)).unwrap_or(usize::MAX);
        (chunks, Some(chunks))
    }
}

impl ByteStream for SyntheticBody {
    fn remaining_length(&self) -> RemainingLength {
        usize::try_from(self.remaining).map_or_else(|_| RemainingLength::unknown(), RemainingLength::new_exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(key: &str, range: Range<u64>) -> Vec<u8> {
        let mut body = SyntheticBody::new(key, range);
        let mut out = Vec::new();
        while let Some(chunk) = body.next_chunk() {
            out.extend_from_slice(&chunk);
        }
        out
    }

    #[test]
    fn ranges_are_slices_of_the_whole_object() {
        let whole = collect("p000/d00/a.json", 0..200_000);
        assert_eq!(whole.len(), 200_000);
        for range in [0..1, 5..70, 63..65, 100..131_073, 199_999..200_000] {
            let part = collect("p000/d00/a.json", range.clone());
            let expected = &whole[range.start as usize..range.end as usize];
            assert_eq!(part, expected, "{range:?}");
        }
    }

    #[test]
    fn content_depends_on_the_key() {
        assert_ne!(collect("a", 0..64), collect("b", 0..64));
        assert_eq!(collect("a", 0..64), collect("a", 0..64));
    }

    #[test]
    fn reports_its_exact_length() {
        let body = SyntheticBody::new("k", 10..1034);
        assert_eq!(body.remaining_length().exact(), Some(1024));
        let body = SyntheticBody::new("k", 0..0);
        assert_eq!(body.remaining_length().exact(), Some(0));
    }

    #[test]
    fn etags_are_stable_and_md5_shaped() {
        let etag = synthetic_etag("data/key-0000001.json", 1024);
        assert_eq!(etag.len(), 32);
        assert!(etag.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(etag, synthetic_etag("data/key-0000001.json", 1024));
        assert_ne!(etag, synthetic_etag("data/key-0000002.json", 1024));
        assert_ne!(etag, synthetic_etag("data/key-0000001.json", 1025));
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
