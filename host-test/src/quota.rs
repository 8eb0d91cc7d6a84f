//! A tenant's quota: calls and tokens per minute, calls at once and a token budget, counted in the
//! host's [`SharedStore`] so that the quota holds across the host's calls (and, on a shared
//! database, across hosts). A call is admitted before the component runs ([`admit`]) and settled
//! when it ends ([`Ticket::settle`]), with the tokens the endpoint reported.
//!
//! Counters, in the store's bucket [`BUCKET`] (every store makes `increment` atomic; reading is
//! an increment by 0): `tenant:NAME:calls:MINUTE`, `tenant:NAME:tpm:MINUTE` (MINUTE: Unix
//! minutes; the first call of a minute deletes the minute before), `tenant:NAME:started` and
//! `ended` (a store has no decrement: the calls in flight are their difference), and
//! `tenant:NAME:tokens` (the budget spent).

use crate::store::{SharedStore, StoreError};
use crate::Usage;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The store bucket the host keeps its tenants' quota counters in.
pub const BUCKET: &str = "litellm-quotas";

/// A tenant's quota on a host: each limit is off until set. Calls are chat completions (streamed
/// or not) and embeddings; the provider's name, model rule and model list are not counted.
///
/// Tokens are the endpoint's `input-tokens + output-tokens`: cached input tokens are within the
/// input, reasoning tokens within the output, each counted once at full weight. A call that
/// fails before an answer counts none; a stream cut after some events counts what it used, as
/// the endpoint would bill it: the request's text and what arrived, at 4 bytes a token (no
/// usage arrives then).
///
/// The per-minute and budget limits are checked before a call and counted after it, so calls
/// that run together can pass them by what they use together; calls per minute and calls at
/// once are exact (atomic increments).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    pub(crate) calls_per_minute: Option<u64>,
    pub(crate) tokens_per_minute: Option<u64>,
    pub(crate) concurrent_calls: Option<u64>,
    pub(crate) token_budget: Option<u64>,
    pub(crate) fail_open: bool,
}

impl Quota {
    /// No limit at all: the store is never asked.
    pub fn unlimited() -> Self {
        Self::default()
    }

    /// At most `calls` calls in each minute of the wall clock (refused ones count too).
    pub fn calls_per_minute(mut self, calls: u64) -> Self {
        self.calls_per_minute = Some(calls);
        self
    }

    /// No new call once `tokens` tokens were used in the current minute of the wall clock.
    pub fn tokens_per_minute(mut self, tokens: u64) -> Self {
        self.tokens_per_minute = Some(tokens);
        self
    }

    /// At most `calls` calls (an open stream until its end) at once. Unlike
    /// [`crate::Tenant::max_concurrent_calls`], which makes further calls wait for a place on
    /// one host, a call over this limit is refused, and the count is the store's (every host).
    pub fn concurrent_calls(mut self, calls: u64) -> Self {
        self.concurrent_calls = Some(calls);
        self
    }

    /// No new call once `tokens` tokens were used over the tenant's life in the store. It does
    /// not renew: a platform resets it by deleting `tenant:NAME:tokens` in [`BUCKET`].
    pub fn token_budget(mut self, tokens: u64) -> Self {
        self.token_budget = Some(tokens);
        self
    }

    /// What a call gets when the store fails: refused with [`QuotaError::StoreUnavailable`]
    /// (`false`, the default: a limit that cannot be counted does not hold), or run uncounted
    /// (`true`, with a warning in the log).
    pub fn fail_open(mut self, open: bool) -> Self {
        self.fail_open = open;
        self
    }

    fn is_unlimited(&self) -> bool {
        let Quota { calls_per_minute, tokens_per_minute, concurrent_calls, token_budget, fail_open: _ } = self;
        [calls_per_minute, tokens_per_minute, concurrent_calls, token_budget].iter().all(|limit| limit.is_none())
    }
}

/// The limit of a [`Quota`] that refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaLimit {
    /// [`Quota::calls_per_minute`].
    CallsPerMinute,
    /// [`Quota::tokens_per_minute`].
    TokensPerMinute,
    /// [`Quota::concurrent_calls`].
    ConcurrentCalls,
    /// [`Quota::token_budget`].
    TokenBudget,
}

impl QuotaLimit {
    /// A short name: `calls-per-minute`, `tokens-per-minute`, `concurrent-calls`, `token-budget`.
    pub fn name(self) -> &'static str {
        match self {
            QuotaLimit::CallsPerMinute => "calls-per-minute",
            QuotaLimit::TokensPerMinute => "tokens-per-minute",
            QuotaLimit::ConcurrentCalls => "concurrent-calls",
            QuotaLimit::TokenBudget => "token-budget",
        }
    }
}

