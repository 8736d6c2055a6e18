//! The Gorilla XOR chunk, byte-for-byte what Prometheus's `chunkenc.XORChunk` (encoding 1)
//! produces for the same samples.
//!
//! Layout (see `docs/format/chunks.md`): a big-endian u16 sample count; the first sample as a
//! zig-zag varint timestamp and the value's 64 raw bits; the second as a uvarint time delta and
//! an XOR-encoded value; every later sample as a delta-of-delta timestamp in a `0` / `10`+14 /
//! `110`+17 / `1110`+20 / `1111`+64 bit bucket and an XOR-encoded value. A value equal to the
//! previous one is a `0` bit; otherwise `10` reuses the previous leading/trailing-zero window and
//! `11` opens a new one (5 bits of leading zeros capped at 31, 6 bits of significant bits where
//! 64 is written as 0) before the significant bits.
//!
//! Values are bit patterns: NaN payloads, the staleness marker, -0.0 and subnormals round-trip
//! exactly. Time arithmetic wraps like Go's, so any strictly increasing timestamps round-trip.
//! The decoder reads untrusted bytes: it never panics, stops after the header's sample count and
//! reports truncated or malformed input through [`XorIter::error`].
//!
//! Upstream reference: prometheus/prometheus `tsdb/chunkenc/xor.go` (v2.42).

use model::Sample;

use super::bstream::{BitReader, BitWriter, HEADER};
use crate::encoding::DecodeError;

/// Prometheus's `chunkenc.EncXOR`, the encoding byte stored next to XOR chunks in chunk files.
pub(crate) const ENCODING_XOR: u8 = 1;

/// Initial capacity, as Prometheus allocates (a full 120-sample chunk is usually 100-250 bytes).
const INITIAL_CAPACITY: usize = 128;

/// The appender's `leading` before any value window was opened.
const NO_WINDOW: u8 = 0xff;

/// An XOR chunk being appended to; its bytes are valid Prometheus chunk bytes at any time.
///
/// Invariants: `num` samples are encoded in `w`; `t`, `v`, `t_delta`, `leading` and `trailing`
/// are the state Prometheus's `xorAppender` would have after appending them.
#[derive(Debug, Clone)]
pub(crate) struct XorChunk {
    /// The encoded bytes.
    w: BitWriter,
    /// Samples encoded.
    num: u16,
    /// Timestamp of the first sample (meaningless while `num == 0`).
    first_t: i64,
    /// Timestamp of the last sample.
    t: i64,
    /// Value bits of the last sample.
    v: u64,
    /// Last time delta, wrapping.
    t_delta: u64,
    /// Leading zeros of the current value window, or [`NO_WINDOW`].
    leading: u8,
    /// Trailing zeros of the current value window.
    trailing: u8,
}

impl Default for XorChunk {
    fn default() -> Self {
        Self::new()
    }
}

impl XorChunk {
    /// An empty chunk: two zero header bytes.
    pub(crate) fn new() -> Self {
        Self {
            w: BitWriter::new(INITIAL_CAPACITY),
            num: 0,
            first_t: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: NO_WINDOW,
            trailing: 0,
        }
    }

    /// Appends a sample. The caller guarantees `t` is greater than the last sample's timestamp
    /// (the head checks order before it appends) and cuts chunks long before 65535 samples; a
    /// sample beyond that count is dropped (and asserts in debug builds).
    #[inline]
    pub(crate) fn append(&mut self, t: i64, v: f64) {
        if self.num < 2 || self.num == u16::MAX {
            return self.append_slow(t, v);
        }
        let vb = v.to_bits();
        self.w.reserve_sample();
        let t_delta = t.wrapping_sub(self.t) as u64;
        // The delta-of-delta buckets are Go's `bitRange`: `-(2^(n-1) - 1) <= dod <= 2^(n-1)`.
        // Its code is written together with the value's control bits.
        let dod = t_delta.wrapping_sub(self.t_delta) as i64;
        let d = dod as u64;
        let prefix = match dod {
            0 => (0, 1),
            -8191..=8192 => (0b10 << 14 | (d & 0x3fff), 16),
            -65535..=65536 => (0b110 << 17 | (d & 0x1_ffff), 20),
            -524_287..=524_288 => (0b1110 << 20 | (d & 0xf_ffff), 24),
            _ => {
                self.w.write_bits(0b1111, 4);
                self.w.write_bits(d, 64);
                (0, 0)
            }
        };
        let whole_bytes = self.write_value(vb, prefix);
        self.finish_append(t, t_delta, vb, whole_bytes);
    }

