//! Integration tests of the ureq transport and client, against the mock server on 127.0.0.1.

mod bulk;
mod client;
mod downloads;
mod reliability;
mod token_file;

use std::sync::Arc;

use zohocrm_conformance::{Harness, Settings};
use zohocrm_core::{Endpoint, Error, Session};
use zohocrm_ureq::{TransportConfig, UreqTransport};

/// The conformance harness: the core's blocking driver over a [`UreqTransport`].
pub struct UreqHarness(UreqTransport);

impl Harness for UreqHarness {
    fn call<E: Endpoint + Sync>(
        &self,
        session: &Arc<Session>,
        endpoint: &E,
    ) -> Result<E::Output, Error>
    where
        E::Output: Send,
    {
        zohocrm_core::send_blocking(&self.0, session, endpoint)
    }

    fn transport_name(&self) -> &'static str {
        "ureq"
    }

    fn with_settings(&self, s: Settings) -> Self {
        UreqHarness(UreqTransport::new(
            TransportConfig::default()
                .timeout(s.timeout)
                .connect_timeout(s.connect_timeout)
                .max_body_bytes(s.max_body_bytes)
                .proxy(s.proxy),
        ))
    }
}

/// A harness with the default test settings.
pub fn harness() -> UreqHarness {
    UreqHarness(UreqTransport::default()).with_settings(Settings::default())
}

mod conformance {
    zohocrm_conformance::conformance_tests!(crate::harness());
}

/// A client builder for `mock` ([`zohocrm_conformance::mock_client_builder`]).
pub fn builder_for(mock: &zohocrm_mock::BlockingMock) -> zohocrm_ureq::ClientBuilder {
    zohocrm_conformance::mock_client_builder(&mock.base_url())
}

/// A client for `mock` (see [`builder_for`]).
pub fn client_for(mock: &zohocrm_mock::BlockingMock) -> zohocrm_ureq::Client {
    builder_for(mock).build().expect("client")
}
