//! Driving an exchange by hand: a manual clock whose instants stand for the wall-clock times
//! the tests speak in, and the token store steps performed as a driver performs them.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zohocrm_core::config::TransportConfig;
use zohocrm_core::driver::{Buffered, Payload, Reading};
use zohocrm_core::token_store::Store;
use zohocrm_core::{BlockingTransport, Endpoint, Exchange, Step, TransportError};

/// The tests' epoch: 2023-11-14T22:13:20Z.
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// The monotonic instant standing for wall-clock time `at`.
pub fn instant(at: SystemTime) -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(|| Instant::now() + Duration::from_secs(3600));
    match at.duration_since(t0()) {
        Ok(after) => base + after,
        Err(before) => base - before.duration(),
    }
}

/// Polls at `at`, performing the token store steps on the session's store as a driver does
/// (with `at` as the wall clock); returns the first other step.
pub fn poll<E: Endpoint>(ex: &mut Exchange<E>, at: SystemTime) -> Step<E::Output> {
    loop {
        match ex.poll(instant(at)) {
            Step::Store(op) => {
                let Store::Blocking(store) = ex.session().store().clone() else {
                    panic!("the tests use blocking stores")
                };
                let reply = op.perform(&*store, at);
                ex.on_store(instant(at), reply);
            }
            other => return other,
        }
    }
}

/// Reports a response at `at`.
pub fn respond<E: Endpoint>(ex: &mut Exchange<E>, at: SystemTime, r: http::Response<Vec<u8>>) {
    ex.on_response(instant(at), r);
}

/// Reports a transport failure at `at`.
pub fn fail<E: Endpoint>(ex: &mut Exchange<E>, at: SystemTime, e: TransportError) {
    ex.on_transport_error(instant(at), e);
}

/// A blocking transport that answers from a script (7 ms per request by its manual clock).
pub struct Scripted {
    pub responses: Mutex<Vec<Result<http::Response<Vec<u8>>, TransportError>>>,
    now: Mutex<SystemTime>,
    pub config: TransportConfig,
}

impl Scripted {
    /// A transport answering with `script`, in order, from [`t0`].
    pub fn new(script: Vec<Result<http::Response<Vec<u8>>, TransportError>>) -> Self {
        Scripted {
            responses: Mutex::new(script),
            now: Mutex::new(t0()),
            config: TransportConfig::default(),
        }
    }
}

impl BlockingTransport for Scripted {
    type Body = Buffered;

    fn start(
        &self,
        _: http::Request<Payload<'_>>,
        _: Reading,
    ) -> Result<http::Response<Buffered>, TransportError> {
        *self.now.lock().unwrap() += Duration::from_millis(7);
        let next = self.responses.lock().unwrap().remove(0);
        next.map(|r| r.map(Buffered::new))
    }
    fn config(&self) -> &TransportConfig {
        &self.config
    }
    fn sleep(&self, d: Duration) {
        *self.now.lock().unwrap() += d;
    }
    fn now(&self) -> Instant {
        instant(*self.now.lock().unwrap())
    }
    fn wall_clock(&self) -> SystemTime {
        *self.now.lock().unwrap()
    }
    fn jitter_seed(&self) -> u64 {
        1
    }
}
