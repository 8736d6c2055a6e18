use super::*;
use proptest::prelude::*;

const SEC: i64 = 1_000_000_000;
/// 2023-11-14T22:13:20Z.
const NOW: i64 = 1_700_000_000 * SEC;

fn stream() -> Labels {
    Labels::from_pairs([("app", "api"), ("env", "prod")]).unwrap()
}

const STREAM: &str = r#"{app="api", env="prod"}"#;

#[test]
fn defaults_are_lokis() {
    let l = Limits::default();
    assert_eq!(l.ingestion_rate_mb, 4.0);
    assert_eq!(l.ingestion_burst_size_mb, 6.0);
    assert_eq!(l.per_stream_rate_limit, 3 * 1024 * 1024);
    assert_eq!(l.per_stream_rate_limit_burst, 15 * 1024 * 1024);
    assert_eq!(l.max_line_size.map(NonZeroU64::get), Some(256 * 1024));
    assert!(!l.max_line_size_truncate);
    assert_eq!(l.max_label_names_per_series, 15);
    assert_eq!(l.max_label_name_length, 1024);
    assert_eq!(l.max_label_value_length, 2048);
    assert_eq!(l.max_streams_per_user, None);
    assert!(l.reject_old_samples);
    assert_eq!(
        l.reject_old_samples_max_age,
        Duration::from_secs(7 * 86_400)
    );
    assert_eq!(l.creation_grace_period, Duration::from_secs(600));
    assert_eq!(l.retention_period, None);
    assert_eq!(
        l.max_entries_limit_per_query.map(NonZeroUsize::get),
        Some(5000)
    );
    assert_eq!(l.max_query_series.map(NonZeroUsize::get), Some(500));
    assert_eq!(l.query_timeout, Duration::from_secs(60));
    assert!(l.unordered_writes);
    l.validate().unwrap();
}

#[test]
fn seed_limits_are_mebibytes() {
    let seed = Limits {
        ingestion_rate_mb: 16.0,
        ingestion_burst_size_mb: 32.0,
        retention_period: Some(30 * DAY),
        ..Limits::default()
    };
    seed.validate().unwrap();
    assert_eq!(seed.ingestion_rate_bytes(), 16 << 20);
    assert_eq!(seed.ingestion_burst_bytes(), 32 << 20);
    let bucket = seed.tenant_rate_limiter();
    assert_eq!((bucket.rate(), bucket.burst()), (16 << 20, 32 << 20));
    let bucket = seed.stream_rate_limiter();
    assert_eq!((bucket.rate(), bucket.burst()), (3 << 20, 15 << 20));
    let half = Limits {
        ingestion_rate_mb: 0.5,
        ..Limits::default()
    };
    assert_eq!(half.ingestion_rate_bytes(), 512 * 1024);
}

fn invalid_option(limits: &Limits) -> &'static str {
    match limits.validate() {
        Err(Error::InvalidOption { name, .. }) => name,
        other => panic!("expected an invalid option, got {other:?}"),
    }
}

#[test]
fn validate_names_the_broken_limit() {
    let d = Limits::default;
    let cases: [(Limits, &str); 7] = [
        (
            Limits {
                ingestion_rate_mb: -1.0,
                ..d()
            },
            "ingestion_rate_mb",
        ),
        (
            Limits {
                ingestion_burst_size_mb: f64::NAN,
                ..d()
            },
            "ingestion_burst_size_mb",
        ),
        (
            Limits {
                max_label_names_per_series: 0,
                ..d()
            },
            "max_label_names_per_series",
        ),
        (
            Limits {
                max_label_name_length: 0,
                ..d()
            },
            "max_label_name_length",
        ),
        (
            Limits {
                max_label_value_length: 0,
                ..d()
            },
            "max_label_value_length",
        ),
        (
            Limits {
                retention_period: Some(Duration::ZERO),
                ..d()
            },
            "retention_period",
        ),
        (
            Limits {
                query_timeout: Duration::ZERO,
                ..d()
            },
            "query_timeout",
        ),
    ];
    for (limits, name) in cases {
        assert_eq!(invalid_option(&limits), name);
    }
}