/// Why the host refused a call before the component ran. Nothing was sent to the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaError {
    /// A per-minute limit or the limit on calls at once: the call may be made again after
    /// `retry_after` (the end of the minute; 1 s for calls at once).
    RateLimited {
        /// The limit that refused it.
        limit: QuotaLimit,
        /// The limit's value.
        allowed: u64,
        /// How long to wait.
        retry_after: Duration,
    },
    /// The token budget is spent; it does not renew by itself.
    QuotaExceeded {
        /// The budget, in tokens.
        budget: u64,
    },
    /// The store could not count, and the quota fails closed ([`Quota::fail_open`]).
    StoreUnavailable(StoreError),
}

impl QuotaError {
    /// The case's name, as the contract names the like errors: `rate-limited`,
    /// `quota-exceeded`, or `quota-store-unavailable`.
    pub fn kind(&self) -> &'static str {
        match self {
            QuotaError::RateLimited { .. } => "rate-limited",
            QuotaError::QuotaExceeded { .. } => "quota-exceeded",
            QuotaError::StoreUnavailable(_) => "quota-store-unavailable",
        }
    }

    /// How long to wait before trying again, when waiting helps.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            QuotaError::RateLimited { retry_after, .. } => Some(*retry_after),
            QuotaError::QuotaExceeded { .. } | QuotaError::StoreUnavailable(_) => None,
        }
    }
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuotaError::RateLimited { limit, allowed, retry_after } => write!(
                f,
                "rate-limited by the host: the tenant's quota of {allowed} ({}) is reached; retry in {} ms",
                limit.name(),
                retry_after.as_millis()
            ),
            QuotaError::QuotaExceeded { budget } => {
                write!(f, "quota-exceeded: the tenant's token budget of {budget} is spent")
            }
            QuotaError::StoreUnavailable(e) => write!(f, "quota-store-unavailable: the host's quota store failed: {e}"),
        }
    }
}

impl std::error::Error for QuotaError {}

/// An admitted call's hold on its tenant's quota: settled with the tokens it used (or, dropped
/// unsettled, with none), which frees its place among the calls at once.
pub(crate) struct Ticket {
    store: Arc<dyn SharedStore>,
    keys: Keys,
    quota: Quota,
    settled: bool,
}

/// The counters of one tenant.
#[derive(Clone)]
struct Keys(String);

impl Keys {
    fn new(tenant: &str) -> Self {
        // A name with ':' must not reach another tenant's counters: ':' and '%' are escaped.
        Keys(format!("tenant:{}", tenant.replace('%', "%25").replace(':', "%3A")))
    }
    fn calls(&self, minute: u64) -> String {
        format!("{}:calls:{minute}", self.0)
    }
    fn tokens_in(&self, minute: u64) -> String {
        format!("{}:tpm:{minute}", self.0)
    }
    fn started(&self) -> String {
        format!("{}:started", self.0)
    }
    fn ended(&self) -> String {
        format!("{}:ended", self.0)
    }
    fn budget_spent(&self) -> String {
        format!("{}:tokens", self.0)
    }
}

/// The Unix minute now, and the time left in it.
fn minute_now() -> (u64, Duration) {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let minute = since_epoch.as_secs() / 60;
    let left = Duration::from_secs((minute + 1) * 60).saturating_sub(since_epoch);
    (minute, left.max(Duration::from_millis(1)))
}

/// Checks `tenant`'s quota and counts the call in: a ticket to settle when it ends, `None` when
/// the quota has no limit (or the store failed and the quota fails open).
pub(crate) async fn admit(
    store: &Arc<dyn SharedStore>,
    tenant: &str,
    quota: &Quota,
) -> Result<Option<Ticket>, QuotaError> {
    if quota.is_unlimited() {
        return Ok(None);
    }
    let keys = Keys::new(tenant);
    match checked_in(store.as_ref(), &keys, quota).await {
        Ok(Ok(())) => Ok(Some(Ticket { store: store.clone(), keys, quota: *quota, settled: false })),
        Ok(Err(refused)) => Err(refused),
        Err(e) if quota.fail_open => {
            tracing::warn!(tenant, error = %e, "the quota store failed: the call runs uncounted");
            Ok(None)
        }
        Err(e) => Err(QuotaError::StoreUnavailable(e)),
    }
}

