//! Whether a store's server answers: fail fast while it is down, warn once per outage, and say
//! when shared mode resumes.

use std::sync::Mutex;
use std::time::Instant;

use zohocrm_core::token_store::StoreError;

use crate::RETRY_AFTER;

/// The health of one store's server.
#[derive(Debug)]
pub(crate) struct Health {
    /// The server, as shown in errors and logs (no credentials).
    location: String,
    /// What is unreachable and what the session does meanwhile, for the messages.
    subject: Subject,
    state: Mutex<State>,
}

/// Whose server this is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject {
    TokenStore,
    OrgLimiter,
}

impl Subject {
    fn name(self) -> &'static str {
        match self {
            Subject::TokenStore => "token store",
            Subject::OrgLimiter => "org limiter",
        }
    }

    fn fallback(self) -> &'static str {
        match self {
            Subject::TokenStore => "the in-process token and lock",
            Subject::OrgLimiter => "the in-process limiter and credit count",
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Until when calls fail at once rather than trying the server.
    retry_at: Option<Instant>,
    /// Whether the current outage has been logged.
    down: bool,
}

impl Health {
    pub(crate) fn new(location: String) -> Self {
        Self::of(location, Subject::TokenStore)
    }

    pub(crate) fn of(location: String, subject: Subject) -> Self {
        Health {
            location,
            subject,
            state: Mutex::default(),
        }
    }

    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An error at once while the server is known to be down and not yet due for a new try.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        match self.state().retry_at {
            Some(at) if Instant::now() < at => Err(self.error(format_args!(
                "unreachable; the session goes on with {}",
                self.subject.fallback()
            ))),
            _ => Ok(()),
        }
    }

    /// A store error with this store's location.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> StoreError {
        StoreError {
            path: self.location.clone(),
            message: message.to_string(),
        }
    }

    /// Records that the server could not be reached: later calls fail fast for
    /// [`RETRY_AFTER`]; the first failure of an outage is logged as a warning.
    pub(crate) fn unreachable(&self, cause: impl std::fmt::Display) -> StoreError {
        let mut st = self.state();
        st.retry_at = Some(Instant::now() + RETRY_AFTER);
        if !st.down {
            st.down = true;
            tracing::warn!(
                target: "zohocrm_store",
                store = %self.location,
                error = %cause,
                "{} unreachable: falling back to {}",
                self.subject.name(),
                self.subject.fallback()
            );
        }
        self.error(format_args!("unreachable: {cause}"))
    }

    /// Records an answer from the server (the end of an outage is logged).
    pub(crate) fn answered(&self) {
        let mut st = self.state();
        st.retry_at = None;
        if st.down {
            st.down = false;
            tracing::info!(target: "zohocrm_store", store = %self.location, "{} reachable again: shared mode resumed", self.subject.name());
        }
    }

    /// Whether the server is in an outage (for tests and status output).
    pub(crate) fn is_down(&self) -> bool {
        self.state().down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_fails_fast_then_resumes() {
        let h = Health::new("redis://h".into());
        assert!(h.check().is_ok());
        let e = h.unreachable("connection refused");
        assert!(e.to_string().contains("connection refused"), "{e}");
        assert!(h.is_down());
        assert!(h.check().is_err(), "fails fast while down");
        h.answered();
        assert!(!h.is_down());
        assert!(h.check().is_ok());
    }
}
