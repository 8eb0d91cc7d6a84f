//! Turning a 2xx chat-completion body into a `ChatResponse`, or a typed error: never a panic.

use crate::domain::{ChatResponse, Error, Secrets, StopReason, ToolCall, Usage};
use crate::errors::{self, malformed};
use crate::wire::{CompletionBody, FunctionDelta, WireUsage};

/// OpenAI's finish reasons; an absent or unknown one is an ordinary end of turn (as in the seed).
pub fn stop_reason(finish_reason: Option<&str>) -> StopReason {
    match finish_reason {
        Some("tool_calls" | "function_call") => StopReason::ToolUse,
        Some("length") => StopReason::MaxTokens,
        Some("content_filter") => StopReason::ContentFilter,
        Some("stop_sequence") => StopReason::StopSequence,
        _ => StopReason::EndTurn,
    }
}

/// The contract's usage from a server's: each optional count from the first place a real
/// server puts it (docs/wire.md lists them), absent when none does.
pub fn usage(wire: Option<WireUsage>) -> Option<Usage> {
    wire.map(|u| {
        let prompt = u.prompt_tokens_details.unwrap_or_default();
        Usage {
            input_tokens: u.prompt_tokens,
            output_tokens: u.completion_tokens,
            cached_input_tokens: u
                .prompt_cache_hit_tokens
                .or(prompt.cached_tokens)
                .or(u.cache_read_input_tokens)
                .or(u.cached_tokens),
            cache_write_input_tokens: u
                .cache_creation_input_tokens
                .or(prompt.cache_write_tokens)
                .or(prompt.cache_creation_tokens),
            reasoning_tokens: u.completion_tokens_details.and_then(|d| d.reasoning_tokens).or(u.reasoning_tokens),
        }
    })
}

/// The longest tool-call id kept (OpenAI's are about 40 characters).
pub const MAX_TOOL_ID_BYTES: usize = 512;
/// The longest tool name kept (OpenAI allows 64 characters).
pub const MAX_TOOL_NAME_BYTES: usize = 256;

/// A tool-call id within [`MAX_TOOL_ID_BYTES`].
pub fn checked_id(id: String) -> Result<String, Error> {
    match id.len() <= MAX_TOOL_ID_BYTES {
        true => Ok(id),
        false => Err(malformed(format!("a tool-call id is longer than {MAX_TOOL_ID_BYTES} bytes"))),
    }
}

/// A tool name within [`MAX_TOOL_NAME_BYTES`].
pub fn checked_name(name: String) -> Result<String, Error> {
    match name.len() <= MAX_TOOL_NAME_BYTES {
        true => Ok(name),
        false => Err(malformed(format!("a tool name is longer than {MAX_TOOL_NAME_BYTES} bytes"))),
    }
}

/// A tool call as the answer gives it; a missing id gets a stable one from its position; an id or
/// a name past its cap is an error.
pub fn tool_call(position: usize, id: Option<String>, function: Option<FunctionDelta>) -> Result<ToolCall, Error> {
    let function = function.unwrap_or_default();
    Ok(ToolCall {
        id: checked_id(id.filter(|i| !i.is_empty()).unwrap_or_else(|| format!("generated-call-{position}")))?,
        name: checked_name(function.name.unwrap_or_default())?,
        arguments: function.arguments.unwrap_or_default(),
    })
}

