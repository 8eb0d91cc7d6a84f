//! A client key's limits, counted in a store the gateway's instances share ([`Counters`]: the
//! `wasi:keyvalue` bucket in the component, a map in the tests), and the deployments' shared
//! state (round-robin turns, cool-downs). Pure but for the store: tested natively.
//!
//! Only two operations are used, both atomic in every store: `increment` (by 0 to read) and
//! `set`/`get` of a deadline. `wasi:keyvalue@0.2.0-draft` has no decrement, so the calls in flight
//! are two counters that only grow, `started` and `ended`: in flight = started − ended.
//!
//! What is counted (docs/gateway.md "Routes and limits"): a request in its wall-clock minute
//! when it is admitted; tokens when the upstream reports them, as `input_tokens + output_tokens`
//! (cached input tokens are part of the input, reasoning tokens part of the output, each counted
//! once at full weight); a call that fails uses no tokens.

use crate::routes::KeyPolicy;

/// The store the counters live in. Each method is one atomic operation of the store.
pub trait Counters {
    /// Adds `delta` to the number at `key` (missing: 0) and returns the new number.
    fn add(&self, key: &str, delta: u64) -> Result<u64, String>;
    /// The text at `key`.
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    /// Sets `key` to `value`.
    fn set(&self, key: &str, value: &str) -> Result<(), String>;
    /// Removes `key`.
    fn delete(&self, key: &str) -> Result<(), String>;
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Requests per minute.
    Rpm,
    /// Tokens per minute.
    Tpm,
    /// Requests in flight.
    Concurrent,
    /// The key's token budget.
    Budget,
}

impl Limit {
    /// The limit's name in the document and the access log.
    pub fn name(self) -> &'static str {
        match self {
            Limit::Rpm => "rpm",
            Limit::Tpm => "tpm",
            Limit::Concurrent => "max_concurrent",
            Limit::Budget => "token_budget",
        }
    }
}

/// Why a request was not admitted.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Over a limit.
    Over {
        /// Which limit.
        limit: Limit,
        /// Its value.
        of: u64,
        /// How long to wait; none for a spent budget, which does not renew.
        retry_after_ms: Option<u64>,
    },
    /// The store failed.
    Store(String),
}

/// A request admitted under a key's limits: what to count when it ends.
#[derive(Debug)]
pub struct Admission {
    stem: String,
    counts_tokens: bool,
    holds_a_slot: bool,
}

const MINUTE_MS: u64 = 60_000;

fn stem(key_name: &str) -> String {
    format!("key:{key_name}")
}

/// Admits one request of `key_name` under `policy` at wall-clock time `now_ms`, or says which
/// limit it is over. Reads the budget and this minute's tokens, takes a slot of the key's
/// calls in flight, then counts the request in its minute; a refusal gives back the slot.
pub fn admit(store: &dyn Counters, key_name: &str, policy: &KeyPolicy, now_ms: u64) -> Result<Admission, Refused> {
    let stem = stem(key_name);
    let store_error = Refused::Store;
    let minute = now_ms / MINUTE_MS;
    let next_minute_ms = (minute + 1) * MINUTE_MS - now_ms;
    if let Some(budget) = policy.token_budget {
        let spent = store.add(&format!("{stem}:tokens"), 0).map_err(store_error)?;
        if spent >= budget {
            return Err(Refused::Over { limit: Limit::Budget, of: budget, retry_after_ms: None });
        }
    }
    if let Some(tpm) = policy.tpm {
        let used = store.add(&format!("{stem}:tpm:{minute}"), 0).map_err(store_error)?;
        if used >= tpm {
            return Err(Refused::Over { limit: Limit::Tpm, of: tpm, retry_after_ms: Some(next_minute_ms) });
        }
    }
    let mut admission = Admission {
        stem: stem.clone(),
        counts_tokens: policy.tpm.is_some() || policy.token_budget.is_some(),
        holds_a_slot: false,
    };
    if let Some(max) = policy.max_concurrent {
        // `ended` is read before this request counts itself in, as the host's quotas do
        // (host-test/src/quota.rs says why): read after, it may hold the refusal of a request
        // that started after this one, and let one request too many in.
        let ended = store.add(&format!("{stem}:ended"), 0).map_err(store_error)?;
        let started = store.add(&format!("{stem}:started"), 1).map_err(store_error)?;
        if started.saturating_sub(ended) > max {
            // Given back at once: this request counts as ended.
            store.add(&format!("{stem}:ended"), 1).map_err(store_error)?;
            return Err(Refused::Over { limit: Limit::Concurrent, of: max, retry_after_ms: Some(1_000) });
        }
        admission.holds_a_slot = true;
    }
    if let Some(rpm) = policy.rpm {
        let counted = store.add(&format!("{stem}:rpm:{minute}"), 1);
        let refused = match counted {
            Ok(n) => {
                if n == 1 {
                    // The first request of a minute forgets the minute before (best effort).
                    let _ = store.delete(&format!("{stem}:rpm:{}", minute.saturating_sub(1)));
                    let _ = store.delete(&format!("{stem}:tpm:{}", minute.saturating_sub(1)));
                }
                (n > rpm).then_some(Refused::Over { limit: Limit::Rpm, of: rpm, retry_after_ms: Some(next_minute_ms) })
            }
            Err(e) => Some(Refused::Store(e)),
        };
        if let Some(refused) = refused {
            admission.release(store);
            return Err(refused);
        }
    }
    Ok(admission)
}

