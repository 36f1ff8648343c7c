use std::time::{Duration, Instant};

use serde_json::json;
use zohocrm_mock::{internal_error, too_many_requests, Fault, FaultKind, MockZoho};

use crate::client::{build, parse, raw, token, Api, REFRESH_FORM};

const LICENCES: &str = "/crm/v8/__features/user_licenses";

#[tokio::test]
async fn status_faults_fire_the_given_number_of_times() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    mock.inject(Fault {
        path_prefix: Some("/crm/v8/settings".into()),
        skip: 0,
        times: 2,
        kind: too_many_requests(),
    });
    // Not matching the prefix: untouched.
    assert_eq!(api.get(LICENCES).await.status, 200);
    for _ in 0..2 {
        let resp = api.get("/crm/v8/settings/territories").await;
        assert_eq!(resp.status, 429);
        assert_eq!(resp.header("retry-after"), Some("1"));
        assert_eq!(resp.json()["code"], "TOO_MANY_REQUESTS");
    }
    assert_eq!(api.get("/crm/v8/settings/territories").await.status, 200);

    mock.inject(Fault::once(internal_error()));
    let resp = api.get(LICENCES).await;
    assert_eq!(resp.status, 500);
    assert_eq!(
        resp.json(),
        json!({"code": "INTERNAL_ERROR", "details": {}, "message": "Internal Server Error", "status": "error"})
    );
    // Faults come before authentication, and work on the token endpoint too.
    mock.inject(Fault::once(internal_error()).on("/oauth/v2/token"));
    assert_eq!(token(&mock.base_url(), REFRESH_FORM).await.status, 500);
    assert_eq!(token(&mock.base_url(), REFRESH_FORM).await.status, 200);
    let stats = mock.stats();
    assert_eq!((stats.token_requests, stats.mints), (3, 2));
    assert_eq!(stats.api_requests, 5);
}

#[tokio::test]
async fn close_connection_answers_nothing() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    mock.inject(Fault::once(FaultKind::CloseConnection));
    let auth = format!("Zoho-oauthtoken {}", api.token);
    let bytes = raw(
        &mock.base_url(),
        &build(
            &mock.base_url(),
            "GET",
            LICENCES,
            &[("authorization", &auth)],
            b"",
        ),
    )
    .await
    .unwrap_or_default();
    assert!(
        bytes.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&bytes)
    );
    // The request was read and logged.
    assert_eq!(mock.requests().last().unwrap().uri, LICENCES);
    assert_eq!(api.get(LICENCES).await.status, 200);
}

#[tokio::test]
async fn delay_then_answer() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    mock.inject(Fault::once(FaultKind::Delay(Duration::from_millis(300))));
    // Queued behind the delay: it fires on the second request only if the delay fired once.
    mock.inject(Fault::once(FaultKind::Status {
        status: 418,
        body: "{}".into(),
        retry_after: None,
    }));
    let start = Instant::now();
    assert_eq!(api.get(LICENCES).await.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    // No wall-clock upper bound (a loaded machine may be slow): the next fault in line shows
    // that the delay was used up.
    assert_eq!(api.get(LICENCES).await.status, 418);
    assert_eq!(api.get(LICENCES).await.status, 200);
}

#[tokio::test]
async fn truncated_body_and_html_pages() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    mock.inject(Fault::once(FaultKind::TruncatedBody));
    let resp = api.get(LICENCES).await;
    assert_eq!(resp.status, 200);
    let declared: usize = resp.header("content-length").unwrap().parse().unwrap();
    assert!(
        resp.body.len() < declared,
        "{} < {declared}",
        resp.body.len()
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&resp.body).is_err());

    mock.inject(Fault::once(FaultKind::Html { status: 502 }));
    let resp = api.get(LICENCES).await;
    assert_eq!(resp.status, 502);
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&resp.body).contains("<html>"));
    assert_eq!(api.get(LICENCES).await.status, 200);
}

#[tokio::test]
async fn requests_are_logged_in_order() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    api.put(
        "/crm/v8/settings/territories?x=1",
        json!({"territories": [{"id": crate::client::ids::DACH, "description": "d"}]}),
    )
    .await;
    let log = mock.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].method.as_str(), log[0].path()),
        ("POST", "/oauth/v2/token")
    );
    assert_eq!(log[0].body, REFRESH_FORM.as_bytes());
    assert_eq!(log[1].method, "PUT");
    assert_eq!(log[1].uri, "/crm/v8/settings/territories?x=1");
    assert_eq!(log[1].query(), Some("x=1"));
    assert_eq!(
        log[1].header("Authorization"),
        Some(format!("Zoho-oauthtoken {}", api.token).as_str())
    );
    assert!(log[1]
        .headers
        .iter()
        .all(|(k, _)| *k == k.to_ascii_lowercase()));
    let body: serde_json::Value = serde_json::from_slice(&log[1].body).unwrap();
    assert_eq!(body["territories"][0]["description"], "d");
    mock.clear_requests();
    assert!(mock.requests().is_empty());

    // Keep-alive and chunked request bodies work (clients pool connections).
    let auth = format!("Zoho-oauthtoken {}", api.token);
    let chunked = format!(
        "POST /crm/v8/users/{}/territories HTTP/1.1\r\nhost: x\r\nauthorization: {auth}\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{{\"ter\r\n0\r\n\r\nGET {LICENCES} HTTP/1.1\r\nhost: x\r\nauthorization: {auth}\r\nconnection: close\r\n\r\n",
        crate::client::ids::USER7
    );
    let bytes = raw(&mock.base_url(), chunked.as_bytes()).await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(text.matches("HTTP/1.1 ").count(), 2, "{text}");
    assert!(text.starts_with("HTTP/1.1 400 "));
    assert_eq!(mock.requests()[0].body, b"{\"ter");
    let last = &bytes[text.rfind("HTTP/1.1 ").unwrap()..];
    assert_eq!(parse(last).unwrap().status, 200);
}

/// Heavy requests (COQL here) in flight are counted apart: one held by a long delay and one
/// sent meanwhile make two, while ordinary calls add none.
#[tokio::test]
async fn heavy_requests_in_flight_are_counted_apart() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    assert_eq!(api.get(LICENCES).await.status, 200);
    assert_eq!(
        mock.stats().max_heavy_in_flight,
        0,
        "licences are not heavy"
    );
    let query =
        json!({"select_query": "select Last_Name from Leads where Last_Name is not null limit 1"});
    mock.inject(Fault::once(FaultKind::Delay(Duration::from_secs(60))).on("/crm/v8/coql"));
    let held = {
        let (base, token, query) = (api.base.clone(), api.token.clone(), query.clone());
        tokio::spawn(async move { Api { base, token }.post("/crm/v8/coql", query).await })
    };
    let started = Instant::now();
    while mock.stats().api_requests < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the held query arrives"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let resp = api.post("/crm/v8/coql", query).await;
    assert!(resp.status < 300, "{}", resp.status);
    held.abort();
    let stats = mock.stats();
    assert_eq!(stats.max_heavy_in_flight, 2, "{stats:?}");
    assert!(stats.max_in_flight >= 2, "{stats:?}");
}
