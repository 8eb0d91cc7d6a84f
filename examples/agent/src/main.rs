//! `litellm-agent`: a small agent as a WebAssembly command component.
//!
//! It imports `devsper:llm/provider@0.3.0` (the contract of the root `wit/`, through the
//! `litellm-client` crate) and exports
//! `wasi:cli/run` (its `main`). Alone it cannot run: `litellm-compose` plugs the
//! `litellm-provider` component into its import with wac, and the composition imports only
//! standard WASI 0.2. The agent opens a client with an empty configuration, so the provider takes
//! its endpoint and key from the environment (`LITELLM_BASE_URL`, `LITELLM_API_KEY`), then:
//!
//! 1. chats (`generate`),
//! 2. streams (`stream`, then `next-batch` until the finish event),
//! 3. asks a question with a `get_weather` tool; when the answer is a tool call, it runs the tool
//!    itself, sends the result back and prints the final answer.
//!
//! It prints one line per step (`STEP: TEXT`), so that a person and a test can follow it, and on
//! the first failure `error: STEP: …` and exits with status 1.
//!
//! Environment, besides the provider's own: `AGENT_MODEL` (default `litellm:gpt-4o`), the model of
//! the chat, the stream and the tool result's turn; `AGENT_TOOL_MODEL` (default
//! `litellm:mock/tool-call`), the model asked with the tool. They are two because the mock answers
//! `mock/tool-call` with a tool call every time; against a real model set both to the same name.
//! The first argument, if any, is the chat prompt.

use litellm_client::{Client, Config, Error, Message, Request, Response, Role, StreamEvent, ToolCall, ToolDef};
use std::process::ExitCode;

