//! Delete requests: what the store keeps of them (`deletes/<tenant>.del`, one file per
//! tenant, rewritten whole through tmp, fsync, rename and a directory fsync on every change), the
//! requests' API on [`LogStore`], and what reads and compaction ask of them.
//!
//! The file is read from disk at open: its decoder never indexes or panics, and says what is
//! wrong at which offset. Layout (big-endian): magic `LDEL` u32 | version 1 u8 | tenant (u32
//! length, UTF-8) | count u32 | count × (id u64 | start i64 | end i64 | done u8 | matchers u32 |
//! matchers × (kind u8: 0 `=`, 1 `!=`, 2 `=~`, 3 `!~` | name | value, each a u32 length and
//! UTF-8)) | CRC32 of everything before, u32.
#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use model::{Labels, MatchType, Matcher};

use super::sync_dir;
use crate::db::{LogStore, Tenant, tenant_dir_name};
use crate::error::{Error, Result, Structure};
use crate::segment::DeleteRequest;

const DELETES_MAGIC: u32 = 0x4c44_454c; // "LDEL"
const DELETES_VERSION: u8 = 1;

/// A delete request as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteRecord {
    /// Its number: unique per tenant, increasing in the order requests were made.
    pub id: u64,
    /// Which streams (every matcher must match; an absent label matches as `""`).
    pub matchers: Vec<Matcher>,
    /// First nanosecond deleted.
    pub start: i64,
    /// First nanosecond after the deleted range (`start < end`).
    pub end: i64,
    /// True once compaction removed every entry it deletes; reads no longer filter by it.
    pub done: bool,
}

impl DeleteRecord {
    /// The request as segment merges take it (inclusive bounds).
    pub(crate) fn request(&self) -> DeleteRequest {
        DeleteRequest {
            matchers: self.matchers.clone(),
            mint: self.start,
            maxt: self.end.saturating_sub(1),
        }
    }
}

/// The pending delete requests of `tenant`.
pub(crate) fn pending_requests(tenant: &Tenant) -> Vec<DeleteRequest> {
    let records = tenant.deletes.read();
    records
        .iter()
        .filter(|r| !r.done)
        .map(DeleteRecord::request)
        .collect()
}

/// True when `request` selects the stream `labels`.
pub(crate) fn selects(request: &DeleteRequest, labels: &Labels) -> bool {
    request
        .matchers
        .iter()
        .all(|m| m.matches(labels.get(m.name()).unwrap_or("")))
}

/// The ranges (ns, inclusive) of `requests` that select stream `labels`.
pub(crate) fn hidden_ranges(requests: &[DeleteRequest], labels: &Labels) -> Vec<(i64, i64)> {
    requests
        .iter()
        .filter(|r| selects(r, labels))
        .map(|r| (r.mint, r.maxt))
        .collect()
}

/// True when `ts` lies in one of `ranges` (ns, inclusive).
pub(crate) fn is_hidden(ranges: &[(i64, i64)], ts: i64) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= ts && ts <= hi)
}

impl LogStore {
    /// Records a request to delete the entries of the streams `matchers` select with
    /// `start <= ts < end` (ns), as Loki's delete API takes it, and returns its id. The request
    /// is on disk when this returns, and from then on reads leave those entries out; compaction
    /// removes them from the files. At least one matcher must not match the empty string (a
    /// selector must not select every stream by accident).
    pub fn delete(&self, tenant: &str, matchers: &[Matcher], start: i64, end: i64) -> Result<u64> {
        let invalid = |reason: String| Error::InvalidOption {
            name: "delete request",
            reason,
        };
        if start >= end {
            return Err(invalid(format!("empty time range [{start}, {end})")));
        }
        if matchers.iter().all(Matcher::matches_empty) {
            let reason = "the selector needs a matcher that does not match the empty string";
            return Err(invalid(reason.into()));
        }
        let t = self.tenant(tenant);
        let _writer = self.deletes_writer.lock();
        let mut records = t.deletes.read().clone();
        let id = records.iter().map(|r| r.id).max().map_or(1, |n| n + 1);
        records.push(DeleteRecord {
            id,
            matchers: matchers.to_vec(),
            start,
            end,
            done: false,
        });
        self.write_deletes(tenant, &records)?;
        *t.deletes.write() = records;
        Ok(id)
    }

