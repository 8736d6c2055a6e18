//! Bit streams for the Gorilla chunk: a writer that reproduces the exact bytes of Prometheus's
//! `chunkenc.bstream` and a bounds-checked reader that pulls bits from a 64-bit buffer.
//!
//! Bits are written most-significant first. Prometheus's writer has one quirk that shows in the
//! bytes: writing whole bytes (`writeByte`) always appends a fresh zero byte after the one it
//! filled, so a stream whose last operation was a whole-byte write and that ends on a byte
//! boundary carries one trailing zero byte. [`BitWriter`] reproduces this through
//! [`BitWriter::end_op`]. Everything else is positional, so the writer ORs whole 64-bit words into
//! a zero-padded buffer instead of going bit by bit.
//!
//! Upstream reference: prometheus/prometheus `tsdb/chunkenc/bstream.go` (v2.42).

use crate::encoding::{Decbuf, DecodeError};

/// Size of the XOR chunk header (the sample count) that precedes the bits.
pub(crate) const HEADER: usize = 2;

/// Zero bytes kept after the logical end so that one sample's writes never need a bounds check
/// that can fail: a sample takes at most 68 + 77 bits, or 10 + 8 + 10 bytes for the first two.
const SLACK: usize = 40;

/// Appends bits to a byte buffer after a [`HEADER`]-byte header.
///
/// Invariants: `buf.len() >= len`; every bit after `HEADER + bit_pos` bits is zero; `len` is
/// what Prometheus's `bstream` would hold after the same operations.
#[derive(Debug, Clone)]
pub(crate) struct BitWriter {
    /// The bytes, zero-padded beyond `len`.
    buf: Vec<u8>,
    /// Logical length in bytes, header included.
    len: usize,
    /// Bits written after the header.
    bit_pos: usize,
}

impl BitWriter {
    /// An empty stream (a zero header) with room for `cap` bytes.
    pub(crate) fn new(cap: usize) -> Self {
        let mut buf = Vec::with_capacity(cap.max(HEADER + SLACK));
        buf.resize(HEADER, 0);
        Self {
            buf,
            len: HEADER,
            bit_pos: 0,
        }
    }

    /// Resumes a stream over `bytes` whose first `bit_pos` bits after the header are data.
    ///
    /// The caller has checked that every later bit is zero and that `bytes` is no longer than
    /// Prometheus's writer would have left it.
    pub(crate) fn resume(bytes: Vec<u8>, bit_pos: usize) -> Self {
        let len = bytes.len();
        Self {
            buf: bytes,
            len,
            bit_pos,
        }
    }

    /// The stream's bytes, header included.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&self.buf)
    }

    /// Sets the header.
    #[inline]
    pub(crate) fn set_header(&mut self, h: [u8; HEADER]) {
        if let Some(dst) = self.buf.first_chunk_mut::<HEADER>() {
            *dst = h;
        }
    }

    /// Bits written after the header.
    #[cfg(test)]
    pub(crate) fn bit_pos(&self) -> usize {
        self.bit_pos
    }

    /// Makes room for one more sample's worth of bits; call before a batch of `write_bits`.
    #[inline(always)]
    pub(crate) fn reserve_sample(&mut self) {
        let need = HEADER + self.bit_pos / 8 + SLACK;
        if self.buf.len() < need {
            self.grow(need);
        }
    }

    /// Zero-extends the buffer past `need` bytes. Capacity grows in fixed steps, not by
    /// doubling: the head keeps one open chunk per series, and doubling would leave up to half
    /// of each buffer unused (a full chunk is ~150-300 bytes); a reallocation every few dozen
    /// samples costs little.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, need: usize) {
        const STEP: usize = 64;
        let target = need + STEP / 2;
        self.buf
            .reserve_exact(target.saturating_sub(self.buf.len()) + STEP / 2);
        self.buf.resize(target, 0);
    }

    /// Writes the low `n` bits of `u` (1 <= n <= 64), most significant first. Higher bits of
    /// `u` are ignored. Needs a preceding [`reserve_sample`](Self::reserve_sample).
    #[inline(always)]
    pub(crate) fn write_bits(&mut self, u: u64, n: u32) {
        debug_assert!((1..=64).contains(&n));
        let aligned = u << (64 - n);
        if aligned != 0 {
            self.or_bits(aligned, n);
        }
        self.bit_pos += n as usize;
    }

    /// ORs the `n` leading bits of `aligned` in at the current position.
    #[inline(always)]
    fn or_bits(&mut self, aligned: u64, n: u32) {
        let at = HEADER + (self.bit_pos >> 3);
        let off = (self.bit_pos & 7) as u32;
        if let Some(word) = self
            .buf
            .get_mut(at..)
            .and_then(|s| s.first_chunk_mut::<9>())
        {
            let (w, spill) = word.split_at_mut(8);
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            w.copy_from_slice(&(u64::from_be_bytes(b) | aligned >> off).to_be_bytes());
            if off + n > 64
                && let Some(x) = spill.first_mut()
            {
                *x |= (aligned << (64 - off) >> 56) as u8;
            }
        }
    }

    /// Fixes the logical length after a group of writes. `last_whole_bytes` says whether
    /// Prometheus's last operation was a `writeBits` of a multiple of 8 bits (which ends in
    /// `writeByte`), the only case in which it leaves a trailing zero byte.
    #[inline(always)]
    pub(crate) fn end_op(&mut self, last_whole_bytes: bool) {
        let spare = usize::from(last_whole_bytes && self.bit_pos.is_multiple_of(8));
        self.len = HEADER + self.bit_pos.div_ceil(8) + spare;
    }

    /// Drops the slack and spare capacity.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.buf.truncate(self.len);
        self.buf.shrink_to_fit();
    }
}

