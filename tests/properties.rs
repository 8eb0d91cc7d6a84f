//! Properties of the pure modules, checked natively with proptest on a fixed number of cases.

use litellm_provider::config::{Endpoint, Settings};
use litellm_provider::domain::{ChatRequest, ClientConfig, Message, Profile, Role, Secrets, ToolCall, ToolDef};
use litellm_provider::sse::{SseEvent, SseParser};
use litellm_provider::{errors, request, response};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// Text with ASCII, multi-byte UTF-8 (2, 3 and 4 bytes) and the characters SSE and JSON care about.
const TEXT: &str = "[a-z0-9 :{}\",é✓😀\\[\\]]{0,12}";

/// One line of an event stream: `(kind, text, line ending)`.
fn sse_line() -> impl Strategy<Value = (u8, String, &'static str)> {
    (0u8..6, TEXT, prop::sample::select(vec!["\n", "\r\n", "\r"]))
}

/// The bytes of a stream of lines, and the events a correct parser gives for them.
fn sse_stream(bom: bool, lines: &[(u8, String, &'static str)]) -> (Vec<u8>, Vec<SseEvent>) {
    let mut bytes = if bom { "\u{FEFF}".as_bytes().to_vec() } else { Vec::new() };
    let (mut events, mut event, mut data) = (Vec::new(), String::new(), None::<Vec<String>>);
    let mut previous_cr = false;
    for (kind, text, ending) in lines {
        let line = match kind {
            0 => format!("data: {text}"),
            1 => format!("event: {text}"),
            2 => format!(":{text}"),
            3 => "data".to_string(),
            4 => format!("id: {text}"),
            _ => String::new(),
        };
        match kind {
            0 => data.get_or_insert_with(Vec::new).push(text.clone()),
            1 => event = text.clone(),
            3 => data.get_or_insert_with(Vec::new).push(String::new()),
            5 => {
                if let Some(lines) = data.take() {
                    let event = std::mem::take(&mut event);
                    events.push(SseEvent { event, data: lines.join("\n") });
                }
                event.clear();
            }
            _ => {}
        }
        // An empty line ended by LF right after a CR would read as one CRLF: end it with CRLF.
        let ending = if previous_cr && line.is_empty() && *ending == "\n" { "\r\n" } else { ending };
        previous_cr = ending == "\r";
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(ending.as_bytes());
    }
    (bytes, events)
}

/// Feeds `bytes` cut at the given points (in any order, repeats give empty pieces).
fn feed_split(bytes: &[u8], cuts: &[Index]) -> Vec<SseEvent> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    at.sort_unstable();
    let (mut parser, mut out, mut from) = (SseParser::new(), Vec::new(), 0);
    for to in at.into_iter().chain([bytes.len()]) {
        parser.feed(&bytes[from..to], &mut out);
        from = to;
    }
    out
}

/// A JSON value tree whose keys are often the ones a chat completion has.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
        TEXT.prop_map(Value::from),
    ];
    let key = prop_oneof![
        prop::sample::select(vec![
            "choices",
            "message",
            "content",
            "tool_calls",
            "function",
            "name",
            "arguments",
            "id",
            "function_call",
            "usage",
            "prompt_tokens",
            "completion_tokens",
            "model",
            "error",
            "finish_reason",
            "text",
            "type",
            "reasoning_content",
            "reasoning",
            "code",
            "detail",
        ])
        .prop_map(String::from),
        "[a-z]{1,6}",
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A request that passes validation: prefixed or bare model, roles with their own fields only.
fn chat_request() -> impl Strategy<Value = ChatRequest> {
    let call = ("[a-z0-9_]{1,8}", "[a-z_]{1,8}", prop_oneof![Just(String::new()), TEXT.boxed()])
        .prop_map(|(id, name, arguments)| ToolCall { id, name, arguments });
    let message = (0u8..4, TEXT, prop::collection::vec(call, 0..3), prop::option::of("[a-z0-9_]{1,8}")).prop_map(
        |(role, content, calls, call_id)| match role {
            0 => Message::text(Role::System, content),
            1 => Message::text(Role::User, content),
            // Any reasoning (the content again, possibly empty) goes back per the profile's rule.
            2 => Message {
                tool_calls: calls,
                reasoning: Some(content.clone()),
                ..Message::text(Role::Assistant, content)
            },
            _ => Message { tool_call_id: call_id, ..Message::text(Role::Tool, content) },
        },
    );
    let parameters = prop::sample::select(vec![
        "{}",
        r#"{"type":"object"}"#,
        r#"{"type":"object","properties":{"city":{"type":"string","description":"é✓"}},"required":["city"]}"#,
    ]);
    let tool = ("[a-z_]{1,8}", prop::option::of(TEXT), parameters, prop::option::of(any::<bool>()))
        .prop_map(|(name, description, p, strict)| ToolDef { name, description, parameters: p.to_string(), strict });
    (
        (any::<bool>(), "[A-Za-z0-9._/-]{1,16}"),
        prop::collection::vec(message, 1..6),
        prop::collection::vec(tool, 0..3),
        prop::option::of(1u32..),
        prop::option::of(0.0f32..=2.0),
        prop::option::of(TEXT),
    )
        .prop_map(|((prefixed, name), messages, tools, max_tokens, temperature, system)| ChatRequest {
            model: if prefixed { format!("{}{name}", request::MODEL_PREFIX) } else { name },
            messages,
            tools,
            max_tokens,
            temperature,
            system,
            ..Default::default()
        })
}

/// Whether any value in the tree is `null`.
fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(map) => map.values().any(has_null),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// SSE: any split of a valid stream (comments, CRLF/LF/CR, multi-byte UTF-8) gives the events the whole one does, and those are the right ones.
    #[test]
    fn sse_events_do_not_depend_on_the_split(
        bom in any::<bool>(),
        lines in prop::collection::vec(sse_line(), 0..24),
        cuts in prop::collection::vec(any::<Index>(), 0..12),
    ) {
        let (bytes, expected) = sse_stream(bom, &lines);
        let mut whole = Vec::new();
        SseParser::new().feed(&bytes, &mut whole);
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(feed_split(&bytes, &cuts), expected);
    }

    /// `response::parse` never panics on arbitrary bytes.
    #[test]
    fn parse_survives_any_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = response::parse(&body, "asked", &Secrets::new("sk-prop"));
    }

    /// `response::parse` never panics on arbitrary JSON, alone or at a completion's usual places.
    #[test]
    fn parse_survives_any_json(v in json_value()) {
        let key = Secrets::new("sk-prop");
        for body in [
            v.clone(),
            serde_json::json!({ "choices": [v.clone()], "usage": v.clone(), "model": v.clone() }),
            serde_json::json!({ "choices": [{ "message": v.clone(), "finish_reason": v.clone() }] }),
            serde_json::json!({ "error": v.clone() }),
        ] {
            let _ = response::parse(&serde_json::to_vec(&body).unwrap(), "asked", &key);
        }
    }

    /// `chat_body`: valid JSON, the bare model, messages + 1 if a system text is given, no `null`,
    /// no empty reasoning, on every profile.
    #[test]
    fn chat_body_is_clean_json(r in chat_request(), stream in any::<bool>(), profile in 0usize..5) {
        let profile = [Profile::Litellm, Profile::Openai, Profile::Azure, Profile::Ollama, Profile::Vllm][profile];
        let body: Value = serde_json::from_slice(&request::chat_body(&r, stream, profile).unwrap()).unwrap();
        for m in body["messages"].as_array().unwrap() {
            prop_assert!(m.get("reasoning_content").or(m.get("reasoning")).is_none_or(|r| r != ""), "{}", m);
        }
        let model = body["model"].as_str().unwrap();
        prop_assert!(!model.starts_with(request::MODEL_PREFIX));
        prop_assert_eq!(model, r.model.strip_prefix(request::MODEL_PREFIX).unwrap_or(&r.model));
        let system = usize::from(r.system.as_deref().is_some_and(|s| !s.is_empty()));
        prop_assert_eq!(body["messages"].as_array().unwrap().len(), r.messages.len() + system);
        prop_assert!(!has_null(&body), "{}", body);
    }

    /// `errors::scrub` leaves no key in any text (keys that cannot overlap the `[redacted]` marker).
    #[test]
    fn scrub_leaves_no_key(key in "\\PC{1,16}", pieces in prop::collection::vec("\\PC{0,8}", 0..6)) {
        prop_assume!(!key.contains(['[', ']']) && !"redacted".contains(key.as_str()));
        let text = pieces.join(&key);
        prop_assert!(!errors::scrub(&text, &Secrets::new(key.as_str())).contains(&key));
    }

    /// `Endpoint::parse` never panics; a parsed endpoint's chat path is `/…/v1/chat/completions`.
    #[test]
    fn endpoints_parse_or_err(
        url in prop_oneof!["\\PC{0,40}", "(?i:https?://)[a-z0-9.:@ \\[\\]-]{0,12}(/[a-z0-9v./?#%-]{0,8}){0,4}"]
    ) {
        if let Ok(endpoint) = Endpoint::parse(&url) {
            let path = endpoint.path("chat/completions");
            prop_assert!(path.starts_with('/') && path.ends_with("/v1/chat/completions"), "{}", path);
        }
        let config = ClientConfig { base_url: Some(url), ..Default::default() };
        let _ = Settings::resolve(&config, |_| None);
    }
}
