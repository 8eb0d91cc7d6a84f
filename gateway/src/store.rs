//! The `wasi:keyvalue` glue: the bucket the routes document names, as [`Counters`]. Opened on
//! first use only, so that a gateway without routes or limits never touches the import (a host
//! may provide it without a store behind it, as wasmCloud does until a provider is linked).

use crate::limits::Counters;
use std::cell::OnceCell;

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({ path: "wit", world: "gateway-store", generate_all });
}

use bindings::wasi::keyvalue::{atomics, store};

/// The shared bucket, opened when first used.
pub(crate) struct SharedBucket {
    name: String,
    bucket: OnceCell<Result<store::Bucket, String>>,
}

impl SharedBucket {
    pub(crate) fn new(name: &str) -> Self {
        Self { name: name.to_owned(), bucket: OnceCell::new() }
    }

    fn bucket(&self) -> Result<&store::Bucket, String> {
        self.bucket.get_or_init(|| store::open(&self.name).map_err(describe)).as_ref().map_err(Clone::clone)
    }
}

/// The store's error, for the log: its case and message (a store's own text, never a key of ours).
fn describe(error: store::Error) -> String {
    match error {
        store::Error::NoSuchStore => "no such store".into(),
        store::Error::AccessDenied => "access denied".into(),
        store::Error::Other(message) => message,
    }
}

impl Counters for SharedBucket {
    fn add(&self, key: &str, delta: u64) -> Result<u64, String> {
        atomics::increment(self.bucket()?, key, delta).map_err(describe)
    }
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        let value = self.bucket()?.get(key).map_err(describe)?;
        Ok(value.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.bucket()?.set(key, value.as_bytes()).map_err(describe)
    }
    fn delete(&self, key: &str) -> Result<(), String> {
        self.bucket()?.delete(key).map_err(describe)
    }
}
