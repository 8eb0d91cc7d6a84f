//! The helpers' names checked against the contract itself (`wit/provider.wit`, read with the
//! wit-parser that wit-bindgen uses), so that a renamed or added case fails here.

use super::*;
use std::path::Path;
use wit_parser::{Resolve, TypeDefKind};

/// The names of the cases of the contract type `name` in `devsper:llm/types`.
fn contract_cases(name: &str) -> Vec<String> {
    let mut resolve = Resolve::default();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
    resolve.push_dir(&wit).expect("the contract parses");
    let (_, ty) = resolve
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("the contract has no type {name}"));
    match &ty.kind {
        TypeDefKind::Enum(e) => e.cases.iter().map(|c| c.name.clone()).collect(),
        TypeDefKind::Variant(v) => v.cases.iter().map(|c| c.name.clone()).collect(),
        other => panic!("{name} is a {other:?}"),
    }
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|c| name(*c).to_string()).collect()
}

#[test]
fn enum_names_are_the_contracts() {
    assert_eq!(names(StopReason::ALL, StopReason::name), contract_cases("stop-reason"));
    assert_eq!(names(Profile::ALL, Profile::name), contract_cases("profile"));
    assert_eq!(names(ReasoningEffort::ALL, ReasoningEffort::name), contract_cases("reasoning-effort"));
    assert_eq!(names(TokenLimitField::ALL, TokenLimitField::name), contract_cases("token-limit-field"));
    for profile in Profile::ALL {
        assert_eq!(Profile::from_name(profile.name()), Some(*profile));
    }
    assert_eq!(Profile::from_name("OpenAI"), None, "names are the contract's, exactly");
}

#[test]
fn error_kinds_are_the_contracts() {
    let api = ApiError { status: 429, message: "slow down".into(), code: None, retry_after_ms: None, attempts: 3 };
    let failure = Failure { message: "refused".into(), attempts: 2 };
    let every_case = [
        Error::InvalidRequest("x".into()),
        Error::Unauthorized(api.clone()),
        Error::RateLimited(api.clone()),
        Error::ContextLengthExceeded(api.clone()),
        Error::ContentFiltered(api.clone()),
        Error::QuotaExceeded(api.clone()),
        Error::BadRequest(api.clone()),
        Error::Upstream(api.clone()),
        Error::Timeout(failure.clone()),
        Error::Transport(failure),
        Error::MalformedResponse("y".into()),
    ];
    let kinds: Vec<String> = every_case.iter().map(|e| e.kind().to_string()).collect();
    assert_eq!(kinds, contract_cases("error"));
    assert_eq!(every_case[2].describe(), "rate-limited (429): slow down (attempts: 3)");
    assert_eq!(every_case[9].describe(), "transport: refused (attempts: 2)");
}

#[test]
fn defaults_leave_everything_unset() {
    let request = Request::user("litellm:m", "Hi");
    assert_eq!(request.messages, vec![Message::text(Role::User, "Hi")]);
    assert_eq!((request.max_tokens, request.reasoning_effort, request.extra_body), (None, None, None));
    assert_eq!(Config::default().profile, None);
    let answer = Response {
        content: "calling".into(),
        tool_calls: vec![ToolCall { id: "c1".into(), name: "f".into(), arguments: "{}".into() }],
        usage: None,
        model: "m".into(),
        stop_reason: StopReason::ToolUse,
        reasoning: Some("thought".into()),
        refusal: None,
    };
    let turn = Message::from_answer(&answer);
    assert_eq!((turn.role, turn.reasoning.as_deref(), turn.tool_calls.len()), (Role::Assistant, Some("thought"), 1));
}

#[test]
fn usage_lines_show_only_the_counts_sent() {
    let mut usage = Usage::new(10, 5);
    assert_eq!(usage.describe(), "10 in, 5 out");
    usage.cached_input_tokens = Some(0);
    usage.reasoning_tokens = Some(3);
    assert_eq!(usage.describe(), "10 in, 5 out, 0 cached, 3 reasoning");
}