/// The checks, in the order that counts least for a refused call: the budget and tokens (reads),
/// then the call (an increment), then its place among the calls at once.
async fn checked_in(store: &dyn SharedStore, keys: &Keys, quota: &Quota) -> Result<Result<(), QuotaError>, StoreError> {
    let (minute, left) = minute_now();
    if let Some(budget) = quota.token_budget {
        if store.increment(BUCKET, &keys.budget_spent(), 0).await? >= budget {
            return Ok(Err(QuotaError::QuotaExceeded { budget }));
        }
    }
    if let Some(allowed) = quota.tokens_per_minute {
        if store.increment(BUCKET, &keys.tokens_in(minute), 0).await? >= allowed {
            let limit = QuotaLimit::TokensPerMinute;
            return Ok(Err(QuotaError::RateLimited { limit, allowed, retry_after: left }));
        }
    }
    if let Some(allowed) = quota.calls_per_minute {
        let calls = store.increment(BUCKET, &keys.calls(minute), 1).await?;
        if calls == 1 && minute > 0 {
            // The minute's first call clears the one before (best effort: a stale key only
            // takes room).
            let _ = store.delete(BUCKET, &keys.calls(minute - 1)).await;
            let _ = store.delete(BUCKET, &keys.tokens_in(minute - 1)).await;
        }
        if calls > allowed {
            let limit = QuotaLimit::CallsPerMinute;
            return Ok(Err(QuotaError::RateLimited { limit, allowed, retry_after: left }));
        }
    }
    if let Some(allowed) = quota.concurrent_calls {
        // `ended` is read before this call counts itself in: every end it holds is of a call
        // counted in `started` before this one, so the difference never falls below the calls
        // truly in flight. Read after, it could hold the refusal of a call that started after
        // this one and let calls too many in (64 at once against 8 let 14 in, in the test below).
        let ended = store.increment(BUCKET, &keys.ended(), 0).await?;
        let started = store.increment(BUCKET, &keys.started(), 1).await?;
        if started.saturating_sub(ended) > allowed {
            store.increment(BUCKET, &keys.ended(), 1).await?;
            let limit = QuotaLimit::ConcurrentCalls;
            return Ok(Err(QuotaError::RateLimited { limit, allowed, retry_after: Duration::from_secs(1) }));
        }
    }
    Ok(Ok(()))
}

/// The tokens a call counts against a quota: the endpoint's input and output.
pub(crate) fn tokens_of(usage: &Usage) -> u64 {
    u64::from(usage.input_tokens) + u64::from(usage.output_tokens)
}

/// Tokens estimated from text, at 4 bytes a token: for a stream cut before its usage arrived.
pub(crate) fn estimated_tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(4)
}

impl Ticket {
    /// Counts `tokens` against the tenant's per-minute and budget limits and frees the call's
    /// place. A store failure now is logged: the call already ran.
    pub(crate) async fn settle(mut self, tokens: u64) {
        self.settled = true;
        if let Err(e) = settle(self.store.as_ref(), &self.keys, &self.quota, tokens).await {
            tracing::warn!(error = %e, "the quota store failed: a call's tokens were not counted");
        }
    }
}

async fn settle(store: &dyn SharedStore, keys: &Keys, quota: &Quota, tokens: u64) -> Result<(), StoreError> {
    if tokens > 0 {
        if quota.tokens_per_minute.is_some() {
            store.increment(BUCKET, &keys.tokens_in(minute_now().0), tokens).await?;
        }
        if quota.token_budget.is_some() {
            store.increment(BUCKET, &keys.budget_spent(), tokens).await?;
        }
    }
    if quota.concurrent_calls.is_some() {
        store.increment(BUCKET, &keys.ended(), 1).await?;
    }
    Ok(())
}

