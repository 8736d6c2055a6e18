//! Byte-level encoding helpers shared by every on-disk format: big-endian integers, varints as Go's
//! `encoding/binary` writes them (Prometheus's formats use both), and a bounds-checked decoder.
//!
//! The decoder never panics and never indexes out of bounds: untrusted bytes from disk go through
//! it, and every failure is an [`DecodeError`] that the caller turns into a corruption error naming
//! the file.

/// Why a byte slice could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes were left than the value needs.
    #[error("unexpected end of data")]
    UnexpectedEnd,
    /// A varint longer than 10 bytes or overflowing 64 bits.
    #[error("invalid varint")]
    InvalidVarint,
    /// A string that is not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A length or count that does not fit the data or this platform.
    #[error("invalid size")]
    InvalidSize,
}

/// Appends values to a growing byte buffer.
#[derive(Debug, Default, Clone)]
pub struct Encbuf {
    /// The bytes written so far.
    pub buf: Vec<u8>,
}

impl Encbuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
        }
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forgets the contents, keeping the allocation.
    pub fn reset(&mut self) {
        self.buf.clear();
    }

    /// One byte.
    pub fn put_u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Big-endian u32.
    pub fn put_be32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Big-endian u64.
    pub fn put_be64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Unsigned LEB128 varint (Go's `binary.PutUvarint`).
    pub fn put_uvarint(&mut self, v: u64) {
        put_uvarint(&mut self.buf, v);
    }

    /// Zig-zag signed varint (Go's `binary.PutVarint`).
    pub fn put_varint(&mut self, v: i64) {
        put_uvarint(&mut self.buf, zigzag(v));
    }

    /// Raw bytes.
    pub fn put_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// A uvarint length followed by the string's bytes.
    pub fn put_uvarint_str(&mut self, s: &str) {
        self.put_uvarint(s.len() as u64);
        self.put_bytes(s.as_bytes());
    }

    /// A uvarint length followed by the bytes.
    pub fn put_uvarint_bytes(&mut self, b: &[u8]) {
        self.put_uvarint(b.len() as u64);
        self.put_bytes(b);
    }
}

/// Appends `v` as an unsigned LEB128 varint.
#[inline]
pub fn put_uvarint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Zig-zag encoding of a signed integer, as Go's `binary.PutVarint` does.
#[inline]
pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// Inverse of [`zigzag`].
#[inline]
pub fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Number of bytes `v` takes as a uvarint.
pub fn uvarint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Reads values from the front of a byte slice, failing cleanly on short or malformed input.
#[derive(Debug, Clone, Copy)]
pub struct Decbuf<'a> {
    rest: &'a [u8],
}

impl<'a> Decbuf<'a> {
    /// A decoder over `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Self { rest: b }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// Number of bytes not yet consumed.
    pub fn len(&self) -> usize {
        self.rest.len()
    }

    /// True when everything was consumed.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.bytes(n).map(|_| ())
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or(DecodeError::UnexpectedEnd)?;
        self.rest = tail;
        Ok(head)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&b, tail) = self.rest.split_first().ok_or(DecodeError::UnexpectedEnd)?;
        self.rest = tail;
        Ok(b)
    }

    /// Big-endian u32.
    pub fn be32(&mut self) -> Result<u32, DecodeError> {
        let b = self.bytes(4)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_be_bytes(a))
    }

    /// Big-endian u64.
    pub fn be64(&mut self) -> Result<u64, DecodeError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// Unsigned LEB128 varint.
    pub fn uvarint(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            if i == 9 && b > 1 {
                return Err(DecodeError::InvalidVarint);
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(DecodeError::InvalidVarint)
    }

    /// Zig-zag signed varint.
    pub fn varint(&mut self) -> Result<i64, DecodeError> {
        self.uvarint().map(unzigzag)
    }

    /// A uvarint that must fit in `usize`.
    pub fn uvarint_usize(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(self.uvarint()?).map_err(|_| DecodeError::InvalidSize)
    }

    /// A uvarint-length-prefixed byte string.
    pub fn uvarint_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.uvarint_usize()?;
        self.bytes(n)
    }

    /// A uvarint-length-prefixed UTF-8 string.
    pub fn uvarint_str(&mut self) -> Result<&'a str, DecodeError> {
        let b = self.uvarint_bytes()?;
        std::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8)
    }
}

/// CRC32 with the Castagnoli polynomial, as Prometheus's index, chunk files and tombstones use.
#[inline]
pub fn crc32c(b: &[u8]) -> u32 {
    crc32c::crc32c(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(u in any::<u64>(), i in any::<i64>(), s in ".*", a in any::<u32>()) {
            let mut e = Encbuf::new();
            e.put_uvarint(u);
            e.put_varint(i);
            e.put_uvarint_str(&s);
            e.put_be32(a);
            e.put_be64(u);
            prop_assert_eq!(e.len(), uvarint_len(u) + uvarint_len(zigzag(i)) + uvarint_len(s.len() as u64) + s.len() + 12);
            let mut d = Decbuf::new(&e.buf);
            prop_assert_eq!(d.uvarint().unwrap(), u);
            prop_assert_eq!(d.varint().unwrap(), i);
            prop_assert_eq!(d.uvarint_str().unwrap(), s.as_str());
            prop_assert_eq!(d.be32().unwrap(), a);
            prop_assert_eq!(d.be64().unwrap(), u);
            prop_assert!(d.is_empty());
        }

        #[test]
        fn garbage_never_panics(b in proptest::collection::vec(any::<u8>(), 0..32)) {
            let mut d = Decbuf::new(&b);
            while d.uvarint_str().is_ok() {}
            let mut d = Decbuf::new(&b);
            while d.varint().is_ok() {}
        }
    }

    #[test]
    fn matches_go_encoding() {
        let mut e = Encbuf::new();
        e.put_varint(-1);
        e.put_varint(1);
        e.put_uvarint(300);
        assert_eq!(e.buf, [0x01, 0x02, 0xac, 0x02]);
        assert_eq!(
            Decbuf::new(&[0xff; 11]).uvarint(),
            Err(DecodeError::InvalidVarint)
        );
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    }
}
