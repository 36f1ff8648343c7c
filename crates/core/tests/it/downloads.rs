//! The driver's download path: the same loop as every call (token, permit, retries, tracing),
//! with the body streamed to the sink up to `TransportConfig::max_download_bytes`.

use std::sync::Arc;

use zohocrm_core::bulk::DownloadBulkReadResult;
use zohocrm_core::config::TransportConfig;
use zohocrm_core::driver::download_blocking;
use zohocrm_core::{
    Context, Credentials, DataCenter, Environment, Error, Session, TransportErrorKind,
};

use crate::driving::Scripted;

fn session() -> Arc<Session> {
    Arc::new(Session::new(
        Context::new(DataCenter::Us, Environment::Production),
        Credentials::refresh_token("id", "secret", "refresh"),
    ))
}

fn token() -> http::Response<Vec<u8>> {
    http::Response::new(
        br#"{"access_token":"fake-access","api_domain":"https://www.zohoapis.com","expires_in":3600}"#
            .to_vec(),
    )
}

fn zip(len: usize, declared: bool) -> http::Response<Vec<u8>> {
    let mut r = http::Response::builder()
        .status(200)
        .header("content-type", "application/zip");
    if declared {
        r = r.header("content-length", len);
    }
    r.body(vec![7; len]).unwrap()
}

fn with_cap(script: Vec<http::Response<Vec<u8>>>, cap: u64) -> Scripted {
    let mut t = Scripted::new(script.into_iter().map(Ok).collect());
    t.config = TransportConfig::default().max_download_bytes(cap);
    t
}

#[test]
fn a_download_refreshes_takes_a_permit_and_streams() {
    let t = with_cap(vec![token(), zip(300_000, false)], 1 << 30);
    let s = session();
    let mut sink = Vec::new();
    let done = download_blocking(&t, &s, &DownloadBulkReadResult::new("1"), &mut sink).unwrap();
    assert_eq!((done.bytes, sink.len()), (300_000, 300_000));
    assert_eq!(done.content_type.as_deref(), Some("application/zip"));
    assert_eq!(s.mint_count(), 1);
    assert_eq!(s.limiter().peak(), 1, "the download held a permit");
    assert_eq!(s.limiter().in_flight(), 0, "and gave it back");
}

fn expect_cap(result: Result<zohocrm_core::stream::Downloaded, Error>) {
    match result {
        Err(Error::Transport(t)) => {
            assert_eq!(t.kind(), TransportErrorKind::BodyTooLarge, "{t}");
            assert!(t.to_string().contains("max_download_bytes"), "{t}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_download_past_the_cap_stops_there_and_is_not_retried() {
    let t = with_cap(vec![token(), zip(1000, false), zip(10, false)], 100);
    let s = session();
    let mut sink = Vec::new();
    expect_cap(download_blocking(
        &t,
        &s,
        &DownloadBulkReadResult::new("1"),
        &mut sink,
    ));
    assert!(sink.len() <= 100, "{} bytes written", sink.len());
    assert_eq!(t.responses.lock().unwrap().len(), 1, "not retried");
    assert_eq!(s.limiter().in_flight(), 0);
}

#[test]
fn a_download_declaring_more_than_the_cap_writes_nothing() {
    let t = with_cap(vec![token(), zip(1000, true)], 100);
    let mut sink = Vec::new();
    expect_cap(download_blocking(
        &t,
        &session(),
        &DownloadBulkReadResult::new("1"),
        &mut sink,
    ));
    assert!(sink.is_empty());
}

#[test]
fn a_json_answer_to_a_download_is_zohos_error() {
    let refused = http::Response::builder()
        .status(400)
        .header("content-type", "application/json")
        .body(
            br#"{"code":"INVALID_DATA","details":{},"message":"no such job","status":"error"}"#
                .to_vec(),
        )
        .unwrap();
    let t = with_cap(vec![token(), refused], 100);
    let mut sink = Vec::new();
    let result = download_blocking(&t, &session(), &DownloadBulkReadResult::new("1"), &mut sink);
    assert!(
        matches!(result, Err(Error::Api { status: 400, .. })),
        "{result:?}"
    );
    assert!(sink.is_empty());
}
