//! Security and encoding cases: TLS verification, hosts a token may go to, percent-encoding of
//! every path segment and query value, paths that contain "http", and limits checked before
//! anything is sent.

use std::sync::Arc;
use std::time::Duration;

use zohocrm_core::features::GetUserLicences;
use zohocrm_core::records::{Criteria, GetRecord, InsertRecords, ListRecords, SearchRecords};
use zohocrm_core::territories::{CreateTerritories, PermissionType, TerritoryInput};
use zohocrm_core::{
    BuildError, Context, Credentials, Endpoint, Error, Record, RequestParts, RetryPolicy, Session,
    TransportErrorKind,
};
use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};

use crate::net::{counting_listener, self_signed_tls_server, wait_for_handshake_error};
use crate::{expect_transport, session, Harness, Raw};

/// Values that break naive URL building: every reserved character that matters, a space, a
/// percent sign and non-ASCII text.
pub const NASTY_VALUES: [&str; 4] = [
    "a&b+c#d/e?f%g h",
    "100% =;:@$,!*'()[]",
    "Zürich — 東京 🚀",
    "https://evil.example/x?y=1#z",
];

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .expect("utf-8 after decoding")
        .into_owned()
}

fn no_leads() -> BlockingMock {
    BlockingMock::start_with(MockConfig {
        demo_leads: 0,
        ..MockConfig::default()
    })
    .expect("mock")
}

/// An https call to a loopback server whose certificate is self-signed fails in the handshake
/// (a `Connect` error: nothing was sent, so no token either), whatever the retries.
pub fn tls_self_signed_certificate_is_refused(h: &impl Harness) {
    let (server, log) = self_signed_tls_server();
    for host in ["localhost", "127.0.0.1"] {
        let base = format!("https://{host}:{}", server.addr.port());
        let s = Arc::new(
            Session::new(
                Context::custom(&base, &base, &base).unwrap(),
                Credentials::AccessToken("must-never-leave".into()),
            )
            .with_retry(RetryPolicy::never()),
        );
        let t = expect_transport(h.transport_name(), h.call(&s, &GetUserLicences));
        assert_eq!(t.kind(), TransportErrorKind::Connect, "{host}: {t}");
        assert!(t.never_connected());
    }
    wait_for_handshake_error(&log);
    let log = log.lock().unwrap();
    assert_eq!(log.plaintext_bytes, 0, "no request (and no token) sent");
    assert!(server.accepted() >= 2);
    assert!(!log.handshake_errors.is_empty(), "{log:?}");
}

/// A token response naming an `api_domain` other than the configured one is not adopted:
/// no connection is ever made to it, and the calls go to the configured host.
pub fn foreign_api_domain_is_refused(h: &impl Harness) {
    let mock = no_leads();
    let evil = counting_listener();
    mock.inject(
        Fault::once(FaultKind::Status {
            status: 200,
            body: format!(
                r#"{{"access_token":"forged-token","api_domain":"{}","token_type":"Bearer","expires_in":3600}}"#,
                evil.base_url()
            ),
            retry_after: None,
        })
        .on("/oauth/v2/token"),
    );
    let s = session(&mock);
    // The forged token is refused by the real API host (401), refreshed and replayed.
    h.call(&s, &GetUserLicences)
        .expect("the call reaches the configured host");
    assert_eq!(s.context().api_domain(), mock.base_url());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(evil.accepted(), 0, "no connection to the foreign domain");
    // The same for a data-centre context: only that data centre's API hosts are adopted.
    let mut ctx = Context::new(zohocrm_core::DataCenter::Eu, Default::default());
    assert!(!ctx.adopt_api_domain(&evil.base_url()));
    assert!(!ctx.adopt_api_domain("https://www.zohoapis.com.evil.example"));
    assert!(ctx.adopt_api_domain("https://sandbox.zohoapis.eu"));
    // Plain http is for loopback only.
    assert!(Context::custom("http://zoho.example", "https://a", "https://b").is_err());
}

/// Paths containing "http" go to the configured host: an id that is a URL is one encoded
/// segment, a module named like a URL too, and a path template that is not a path (which
/// would change the host) or a download URL outside Zoho is refused before anything is sent.
pub fn paths_with_http_are_not_misrouted(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    let url_id = "https://evil.example/crm/v8/Leads";
    let got = h.call(&s, &GetRecord::new("Leads", url_id));
    assert!(matches!(got, Ok(None)), "{got:?}");
    let _ = h.call(&s, &GetRecord::new("http://evil.example", "1"));
    let api: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path().starts_with("/crm/"))
        .collect();
    assert_eq!(api.len(), 2, "both went to the configured host");
    let segments: Vec<String> = api[0].path().split('/').map(decode).collect();
    assert_eq!(segments, ["", "crm", "v8", "Leads", url_id]);
    let segments: Vec<String> = api[1].path().split('/').map(decode).collect();
    assert_eq!(segments, ["", "crm", "v8", "http://evil.example", "1"]);

    let before = mock.stats();
    for path in [
        "http://evil.example/crm/v8/Leads",
        ".evil.example/crm",
        "@evil.example/crm",
        "//evil.example/crm",
    ] {
        let raw = Raw {
            parts: RequestParts::get(path),
        };
        match h.call(&s, &raw) {
            Err(Error::Build(_)) => {}
            other => panic!("{path}: expected a build error, got {other:?}"),
        }
    }
    for url in [
        "https://evil.example/crm/bulk/v8/read/1/result",
        "https://www.zohoapis.com.evil.example/crm/bulk/v8/read/1/result",
        "https://www.zohoapis.com@evil.example/crm/bulk/v8/read/1/result",
    ] {
        let download = zohocrm_core::op_spec::download_url_parts(http::Method::GET, url);
        assert!(download.is_err(), "{url}: {download:?}");
    }
    assert_eq!(mock.stats(), before, "nothing was sent");
}

