//! Per-tenant limits (Loki's `limits_config`), the token-bucket rate limiter, entry validation
//! and the typed reasons a push is refused.
//!
//! Names, defaults and units follow Loki 3.x (`pkg/validation/limits.go`): sizes Loki writes in
//! "MB" are mebibytes (`ingestion_rate_mb: 4` is 4 × 2^20 bytes per second), and Loki's "0 means
//! none" limits are `None` here. Messages and reason strings follow
//! `pkg/validation/validate.go` and `pkg/distributor/validator.go`, so clients and dashboards
//! written for Loki read them unchanged.
//!
//! Nothing here reads a clock: every check takes "now" (nanoseconds since the Unix epoch) from
//! the caller, so tests are deterministic.

use std::collections::HashMap;
use std::fmt;
use std::num::{NonZeroU64, NonZeroUsize};
use std::time::Duration;

use model::civil::civil_from_days;
use model::{Labels, LogEntry};

use crate::error::{Error, Result};
use crate::stream::StreamLabelsError;

/// Bytes in one of Loki's limit "MB" (`ingestion_rate_mb`, `ingestion_burst_size_mb`).
pub const BYTES_PER_MB: f64 = 1_048_576.0;

/// A label Loki adds itself (`discover_service_name`), so it does not count against
/// `max_label_names_per_series`.
pub const SERVICE_NAME_LABEL: &str = "service_name";

const NANOS_PER_SEC: u128 = 1_000_000_000;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// The limits of one tenant. `Default` gives Loki's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Per-tenant ingestion rate, MB (2^20 bytes) of lines and structured metadata per second.
    /// Default 4.
    pub ingestion_rate_mb: f64,
    /// Per-tenant burst, MB; a push larger than this is always refused. Default 6.
    pub ingestion_burst_size_mb: f64,
    /// Per-stream rate, bytes per second. Default 3 MiB.
    pub per_stream_rate_limit: u64,
    /// Per-stream burst, bytes. Default 15 MiB.
    pub per_stream_rate_limit_burst: u64,
    /// Longest line accepted, bytes; `None` for no limit (Loki's 0). Default 256 KiB.
    pub max_line_size: Option<NonZeroU64>,
    /// Truncate lines longer than `max_line_size` to that size instead of refusing them.
    /// Default false.
    pub max_line_size_truncate: bool,
    /// Most label names a stream may have (`service_name` not counted). Default 15.
    pub max_label_names_per_series: usize,
    /// Longest label name, bytes. Default 1024.
    pub max_label_name_length: usize,
    /// Longest label value, bytes. Default 2048.
    pub max_label_value_length: usize,
    /// Most active streams per tenant; `None` for no limit (Loki's 0). Default `None`.
    pub max_streams_per_user: Option<NonZeroUsize>,
    /// Refuse entries older than `reject_old_samples_max_age`. Default true.
    pub reject_old_samples: bool,
    /// How old an entry may be when `reject_old_samples` is on. Default 7 days.
    pub reject_old_samples_max_age: Duration,
    /// How far in the future an entry may be. Default 10 minutes.
    pub creation_grace_period: Duration,
    /// How long entries are kept; `None` keeps them forever (Loki's 0). Default `None`.
    pub retention_period: Option<Duration>,
    /// Most entries a log query returns; `None` for no limit (Loki's 0). Default 5000.
    pub max_entries_limit_per_query: Option<NonZeroUsize>,
    /// Most series a metric query returns; `None` for no limit (Loki's 0). Default 500.
    pub max_query_series: Option<NonZeroUsize>,
    /// How long a query may run. Default 1 minute.
    pub query_timeout: Duration,
    /// Accept entries older than their stream's newest (within the head's window). Default true.
    pub unordered_writes: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            ingestion_rate_mb: 4.0,
            ingestion_burst_size_mb: 6.0,
            per_stream_rate_limit: 3 << 20,
            per_stream_rate_limit_burst: 15 << 20,
            max_line_size: NonZeroU64::new(256 << 10),
            max_line_size_truncate: false,
            max_label_names_per_series: 15,
            max_label_name_length: 1024,
            max_label_value_length: 2048,
            max_streams_per_user: None,
            reject_old_samples: true,
            reject_old_samples_max_age: 7 * DAY,
            creation_grace_period: Duration::from_secs(10 * 60),
            retention_period: None,
            max_entries_limit_per_query: NonZeroUsize::new(5000),
            max_query_series: NonZeroUsize::new(500),
            query_timeout: Duration::from_secs(60),
            unordered_writes: true,
        }
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidOption {
        name,
        reason: reason.into(),
    }
}

