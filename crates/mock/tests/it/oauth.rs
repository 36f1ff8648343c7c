use std::time::Duration;

use serde_json::json;
use zohocrm_mock::{MockConfig, MockZoho, Stats};

use crate::client::{send, token, Api, REFRESH_FORM};

#[tokio::test]
async fn refresh_grant_mints_tokens() {
    let mock = MockZoho::start().await.unwrap();
    let base = mock.base_url();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));
    let resp = token(&base, REFRESH_FORM).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json(),
        json!({"access_token": "mock-access-1", "api_domain": base, "token_type": "Bearer", "expires_in": 3600})
    );
    // The same parameters in the query string work too.
    let resp = send(
        &base,
        "POST",
        &format!("/oauth/v2/token?{REFRESH_FORM}"),
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.json()["access_token"], "mock-access-2");
    let stats = mock.stats();
    assert_eq!(
        stats,
        Stats {
            token_requests: 2,
            mints: 2,
            // One connection per request: this test's client does not keep connections alive.
            connections: stats.connections,
            ..Stats::default()
        }
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn refresh_grant_errors() {
    let mock = MockZoho::start().await.unwrap();
    let base = mock.base_url();
    let bad_client = REFRESH_FORM.replace("mock-client-secret", "nope");
    let resp = token(&base, &bad_client).await;
    assert_eq!(
        (resp.status, resp.json()),
        (400, json!({"error": "invalid_client"}))
    );
    let bad_rt = REFRESH_FORM.replace("mock-refresh-token", "nope");
    let resp = token(&base, &bad_rt).await;
    assert_eq!(
        (resp.status, resp.json()),
        (400, json!({"error": "invalid_code"}))
    );
    let resp = token(&base, "grant_type=password").await;
    assert_eq!(resp.json(), json!({"error": "unsupported_grant_type"}));
    assert_eq!(mock.stats().mints, 0);
    assert_eq!(mock.stats().token_requests, 3);
}

#[tokio::test]
async fn grant_code_is_single_use() {
    let mock = MockZoho::start().await.unwrap();
    let form = "grant_type=authorization_code&client_id=mock-client-id&client_secret=mock-client-secret&code=mock-grant-code&redirect_uri=http%3A%2F%2Flocalhost";
    let resp = token(&mock.base_url(), form).await;
    assert_eq!(resp.status, 200);
    let body = resp.json();
    assert_eq!(body["refresh_token"], "mock-refresh-token");
    assert!(body["scope"].as_str().unwrap().contains("ZohoCRM"));
    assert_eq!(body["expires_in"], 3600);
    let resp = token(&mock.base_url(), form).await;
    assert_eq!(
        (resp.status, resp.json()),
        (400, json!({"error": "invalid_code"}))
    );
}

#[tokio::test]
async fn client_credentials_need_soid() {
    let mock = MockZoho::start().await.unwrap();
    let form = "grant_type=client_credentials&client_id=mock-client-id&client_secret=mock-client-secret&scope=ZohoCRM.modules.ALL";
    let resp = token(&mock.base_url(), form).await;
    assert_eq!(
        (resp.status, resp.json()),
        (400, json!({"error": "missing_org_info"}))
    );
    let resp = token(&mock.base_url(), &format!("{form}&soid=ZohoCRM.mock-org-1")).await;
    assert_eq!(resp.status, 200);
    assert!(resp.json().get("refresh_token").is_none());
    // The token works on the API.
    let api = crate::client::Api {
        base: mock.base_url(),
        token: resp.json()["access_token"].as_str().unwrap().to_owned(),
    };
    assert_eq!(
        api.get("/crm/v8/__features/user_licenses").await.status,
        200
    );
}

#[tokio::test]
async fn eleventh_mint_in_the_window_is_refused() {
    // A window far longer than ten mints take, however loaded the machine.
    let config = MockConfig {
        mint_window: Duration::from_secs(600),
        ..MockConfig::default()
    };
    let mock = MockZoho::start_with(config).await.unwrap();
    for _ in 0..10 {
        assert_eq!(token(&mock.base_url(), REFRESH_FORM).await.status, 200);
    }
    let resp = token(&mock.base_url(), REFRESH_FORM).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        json!({
            "error_description": "You have made too many requests continuously. Please try again after some time.",
            "error": "Access Denied",
            "status": "failure"
        })
    );
    assert_eq!(mock.stats().mints, 10);
}

#[tokio::test]
async fn mints_are_allowed_again_once_the_window_has_passed() {
    let config = MockConfig {
        mint_window: Duration::from_millis(300),
        ..MockConfig::default()
    };
    let mock = MockZoho::start_with(config).await.unwrap();
    for _ in 0..10 {
        token(&mock.base_url(), REFRESH_FORM).await;
    }
    // A sleep is a lower bound: every mint above is now older than the window.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(token(&mock.base_url(), REFRESH_FORM).await.status, 200);
}

#[tokio::test]
async fn revoke_kills_refresh_and_access_tokens() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    assert_eq!(
        api.get("/crm/v8/__features/user_licenses").await.status,
        200
    );
    let revoke = "/oauth/v2/token/revoke?token=mock-refresh-token";
    let resp = send(&mock.base_url(), "POST", revoke, &[], b"").await;
    assert_eq!(
        (resp.status, resp.json()),
        (200, json!({"status": "success"}))
    );
    let resp = api.get("/crm/v8/__features/user_licenses").await;
    assert_eq!(resp.status, 401);
    let resp = token(&mock.base_url(), REFRESH_FORM).await;
    assert_eq!(resp.json(), json!({"error": "invalid_code"}));
    let resp = send(&mock.base_url(), "POST", revoke, &[], b"").await;
    assert_eq!(
        (resp.status, resp.json()),
        (400, json!({"status": "failure", "error": "invalid_token"}))
    );
    assert_eq!(mock.stats().revoked, 1);
}