impl Admission {
    /// Counts the tokens the call used (at the time it ended) and gives back its slot. A store
    /// error here loses that count, never the answer: the caller logs it.
    pub fn finish(self, store: &dyn Counters, tokens: u64, now_ms: u64) -> Result<(), String> {
        let mut result = Ok(());
        if self.counts_tokens && tokens > 0 {
            let minute = now_ms / MINUTE_MS;
            result = result.and(store.add(&format!("{}:tpm:{minute}", self.stem), tokens).map(drop));
            result = result.and(store.add(&format!("{}:tokens", self.stem), tokens).map(drop));
        }
        self.release(store);
        result
    }

    fn release(&self, store: &dyn Counters) {
        if self.holds_a_slot {
            let _ = store.add(&format!("{}:ended", self.stem), 1);
        }
    }
}

/// The round-robin turn of a route: one shared counter per route, each call takes the next.
pub fn next_turn(store: &dyn Counters, route_model: &str) -> Result<u64, String> {
    store.add(&format!("turn:{route_model}"), 1).map(|n| n.saturating_sub(1))
}

/// Whether a deployment is cooling down at `now_ms` (it failed with a fallback error less than
/// the cool-down ago).
pub fn cooling(store: &dyn Counters, deployment: &str, now_ms: u64) -> Result<bool, String> {
    let until = store.get(&format!("cool:{deployment}"))?;
    Ok(until.and_then(|t| t.parse::<u64>().ok()).is_some_and(|until| until > now_ms))
}

/// Marks a deployment as cooling down until `now_ms + cooldown_ms`.
pub fn cool_down(store: &dyn Counters, deployment: &str, now_ms: u64, cooldown_ms: u64) -> Result<(), String> {
    store.set(&format!("cool:{deployment}"), &(now_ms.saturating_add(cooldown_ms)).to_string())
}

/// An in-memory store, for the tests and for a gateway whose host offers none.
#[derive(Debug, Default)]
pub struct MemoryCounters(std::cell::RefCell<std::collections::BTreeMap<String, String>>);

