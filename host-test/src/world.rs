//! The two worlds a provider component is built for, and the one set of calls the host makes
//! into either: the 0.2 world (`devsper:llm/provider`, a guest call per step, a stream pulled
//! with `next-batch`) and the 0.3 world (`devsper:llm-async/provider`, async functions run in
//! the store's event loop, a stream's events written by the guest to a `stream<stream-event>`).

use crate::contract::bindings::exports::devsper::llm::provider as p2;
use crate::contract::bindings::exports::devsper::llm_async::provider as p3;
use crate::state::TenantState;
use crate::{Config, EmbeddingsRequest, EmbeddingsResponse, ModelInfo, ProviderError, Request, Response, StreamEvent};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};
use wasmtime::component::{FutureConsumer, InstancePre, ResourceAny, Source, StreamConsumer, StreamResult};
use wasmtime::{Store, StoreContextMut};

/// Which WASI world the provider component was built for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum World {
    /// WASI 0.2 (`wit/provider.wit`, [`crate::COMPONENT_PATH`]): every guest call a synchronous
    /// export; what jco, the wasmtime CLI and wasmCloud load.
    #[default]
    P2,
    /// WASI 0.3 (`wit/async/provider.wit`, [`crate::COMPONENT_P3_PATH`]): async exports over
    /// `wasi:http@0.3.0`, a streamed completion on a `stream<stream-event>`. wasmtime 48 marks its
    /// WASI 0.3 support experimental (docs/runtime.md, "WASI 0.3").
    P3,
}

/// The component ready to instantiate, with where its provider's functions are.
#[derive(Clone)]
pub(crate) struct ProviderPre {
    pre: InstancePre<TenantState>,
    indices: Indices,
}

/// Where the provider interface of the component's world is.
#[derive(Clone)]
enum Indices {
    P2(p2::GuestIndices),
    P3(p3::GuestIndices),
}

impl ProviderPre {
    /// Finds the provider interface of `world` in the component; an error when it has none.
    pub(crate) fn new(pre: InstancePre<TenantState>, world: World) -> wasmtime::Result<Self> {
        let indices = match world {
            World::P2 => Indices::P2(p2::GuestIndices::new(&pre)?),
            World::P3 => Indices::P3(p3::GuestIndices::new(&pre)?),
        };
        Ok(Self { pre, indices })
    }

    pub(crate) fn instance_pre(&self) -> &InstancePre<TenantState> {
        &self.pre
    }

    /// A new instance in `store`, and its provider.
    pub(crate) async fn instantiate(&self, store: &mut Store<TenantState>) -> wasmtime::Result<Provider> {
        let instance = self.pre.instantiate_async(&mut *store).await?;
        Ok(match &self.indices {
            Indices::P2(indices) => Provider::P2(indices.load(&mut *store, &instance)?),
            Indices::P3(indices) => Provider::P3(indices.load(&mut *store, &instance)?),
        })
    }
}

/// The provider's functions in one instance.
pub(crate) enum Provider {
    P2(p2::Guest),
    P3(p3::Guest),
}

/// A guest result, or why the guest could not give one (a trap, the memory cap).
type Guest<T> = wasmtime::Result<Result<T, ProviderError>>;

/// Runs an async export of the 0.3 world in the store's event loop, to its return.
macro_rules! concurrently {
    ($store:expr, |$accessor:ident| $call:expr) => {
        $store.run_concurrent(async |$accessor| $call.await).await?
    };
}

impl Provider {
    pub(crate) async fn open(&self, store: &mut Store<TenantState>, config: &Config) -> Guest<ResourceAny> {
        let config = config.to_wit();
        match self {
            Self::P2(p) => p.client().call_open(store, &config).await,
            Self::P3(p) => p.client().call_open(store, &config).await,
        }
    }

    pub(crate) async fn name(&self, store: &mut Store<TenantState>, client: ResourceAny) -> wasmtime::Result<String> {
        match self {
            Self::P2(p) => p.client().call_name(store, client).await,
            Self::P3(p) => p.client().call_name(store, client).await,
        }
    }

    pub(crate) async fn supports_model(
        &self,
        store: &mut Store<TenantState>,
        client: ResourceAny,
        model: &str,
    ) -> wasmtime::Result<bool> {
        match self {
            Self::P2(p) => p.client().call_supports_model(store, client, model).await,
            Self::P3(p) => p.client().call_supports_model(store, client, model).await,
        }
    }

    pub(crate) async fn generate(
        &self,
        store: &mut Store<TenantState>,
        client: ResourceAny,
        request: &Request,
    ) -> Guest<Response> {
        match self {
            Self::P2(p) => p.client().call_generate(store, client, request).await,
            Self::P3(p) => concurrently!(store, |a| p.client().call_generate(a, client, request.clone())),
        }
    }

    pub(crate) async fn embed(
        &self,
        store: &mut Store<TenantState>,
        client: ResourceAny,
        request: &EmbeddingsRequest,
    ) -> Guest<EmbeddingsResponse> {
        match self {
            Self::P2(p) => p.client().call_embed(store, client, request).await,
            Self::P3(p) => concurrently!(store, |a| p.client().call_embed(a, client, request.clone())),
        }
    }