/// The default model of the chat, the stream and the turn that carries the tool result.
const DEFAULT_MODEL: &str = "litellm:gpt-4o";
/// The default model asked with the tool (the mock's scenario that always calls it).
const DEFAULT_TOOL_MODEL: &str = "litellm:mock/tool-call";
/// The chat prompt when no argument is given.
const DEFAULT_PROMPT: &str = "Hello from the agent";
/// The stream's prompt.
const STREAM_PROMPT: &str = "Streaming from the agent";
/// The question asked with the tool.
const TOOL_PROMPT: &str = "What is the weather in Paris?";
/// The most events one `next-batch` crossing may bring back.
const BATCH: u32 = 16;
/// The most tool rounds before the agent gives up: a model that keeps calling tools must not
/// keep the agent (and the endpoint) busy for ever.
const MAX_TOOL_ROUNDS: usize = 4;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            println!("error: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// A failed step, as printed: `STEP: what went wrong`.
type Failure = String;

fn run() -> Result<(), Failure> {
    let model = env_or("AGENT_MODEL", DEFAULT_MODEL);
    let tool_model = env_or("AGENT_TOOL_MODEL", DEFAULT_TOOL_MODEL);
    let prompt = std::env::args().nth(1).unwrap_or_else(|| DEFAULT_PROMPT.to_owned());

    // Every field `none`: the provider reads LITELLM_BASE_URL and LITELLM_API_KEY from its WASI
    // environment, which the composition shares with the agent.
    let client = Client::open(&Config::default()).map_err(|e| fail("open", &e))?;
    println!("open: {} (supports {model}: {})", client.name(), client.supports_model(&model));

    let answer = client.generate(&request(&model, vec![user(&prompt)], vec![])).map_err(|e| fail("chat", &e))?;
    println!("chat: {}", answer.content);
    println!("chat-meta: model {}, stop {}, {}", answer.model, answer.stop_reason.name(), usage_text(&answer));

    stream(&client, &model)?;
    tools(&client, &model, &tool_model)
}

/// Step 2: one streamed completion, read with `next-batch` until the finish event.
fn stream(client: &Client, model: &str) -> Result<(), Failure> {
    let stream = client.stream(&request(model, vec![user(STREAM_PROMPT)], vec![])).map_err(|e| fail("stream", &e))?;
    let (mut text, mut events, mut reads, mut finish) = (String::new(), 0usize, 0usize, None);
    loop {
        let batch = stream.next_batch(BATCH).map_err(|e| fail("stream", &e))?;
        if batch.is_empty() {
            break;
        }
        reads += 1;
        for event in batch {
            events += 1;
            match event {
                StreamEvent::Text(piece) => text.push_str(&piece),
                StreamEvent::Finish(end) => finish = Some(end.stop_reason.name()),
                // Reasoning, refusals and tool calls are not part of this step's answer.
                StreamEvent::Reasoning(_) | StreamEvent::Refusal(_) | StreamEvent::ToolCall(_) => {}
            }
        }
    }
    println!("stream: {text}");
    let finish = finish.ok_or_else(|| "stream: the stream ended without a finish event".to_owned())?;
    println!("stream-meta: {events} events in {reads} reads, stop {finish}");
    Ok(())
}

/// Step 3: a question with the `get_weather` tool; each tool call is answered here and sent
/// back, until the model answers in text.
fn tools(client: &Client, model: &str, tool_model: &str) -> Result<(), Failure> {
    let mut messages = vec![user(TOOL_PROMPT)];
    let mut ask_model = tool_model;
    for _ in 0..MAX_TOOL_ROUNDS {
        let answer = client
            .generate(&request(ask_model, messages.clone(), vec![weather_tool()]))
            .map_err(|e| fail("tool", &e))?;
        if answer.tool_calls.is_empty() {
            println!("final: {}", answer.content);
            return Ok(());
        }
        // The turn goes back whole, reasoning included: a thinking model (DeepSeek, Kimi) rejects
        // a tool-calling turn without it.
        messages.push(Message::from_answer(&answer));
        for call in &answer.tool_calls {
            println!("tool-call: {} {} {}", call.name, call.id, call.arguments);
            let result = run_tool(call);
            println!("tool-result: {} {result}", call.id);
            messages.push(Message { tool_call_id: Some(call.id.clone()), ..Message::text(Role::Tool, result) });
        }
        // The result goes back to the agent's model (see the module docs for why two).
        ask_model = model;
    }
    Err(format!("tool: still calling tools after {MAX_TOOL_ROUNDS} rounds"))
}

/// The `get_weather` tool as the model sees it.
fn weather_tool() -> ToolDef {
    let parameters = r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;
    ToolDef {
        description: Some("The current weather in a city".into()),
        ..ToolDef::function("get_weather", parameters)
    }
}

/// Runs a tool call here and returns its result as JSON text. The weather is made up (the agent
/// has no weather service): a fixed forecast for the city asked. An unknown tool or unreadable
/// arguments give an error object, which the model reads like any result.
fn run_tool(call: &ToolCall) -> String {
    if call.name != "get_weather" {
        return serde_json::json!({"error": format!("no tool named {}", call.name)}).to_string();
    }
    let arguments: serde_json::Value = serde_json::from_str(&call.arguments).unwrap_or_default();
    match arguments.get("city").and_then(serde_json::Value::as_str) {
        Some(city) => serde_json::json!({"city": city, "forecast": "sunny", "celsius": 21}).to_string(),
        None => serde_json::json!({"error": "get_weather needs a city"}).to_string(),
    }
}

/// A request with only a model, messages and tools set, and a cap on the answer's length.
fn request(model: &str, messages: Vec<Message>, tools: Vec<ToolDef>) -> Request {
    Request { model: model.to_owned(), messages, tools, max_tokens: Some(256), ..Request::default() }
}

/// A user message.
fn user(text: &str) -> Message {
    Message::text(Role::User, text)
}

/// The value of environment variable `name`, or `default` when it is unset or empty.
fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// `usage N in, M out` (and the cached and reasoning counts sent), or `no usage` when the endpoint counted none.
fn usage_text(answer: &Response) -> String {
    match &answer.usage {
        Some(u) => format!("usage {}", u.describe()),
        None => "no usage".to_owned(),
    }
}

/// A failed step as printed: the contract's case name, the status and the endpoint's message.
fn fail(step: &str, error: &Error) -> Failure {
    format!("{step}: {}", error.describe())
}