    /// The first two samples (byte-aligned varints) and the overflow guard.
    #[cold]
    #[inline(never)]
    fn append_slow(&mut self, t: i64, v: f64) {
        debug_assert!(self.num < u16::MAX, "XOR chunk sample count overflow");
        let vb = v.to_bits();
        self.w.reserve_sample();
        let t_delta = t.wrapping_sub(self.t) as u64;
        match self.num {
            0 => {
                self.write_uvarint(crate::encoding::zigzag(t));
                self.w.write_bits(vb, 64);
                self.first_t = t;
                self.finish_append(t, 0, vb, true);
            }
            1 => {
                self.write_uvarint(t_delta);
                let whole_bytes = self.write_value(vb, (0, 0));
                self.finish_append(t, t_delta, vb, whole_bytes);
            }
            _ => {}
        }
    }

    /// Updates the appender state and the header after a sample was written.
    #[inline(always)]
    fn finish_append(&mut self, t: i64, t_delta: u64, vb: u64, whole_bytes: bool) {
        self.w.end_op(whole_bytes);
        self.t_delta = t_delta;
        self.t = t;
        self.v = vb;
        self.num += 1;
        self.w.set_header(self.num.to_be_bytes());
    }

    /// Writes a uvarint as whole bytes, as Prometheus's `writeByte` loop does.
    fn write_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.w.write_bits(x | 0x80, 8);
            x >>= 7;
        }
        self.w.write_bits(x, 8);
    }

    /// Writes `prefix` (code, width; width 0 for none) followed by the XOR of `vb` with the
    /// previous value. Returns whether Prometheus's last write was a whole number of bytes,
    /// which decides its trailing zero byte.
    #[inline(always)]
    fn write_value(&mut self, vb: u64, (pre, pn): (u64, u32)) -> bool {
        let delta = vb ^ self.v;
        if delta == 0 {
            self.w.write_bits(pre << 1, pn + 1);
            return false;
        }
        // The cap keeps the count in 5 bits; the window then includes a few zero bits.
        let lz = (delta.leading_zeros() as u8).min(31);
        let tz = delta.trailing_zeros() as u8;
        let sig = if self.leading != NO_WINDOW && lz >= self.leading && tz >= self.trailing {
            self.w.write_bits(pre << 2 | 0b10, pn + 2);
            64 - self.leading - self.trailing
        } else {
            self.leading = lz;
            self.trailing = tz;
            // 64 significant bits do not fit in 6 bits and are written as 0.
            let sig = 64 - lz - tz;
            let ctrl = 0b11 << 11 | u64::from(lz) << 6 | u64::from(sig & 63);
            self.w.write_bits(pre << 13 | ctrl, pn + 13);
            sig
        };
        self.w.write_bits(delta >> self.trailing, u32::from(sig));
        sig % 8 == 0
    }

    /// Number of samples.
    #[inline]
    pub(crate) fn num_samples(&self) -> usize {
        usize::from(self.num)
    }

    /// The chunk's bytes, exactly as Prometheus would hold them.
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Timestamp of the first sample.
    pub(crate) fn min_time(&self) -> Option<i64> {
        (self.num > 0).then_some(self.first_t)
    }

    /// Timestamp of the last sample.
    pub(crate) fn max_time(&self) -> Option<i64> {
        (self.num > 0).then_some(self.t)
    }

    /// An iterator over the samples.
    pub(crate) fn iter(&self) -> XorIter<'_> {
        XorIter::new(self.bytes())
    }

    /// Releases spare capacity, for chunks that will not be appended to again soon.
    #[allow(dead_code, reason = "chunk API whose callers are not all wired yet")]
    pub(crate) fn shrink_to_fit(&mut self) {
        self.w.shrink_to_fit();
    }

    /// Reopens chunk bytes for appending, restoring the appender state by decoding every sample.
    ///
    /// Fails on bytes that do not decode, or whose bits after the last sample are not exactly
    /// the zero padding Prometheus's writer leaves. Unlike Prometheus (which restarts a reopened
    /// stream on a fresh byte and with its window reset) the state is restored exactly, so
    /// appending to a reopened chunk gives the same bytes as never having closed it.
    #[allow(dead_code, reason = "chunk API whose callers are not all wired yet")]
    pub(crate) fn from_bytes(b: Vec<u8>) -> Result<Self, DecodeError> {
        let mut it = XorIter::new(&b);
        let mut first_t = 0;
        if let Some(s) = it.next() {
            first_t = s.t;
        }
        while it.next().is_some() {}
        if let Some(e) = it.err {
            return Err(e);
        }
        let bit_pos = it.r.consumed_bits();
        if !padding_is_clean(&b, bit_pos) {
            return Err(DecodeError::InvalidSize);
        }
        let leading = if it.has_window { it.leading } else { NO_WINDOW };
        let (num, t, v, t_delta, trailing) = (it.total, it.t, it.v, it.t_delta, it.trailing);
        Ok(Self {
            w: BitWriter::resume(b, bit_pos),
            num,
            first_t,
            t,
            v,
            t_delta,
            leading,
            trailing,
        })
    }
}

