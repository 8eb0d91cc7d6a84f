//! OpenAI chat-completions JSON, as serde types. Exact on output (optional fields are omitted, never
//! `null`), tolerant on input (unknown fields ignored, missing fields defaulted).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

// ---- request ----

#[derive(Serialize)]
pub struct ChatBody<'a> {
    pub model: &'a str,
    pub messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<&'static str>,
}

/// `stop`: one sequence as a string (which every server takes), several as a list.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Stop<'a> {
    One(&'a str),
    Many(&'a [String]),
}

/// A message's content: a string, or OpenAI's array of parts.
#[derive(Serialize)]
#[serde(untagged)]
pub enum WireContent<'a> {
    Text(&'a str),
    Parts(Vec<Value>),
}

#[derive(Serialize)]
pub struct StreamOptions {
    pub include_usage: bool,
}

#[derive(Serialize)]
pub struct WireMessage<'a> {
    pub role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<WireContent<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<WireToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<&'a str>,
}

#[derive(Serialize)]
pub struct WireToolCall<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: WireFunctionCall<'a>,
}

#[derive(Serialize)]
pub struct WireFunctionCall<'a> {
    pub name: &'a str,
    pub arguments: &'a str,
}

#[derive(Serialize)]
pub struct WireTool<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub function: WireFunction<'a>,
}

#[derive(Serialize)]
pub struct WireFunction<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    pub parameters: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

// ---- response ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CompletionBody {
    pub choices: Option<Vec<Choice>>,
    pub usage: Option<WireUsage>,
    pub model: Option<String>,
    pub error: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Choice {
    pub message: Option<AnswerMessage>,
    pub finish_reason: Option<String>,
    /// Where Moonshot/Kimi put the usage.
    pub usage: Option<WireUsage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerMessage {
    pub content: Content,
    pub refusal: Option<String>,
    pub tool_calls: Option<Vec<AnswerToolCall>>,
    /// The legacy single `function_call`.
    pub function_call: Option<FunctionDelta>,
    pub reasoning_content: Option<String>,
    pub reasoning: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerToolCall {
    pub id: Option<String>,
    pub function: Option<FunctionDelta>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FunctionDelta {
    pub name: Option<String>,
    #[serde(deserialize_with = "string_or_json")]
    pub arguments: Option<String>,
}

/// A usage object as the servers spell it: OpenAI's counts and details, and the other names
/// real servers use for the same counts (which one wins is `response::usage`'s rule).
#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
pub struct WireUsage {
    #[serde(deserialize_with = "saturating_u32")]
    pub prompt_tokens: u32,
    #[serde(deserialize_with = "saturating_u32")]
    pub completion_tokens: u32,
    pub prompt_tokens_details: Option<PromptDetails>,
    pub completion_tokens_details: Option<CompletionDetails>,
    /// DeepSeek's.
    #[serde(deserialize_with = "count")]
    pub prompt_cache_hit_tokens: Option<u32>,
    /// Anthropic's names, kept by LiteLLM and OpenRouter.
    #[serde(deserialize_with = "count")]
    pub cache_read_input_tokens: Option<u32>,
    #[serde(deserialize_with = "count")]
    pub cache_creation_input_tokens: Option<u32>,
    /// Moonshot's (Kimi).
    #[serde(deserialize_with = "count")]
    pub cached_tokens: Option<u32>,
    /// Azure AI Foundry's (DeepSeek there), beside no details object.
    #[serde(deserialize_with = "count")]
    pub reasoning_tokens: Option<u32>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
pub struct PromptDetails {
    #[serde(deserialize_with = "count")]
    pub cached_tokens: Option<u32>,
    /// OpenAI's (2026) and OpenRouter's.
    #[serde(deserialize_with = "count")]
    pub cache_write_tokens: Option<u32>,
    /// LiteLLM's.
    #[serde(deserialize_with = "count")]
    pub cache_creation_tokens: Option<u32>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
pub struct CompletionDetails {
    #[serde(deserialize_with = "count")]
    pub reasoning_tokens: Option<u32>,
}

// ---- stream chunk ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Chunk {
    pub choices: Option<Vec<ChunkChoice>>,
    pub usage: Option<WireUsage>,
    pub model: Option<String>,
    pub error: Option<Value>,
    /// Groq's own block, which holds the usage when `stream_options` did not ask for it.
    pub x_groq: Option<XGroq>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct XGroq {
    pub usage: Option<WireUsage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChunkChoice {
    pub index: Option<u32>,
    pub delta: Option<Delta>,
    pub finish_reason: Option<String>,
    /// Where Moonshot/Kimi put the usage of the last chunk.
    pub usage: Option<WireUsage>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Delta {
    pub content: Content,
    pub refusal: Option<String>,
    pub reasoning_content: Option<String>,
    pub reasoning: Option<String>,
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ToolCallDelta {
    pub index: Option<u32>,
    pub id: Option<String>,
    pub function: Option<FunctionDelta>,
}

/// `content` as a string, or as an array of parts: the texts joined, and the reasoning of
/// Mistral's `thinking` parts (each a list of text parts); anything else is none.
#[derive(Default)]
pub struct Content {
    pub text: Option<String>,
    pub thinking: Option<String>,
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = |parts: &[Value]| -> Option<String> {
            let mut found = parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).peekable();
            found.peek().is_some().then(|| found.collect())
        };
        Ok(match Value::deserialize(d)? {
            Value::String(s) => Content { text: Some(s), thinking: None },
            Value::Array(parts) => {
                let is_thinking = |p: &&Value| p.get("type").and_then(Value::as_str) == Some("thinking");
                let (thinking, text): (Vec<Value>, Vec<Value>) = parts.into_iter().partition(|p| is_thinking(&p));
                let thinking: Vec<Value> = thinking
                    .into_iter()
                    .flat_map(|p| match p.get("thinking") {
                        Some(Value::Array(inner)) => inner.clone(),
                        Some(Value::String(s)) => vec![serde_json::json!({ "text": s })],
                        _ => Vec::new(),
                    })
                    .collect();
                Content { text: texts(&text), thinking: texts(&thinking) }
            }
            _ => Content::default(),
        })
    }
}

/// Tool arguments are JSON text; a server that sends them as a JSON object gets them re-encoded.
fn string_or_json<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// Token counts: a missing, negative, fractional or huge number never fails the whole answer.
fn saturating_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    Ok(count(d)?.unwrap_or(0))
}

/// An optional count: a number (negative ones are 0, huge ones saturate); anything else,
/// `null` included, is absent.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => Some(
            n.as_u64()
                .map(|v| v.min(u64::from(u32::MAX)) as u32)
                .or_else(|| n.as_f64().map(|f| f.clamp(0.0, u32::MAX as f64) as u32))
                .unwrap_or(0),
        ),
        _ => None,
    })
}
