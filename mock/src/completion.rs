//! The chat completion every scenario starts from: its `created` time, its usage and its one
//! choice. Scenarios, hostile answers and streams build on it.

use serde_json::{json, Value};

use super::call::Call;
use super::text::{self, word_count};
use super::thinking;

/// `created` of every answer.
pub(super) const CREATED: u64 = 1_700_000_000;

/// `usage` for an answer of `completion` words: prompt tokens are the words of all messages,
/// with the details a thinking scenario adds.
pub(super) fn usage(call: &Call, completion: u64) -> Value {
    let prompt: u64 = call.messages().iter().map(|m| text::word_count(&text::content_text(&m["content"]))).sum();
    let mut usage =
        json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion});
    thinking::usage_details(call.scenario(), &mut usage);
    usage
}

/// A chat completion with one choice whose message has `content`.
pub(super) fn answer(call: &Call, content: Option<&str>, finish: Value) -> Value {
    json!({
        "id": call.id,
        "object": "chat.completion",
        "created": CREATED,
        "model": call.model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": finish,
        }],
        "usage": usage(call, content.map_or(0, word_count)),
        "system_fingerprint": "fp_mock",
        "service_tier": "default",
    })
}