/// Reads bits from a byte slice, most significant first, through a 64-bit buffer.
///
/// `acc` holds the next unread bits left-aligned; `nbits` of them are counted as loaded. Bits of
/// `acc` past `nbits` are either zero or the stream's real next bits (a refill may load part of
/// a byte early and load it again later; OR-ing the same bits twice is harmless).
///
/// Two kinds of reads exist. Checked reads ([`read`](Self::read), [`read_long`](Self::read_long))
/// refill and fail at the end of data. Unchecked ones ([`take`](Self::take)) let the hot path
/// decode several small fields after one [`refill`](Self::refill): they may run past the loaded bits,
/// which drives `nbits` negative; the caller then checks [`overrun`](Self::overrun) before it
/// trusts what it read or reads further.
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    /// The stream.
    data: &'a [u8],
    /// Next byte of `data` to load.
    pos: usize,
    /// Unread bits, left-aligned.
    acc: u64,
    /// How many leading bits of `acc` are loaded; negative after an overrun.
    nbits: i64,
}

impl<'a> BitReader<'a> {
    /// A reader at the start of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            acc: 0,
            nbits: 0,
        }
    }

    /// Bits consumed so far (meaningful when not overrun).
    #[inline]
    pub(crate) fn consumed_bits(&self) -> usize {
        (self.pos as i64 * 8 - self.nbits) as usize
    }

    /// Whether unchecked reads went past the end of the data.
    #[inline(always)]
    pub(crate) fn overrun(&self) -> bool {
        self.nbits < 0
    }

    /// Bits loaded and not consumed (negative after an overrun).
    #[inline(always)]
    pub(crate) fn loaded(&self) -> i64 {
        self.nbits
    }

    /// Loads as many whole bytes as fit. `nbits < 64` on entry. A refill that finds 8 bytes
    /// leaves at least 56 bits loaded and callers consume at most that much before the next
    /// one, so an overrun implies the data is exhausted and only the tail path runs after it.
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
        if let Some(w) = self.data.get(self.pos..).and_then(|s| s.first_chunk::<8>()) {
            debug_assert!(self.nbits >= 0);
            self.acc |= u64::from_be_bytes(*w) >> self.nbits;
            let take = (63 - self.nbits) / 8;
            self.pos += take as usize;
            self.nbits += take * 8;
        } else {
            self.refill_tail();
        }
    }

    /// [`refill`](Self::refill) within the last 8 bytes: byte by byte. Also the only refill
    /// that can follow an overrun (which happens only once the data is exhausted).
    #[cold]
    #[inline(never)]
    fn refill_tail(&mut self) {
        while (0..=56).contains(&self.nbits) {
            let Some(&b) = self.data.get(self.pos) else {
                break;
            };
            self.acc |= u64::from(b) << (56 - self.nbits);
            self.pos += 1;
            self.nbits += 8;
        }
    }

    /// The number of leading one bits in the buffer (bits past `nbits` count as they are).
    #[inline(always)]
    pub(crate) fn leading_ones(&self) -> u32 {
        self.acc.leading_ones()
    }

    /// The next two bits, without consuming them or checking that they were loaded.
    #[inline(always)]
    pub(crate) fn peek2(&self) -> u64 {
        self.acc >> 62
    }

    /// Consumes `n` bits (n <= 56) without checking that they were loaded.
    #[inline(always)]
    pub(crate) fn take(&mut self, n: u32) -> u64 {
        let v = (self.acc >> 1) >> (63 - n);
        self.acc <<= n;
        self.nbits -= i64::from(n);
        v
    }

    /// Ensures `n` bits are loaded, if the data has them.
    #[inline(always)]
    fn ensure(&mut self, n: u32) -> Result<(), DecodeError> {
        if self.nbits < i64::from(n) {
            if self.overrun() {
                return Err(DecodeError::UnexpectedEnd);
            }
            self.refill();
            if self.nbits < i64::from(n) {
                return Err(DecodeError::UnexpectedEnd);
            }
        }
        Ok(())
    }

    /// Reads `n` bits, 1 <= n <= 56, as the low bits of the result.
    #[inline(always)]
    pub(crate) fn read(&mut self, n: u32) -> Result<u64, DecodeError> {
        self.ensure(n)?;
        Ok(self.take(n))
    }

    /// Reads `n` bits, 1 <= n <= 64.
    #[inline(always)]
    pub(crate) fn read_long(&mut self, n: u32) -> Result<u64, DecodeError> {
        if n <= 56 {
            self.read(n)
        } else {
            let hi = self.read(n - 32)?;
            Ok(hi << 32 | self.read(32)?)
        }
    }

    /// Reads whole bytes through a [`Decbuf`] while the stream is still byte-aligned and no
    /// bits are buffered (the first sample and the second sample's time delta).
    pub(crate) fn aligned<T>(
        &mut self,
        f: impl FnOnce(&mut Decbuf<'a>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        debug_assert!(self.nbits == 0);
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let mut d = Decbuf::new(rest);
        let v = f(&mut d)?;
        self.pos += rest.len() - d.len();
        Ok(v)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bit-by-bit model of Prometheus's `bstream`, straight from its definition: `count` is the
    /// number of free bits in the last byte.
    struct Model {
        stream: Vec<u8>,
        count: u8,
    }

    impl Model {
        fn write_bit(&mut self, bit: bool) {
            if self.count == 0 {
                self.stream.push(0);
                self.count = 8;
            }
            if bit {
                *self.stream.last_mut().unwrap() |= 1 << (self.count - 1);
            }
            self.count -= 1;
        }

        fn write_byte(&mut self, byt: u8) {
            if self.count == 0 {
                self.stream.push(0);
                self.count = 8;
            }
            *self.stream.last_mut().unwrap() |=
                byt.checked_shr(8 - u32::from(self.count)).unwrap_or(0);
            self.stream
                .push(byt.checked_shl(u32::from(self.count)).unwrap_or(0));
        }

        fn write_bits(&mut self, u: u64, mut n: u32) {
            let mut u = u << (64 - n);
            while n >= 8 {
                self.write_byte((u >> 56) as u8);
                u <<= 8;
                n -= 8;
            }
            while n > 0 {
                self.write_bit(u >> 63 == 1);
                u <<= 1;
                n -= 1;
            }
        }
    }

    proptest! {
        #[test]
        fn writer_matches_bstream_model(ops in proptest::collection::vec((any::<u64>(), 1u32..=64), 0..40)) {
            let mut m = Model { stream: vec![0, 0], count: 0 };
            let mut w = BitWriter::new(0);
            for &(u, n) in &ops {
                m.write_bits(u, n);
                w.reserve_sample();
                w.write_bits(u, n);
                w.end_op(n % 8 == 0);
                prop_assert_eq!(w.bytes(), &m.stream[..]);
            }
            let mut r = BitReader::new(&m.stream[2..]);
            for &(u, n) in &ops {
                let mask = if n == 64 { u64::MAX } else { (1 << n) - 1 };
                prop_assert_eq!(r.read_long(n).unwrap(), u & mask);
            }
            prop_assert_eq!(r.consumed_bits(), w.bit_pos());
        }
    }

    #[test]
    fn reader_stops_at_the_end() {
        let mut r = BitReader::new(&[0b1110_0000]);
        r.refill();
        assert_eq!(r.leading_ones(), 3);
        assert_eq!(r.take(4), 0b1110);
        assert_eq!(r.read(4).unwrap(), 0);
        assert_eq!(r.read(1), Err(DecodeError::UnexpectedEnd));
        assert_eq!(r.consumed_bits(), 8);

        // Unchecked reads past the end are caught by `overrun`, and checked reads then fail.
        let mut r = BitReader::new(&[0xff, 0x01]);
        r.refill();
        assert_eq!(r.take(12), 0xff0);
        assert!(!r.overrun());
        assert_eq!(r.take(8), 0x10);
        assert!(r.overrun());
        assert_eq!(r.read(1), Err(DecodeError::UnexpectedEnd));

        // Long reads cross refills.
        let data: Vec<u8> = (0u8..20).collect();
        let mut r = BitReader::new(&data);
        assert_eq!(r.read(4).unwrap(), 0);
        assert_eq!(r.read_long(64).unwrap(), 0x0010_2030_4050_6070);
        assert_eq!(r.read_long(60).unwrap(), 0x0809_0a0b_0c0d_0e0f);
        assert_eq!(r.consumed_bits(), 128);
    }
}