/// A duration in nanoseconds, saturating at `i64::MAX`.
fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl Limits {
    /// Refuses limits that cannot work: rates that are negative or not finite, label limits of
    /// zero (every stream would be refused), a zero retention (use `None`) or query timeout.
    pub fn validate(&self) -> Result<()> {
        for (name, mb) in [
            ("ingestion_rate_mb", self.ingestion_rate_mb),
            ("ingestion_burst_size_mb", self.ingestion_burst_size_mb),
        ] {
            if !mb.is_finite() || mb < 0.0 {
                return Err(invalid(name, format!("{mb} is not a size in MB")));
            }
        }
        for (name, value) in [
            (
                "max_label_names_per_series",
                self.max_label_names_per_series,
            ),
            ("max_label_name_length", self.max_label_name_length),
            ("max_label_value_length", self.max_label_value_length),
        ] {
            if value == 0 {
                return Err(invalid(name, "0 would refuse every stream"));
            }
        }
        if self.retention_period == Some(Duration::ZERO) {
            return Err(invalid("retention_period", "0; keep forever is None"));
        }
        if self.query_timeout.is_zero() {
            return Err(invalid("query_timeout", "0 would fail every query"));
        }
        Ok(())
    }

    /// The tenant's ingestion rate in bytes per second.
    pub fn ingestion_rate_bytes(&self) -> u64 {
        // `as` saturates: negative and NaN become 0, huge values u64::MAX.
        (self.ingestion_rate_mb * BYTES_PER_MB) as u64
    }

    /// The tenant's ingestion burst in bytes.
    pub fn ingestion_burst_bytes(&self) -> u64 {
        (self.ingestion_burst_size_mb * BYTES_PER_MB) as u64
    }

    /// A full rate limiter for a tenant's pushes.
    pub fn tenant_rate_limiter(&self) -> TokenBucket {
        TokenBucket::new(self.ingestion_rate_bytes(), self.ingestion_burst_bytes())
    }

    /// A full rate limiter for one stream's entries.
    pub fn stream_rate_limiter(&self) -> TokenBucket {
        TokenBucket::new(self.per_stream_rate_limit, self.per_stream_rate_limit_burst)
    }

    /// Checks one entry of `stream` at `now_ns`, in Loki's order: too old (when
    /// `reject_old_samples`), too far in the future (beyond `creation_grace_period`), then the
    /// line size, which truncates the line in place when `max_line_size_truncate` is set and
    /// refuses the entry otherwise. A refused entry is left unchanged.
    pub fn validate_entry(
        &self,
        now_ns: i64,
        stream: &Labels,
        entry: &mut LogEntry,
    ) -> Result<EntryAdmission, Rejection> {
        if self.reject_old_samples {
            let oldest = now_ns.saturating_sub(nanos(self.reject_old_samples_max_age));
            if entry.ts < oldest {
                return Err(Rejection::TooOld {
                    stream: stream.clone(),
                    ts: entry.ts,
                    oldest_acceptable: oldest,
                });
            }
        }
        let newest = now_ns.saturating_add(nanos(self.creation_grace_period));
        if entry.ts > newest {
            return Err(Rejection::TooFarInFuture {
                stream: stream.clone(),
                ts: entry.ts,
                newest_acceptable: newest,
            });
        }
        let Some(max) = self.max_line_size else {
            return Ok(EntryAdmission::Unchanged);
        };
        let length = entry.line.len();
        if length as u64 <= max.get() {
            return Ok(EntryAdmission::Unchanged);
        }
        if !self.max_line_size_truncate {
            return Err(Rejection::LineTooLong {
                stream: stream.clone(),
                limit: max.get(),
                length,
            });
        }
        // `max < length`, so it fits in usize. Lines are bytes: a cut may split a UTF-8
        // character, as in Loki.
        entry
            .line
            .truncate(usize::try_from(max.get()).unwrap_or(length));
        Ok(EntryAdmission::Truncated {
            original_length: length,
        })
    }

    /// Whether `tenant` may create `stream` while it has `active_streams` streams.
    pub fn admit_new_stream(
        &self,
        tenant: &str,
        stream: &Labels,
        active_streams: usize,
    ) -> Result<(), Rejection> {
        match self.max_streams_per_user {
            Some(limit) if active_streams >= limit.get() => Err(Rejection::MaxStreams {
                tenant: tenant.to_owned(),
                stream: stream.clone(),
                limit: limit.get(),
            }),
            _ => Ok(()),
        }
    }
}