/// Parses a whole non-streamed answer; `requested_model` stands in when the answer names none.
pub fn parse(body: &[u8], requested_model: &str, key: &Secrets) -> Result<ChatResponse, Error> {
    let body = crate::json_repair::repaired_json(body);
    let wire: CompletionBody = serde_json::from_slice(&body).map_err(|e| malformed(errors::json_error(&e)))?;
    if let Some(error) = wire.error.as_ref().filter(|e| !e.is_null()) {
        if wire.choices.as_ref().is_none_or(Vec::is_empty) {
            return Err(errors::from_embedded(error, key));
        }
    }
    let choice = wire.choices.and_then(|c| c.into_iter().next()).ok_or_else(|| malformed("it has no choices"))?;
    let message = choice.message.unwrap_or_default();
    let mut tool_calls: Vec<ToolCall> = message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, c)| tool_call(i, c.id, c.function))
        .collect::<Result<_, _>>()?;
    if tool_calls.is_empty() {
        if let Some(legacy) = message.function_call {
            tool_calls.push(tool_call(0, None, Some(legacy))?);
        }
    }
    let reasoning = [message.reasoning_content, message.reasoning, message.content.thinking]
        .into_iter()
        .flatten()
        .find(|r| !r.is_empty());
    Ok(ChatResponse {
        content: message.content.text.unwrap_or_default(),
        tool_calls,
        usage: usage(wire.usage.or(choice.usage)),
        model: wire.model.unwrap_or_else(|| requested_model.to_string()),
        stop_reason: stop_reason(choice.finish_reason.as_deref()),
        reasoning,
        refusal: message.refusal.filter(|r| !r.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> ChatResponse {
        parse(body.as_bytes(), "asked", &Secrets::default()).unwrap()
    }

    #[test]
    fn full_answer() {
        let r = ok(r#"{"id":"x","model":"gpt-4o-2024","service_tier":"default",
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#);
        assert_eq!(r.content, "Hello");
        assert_eq!(r.model, "gpt-4o-2024");
        assert_eq!(r.usage, Some(Usage { input_tokens: 3, output_tokens: 1, ..Usage::default() }));
        assert_eq!(r.stop_reason, StopReason::EndTurn);
    }

    #[test]
    fn every_spelling_of_the_cached_cache_write_and_reasoning_counts() {
        let counts = |usage: &str| {
            let u = ok(&format!(r#"{{"choices":[{{"message":{{"content":"x"}}}}],"usage":{usage}}}"#)).usage.unwrap();
            (u.cached_input_tokens, u.cache_write_input_tokens, u.reasoning_tokens)
        };
        let openai = r#"{"prompt_tokens":9,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":4},
            "completion_tokens_details":{"reasoning_tokens":3}}"#;
        assert_eq!(counts(openai), (Some(4), None, Some(3)));
        let deepseek = r#"{"prompt_tokens":9,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":0},
            "prompt_cache_hit_tokens":8,"prompt_cache_miss_tokens":1}"#;
        assert_eq!(counts(deepseek), (Some(8), None, None), "DeepSeek's own field first");
        let anthropic =
            r#"{"prompt_tokens":9,"completion_tokens":5,"cache_read_input_tokens":6,"cache_creation_input_tokens":2}"#;
        assert_eq!(counts(anthropic), (Some(6), Some(2), None));
        let openrouter = r#"{"prompt_tokens":9,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":1,"cache_write_tokens":7}}"#;
        assert_eq!(counts(openrouter), (Some(1), Some(7), None));
        assert_eq!(counts(r#"{"prompt_tokens":9,"completion_tokens":5,"cached_tokens":5}"#), (Some(5), None, None));
        let zero = r#"{"prompt_tokens":9,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":0}}"#;
        assert_eq!(counts(zero), (Some(0), None, None), "a 0 sent is a 0");
        let absent = r#"{"prompt_tokens":9,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":null},
            "completion_tokens_details":null}"#;
        assert_eq!(counts(absent), (None, None, None), "null is absent, never an invented 0");
        assert_eq!(counts(r#"{"prompt_tokens":1,"cached_tokens":"many"}"#), (None, None, None));
    }

    #[test]
    fn finish_reasons() {
        for (reason, expected) in [
            ("\"stop\"", StopReason::EndTurn),
            ("\"length\"", StopReason::MaxTokens),
            ("\"tool_calls\"", StopReason::ToolUse),
            ("\"function_call\"", StopReason::ToolUse),
            ("\"content_filter\"", StopReason::ContentFilter),
            ("\"stop_sequence\"", StopReason::StopSequence),
            ("\"new_thing\"", StopReason::EndTurn),
            ("null", StopReason::EndTurn),
        ] {
            let body = format!(r#"{{"choices":[{{"message":{{"content":"x"}},"finish_reason":{reason}}}]}}"#);
            assert_eq!(ok(&body).stop_reason, expected, "{reason}");
        }
    }

    #[test]
    fn tolerant_of_missing_and_null_fields() {
        let r = ok(r#"{"choices":[{"message":{"content":null}}],"usage":null}"#);
        assert_eq!((r.content.as_str(), r.usage, r.model.as_str()), ("", None, "asked"));
        let r = ok(r#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}],
            "usage":{"prompt_tokens":-1,"completion_tokens":1e12}}"#);
        assert_eq!(r.content, "ab");
        assert_eq!(r.usage, Some(Usage { input_tokens: 0, output_tokens: u32::MAX, ..Usage::default() }));
    }

    #[test]
    fn tool_calls_reasoning_and_legacy_function_call() {
        let r = ok(r#"{"choices":[{"message":{"content":null,"reasoning_content":"hmm","tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},
            {"type":"function","function":{"name":"g","arguments":{"b":2}}}]},"finish_reason":"tool_calls"}]}"#);
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[0], ToolCall { id: "call_1".into(), name: "f".into(), arguments: r#"{"a":1}"#.into() });
        assert_eq!(r.tool_calls[1].id, "generated-call-1");
        assert_eq!(r.tool_calls[1].arguments, r#"{"b":2}"#);
        assert_eq!(r.reasoning.as_deref(), Some("hmm"));
        let r = ok(
            r#"{"choices":[{"message":{"function_call":{"name":"f","arguments":"{}"}},"finish_reason":"function_call"}]}"#,
        );
        assert_eq!(r.tool_calls[0].name, "f");
        assert_eq!(r.stop_reason, StopReason::ToolUse);
    }

    #[test]
    fn broken_bodies_are_typed_errors() {
        for body in [&b""[..], b"{", b"[1,2]", b"null", b"{\"choices\":[]}", b"{\"choices\":5}", &[0xff, 0xfe]] {
            let got = parse(body, "m", &Secrets::default());
            assert!(matches!(got, Err(Error::MalformedResponse(_))), "{body:?}: {got:?}");
        }
        let e = parse(br#"{"error":{"message":"over","code":"429"}}"#, "m", &Secrets::default());
        assert_eq!(e.unwrap_err().kind(), "rate-limited");
    }
}
