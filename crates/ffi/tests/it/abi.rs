//! The ABI's contract on its own (no network): the loop through refresh, 401 replay and 429
//! retry with a scripted server and a manual clock, misuse reported as errors, secrets kept
//! out of every returned JSON, sessions shared between threads.

use std::ffi::c_char;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use zohocrm_ffi::*;

use crate::util::{cstr, request_of, take, Session, NOW};

const CLIENT_SECRET: &str = "secret-client-value";
const REFRESH_TOKEN: &str = "secret-refresh-value";

fn refresh_session() -> Session {
    Session::new(&json!({
        "accounts_url": "http://127.0.0.1:9",
        "api_domain": "http://127.0.0.1:9",
        "credentials": {
            "client_id": "client-1",
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        },
    }))
    .unwrap()
}

fn token_body(token: &str) -> Vec<u8> {
    json!({"access_token": token, "expires_in": 3600, "api_domain": "http://127.0.0.1:9",
           "token_type": "Bearer"})
    .to_string()
    .into_bytes()
}

fn licences_body() -> Vec<u8> {
    json!({"__features": [{"api_name": "user_licenses", "details": {
        "available_count": {"total": 3}, "used_count": {"total": 7}, "limit": {"total": 10}}}]})
    .to_string()
    .into_bytes()
}

const JSON_HEADERS: &str = r#"[["content-type","application/json;charset=UTF-8"]]"#;

fn json_headers() -> Value {
    serde_json::from_str(JSON_HEADERS).unwrap()
}

#[test]
fn the_loop_refreshes_replays_after_401_and_retries_after_429() {
    let session = refresh_session();
    let op = "features.get_user_licences_count";

    // No token: refresh first, then the call.
    let mut ex = session.exchange(op, None, 1).unwrap();
    let token = ex.poll(NOW);
    let req = request_of(&token);
    assert_eq!(req.method(), "POST");
    assert_eq!(req.uri(), "http://127.0.0.1:9/oauth/v2/token");
    ex.respond(NOW, 200, &json_headers(), &token_body("access-one-111"))
        .unwrap();
    let call = ex.poll(NOW);
    let req = request_of(&call);
    assert_eq!(
        req.uri(),
        "http://127.0.0.1:9/crm/v8/__features/user_licenses"
    );
    assert_eq!(
        req.headers()["authorization"],
        "Zoho-oauthtoken access-one-111"
    );
    ex.respond(NOW, 200, &json_headers(), &licences_body())
        .unwrap();
    let done = ex.poll(NOW);
    assert_eq!(done["step"], "done", "{done}");
    assert_eq!(done["ok"], true);
    assert_eq!(done["output"]["limit"], 10, "{done}");
    assert_eq!(session.info()["mint_count"], 1);

    // 401 INVALID_TOKEN: refresh once, replay with the new token.
    let mut ex = session.exchange(op, None, 2).unwrap();
    let call = ex.poll(NOW + 10);
    assert_eq!(
        request_of(&call).headers()["authorization"],
        "Zoho-oauthtoken access-one-111"
    );
    let invalid = br#"{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}"#;
    ex.respond(NOW + 10, 401, &json_headers(), invalid).unwrap();
    let refresh = ex.poll(NOW + 10);
    assert!(refresh["url"]
        .as_str()
        .unwrap()
        .ends_with("/oauth/v2/token"));
    ex.respond(
        NOW + 10,
        200,
        &json_headers(),
        &token_body("access-two-222"),
    )
    .unwrap();
    let replay = ex.poll(NOW + 10);
    assert_eq!(
        request_of(&replay).headers()["authorization"],
        "Zoho-oauthtoken access-two-222"
    );
    ex.respond(NOW + 10, 200, &json_headers(), &licences_body())
        .unwrap();
    assert_eq!(ex.poll(NOW + 10)["ok"], true);

    // 429 with Retry-After: sleep at least that long (by the caller's clock), then retry.
    let mut ex = session.exchange(op, None, 3).unwrap();
    let _ = ex.poll(NOW + 20);
    let throttled =
        br#"{"code":"TOO_MANY_REQUESTS","details":{},"message":"slow down","status":"error"}"#;
    let headers = json!({"content-type": "application/json", "retry-after": "2"});
    ex.respond(NOW + 20, 429, &headers, throttled).unwrap();
    let sleep = ex.poll(NOW + 20);
    assert_eq!(sleep["step"], "sleep", "{sleep}");
    let ms = sleep["ms"].as_i64().unwrap();
    assert!((2000..=3000).contains(&ms), "{sleep}");
    // Polling early only says how much is left; the caller's clock decides.
    let early = ex.poll(NOW + 20 + 500);
    assert_eq!(early["step"], "sleep");
    assert_eq!(early["ms"].as_i64().unwrap(), ms - 500);
    let retry = ex.poll(NOW + 20 + ms);
    assert_eq!(retry["step"], "send", "{retry}");
    ex.respond(NOW + 20 + ms, 200, &json_headers(), &licences_body())
        .unwrap();
    assert_eq!(ex.poll(NOW + 20 + ms)["ok"], true);
    assert_eq!(session.info()["mint_count"], 2);
}

