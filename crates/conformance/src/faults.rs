//! The fault suite: 429 bursts, 5xx, connections closed before and after the request, slow and
//! truncated bodies, read timeouts, token-endpoint failures and a token expiring in the middle
//! of a 5,000-record iteration. Every case checks that nothing panics, that the number of
//! attempts is the one the retry policy promises, that a non-idempotent write is never sent
//! twice, that the whole call stays within a bound, and that the error says what happened.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::records::{InsertRecords, ListRecords, RecordCursor};
use zohocrm_core::{
    ApiErrorCode, AuthErrorKind, Context, Credentials, Error, MemoryTokenStore, Record,
    RetryPolicy, Session, TransportErrorKind,
};
use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};

use crate::net::{flaky_proxy, slow_body_server};
use crate::{expect_transport, fast_retry, session, session_on, Harness, Settings, MOCK_LICENCES};

/// Faults injected by [`fault_mixed_storm_is_survived`], for reports.
pub const STORM_FAULTS: usize = 30;

fn mock_with(config: MockConfig) -> BlockingMock {
    BlockingMock::start_with(config).expect("the mock starts")
}

fn no_leads() -> BlockingMock {
    mock_with(MockConfig {
        demo_leads: 0,
        ..MockConfig::default()
    })
}

/// A 429 without `Retry-After`, so the policy's own (fast) backoff applies.
fn bare_429() -> FaultKind {
    FaultKind::Status {
        status: 429,
        body: r#"{"code":"TOO_MANY_REQUESTS","details":{},"message":"concurrency limit exceeded","status":"error"}"#.into(),
        retry_after: None,
    }
}

fn status(status: u16, code: &str) -> FaultKind {
    FaultKind::Status {
        status,
        body: format!(r#"{{"code":"{code}","details":{{}},"message":"fault","status":"error"}}"#),
        retry_after: None,
    }
}

fn lead(name: &str) -> InsertRecords {
    InsertRecords::new("Leads", [Record::new().with("Last_Name", name)])
}

fn api_posts(mock: &BlockingMock) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path().starts_with("/crm/"))
        .count()
}

/// Mints the token first, so the faults that follow hit API calls only.
fn warm(h: &impl Harness, s: &Arc<Session>) {
    h.call(s, &GetUserLicences).expect("first call");
}

/// The bound of every case: a hang (a retry loop waiting for ever, a 60 s `Retry-After`) is
/// caught; speed is not measured here (a loaded 2-core machine may be slow), the attempt
/// counts say the policy's short backoffs were used.
const HANG: Duration = Duration::from_secs(60);

fn assert_within(started: Instant, what: &str) {
    let took = started.elapsed();
    assert!(took < HANG, "{what}: took {took:?}, bound {HANG:?}");
}

/// 429 bursts: two 429s are retried (3 attempts in all); five exhaust the policy's 3 attempts
/// and report Zoho's `TOO_MANY_REQUESTS`; a POST is retried too (Zoho did not process it) and
/// writes exactly once; 20 concurrent calls through 15 429s all succeed, each 429 costing one
/// extra attempt.
pub fn fault_429_bursts_are_waited_out(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    warm(h, &s);
    let base = mock.stats().api_requests;
    mock.inject(Fault::times(bare_429(), 2).on("/crm/"));
    let started = Instant::now();
    let licences = h
        .call(&s, &GetUserLicences)
        .expect("success after two 429s");
    assert_eq!(licences.limit, MOCK_LICENCES.2);
    assert_eq!(mock.stats().api_requests - base, 3);
    assert_within(started, "two 429s");

    let base = mock.stats().api_requests;
    mock.inject(Fault::times(bare_429(), 5).on("/crm/"));
    match h.call(&s, &GetUserLicences) {
        Err(e @ Error::Api { .. }) => {
            assert_eq!(e.status(), Some(429));
            assert_eq!(e.api_code(), Some(&ApiErrorCode::TooManyRequests));
            assert!(e.to_string().contains("TOO_MANY_REQUESTS"), "{e}");
        }
        other => panic!("expected TOO_MANY_REQUESTS, got {other:?}"),
    }
    assert_eq!(
        mock.stats().api_requests - base,
        u64::from(fast_retry().max_attempts)
    );
    // The two 429s left over are waited out by the next call.
    let base = mock.stats().api_requests;
    h.call(&s, &GetUserLicences)
        .expect("success after the rest of the burst");
    assert_eq!(mock.stats().api_requests - base, 3);

    mock.clear_requests();
    mock.inject(Fault::times(bare_429(), 2).on("/crm/v8/Leads"));
    let writes = mock.stats().record_writes;
    let inserted = h.call(&s, &lead("After 429")).expect("insert after 429s");
    assert!(inserted.all_succeeded(), "{inserted:?}");
    assert_eq!(
        api_posts(&mock),
        3,
        "a 429 was not processed, so the POST is retried"
    );
    assert_eq!(mock.stats().record_writes - writes, 1, "written once");

    // A burst shared by concurrent callers.
    let s = Arc::new(
        session_on(&mock, Arc::default()).with_retry(
            RetryPolicy::default()
                .with_max_attempts(16)
                .with_delays(Duration::from_millis(5), Duration::from_millis(20)),
        ),
    );
    warm(h, &s);
    let base = mock.stats().api_requests;
    mock.inject(Fault::times(bare_429(), 15).on("/crm/"));
    let started = Instant::now();
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| h.call(&s, &GetUserLicences)))
            .collect();
        for c in calls {
            c.join().unwrap().expect("every call survives the burst");
        }
    });
    assert_eq!(mock.stats().api_requests - base, 20 + 15);
    assert_within(started, "a shared 429 burst");
}

