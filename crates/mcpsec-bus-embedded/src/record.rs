//! On-disk record framing and the record body codec.
//!
//! A frame is `[len: u32 LE][crc32: u32 LE][body: len bytes]`, where the CRC
//! (crc32fast, IEEE) covers the body. The body is hand-rolled little-endian:
//!
//! ```text
//! offset:        u64
//! timestamp_ms:  i64
//! key_len:       u32, key bytes (UTF-8)
//! header_count:  u32, then per header: name_len u32, name, value_len u32, value (UTF-8)
//! payload:       the rest of the body
//! ```
//!
//! Decoding never panics: every length is checked against what is left.

use std::collections::BTreeMap;

use bytes::Bytes;

/// Size of the frame header (`len` + `crc`).
pub const FRAME_HEADER: usize = 8;

/// Largest body a frame may carry. Anything larger on disk is treated as
/// corruption (it protects recovery from allocating on a garbage length).
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// Fixed part of a body: offset, timestamp, key length, header count.
const BODY_FIXED: usize = 8 + 8 + 4 + 4;

/// Why a frame or body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the frame header or the announced body: a torn write
    /// when it happens at the end of a file.
    Truncated,
    /// The announced body length is zero or larger than [`MAX_BODY`].
    BadLength(u32),
    /// The CRC does not match the body.
    Checksum { expected: u32, actual: u32 },
    /// The body's structure is inconsistent.
    Malformed(&'static str),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated frame"),
            DecodeError::BadLength(l) => write!(f, "bad frame length {l}"),
            DecodeError::Checksum { expected, actual } => {
                write!(
                    f,
                    "crc mismatch (stored {expected:#010x}, computed {actual:#010x})"
                )
            }
            DecodeError::Malformed(what) => write!(f, "malformed record body: {what}"),
        }
    }
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub offset: u64,
    pub timestamp_ms: i64,
    pub key: String,
    pub headers: BTreeMap<String, String>,
    pub payload: Bytes,
}

/// Size of the body [`encode_frame`] writes for these fields.
pub fn body_len(key: &str, headers: &BTreeMap<String, String>, payload: &[u8]) -> usize {
    BODY_FIXED
        + key.len()
        + headers
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>()
        + payload.len()
}

/// Appends one frame to `out`. The caller guarantees the body is at most
/// [`MAX_BODY`] (see [`body_len`]).
pub fn encode_frame(
    out: &mut Vec<u8>,
    offset: u64,
    timestamp_ms: i64,
    key: &str,
    headers: &BTreeMap<String, String>,
    payload: &[u8],
) {
    let len = body_len(key, headers, payload);
    debug_assert!(len <= MAX_BODY);
    let start = out.len();
    out.reserve(FRAME_HEADER + len);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&[0u8; 4]); // crc placeholder
    let body_start = out.len();
    out.extend_from_slice(&offset.to_le_bytes());
    out.extend_from_slice(&timestamp_ms.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(headers.len() as u32).to_le_bytes());
    for (k, v) in headers {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[body_start..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// Parses a frame header; returns the body length and stored CRC.
pub fn parse_header(buf: &[u8]) -> Result<(usize, u32), DecodeError> {
    if buf.len() < FRAME_HEADER {
        return Err(DecodeError::Truncated);
    }
    let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let crc = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    if len as usize > MAX_BODY || (len as usize) < BODY_FIXED {
        return Err(DecodeError::BadLength(len));
    }
    Ok((len as usize, crc))
}

/// Checks a body against its stored CRC.
pub fn check_crc(body: &[u8], expected: u32) -> Result<(), DecodeError> {
    let actual = crc32fast::hash(body);
    if actual != expected {
        return Err(DecodeError::Checksum { expected, actual });
    }
    Ok(())
}

/// Splits the first frame off `buf`: returns its (CRC-checked) body and the
/// total frame size.
pub fn split_frame(buf: &[u8]) -> Result<(&[u8], usize), DecodeError> {
    let (len, crc) = parse_header(buf)?;
    let total = FRAME_HEADER + len;
    if buf.len() < total {
        return Err(DecodeError::Truncated);
    }
    let body = &buf[FRAME_HEADER..total];
    check_crc(body, crc)?;
    Ok((body, total))
}

struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::Malformed(what));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn str(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let len = self.u32(what)? as usize;
        let b = self.take(len, what)?;
        std::str::from_utf8(b).map_err(|_| DecodeError::Malformed("invalid utf-8"))
    }
}

/// Walks a body without allocating and returns its offset; used by recovery
/// to validate every record.
pub fn validate_body(body: &[u8]) -> Result<u64, DecodeError> {
    let mut c = Cursor { buf: body };
    let offset = c.u64("offset")?;
    c.u64("timestamp")?;
    c.str("key")?;
    let n = c.u32("header count")?;
    for _ in 0..n {
        c.str("header name")?;
        c.str("header value")?;
    }
    Ok(offset)
}

/// Decodes a body, copying the payload.
#[cfg(test)]
pub fn decode_body(body: &[u8]) -> Result<Record, DecodeError> {
    decode_inner(body, None)
}

/// Decodes a body that lies inside `chunk`; the payload shares `chunk`'s
/// memory instead of being copied.
pub fn decode_body_in(chunk: &Bytes, body: &[u8]) -> Result<Record, DecodeError> {
    decode_inner(body, Some(chunk))
}