/// What [`Limits::validate_entry`] did to an accepted entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryAdmission {
    /// Accepted as it came.
    Unchanged,
    /// Accepted with its line cut to `max_line_size` (Loki counts these as mutated samples).
    Truncated {
        /// The line's length before the cut, bytes.
        original_length: usize,
    },
}

/// The limits of every tenant: defaults, and per-tenant overrides (Loki's runtime overrides
/// file). An override is a whole [`Limits`]: whoever reads the overrides file starts each
/// tenant's from the defaults and applies the fields it names, as Loki does.
#[derive(Debug, Clone, Default)]
pub struct TenantLimits {
    defaults: Limits,
    overrides: HashMap<String, Limits>,
}

impl TenantLimits {
    /// Every tenant gets `defaults`.
    pub fn new(defaults: Limits) -> Self {
        Self {
            defaults,
            overrides: HashMap::new(),
        }
    }

    /// Gives `tenant` its own limits, replacing any earlier override.
    pub fn set_override(&mut self, tenant: impl Into<String>, limits: Limits) {
        self.overrides.insert(tenant.into(), limits);
    }

    /// Returns `tenant` to the defaults.
    pub fn remove_override(&mut self, tenant: &str) -> Option<Limits> {
        self.overrides.remove(tenant)
    }

    /// The limits that apply to `tenant`.
    pub fn for_tenant(&self, tenant: &str) -> &Limits {
        self.overrides.get(tenant).unwrap_or(&self.defaults)
    }

    /// The defaults.
    pub fn defaults(&self) -> &Limits {
        &self.defaults
    }

    /// Validates the defaults and every override; an override's error names its tenant.
    pub fn validate(&self) -> Result<()> {
        self.defaults.validate()?;
        for (tenant, limits) in &self.overrides {
            limits.validate().map_err(|e| match e {
                Error::InvalidOption { name, reason } => Error::InvalidOption {
                    name,
                    reason: format!("{reason} (override of tenant {tenant:?})"),
                },
                other => other,
            })?;
        }
        Ok(())
    }
}

/// A token bucket over bytes: it holds at most `burst` tokens, gains `rate` tokens per second,
/// and a request of `n` bytes passes when `n` tokens are there, taking them. It starts full, as
/// Go's `x/time/rate` limiter that Loki uses does. A request larger than `burst` never passes.
///
/// Invariant: over any interval of calls from `t1` to `t2` (nanoseconds, non-decreasing), the
/// bytes admitted are at most `burst + rate × (t2 − t1) / 10^9`. Tokens are counted in units of
/// 10^-9 byte so refills are exact integer arithmetic; a `now` older than one already seen adds
/// nothing, so a clock that steps back cannot mint tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    rate: u64,
    burst: u64,
    /// Available tokens × 10^9; at most `burst × 10^9`.
    scaled_tokens: u128,
    /// The latest `now` seen, from which the next refill counts; `None` before the first call.
    last_ns: Option<i64>,
}

impl TokenBucket {
    /// A full bucket of `burst` bytes refilling at `rate` bytes per second.
    pub fn new(rate: u64, burst: u64) -> Self {
        Self {
            rate,
            burst,
            scaled_tokens: u128::from(burst) * NANOS_PER_SEC,
            last_ns: None,
        }
    }

    /// Bytes per second.
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// Largest number of bytes the bucket holds.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    fn refill(&mut self, now_ns: i64) {
        let last = *self.last_ns.get_or_insert(now_ns);
        if now_ns <= last {
            return;
        }
        let elapsed = (i128::from(now_ns) - i128::from(last)) as u128;
        let gained = u128::from(self.rate).saturating_mul(elapsed);
        let cap = u128::from(self.burst) * NANOS_PER_SEC;
        self.scaled_tokens = self.scaled_tokens.saturating_add(gained).min(cap);
        self.last_ns = Some(now_ns);
    }

    /// Whole bytes available at `now_ns`.
    pub fn available(&mut self, now_ns: i64) -> u64 {
        self.refill(now_ns);
        u64::try_from(self.scaled_tokens / NANOS_PER_SEC).unwrap_or(u64::MAX)
    }

    /// Takes `bytes` tokens at `now_ns` if they are there; false (taking nothing) otherwise.
    pub fn try_take(&mut self, now_ns: i64, bytes: u64) -> bool {
        self.refill(now_ns);
        let needed = u128::from(bytes) * NANOS_PER_SEC;
        if needed > self.scaled_tokens {
            return false;
        }
        self.scaled_tokens -= needed;
        true
    }

    /// Changes rate and burst at `now_ns` (limits reloaded): tokens gained so far count at the
    /// old rate, and the tokens held are cut to the new burst.
    pub fn set_limit(&mut self, now_ns: i64, rate: u64, burst: u64) {
        self.refill(now_ns);
        self.rate = rate;
        self.burst = burst;
        let cap = u128::from(burst) * NANOS_PER_SEC;
        self.scaled_tokens = self.scaled_tokens.min(cap);
    }

    /// Admits a push of `lines` lines and `bytes` bytes (lines and structured metadata) from
    /// `tenant` against this, the tenant's, bucket.
    pub fn admit_push(
        &mut self,
        now_ns: i64,
        tenant: &str,
        lines: usize,
        bytes: u64,
    ) -> Result<(), Rejection> {
        if self.try_take(now_ns, bytes) {
            return Ok(());
        }
        Err(Rejection::RateLimited {
            tenant: tenant.to_owned(),
            limit: self.rate,
            burst: self.burst,
            lines,
            bytes,
        })
    }

    /// Admits one entry of `bytes` bytes to `stream` against this, the stream's, bucket.
    pub fn admit_stream_entry(
        &mut self,
        now_ns: i64,
        stream: &Labels,
        bytes: u64,
    ) -> Result<(), Rejection> {
        if self.try_take(now_ns, bytes) {
            return Ok(());
        }
        Err(Rejection::StreamRateLimited {
            stream: stream.clone(),
            limit: self.rate,
            burst: self.burst,
            bytes,
        })
    }
}