/// 500 and 503 are retried for reads (3 attempts), never for writes: a POST answered 500 or
/// 503 is reported after one attempt, and Zoho's code is in the error.
pub fn fault_5xx_retried_for_reads_only(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    warm(h, &s);
    for (code, name) in [(500, "INTERNAL_ERROR"), (503, "SERVICE_UNAVAILABLE")] {
        let base = mock.stats().api_requests;
        mock.inject(Fault::times(status(code, name), 2).on("/crm/"));
        h.call(&s, &GetUserLicences)
            .expect("a read survives two 5xx");
        assert_eq!(mock.stats().api_requests - base, 3, "{code}");

        mock.clear_requests();
        let writes = mock.stats().record_writes;
        mock.inject(Fault::once(status(code, name)).on("/crm/v8/Leads"));
        let e = h.call(&s, &lead("Never twice")).unwrap_err();
        assert_eq!(e.status(), Some(code), "{e}");
        assert!(e.to_string().contains(name), "{e}");
        assert_eq!(
            api_posts(&mock),
            1,
            "a POST answered {code} is not replayed"
        );
        assert_eq!(mock.stats().record_writes, writes);
    }
}

/// A connection closed after the request was sent: a read is retried and succeeds; a write
/// is reported as an `Io` error after one attempt (it may have taken effect) and not replayed.
pub fn fault_connection_closed_after_request(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    warm(h, &s);
    let base = mock.stats().api_requests;
    mock.inject(Fault::times(FaultKind::CloseConnection, 2).on("/crm/"));
    h.call(&s, &GetUserLicences)
        .expect("a read survives two dropped connections");
    assert_eq!(mock.stats().api_requests - base, 3);

    mock.clear_requests();
    mock.inject(Fault::once(FaultKind::CloseConnection).on("/crm/v8/Leads"));
    let t = expect_transport(h.transport_name(), h.call(&s, &lead("Dropped")));
    assert_eq!(t.kind(), TransportErrorKind::Io, "{t}");
    assert!(!t.never_connected());
    assert!(t.to_string().contains("Io"), "{t}");
    assert_eq!(api_posts(&mock), 1, "not replayed");
}

/// Connections reset before the server read a byte (a proxy closing them at once): reads retry
/// through two resets; a write is not replayed, since the client cannot tell this from a reset
/// after sending, and the mock sees no write.
pub fn fault_connection_reset_before_request(h: &impl Harness) {
    let mock = no_leads();
    let target = mock
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the mock's address");
    let proxy = flaky_proxy(target, 2);
    let base = proxy.base_url();
    let cfg = MockConfig::default();
    let s = Arc::new(
        Session::new(
            Context::custom(&base, &base, &base).unwrap(),
            Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
        )
        .with_retry(fast_retry()),
    );
    // The token request meets both resets and is retried (token requests are idempotent).
    h.call(&s, &GetUserLicences)
        .expect("success through two resets");
    assert_eq!(mock.stats().token_requests, 1);
    assert_eq!(mock.stats().api_requests, 1);
    assert!(proxy.accepted() >= 3, "{}", proxy.accepted());

    let proxy = flaky_proxy(target, 1);
    let base = proxy.base_url();
    let cfg = MockConfig::default();
    let s = Arc::new(
        Session::new(
            Context::custom(&base, &base, &base).unwrap(),
            Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
        )
        .with_retry(fast_retry()),
    );
    let (writes, requests) = (mock.stats().writes, mock.stats().api_requests);
    // Fresh session: the reset hits the (idempotent) token request, then the write goes out once.
    h.call(&s, &lead("Through the proxy"))
        .expect("insert after a reset");
    assert_eq!(mock.stats().writes - writes, 1);
    assert_eq!(mock.stats().api_requests - requests, 1);
}