#[test]
fn errors_carry_kind_code_status_and_never_secrets() {
    let session = refresh_session();
    let op = "features.get_user_licences_count";
    let mut ex = session.exchange(op, None, 1).unwrap();
    let token = ex.poll(NOW);
    // The token request itself must carry the secrets (base64 form body): that is the IO.
    let form = String::from_utf8(request_of(&token).into_body()).unwrap();
    assert!(form.contains(REFRESH_TOKEN) && form.contains(CLIENT_SECRET));
    ex.respond(NOW, 200, &json_headers(), &token_body("access-leak-333"))
        .unwrap();
    let _ = ex.poll(NOW);
    // A proxy page that quotes the token and the secrets back.
    let page = format!("<html>bad gateway access-leak-333 {CLIENT_SECRET} {REFRESH_TOKEN}</html>");
    let headers = json!([["content-type", "text/html"]]);
    ex.respond(NOW, 502, &headers, page.as_bytes()).unwrap();
    // 502 on a GET is retried: answer the retries the same way until the core gives up.
    let mut now = NOW;
    let done = loop {
        let step = ex.poll(now);
        match step["step"].as_str().unwrap() {
            "sleep" => now += step["ms"].as_i64().unwrap(),
            "send" => ex.respond(now, 502, &headers, page.as_bytes()).unwrap(),
            _ => break step,
        }
    };
    assert_eq!(done["ok"], false, "{done}");
    let error = &done["error"];
    assert_eq!(error["kind"], "http", "{error}");
    assert_eq!(error["status"], 502);
    let text = done.to_string();
    for secret in ["access-leak-333", CLIENT_SECRET, REFRESH_TOKEN] {
        assert!(!text.contains(secret), "`{secret}` in {text}");
    }
    assert!(text.contains("<redacted>"), "{text}");

    // Zoho errors keep Zoho's code, message, status and details.
    let mut ex = session
        .exchange("territories.get_territory", Some(&json!({"id": "42"})), 1)
        .unwrap();
    let _ = ex.poll(NOW);
    let body = br#"{"code":"INVALID_DATA","details":{"resource_path_index":0},"message":"the id given seems to be invalid","status":"error"}"#;
    ex.respond(NOW, 400, &json_headers(), body).unwrap();
    let done = ex.poll(NOW);
    assert_eq!(
        done["error"],
        json!({"kind": "api", "code": "INVALID_DATA", "message": "the id given seems to be invalid",
               "status": 400, "details": {"resource_path_index": 0}})
    );

    // Invalid parameters: a build error from the first poll, before any IO.
    let mut ex = session
        .exchange(
            "territories.get_territories",
            Some(&json!({"per_page": 0})),
            1,
        )
        .unwrap();
    let done = ex.poll(NOW);
    assert_eq!(done["step"], "done");
    assert_eq!(done["error"]["kind"], "build", "{done}");

    // A transport failure: connect errors retry, then give up with the transport kind.
    let mut ex = session.exchange(op, None, 1).unwrap();
    let mut now = NOW;
    let done = loop {
        let step = ex.poll(now);
        match step["step"].as_str().unwrap() {
            "sleep" => now += step["ms"].as_i64().unwrap(),
            "send" => ex
                .transport_error(now, "connect", "connection refused")
                .unwrap(),
            _ => break step,
        }
    };
    assert_eq!(done["error"]["kind"], "transport", "{done}");
    assert_eq!(done["error"]["code"], "connect", "{done}");

    let info = session.info().to_string();
    for secret in ["access-leak-333", CLIENT_SECRET, REFRESH_TOKEN] {
        assert!(!info.contains(secret), "{info}");
    }
}