/// Every path segment, query value and header value round-trips through the mock (which
/// decodes them): the module `httpLogs__c` is left as it is, and records whose names hold
/// `& + # / ? %`, spaces and non-ASCII are found again by external id (in the path), by
/// criteria and by word (in the query).
pub fn values_round_trip_percent_encoded(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    let _ = h.call(&s, &GetRecord::new("httpLogs__c", NASTY_VALUES[0]));
    let logged = mock.requests().into_iter().last().unwrap();
    let segments: Vec<&str> = logged.path().split('/').collect();
    assert_eq!(segments[3], "httpLogs__c");
    assert_eq!(decode(segments[4]), NASTY_VALUES[0]);
    assert!(!segments[4].contains(['&', '+', '#', '/', '?', ' ']));

    let insert = InsertRecords::new(
        "Leads",
        NASTY_VALUES
            .iter()
            .map(|v| Record::new().with("Last_Name", *v).with("Company", *v)),
    );
    let inserted = h.call(&s, &insert).expect("insert");
    assert!(inserted.all_succeeded(), "{inserted:?}");
    let ids: Vec<String> = inserted
        .successes()
        .map(|o| o.id().expect("an id").to_owned())
        .collect();
    for (value, id) in NASTY_VALUES.iter().zip(&ids) {
        let by_external = h
            .call(
                &s,
                &GetRecord::new("Leads", *value)
                    .external("Leads.Last_Name")
                    .fields(["Last_Name"]),
            )
            .expect("get by external value")
            .unwrap_or_else(|| panic!("{value:?} not found by external id"));
        assert_eq!(by_external.id().as_deref(), Some(id.as_str()), "{value:?}");
        assert_eq!(
            by_external.str("Last_Name").unwrap().as_deref(),
            Some(*value)
        );
        let found = h
            .call(
                &s,
                &SearchRecords::criteria("Leads", Criteria::equals("Last_Name", *value)),
            )
            .expect("search by criteria");
        let found: Vec<_> = found.records.iter().filter_map(|r| r.id()).collect();
        assert_eq!(found, [id.as_str()], "{value:?}");
    }
    let word = h
        .call(&s, &SearchRecords::word("Leads", "東京"))
        .expect("search by word");
    assert_eq!(word.records.len(), 1);
    // Field names in a list query stay readable; the values decode back exactly.
    let _ = h.call(&s, &ListRecords::new("Leads", ["Last_Name", "Company"]));
    let last = mock.requests().into_iter().last().unwrap();
    assert!(
        last.query()
            .unwrap_or_default()
            .contains("fields=Last_Name,Company"),
        "{last:?}"
    );
}

/// Zoho's per-call limits fail as `Build` errors before anything is sent (no token request,
/// no API request): 101 records, 51 fields, 11 territories, 6 composite sub-requests.
pub fn limits_are_checked_before_sending(h: &impl Harness) {
    let mock = no_leads();
    let s = session(&mock);
    let records = (0..101).map(|i| Record::new().with("Last_Name", format!("R{i}")));
    expect_build(h, &s, &InsertRecords::new("Leads", records), "101 records");
    let fields: Vec<String> = (0..51).map(|i| format!("Field_{i}")).collect();
    expect_build(
        h,
        &s,
        &ListRecords::new("Leads", fields.clone()),
        "51 fields",
    );
    expect_build(
        h,
        &s,
        &GetRecord::new("Leads", "1").fields(fields),
        "51 fields",
    );
    let territories =
        (0..11).map(|i| TerritoryInput::create(format!("T{i}"), "1", PermissionType::ReadOnly));
    expect_build(
        h,
        &s,
        &CreateTerritories::new(territories),
        "11 territories",
    );
    let stats = mock.stats();
    assert_eq!(
        (stats.token_requests, stats.api_requests),
        (0, 0),
        "{stats:?}"
    );
}

fn expect_build<E: Endpoint + Sync>(h: &impl Harness, s: &Arc<Session>, e: &E, what: &str)
where
    E::Output: Send + std::fmt::Debug,
{
    match h.call(s, e) {
        Err(Error::Build(b)) => {
            let text = b.to_string();
            assert!(!text.is_empty(), "{what}");
            let _: &BuildError = &b;
        }
        other => panic!("{what}: expected a build error, got {other:?}"),
    }
}