#[tokio::test]
async fn api_needs_a_live_token() {
    // Long enough for a call right after the mint on a loaded machine.
    let config = MockConfig {
        token_ttl: Duration::from_secs(2),
        ..MockConfig::default()
    };
    let mock = MockZoho::start_with(config).await.unwrap();
    let invalid = json!({"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"});
    let path = "/crm/v8/settings/territories";
    let resp = send(&mock.base_url(), "GET", path, &[], b"").await;
    assert_eq!((resp.status, resp.json()), (401, invalid.clone()));
    let resp = send(
        &mock.base_url(),
        "GET",
        path,
        &[("authorization", "Bearer mock-access-1")],
        b"",
    )
    .await;
    assert_eq!(resp.status, 401);
    let resp = send(
        &mock.base_url(),
        "GET",
        path,
        &[("authorization", "Zoho-oauthtoken made-up")],
        b"",
    )
    .await;
    assert_eq!(resp.status, 401);

    let api = Api::new(&mock).await;
    assert_eq!(api.get(path).await.status, 200);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(api.get(path).await.json(), invalid);

    let api = Api::new(&mock).await;
    assert_eq!(api.get(path).await.status, 200);
    mock.expire_tokens();
    assert_eq!(api.get(path).await.status, 401);
    // Refused requests still count as API requests, never as writes.
    let stats = mock.stats();
    assert_eq!((stats.api_requests, stats.writes, stats.mints), (7, 0, 2));
}

#[tokio::test]
async fn unknown_urls_and_bad_bodies() {
    let mock = MockZoho::start().await.unwrap();
    let api = Api::new(&mock).await;
    let resp = api.get("/crm/v8/no/such/thing").await;
    assert_eq!(resp.status, 404);
    assert_eq!(
        resp.json(),
        json!({"code": "INVALID_URL_PATTERN", "details": {}, "message": "Please check if the URL trying to access is a correct one", "status": "error"})
    );
    assert_eq!(api.get("/nowhere").await.status, 404);
    let resp = api.call("POST", "/crm/v8/settings/territories", None).await;
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!("INVALID_DATA"))
    );
    let auth = format!("Zoho-oauthtoken {}", api.token);
    let resp = send(
        &mock.base_url(),
        "POST",
        "/crm/v8/settings/territories",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        b"{\"territories\": [",
    )
    .await;
    assert_eq!(
        (resp.status, resp.json()["code"].clone()),
        (400, json!("INVALID_DATA"))
    );
    let resp = api
        .call("PATCH", "/crm/v8/settings/territories", None)
        .await;
    assert_eq!(resp.json()["code"], "INVALID_REQUEST_METHOD");
    // A malformed HTTP request gets a 400 and a closed connection, not a crash.
    let bytes = crate::client::raw(&mock.base_url(), b"GARBAGE\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(crate::client::parse(&bytes).unwrap().status, 400);
    assert_eq!(
        api.get("/crm/v8/__features/user_licenses").await.status,
        200
    );
}

/// A `multipart/form-data` body with these text fields (the Node SDK's token requests).
fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----mock7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[tokio::test]
async fn token_parameters_may_come_as_form_data() {
    let mock = MockZoho::start().await.unwrap();
    let base = mock.base_url();
    let client = [
        ("client_id", "mock-client-id"),
        ("client_secret", "mock-client-secret"),
    ];
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let base = base.clone();
        async move {
            let (ct, body) = multipart(&fields);
            send(
                &base,
                "POST",
                "/oauth/v2/token",
                &[("content-type", &ct)],
                &body,
            )
            .await
        }
    };
    let mut refresh = client.to_vec();
    refresh.extend([
        ("grant_type", "refresh_token"),
        ("refresh_token", "mock-refresh-token"),
    ]);
    let resp = post(refresh).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.json()["access_token"], "mock-access-1");
    let mut code = client.to_vec();
    code.extend([
        ("grant_type", "authorization_code"),
        ("code", "mock-grant-code"),
    ]);
    let resp = post(code).await;
    assert_eq!(resp.json()["refresh_token"], "mock-refresh-token");
    let mut cc = client.to_vec();
    cc.extend([
        ("grant_type", "client_credentials"),
        ("soid", "ZohoCRM.mock-org-1"),
    ]);
    assert_eq!(post(cc).await.status, 200);
    // The query and the body combine (the body wins).
    let (ct, body) = multipart(&[("client_secret", "mock-client-secret")]);
    let resp = send(
        &base,
        "POST",
        "/oauth/v2/token?grant_type=refresh_token&client_id=mock-client-id&client_secret=wrong&refresh_token=mock-refresh-token",
        &[("content-type", &ct)],
        &body,
    )
    .await;
    assert_eq!(resp.status, 200);
    // Revoking with a form-data body.
    let (ct, body) = multipart(&[("token", "mock-refresh-token")]);
    let resp = send(
        &base,
        "POST",
        "/oauth/v2/token/revoke",
        &[("content-type", &ct)],
        &body,
    )
    .await;
    assert_eq!(resp.json(), json!({"status": "success"}));
    assert_eq!(mock.stats().revoked, 1);
    assert_eq!(mock.stats().mints, 4);
}
