//! Integration tests of the hyper transport and client, against the mock server on 127.0.0.1.

mod bulk;
mod client;
mod downloads;
mod reliability;
mod resume;
mod stores;

use std::sync::Arc;

use zohocrm_conformance::{Harness, Settings};
use zohocrm_core::{Endpoint, Error, Session};
use zohocrm_hyper::{HyperTransport, TransportConfig};

/// The conformance harness: the core's async driver over a [`HyperTransport`], blocked on a
/// multi-thread runtime (several test threads may block on it at once).
pub struct HyperHarness {
    runtime: Arc<tokio::runtime::Runtime>,
    transport: HyperTransport,
}

impl Harness for HyperHarness {
    fn call<E: Endpoint + Sync>(
        &self,
        session: &Arc<Session>,
        endpoint: &E,
    ) -> Result<E::Output, Error>
    where
        E::Output: Send,
    {
        self.runtime
            .block_on(zohocrm_core::send(&self.transport, session, endpoint))
    }

    fn transport_name(&self) -> &'static str {
        "hyper"
    }

    fn with_settings(&self, s: Settings) -> Self {
        HyperHarness {
            runtime: self.runtime.clone(),
            transport: transport(s),
        }
    }
}

fn transport(s: Settings) -> HyperTransport {
    HyperTransport::new(
        TransportConfig::default()
            .timeout(s.timeout)
            .connect_timeout(s.connect_timeout)
            .max_body_bytes(s.max_body_bytes)
            .proxy(s.proxy),
    )
}

/// A harness with the default test settings and its own runtime.
pub fn harness() -> HyperHarness {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    HyperHarness {
        runtime: Arc::new(runtime),
        transport: transport(Settings::default()),
    }
}

mod conformance {
    zohocrm_conformance::conformance_tests!(crate::harness());
}

/// A client builder for `mock` ([`zohocrm_conformance::mock_client_builder`]).
pub fn builder_for(mock: &zohocrm_mock::MockZoho) -> zohocrm_hyper::ClientBuilder {
    zohocrm_conformance::mock_client_builder(&mock.base_url())
}

/// A client for `mock` (see [`builder_for`]).
pub fn client_for(mock: &zohocrm_mock::MockZoho) -> zohocrm_hyper::Client {
    builder_for(mock).build().expect("client")
}
