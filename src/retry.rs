//! When to try a failed call again, and how long to wait first (the OpenAI SDKs' policy).

use crate::domain::Error;

const INITIAL_DELAY_MS: u64 = 500;
const MAX_DELAY_MS: u64 = 8_000;

/// Whether a failure may go away on its own: 408, 409, 429 (not a spent quota), 5xx, timeouts and
/// connection failures. The HTTP module decides separately for failures the host caused (denied).
pub fn is_retryable(error: &Error) -> bool {
    match error {
        Error::RateLimited(_) | Error::Upstream(_) | Error::Timeout(_) | Error::Transport(_) => true,
        Error::BadRequest(e) => matches!(e.status, 408 | 409),
        _ => false,
    }
}

/// The wait before attempt `failures + 1`: what the server asked for, else exponential backoff
/// from 0.5 s to 8 s, shortened by up to a quarter at random so that clients spread out.
pub fn delay_ms(failures: u32, retry_after_ms: Option<u64>, random: u64) -> u64 {
    if let Some(asked) = retry_after_ms {
        return asked;
    }
    let exponent = failures.saturating_sub(1).min(16);
    let base = (INITIAL_DELAY_MS << exponent).min(MAX_DELAY_MS);
    let fraction = random as f64 / u64::MAX as f64;
    base - (base as f64 * 0.25 * fraction) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ApiError, Failure};

    fn api(status: u16) -> ApiError {
        ApiError { status, message: String::new(), code: None, retry_after_ms: None, attempts: 1 }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_the_server() {
        assert_eq!(delay_ms(1, None, 0), 500);
        assert_eq!(delay_ms(2, None, 0), 1000);
        assert_eq!(delay_ms(3, None, u64::MAX), 1500);
        assert_eq!(delay_ms(30, None, 0), MAX_DELAY_MS);
        assert_eq!(delay_ms(1, Some(150), 0), 150);
        for r in [1, u64::MAX / 3, u64::MAX / 2, u64::MAX - 1] {
            let d = delay_ms(1, None, r);
            assert!((375..=500).contains(&d), "{d}");
        }
    }

    #[test]
    fn which_errors_are_retried() {
        assert!(is_retryable(&Error::RateLimited(api(429))));
        assert!(is_retryable(&Error::Upstream(api(503))));
        assert!(is_retryable(&Error::BadRequest(api(408))));
        assert!(is_retryable(&Error::Transport(Failure { message: String::new(), attempts: 1 })));
        assert!(!is_retryable(&Error::BadRequest(api(400))));
        assert!(!is_retryable(&Error::QuotaExceeded(api(429))));
        assert!(!is_retryable(&Error::Unauthorized(api(401))));
        assert!(!is_retryable(&Error::MalformedResponse(String::new())));
    }
}
