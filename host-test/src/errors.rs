//! Why a call failed, and one-line descriptions of the contract's errors.

use crate::{ApiError, ProviderError};
use std::fmt;

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The provider's own typed error (the endpoint, the network or the request).
    Provider(ProviderError),
    /// The sandbox stopped the call: memory cap, CPU deadline, a trap, or a host failure.
    Sandbox(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Provider(e) => e.write_line(f),
            CallError::Sandbox(why) => write!(f, "sandbox: {why}"),
        }
    }
}

impl std::error::Error for CallError {}

/// A trap or host failure as a `CallError`.
pub(crate) fn sandbox(error: wasmtime::Error) -> CallError {
    CallError::Sandbox(format!("{error:#}"))
}

impl ProviderError {
    /// The case's name as the contract spells it, e.g. `rate-limited`.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::InvalidRequest(_) => "invalid-request",
            ProviderError::Unauthorized(_) => "unauthorized",
            ProviderError::RateLimited(_) => "rate-limited",
            ProviderError::ContextLengthExceeded(_) => "context-length-exceeded",
            ProviderError::ContentFiltered(_) => "content-filtered",
            ProviderError::QuotaExceeded(_) => "quota-exceeded",
            ProviderError::BadRequest(_) => "bad-request",
            ProviderError::Upstream(_) => "upstream",
            ProviderError::Timeout(_) => "timeout",
            ProviderError::Transport(_) => "transport",
            ProviderError::MalformedResponse(_) => "malformed-response",
        }
    }
}

impl ProviderError {
    /// One line for a person: the case, the status, the server's message, code, wait and attempts.
    /// (bindgen's own `Display` prints the `Debug` form.)
    pub fn describe(&self) -> String {
        struct Line<'a>(&'a ProviderError);
        impl fmt::Display for Line<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write_line(f)
            }
        }
        Line(self).to_string()
    }

    /// The endpoint's error answer, for the cases that carry one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ProviderError::Unauthorized(a)
            | ProviderError::RateLimited(a)
            | ProviderError::ContextLengthExceeded(a)
            | ProviderError::ContentFiltered(a)
            | ProviderError::QuotaExceeded(a)
            | ProviderError::BadRequest(a)
            | ProviderError::Upstream(a) => Some(a),
            _ => None,
        }
    }

    fn write_line(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match (self, self.api_error()) {
            (ProviderError::InvalidRequest(m) | ProviderError::MalformedResponse(m), _) => {
                write!(f, "{kind}: {m}")
            }
            (ProviderError::Timeout(x) | ProviderError::Transport(x), _) => {
                write!(f, "{kind}: {} (attempts: {})", x.message, x.attempts)
            }
            (_, Some(a)) => {
                write!(f, "{kind} ({}): {}", a.status, a.message)?;
                if let Some(code) = &a.code {
                    write!(f, " [code: {code}]")?;
                }
                if let Some(ms) = a.retry_after_ms {
                    write!(f, " [retry after {ms} ms]")?;
                }
                write!(f, " (attempts: {})", a.attempts)
            }
            (_, None) => write!(f, "{kind}"),
        }
    }
}