    /// The delete requests of `tenant` that compaction has not finished, in id order.
    pub fn pending_deletes(&self, tenant: &str) -> Vec<DeleteRecord> {
        self.existing_tenant(tenant).map_or_else(Vec::new, |t| {
            t.deletes
                .read()
                .iter()
                .filter(|r| !r.done)
                .cloned()
                .collect()
        })
    }

    /// Replaces the delete file of `tenant` with `records`, durably.
    pub(crate) fn write_deletes(&self, tenant: &str, records: &[DeleteRecord]) -> Result<()> {
        let dir = self.dir.join("deletes");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let path = dir.join(format!("{}.del", tenant_dir_name(tenant)));
        let tmp = dir.join(format!("{}.del.tmp", tenant_dir_name(tenant)));
        let bytes = encode_deletes(tenant, records);
        let mut file = File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        file.write_all(&bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        file.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename", &tmp, e))?;
        sync_dir(&dir)
    }
}

/// Loads every tenant's delete file from `dir` into `tenants` (created when missing); removes
/// leftover temporary files. A damaged file fails the open: losing a request would bring
/// deleted entries back.
pub(crate) fn load_deletes(dir: &Path, tenants: &mut HashMap<String, Arc<Tenant>>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io("read", dir, e))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(".tmp") {
            std::fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
            continue;
        }
        if !name.ends_with(".del") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        let (tenant, records) = decode_deletes(&bytes).map_err(|reason| {
            // The decoder reports what is wrong, not where; 0 stands for "this file".
            Error::corruption(Structure::DeleteRequests, 0, reason).in_file(&path)
        })?;
        let t = tenants
            .entry(tenant)
            .or_insert_with(|| Arc::new(Tenant::new()));
        *t.deletes.write() = records;
    }
    Ok(())
}

