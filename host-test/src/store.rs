//! The store a host keeps shared counts in: its tenants' quotas ([`crate::Quota`]) and, for a
//! served gateway, its limits, cool-downs and turns (`wasi:keyvalue`, `GatewayServer`). The
//! in-process [`MemoryStore`] for one machine, `RedisStore` (feature `serve`) for several, or a
//! platform's own database behind [`SharedStore`].

use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;
#[cfg(feature = "serve")]
use std::time::Duration;

/// A store's failure (a served guest sees it as `error::other` with this text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key-value store shared by the instances of a host (and, for a networked one, by hosts).
/// Implement it to keep quotas and the gateway's shared state in the platform's own database.
pub trait SharedStore: Send + Sync + std::fmt::Debug + 'static {
    /// The value of `key` in `bucket`.
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>>;
    /// Sets `key` in `bucket` to `value`.
    fn set<'a>(&'a self, bucket: &'a str, key: &'a str, value: Vec<u8>) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Removes `key` from `bucket`.
    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Adds `delta` to the decimal number at `key` (missing: 0) in one atomic step and returns
    /// the new number.
    fn increment<'a>(&'a self, bucket: &'a str, key: &'a str, delta: u64) -> BoxFuture<'a, Result<u64, StoreError>>;
}

/// The store inside this process: shared by every instance the host serves, gone with the
/// process. Counters are kept as decimal text, as Redis keeps them.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<HashMap<String, Vec<u8>>>);

impl MemoryStore {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        // A panic elsewhere cannot leave a half-written map: every operation is one statement.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn full_key(bucket: &str, key: &str) -> String {
    format!("{bucket}:{key}")
}

fn number(bytes: &[u8]) -> Result<u64, StoreError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .ok_or_else(|| StoreError("the value is not a number".into()))
}

impl SharedStore for MemoryStore {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        let value = self.map().get(&full_key(bucket, key)).cloned();
        Box::pin(async move { Ok(value) })
    }
    fn set<'a>(&'a self, bucket: &'a str, key: &'a str, value: Vec<u8>) -> BoxFuture<'a, Result<(), StoreError>> {
        self.map().insert(full_key(bucket, key), value);
        Box::pin(async { Ok(()) })
    }
    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.map().remove(&full_key(bucket, key));
        Box::pin(async { Ok(()) })
    }
    fn increment<'a>(&'a self, bucket: &'a str, key: &'a str, delta: u64) -> BoxFuture<'a, Result<u64, StoreError>> {
        let result = (|| {
            let mut map = self.map();
            let slot = map.entry(full_key(bucket, key)).or_insert_with(|| b"0".to_vec());
            let value = number(slot)?.checked_add(delta).ok_or_else(|| StoreError("the counter overflows".into()))?;
            *slot = value.to_string().into_bytes();
            Ok(value)
        })();
        Box::pin(async move { result })
    }
}

/// A Redis (or Valkey) server shared by several hosts: `GET`, `SET`, `DEL` and `INCRBY` on
/// `bucket:key`, through one multiplexed connection that reconnects by itself. Every command is
/// bounded by the timeout given to [`RedisStore::connect`].
#[cfg(feature = "serve")]
#[derive(Clone)]
pub struct RedisStore {
    connection: redis::aio::ConnectionManager,
}

#[cfg(feature = "serve")]
impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: it is not kept.
        f.write_str("RedisStore")
    }
}

#[cfg(feature = "serve")]
impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`); `timeout` bounds the connection and every
    /// command. A server that is down now is an error here; one that goes down later makes each
    /// command an error until it is back.
    pub async fn connect(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        // The URL's password is never shown: only the failure's kind.
        let client =
            redis::Client::open(url).map_err(|e| anyhow::anyhow!("the Redis URL is invalid: {:?}", e.kind()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let connection = tokio::time::timeout(timeout, redis::aio::ConnectionManager::new_with_config(client, config))
            .await
            .map_err(|_| anyhow::anyhow!("Redis did not answer within {timeout:?}"))?
            .map_err(|e| anyhow::anyhow!("Redis refused the connection: {:?}", e.kind()))?;
        Ok(Self { connection })
    }

    async fn run<T: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        command.query_async(&mut connection).await.map_err(|e| StoreError(format!("redis: {:?}", e.kind())))
    }
}

#[cfg(feature = "serve")]
impl SharedStore for RedisStore {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(self.run(redis::cmd("GET").arg(full_key(bucket, key)).to_owned()))
    }
    fn set<'a>(&'a self, bucket: &'a str, key: &'a str, value: Vec<u8>) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.run(redis::cmd("SET").arg(full_key(bucket, key)).arg(value).to_owned()))
    }
    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let _: i64 = self.run(redis::cmd("DEL").arg(full_key(bucket, key)).to_owned()).await?;
            Ok(())
        })
    }
    fn increment<'a>(&'a self, bucket: &'a str, key: &'a str, delta: u64) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(async move {
            let delta = i64::try_from(delta).map_err(|_| StoreError("the delta is too large".into()))?;
            let value: i64 = self.run(redis::cmd("INCRBY").arg(full_key(bucket, key)).arg(delta).to_owned()).await?;
            u64::try_from(value).map_err(|_| StoreError("the counter is negative".into()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn the_memory_store_counts_atomically_in_decimal() {
        let store = Arc::new(MemoryStore::default());
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.increment("b", "n", 1).await.unwrap() })
            })
            .collect();
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap());
        }
        seen.sort();
        assert_eq!(seen, (1..=32).collect::<Vec<u64>>(), "every increment saw its own value");
        assert_eq!(store.get("b", "n").await.unwrap(), Some(b"32".to_vec()));
        assert_eq!(store.get("other", "n").await.unwrap(), None, "buckets are apart");
        store.set("b", "t", b"x".to_vec()).await.unwrap();
        assert!(store.increment("b", "t", 1).await.is_err(), "not a number");
        store.delete("b", "n").await.unwrap();
        assert_eq!(store.increment("b", "n", 0).await.unwrap(), 0);
    }
}