/// Why a stream or an entry of a push was refused. Each names the limit and the stream (or the
/// tenant, for tenant-wide limits); `Display` gives Loki's message, [`Rejection::reason`] Loki's
/// `reason` label value for the discarded-samples metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A stream without any label (after dropping empty values).
    #[error("error at least one label pair is required per stream")]
    MissingLabels,
    /// Labels that do not parse, or a label name that is not valid.
    #[error("Error parsing labels '{stream}' with error: {error}")]
    InvalidLabels {
        /// The stream's labels as pushed.
        stream: String,
        /// What is wrong.
        error: StreamLabelsError,
    },
    /// More label names than `max_label_names_per_series`.
    #[error("entry for stream '{stream}' has {count} label names; limit {limit}")]
    MaxLabelNamesPerSeries {
        /// The stream's labels as pushed.
        stream: String,
        /// Its label names (`service_name` not counted).
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A label name longer than `max_label_name_length`.
    #[error("stream '{stream}' has label name too long: '{name}'")]
    LabelNameTooLong {
        /// The stream's labels as pushed.
        stream: String,
        /// The name.
        name: String,
        /// The limit, bytes.
        limit: usize,
    },
    /// A label value longer than `max_label_value_length`.
    #[error("stream '{stream}' has label value too long: '{value}'")]
    LabelValueTooLong {
        /// The stream's labels as pushed.
        stream: String,
        /// The value.
        value: String,
        /// The limit, bytes.
        limit: usize,
    },
    /// The same label name twice.
    #[error("stream '{stream}' has duplicate label name: '{name}'")]
    DuplicateLabelNames {
        /// The stream's labels as pushed.
        stream: String,
        /// The repeated name.
        name: String,
    },
    /// The tenant's `ingestion_rate_mb` / `ingestion_burst_size_mb` bucket is empty.
    #[error(
        "Ingestion rate limit exceeded for user {tenant} (limit: {limit} bytes/sec) while \
         attempting to ingest '{lines}' lines totaling '{bytes}' bytes, reduce log volume or \
         contact your Loki administrator to see if the limit can be increased"
    )]
    RateLimited {
        /// The tenant.
        tenant: String,
        /// The rate, bytes per second.
        limit: u64,
        /// The burst, bytes.
        burst: u64,
        /// Lines in the refused push.
        lines: usize,
        /// Bytes in the refused push.
        bytes: u64,
    },
    /// The stream's `per_stream_rate_limit` / `per_stream_rate_limit_burst` bucket is empty.
    #[error(
        "Per stream rate limit exceeded (limit: {}/sec) while attempting to ingest for stream \
         '{stream}' totaling {}, consider splitting a stream via additional labels or contact \
         your Loki administrator to see if the limit can be increased",
        ByteSize(*.limit),
        ByteSize(*.bytes)
    )]
    StreamRateLimited {
        /// The stream.
        stream: Labels,
        /// The rate, bytes per second.
        limit: u64,
        /// The burst, bytes.
        burst: u64,
        /// Bytes of the refused entry.
        bytes: u64,
    },
    /// A line longer than `max_line_size` (with truncation off).
    #[error(
        "Max entry size '{limit}' bytes exceeded for stream '{stream}' while adding an entry \
         with length '{length}' bytes"
    )]
    LineTooLong {
        /// The stream.
        stream: Labels,
        /// The limit, bytes.
        limit: u64,
        /// The line's length, bytes.
        length: usize,
    },
    /// An entry older than `reject_old_samples_max_age`.
    #[error(
        "entry for stream '{stream}' has timestamp too old: {}, oldest acceptable timestamp is: {}",
        Rfc3339(*.ts),
        Rfc3339(*.oldest_acceptable)
    )]
    TooOld {
        /// The stream.
        stream: Labels,
        /// The entry's timestamp, ns.
        ts: i64,
        /// Now minus `reject_old_samples_max_age`, ns.
        oldest_acceptable: i64,
    },
    /// An entry newer than now plus `creation_grace_period`.
    #[error("entry for stream '{stream}' has timestamp too new: {}", Rfc3339(*.ts))]
    TooFarInFuture {
        /// The stream.
        stream: Labels,
        /// The entry's timestamp, ns.
        ts: i64,
        /// Now plus `creation_grace_period`, ns.
        newest_acceptable: i64,
    },
    /// A new stream beyond `max_streams_per_user`.
    #[error(
        "Maximum active stream limit exceeded when trying to create stream {stream}, reduce the \
         number of active streams (reduce labels or reduce label values), or contact your Loki \
         administrator to see if the limit can be increased, user: '{tenant}'"
    )]
    MaxStreams {
        /// The tenant.
        tenant: String,
        /// The stream it tried to create.
        stream: Labels,
        /// The limit.
        limit: usize,
    },
    /// An entry older than its stream's newest, with `unordered_writes` off.
    #[error("entry out of order")]
    OutOfOrder {
        /// The stream.
        stream: Labels,
        /// The entry's timestamp, ns.
        ts: i64,
        /// The stream's newest timestamp, ns.
        newest: i64,
    },
    /// An entry further behind its stream's newest than the unordered-writes window.
    #[error(
        "entry too far behind, entry timestamp is: {}, oldest acceptable timestamp is: {}",
        Rfc3339(*.ts),
        Rfc3339(*.oldest_acceptable)
    )]
    TooFarBehind {
        /// The stream.
        stream: Labels,
        /// The entry's timestamp, ns.
        ts: i64,
        /// The stream's newest timestamp minus the window, ns.
        oldest_acceptable: i64,
    },
}