/// A body sent slowly within the timeout is read whole; one slower than the timeout fails with
/// `Timeout` after the policy's 3 attempts, well within a bound.
pub fn fault_slow_bodies(h: &impl Harness) {
    let body = br#"{"__features":[{"api_name":"user_licenses","details":{"available_count":{"total":3},"used_count":{"total":7},"limits":{"total":10}}}]}"#;
    let fixed = |server: &crate::net::Server| {
        let b = server.base_url();
        Arc::new(
            Session::new(
                Context::custom(&b, &b, &b).unwrap(),
                Credentials::AccessToken("fixed-test-token".into()),
            )
            .with_retry(fast_retry()),
        )
    };
    let slow_ok = slow_body_server(body.to_vec(), 5, Duration::from_millis(40));
    let h2 = h.with_settings(Settings {
        timeout: Duration::from_secs(30),
        ..Settings::default()
    });
    let started = Instant::now();
    let parsed = h2.call(&fixed(&slow_ok), &GetUserLicences);
    let licences = parsed.unwrap_or_else(|e| panic!("{}: {e}", h.transport_name()));
    assert_eq!(licences.used, MOCK_LICENCES.1);
    assert_within(started, "slow body");

    // 10 s in all against a 300 ms timeout: a late timer still fires before the body ends.
    let too_slow = slow_body_server(body.to_vec(), 10, Duration::from_secs(1));
    let h3 = h.with_settings(Settings {
        timeout: Duration::from_millis(300),
        ..Settings::default()
    });
    let started = Instant::now();
    let t = expect_transport(
        h.transport_name(),
        h3.call(&fixed(&too_slow), &GetUserLicences),
    );
    assert_eq!(t.kind(), TransportErrorKind::Timeout, "{t}");
    assert_eq!(too_slow.accepted(), 3, "a read is retried after a timeout");
    assert_within(started, "slow body past the timeout");
}

/// A body cut short: a read is retried and succeeds; a write took effect on the server, is
/// reported as `Io` and is never replayed, so the record is written exactly once.
pub fn fault_truncated_bodies(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    warm(h, &s);
    let base = mock.stats().api_requests;
    mock.inject(Fault::once(FaultKind::TruncatedBody).on("/crm/"));
    h.call(&s, &GetUserLicences)
        .expect("a read survives a truncated body");
    assert_eq!(mock.stats().api_requests - base, 2);

    mock.clear_requests();
    let writes = mock.stats().record_writes;
    mock.inject(Fault::once(FaultKind::TruncatedBody).on("/crm/v8/Leads"));
    let t = expect_transport(h.transport_name(), h.call(&s, &lead("Truncated")));
    assert_eq!(t.kind(), TransportErrorKind::Io, "{t}");
    assert_eq!(api_posts(&mock), 1, "not replayed");
    assert_eq!(
        mock.stats().record_writes - writes,
        1,
        "written exactly once"
    );
}