/// Whether everything after `bit_pos` data bits is zero padding of the length Prometheus's
/// writer leaves: up to the byte boundary, plus at most one spare byte when aligned.
fn padding_is_clean(b: &[u8], bit_pos: usize) -> bool {
    let used = HEADER + bit_pos.div_ceil(8);
    let spare_ok = bit_pos.is_multiple_of(8) && b.get(used..).is_some_and(|s| s == [0]);
    if b.len() != used && !spare_ok {
        return false;
    }
    let free = (8 - bit_pos % 8) % 8;
    let last = b.get(used - 1).copied().unwrap_or(0);
    free == 0 || last & ((1u8 << free) - 1) == 0
}

/// Decodes an XOR chunk. Iteration yields samples in stored order and ends after the header's
/// count or at the first malformed or missing bit, after which [`error`](Self::error) says why.
///
/// Contract (as `model::SampleIterator`): before the first `next` or `seek` there is no current
/// sample; once `None` was returned every later call returns `None`.
#[derive(Debug, Clone)]
pub(crate) struct XorIter<'a> {
    /// Bits after the header.
    r: BitReader<'a>,
    /// Samples the header announces.
    total: u16,
    /// Where iteration stops: `total`, or the count decoded when an error ended it early.
    limit: u16,
    /// Samples decoded so far.
    read: u16,
    /// Current timestamp.
    t: i64,
    /// Current value bits.
    v: u64,
    /// Current time delta, wrapping.
    t_delta: u64,
    /// Leading zeros of the value window (0 until one is read, as in Prometheus).
    leading: u8,
    /// Trailing zeros of the value window.
    trailing: u8,
    /// Whether a `11` window was read (needed to restore the appender exactly).
    has_window: bool,
    /// Set once `None` was returned.
    ended: bool,
    /// Why decoding stopped early.
    err: Option<DecodeError>,
}

impl<'a> XorIter<'a> {
    /// An iterator over arbitrary bytes; anything shorter than the header is an error.
    pub(crate) fn new(b: &'a [u8]) -> Self {
        let (total, data, err) = match b.split_first_chunk::<HEADER>() {
            Some((h, rest)) => (u16::from_be_bytes(*h), rest, None),
            // With a zero count iteration ends at once, with the error.
            None => (0, &[][..], Some(DecodeError::UnexpectedEnd)),
        };
        Self {
            r: BitReader::new(data),
            total,
            limit: total,
            read: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: 0,
            trailing: 0,
            has_window: false,
            ended: false,
            err,
        }
    }

