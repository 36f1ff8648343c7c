//! No secret in any rendering: every public type that can hold a client secret, refresh token,
//! access token or grant code is rendered with `{:?}`, `{:#?}` and (where it has one) `{}`, and
//! none of the secrets appears, neither as text nor as the byte list `Debug` gives a body. The
//! `tracing` output of whole calls (refresh, 401, replay, failures) is captured and searched
//! the same way.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zohocrm_core::config::{BuildClient, ClientBuilder, TransportConfig};
use zohocrm_core::features::GetUserLicences;
use zohocrm_core::oauth::{
    parse_token_response, ClientCredentialsGrant, ExchangeGrantCode, RefreshAccessToken,
    RevokeToken,
};
use zohocrm_core::{
    AccessToken, ClientSecret, Context, Credentials, DataCenter, Endpoint, Environment, Error,
    Exchange, FileTokenStore, GrantCode, MemoryTokenStore, RefreshToken, Session, StoreOp,
    StoredToken, TokenStore, TransportError,
};

use crate::driving::{poll, respond as answer, t0, Scripted};

const CLIENT_SECRET: &str = "cs-7f3a9c1e5b2d4f6a8e0c";
const REFRESH: &str = "1000.rt0b5e8d2c4a6f1e3d5c7b9a0f2e4d6c8b.a1b2c3d4e5f6a7b8c9d0";
const ACCESS: &str = "1000.at9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b.f0e1d2c3b4a5968778695a4b";
const ACCESS_2: &str = "1000.at2second2second2second2second2s.secondsecondsecond22";
const GRANT: &str = "1000.gc4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f.grantgrantgrant0000";
const SECRETS: [&str; 5] = [CLIENT_SECRET, REFRESH, ACCESS, ACCESS_2, GRANT];

/// Fails if any secret appears in `text`, as text or as the start of a `Debug` byte list.
fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
        // A secret's middle part alone is enough to leak it.
        let middle = &secret[5..secret.len() - 5];
        assert!(
            !text.contains(middle),
            "{what} shows part of a secret: {text}"
        );
        let bytes = format!("{:?}", &secret.as_bytes()[..8]);
        let bytes = bytes.trim_start_matches('[').trim_end_matches(']');
        assert!(
            !text.contains(bytes),
            "{what} shows a secret's bytes: {text}"
        );
    }
}

fn debug(what: &str, value: &impl std::fmt::Debug) {
    assert_clean(what, &format!("{value:?}"));
    assert_clean(what, &format!("{value:#?}"));
}

fn both(what: &str, value: &(impl std::fmt::Debug + std::fmt::Display)) {
    debug(what, value);
    assert_clean(what, &value.to_string());
}

fn credentials() -> Credentials {
    Credentials::refresh_token("client-id", CLIENT_SECRET, REFRESH)
}

fn session() -> Session {
    Session::new(
        Context::new(DataCenter::Us, Environment::Production),
        credentials(),
    )
}

