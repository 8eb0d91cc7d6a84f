//! `litellm-host`: chat, embed or list models through the sandboxed component, serve the
//! composed gateway, or run the mock endpoint.

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use litellm_host::{
    CaBundle, CallError, Config, EmbeddingsRequest, Host, HostOptions, Profile, ReasoningEffort, Request, StreamEvent,
    Tenant, TlsRoots, TokenLimitField, World,
};
use litellm_mock::MockServer;
use std::io::Write;

mod output;
mod serve;
use output as json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "litellm-host", version, about = "Runs the litellm-provider component in a wasmtime sandbox")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sends one chat message through the component and prints the answer.
    Chat(ChatArgs),
    /// Prints the embedding of each text, one JSON list per line.
    Embed {
        #[command(flatten)]
        endpoint: EndpointArgs,
        /// The embedding model; the `litellm:` prefix is stripped on the wire.
        #[arg(long, default_value = "litellm:text-embedding-3-small")]
        model: String,
        /// The size of each vector, where the model supports it.
        #[arg(long)]
        dimensions: Option<u32>,
        /// The texts to embed.
        #[arg(required = true)]
        texts: Vec<String>,
    },
    /// Lists the models the endpoint offers, one id per line.
    Models {
        #[command(flatten)]
        endpoint: EndpointArgs,
    },
    /// Serves the composed gateway over HTTP, each request in a fresh sandbox, with a shared
    /// store for its limits and routes (docs/gateway.md, "Routes and limits").
    ServeGateway(serve::ServeArgs),
    /// Runs the mock OpenAI-compatible endpoint until Ctrl-C.
    Mock {
        /// The port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
}

/// A flag whose values are the cases of one of the contract's enums, by their contract names.
macro_rules! contract_values {
    ($ty:ident) => {
        PossibleValuesParser::new($ty::ALL.iter().map(|case| case.name()))
            .map(|name| $ty::from_name(&name).expect("clap admits the contract's names only"))
    };
}

#[derive(Args)]
struct EndpointArgs {
    /// The endpoint; without it (and without LITELLM_BASE_URL) the embedded mock answers.
    #[arg(long, env = "LITELLM_BASE_URL")]
    base_url: Option<String>,
    /// The API key, sent (as the profile says) when not empty.
    #[arg(long, env = "LITELLM_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// The server flavour (the component's default: `litellm`).
    #[arg(long, env = "LITELLM_PROFILE", value_parser = contract_values!(Profile))]
    profile: Option<Profile>,
    /// Also trust the certificate authorities in this PEM file (repeatable); `SSL_CERT_FILE`'s
    /// bundle is trusted too when it is set.
    #[arg(long = "ca-cert", value_name = "PATH")]
    ca_certs: Vec<PathBuf>,
    /// Also trust the operating system's certificate store.
    #[arg(long)]
    system_roots: bool,
    /// Sends the call's OpenTelemetry GenAI metrics (docs/embedding.md, "Quotas and metrics")
    /// to this OTLP/HTTP endpoint (`http://HOST:4318/v1/metrics`) before exiting.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// Runs the WASI 0.3 build of the component (async exports over `wasi:http@0.3.0`) instead
    /// of the WASI 0.2 one.
    #[arg(long)]
    wasi_p3: bool,
}

/// The host, a tenant allowed to reach the endpoint, its config, and the embedded mock if used.
struct Session {
    host: Host,
    tenant: Tenant,
    config: Config,
    _mock: Option<MockServer>,
    _metrics: Option<Exporting>,
}

/// The metrics' exporter, which sends what was recorded when the session ends.
struct Exporting(opentelemetry_sdk::metrics::SdkMeterProvider);

impl Drop for Exporting {
    fn drop(&mut self) {
        if let Err(e) = self.0.shutdown() {
            eprintln!("error: the metrics were not sent: {e}");
        }
    }
}

impl EndpointArgs {
    async fn session(self) -> anyhow::Result<Session> {
        let (base_url, mock) = match self.base_url.filter(|u| !u.is_empty()) {
            Some(url) => (url, None),
            None => {
                let mock = MockServer::start().await?;
                eprintln!("no --base-url or LITELLM_BASE_URL: using the embedded mock at {}", mock.base_url());
                (mock.base_url(), Some(mock))
            }
        };
        let mut tls = TlsRoots::from_env()?;
        tls.system = self.system_roots;
        for path in &self.ca_certs {
            tls = tls.with(&CaBundle::from_pem_file(path)?);
        }
        let world = if self.wasi_p3 { World::P3 } else { World::P2 };
        let mut options = HostOptions::default().tls(tls).world(world);
        let metrics = match self.otlp_endpoint.filter(|url| !url.is_empty()) {
            Some(url) => {
                let provider =
                    litellm_host::otlp::meter_provider(&url, std::time::Duration::from_secs(60), "litellm-host")?;
                options = options.meter(litellm_host::otlp::meter(&provider));
                Some(Exporting(provider))
            }
            None => None,
        };
        let host = Host::with_options(options).context("loading the component")?;
        let tenant = Tenant::new("cli").allow_origin(&base_url);
        let mut config = Config::for_url(base_url);
        if let Some(profile) = self.profile {
            config = config.profile(profile);
        }
        if let Some(key) = self.api_key {
            config = config.api_key(key);
        }
        Ok(Session { host, tenant, config, _mock: mock, _metrics: metrics })
    }
}