    pub(crate) async fn list_models(
        &self,
        store: &mut Store<TenantState>,
        client: ResourceAny,
    ) -> Guest<Vec<ModelInfo>> {
        match self {
            Self::P2(p) => p.client().call_list_models(store, client).await,
            Self::P3(p) => concurrently!(store, |a| p.client().call_list_models(a, client)),
        }
    }

    /// Opens a streamed completion: the guest's stream, once the endpoint has accepted it.
    pub(crate) async fn stream(
        &self,
        store: &mut Store<TenantState>,
        client: ResourceAny,
        request: &Request,
    ) -> Guest<GuestStream> {
        match self {
            Self::P2(p) => {
                let opened = p.client().call_stream(store, client, request).await?;
                Ok(opened.map(GuestStream::P2))
            }
            Self::P3(p) => {
                store
                    .run_concurrent(async |a| -> Guest<GuestStream> {
                        let (events, end) = match p.client().call_stream(a, client, request.clone()).await? {
                            Ok(opened) => opened,
                            Err(e) => return Ok(Err(e)),
                        };
                        let (sent, received) = mpsc::unbounded_channel();
                        let (ended, end_received) = oneshot::channel();
                        a.with(|mut access| -> wasmtime::Result<()> {
                            events.pipe(&mut access, EventSink(sent))?;
                            end.pipe(&mut access, EndSink(Some(ended)))
                        })?;
                        Ok(Ok(GuestStream::P3 { events: received, end: Some(end_received) }))
                    })
                    .await?
            }
        }
    }
}

/// An open stream in the guest.
pub(crate) enum GuestStream {
    /// The `completion-stream` resource.
    P2(ResourceAny),
    /// The events the guest has written, and how its stream ended (taken once read).
    P3 { events: mpsc::UnboundedReceiver<StreamEvent>, end: Option<oneshot::Receiver<Result<(), ProviderError>>> },
}

impl GuestStream {
    /// The next event and every further one already there, at most `max`; empty after the end.
    pub(crate) async fn next_batch(
        &mut self,
        store: &mut Store<TenantState>,
        provider: &Provider,
        max: u32,
    ) -> Guest<Vec<StreamEvent>> {
        match (self, provider) {
            (Self::P2(handle), Provider::P2(p)) => p.completion_stream().call_next_batch(store, *handle, max).await,
            (Self::P3 { events, end }, Provider::P3(_)) => {
                // The guest runs only while the store's event loop does: until its next write.
                store
                    .run_concurrent(async |_| -> Result<Vec<StreamEvent>, ProviderError> {
                        let Some(first) = events.recv().await else {
                            return match end.take() {
                                Some(end) => end.await.unwrap_or(Ok(())).map(|()| Vec::new()),
                                None => Ok(Vec::new()),
                            };
                        };
                        let mut batch = vec![first];
                        while batch.len() < max.max(1) as usize {
                            match events.try_recv() {
                                Ok(event) => batch.push(event),
                                Err(_) => break,
                            }
                        }
                        Ok(batch)
                    })
                    .await
            }
            _ => Err(wasmtime::format_err!("a stream of one world read through the other's provider")),
        }
    }

    /// Gives the guest's stream back to it (a finished stream in a warm instance).
    pub(crate) async fn drop_in(self, store: &mut Store<TenantState>) -> wasmtime::Result<()> {
        match self {
            Self::P2(handle) => handle.resource_drop_async(store).await,
            // The guest's task has ended with its stream; the receivers go with this value.
            Self::P3 { .. } => Ok(()),
        }
    }
}

/// The host's end of the guest's `stream<stream-event>`: each write's events into a channel.
struct EventSink(mpsc::UnboundedSender<StreamEvent>);

impl<D> StreamConsumer<D> for EventSink {
    type Item = StreamEvent;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        mut store: StoreContextMut<D>,
        mut source: Source<'_, StreamEvent>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        // An unbounded channel, bounded by the guest: it runs, and writes, only while a
        // `next_batch` waits for an event, so the channel holds at most what one wait brought.
        let mut events = Vec::with_capacity(source.remaining(&mut store).max(1));
        source.read(&mut store, &mut events)?;
        for event in events {
            if self.0.send(event).is_err() {
                return Poll::Ready(Ok(StreamResult::Dropped));
            }
        }
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// The host's end of the future that says how the guest's stream ended.
struct EndSink(Option<oneshot::Sender<Result<(), ProviderError>>>);

impl<D> FutureConsumer<D> for EndSink {
    type Item = Result<(), ProviderError>;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        mut store: StoreContextMut<D>,
        mut source: Source<'_, Self::Item>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let mut end = None;
        source.read(&mut store, &mut end)?;
        if let (Some(end), Some(sender)) = (end, self.0.take()) {
            let _ = sender.send(end);
        }
        Poll::Ready(Ok(()))
    }
}