#[test]
fn tenant_overrides_replace_the_defaults_for_their_tenant_only() {
    let mut tenants = TenantLimits::new(Limits::default());
    let big = Limits {
        ingestion_rate_mb: 100.0,
        ..Limits::default()
    };
    tenants.set_override("big", big.clone());
    assert_eq!(tenants.for_tenant("big"), &big);
    assert_eq!(tenants.for_tenant("fake"), &Limits::default());
    assert_eq!(tenants.defaults(), &Limits::default());
    tenants.validate().unwrap();

    tenants.set_override(
        "broken",
        Limits {
            query_timeout: Duration::ZERO,
            ..Limits::default()
        },
    );
    let err = tenants.validate().unwrap_err().to_string();
    assert!(
        err.contains("query_timeout") && err.contains("\"broken\""),
        "{err}"
    );
    assert!(tenants.remove_override("broken").is_some());
    tenants.validate().unwrap();
    assert_eq!(tenants.remove_override("big"), Some(big));
    assert_eq!(tenants.for_tenant("big"), &Limits::default());
}

#[test]
fn bucket_starts_full_and_refills_at_its_rate() {
    let mut b = TokenBucket::new(1000, 5000);
    assert_eq!(b.available(NOW), 5000);
    assert!(b.try_take(NOW, 5000));
    assert!(!b.try_take(NOW, 1), "empty");
    assert_eq!(b.available(NOW + SEC / 2), 500);
    assert!(
        !b.try_take(NOW + SEC / 2, 501),
        "a refused request takes nothing"
    );
    assert!(b.try_take(NOW + SEC / 2, 500));
    assert_eq!(b.available(NOW + 100 * SEC), 5000, "capped at the burst");
    assert!(
        !b.try_take(NOW + 100 * SEC, 5001),
        "more than the burst never passes"
    );
    assert!(b.try_take(NOW + 100 * SEC, 0), "nothing always passes");
}

