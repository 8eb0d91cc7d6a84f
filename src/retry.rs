//! Trying a failed call again: the loop, and how long to wait first (the OpenAI SDKs' policy).
//! Whether an error may be retried is the error's own ([`Error::retryable`]).

use crate::config::Settings;
use crate::domain::Error;
use crate::http::{self, Deadline};

const INITIAL_DELAY_MS: u64 = 500;
const MAX_DELAY_MS: u64 = 8_000;

/// Runs `attempt` (given the call's total deadline) until it succeeds, fails in a way that
/// retrying will not mend ([`Error::retryable`]), the settings' retries are spent, or the next
/// wait would pass the deadline; the error says how many attempts were made.
pub fn run<T>(settings: &Settings, mut attempt: impl FnMut(Deadline) -> Result<T, Error>) -> Result<T, Error> {
    let deadline = Deadline::after_ms(settings.total_timeout_ms);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut error = match attempt(deadline) {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        error.set_attempts(attempts);
        if !error.retryable() || attempts > settings.max_retries {
            return Err(error);
        }
        let asked = error.api_error().and_then(|e| e.retry_after_ms);
        let delay_ns = delay_ms(attempts, asked, http::random_u64()).saturating_mul(1_000_000);
        if delay_ns >= deadline.remaining_ns() {
            return Err(error);
        }
        http::pause(delay_ns);
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
}
