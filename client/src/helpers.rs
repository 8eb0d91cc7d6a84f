// Helpers on the contract's generated types, included (`include!`) by `litellm-client` (guest
// bindings) and by `litellm-host` (wasmtime bindings): both generate the same types from
// `wit/provider.wit`, and these names are written once. `litellm-client`'s tests check every
// name against the WIT. In scope where included: `Request`, `Message`, `Role`, `Response`,
// `StopReason`, `Profile`, `ReasoningEffort`, `TokenLimitField`, `Error` (the contract's error
// variant), `ApiError`, `Usage` and `ToolDef`.

impl Default for Request {
    /// No model, no message, every option unset: the base of
    /// `Request { model, messages, ..Request::default() }`.
    fn default() -> Self {
        Request {
            model: String::new(),
            messages: Vec::new(),
            tools: Vec::new(),
            max_tokens: None,
            max_tokens_field: None,
            temperature: None,
            system: None,
            top_p: None,
            stop: Vec::new(),
            seed: None,
            user: None,
            presence_penalty: None,
            frequency_penalty: None,
            response_format: None,
            tool_choice: None,
            parallel_tool_calls: None,
            reasoning_effort: None,
            extra_body: None,
        }
    }
}

impl Request {
    /// A request of one user message and nothing else.
    pub fn user(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Request { model: model.into(), messages: vec![Message::text(Role::User, prompt)], ..Request::default() }
    }
}

impl Message {
    /// A message with text only.
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            parts: Vec::new(),
            tool_calls: Vec::new(),
            tool_call_id: None,
            reasoning: None,
        }
    }

    /// The assistant turn of an answer, to send back with the next request: its text, tool calls
    /// and reasoning (which thinking models need back; the provider decides per profile whether
    /// it goes on the wire).
    pub fn from_answer(answer: &Response) -> Self {
        Message {
            tool_calls: answer.tool_calls.clone(),
            reasoning: answer.reasoning.clone(),
            ..Message::text(Role::Assistant, answer.content.clone())
        }
    }
}

/// The contract's names of an enum's cases, in the WIT's order: one table per enum, read by
/// `name` and `from_name` and checked against the WIT by this crate's tests.
macro_rules! names {
    ($ty:ident { $($case:ident => $name:literal,)* }) => {
        impl $ty {
            /// Every case, in the contract's order.
            pub const ALL: &'static [$ty] = &[$($ty::$case,)*];

            /// The case's name as the contract spells it.
            pub fn name(self) -> &'static str {
                match self { $($ty::$case => $name,)* }
            }

            /// The case of a contract name (as [`Self::name`] gives it), if it is one.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some($ty::$case),)* _ => None }
            }
        }
    };
}

names!(StopReason {
    EndTurn => "end-turn",
    ToolUse => "tool-use",
    MaxTokens => "max-tokens",
    StopSequence => "stop-sequence",
    ContentFilter => "content-filter",
});

names!(Profile {
    Litellm => "litellm",
    Openai => "openai",
    Azure => "azure",
    Ollama => "ollama",
    Vllm => "vllm",
});

names!(ReasoningEffort {
    None => "none",
    Minimal => "minimal",
    Low => "low",
    Medium => "medium",
    High => "high",
    Xhigh => "xhigh",
    Max => "max",
});

names!(TokenLimitField {
    MaxTokens => "max-tokens",
    MaxCompletionTokens => "max-completion-tokens",
});

impl Error {
    /// The case's name as the contract spells it, e.g. `rate-limited`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidRequest(_) => "invalid-request",
            Error::Unauthorized(_) => "unauthorized",
            Error::RateLimited(_) => "rate-limited",
            Error::ContextLengthExceeded(_) => "context-length-exceeded",
            Error::ContentFiltered(_) => "content-filtered",
            Error::QuotaExceeded(_) => "quota-exceeded",
            Error::BadRequest(_) => "bad-request",
            Error::Upstream(_) => "upstream",
            Error::Timeout(_) => "timeout",
            Error::Transport(_) => "transport",
            Error::MalformedResponse(_) => "malformed-response",
        }
    }

    /// The endpoint's error answer, for the cases that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(a)
            | Error::RateLimited(a)
            | Error::ContextLengthExceeded(a)
            | Error::ContentFiltered(a)
            | Error::QuotaExceeded(a)
            | Error::BadRequest(a)
            | Error::Upstream(a) => Some(a),
            Error::InvalidRequest(_) | Error::Timeout(_) | Error::Transport(_) | Error::MalformedResponse(_) => None,
        }
    }

    /// One line for a person: the case, the status, the endpoint's message, code, wait and
    /// attempts, e.g. `rate-limited (429): slow down [retry after 1000 ms] (attempts: 3)`.
    pub fn describe(&self) -> String {
        let kind = self.kind();
        match (self, self.api_error()) {
            (Error::InvalidRequest(m) | Error::MalformedResponse(m), _) => format!("{kind}: {m}"),
            (Error::Timeout(x) | Error::Transport(x), _) => {
                format!("{kind}: {} (attempts: {})", x.message, x.attempts)
            }
            (_, Some(a)) => {
                let mut line = format!("{kind} ({}): {}", a.status, a.message);
                if let Some(code) = &a.code {
                    line.push_str(&format!(" [code: {code}]"));
                }
                if let Some(ms) = a.retry_after_ms {
                    line.push_str(&format!(" [retry after {ms} ms]"));
                }
                line.push_str(&format!(" (attempts: {})", a.attempts));
                line
            }
            (_, None) => kind.to_string(),
        }
    }
}

impl ToolDef {
    /// A function tool: its name and JSON Schema text, no description, `strict` left to the server.
    pub fn function(name: impl Into<String>, parameters: impl Into<String>) -> Self {
        ToolDef { name: name.into(), description: None, parameters: parameters.into(), strict: None }
    }
}

impl Usage {
    /// Input and output tokens, the optional counts unset (as from an endpoint that sends no details).
    pub fn new(input_tokens: u32, output_tokens: u32) -> Self {
        Usage {
            input_tokens,
            output_tokens,
            cached_input_tokens: None,
            cache_write_input_tokens: None,
            reasoning_tokens: None,
        }
    }

    /// `N in, M out`, then the cached, cache-write and reasoning counts the endpoint sent.
    pub fn describe(&self) -> String {
        let mut line = format!("{} in, {} out", self.input_tokens, self.output_tokens);
        for (count, what) in [
            (self.cached_input_tokens, "cached"),
            (self.cache_write_input_tokens, "cache-write"),
            (self.reasoning_tokens, "reasoning"),
        ] {
            if let Some(count) = count {
                line.push_str(&format!(", {count} {what}"));
            }
        }
        line
    }
}