fn failed(e: CallError) -> anyhow::Result<ExitCode> {
    // The error holds the endpoint's message: shown escaped like any endpoint text.
    eprintln!("error: {}", json::shown(&e.to_string()));
    Ok(ExitCode::FAILURE)
}

#[derive(Parser)]
struct ChatArgs {
    #[command(flatten)]
    endpoint: EndpointArgs,
    /// The model; the `litellm:` prefix is stripped on the wire.
    #[arg(long, default_value = "litellm:gpt-4o-mini")]
    model: String,
    /// A system prompt.
    #[arg(long)]
    system: Option<String>,
    /// The most tokens to generate (reasoning included).
    #[arg(long)]
    max_tokens: Option<u32>,
    /// The body field of `--max-tokens`; default: the profile's (`max-completion-tokens` on
    /// openai and azure, `max-tokens` elsewhere).
    #[arg(long, value_parser = contract_values!(TokenLimitField))]
    max_tokens_field: Option<TokenLimitField>,
    /// How much a reasoning model should think.
    #[arg(long, value_parser = contract_values!(ReasoningEffort))]
    reasoning_effort: Option<ReasoningEffort>,
    /// Sampling temperature, 0 to 2.
    #[arg(long)]
    temperature: Option<f32>,
    /// Prints text as it arrives.
    #[arg(long)]
    stream: bool,
    /// Prints the whole response (or each stream event) as JSON.
    #[arg(long)]
    json: bool,
    /// Prints the reasoning, the stop reason, the usage and the model on stderr.
    #[arg(long, short)]
    verbose: bool,
    /// The message to send.
    prompt: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Mock { port } => {
            let mock = MockServer::start_on(port).await?;
            eprintln!("mock OpenAI-compatible endpoint on {} (Ctrl-C stops it)", mock.base_url());
            mock.run_until_ctrl_c().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat(args) => chat(args).await,
        Command::ServeGateway(args) => serve::serve(args).await,
        Command::Embed { endpoint, model, dimensions, texts } => {
            let session = endpoint.session().await?;
            let request = EmbeddingsRequest { model, inputs: texts, dimensions, user: None };
            let answer = match session.host.embed(&session.tenant, session.config, request).await {
                Ok(answer) => answer,
                Err(e) => return failed(e),
            };
            for vector in &answer.embeddings {
                println!("{}", serde_json::to_string(vector)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Models { endpoint } => {
            let session = endpoint.session().await?;
            match session.host.list_models(&session.tenant, session.config).await {
                Ok(models) => models.iter().for_each(|m| println!("{}", json::shown(&m.id))),
                Err(e) => return failed(e),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn chat(args: ChatArgs) -> anyhow::Result<ExitCode> {
    let Session { host, tenant, config, _mock, _metrics } = args.endpoint.session().await?;
    let mut request = Request::user(args.model, args.prompt);
    request.system = args.system;
    request.max_tokens = args.max_tokens;
    request.max_tokens_field = args.max_tokens_field;
    request.reasoning_effort = args.reasoning_effort;
    request.temperature = args.temperature;

    if args.stream {
        let mut stream = match host.stream(&tenant, config, request).await {
            Ok(s) => s,
            Err(e) => return failed(e),
        };
        let mut refusing = false;
        let mut out = std::io::stdout().lock();
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) if args.json => writeln!(out, "{}", serde_json::to_string(&json::event(&event))?)?,
                Ok(StreamEvent::Text(t)) => write!(out, "{}", json::shown(&t))?,
                Ok(StreamEvent::ToolCall(call)) => writeln!(out, "{}", json::tool_call_line(&call))?,
                Ok(StreamEvent::Refusal(text)) => {
                    // A refusal streams in pieces: the label once, before the first.
                    if !refusing {
                        write!(out, "refusal: ")?;
                        refusing = true;
                    }
                    write!(out, "{}", json::shown(&text))?
                }
                // The model's reasoning, with `--verbose`, on stderr beside the answer.
                Ok(StreamEvent::Reasoning(text)) if args.verbose => eprint!("{}", json::shown(&text)),
                Ok(StreamEvent::Finish(end)) => {
                    writeln!(out)?;
                    if args.verbose {
                        eprintln!("{}", json::summary_line(end.stop_reason, end.usage, &end.model));
                    }
                }
                Ok(_) => {}
                Err(e) => return failed(e),
            }
            out.flush()?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    match host.generate(&tenant, config, request).await {
        Ok(answer) if args.json => println!("{}", serde_json::to_string_pretty(&json::response(&answer))?),
        Ok(answer) => {
            if let Some(refusal) = &answer.refusal {
                println!("refusal: {}", json::shown(refusal));
            }
            if !answer.content.is_empty() || (answer.tool_calls.is_empty() && answer.refusal.is_none()) {
                println!("{}", json::shown(&answer.content));
            }
            answer.tool_calls.iter().for_each(|call| println!("{}", json::tool_call_line(call)));
            if let Some(reasoning) = answer.reasoning.as_deref().filter(|_| args.verbose) {
                eprintln!("reasoning: {}", json::shown(reasoning));
            }
            if args.verbose {
                eprintln!("{}", json::summary_line(answer.stop_reason, answer.usage, &answer.model));
            }
        }
        Err(e) => return failed(e),
    }
    Ok(ExitCode::SUCCESS)
}
