//! The server: accepting connections, logging, faults, authentication and routing between the
//! accounts endpoints, the stateful org and fixture replay.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::http1::{self, ReadError};
use crate::oauth::AuthState;
use crate::org::{Org, Routed};
use crate::replay::Replay;
use crate::util::{invalid_url, lock, Request, Response, JSON};
use crate::{Fault, FaultKind, LoggedRequest, MockConfig, Stats};

/// State shared by the handle and the connection tasks.
pub(crate) struct Shared {
    pub config: MockConfig,
    pub base_url: String,
    stats: Mutex<Stats>,
    log: Mutex<Vec<LoggedRequest>>,
    faults: Mutex<Vec<Fault>>,
    auth: Mutex<AuthState>,
    org: Mutex<Org>,
    replay: Replay,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    heavy_in_flight: AtomicU64,
    max_heavy_in_flight: AtomicU64,
}

/// Counts one `/crm/` request as in flight while it lives.
struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// What to do with the connection after a request.
enum Outcome {
    Respond(Response),
    Close,
    Truncate(Response),
}

impl Shared {
    pub fn new(config: MockConfig, base_url: String, replay: Replay) -> Self {
        Shared {
            auth: Mutex::new(AuthState::new(&config)),
            org: Mutex::new(Org::new(&config)),
            config,
            base_url,
            stats: Mutex::default(),
            log: Mutex::default(),
            faults: Mutex::default(),
            replay,
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            heavy_in_flight: AtomicU64::new(0),
            max_heavy_in_flight: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> Stats {
        let mut stats = lock(&self.stats).clone();
        stats.record_writes = lock(&self.org).records.writes;
        stats.max_in_flight = self.max_in_flight.load(Ordering::SeqCst);
        stats.max_heavy_in_flight = self.max_heavy_in_flight.load(Ordering::SeqCst);
        stats
    }

    pub fn access_token_owner(&self, token: &str) -> Option<String> {
        lock(&self.auth).owner(&self.config, token)
    }

    /// Runs `f` on the org (the test hooks).
    pub fn with_org<R>(&self, f: impl FnOnce(&mut Org) -> R) -> R {
        f(&mut lock(&self.org))
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.log).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.log).clear()
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.faults).push(fault)
    }

    pub fn expire_tokens(&self) {
        lock(&self.auth).expire_all()
    }

    /// Takes one firing of the first fault matching `req`.
    fn take_fault(&self, req: &Request) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        faults.retain(|f| f.times > 0);
        let with_query = match &req.query {
            Some(q) => format!("{}?{q}", req.path),
            None => req.path.clone(),
        };
        let pos = faults.iter_mut().position(|f| {
            let matched = match &f.path_prefix {
                None => true,
                Some(p) if p.contains('*') => segments_match(p, &req.path),
                Some(p) if p.contains('?') => with_query.starts_with(p.as_str()),
                Some(p) => req.path.starts_with(p.as_str()),
            };
            // A matching request the fault lets through first.
            if matched && f.skip > 0 {
                f.skip -= 1;
                return false;
            }
            matched
        })?;
        let fault = &mut faults[pos];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            faults.remove(pos);
        }
        Some(kind)
    }
}

/// Whether Zoho counts `req` against its sub-concurrency limit: the SDK's own classification
/// by path (COQL, bulk, conversion, mass update, composite).
fn is_heavy(req: &Request) -> bool {
    if !req.path.starts_with("/crm/") {
        return false;
    }
    let method = http::Method::from_bytes(req.method.as_bytes()).unwrap_or(http::Method::GET);
    let parts = zohocrm_core::RequestParts::new(method, zohocrm_core::Host::Api, req.path.clone());
    zohocrm_core::limit::cost(None, &parts).is_some_and(|c| c.heavy)
}

/// Whether `path` starts with the segments of `pattern`, where a `*` segment matches any one
/// segment (e.g. `/crm/bulk/v8/read/*/result`).
fn segments_match(pattern: &str, path: &str) -> bool {
    let mut have = path.split('/');
    pattern
        .split('/')
        .all(|want| have.next().is_some_and(|seg| want == "*" || want == seg))
}