impl Counters for MemoryCounters {
    fn add(&self, key: &str, delta: u64) -> Result<u64, String> {
        let mut map = self.0.borrow_mut();
        let value = map.get(key).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0).saturating_add(delta);
        map.insert(key.to_owned(), value.to_string());
        Ok(value)
    }
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.0.borrow().get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }
    fn delete(&self, key: &str) -> Result<(), String> {
        self.0.borrow_mut().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rpm: Option<u64>, tpm: Option<u64>, max_concurrent: Option<u64>, token_budget: Option<u64>) -> KeyPolicy {
        KeyPolicy { models: vec![], rpm, tpm, max_concurrent, token_budget }
    }

    const T0: u64 = 1_699_999_990_000; // 10 s into minute 28,333,333

    #[test]
    fn requests_per_minute_in_fixed_windows_with_the_wait_to_the_next() {
        let store = MemoryCounters::default();
        let p = policy(Some(2), None, None, None);
        assert!(admit(&store, "a", &p, T0).is_ok());
        assert!(admit(&store, "a", &p, T0 + 1).is_ok());
        let refused = admit(&store, "a", &p, T0 + 2).unwrap_err();
        assert_eq!(refused, Refused::Over { limit: Limit::Rpm, of: 2, retry_after_ms: Some(49_998) });
        assert!(admit(&store, "b", &p, T0).is_ok(), "another key has its own count");
        assert!(admit(&store, "a", &p, T0 + 50_000).is_ok(), "a new minute");
        assert_eq!(store.get("key:a:rpm:28333333").unwrap(), None, "the minute before is forgotten");
    }

    #[test]
    fn tokens_per_minute_and_the_budget_count_reported_usage() {
        let store = MemoryCounters::default();
        let p = policy(None, Some(100), None, Some(250));
        admit(&store, "a", &p, T0).unwrap().finish(&store, 120, T0).unwrap();
        let refused = admit(&store, "a", &p, T0 + 1).unwrap_err();
        assert!(matches!(refused, Refused::Over { limit: Limit::Tpm, of: 100, .. }), "{refused:?}");
        admit(&store, "a", &p, T0 + 60_000).unwrap().finish(&store, 140, T0 + 60_000).unwrap();
        let refused = admit(&store, "a", &p, T0 + 120_000).unwrap_err();
        assert_eq!(refused, Refused::Over { limit: Limit::Budget, of: 250, retry_after_ms: None });
    }

    #[test]
    fn calls_in_flight_are_started_minus_ended() {
        let store = MemoryCounters::default();
        let p = policy(Some(100), None, Some(2), None);
        let first = admit(&store, "a", &p, T0).unwrap();
        let _second = admit(&store, "a", &p, T0).unwrap();
        let refused = admit(&store, "a", &p, T0).unwrap_err();
        assert!(matches!(refused, Refused::Over { limit: Limit::Concurrent, of: 2, .. }));
        first.finish(&store, 0, T0).unwrap();
        assert!(admit(&store, "a", &p, T0).is_ok(), "a slot came back");
        // A refusal by rpm gives its slot back too.
        let p = policy(Some(0), None, Some(1), None);
        assert!(admit(&store, "c", &p, T0).is_err());
        assert_eq!((store.add("key:c:started", 0), store.add("key:c:ended", 0)), (Ok(1), Ok(1)));
    }

    /// Counters where another gateway instance's whole admission runs between this one's
    /// count-in of `started` and whatever it does next.
    #[derive(Default)]
    struct Racing {
        counters: MemoryCounters,
        other: std::cell::Cell<Option<KeyPolicy>>,
        others_result: std::cell::Cell<Option<bool>>,
    }

    impl Counters for Racing {
        fn add(&self, key: &str, delta: u64) -> Result<u64, String> {
            let value = self.counters.add(key, delta)?;
            if key.ends_with(":started") && delta == 1 {
                if let Some(policy) = self.other.take() {
                    self.others_result.set(Some(admit(self, "a", &policy, T0).is_ok()));
                }
            }
            Ok(value)
        }
        fn get(&self, key: &str) -> Result<Option<String>, String> {
            self.counters.get(key)
        }
        fn set(&self, key: &str, value: &str) -> Result<(), String> {
            self.counters.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), String> {
            self.counters.delete(key)
        }
    }

    #[test]
    fn a_refusal_that_overtakes_a_request_does_not_let_it_in_past_the_limit() {
        let store = Racing::default();
        let p = policy(None, None, Some(1), None);
        let _held = admit(&store, "a", &p, T0).unwrap();
        // The next request counts itself in; a third, admitted meanwhile elsewhere, is refused
        // and counted as ended before the second reads its count.
        store.other.set(Some(p.clone()));
        let second = admit(&store, "a", &p, T0);
        assert_eq!(store.others_result.get(), Some(false), "the third is refused");
        assert!(matches!(second, Err(Refused::Over { limit: Limit::Concurrent, of: 1, .. })), "{second:?}");
    }

    #[test]
    fn turns_and_cool_downs() {
        let store = MemoryCounters::default();
        assert_eq!([next_turn(&store, "m"), next_turn(&store, "m"), next_turn(&store, "n")], [Ok(0), Ok(1), Ok(0)]);
        assert_eq!(cooling(&store, "d", T0), Ok(false));
        cool_down(&store, "d", T0, 30_000).unwrap();
        assert_eq!((cooling(&store, "d", T0 + 29_999), cooling(&store, "d", T0 + 30_000)), (Ok(true), Ok(false)));
    }

    struct Broken;
    impl Counters for Broken {
        fn add(&self, _: &str, _: u64) -> Result<u64, String> {
            Err("connection refused".into())
        }
        fn get(&self, _: &str) -> Result<Option<String>, String> {
            Err("connection refused".into())
        }
        fn set(&self, _: &str, _: &str) -> Result<(), String> {
            Err("connection refused".into())
        }
        fn delete(&self, _: &str) -> Result<(), String> {
            Err("connection refused".into())
        }
    }

    #[test]
    fn a_broken_store_is_a_store_refusal() {
        for p in
            [policy(Some(1), None, None, None), policy(None, Some(1), None, None), policy(None, None, Some(1), None)]
        {
            assert_eq!(admit(&Broken, "a", &p, T0).unwrap_err(), Refused::Store("connection refused".into()));
        }
    }
}