/// The file for `tenant` holding `records` (layout in the module doc).
pub(crate) fn encode_deletes(tenant: &str, records: &[DeleteRecord]) -> Vec<u8> {
    let mut out = DELETES_MAGIC.to_be_bytes().to_vec();
    out.push(DELETES_VERSION);
    put_str(&mut out, tenant);
    out.extend_from_slice(&(records.len() as u32).to_be_bytes());
    for r in records {
        out.extend_from_slice(&r.id.to_be_bytes());
        out.extend_from_slice(&r.start.to_be_bytes());
        out.extend_from_slice(&r.end.to_be_bytes());
        out.push(u8::from(r.done));
        out.extend_from_slice(&(r.matchers.len() as u32).to_be_bytes());
        for m in &r.matchers {
            out.push(match m.kind() {
                MatchType::Equal => 0,
                MatchType::NotEqual => 1,
                MatchType::Regex => 2,
                MatchType::NotRegex => 3,
            });
            put_str(&mut out, m.name());
            put_str(&mut out, m.value());
        }
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Reads what [`encode_deletes`] writes; the error says what is wrong and at which offset.
pub(crate) fn decode_deletes(
    bytes: &[u8],
) -> std::result::Result<(String, Vec<DeleteRecord>), String> {
    let Some((body, crc)) = bytes.split_last_chunk::<4>() else {
        return Err(format!("{} bytes, too short for a checksum", bytes.len()));
    };
    if crc32fast::hash(body) != u32::from_be_bytes(*crc) {
        return Err("checksum mismatch".into());
    }
    let mut r = Reader { buf: body, pos: 0 };
    let magic = u32::from_be_bytes(r.array()?);
    if magic != DELETES_MAGIC {
        return Err(format!("magic {magic:#010x}, want {DELETES_MAGIC:#010x}"));
    }
    let [version] = r.array()?;
    if version != DELETES_VERSION {
        return Err(format!("unknown version {version}"));
    }
    let tenant = r.string()?;
    let count = u32::from_be_bytes(r.array()?);
    let mut records = Vec::new();
    for _ in 0..count {
        records.push(r.record()?);
    }
    if r.pos != body.len() {
        return Err(format!(
            "{} bytes after the last request",
            body.len() - r.pos
        ));
    }
    Ok((tenant, records))
}

/// Reads from the front of untrusted bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> std::result::Result<[u8; N], String> {
        let at = self.pos;
        let bytes = self.take(N)?;
        bytes
            .try_into()
            .map_err(|_| format!("{N} bytes needed at offset {at}"))
    }

    fn take(&mut self, n: usize) -> std::result::Result<&[u8], String> {
        let at = self.pos;
        let bytes = self
            .buf
            .get(at..)
            .and_then(|rest| rest.get(..n))
            .ok_or_else(|| {
                format!(
                    "{n} bytes needed at offset {at}, {} left",
                    self.buf.len() - at
                )
            })?;
        self.pos += n;
        Ok(bytes)
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        let len = u32::from_be_bytes(self.array()?) as usize;
        let at = self.pos;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("string at offset {at} is not UTF-8"))
    }

    fn record(&mut self) -> std::result::Result<DeleteRecord, String> {
        let at = self.pos;
        let id = u64::from_be_bytes(self.array()?);
        let start = i64::from_be_bytes(self.array()?);
        let end = i64::from_be_bytes(self.array()?);
        let done = match self.array()? {
            [0] => false,
            [1] => true,
            [b] => return Err(format!("request {id}: done flag {b}")),
        };
        if start >= end {
            return Err(format!(
                "request at offset {at}: empty range [{start}, {end})"
            ));
        }
        let count = u32::from_be_bytes(self.array()?);
        let mut matchers = Vec::new();
        for _ in 0..count {
            let kind = match self.array()? {
                [0] => MatchType::Equal,
                [1] => MatchType::NotEqual,
                [2] => MatchType::Regex,
                [3] => MatchType::NotRegex,
                [k] => return Err(format!("request {id}: matcher kind {k}")),
            };
            let (name, value) = (self.string()?, self.string()?);
            let m = Matcher::new(kind, name, value).map_err(|e| format!("request {id}: {e}"))?;
            matchers.push(m);
        }
        if matchers.iter().all(Matcher::matches_empty) {
            return Err(format!("request {id} selects every stream"));
        }
        Ok(DeleteRecord {
            id,
            matchers,
            start,
            end,
            done,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, reason = "tests index known-good data")]

    use proptest::prelude::*;

    use super::*;

    fn record(id: u64, matchers: Vec<Matcher>, start: i64, end: i64, done: bool) -> DeleteRecord {
        DeleteRecord {
            id,
            matchers,
            start,
            end,
            done,
        }
    }

    fn sample_records() -> Vec<DeleteRecord> {
        vec![
            record(1, vec![Matcher::equal("app", "api")], 10, 20, false),
            record(
                2,
                vec![
                    Matcher::new(MatchType::Regex, "env", "prod|dev").unwrap(),
                    Matcher::new(MatchType::NotEqual, "region", "").unwrap(),
                    Matcher::new(MatchType::NotRegex, "ünï", "x.*").unwrap(),
                ],
                i64::MIN,
                i64::MAX,
                true,
            ),
        ]
    }

    #[test]
    fn delete_file_round_trips() {
        let records = sample_records();
        let bytes = encode_deletes("tenant/ä", &records);
        assert_eq!(
            decode_deletes(&bytes).unwrap(),
            ("tenant/ä".to_owned(), records)
        );
        let empty = encode_deletes("t", &[]);
        assert_eq!(decode_deletes(&empty).unwrap(), ("t".to_owned(), vec![]));
    }

    #[test]
    fn every_truncation_and_flipped_byte_of_a_delete_file_is_an_error() {
        let bytes = encode_deletes("fake", &sample_records());
        for len in 0..bytes.len() {
            assert!(decode_deletes(&bytes[..len]).is_err(), "truncated to {len}");
        }
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x40;
            assert!(decode_deletes(&damaged).is_err(), "byte {i} flipped");
        }
    }

    /// Re-seals `body` with a valid checksum, so the decoder's structural checks are reached.
    fn sealed(mut body: Vec<u8>) -> Vec<u8> {
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_be_bytes());
        body
    }

    #[test]
    fn delete_file_structure_errors_name_what_is_wrong() {
        let good = encode_deletes("t", &sample_records());
        let body = good[..good.len() - 4].to_vec();
        let mut trailing = body.clone();
        trailing.push(0);
        assert!(
            decode_deletes(&sealed(trailing))
                .unwrap_err()
                .contains("after the last")
        );
        let mut version = body.clone();
        version[4] = 9;
        assert!(
            decode_deletes(&sealed(version))
                .unwrap_err()
                .contains("version 9")
        );
        let one = encode_deletes("t", &[record(7, vec![], 5, 6, false)]);
        let mut empty_range = one[..one.len() - 4].to_vec();
        // tenant "t": magic 4 + version 1 + length 4 + 1 byte + count 4, then id 8, start 8.
        let end_at = 4 + 1 + 4 + 1 + 4 + 8 + 8;
        empty_range[end_at..end_at + 8].copy_from_slice(&5i64.to_be_bytes());
        assert!(
            decode_deletes(&sealed(empty_range))
                .unwrap_err()
                .contains("empty range")
        );
        let mut flag = one[..one.len() - 4].to_vec();
        flag[end_at + 8] = 2;
        assert!(
            decode_deletes(&sealed(flag))
                .unwrap_err()
                .contains("done flag 2")
        );
        let everything = decode_deletes(&one).unwrap_err();
        assert!(everything.contains("selects every stream"), "{everything}");
    }

    fn edge_i64() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(0i64),
            Just(-1i64),
            -1000i64..1000,
            any::<i64>(),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), "[a-z_]{1,8}", "\\PC{0,12}"]
    }

    fn matcher() -> impl Strategy<Value = Matcher> {
        let regex = prop_oneof![
            Just(".*"),
            Just("a|b"),
            Just("x+"),
            Just(""),
            Just("[0-9]{2}")
        ];
        prop_oneof![
            ("[a-z_]{1,8}", text())
                .prop_map(|(n, v)| Matcher::new(MatchType::Equal, n, v).unwrap()),
            ("[a-z_]{1,8}", text())
                .prop_map(|(n, v)| Matcher::new(MatchType::NotEqual, n, v).unwrap()),
            ("[a-z_]{1,8}", regex.clone())
                .prop_map(|(n, v)| Matcher::new(MatchType::Regex, n, v).unwrap()),
            ("[a-z_]{1,8}", regex)
                .prop_map(|(n, v)| Matcher::new(MatchType::NotRegex, n, v).unwrap()),
        ]
    }

    fn delete_record() -> impl Strategy<Value = DeleteRecord> {
        let id = prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()];
        let range = (edge_i64(), edge_i64()).prop_filter_map("empty range", |(a, b)| {
            (a != b).then(|| (a.min(b), a.max(b)))
        });
        // A request always has a matcher that does not match the empty string.
        let selector = ("[a-z_]{1,8}", "\\PC{1,12}").prop_map(|(n, v)| Matcher::equal(n, v));
        let others = prop::collection::vec(matcher(), 0..4);
        (id, selector, others, range, any::<bool>()).prop_map(
            |(id, first, others, (start, end), done)| {
                let matchers = std::iter::once(first).chain(others).collect();
                record(id, matchers, start, end, done)
            },
        )
    }

    proptest! {
        #[test]
        fn delete_files_round_trip(
            tenant in prop_oneof![Just("fake".to_owned()), "\\PC{1,20}"],
            records in prop::collection::vec(delete_record(), 0..5),
        ) {
            let bytes = encode_deletes(&tenant, &records);
            prop_assert_eq!(decode_deletes(&bytes).unwrap(), (tenant, records));
        }

        #[test]
        fn the_delete_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_deletes(&bytes);
            let _ = decode_deletes(&sealed(bytes));
        }
    }
}
