//! Model test: random append / commit / rollback / compact / flush / reopen sequences against a
//! `BTreeMap`, read back through the public querier after every step that changes state.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeMap;

use model::Labels;
use proptest::prelude::*;
use tsdb_core::{Db, Options, WalSync};

#[derive(Debug, Clone)]
enum Op {
    /// Append to series `s` at the clock plus `dt` (the clock then moves there).
    Append {
        s: usize,
        dt: i64,
        v: f64,
    },
    Commit,
    Rollback,
    Compact,
    Flush,
    Reopen,
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => (0i32..100).prop_map(f64::from),
        1 => any::<u64>().prop_map(f64::from_bits),
        1 => Just(model::STALE_NAN),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        20 => (0usize..6, 1i64..400, value()).prop_map(|(s, dt, v)| Op::Append { s, dt, v }),
        6 => Just(Op::Commit),
        1 => Just(Op::Rollback),
        1 => Just(Op::Compact),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
    ]
}

fn options() -> Options {
    Options {
        block_range_ms: 1000,
        retention_ms: None,
        wal_sync: WalSync::Never,
        wal_segment_size: 64 << 10,
        ..Options::default()
    }
}

type Model = BTreeMap<Labels, Vec<(i64, u64)>>;

fn run(ops: &[Op]) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Some(Db::open(dir.path(), options()).unwrap());
    let mut committed: Model = BTreeMap::new();
    let mut pending: Vec<(Labels, i64, f64)> = Vec::new();
    let mut clock = 0i64;
    // After a flush the head refuses samples older than the end of the last block written.
    let mut min_valid = i64::MIN;
    // An appender cannot outlive a reopen, so appends are buffered here and replayed into a
    // fresh appender at commit time; the engine's own buffering is exercised by that appender.
    for op in ops {
        let d = db.as_ref().unwrap();
        match op {
            Op::Append { s, dt, v } => {
                clock += dt;
                pending.push((common::series(*s), clock, *v));
            }
            Op::Commit => {
                let mut app = d.appender();
                for (l, t, v) in pending.drain(..) {
                    let r = app.append(&l, t, v);
                    if t < min_valid {
                        assert!(
                            matches!(r, Err(tsdb_core::Error::OutOfBounds { .. })),
                            "{r:?}"
                        );
                    } else {
                        r.unwrap();
                        committed.entry(l).or_default().push((t, v.to_bits()));
                    }
                }
                app.commit().unwrap();
            }
            Op::Rollback => {
                let mut app = d.appender();
                for (l, t, v) in pending.drain(..) {
                    if t >= min_valid {
                        app.append(&l, t, v).unwrap();
                    }
                }
                app.rollback();
            }
            Op::Compact => d.compact().unwrap(),
            Op::Flush => {
                d.flush().unwrap();
                if let Some(last) = d.blocks().last() {
                    min_valid = min_valid.max(last.max_time);
                }
            }
            Op::Reopen => {
                db.take().unwrap().close().unwrap();
                db = Some(Db::open(dir.path(), options()).unwrap());
            }
        }
        if !matches!(op, Op::Append { .. }) {
            let got = common::read_all(db.as_ref().unwrap(), i64::MIN, i64::MAX);
            assert_eq!(got, committed, "after {op:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn engine_agrees_with_model(ops in proptest::collection::vec(op(), 1..120)) {
        run(&ops);
    }
}

#[test]
fn long_run_across_many_blocks_and_reopens() {
    let mut ops = Vec::new();
    for i in 0..3000usize {
        ops.push(Op::Append {
            s: i % 5,
            dt: 7,
            v: (i % 13) as f64,
        });
        if i % 7 == 0 {
            ops.push(Op::Commit);
        }
        if i % 500 == 0 {
            ops.push(Op::Reopen);
        }
        if i % 700 == 0 {
            ops.push(Op::Compact);
        }
    }
    ops.push(Op::Commit);
    ops.push(Op::Flush);
    ops.push(Op::Reopen);
    run(&ops);
}