#[test]
fn refills_are_exact_at_nanosecond_steps() {
    // 3 bytes/s: one byte every 333_333_333.3 ns. Fractions must accumulate, not be lost
    // (the burst is large enough that the cap never cuts them here).
    let mut b = TokenBucket::new(3, 10);
    assert!(b.try_take(0, 10));
    let mut admitted = 0;
    for step in 1..=3_000 {
        if b.try_take(step * (SEC / 1000), 1) {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 9, "3 s at 3 bytes/s");
}

#[test]
fn a_clock_stepping_back_mints_no_tokens() {
    let mut b = TokenBucket::new(1000, 1000);
    assert!(b.try_take(NOW, 1000));
    assert!(!b.try_take(NOW - 10 * SEC, 1), "earlier time");
    assert!(
        !b.try_take(NOW, 1),
        "back at the latest time: nothing was gained"
    );
    assert!(
        b.try_take(NOW + SEC / 1000, 1),
        "time moves on from the latest seen"
    );
}

#[test]
fn zero_rate_admits_only_the_initial_burst() {
    let mut b = TokenBucket::new(0, 10);
    assert!(b.try_take(0, 10));
    assert!(!b.try_take(i64::MAX, 1));
    let mut extremes = TokenBucket::new(u64::MAX, u64::MAX);
    assert!(extremes.try_take(i64::MIN, u64::MAX));
    assert!(
        extremes.try_take(i64::MAX, u64::MAX),
        "no overflow over the widest span"
    );
}

#[test]
fn set_limit_keeps_gained_tokens_and_cuts_to_the_new_burst() {
    let mut b = TokenBucket::new(1000, 10_000);
    assert!(b.try_take(0, 10_000));
    b.set_limit(SEC, 10, 500);
    assert_eq!(
        b.available(SEC),
        500,
        "1000 gained at the old rate, cut to 500"
    );
    assert!(b.try_take(SEC, 500));
    assert_eq!(b.available(2 * SEC), 10, "the new rate from then on");
}

#[test]
fn tenant_rate_limit_gives_lokis_429_message() {
    let limits = Limits::default();
    let mut bucket = limits.tenant_rate_limiter();
    let burst = limits.ingestion_burst_bytes();
    assert!(bucket.admit_push(NOW, "team-a", 10, burst).is_ok());
    let err = bucket.admit_push(NOW, "team-a", 3, 120).unwrap_err();
    assert_eq!(
        err,
        Rejection::RateLimited {
            tenant: "team-a".into(),
            limit: 4 << 20,
            burst: 6 << 20,
            lines: 3,
            bytes: 120
        }
    );
    assert_eq!(
        err.to_string(),
        "Ingestion rate limit exceeded for user team-a (limit: 4194304 bytes/sec) while \
         attempting to ingest '3' lines totaling '120' bytes, reduce log volume or contact your \
         Loki administrator to see if the limit can be increased"
    );
    assert_eq!(err.reason(), "rate_limited");
    assert!(err.is_rate_limited());
}

#[test]
fn stream_rate_limit_gives_lokis_message() {
    let mut bucket = Limits::default().stream_rate_limiter();
    assert!(bucket.admit_stream_entry(NOW, &stream(), 15 << 20).is_ok());
    let err = bucket
        .admit_stream_entry(NOW, &stream(), 4 << 20)
        .unwrap_err();
    assert!(matches!(
        &err,
        Rejection::StreamRateLimited { limit, burst, bytes, .. }
            if (*limit, *burst, *bytes) == (3 << 20, 15 << 20, 4 << 20)
    ));
    assert_eq!(
        err.to_string(),
        format!(
            "Per stream rate limit exceeded (limit: 3MB/sec) while attempting to ingest for \
             stream '{STREAM}' totaling 4MB, consider splitting a stream via additional labels \
             or contact your Loki administrator to see if the limit can be increased"
        )
    );
    assert_eq!(err.reason(), "per_stream_rate_limit");
    assert!(err.is_rate_limited());
    assert!(
        bucket
            .admit_stream_entry(NOW + SEC, &stream(), 3 << 20)
            .is_ok(),
        "a second later the rate's worth passes"
    );
}

#[test]
fn too_old_entries_are_refused_from_the_max_age_on() {
    let limits = Limits::default();
    let oldest = NOW - 7 * 86_400 * SEC;
    let mut at_limit = LogEntry::new(oldest, "x");
    assert_eq!(
        limits.validate_entry(NOW, &stream(), &mut at_limit),
        Ok(EntryAdmission::Unchanged)
    );
    let mut old = LogEntry::new(oldest - 1, "x");
    let err = limits.validate_entry(NOW, &stream(), &mut old).unwrap_err();
    assert_eq!(
        err,
        Rejection::TooOld {
            stream: stream(),
            ts: oldest - 1,
            oldest_acceptable: oldest
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "entry for stream '{STREAM}' has timestamp too old: 2023-11-07T22:13:19Z, oldest \
             acceptable timestamp is: 2023-11-07T22:13:20Z"
        )
    );
    assert_eq!(err.reason(), "greater_than_max_sample_age");
    assert!(!err.is_rate_limited());

    let lenient = Limits {
        reject_old_samples: false,
        ..Limits::default()
    };
    let mut ancient = LogEntry::new(0, "x");
    assert!(lenient.validate_entry(NOW, &stream(), &mut ancient).is_ok());
}

#[test]
fn entries_beyond_the_grace_period_are_too_new() {
    let limits = Limits::default();
    let newest = NOW + 600 * SEC;
    let mut at_limit = LogEntry::new(newest, "x");
    assert!(limits.validate_entry(NOW, &stream(), &mut at_limit).is_ok());
    let mut new = LogEntry::new(newest + SEC, "x");
    let err = limits.validate_entry(NOW, &stream(), &mut new).unwrap_err();
    assert_eq!(
        err,
        Rejection::TooFarInFuture {
            stream: stream(),
            ts: newest + SEC,
            newest_acceptable: newest
        }
    );
    assert_eq!(
        err.to_string(),
        format!("entry for stream '{STREAM}' has timestamp too new: 2023-11-14T22:23:21Z")
    );
    assert_eq!(err.reason(), "too_far_in_future");
}

#[test]
fn long_lines_are_refused_or_truncated() {
    let limits = Limits::default();
    let max = 256 * 1024;
    let mut fits = LogEntry::new(NOW, vec![b'a'; max]);
    assert!(limits.validate_entry(NOW, &stream(), &mut fits).is_ok());
    let mut long = LogEntry::new(NOW, vec![b'a'; max + 1]);
    let err = limits
        .validate_entry(NOW, &stream(), &mut long)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "Max entry size '262144' bytes exceeded for stream '{STREAM}' while adding an entry \
             with length '262145' bytes"
        )
    );
    assert_eq!(err.reason(), "line_too_long");
    assert_eq!(
        long.line.len(),
        max + 1,
        "a refused entry is left as it was"
    );

    let truncating = Limits {
        max_line_size_truncate: true,
        ..Limits::default()
    };
    assert_eq!(
        truncating.validate_entry(NOW, &stream(), &mut long),
        Ok(EntryAdmission::Truncated {
            original_length: max + 1
        })
    );
    assert_eq!(long.line, vec![b'a'; max]);

    let unlimited = Limits {
        max_line_size: None,
        ..Limits::default()
    };
    let mut huge = LogEntry::new(NOW, vec![b'a'; 4 << 20]);
    assert!(unlimited.validate_entry(NOW, &stream(), &mut huge).is_ok());
}