fn decode_inner(body: &[u8], chunk: Option<&Bytes>) -> Result<Record, DecodeError> {
    let mut c = Cursor { buf: body };
    let offset = c.u64("offset")?;
    let timestamp_ms = c.u64("timestamp")? as i64;
    let key = c.str("key")?.to_owned();
    let n = c.u32("header count")?;
    let mut headers = BTreeMap::new();
    for _ in 0..n {
        let k = c.str("header name")?;
        let v = c.str("header value")?;
        headers.insert(k.to_owned(), v.to_owned());
    }
    Ok(Record {
        offset,
        timestamp_ms,
        key,
        headers,
        payload: match chunk {
            Some(chunk) if contains(chunk, c.buf) => chunk.slice_ref(c.buf),
            _ => Bytes::copy_from_slice(c.buf),
        },
    })
}

fn contains(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr() as usize;
    let i = inner.as_ptr() as usize;
    i >= o && i + inner.len() <= o + outer.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(
        offset: u64,
        key: &str,
        headers: &BTreeMap<String, String>,
        payload: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        encode_frame(&mut out, offset, 1_700_000_000_000, key, headers, payload);
        out
    }

    #[test]
    fn roundtrip_simple() {
        let mut h = BTreeMap::new();
        h.insert("traceparent".to_string(), "00-abc-def-01".to_string());
        let f = frame(42, "tenant/asset", &h, b"hello");
        assert_eq!(
            f.len(),
            FRAME_HEADER + body_len("tenant/asset", &h, b"hello")
        );
        let (body, used) = split_frame(&f).unwrap();
        assert_eq!(used, f.len());
        assert_eq!(validate_body(body).unwrap(), 42);
        let r = decode_body(body).unwrap();
        assert_eq!(r.offset, 42);
        assert_eq!(r.timestamp_ms, 1_700_000_000_000);
        assert_eq!(r.key, "tenant/asset");
        assert_eq!(r.headers, h);
        assert_eq!(&r.payload[..], b"hello");
    }

    #[test]
    fn detects_truncation_and_bit_flips() {
        let f = frame(7, "k", &BTreeMap::new(), b"payload bytes");
        for cut in 0..f.len() {
            assert!(split_frame(&f[..cut]).is_err(), "cut at {cut} accepted");
        }
        for i in 0..f.len() {
            let mut g = f.clone();
            g[i] ^= 0x40;
            // A flip in the length field may still parse as a shorter or
            // longer frame, but never as the same valid record.
            match split_frame(&g) {
                Err(_) => {}
                Ok((body, _)) => panic!("flip at {i} accepted: {body:?}"),
            }
        }
    }

    #[test]
    fn garbage_lengths_are_rejected_without_allocating() {
        let mut g = vec![0xff; 16];
        assert_eq!(split_frame(&g), Err(DecodeError::BadLength(u32::MAX)));
        g[..4].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(split_frame(&g), Err(DecodeError::BadLength(0)));
    }

    #[test]
    fn malformed_body_with_valid_crc_is_an_error() {
        // A body claiming a 1000-byte key in 30 bytes.
        let mut body = Vec::new();
        body.extend_from_slice(&1u64.to_le_bytes());
        body.extend_from_slice(&0i64.to_le_bytes());
        body.extend_from_slice(&1000u32.to_le_bytes());
        body.extend_from_slice(&[b'a'; 10]);
        assert!(matches!(
            validate_body(&body),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(decode_body(&body), Err(DecodeError::Malformed(_))));
        // Invalid UTF-8 in the key.
        let mut body = Vec::new();
        body.extend_from_slice(&1u64.to_le_bytes());
        body.extend_from_slice(&0i64.to_le_bytes());
        body.extend_from_slice(&2u32.to_le_bytes());
        body.extend_from_slice(&[0xc3, 0x28]);
        body.extend_from_slice(&0u32.to_le_bytes());
        assert!(matches!(decode_body(&body), Err(DecodeError::Malformed(_))));
    }

    proptest! {
        #[test]
        fn codec_roundtrips(
            offset in any::<u64>(),
            ts in any::<i64>(),
            key in ".{0,40}",
            headers in proptest::collection::btree_map(".{0,12}", ".{0,30}", 0..5),
            payload in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut out = vec![0xAA; 3]; // frames are appended after existing bytes
            encode_frame(&mut out, offset, ts, &key, &headers, &payload);
            let (body, used) = split_frame(&out[3..]).unwrap();
            prop_assert_eq!(used, out.len() - 3);
            prop_assert_eq!(validate_body(body).unwrap(), offset);
            let r = decode_body(body).unwrap();
            prop_assert_eq!(r.offset, offset);
            prop_assert_eq!(r.timestamp_ms, ts);
            prop_assert_eq!(r.key, key);
            prop_assert_eq!(r.headers, headers);
            prop_assert_eq!(&r.payload[..], &payload[..]);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = split_frame(&data);
            let _ = validate_body(&data);
            let _ = decode_body(&data);
        }

        #[test]
        fn concatenated_frames_split_back(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..20)
        ) {
            let mut out = Vec::new();
            for (i, p) in payloads.iter().enumerate() {
                encode_frame(&mut out, i as u64, 0, "k", &BTreeMap::new(), p);
            }
            let mut rest = &out[..];
            for (i, p) in payloads.iter().enumerate() {
                let (body, used) = split_frame(rest).unwrap();
                let r = decode_body(body).unwrap();
                prop_assert_eq!(r.offset, i as u64);
                prop_assert_eq!(&r.payload[..], &p[..]);
                rest = &rest[used..];
            }
            prop_assert!(rest.is_empty());
        }
    }
}
