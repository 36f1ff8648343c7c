//! The retry policy: a pure function from (attempt, outcome, idempotency, jitter) to a decision.
//!
//! Rules: connection failures retry for any method (the request never left); 429 retries with
//! capped, jittered backoff, honouring `Retry-After` (Zoho did not process the request); 5xx and
//! timeouts retry only idempotent requests (a POST that may have taken effect is never replayed
//! blindly); other 4xx never.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::retry::{Decision, Outcome, RetryPolicy};
//! use zohocrm_core::TransportErrorKind;
//!
//! let policy = RetryPolicy::default();
//! // A refused connection never reached Zoho: retried, even for a POST.
//! let refused = Outcome::Transport(TransportErrorKind::Connect);
//! assert!(matches!(policy.decide(1, refused, false, 0.5), Decision::Retry(_)));
//! // A 500 answering a POST may follow a write that took effect: not replayed.
//! let failed = Outcome::Status { status: 500, retry_after: None };
//! assert_eq!(policy.decide(1, failed, false, 0.5), Decision::GiveUp);
//! assert!(matches!(policy.decide(1, failed, true, 0.5), Decision::Retry(_)));
//! // The attempts run out.
//! assert_eq!(policy.decide(4, refused, true, 0.5), Decision::GiveUp);
//! ```

use std::time::Duration;

use crate::error::TransportErrorKind;

/// What happened on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A response arrived with this status; `retry_after` is the parsed `Retry-After` header.
    Status {
        /// The HTTP status.
        status: u16,
        /// The server's requested delay, if any.
        retry_after: Option<Duration>,
    },
    /// The transport failed.
    Transport(TransportErrorKind),
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Stop and report the outcome.
    GiveUp,
}

/// Retry settings. The defaults suit Zoho's limits: 4 attempts in all, 0.5 s doubling up to 30 s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// The delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// The largest backoff delay.
    pub max_delay: Duration,
    /// The largest `Retry-After` honoured; longer requests give up instead of stalling.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts in all.
    #[must_use]
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the base and maximum backoff delays.
    #[must_use]
    pub fn with_delays(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_delay = max.max(base);
        self
    }

    /// The backoff before retry number `attempt` (1-based), with "equal jitter": half fixed,
    /// half scaled by `jitter` in `[0, 1)`.
    pub fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let raw = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        raw / 2 + raw.mul_f64(jitter / 2.0)
    }

    /// Decides after attempt number `attempt` (1-based) ended with `outcome`.
    pub fn decide(
        &self,
        attempt: u32,
        outcome: Outcome,
        idempotent: bool,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        let retryable = match outcome {
            Outcome::Transport(TransportErrorKind::Connect) => true,
            Outcome::Transport(TransportErrorKind::Timeout | TransportErrorKind::Io) => idempotent,
            Outcome::Transport(_) => false,
            Outcome::Status { status: 429, .. } => true,
            Outcome::Status {
                status: 500 | 502 | 503 | 504,
                ..
            } => idempotent,
            Outcome::Status { .. } => false,
        };
        if !retryable {
            return Decision::GiveUp;
        }
        let backoff = self.backoff(attempt, jitter);
        match outcome {
            Outcome::Status {
                retry_after: Some(after),
                ..
            } => {
                if after > self.max_retry_after {
                    Decision::GiveUp
                } else {
                    Decision::Retry(after.max(backoff.min(after + self.base_delay)))
                }
            }
            _ => Decision::Retry(backoff),
        }
    }
}

/// Parses a `Retry-After` header holding delta-seconds (HTTP dates are ignored: comparing them
/// would need a clock).
pub fn parse_retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: fn() -> RetryPolicy = RetryPolicy::default;

    fn st(status: u16) -> Outcome {
        Outcome::Status {
            status,
            retry_after: None,
        }
    }

    #[test]
    fn post_500_is_not_replayed_but_get_500_is() {
        assert_eq!(P().decide(1, st(500), false, 0.0), Decision::GiveUp);
        assert_eq!(
            P().decide(1, st(500), true, 0.0),
            Decision::Retry(Duration::from_millis(250))
        );
    }

    #[test]
    fn connect_failures_retry_any_method() {
        let o = Outcome::Transport(TransportErrorKind::Connect);
        assert!(matches!(P().decide(1, o, false, 0.5), Decision::Retry(_)));
        let io = Outcome::Transport(TransportErrorKind::Io);
        assert_eq!(P().decide(1, io, false, 0.5), Decision::GiveUp);
    }

    #[test]
    fn too_many_requests_backs_off_and_stops() {
        assert_eq!(
            P().decide(2, st(429), false, 1.0),
            Decision::Retry(Duration::from_millis(1000))
        );
        assert_eq!(P().decide(4, st(429), false, 0.0), Decision::GiveUp);
        let ra = Outcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(
            P().decide(1, ra, false, 0.0),
            Decision::Retry(Duration::from_secs(7))
        );
        let too_long = Outcome::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(P().decide(1, too_long, false, 0.0), Decision::GiveUp);
    }

    #[test]
    fn other_client_errors_never_retry() {
        for s in [400, 401, 403, 404, 412] {
            assert_eq!(P().decide(1, st(s), true, 0.0), Decision::GiveUp);
        }
    }

    #[test]
    fn backoff_is_capped() {
        let p = P();
        assert_eq!(p.backoff(30, 1.0), Duration::from_secs(30));
        assert_eq!(p.backoff(1, 0.0), Duration::from_millis(250));
    }
}