#[test]
fn misuse_is_an_error_object_never_a_crash() {
    fn error_of(rc: i32, out: *mut c_char) -> Value {
        assert_eq!(rc, ZCRM_ERROR);
        take(out).expect("error object")
    }
    let mut out: *mut c_char = ptr::null_mut();
    let mut session: *mut ZcrmSession = ptr::null_mut();
    let mut exchange: *mut ZcrmExchange = ptr::null_mut();
    // SAFETY: every pointer passed is NULL or valid; that is what is being tested.
    unsafe {
        let e = error_of(zcrm_session_new(ptr::null(), &mut session, &mut out), out);
        assert_eq!(
            (e["kind"].as_str(), e["code"].as_str()),
            (Some("ffi"), Some("null_pointer"))
        );
        assert!(session.is_null());
        let bad_utf8 = [0xffu8, 0xfe, 0];
        let e = error_of(
            zcrm_session_new(bad_utf8.as_ptr().cast(), &mut session, &mut out),
            out,
        );
        assert_eq!(e["code"], "invalid_utf8");
        // NULL out pointers: nothing written, nothing leaked, no crash.
        assert_eq!(
            zcrm_session_new(ptr::null(), ptr::null_mut(), ptr::null_mut()),
            ZCRM_ERROR
        );
        assert_eq!(
            zcrm_exchange_poll(ptr::null_mut(), NOW, ptr::null_mut()),
            ZCRM_ERROR
        );

        let e = error_of(zcrm_exchange_poll(ptr::null_mut(), NOW, &mut out), out);
        assert_eq!(e["code"], "null_pointer");
        let op = cstr("features.get_user_licences_count");
        let e = error_of(
            zcrm_exchange_new(
                ptr::null(),
                op.as_ptr(),
                ptr::null(),
                0,
                &mut exchange,
                &mut out,
            ),
            out,
        );
        assert_eq!(e["code"], "null_pointer");
        let e = error_of(zcrm_session_info(ptr::null(), &mut out), out);
        assert_eq!(e["code"], "null_pointer");
        zcrm_session_free(ptr::null_mut());
        zcrm_exchange_free(ptr::null_mut());
        zcrm_string_free(ptr::null_mut());
        assert_eq!(zcrm_abi_version(), ZCRM_ABI_VERSION);
    }

    let session =
        Session::new(&json!({"data_center": "in", "credentials": {"access_token": "at-123456"}}))
            .unwrap();
    assert!(session.exchange("no.such_op", None, 0).is_err());
    let bad_params = cstr("{not json");
    let op = cstr("territories.get_territories");
    // SAFETY: valid pointers.
    unsafe {
        let e = error_of(
            zcrm_exchange_new(
                session.0,
                op.as_ptr(),
                bad_params.as_ptr(),
                0,
                &mut exchange,
                &mut out,
            ),
            out,
        );
        assert_eq!(e["code"], "invalid_json");
        assert!(exchange.is_null());
    }

    let mut ex = session
        .exchange("territories.get_territories", None, 0)
        .unwrap();
    // SAFETY: a live handle and valid out pointer.
    let e = unsafe { error_of(zcrm_exchange_poll(ex.0, -1, &mut out), out) };
    assert_eq!(e["code"], "invalid_argument");
    // A response with no request in flight ends the call with a clear error.
    ex.respond(NOW, 200, &json!([]), b"{}").unwrap();
    let done = ex.poll(NOW);
    assert_eq!(done["ok"], false);
    assert!(
        done["error"]["message"]
            .as_str()
            .unwrap()
            .contains("misuse"),
        "{done}"
    );
    // Polling after completion, too.
    assert_eq!(ex.poll(NOW)["ok"], false);

    let mut ex = session
        .exchange("territories.get_territories", None, 0)
        .unwrap();
    assert_eq!(ex.poll(NOW)["step"], "send");
    assert_eq!(
        ex.transport_error(NOW, "bogus", "x").unwrap_err()["code"],
        "invalid_argument"
    );
    assert_eq!(
        ex.respond(NOW, 1000, &json!([]), b"").unwrap_err()["code"],
        "invalid_argument"
    );
    assert_eq!(
        ex.respond(NOW, 200, &json!("headers"), b"").unwrap_err()["code"],
        "invalid_argument"
    );
    // Object headers with repeated values are fine; invalid header names are skipped.
    ex.respond(
        NOW,
        200,
        &json!({"content-type": "application/json", "x-many": ["a", "b"], "bad name": "x"}),
        br#"{"territories":[]}"#,
    )
    .unwrap();
    assert_eq!(ex.poll(NOW)["ok"], true);

    // NULL body with a length: an error, not a read of address 0.
    let mut ex = session
        .exchange("territories.get_territories", None, 0)
        .unwrap();
    let _ = ex.poll(NOW);
    // SAFETY: a live handle; the NULL body is the point.
    let e = unsafe {
        error_of(
            zcrm_exchange_on_response(ex.0, NOW, 200, ptr::null(), ptr::null(), 5, &mut out),
            out,
        )
    };
    assert_eq!(e["code"], "null_pointer");
}

#[test]
fn an_exchange_outlives_its_session_handle() {
    let session =
        Session::new(&json!({"data_center": "eu", "credentials": {"access_token": "at-123456"}}))
            .unwrap();
    let mut ex = session
        .exchange("territories.get_territories", Some(&json!({"page": 1})), 0)
        .unwrap();
    drop(session);
    let step = ex.poll(NOW);
    assert_eq!(
        step["url"],
        "https://www.zohoapis.eu/crm/v8/settings/territories?page=1"
    );
    ex.respond(NOW, 204, &json!([]), b"").unwrap();
    assert_eq!(ex.poll(NOW)["step"], "done");
}