    /// The number of samples the header announces.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn total(&self) -> usize {
        usize::from(self.total)
    }

    /// The current sample: the one `next` or `seek` last returned.
    pub(crate) fn at(&self) -> Option<Sample> {
        (self.read > 0 && !self.ended).then(|| Sample::new(self.t, f64::from_bits(self.v)))
    }

    /// Advances to the first sample with timestamp `>= t`. Returns the current sample again if
    /// it already satisfies that; never moves back.
    pub(crate) fn seek(&mut self, t: i64) -> Option<Sample> {
        if let Some(cur) = self.at()
            && cur.t >= t
        {
            return Some(cur);
        }
        self.find(|s| s.t >= t)
    }

    /// Why iteration ended before the header's sample count, if it did.
    pub(crate) fn error(&self) -> Option<DecodeError> {
        self.err
    }

    /// The first two samples (byte-aligned varints) and the end of iteration.
    #[cold]
    #[inline(never)]
    fn next_slow(&mut self) -> Option<Sample> {
        if self.read >= self.limit {
            self.ended = true;
            return None;
        }
        let res = if self.read == 0 {
            self.r
                .aligned(|d| Ok((d.varint()?, d.be64()?)))
                .map(|(t, v)| {
                    self.t = t;
                    self.v = v;
                })
        } else {
            self.r.aligned(|d| d.uvarint()).and_then(|delta| {
                self.t_delta = delta;
                self.t = self.t.wrapping_add(delta as i64);
                self.read_value()
            })
        };
        match res {
            Ok(()) => {
                self.read += 1;
                Some(Sample::new(self.t, f64::from_bits(self.v)))
            }
            Err(e) => self.fail(e),
        }
    }

    /// Records a decoding error and ends iteration.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, e: DecodeError) -> Option<Sample> {
        self.err = Some(e);
        self.limit = self.read;
        self.ended = true;
        None
    }

    /// Decodes a sample after the second: a delta-of-delta (`0`, `10`+14, `110`+17, `1110`+20
    /// or `1111`+64 bits) and a value. Go decodes `n`-bit payloads above `2^(n-1)` as negative,
    /// so `2^(n-1)` itself stays positive (this is not plain two's complement).
    #[inline(always)]
    fn decode_steady(&mut self) -> Result<(), DecodeError> {
        let r = &mut self.r;
        // 37 bits serve the common case: at most 24 dod bits and 13 value control bits.
        if r.loaded() < 37 {
            r.refill();
        }
        // Regular interval and unchanged value, the most common sample: `0` `0`.
        if r.peek2() == 0 {
            r.take(2);
            if r.overrun() {
                return Err(DecodeError::UnexpectedEnd);
            }
            self.t = self.t.wrapping_add(self.t_delta as i64);
            return Ok(());
        }
        let ones = r.leading_ones();
        let dod = if ones == 0 {
            r.take(1);
            0
        } else if ones < 4 {
            let n = 11 + 3 * ones;
            r.take(ones + 1);
            let bits = r.take(n) as i64;
            bits - (i64::from(bits > 1 << (n - 1)) << n)
        } else {
            r.take(4);
            r.read_long(64)? as i64
        };
        self.t_delta = self.t_delta.wrapping_add(dod as u64);
        self.t = self.t.wrapping_add(self.t_delta as i64);
        self.read_value()
    }

    /// Reads an XOR-encoded value: `0` (unchanged), `10` (previous window) or `11` + 5 bits of
    /// leading zeros + 6 bits of significant bits (0 meaning 64), then the significant bits.
    #[inline(always)]
    fn read_value(&mut self) -> Result<(), DecodeError> {
        let r = &mut self.r;
        if r.overrun() {
            return Err(DecodeError::UnexpectedEnd);
        }
        // After a small dod the control bits are already loaded.
        if r.loaded() < 13 {
            r.refill();
        }
        match r.leading_ones() {
            0 => {
                r.take(1);
                return if r.overrun() {
                    Err(DecodeError::UnexpectedEnd)
                } else {
                    Ok(())
                };
            }
            1 => {
                r.take(2);
            }
            _ => {
                let x = r.take(13);
                if r.overrun() {
                    return Err(DecodeError::UnexpectedEnd);
                }
                let leading = (x >> 6 & 31) as u8;
                let sig = match (x & 63) as u8 {
                    0 => 64,
                    s => s,
                };
                // Prometheus never writes this; Go would wrap around and decode garbage.
                if leading + sig > 64 {
                    return Err(DecodeError::InvalidSize);
                }
                self.leading = leading;
                self.trailing = 64 - leading - sig;
                self.has_window = true;
            }
        }
        let sig = u32::from(64 - self.leading - self.trailing);
        // Unconditional refills: cheaper than a hard-to-predict branch on the bits left.
        r.refill();
        let bits = if sig <= 56 {
            r.take(sig)
        } else {
            let hi = r.take(sig - 32);
            r.refill();
            hi << 32 | r.take(32)
        };
        if r.overrun() {
            return Err(DecodeError::UnexpectedEnd);
        }
        self.v ^= bits << self.trailing;
        Ok(())
    }
}