#[test]
fn age_is_checked_before_line_size() {
    let limits = Limits {
        max_line_size: NonZeroU64::new(4),
        max_line_size_truncate: true,
        ..Limits::default()
    };
    let mut entry = LogEntry::new(0, "too long and too old");
    let err = limits
        .validate_entry(NOW, &stream(), &mut entry)
        .unwrap_err();
    assert_eq!(err.reason(), "greater_than_max_sample_age");
    assert_eq!(
        entry.line, b"too long and too old",
        "not truncated when refused"
    );
}

#[test]
fn stream_limit_counts_active_streams() {
    let unlimited = Limits::default();
    assert!(
        unlimited
            .admit_new_stream("fake", &stream(), usize::MAX)
            .is_ok()
    );
    let limited = Limits {
        max_streams_per_user: NonZeroUsize::new(2),
        ..Limits::default()
    };
    assert!(limited.admit_new_stream("fake", &stream(), 1).is_ok());
    let err = limited.admit_new_stream("fake", &stream(), 2).unwrap_err();
    assert!(matches!(err, Rejection::MaxStreams { limit: 2, .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "Maximum active stream limit exceeded when trying to create stream {STREAM}, reduce \
             the number of active streams (reduce labels or reduce label values), or contact \
             your Loki administrator to see if the limit can be increased, user: 'fake'"
        )
    );
    assert_eq!(err.reason(), "stream_limit");
}

#[test]
fn ordering_rejections_use_lokis_wording() {
    let behind = Rejection::TooFarBehind {
        stream: stream(),
        ts: 0,
        oldest_acceptable: NOW,
    };
    assert_eq!(
        behind.to_string(),
        "entry too far behind, entry timestamp is: 1970-01-01T00:00:00Z, oldest acceptable \
         timestamp is: 2023-11-14T22:13:20Z"
    );
    assert_eq!(behind.reason(), "too_far_behind");
    let out_of_order = Rejection::OutOfOrder {
        stream: stream(),
        ts: 1,
        newest: 2,
    };
    assert_eq!(out_of_order.to_string(), "entry out of order");
    assert_eq!(out_of_order.reason(), "out_of_order");
}

#[test]
fn byte_sizes_print_like_lokis() {
    let cases = [
        (0, "0B"),
        (1000, "1000B"),
        (1536, "1536B"),
        (1024, "1KB"),
        (256 << 10, "256KB"),
        (3 << 20, "3MB"),
        (15 << 20, "15MB"),
        (1 << 30, "1GB"),
        (5 << 40, "5TB"),
        (1 << 60, "1EB"),
    ];
    for (bytes, text) in cases {
        assert_eq!(ByteSize(bytes).to_string(), text);
    }
}

#[test]
fn timestamps_print_as_rfc3339_utc() {
    let cases = [
        (0, "1970-01-01T00:00:00Z"),
        (NOW + SEC - 1, "2023-11-14T22:13:20Z"),
        (951_782_400 * SEC, "2000-02-29T00:00:00Z"),
        (1_709_164_800 * SEC, "2024-02-29T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (-2_208_988_800 * SEC, "1900-01-01T00:00:00Z"),
        (i64::MAX, "2262-04-11T23:47:16Z"),
        (i64::MIN, "1677-09-21T00:12:43Z"),
    ];
    for (ns, text) in cases {
        assert_eq!(Rfc3339(ns).to_string(), text, "{ns}");
    }
}

#[test]
fn label_rejections_have_lokis_reasons() {
    let none = String::new;
    let cases = [
        (Rejection::MissingLabels, "missing_labels"),
        (
            Rejection::InvalidLabels {
                stream: "{".into(),
                error: model::LabelError::InvalidName("1".into()).into(),
            },
            "invalid_labels",
        ),
        (
            Rejection::MaxLabelNamesPerSeries {
                stream: none(),
                count: 2,
                limit: 1,
            },
            "max_label_names_per_series",
        ),
        (
            Rejection::LabelNameTooLong {
                stream: none(),
                name: none(),
                limit: 1,
            },
            "label_name_too_long",
        ),
        (
            Rejection::LabelValueTooLong {
                stream: none(),
                value: none(),
                limit: 1,
            },
            "label_value_too_long",
        ),
        (
            Rejection::DuplicateLabelNames {
                stream: none(),
                name: none(),
            },
            "duplicate_label_names",
        ),
    ];
    for (rejection, reason) in cases {
        assert_eq!(rejection.reason(), reason);
        assert!(!rejection.is_rate_limited());
    }
}

/// Time steps weighted to the edges: no time passing, tiny steps, around a second, long gaps.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        3 => 1i64..1_000,
        3 => 1i64..2 * SEC,
        1 => 1i64..100 * SEC,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Over any window of calls `[t_i, t_j]`, admitted bytes ≤ burst + rate·(t_j − t_i).
    #[test]
    fn bucket_never_admits_more_than_rate_times_time_plus_burst(
        rate in prop_oneof![Just(0u64), 1u64..10_000, Just(3u64 << 20)],
        burst in prop_oneof![Just(0u64), 1u64..10_000, Just(15u64 << 20)],
        calls in proptest::collection::vec((step(), 0u64..20_000), 1..80),
    ) {
        let mut bucket = TokenBucket::new(rate, burst);
        let mut now = NOW;
        let mut history: Vec<(i64, u64)> = Vec::new();
        for (dt, bytes) in calls {
            now += dt;
            let admitted = bucket.try_take(now, bytes);
            prop_assert!(!admitted || bytes <= burst, "more than the burst at once");
            history.push((now, if admitted { bytes } else { 0 }));
        }
        for i in 0..history.len() {
            let mut sum: u128 = 0;
            for &(t, bytes) in &history[i..] {
                sum += u128::from(bytes);
                let elapsed = (t - history[i].0) as u128;
                let allowance = u128::from(burst) * 1_000_000_000 + u128::from(rate) * elapsed;
                prop_assert!(
                    sum * 1_000_000_000 <= allowance,
                    "window from call {} to t={}: {} bytes admitted", i, t, sum
                );
            }
        }
    }

    /// What is not taken stays: after a refused request the same tokens are still there.
    #[test]
    fn refused_requests_take_nothing(
        rate in 1u64..10_000,
        burst in 1u64..10_000,
        dt in step(),
    ) {
        let mut bucket = TokenBucket::new(rate, burst);
        prop_assert!(bucket.try_take(NOW, burst));
        let before = bucket.available(NOW + dt);
        prop_assert!(!bucket.try_take(NOW + dt, before + 1));
        prop_assert_eq!(bucket.available(NOW + dt), before);
        prop_assert!(bucket.try_take(NOW + dt, before));
    }
}