#[test]
fn one_session_many_threads_one_refresh() {
    let session = Arc::new(refresh_session());
    let token_sends = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let session = session.clone();
            let token_sends = token_sends.clone();
            std::thread::spawn(move || {
                let mut ex = session
                    .exchange("features.get_user_licences_count", None, i)
                    .unwrap();
                let mut now = NOW;
                loop {
                    let step = ex.poll(now);
                    match step["step"].as_str().unwrap() {
                        "send" => {
                            let req = request_of(&step);
                            let body = if req.uri().path() == "/oauth/v2/token" {
                                token_sends.fetch_add(1, Ordering::SeqCst);
                                // Slow token endpoint: the others must wait, not refresh.
                                std::thread::sleep(std::time::Duration::from_millis(50));
                                token_body("access-shared-444")
                            } else {
                                assert_eq!(
                                    req.headers()["authorization"],
                                    "Zoho-oauthtoken access-shared-444"
                                );
                                licences_body()
                            };
                            ex.respond(now, 200, &json_headers(), &body).unwrap();
                        }
                        "sleep" => {
                            let ms = step["ms"].as_u64().unwrap();
                            std::thread::sleep(std::time::Duration::from_millis(ms));
                            now += ms as i64;
                        }
                        _ => return step,
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let done = t.join().unwrap();
        assert_eq!(done["ok"], true, "{done}");
    }
    assert_eq!(token_sends.load(Ordering::SeqCst), 1);
    assert_eq!(session.info()["mint_count"], 1);
}

#[test]
fn operations_and_next_page() {
    let mut out = ptr::null_mut();
    // SAFETY: a valid out pointer.
    let rc = unsafe { zcrm_operations(&mut out) };
    assert_eq!(rc, ZCRM_OK);
    let ops = take(out).unwrap();
    let ops = ops.as_array().unwrap();
    assert_eq!(ops.len(), zohocrm_core::registry::all().len());
    assert!(ops.contains(&json!("territories.get_territories")));

    let next = |params: &str, output: &str| {
        let op = cstr("territories.get_territories");
        let params = cstr(params);
        let output = cstr(output);
        let mut out = ptr::null_mut();
        // SAFETY: valid strings and out pointer.
        let rc = unsafe { zcrm_next_page(op.as_ptr(), params.as_ptr(), output.as_ptr(), &mut out) };
        (rc, take(out).unwrap())
    };
    let (rc, v) = next(
        r#"{"per_page":2}"#,
        r#"{"territories":[{"id":"1"},{"id":"2"}],"info":{"page":1,"per_page":2,"more_records":true}}"#,
    );
    assert_eq!(rc, ZCRM_OK);
    assert_eq!(v, json!({"per_page": 2, "page": 2}));
    let (_, v) = next(
        r#"{"page":2}"#,
        r#"{"territories":[{"id":"3"}],"info":{"page":2,"more_records":false}}"#,
    );
    assert_eq!(v, Value::Null);
    let (rc, v) = next("[1]", "{}");
    assert_eq!(rc, ZCRM_ERROR);
    assert_eq!(v["code"], "invalid_argument");
}

/// `granted_scopes` and `scope_preflight` reach the session: a call whose operation needs a
/// scope the token lacks fails before anything is sent, unless the preflight is off; the
/// `concurrency` limits are accepted, and a typo under them is refused.
#[test]
fn scopes_and_concurrency_from_the_config() {
    let config = |extra: Value| {
        let mut c = json!({
            "accounts_url": "http://127.0.0.1:9",
            "api_domain": "http://127.0.0.1:9",
            "credentials": {"access_token": "1000.ffi-scope-token"},
            "granted_scopes": "ZohoCRM.settings.READ, ZohoCRM.modules.ALL",
            "concurrency": {"max_concurrent": 3, "max_heavy": 1},
        });
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let session = Session::new(&config(json!({}))).unwrap();
    let mut ex = session.exchange("users.get_users", None, 1).unwrap();
    let step = ex.poll(NOW);
    assert_eq!(step["step"], "done", "{step}");
    assert_eq!(step["ok"], false);
    assert_eq!(step["error"]["kind"], "scope", "{step}");
    assert!(
        step["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ZohoCRM.users"),
        "{step}"
    );

    let session = Session::new(&config(json!({"scope_preflight": false}))).unwrap();
    let mut ex = session.exchange("users.get_users", None, 1).unwrap();
    assert_eq!(ex.poll(NOW)["step"], "send");

    let typo = Session::new(&config(json!({"concurrency": {"max_concurent": 3}})));
    let err = typo
        .err()
        .expect("an unknown key under concurrency is refused");
    assert!(
        err["message"].as_str().unwrap().contains("max_concurent"),
        "{err}"
    );
}
