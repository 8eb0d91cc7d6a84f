//! Why a call failed: the provider's typed error, the sandbox's reason for stopping it, or the
//! tenant's quota.

use crate::contract::{Line, ProviderError};
use crate::QuotaError;
use std::fmt;

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The provider's own typed error (the endpoint, the network or the request).
    Provider(ProviderError),
    /// The sandbox stopped the call; the instance was discarded and the next call gets a new one.
    Sandbox(SandboxError),
    /// The host refused the call before the component ran: the tenant's [`crate::Quota`].
    Quota(QuotaError),
}

/// Why the sandbox stopped a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxReason {
    /// The instance tried to grow its memory past the tenant's [`memory_limit`](crate::Tenant::memory_limit).
    MemoryLimit,
    /// The call ran past the tenant's [`call_deadline`](crate::Tenant::call_deadline), running wasm
    /// or waiting inside a host call.
    Deadline,
    /// The guest trapped (a bug in the component, not a bad endpoint).
    Trap,
    /// The host could not stand the instance up (an engine or linking failure).
    Host,
}

impl SandboxReason {
    /// A short name: `memory-limit`, `deadline`, `trap` or `host`.
    pub fn name(self) -> &'static str {
        match self {
            SandboxReason::MemoryLimit => "memory-limit",
            SandboxReason::Deadline => "deadline",
            SandboxReason::Trap => "trap",
            SandboxReason::Host => "host",
        }
    }
}

/// The sandbox's reason, with wasmtime's own words for a person.
#[derive(Debug, Clone)]
pub struct SandboxError {
    /// Why the call was stopped.
    pub reason: SandboxReason,
    /// What wasmtime said (the trap message and the guest's backtrace, if any).
    pub detail: String,
}

impl CallError {
    pub(crate) fn sandbox(reason: SandboxReason, detail: impl Into<String>) -> Self {
        CallError::Sandbox(SandboxError { reason, detail: detail.into() })
    }

    /// The sandbox's reason, when the sandbox stopped the call.
    pub fn sandbox_reason(&self) -> Option<SandboxReason> {
        match self {
            CallError::Sandbox(s) => Some(s.reason),
            CallError::Provider(_) | CallError::Quota(_) => None,
        }
    }

    /// The case's name: the provider error's (`rate-limited`, …), the quota's (`rate-limited`,
    /// `quota-exceeded`, `quota-store-unavailable`) or `sandbox`.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Provider(e) => e.kind(),
            CallError::Sandbox(_) => "sandbox",
            CallError::Quota(e) => e.kind(),
        }
    }

    /// How long to wait before the same call may succeed, when the endpoint or the quota said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            CallError::Provider(e) => {
                e.api_error().and_then(|api| api.retry_after_ms).map(std::time::Duration::from_millis)
            }
            CallError::Quota(e) => e.retry_after(),
            CallError::Sandbox(_) => None,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Provider(e) => Line(e).fmt(f),
            CallError::Sandbox(s) => write!(f, "sandbox ({}): {}", s.reason.name(), s.detail),
            CallError::Quota(e) => e.fmt(f),
        }
    }
}

// No `source`: a `CallError` is the root of the errors built on it (devsper's `anyhow` chain).
impl std::error::Error for CallError {}
