use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use zohocrm_mock::{BlockingMock, Fault, MockConfig};

use crate::client::{build, host, parse, Resp, REFRESH_FORM};

fn send(base: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut stream = TcpStream::connect(host(base)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(&build(base, method, path, headers, body))
        .unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).unwrap();
    parse(&out).unwrap()
}

#[test]
fn blocking_mock_serves_and_stops_on_drop() {
    let mock = BlockingMock::start().unwrap();
    let base = mock.base_url();
    let resp = send(
        &base,
        "POST",
        "/oauth/v2/token",
        &[],
        REFRESH_FORM.as_bytes(),
    );
    assert_eq!(resp.status, 200);
    let token = resp.json()["access_token"].as_str().unwrap().to_owned();
    let auth = format!("Zoho-oauthtoken {token}");
    let resp = send(
        &base,
        "GET",
        "/crm/v8/__features/user_licenses",
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(resp.status, 200);
    mock.inject(Fault::once(zohocrm_mock::too_many_requests()));
    let resp = send(
        &base,
        "GET",
        "/crm/v8/__features/user_licenses",
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(resp.status, 429);
    mock.expire_tokens();
    let resp = send(
        &base,
        "GET",
        "/crm/v8/__features/user_licenses",
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(resp.status, 401);
    assert_eq!(mock.requests().len(), 4);
    mock.clear_requests();
    assert!(mock.requests().is_empty());
    let stats = mock.stats();
    assert_eq!((stats.mints, stats.api_requests), (1, 3));
    drop(mock);
    assert!(
        TcpStream::connect(host(&base)).is_err(),
        "still listening after drop"
    );
}

#[test]
fn blocking_mock_reports_start_errors() {
    let config = MockConfig {
        fixtures_dir: Some(std::env::temp_dir().join("zohocrm-mock-no-such-dir-xyz")),
        ..MockConfig::default()
    };
    assert!(BlockingMock::start_with(config).is_err());
}