impl Shared {
    async fn handle(&self, req: Request) -> Outcome {
        let uri = match &req.query {
            Some(q) => format!("{}?{q}", req.path),
            None => req.path.clone(),
        };
        lock(&self.log).push(LoggedRequest {
            method: req.method.clone(),
            uri,
            headers: req.headers.clone(),
            body: req.body.clone(),
        });
        {
            let mut stats = lock(&self.stats);
            if req.path.trim_end_matches('/') == "/oauth/v2/token" {
                stats.token_requests += 1;
            }
            if req.path.starts_with("/crm/") {
                stats.api_requests += 1;
            }
        }
        let _in_flight = req.path.starts_with("/crm/").then(|| {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            InFlight(&self.in_flight)
        });
        let _heavy_in_flight = is_heavy(&req).then(|| {
            let now = self.heavy_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_heavy_in_flight.fetch_max(now, Ordering::SeqCst);
            InFlight(&self.heavy_in_flight)
        });
        if let Some(kind) = self.take_fault(&req) {
            match kind {
                FaultKind::Status {
                    status,
                    body,
                    retry_after,
                } => {
                    let mut resp = Response {
                        status,
                        headers: vec![("content-type".into(), JSON.into())],
                        body: body.into_bytes(),
                    };
                    if let Some(secs) = retry_after {
                        resp.headers.push(("retry-after".into(), secs.to_string()));
                    }
                    return Outcome::Respond(resp);
                }
                FaultKind::CloseConnection => return Outcome::Close,
                FaultKind::Delay(d) => tokio::time::sleep(d).await,
                FaultKind::TruncatedBody => return Outcome::Truncate(self.route(&req)),
                FaultKind::Html { status } => {
                    let reason = http::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("Error");
                    let body = format!(
                        "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\
                         <body><h1>{status} {reason}</h1><p>The server could not handle the request.</p></body></html>\n"
                    );
                    return Outcome::Respond(Response {
                        status,
                        headers: vec![("content-type".into(), "text/html; charset=UTF-8".into())],
                        body: body.into_bytes(),
                    });
                }
            }
        }
        Outcome::Respond(self.route(&req))
    }

    fn route(&self, req: &Request) -> Response {
        let segs: Vec<&str> = req.segments().iter().map(String::as_str).collect();
        match segs.as_slice() {
            ["oauth", "v2", "token"] => {
                let (resp, outcome) = lock(&self.auth).token(&self.config, &self.base_url, req);
                if outcome.minted {
                    lock(&self.stats).mints += 1;
                }
                resp
            }
            ["oauth", "v2", "token", "revoke"] => {
                let (resp, outcome) = lock(&self.auth).revoke(req);
                if outcome.revoked {
                    lock(&self.stats).revoked += 1;
                }
                resp
            }
            ["crm", rest @ ..] => self.crm(req, rest),
            _ => self.replay.find(req).unwrap_or_else(invalid_url),
        }
    }

    fn crm(&self, req: &Request, rest: &[&str]) -> Response {
        if let Err(resp) = lock(&self.auth).check(req) {
            return resp;
        }
        let routed = match rest {
            ["v8", tail @ ..] => lock(&self.org).route(req, tail),
            ["bulk", "v8", tail @ ..] => lock(&self.org).route_bulk(req, tail),
            _ => Routed::Unserved(invalid_url()),
        };
        let (resp, reached) = match routed {
            Routed::Handled(resp) => (resp, true),
            Routed::Rejected(resp) => (resp, false),
            Routed::Unserved(fallback) => match self.replay.find(req) {
                Some(resp) => (resp, true),
                None => (fallback, false),
            },
        };
        if reached && !req.is_get() {
            lock(&self.stats).writes += 1;
        }
        resp
    }
}

/// Accepts connections until `stop` turns true.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let template = stop.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: back off instead of spinning.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        lock(&shared.stats).connections += 1;
        let shared = shared.clone();
        let mut stop = template.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = serve_connection(stream, shared) => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let raw = match http1::read_request(&mut read, &mut write).await {
            Ok(Some(raw)) => raw,
            Ok(None) | Err(ReadError::Io) => break,
            Err(ReadError::Bad(status, why)) => {
                let _ = http1::write_response(
                    &mut write,
                    &http1::bad_request(status, why),
                    false,
                    false,
                )
                .await;
                break;
            }
        };
        let keep_alive = raw.keep_alive;
        let head_only = raw.method == "HEAD";
        let req = to_request(raw);
        match shared.handle(req).await {
            Outcome::Respond(resp) => {
                if http1::write_response(&mut write, &resp, keep_alive, head_only)
                    .await
                    .is_err()
                    || !keep_alive
                {
                    break;
                }
            }
            Outcome::Close => break,
            Outcome::Truncate(resp) => {
                let _ = http1::write_truncated(&mut write, &resp).await;
                break;
            }
        }
    }
    let _ = write.shutdown().await;
}

/// Splits the request target into path and query (absolute-form targets too).
fn to_request(raw: http1::RawRequest) -> Request {
    let mut target = raw.target.as_str();
    if let Some(i) = target.find('#') {
        target = &target[..i];
    }
    if let Some(after) = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    {
        target = after.find('/').map_or("/", |i| &after[i..]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target.to_owned(), None),
    };
    Request::new(raw.method, path, query, raw.headers, raw.body)
}