impl Rejection {
    /// Loki's `reason` label value for this rejection (`loki_discarded_samples_total`).
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::MissingLabels => "missing_labels",
            Rejection::InvalidLabels { .. } => "invalid_labels",
            Rejection::MaxLabelNamesPerSeries { .. } => "max_label_names_per_series",
            Rejection::LabelNameTooLong { .. } => "label_name_too_long",
            Rejection::LabelValueTooLong { .. } => "label_value_too_long",
            Rejection::DuplicateLabelNames { .. } => "duplicate_label_names",
            Rejection::RateLimited { .. } => "rate_limited",
            Rejection::StreamRateLimited { .. } => "per_stream_rate_limit",
            Rejection::LineTooLong { .. } => "line_too_long",
            Rejection::TooOld { .. } => "greater_than_max_sample_age",
            Rejection::TooFarInFuture { .. } => "too_far_in_future",
            Rejection::MaxStreams { .. } => "stream_limit",
            Rejection::OutOfOrder { .. } => "out_of_order",
            Rejection::TooFarBehind { .. } => "too_far_behind",
        }
    }

    /// True for the rate limits, which Loki answers with 429 (the others are 400).
    pub fn is_rate_limited(&self) -> bool {
        matches!(
            self,
            Rejection::RateLimited { .. } | Rejection::StreamRateLimited { .. }
        )
    }
}

/// A byte count printed as Loki prints its `ByteSize` limits (`3MB`, `256KB`, `1000B`): in the
/// largest binary unit that divides it exactly.
pub struct ByteSize(pub u64);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u32); 6] = [
            ("EB", 60),
            ("PB", 50),
            ("TB", 40),
            ("GB", 30),
            ("MB", 20),
            ("KB", 10),
        ];
        let b = self.0;
        if b == 0 {
            return f.write_str("0B");
        }
        for (unit, shift) in UNITS {
            if b.trailing_zeros() >= shift {
                return write!(f, "{}{unit}", b >> shift);
            }
        }
        write!(f, "{b}B")
    }
}

/// A nanosecond timestamp printed as Go's `time.RFC3339` in UTC (`2006-01-02T15:04:05Z`),
/// seconds truncated toward the past, as Loki's messages print them.
pub struct Rfc3339(pub i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1_000_000_000);
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        )
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