/// Read timeouts: a read slower than the timeout twice is retried and then succeeds; a write
/// that times out (and takes effect late on the server) is not replayed.
pub fn fault_read_timeouts(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    warm(h, &s);
    let h = h.with_settings(Settings {
        timeout: Duration::from_millis(250),
        ..Settings::default()
    });
    let base = mock.stats().api_requests;
    // Far past the timeout, so that a late timer still fires first.
    mock.inject(Fault::times(FaultKind::Delay(Duration::from_secs(30)), 2).on("/crm/"));
    let started = Instant::now();
    h.call(&s, &GetUserLicences)
        .expect("a read survives two timeouts");
    assert_eq!(mock.stats().api_requests - base, 3);
    assert_within(started, "two timeouts");

    mock.clear_requests();
    let writes = mock.stats().record_writes;
    mock.inject(Fault::once(FaultKind::Delay(Duration::from_secs(3))).on("/crm/v8/Leads"));
    let t = expect_transport(h.transport_name(), h.call(&s, &lead("Late")));
    assert_eq!(t.kind(), TransportErrorKind::Timeout, "{t}");
    assert!(t.to_string().contains("Timeout"), "{t}");
    // The call has returned: a replay would have been sent by now. On a loaded machine the
    // client can give up before the mock has even logged the first attempt: wait for that one.
    let deadline = Instant::now() + HANG;
    while api_posts(&mock) == 0 {
        assert!(
            Instant::now() < deadline,
            "the write never reached the server"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(api_posts(&mock), 1, "not replayed");
    // The server finishes the write after the client gave up (waited for, not slept on).
    let deadline = Instant::now() + HANG;
    while mock.stats().record_writes == writes {
        assert!(Instant::now() < deadline, "the late write never happened");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(mock.stats().record_writes - writes, 1);
    assert_eq!(api_posts(&mock), 1, "not replayed");
}

/// Token-endpoint faults: a 500 and a dropped connection are retried (a token request is safe
/// to repeat) and one token is minted; the mint throttle is reported as `Throttled`, naming
/// Zoho's limit, without hammering the endpoint.
pub fn fault_token_endpoint(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    mock.inject(Fault::once(zohocrm_mock::internal_error()).on("/oauth/v2/token"));
    mock.inject(Fault::once(FaultKind::CloseConnection).on("/oauth/v2/token"));
    h.call(&s, &GetUserLicences)
        .expect("success after token faults");
    let stats = mock.stats();
    assert_eq!((stats.token_requests, stats.mints), (3, 1), "{stats:?}");

    let mock = mock_with(MockConfig {
        mint_limit: 1,
        demo_leads: 0,
        ..MockConfig::default()
    });
    let s = session(&mock);
    warm(h, &s);
    mock.expire_tokens();
    match h.call(&s, &GetUserLicences) {
        Err(Error::Auth(a)) => {
            assert_eq!(a.kind, AuthErrorKind::Throttled);
            assert!(a.to_string().contains("10 access tokens"), "{a}");
        }
        other => panic!("expected a throttled refresh, got {other:?}"),
    }
    assert_eq!(
        mock.stats().token_requests,
        2,
        "the throttle is not retried"
    );
}

/// 5,000 Leads in one iteration with every access token expiring half-way: one refresh, one
/// replayed page, every record exactly once.
pub fn fault_token_expiry_mid_iteration(h: &impl Harness) {
    let mock = mock_with(MockConfig {
        demo_leads: 5_000,
        ..MockConfig::default()
    });
    let s = session(&mock);
    let started = Instant::now();
    let mut cursor = RecordCursor::new(ListRecords::new("Leads", ["Last_Name"]).per_page(200));
    let mut ids = HashSet::new();
    let mut expired = false;
    loop {
        if let Some(r) = cursor.pop() {
            assert!(
                ids.insert(r.id().expect("an id").into_owned()),
                "no duplicate"
            );
            if ids.len() == 2_500 && !expired {
                mock.expire_tokens();
                expired = true;
            }
            continue;
        }
        let Some(request) = cursor.take_request() else {
            break;
        };
        let page = h
            .call(&s, &request)
            .unwrap_or_else(|e| panic!("{}: page failed: {e}", h.transport_name()));
        cursor.absorb(&request, page);
    }
    assert_eq!(ids.len(), 5_000);
    let stats = mock.stats();
    assert_eq!(stats.token_requests, 2, "{stats:?}");
    assert_eq!(stats.api_requests, 25 + 1, "25 pages and one rejected page");
    assert_within(started, "5,000 records");
}

/// [`STORM_FAULTS`] faults of six kinds (429, 500, 503, HTML 502, dropped connection, truncated
/// body), in turn, over 40 reads: every read succeeds and every fault costs exactly one extra
/// attempt.
pub fn fault_mixed_storm_is_survived(h: &impl Harness) {
    let mock = no_leads();
    let s = Arc::new(
        session_on(&mock, Arc::new(MemoryTokenStore::new())).with_retry(
            RetryPolicy::default()
                .with_max_attempts(8)
                .with_delays(Duration::from_millis(2), Duration::from_millis(10)),
        ),
    );
    warm(h, &s);
    let kinds = [
        bare_429(),
        status(500, "INTERNAL_ERROR"),
        status(503, "SERVICE_UNAVAILABLE"),
        FaultKind::Html { status: 502 },
        FaultKind::CloseConnection,
        FaultKind::TruncatedBody,
    ];
    let base = mock.stats().api_requests;
    let started = Instant::now();
    for i in 0..40 {
        if i < STORM_FAULTS {
            mock.inject(Fault::once(kinds[i % kinds.len()].clone()).on("/crm/"));
        }
        let licences = h.call(&s, &GetUserLicences).expect("survives the storm");
        assert_eq!(licences.used, MOCK_LICENCES.1);
    }
    assert_eq!(mock.stats().api_requests - base, 40 + STORM_FAULTS as u64);
    assert_within(started, "the storm");
}
