//! The one place that tells a native caller from a component caller: every measurement makes its
//! calls through a [`Caller`], whatever the [`Variant`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use litellm_host::{CaBundle, Config, EventStream, Host, StreamEvent, Tenant, WarmClient};
use litellm_provider::domain::{Profile, StreamEvent as NativeEvent};

use crate::native::{NativeClient, NativeStream};
pub use crate::options::{bench_quota, component_file, default_options, metered_options, pooling_options};
pub use crate::variant::Variant;
use crate::workload::{component_request, native_request};

/// A tenant allowed the mock only.
pub fn tenant_for(name: &str, base_url: &str) -> Tenant {
    Tenant::new(name).allow_origin(base_url)
}

/// The contract's config pointing at the mock.
pub fn config_for(base_url: &str) -> Config {
    Config::for_url(base_url)
}

/// Who makes a call against the mock: a native client, or a tenant of a component host.
/// Cheap to clone; clones share the client or the host and tenant.
#[derive(Clone)]
pub struct Caller {
    base_url: Arc<str>,
    side: Side,
}

#[derive(Clone)]
enum Side {
    Native(NativeClient),
    Component(Box<Component>),
}

#[derive(Clone)]
struct Component {
    host: Arc<Host>,
    tenant: Tenant,
    config: Config,
    /// For the warm variants: the tenant's warm client.
    warm: Option<WarmClient>,
    /// For HTTPS: the CA the tenant trusts.
    ca: Option<CaBundle>,
}

impl Caller {
    /// The first caller of `variant` against the mock at `base_url`: a new client, or a new host
    /// (the component compiled, or loaded from `cache_dir`) with the tenant `tenant`.
    pub fn start(variant: Variant, base_url: &str, tenant: &str, cache_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        ensure!(!variant.https(), "an HTTPS caller needs its CA: use Caller::native / Caller::component");
        match variant.host_options() {
            None => Self::native(base_url, None),
            Some(options) if variant == Variant::Metered => {
                let host = Host::with_options(match cache_dir {
                    Some(dir) => options.cache_dir(dir),
                    None => options,
                })?;
                Ok(Self::metered(Arc::new(host), tenant, base_url))
            }
            Some(options) if variant == Variant::Floor => {
                let host = Host::with_options(match cache_dir {
                    Some(dir) => options.cache_dir(dir),
                    None => options,
                })?;
                Self::floor(Arc::new(host), tenant, base_url)
            }
            Some(options) => {
                let host = Host::with_options(match cache_dir {
                    Some(dir) => options.cache_dir(dir),
                    None => options,
                })?;
                Ok(Self::component(Arc::new(host), tenant, base_url, variant.warm(), None))
            }
        }
    }

    /// A native caller with a client of its own (trusting `ca_pem` for HTTPS).
    pub fn native(base_url: &str, ca_pem: Option<&str>) -> anyhow::Result<Self> {
        Ok(Self { base_url: base_url.into(), side: Side::Native(NativeClient::new(base_url, "", ca_pem)?) })
    }

    /// The tenant `tenant` of `host` (through a warm client of its own when `warm`; trusting `ca`).
    pub fn component(host: Arc<Host>, tenant: &str, base_url: &str, warm: bool, ca: Option<CaBundle>) -> Self {
        Self::component_for(host, tenant_for(tenant, base_url), base_url, warm, ca)
    }

    /// The metered variant's caller: a warm client of `host` (made with [`metered_options`]) for
    /// a tenant under [`bench_quota`].
    pub fn metered(host: Arc<Host>, tenant: &str, base_url: &str) -> Self {
        let tenant = tenant_for(tenant, base_url).quota(bench_quota());
        Self::component_for(host, tenant, base_url, true, None)
    }

    /// The WASI HTTP floor's caller (warm, on a host that loaded the floor): its tenant gives
    /// the floor the provider's own path and body for a 1 KiB answer, which it sends every time.
    pub fn floor(host: Arc<Host>, tenant: &str, base_url: &str) -> anyhow::Result<Self> {
        let body = litellm_provider::request::chat_body(&native_request(crate::MODEL_1KB), false, Profile::Litellm)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let tenant = tenant_for(tenant, base_url)
            .env("LITELLM_FLOOR_PATH", crate::native::CHAT_PATH)
            .env("LITELLM_FLOOR_BODY", String::from_utf8(body)?);
        Ok(Self::component_for(host, tenant, base_url, true, None))
    }

    fn component_for(host: Arc<Host>, mut tenant: Tenant, base_url: &str, warm: bool, ca: Option<CaBundle>) -> Self {
        if let Some(ca) = &ca {
            tenant = tenant.trust(ca);
        }
        let config = config_for(base_url);
        let warm = warm.then(|| host.warm(&tenant, config.clone()));
        let component = Component { host, tenant, config, warm, ca };
        Self { base_url: base_url.into(), side: Side::Component(Box::new(component)) }
    }