impl Iterator for XorIter<'_> {
    type Item = Sample;

    #[inline(always)]
    fn next(&mut self) -> Option<Sample> {
        // Hot path: every sample after the second. Failing sets `limit = read`, so
        // this test also covers the end and error states.
        if self.read >= 2 && self.read < self.limit {
            if let Err(e) = self.decode_steady() {
                return self.fail(e);
            }
            self.read += 1;
            return Some(Sample::new(self.t, f64::from_bits(self.v)));
        }
        self.next_slow()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::from(self.limit - self.read)))
    }
}

/// Fuzzing entry point: decodes arbitrary bytes to the end, again through a few seeks, and
/// through [`XorChunk::from_bytes`] plus one append when that accepts them. Panics only when an
/// invariant breaks. Returns the number of samples decoded.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn fuzz_decode(data: &[u8]) -> usize {
    let mut it = XorIter::new(data);
    let samples: Vec<Sample> = it.by_ref().collect();
    let complete = samples.len() == it.total();
    assert!(
        complete || (samples.len() < it.total() && it.error().is_some()),
        "bad stop"
    );

    let mut targets = vec![i64::MIN, i64::MAX];
    targets.extend(samples.iter().step_by(7).map(|s| s.t));
    targets.extend(samples.last().map(|s| s.t.wrapping_add(1)));
    for &target in &targets {
        let mut it = XorIter::new(data);
        let want = samples.iter().find(|s| s.t >= target).copied();
        let got = it.seek(target);
        assert_eq!(got, want, "seek disagrees with a linear scan");
        assert_eq!(it.seek(target), got, "seek is not idempotent");
        assert_eq!(it.seek(i64::MIN), got, "seek moved back");
    }

    let last_t = samples.last().map_or(Some(0), |s| s.t.checked_add(1));
    if let (Ok(mut c), Some(t)) = (XorChunk::from_bytes(data.to_vec()), last_t)
        && samples.len() < usize::from(u16::MAX)
    {
        let mut want = samples.clone();
        want.push(Sample::new(t, model::STALE_NAN));
        c.append(t, model::STALE_NAN);
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            want,
            "appending after a reopen"
        );
    }
    samples.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use model::STALE_NAN_BITS;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn encode(samples: &[Sample]) -> XorChunk {
        let mut c = XorChunk::new();
        for s in samples {
            c.append(s.t, s.v);
        }
        c
    }

    fn decode(b: &[u8]) -> Vec<Sample> {
        let mut it = XorIter::new(b);
        let out: Vec<Sample> = it.by_ref().collect();
        assert_eq!(it.error(), None);
        out
    }

    /// Value bits weighted to the edges; `None` repeats the previous value (the `0` bit path).
    fn value() -> impl Strategy<Value = Option<u64>> {
        let edges = vec![
            STALE_NAN_BITS,
            f64::NAN.to_bits(),
            0x7ff8_dead_beef_0001, // quiet NaN with a payload
            0xfff0_0000_0000_0001, // negative signalling NaN
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits(),
            (-0.0f64).to_bits(),
            0,
            1,                     // smallest subnormal
            0x000f_ffff_ffff_ffff, // largest subnormal
            f64::MIN_POSITIVE.to_bits(),
            f64::MAX.to_bits(),
            f64::MIN.to_bits(),
            u64::MAX,
        ];
        prop_oneof![
            3 => Just(None),
            3 => prop::sample::select(edges).prop_map(Some),
            3 => (0u32..200).prop_map(|i| Some(f64::from(i).to_bits())),
            2 => (-1e6f64..1e6).prop_map(|v| Some(v.to_bits())),
            2 => any::<u64>().prop_map(Some),
        ]
    }

    /// Strictly increasing timestamps: regular scrapes, jitter, and jumps up to the whole range.
    fn samples() -> impl Strategy<Value = Vec<Sample>> {
        let start = prop_oneof![
            Just(0i64),
            Just(i64::MIN),
            Just(1_700_000_000_000),
            -1_000_000i64..1_000_000,
            any::<i64>(),
        ];
        let delta = prop_oneof![
            4 => Just(15_000u64),
            4 => 14_990u64..15_010,
            2 => 1u64..10,
            1 => 1u64..1 << 20,
            1 => 1u64..1 << 40,
            1 => 1u64..=i64::MAX as u64,
        ];
        (start, value(), vec((delta, value()), 0..240)).prop_map(|(start, v0, rest)| {
            let mut v = v0.unwrap_or(0);
            let mut out = vec![Sample::new(start, f64::from_bits(v))];
            let mut t = start;
            for (d, nv) in rest {
                let Some(next) = t.checked_add(d as i64) else {
                    break;
                };
                t = next;
                v = nv.unwrap_or(v);
                out.push(Sample::new(t, f64::from_bits(v)));
            }
            out
        })
    }

    proptest! {
        #[test]
        fn round_trip(s in samples(), split in any::<prop::sample::Index>()) {
            let c = encode(&s);
            prop_assert_eq!(decode(c.bytes()), s.clone());
            prop_assert_eq!(c.num_samples(), s.len());
            prop_assert_eq!(c.min_time(), s.first().map(|x| x.t));
            prop_assert_eq!(c.max_time(), s.last().map(|x| x.t));

            // Reopening mid-chunk and appending the rest gives the same bytes.
            let k = split.index(s.len() + 1);
            let mut r = XorChunk::from_bytes(encode(&s[..k]).bytes().to_vec()).unwrap();
            for x in &s[k..] {
                r.append(x.t, x.v);
            }
            prop_assert_eq!(r.bytes(), c.bytes());
            prop_assert_eq!(r.min_time(), c.min_time());
            let mut shrunk = r.clone();
            shrunk.shrink_to_fit();
            prop_assert_eq!(shrunk.bytes(), c.bytes());
        }

        #[test]
        fn seek_follows_the_contract(
            s in samples(),
            ops in vec((any::<bool>(), any::<prop::sample::Index>(), -2i64..=2), 1..20),
        ) {
            let c = encode(&s);
            let mut it = c.iter();
            // Model: index of the current sample, or None before the first call; `ended` after None.
            let mut cur: Option<usize> = None;
            let mut ended = false;
            for (is_seek, idx, off) in ops {
                let want = if ended {
                    None
                } else if is_seek {
                    let target = s[idx.index(s.len())].t.saturating_add(off);
                    match cur {
                        Some(i) if s[i].t >= target => Some(i),
                        _ => (cur.map_or(0, |i| i + 1)..s.len()).find(|&j| s[j].t >= target),
                    }
                } else {
                    let j = cur.map_or(0, |i| i + 1);
                    (j < s.len()).then_some(j)
                };
                let got = if is_seek {
                    let target = s[idx.index(s.len())].t.saturating_add(off);
                    let got = it.seek(target);
                    prop_assert_eq!(it.seek(target), got, "seek is idempotent");
                    got
                } else {
                    it.next()
                };
                prop_assert_eq!(got, want.map(|i| s[i]));
                ended = want.is_none();
                cur = want.or(cur);
            }
        }

        #[test]
        fn truncated_chunks_decode_a_prefix(s in samples(), cut in any::<prop::sample::Index>()) {
            let c = encode(&s);
            let b = &c.bytes()[..cut.index(c.bytes().len() + 1)];
            let mut it = XorIter::new(b);
            let got: Vec<Sample> = it.by_ref().collect();
            prop_assert_eq!(&got[..], &s[..got.len()]);
            prop_assert!(got.len() == s.len() || it.error().is_some());
            fuzz_decode(b);
        }

        #[test]
        fn garbage_never_panics(b in vec(any::<u8>(), 0..64), flips in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4), s in samples()) {
            fuzz_decode(&b);
            let mut m = encode(&s).bytes().to_vec();
            for (i, x) in flips {
                let i = i.index(m.len());
                m[i] ^= x;
            }
            fuzz_decode(&m);
        }
    }

    /// Bytes worked out by hand from `xor.go` for four samples:
    ///
    /// * header: 4 samples = `00 04`.
    /// * (1000, 1.0): varint(1000) = uvarint(zigzag 2000) = `d0 0f`; 1.0 = `3f f0 00 00 00 00 00 00`.
    /// * (2000, 1.0): uvarint(delta 1000) = `e8 07`; same value: `0`.
    /// * (3000, 2.0): dod 0: `0`; xor = 0x7ff0000000000000 (1 leading, 52 trailing zeros), no window
    ///   yet: `11`, leading `00001`, 11 significant bits `001011`, bits `11111111111`.
    /// * (4010, 2.5): dod 10 fits 14 bits: `10` `00000000001010`; xor = 0x0004000000000000
    ///   (13 leading, 50 trailing) has fewer trailing zeros than the window (52): `11` `01101`
    ///   `000001` `1`.
    ///
    /// The 56 bits after `e8 07` are `00110000 10010111 11111111 11100000 00000010 10110110
    /// 10000011`; they end on a byte boundary through single bits, so no spare byte follows.
    /// A single-sample chunk ends with whole-byte writes and so carries Prometheus's spare zero
    /// byte.
    #[test]
    fn golden_bytes() {
        let s =
            [(1000, 1.0), (2000, 1.0), (3000, 2.0), (4010, 2.5)].map(|(t, v)| Sample::new(t, v));
        let want = [
            0x00, 0x04, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xe8, 0x07, 0x30, 0x97, 0xff,
            0xe0, 0x02, 0xb6, 0x83,
        ];
        assert_eq!(encode(&s).bytes(), want);
        assert_eq!(decode(&want), s);
        assert_eq!(
            encode(&s[..1]).bytes(),
            [0x00, 0x01, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(XorChunk::new().bytes(), [0, 0]);
    }

    /// A chunk written by Prometheus 2.42 (`promtool tsdb create-blocks-from openmetrics`, then
    /// read out of `chunks/000001`): 12 samples with Go's NaN (0x7ff8000000000001), other
    /// special values, and delta-of-deltas in the 14/17/20-bit and 64-bit buckets.
    const PROMETHEUS_CHUNK: &str = "000cc41c7ff800000000000107c5eff2e5137b7141ddefff307d03a01ad454d7b79e752ee1fe0df9\
        2f8f8f0ea91e8ad3e00301bca26f6e283bbf3a9660000800000000000d15a7901bea26f6e283bbeffee406fa89bdb8a0ee\
        f800141f2bc000000000036dee281dd73fd7177c24dffffffffffff244639068b6d9aabf732880";

    #[test]
    fn reencodes_a_prometheus_chunk_identically() {
        let hex: Vec<u8> = PROMETHEUS_CHUNK
            .bytes()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let b: Vec<u8> = hex
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect();
        let s = decode(&b);
        assert_eq!(s.len(), 12);
        assert_eq!(s[0].v.to_bits(), 0x7ff8_0000_0000_0001);
        let dods: Vec<i64> = s
            .windows(3)
            .map(|w| (w[2].t - w[1].t) - (w[1].t - w[0].t))
            .collect();
        assert!(dods.iter().any(|d| d.abs() > 524_288), "{dods:?}");
        assert_eq!(encode(&s).bytes(), b);
        assert_eq!(XorChunk::from_bytes(b.clone()).unwrap().bytes(), b);
    }

    #[test]
    fn decoding_stops_at_the_header_count() {
        let s: Vec<Sample> = (0..10)
            .map(|i| Sample::new(i * 15_000, f64::from(i as i32)))
            .collect();
        let mut b = encode(&s).bytes().to_vec();
        b.extend_from_slice(&[0xff; 32]);
        assert_eq!(decode(&b), s);
        assert!(
            XorChunk::from_bytes(b).is_err(),
            "trailing garbage is refused for appending"
        );
        assert_eq!(XorIter::new(&[0x00]).next(), None);
        assert_eq!(
            XorIter::new(&[0x00]).error(),
            Some(DecodeError::UnexpectedEnd)
        );
        assert_eq!(XorIter::new(&[0x00, 0x05]).error(), None);
    }

    #[test]
    fn timestamp_buckets_use_go_boundaries() {
        // Go's bitRange(dod, n) is -(2^(n-1) - 1) <= dod <= 2^(n-1): asymmetric at both ends.
        let cases = [
            (8192, 16),
            (-8191, 16),
            (-8192, 20),
            (8193, 20),
            (65536, 20),
            (-65535, 20),
            (-65536, 24),
            (524_288, 24),
            (-524_287, 24),
            (-524_288, 68),
            (1 << 40, 68),
        ];
        for (dod, bits) in cases {
            let s = [0, 1_000_000, 2_000_000 + dod].map(|t| Sample::new(t, 0.0));
            let two = encode(&s[..2]).w.bit_pos();
            let c = encode(&s);
            assert_eq!(c.w.bit_pos() - two, bits + 1, "dod {dod}");
            assert_eq!(decode(c.bytes()), s, "dod {dod}");
        }
    }
}