fn respond(status: u16, body: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn token_ok(access: &str) -> http::Response<Vec<u8>> {
    respond(
        200,
        &format!(
            r#"{{"access_token":"{access}","refresh_token":"{REFRESH}","api_domain":"https://www.zohoapis.com","expires_in":3600}}"#
        ),
    )
}

/// Token-endpoint failures that quote the secrets back (as a careless server might).
fn echoing_errors() -> Vec<http::Response<Vec<u8>>> {
    vec![
        respond(
            400,
            &format!(
                r#"{{"error":"invalid_code","error_description":"refresh token {REFRESH} is revoked"}}"#
            ),
        ),
        respond(
            400,
            &format!(r#"{{"error":"invalid_client_secret {CLIENT_SECRET}"}}"#),
        ),
        respond(200, &format!(r#"{{"access_token":"{ACCESS}""#)),
        respond(429, &format!("slow down {REFRESH}")),
        respond(500, &format!(r#"<html>{CLIENT_SECRET}</html>"#)),
    ]
}

#[derive(Debug)]
struct Built(#[allow(dead_code)] Session);

impl BuildClient for Built {
    fn build_client(session: Session, _: TransportConfig) -> Result<Self, Error> {
        Ok(Built(session))
    }
}

#[test]
fn secret_types_and_credentials_are_redacted() {
    both("ClientSecret", &ClientSecret::new(CLIENT_SECRET));
    both("RefreshToken", &RefreshToken::new(REFRESH));
    both("AccessToken", &AccessToken::new(ACCESS));
    both("GrantCode", &GrantCode::new(GRANT));
    debug("Credentials::RefreshToken", &credentials());
    debug(
        "Credentials::ClientCredentials",
        &Credentials::ClientCredentials {
            client_id: "id".into(),
            client_secret: CLIENT_SECRET.into(),
            org_id: "1".into(),
            scope: "ZohoCRM.modules.ALL".into(),
        },
    );
    debug(
        "Credentials::AccessToken",
        &Credentials::AccessToken(ACCESS.into()),
    );
    let mut stored = StoredToken {
        access_token: Some(ACCESS.into()),
        expires_at_unix: 0,
        refresh_token: Some(REFRESH.into()),
        api_domain: Some("https://www.zohoapis.com".into()),
        scope: None,
    };
    stored.set_expires_at(t0());
    debug("StoredToken", &stored);
    debug(
        "StoreOp::Save",
        &StoreOp::Save {
            token: stored.clone(),
            lock: None,
        },
    );
    let memory = MemoryTokenStore::new();
    memory.save(&stored).unwrap();
    debug("MemoryTokenStore", &memory);
    let dir = std::env::temp_dir().join(format!("zohocrm-secrets-{}", std::process::id()));
    let file = FileTokenStore::new(dir.join("t.json"));
    file.save(&stored).unwrap();
    debug("FileTokenStore", &file);
    let _ = std::fs::remove_dir_all(dir);
    let builder = ClientBuilder::<Built>::default()
        .data_center(DataCenter::Eu)
        .credentials(credentials())
        .token_store(Arc::new(memory));
    debug("ClientBuilder", &builder);
    debug("built client", &builder.build().unwrap());
}

#[test]
fn token_requests_are_redacted_at_every_stage() {
    let endpoints: Vec<(&str, zohocrm_core::RequestParts)> = vec![
        (
            "RefreshAccessToken",
            RefreshAccessToken {
                client_id: "id".into(),
                client_secret: CLIENT_SECRET.into(),
                refresh_token: REFRESH.into(),
            }
            .parts()
            .unwrap(),
        ),
        (
            "ExchangeGrantCode",
            ExchangeGrantCode {
                client_id: "id".into(),
                client_secret: CLIENT_SECRET.into(),
                code: GRANT.into(),
                redirect_uri: None,
            }
            .parts()
            .unwrap(),
        ),
        (
            "ClientCredentialsGrant",
            ClientCredentialsGrant {
                client_id: "id".into(),
                client_secret: CLIENT_SECRET.into(),
                org_id: "1".into(),
                scope: "ZohoCRM.modules.ALL".into(),
            }
            .parts()
            .unwrap(),
        ),
        (
            "RevokeToken",
            RevokeToken {
                token: REFRESH.into(),
            }
            .parts()
            .unwrap(),
        ),
    ];
    for (name, parts) in &endpoints {
        debug(name, parts);
        debug(name, &parts.body);
    }
    debug(
        "RefreshAccessToken",
        &RefreshAccessToken {
            client_id: "id".into(),
            client_secret: CLIENT_SECRET.into(),
            refresh_token: REFRESH.into(),
        },
    );

    // The Exchange and its Steps, through a refresh, a 401 and a second refresh.
    let s = Arc::new(session());
    let ep = GetUserLicences;
    let mut ex = Exchange::new(s.clone(), &ep, 1);
    let step = poll(&mut ex, t0());
    debug("Step::Send(token request)", &step);
    debug("Exchange awaiting a token", &ex);
    answer(&mut ex, t0(), token_ok(ACCESS));
    let step = poll(&mut ex, t0());
    debug("Step::Send(API request)", &step);
    debug("Session with a token", &s);
    answer(
        &mut ex,
        t0(),
        respond(
            401,
            r#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#,
        ),
    );
    let step = poll(&mut ex, t0());
    debug("Step::Send(second token request)", &step);
    answer(&mut ex, t0(), token_ok(ACCESS_2));
    debug("Step::Send(replay)", &poll(&mut ex, t0()));
    debug("Session after two tokens", &s);
}

#[test]
fn token_endpoint_errors_never_quote_secrets() {
    for response in echoing_errors() {
        let (head, body) = response.into_parts();
        let view = http::Response::from_parts(head.clone(), body.as_slice());
        let parsed = parse_token_response(&view);
        // The parser alone scrubs what looks like a Zoho token.
        if let Err(e) = &parsed {
            let text = format!("{e} {e:?}");
            assert!(!text.contains(REFRESH) && !text.contains(ACCESS), "{text}");
        }
        // Through a session, every secret it knows is scrubbed too.
        let s = Arc::new(session());
        let ep = GetUserLicences;
        let mut ex = Exchange::new(s.clone(), &ep, 1);
        let _ = poll(&mut ex, t0());
        answer(&mut ex, t0(), http::Response::from_parts(head, body));
        let done = loop {
            match poll(&mut ex, t0() + Duration::from_secs(600)) {
                zohocrm_core::Step::Done(r) => break r,
                zohocrm_core::Step::Send(_) => answer(
                    &mut ex,
                    t0(),
                    respond(400, &format!(r#"{{"error":"{CLIENT_SECRET}"}}"#)),
                ),
                _ => {}
            }
        };
        let e = done.expect_err("the refresh failed");
        both("token endpoint error", &e);
    }
}

// ------------------------------------------------------------------------------------------
// tracing: a subscriber that writes down every span and event with all their fields.

#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Capture {
    fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut f = Fields(String::new());
        span.record(&mut f);
        self.push(format!("span {} {}", span.metadata().name(), f.0));
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        tracing::span::Id::from_u64(id)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut f = Fields(String::new());
        values.record(&mut f);
        self.push(format!("record {}", f.0));
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        self.push(format!("event {} {}", event.metadata().target(), f.0));
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn tracing_records_ids_statuses_and_durations_only() {
    let ok = || {
        respond(
            200,
            r#"{"__features":[{"api_name":"user_licenses","details":{"available_count":{"total":3},"used_count":{"total":7},"limits":{"total":10}}}]}"#,
        )
    };
    let script = vec![
        Ok(token_ok(ACCESS)),
        Ok(respond(
            401,
            r#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#,
        )),
        Ok(token_ok(ACCESS_2)),
        Err(TransportError::new(
            zohocrm_core::TransportErrorKind::Io,
            format!("reset while sending Authorization: Zoho-oauthtoken {ACCESS_2}"),
        )),
        Ok(ok()),
    ];
    let transport = Scripted::new(script);
    let capture = Capture::default();
    let s = Arc::new(session());
    let result = tracing::subscriber::with_default(capture.clone(), || {
        let first = zohocrm_core::send_blocking(&transport, &s, &GetUserLicences);
        // A failing refresh whose body quotes the refresh token.
        let failing = Arc::new(Session::new(
            Context::new(DataCenter::Us, Environment::Production),
            credentials(),
        ));
        transport.responses.lock().unwrap().push(Ok(respond(
            400,
            &format!(r#"{{"error":"invalid_code","error_description":"{REFRESH}"}}"#),
        )));
        let second = zohocrm_core::send_blocking(&transport, &failing, &GetUserLicences);
        (first, second)
    });
    assert!(result.0.is_ok(), "{:?}", result.0);
    assert!(result.1.is_err());
    let lines = capture.lines.lock().unwrap().join("\n");
    assert_clean("tracing output", &lines);
    assert!(!lines.contains("zohoapis.com"), "no URL: {lines}");
    assert!(!lines.contains("authorization"), "no header: {lines}");
    // What it does record.
    assert!(
        lines.contains("span zohocrm.call endpoint=\"features.get_user_licences_count\""),
        "{lines}"
    );
    assert!(lines.contains("kind=\"token\""), "{lines}");
    assert!(lines.contains("status=401"), "{lines}");
    assert!(lines.contains("transport_error=Io"), "{lines}");
    assert!(lines.contains("attempt=3"), "{lines}");
    assert!(lines.contains("duration_ms=7"), "{lines}");
    assert!(lines.contains("error=\"auth:Rejected\""), "{lines}");
}

#[test]
fn downloads_are_traced_like_every_call() {
    let zip = http::Response::builder()
        .status(200)
        .header("content-type", "application/zip")
        .body(vec![1; 4096])
        .unwrap();
    let transport = Scripted::new(vec![Ok(token_ok(ACCESS)), Ok(zip)]);
    let capture = Capture::default();
    let s = Arc::new(session());
    let mut sink = Vec::new();
    let done = tracing::subscriber::with_default(capture.clone(), || {
        zohocrm_core::driver::download_blocking(
            &transport,
            &s,
            &zohocrm_core::bulk::DownloadBulkReadResult::new("111"),
            &mut sink,
        )
    });
    assert_eq!(done.expect("downloaded").bytes, 4096);
    let lines = capture.lines.lock().unwrap().join("\n");
    assert_clean("tracing output", &lines);
    assert!(!lines.contains("/crm/bulk"), "no URL: {lines}");
    assert!(
        lines.contains("span zohocrm.call endpoint=\"bulk_read.download_result\""),
        "{lines}"
    );
    assert!(lines.contains("kind=\"token\""), "{lines}");
    assert!(lines.contains("status=200"), "{lines}");
    assert!(lines.contains("zohocrm call succeeded"), "{lines}");
}