    /// A caller with connections of its own: a new client, or a new tenant on the same host (the
    /// host keeps a connection pool per tenant).
    pub fn fresh(&self, tenant: &str) -> anyhow::Result<Self> {
        match &self.side {
            Side::Native(client) => Ok(Self { base_url: self.base_url.clone(), side: Side::Native(client.fresh()?) }),
            Side::Component(c) => Ok(self.other_tenant(c, tenant)),
        }
    }

    /// Another tenant on the same host; natively, where there are no tenants, the same client and
    /// its connection pool, as a native user would share it.
    pub fn with_tenant(&self, tenant: &str) -> Self {
        match &self.side {
            Side::Native(_) => self.clone(),
            Side::Component(c) => self.other_tenant(c, tenant),
        }
    }

    fn other_tenant(&self, c: &Component, tenant: &str) -> Self {
        Self::component(c.host.clone(), tenant, &self.base_url, c.warm.is_some(), c.ca.clone())
    }

    /// The host of a component caller, and its base URL.
    pub fn host(&self) -> Option<(&Arc<Host>, &str)> {
        match &self.side {
            Side::Native(_) => None,
            Side::Component(c) => Some((&c.host, &self.base_url)),
        }
    }

    /// One chat completion; its content.
    pub async fn generate(&self, model: &str) -> anyhow::Result<String> {
        Ok(match &self.side {
            Side::Native(client) => client.generate(&native_request(model)).await?.content,
            Side::Component(c) => match &c.warm {
                Some(warm) => warm.generate(component_request(model)).await?.content,
                None => c.host.generate(&c.tenant, c.config.clone(), component_request(model)).await?.content,
            },
        })
    }

    /// A fresh instance and nothing else; natively there is nothing to do, so it is an error.
    pub async fn instantiate(&self) -> anyhow::Result<()> {
        match &self.side {
            Side::Native(_) => bail!("nothing to instantiate natively"),
            Side::Component(c) => Ok(c.host.instantiate(&c.tenant).await?),
        }
    }

    /// One chat completion as a stream.
    pub async fn stream(&self, model: &str) -> anyhow::Result<CallerStream> {
        Ok(match &self.side {
            Side::Native(client) => CallerStream::Native(Box::new(client.stream(&native_request(model)).await?)),
            Side::Component(c) => {
                let stream = match &c.warm {
                    Some(warm) => warm.stream(component_request(model)).await?,
                    None => c.host.stream(&c.tenant, c.config.clone(), component_request(model)).await?,
                };
                CallerStream::Component(Box::new(stream))
            }
        })
    }

    /// A stream of `model` read to its end, which must bring `texts` text events.
    pub async fn timed_stream(&self, model: &str, texts: usize) -> anyhow::Result<StreamTimes> {
        let started = Instant::now();
        let mut stream = self.stream(model).await?;
        // The times are taken as the events arrive, before the stream (and its instance) is
        // dropped: the drop is no part of what a reader waits for.
        let (mut first, mut seen) = (None, 0);
        let last = loop {
            let event = stream.next().await.context("the stream ended early")??;
            first.get_or_insert_with(|| started.elapsed());
            if event.is_text() {
                seen += 1;
            } else if event.is_finish() {
                break started.elapsed();
            }
        };
        ensure!(seen == texts, "{seen} text events, not {texts}");
        Ok(StreamTimes { first: first.unwrap_or(last), last })
    }
}

/// When a stream's first and last (`Finish`) events arrived, from the start of the call.
#[derive(Debug, Clone, Copy)]
pub struct StreamTimes {
    pub first: Duration,
    pub last: Duration,
}

/// A stream from either side. Both sides are boxed alike, so that a held stream costs each side
/// its own size (the memory probe holds hundreds), not the larger side's.
pub enum CallerStream {
    Native(Box<NativeStream>),
    Component(Box<EventStream>),
}

impl CallerStream {
    /// The next event; `None` after the `Finish` event or an error.
    pub async fn next(&mut self) -> Option<anyhow::Result<Event>> {
        match self {
            CallerStream::Native(stream) => stream.next().await.map(|r| r.map(Event::Native)),
            CallerStream::Component(stream) => stream.next().await.map(|r| r.map(Event::Component).map_err(Into::into)),
        }
    }
}

/// An event from either side, as it came (no conversion inside the timed loop).
#[derive(Debug)]
pub enum Event {
    Native(NativeEvent),
    Component(StreamEvent),
}

impl Event {
    /// A content delta.
    pub fn is_text(&self) -> bool {
        matches!(self, Event::Native(NativeEvent::Text(_)) | Event::Component(StreamEvent::Text(_)))
    }

    /// The end of the answer.
    pub fn is_finish(&self) -> bool {
        matches!(self, Event::Native(NativeEvent::Finish { .. }) | Event::Component(StreamEvent::Finish(_)))
    }
}
