//! A deliberately small HTTP/1.1 client: one request per connection (`Connection: close`).

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zohocrm_mock::MockZoho;

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn host(base: &str) -> String {
    base.strip_prefix("http://")
        .expect("http base url")
        .to_owned()
}

pub fn build(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!(
        "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
        host(base)
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends raw bytes and reads until the server closes.
pub async fn raw(base: &str, request: &[u8]) -> std::io::Result<Vec<u8>> {
    tokio::time::timeout(TIMEOUT, async {
        let mut stream = TcpStream::connect(host(base)).await?;
        stream.write_all(request).await?;
        let mut out = Vec::new();
        stream.read_to_end(&mut out).await?;
        Ok(out)
    })
    .await
    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in time"))?
}

/// Parses a response; the body is whatever followed the head (not checked against
/// Content-Length, so truncation stays visible).
pub fn parse(bytes: &[u8]) -> Option<Resp> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&bytes[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some(Resp {
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    })
}

pub async fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let bytes = raw(base, &build(base, method, path, headers, body))
        .await
        .expect("request failed");
    parse(&bytes)
        .unwrap_or_else(|| panic!("no HTTP response: {:?}", String::from_utf8_lossy(&bytes)))
}

/// `POST /oauth/v2/token` with a form body.
pub async fn token(base: &str, form: &str) -> Resp {
    send(
        base,
        "POST",
        "/oauth/v2/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .await
}

pub const REFRESH_FORM: &str = "grant_type=refresh_token&client_id=mock-client-id&client_secret=mock-client-secret&refresh_token=mock-refresh-token";

/// An authenticated API caller.
pub struct Api {
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn new(mock: &MockZoho) -> Api {
        Self::at(&mock.base_url()).await
    }

    pub async fn at(base: &str) -> Api {
        let resp = token(base, REFRESH_FORM).await;
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        let token = resp.json()["access_token"].as_str().unwrap().to_owned();
        Api {
            base: base.to_owned(),
            token,
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let auth = format!("Zoho-oauthtoken {}", self.token);
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let mut headers = vec![("authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        send(&self.base, method, path, &headers, &bytes).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call("POST", path, Some(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call("PUT", path, Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call("DELETE", path, None).await
    }
}

/// Ids of the demo data.
pub mod ids {
    pub const GLOBAL: &str = "5725767000000411001";
    pub const AMERICAS: &str = "5725767000000411002";
    pub const US_EAST: &str = "5725767000000411003";
    pub const US_WEST: &str = "5725767000000411004";
    pub const EMEA: &str = "5725767000000411005";
    pub const DACH: &str = "5725767000000411006";
    pub const USER1: &str = "5725767000000300001";
    pub const USER2: &str = "5725767000000300002";
    pub const USER4: &str = "5725767000000300004";
    pub const USER7: &str = "5725767000000300007";
    pub const USER8_INACTIVE: &str = "5725767000000300008";
    pub const ACME: &str = "5725767000000500001";
    pub const GLOBEX: &str = "5725767000000500002";
    pub const INITECH: &str = "5725767000000500003";
    pub const CONTACT1: &str = "5725767000000510001";
    pub const DEAL1: &str = "5725767000000520001";
}