impl Drop for Ticket {
    /// A call dropped before it ended (its future cancelled, the tenant's cap reached) still
    /// frees its place, from a task of the runtime it ran on.
    fn drop(&mut self) {
        if self.settled || self.quota.concurrent_calls.is_none() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (store, keys, quota) = (self.store.clone(), self.keys.clone(), self.quota);
        runtime.spawn(async move {
            if let Err(e) = settle(store.as_ref(), &keys, &quota, 0).await {
                tracing::warn!(error = %e, "the quota store failed: a dropped call's place was not freed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryStore;
    use futures::future::BoxFuture;

    fn memory() -> Arc<dyn SharedStore> {
        Arc::new(MemoryStore::default())
    }

    #[tokio::test]
    async fn calls_per_minute_refuse_the_call_past_the_limit_with_the_minute_s_end() {
        let store = memory();
        let quota = Quota::unlimited().calls_per_minute(2);
        for _ in 0..2 {
            admit(&store, "t", &quota).await.unwrap().unwrap().settle(0).await;
        }
        let refused = admit(&store, "t", &quota).await.err().unwrap();
        assert_eq!(refused.kind(), "rate-limited");
        let wait = refused.retry_after().unwrap();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(admit(&store, "other", &quota).await.unwrap().is_some(), "another tenant is apart");
    }

    #[tokio::test]
    async fn tokens_count_after_the_call_and_the_budget_does_not_renew() {
        let store = memory();
        let quota = Quota::unlimited().token_budget(100).tokens_per_minute(1_000);
        admit(&store, "t", &quota).await.unwrap().unwrap().settle(60).await;
        admit(&store, "t", &quota).await.unwrap().unwrap().settle(60).await;
        let refused = admit(&store, "t", &quota).await.err().unwrap();
        assert_eq!(refused, QuotaError::QuotaExceeded { budget: 100 });
        assert_eq!(refused.retry_after(), None);
        let minute = Quota::unlimited().tokens_per_minute(120);
        assert!(matches!(
            admit(&store, "t", &minute).await.err(),
            Some(QuotaError::RateLimited { limit: QuotaLimit::TokensPerMinute, allowed: 120, .. })
        ));
    }

    #[tokio::test]
    async fn a_place_among_the_calls_at_once_is_freed_by_settling_or_dropping() {
        let store = memory();
        let quota = Quota::unlimited().concurrent_calls(1);
        let first = admit(&store, "t", &quota).await.unwrap().unwrap();
        let refused = admit(&store, "t", &quota).await.err().unwrap();
        assert_eq!(refused.retry_after(), Some(Duration::from_secs(1)));
        first.settle(0).await;
        let second = admit(&store, "t", &quota).await.unwrap().unwrap();
        drop(second);
        tokio::task::yield_now().await;
        for _ in 0..100 {
            if let Ok(Some(ticket)) = admit(&store, "t", &quota).await {
                ticket.settle(0).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("a dropped ticket never freed its place");
    }

    /// A store whose every operation first lets the other tasks run a varying number of turns
    /// (0 to 6, in a fixed sequence), so that concurrent admissions interleave unevenly between
    /// their reads and increments.
    #[derive(Debug, Default)]
    struct Interleaving(MemoryStore, std::sync::atomic::AtomicU64);

    impl Interleaving {
        async fn turns(&self) {
            let n = self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            for _ in 0..(n.wrapping_mul(2_654_435_761) >> 7) % 7 {
                tokio::task::yield_now().await;
            }
        }
    }

    impl SharedStore for Interleaving {
        fn get<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
            Box::pin(async move {
                self.turns().await;
                self.0.get(bucket, key).await
            })
        }
        fn set<'a>(&'a self, bucket: &'a str, key: &'a str, value: Vec<u8>) -> BoxFuture<'a, Result<(), StoreError>> {
            Box::pin(async move {
                self.turns().await;
                self.0.set(bucket, key, value).await
            })
        }
        fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
            Box::pin(async move {
                self.turns().await;
                self.0.delete(bucket, key).await
            })
        }
        fn increment<'a>(
            &'a self,
            bucket: &'a str,
            key: &'a str,
            delta: u64,
        ) -> BoxFuture<'a, Result<u64, StoreError>> {
            Box::pin(async move {
                self.turns().await;
                self.0.increment(bucket, key, delta).await
            })
        }
    }

    #[tokio::test]
    async fn interleaved_admissions_never_let_one_call_too_many_in() {
        let store: Arc<dyn SharedStore> = Arc::new(Interleaving::default());
        let quota = Quota::unlimited().concurrent_calls(8);
        let admissions: Vec<_> = (0..64)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { admit(&store, "t", &quota).await })
            })
            .collect();
        let (mut held, mut refused) = (Vec::new(), 0);
        for admission in admissions {
            match admission.await.unwrap() {
                Ok(ticket) => held.push(ticket.unwrap()),
                Err(QuotaError::RateLimited { limit: QuotaLimit::ConcurrentCalls, .. }) => refused += 1,
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((held.len(), refused), (8, 56));
    }

    #[test]
    fn tenant_names_cannot_reach_each_other_s_counters() {
        assert_ne!(Keys::new("a:tokens").budget_spent(), Keys::new("a").tokens_in(0));
        assert_eq!(Keys::new("a:b").0, "tenant:a%3Ab");
        assert_ne!(Keys::new("a%3Ab").0, Keys::new("a:b").0);
    }

    #[test]
    fn estimates_round_up() {
        assert_eq!(estimated_tokens(0), 0);
        assert_eq!(estimated_tokens(1), 1);
        assert_eq!(estimated_tokens(8), 2);
        assert_eq!(estimated_tokens(9), 3);
    }
}
