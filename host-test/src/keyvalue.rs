//! `wasi:keyvalue@0.2.0-draft` (`store` and `atomics`) for the components a host serves, over a
//! [`SharedStore`] ([`crate::store`]). The gateway keeps its limits' counters and its deployments' turns and cool-downs
//! there (docs/gateway.md, "Routes and limits").
//!
//! A bucket is a name inside the store; a key of bucket `b` is `b:key` in Redis. Every operation
//! is bounded by the store's own timeout, so that a store that stops answering is an error for
//! the guest (`error::other`), never a wait.

use crate::store::{SharedStore, StoreError};
use std::sync::Arc;
use wasmtime::component::{HasData, Resource, ResourceTable};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../gateway/wit",
        world: "litellm:gateway-store/gateway-store",
        imports: { default: async | trappable },
        with: { "wasi:keyvalue/store.bucket": super::BucketName },
    });
}

use bindings::wasi::keyvalue::{atomics, store};

/// What a guest's bucket handle holds: the bucket's name.
pub struct BucketName(String);

/// What the keyvalue functions of one store see: its resource table and the shared store.
pub(crate) struct KeyValue<'a> {
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) store: &'a Arc<dyn SharedStore>,
}

/// Marks [`KeyValue`] as the data the keyvalue bindings run on.
pub(crate) struct KeyValueData;

impl HasData for KeyValueData {
    type Data<'a> = KeyValue<'a>;
}

/// Adds `wasi:keyvalue/store` and `atomics` to `linker`, over what `view` gives.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    view: fn(&mut T) -> KeyValue<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, KeyValueData>(linker, view)?;
    atomics::add_to_linker::<T, KeyValueData>(linker, view)
}

fn other(error: StoreError) -> store::Error {
    store::Error::Other(error.0)
}

impl store::Host for KeyValue<'_> {
    async fn open(&mut self, identifier: String) -> wasmtime::Result<Result<Resource<BucketName>, store::Error>> {
        Ok(Ok(self.table.push(BucketName(identifier))?))
    }
}

impl KeyValue<'_> {
    fn bucket(&self, bucket: &Resource<BucketName>) -> wasmtime::Result<String> {
        Ok(self.table.get(bucket)?.0.clone())
    }
}

impl store::HostBucket for KeyValue<'_> {
    async fn get(
        &mut self,
        bucket: Resource<BucketName>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::Error>> {
        let name = self.bucket(&bucket)?;
        Ok(self.store.get(&name, &key).await.map_err(other))
    }

    async fn set(
        &mut self,
        bucket: Resource<BucketName>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let name = self.bucket(&bucket)?;
        Ok(self.store.set(&name, &key, value).await.map_err(other))
    }

    async fn delete(
        &mut self,
        bucket: Resource<BucketName>,
        key: String,
    ) -> wasmtime::Result<Result<(), store::Error>> {
        let name = self.bucket(&bucket)?;
        Ok(self.store.delete(&name, &key).await.map_err(other))
    }

    async fn exists(
        &mut self,
        bucket: Resource<BucketName>,
        key: String,
    ) -> wasmtime::Result<Result<bool, store::Error>> {
        let name = self.bucket(&bucket)?;
        Ok(self.store.get(&name, &key).await.map(|v| v.is_some()).map_err(other))
    }

    async fn list_keys(
        &mut self,
        _bucket: Resource<BucketName>,
        _cursor: Option<u64>,
    ) -> wasmtime::Result<Result<store::KeyResponse, store::Error>> {
        // Listing a shared store's keys would show one tenant's keys to another: not offered.
        Ok(Err(store::Error::AccessDenied))
    }

    async fn drop(&mut self, bucket: Resource<BucketName>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl atomics::Host for KeyValue<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<BucketName>,
        key: String,
        delta: u64,
    ) -> wasmtime::Result<Result<u64, store::Error>> {
        let name = self.bucket(&bucket)?;
        Ok(self.store.increment(&name, &key, delta).await.map_err(other))
    }
}
