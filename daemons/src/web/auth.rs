//! HTTP basic authentication against `basic_auth_users` (user → bcrypt hash), as the exporter
//! toolkit does it: every route requires credentials when users are configured; a failure is a
//! 401 with `WWW-Authenticate: Basic` and the body `Unauthorized`.
//!
//! bcrypt is slow on purpose (about 70 ms at cost 10), so outcomes are cached, as the toolkit
//! caches them: a client that sends the right password checks it with bcrypt once. The cache key
//! is a keyed 128-bit fingerprint of (user, hash, password) under per-process random SipHash keys,
//! never the password itself; the password comparison proper is bcrypt's constant-time one. An
//! unknown user still costs one bcrypt run (against a configured user's hash), so response
//! timing does not tell which user names exist. bcrypt runs on blocking threads, at most one per
//! core at a time. Passwords are never logged.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use tokio::sync::Semaphore;

use super::base64;

/// How many outcomes the cache keeps; when full an arbitrary entry makes room (the toolkit keeps
/// 100 and evicts at random too). Only configured users' attempts are cached.
const CACHE_CAPACITY: usize = 1024;

/// What a cache entry is looked up by: the user and the keyed fingerprint of (user, hash,
/// password).
type CacheKey = (String, [u64; 2]);

/// Checks `Authorization: Basic` credentials against bcrypt hashes. Cheap to share through an
/// `Arc`; one per loaded web configuration, so a reload starts with an empty cache.
pub struct BasicAuth {
    /// User → bcrypt hash; the hashes were validated when the configuration was loaded.
    users: BTreeMap<String, String>,
    /// Outcomes of earlier bcrypt checks.
    cache: Mutex<OutcomeCache>,
    /// Two independent random keys for the password fingerprint.
    fingerprint_keys: [RandomState; 2],
    /// Bounds concurrent bcrypt runs so a burst of bad passwords cannot take every core.
    bcrypt_slots: Semaphore,
    /// bcrypt runs so far (what the cache saves is visible in tests).
    bcrypt_runs: AtomicU64,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// Authentication for `users` (user → bcrypt hash). No users means every request passes.
    pub fn new(users: BTreeMap<String, String>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        BasicAuth {
            users,
            cache: Mutex::new(OutcomeCache::new(CACHE_CAPACITY)),
            fingerprint_keys: [RandomState::new(), RandomState::new()],
            bcrypt_slots: Semaphore::new(cores),
            bcrypt_runs: AtomicU64::new(0),
        }
    }

    /// Whether credentials are required.
    pub fn is_enabled(&self) -> bool {
        !self.users.is_empty()
    }

    /// Whether a request with these headers may pass.
    pub async fn allows(&self, headers: &HeaderMap) -> bool {
        if !self.is_enabled() {
            return true;
        }
        let Some((user, password)) = headers.get(header::AUTHORIZATION).and_then(parse_basic)
        else {
            return false;
        };
        self.verify(&user, &password).await
    }

    /// Checks one user's password, from the cache when this exact attempt was checked before.
    async fn verify(&self, user: &str, password: &[u8]) -> bool {
        let (known, hash) = match self.users.get(user) {
            Some(hash) => (true, hash.clone()),
            // Same cost as a real check; the outcome is ignored below.
            None => match self.users.values().next() {
                Some(hash) => (false, hash.clone()),
                None => return false,
            },
        };
        let key = (user.to_owned(), self.fingerprint(user, &hash, password));
        if known && let Some(ok) = self.cache.lock().get(&key) {
            return ok;
        }
        let ok = self.run_bcrypt(password, hash).await && known;
        if known {
            self.cache.lock().insert(key, ok);
        }
        ok
    }

    /// bcrypt's verdict, computed on a blocking thread; any failure is a refusal.
    async fn run_bcrypt(&self, password: &[u8], hash: String) -> bool {
        let Ok(_slot) = self.bcrypt_slots.acquire().await else {
            return false;
        };
        self.bcrypt_runs.fetch_add(1, Ordering::Relaxed);
        let password = password.to_vec();
        let outcome = tokio::task::spawn_blocking(move || bcrypt::verify(&password, &hash)).await;
        match outcome {
            Ok(Ok(ok)) => ok,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "bcrypt verification failed");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "bcrypt verification task failed");
                false
            }
        }
    }

    /// How many times bcrypt ran.
    #[cfg(test)]
    fn bcrypt_runs(&self) -> u64 {
        self.bcrypt_runs.load(Ordering::Relaxed)
    }

    fn fingerprint(&self, user: &str, hash: &str, password: &[u8]) -> [u64; 2] {
        self.fingerprint_keys
            .each_ref()
            .map(|keys| keys.hash_one((user, hash, password)))
    }
}

/// bcrypt outcomes by attempt, bounded: when full, an arbitrary entry makes room.
struct OutcomeCache {
    entries: HashMap<CacheKey, bool>,
    capacity: usize,
}

impl OutcomeCache {
    fn new(capacity: usize) -> Self {
        OutcomeCache {
            entries: HashMap::new(),
            capacity,
        }
    }

    fn get(&self, key: &CacheKey) -> Option<bool> {
        self.entries.get(key).copied()
    }

    fn insert(&mut self, key: CacheKey, ok: bool) {
        if self.entries.len() >= self.capacity
            && !self.entries.contains_key(&key)
            && let Some(evicted) = self.entries.keys().next().cloned()
        {
            self.entries.remove(&evicted);
        }
        self.entries.insert(key, ok);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Splits `Basic <base64(user:password)>`; the scheme is case-insensitive, the password is
/// everything after the first colon.
fn parse_basic(value: &HeaderValue) -> Option<(String, Vec<u8>)> {
    let value = value.as_bytes();
    let (scheme, encoded) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"basic ") {
        return None;
    }
    let decoded = base64::decode(encoded.trim_ascii())?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let (user, password) = decoded.split_at(colon);
    let user = String::from_utf8(user.to_vec()).ok()?;
    let password = password.get(1..)?.to_vec();
    Some((user, password))
}

/// Middleware refusing requests without valid credentials (`from_fn_with_state` with an
/// `Arc<BasicAuth>`).
pub async fn require_basic_auth(
    State(auth): State<Arc<BasicAuth>>,
    request: Request,
    next: Next,
) -> Response {
    if auth.allows(request.headers()).await {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic")],
        "Unauthorized\n",
    )
        .into_response()
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
