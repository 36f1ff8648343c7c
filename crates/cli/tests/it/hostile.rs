//! `zcrm` against a hostile server on 127.0.0.1: every attack of issue 15 that the CLI or the
//! core owns, replayed. Each run is bounded in time (killed and failed after [`LIMIT`]) and its
//! peak memory is read from `/proc` while it runs (the high-water mark, `VmHWM`); each checks
//! the exit code, that the message says what happened, and that no file is left behind or
//! replaced.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{bare, Scratch};

/// The longest any run may take; generous for a loaded 2-core machine.
const LIMIT: Duration = Duration::from_secs(120);
/// The memory a run may use at its peak.
const MAX_RSS_KB: u64 = 256 * 1024;

/// One request as the hostile server saw it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    /// Path and query, as sent.
    target: String,
    body: Vec<u8>,
}

impl Request {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// What the server answers.
enum Reply {
    /// A body with its content type.
    Body(u16, &'static str, Vec<u8>),
    /// Headers announcing `len` bytes, `first` of them, then nothing until the server stops.
    Stall { len: usize, first: Vec<u8> },
}

fn json_reply(status: u16, value: Value) -> Reply {
    Reply::Body(status, "application/json", value.to_string().into_bytes())
}

/// An HTTP/1.1 server answering every request with `handler`, one connection per request
/// (`Connection: close`), until dropped.
struct Hostile {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let (log2, stop2) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (log, stop, handler) = (log2.clone(), stop2.clone(), handler.clone());
                        std::thread::spawn(move || serve(stream, &log, &stop, &*handler));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Hostile { addr, log, stop }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose method and path start as given.
    fn count(&self, method: &str, prefix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path().starts_with(prefix))
            .count()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    mut stream: TcpStream,
    log: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
    handler: &(dyn Fn(&Request, usize) -> Reply + Send + Sync),
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, target) = (
        first.next().unwrap_or("").to_owned(),
        first.next().unwrap_or("").to_owned(),
    );
    let len: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let request = Request {
        method,
        target,
        body,
    };
    let nth = {
        let mut log = log.lock().unwrap();
        log.push(request.clone());
        log.iter()
            .filter(|r| r.method == request.method && r.path() == request.path())
            .count()
    };
    match handler(&request, nth) {
        Reply::Body(status, content_type, body) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Stall { len, first } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/zip\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&first);
            let _ = stream.flush();
            let until = Instant::now() + LIMIT;
            while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let _ = stream.flush();
}

/// The token endpoint's answer: a token for an hour, this server as the API domain.
fn token(base: &str) -> Reply {
    json_reply(
        200,
        json!({"access_token": "1000.hostile", "expires_in": 3600, "api_domain": base,
               "token_type": "Bearer"}),
    )
}

/// `zcrm` pointed at `server` with credentials and a token store under `scratch`.
fn zcrm(server: &Hostile, scratch: &Scratch) -> Command {
    zcrm_with_secret(server, scratch, "secret")
}

fn zcrm_with_secret(server: &Hostile, scratch: &Scratch, secret: &str) -> Command {
    let base = server.base();
    let mut cmd = bare(scratch);
    cmd.args(["--accounts-url", &base, "--api-domain", &base])
        .args(["--client-id", "1000.CLIENT", "--client-secret", secret])
        .args(["--refresh-token", "1000.refresh"])
        .arg("--token-store")
        .arg(scratch.store())
        .args(["--retries", "0", "--timeout", "60"]);
    cmd
}

/// A finished run.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    /// Peak resident memory seen, in KiB.
    peak_kb: u64,
}

impl Run {
    /// Checks the run ended on its own with `code`, within the memory bound, without a panic.
    fn expect(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "{self:#?}");
        self.bounded()
    }

    fn bounded(&self) -> &Self {
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        assert!(
            self.peak_kb < MAX_RSS_KB,
            "peak RSS {} KiB is over {MAX_RSS_KB} KiB",
            self.peak_kb
        );
        self
    }

    fn stderr_has(&self, part: &str) -> &Self {
        assert!(self.stderr.contains(part), "no {part:?} in {self:#?}");
        self
    }
}

fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `cmd`, reading its peak memory every few milliseconds; `during` runs once the child
/// started (e.g. to signal it). Kills it and fails after [`LIMIT`].
fn run_with(mut cmd: Command, during: impl FnOnce(u32)) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zcrm starts");
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let watched = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (watched, peak) = (watched.clone(), peak.clone());
        std::thread::spawn(move || {
            while watched.load(Ordering::SeqCst) {
                if let Some(kb) = peak_kb(pid) {
                    peak.fetch_max(kb as usize, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    during(pid);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("zcrm ran longer than {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    watched.store(false, Ordering::SeqCst);
    watcher.join().unwrap();
    Run {
        code: status.code(),
        signal: status.signal(),
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
        peak_kb: peak.load(Ordering::SeqCst) as u64,
    }
}

fn run(mut cmd: Command, args: &[&str]) -> Run {
    cmd.args(args);
    run_with(cmd, |_| {})
}

/// The names in `dir`.
fn names(dir: &Path) -> HashSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// No raw control character (but line ends) and no bidi control in `text`.
fn terminal_safe(text: &str) -> bool {
    !text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
    })
}

// ---------------------------------------------------------------------------------------------
// Zips built by hand: what a hostile server sends.

/// Raw deflate of `chunk` repeated `times` times, in a few KiB: `chunk` is compressed once
/// with a sync flush (so it ends on a byte) and the blocks are repeated; back-references stay
/// within the data of one chunk, which every copy repeats. `prefix` is compressed on its own
/// before.
fn deflate_repeated(prefix: &[u8], chunk: &[u8], times: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let compress = |data: &[u8]| {
        let mut c = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(data.len() / 2 + 1024);
        c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
        assert_eq!(c.total_in(), data.len() as u64);
        out
    };
    let mut all = compress(prefix);
    let block = compress(chunk);
    for _ in 0..times {
        all.extend_from_slice(&block);
    }
    all.extend_from_slice(&[0x03, 0x00]); // an empty final block
    all
}

/// A zip of one deflated entry `name` (sizes and CRC as the server claims them).
fn zip_with(name: &str, deflated: &[u8], claimed_size: u32, crc: u32) -> Vec<u8> {
    let mut z = Vec::new();
    let local = |z: &mut Vec<u8>| {
        z.extend_from_slice(b"PK\x03\x04");
        z.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&crc.to_le_bytes());
        z.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
        z.extend_from_slice(&claimed_size.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name.as_bytes());
    };
    local(&mut z);
    z.extend_from_slice(deflated);
    let cd_offset = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02");
    z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
    z.extend_from_slice(&claimed_size.to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
    z.extend_from_slice(&0u32.to_le_bytes()); // local header at 0
    z.extend_from_slice(name.as_bytes());
    let cd_size = z.len() as u32 - cd_offset;
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    z.extend_from_slice(&cd_size.to_le_bytes());
    z.extend_from_slice(&cd_offset.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

/// A zip of one small CSV.
fn csv_zip(csv: &str) -> Vec<u8> {
    let deflated = deflate_repeated(csv.as_bytes(), b"", 0);
    let mut crc = flate2::Crc::new();
    crc.update(csv.as_bytes());
    zip_with("1.csv", &deflated, csv.len() as u32, crc.sum())
}

/// A zip whose directory lists `entries` entries (zip64), all naming one tiny file.
fn many_entries_zip(entries: u64) -> Vec<u8> {
    let mut z = csv_zip("id\n1\n");
    let eocd = z.len() - 22;
    let cd_offset = u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    let central = z[cd_offset..eocd].to_vec();
    z.truncate(cd_offset);
    for _ in 0..entries {
        z.extend_from_slice(&central);
    }
    let cd_size = (z.len() - cd_offset) as u64;
    let record_pos = z.len() as u64;
    z.extend_from_slice(b"PK\x06\x06");
    z.extend_from_slice(&44u64.to_le_bytes());
    z.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&entries.to_le_bytes());
    z.extend_from_slice(&entries.to_le_bytes());
    z.extend_from_slice(&cd_size.to_le_bytes());
    z.extend_from_slice(&(cd_offset as u64).to_le_bytes());
    z.extend_from_slice(b"PK\x06\x07\0\0\0\0");
    z.extend_from_slice(&record_pos.to_le_bytes());
    z.extend_from_slice(&1u32.to_le_bytes());
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\0\0");
    z
}

// ---------------------------------------------------------------------------------------------
// A bulk read server.

/// One bulk read job's result, as the server reports it.
#[derive(Clone)]
struct Page {
    count: u64,
    per_page: u64,
    more: bool,
    token: Option<String>,
    zip: Arc<Vec<u8>>,
}

/// Answers token requests and bulk reads: job `n` (from 1) is completed at its first poll
/// with `pages(n)`; its result is that page's zip (or `download`, when given).
fn bulk_server(
    pages: impl Fn(usize) -> Page + Send + Sync + 'static,
    download: Option<Arc<dyn Fn(usize) -> Reply + Send + Sync>>,
) -> Hostile {
    let base = Arc::new(Mutex::new(String::new()));
    let base2 = base.clone();
    let jobs = AtomicUsize::new(0);
    let server = Hostile::start(move |req, _| {
        let path = req.path();
        if path.starts_with("/oauth/v2/token") {
            return token(&base2.lock().unwrap());
        }
        if req.method == "POST" && path == "/crm/bulk/v8/read" {
            // The job number is the count of jobs created so far, carried in its id.
            let n = jobs.fetch_add(1, Ordering::SeqCst) + 1;
            return json_reply(
                201,
                json!({"data": [{"status": "success", "code": "ADDED_SUCCESSFULLY",
                    "message": "Added successfully.",
                    "details": {"id": format!("{n}"), "operation": "read", "state": "ADDED"}}],
                    "info": {}}),
            );
        }
        if let Some(rest) = path.strip_prefix("/crm/bulk/v8/read/") {
            let (id, result) = match rest.split_once('/') {
                Some((id, "result")) => (id, true),
                _ => (rest, false),
            };
            let n: usize = id.parse().unwrap_or(0);
            let page = pages(n);
            if result {
                return match &download {
                    Some(f) => f(n),
                    None => Reply::Body(200, "application/zip", page.zip.to_vec()),
                };
            }
            let mut result = json!({"page": 1, "per_page": page.per_page, "count": page.count,
                "download_url": format!("/crm/bulk/v8/read/{id}/result"),
                "more_records": page.more});
            if let Some(t) = page.token {
                result["next_page_token"] = json!(t);
            }
            return json_reply(
                200,
                json!({"data": [{"id": id, "operation": "read", "state": "COMPLETED",
                    "result": result}]}),
            );
        }
        json_reply(
            404,
            json!({"code": "INVALID_URL_PATTERN", "message": "no", "status": "error"}),
        )
    });
    *base.lock().unwrap() = server.base();
    server
}

/// A bulk read server whose one job reports one row and answers `zip`.
fn one_row_job(zip: Vec<u8>) -> Hostile {
    let zip = Arc::new(zip);
    bulk_server(
        move |_| Page {
            count: 1,
            per_page: 200_000,
            more: false,
            token: None,
            zip: zip.clone(),
        },
        None,
    )
}

/// `zcrm bulk export Leads -o FILE` against `server`, polling every 10 ms.
fn export(server: &Hostile, s: &Scratch, file: &Path, extra: &[&str]) -> Run {
    let mut cmd = zcrm(server, s);
    cmd.args(["bulk", "export", "Leads", "-o"])
        .arg(file)
        .args(["--poll-interval", "0.01"])
        .args(extra);
    run_with(cmd, |_| {})
}

fn page(count: u64, per_page: u64, more: bool, token: Option<&str>, csv: &str) -> Page {
    Page {
        count,
        per_page,
        more,
        token: token.map(str::to_owned),
        zip: Arc::new(csv_zip(csv)),
    }
}

/// A scratch directory holding `out.csv` with old content; returns the file.
fn old_file(s: &Scratch) -> PathBuf {
    let dir = s.path("out");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out.csv");
    std::fs::write(&file, "old\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    file
}

/// The export failed and left the old file as it was, and nothing else.
fn untouched(file: &Path) {
    assert_eq!(std::fs::read_to_string(file).unwrap(), "old\n");
    let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(names(file.parent().unwrap()), set(&["out.csv"]));
}

// ---------------------------------------------------------------------------------------------
// Attack 1: token lifetimes past the clock's range.

#[test]
fn token_lifetimes_past_the_clock_do_not_panic() {
    for expires in [json!(18446744073709551615u64), json!(1e30)] {
        let base = Arc::new(Mutex::new(String::new()));
        let b = base.clone();
        let server = Hostile::start(move |req, _| {
            let base = b.lock().unwrap().clone();
            if req.path().starts_with("/oauth/v2/token") {
                return json_reply(
                    200,
                    json!({"access_token": "1000.a", "refresh_token": "1000.r",
                           "expires_in": expires, "api_domain": base}),
                );
            }
            json_reply(200, json!({"data": {"__licenses": []}}))
        });
        *base.lock().unwrap() = server.base();
        let s = Scratch::new("hostile-token");
        run(
            zcrm(&server, &s),
            &["auth", "login", "--grant-code", "x", "-o", "json"],
        )
        .expect(0);
        run(
            zcrm(&server, &s),
            &["auth", "client-credentials", "--org-id", "1", "-o", "json"],
        )
        .expect(0);
        let status = run(zcrm(&server, &s), &["auth", "status", "-o", "json"]);
        status.expect(0);
        let v: Value = serde_json::from_str(&status.stdout).unwrap();
        let secs = v["access_token"]["expires_in_secs"].as_u64().unwrap();
        assert!(secs <= 24 * 3600, "clamped to a day: {secs}");
        // A refresh through the session, too.
        std::fs::remove_file(s.store()).unwrap();
        run(zcrm(&server, &s), &["api", "GET", "Leads"]).bounded();
    }
    // A token store written by anyone: an expiry at the end of time.
    let server = Hostile::start(|_, _| json_reply(500, json!({})));
    let s = Scratch::new("hostile-store");
    std::fs::write(
        s.store(),
        json!({"access_token": "1000.a", "expires_at_unix": u64::MAX}).to_string(),
    )
    .unwrap();
    run(zcrm(&server, &s), &["auth", "status", "-o", "json"]).expect(0);
}

// ---------------------------------------------------------------------------------------------
// Attack 2: bulk reads whose pages never end.

#[test]
fn bulk_reads_that_never_end_are_stopped() {
    let two_rows = "id,Last_Name\n1,A\n2,B\n";
    type Pages = Box<dyn Fn(usize) -> Page + Send + Sync>;
    let cases: Vec<(&str, Pages, usize)> = vec![
        (
            "fewer than a full page",
            Box::new(|_| page(1, 200_000, true, None, "id\n1\n")),
            1,
        ),
        (
            "leads back to page 2",
            Box::new(move |n| {
                let t = if n % 2 == 1 { "A" } else { "B" };
                page(2, 2, true, Some(t), two_rows)
            }),
            3,
        ),
        (
            "held no record",
            Box::new(|n| page(0, 200_000, true, Some(&format!("t{n}")), "id\n")),
            1,
        ),
    ];
    for (why, pages, jobs) in cases {
        let server = bulk_server(pages, None);
        let s = Scratch::new("hostile-bulk");
        let file = old_file(&s);
        export(&server, &s, &file, &[])
            .expect(1)
            .stderr_has("bulk read stopped")
            .stderr_has(why);
        assert_eq!(server.count("POST", "/crm/bulk/v8/read"), jobs, "{why}");
        untouched(&file);
    }
}

// ---------------------------------------------------------------------------------------------
// Attack 4: interrupted during a download.

#[test]
fn an_interrupted_export_leaves_nothing_behind() {
    for signal in ["INT", "TERM"] {
        let stall: Arc<dyn Fn(usize) -> Reply + Send + Sync> = Arc::new(|_| Reply::Stall {
            len: 50 << 20,
            first: vec![0u8; 256 * 1024],
        });
        let server = bulk_server(|_| page(1, 200_000, false, None, "id\n1\n"), Some(stall));
        let s = Scratch::new("hostile-signal");
        let file = old_file(&s);
        let dir = file.parent().unwrap().to_owned();
        let mut cmd = zcrm(&server, &s);
        cmd.args(["bulk", "export", "Leads", "-o"])
            .arg(&file)
            .args(["--poll-interval", "0.01"]);
        let run = run_with(cmd, |pid| {
            // Wait until the download is under way: its temporary zip exists.
            let deadline = Instant::now() + LIMIT;
            let private = loop {
                let found = std::fs::read_dir(&dir).unwrap().find_map(|e| {
                    let e = e.unwrap();
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name.starts_with(".bulk-export.zcrm-") && name.ends_with(".d"))
                        .then(|| e.path())
                });
                if let Some(p) = found.filter(|p| {
                    std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some())
                        && server.count("GET", "/crm/bulk/v8/read/1/result") == 1
                }) {
                    break p;
                }
                assert!(Instant::now() < deadline, "the download never started");
                std::thread::sleep(Duration::from_millis(10));
            };
            let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "the temporary directory is private");
            let sent = Command::new("sh")
                .args(["-c", &format!("kill -{signal} {pid}")])
                .status()
                .unwrap();
            assert!(sent.success());
        });
        let expected = if signal == "INT" { 2 } else { 15 };
        assert_eq!(run.signal, Some(expected), "{run:#?}");
        untouched(&file);
    }
}

// ---------------------------------------------------------------------------------------------
// Attack 5: escape sequences in what the server says.

#[test]
fn server_text_is_escaped_before_the_terminal() {
    let evil = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}gpj.exe";
    let e = evil.to_owned();
    let base = Arc::new(Mutex::new(String::new()));
    let b = base.clone();
    let server = Hostile::start(move |req, _| {
        let path = req.path();
        match path {
            p if p.starts_with("/oauth/v2/token") => {
                if req.body.windows(3).any(|w| w == b"bad") {
                    json_reply(
                        200,
                        json!({"error": "invalid_client", "error_description": e.clone()}),
                    )
                } else {
                    token(&b.lock().unwrap())
                }
            }
            "/crm/v8/Leads/1" => json_reply(
                400,
                json!({"code": format!("INVALID{e}"), "message": e.clone(),
                       "details": {"api_name": e.clone()}, "status": "error"}),
            ),
            "/crm/v8/keys" => json_reply(200, json!({ e.clone(): "value", "id": "1" })),
            "/crm/v8/scalar" => json_reply(200, json!(e.clone())),
            "/crm/v8/Leads" => json_reply(
                200,
                json!({"data": [{"id": "1", e.clone(): e.clone()}],
                       "info": {"more_records": false}}),
            ),
            "/crm/bulk/v8/read" => json_reply(
                201,
                json!({"data": [{"status": "success", "code": "ADDED_SUCCESSFULLY",
                    "message": "ok", "details": {"id": "9", "state": "ADDED"}}]}),
            ),
            "/crm/bulk/v8/read/9" => json_reply(
                200,
                json!({"data": [{"id": "9", "state": "FAILED",
                    "result": {"error_message": {"code": format!("X{e}"), "message": e.clone()}}}]}),
            ),
            _ => json_reply(
                404,
                json!({"code": "INVALID_URL_PATTERN", "status": "error"}),
            ),
        }
    });
    *base.lock().unwrap() = server.base();
    let s = Scratch::new("hostile-text");
    let api_error = run(zcrm(&server, &s), &["records", "get", "Leads", "1"]);
    api_error.expect(1);
    assert!(terminal_safe(&api_error.stderr), "{:?}", api_error.stderr);
    assert!(
        api_error.stderr.contains("\\u{202e}"),
        "{:?}",
        api_error.stderr
    );
    std::fs::remove_file(s.store()).ok();
    let auth = run(
        zcrm_with_secret(&server, &s, "bad"),
        &["records", "get", "Leads", "1"],
    );
    auth.expect(3);
    assert!(terminal_safe(&auth.stderr), "{:?}", auth.stderr);
    let job = run(
        zcrm(&server, &s),
        &[
            "bulk",
            "export",
            "Leads",
            "-o",
            "-",
            "--poll-interval",
            "0.01",
        ],
    );
    job.expect(1);
    assert!(terminal_safe(&job.stderr), "{:?}", job.stderr);
    for args in [
        &["api", "GET", "keys", "-o", "table"][..],
        &["api", "GET", "scalar", "-o", "table"],
        &["records", "list", "Leads", "--fields", "id", "-o", "table"],
        &["api", "GET", "keys", "-o", "json"],
        &["records", "list", "Leads", "--fields", "id", "-o", "jsonl"],
    ] {
        let out = run(zcrm(&server, &s), args);
        out.expect(0);
        assert!(
            terminal_safe(&out.stdout) && terminal_safe(&out.stderr),
            "{args:?}: {:?}",
            out.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Attacks 6 and 10: hostile result files.

#[test]
fn a_gigabyte_line_stops_at_the_record_limit_in_bounded_memory() {
    let line = deflate_repeated(b"id,Note\n1,", &vec![b'x'; 1 << 20], 1024);
    assert!(line.len() < 2 << 20, "a 1 GiB line in {} bytes", line.len());
    // Sizes and checksum lie: the file is read as it comes.
    let server = one_row_job(zip_with("1.csv", &line, 1 << 20, 0));
    let s = Scratch::new("hostile-line");
    let file = old_file(&s);
    export(&server, &s, &file, &[])
        .expect(1)
        .stderr_has("row 1 is longer than 16777216 bytes");
    untouched(&file);
}

#[test]
fn an_unterminated_quote_fails_the_export() {
    let server = bulk_server(
        |_| {
            page(
                2,
                200_000,
                false,
                None,
                "id,Note\n1,\"open\n2,never closed\n",
            )
        },
        None,
    );
    let s = Scratch::new("hostile-quote");
    let file = old_file(&s);
    export(&server, &s, &file, &[])
        .expect(1)
        .stderr_has("quoted field is not closed");
    untouched(&file);
}

#[test]
fn zip_bombs_and_crowded_zips_are_refused_in_bounded_memory() {
    // 4 GiB of "1\n" for a job that reported one row.
    let rows = b"1\n".repeat(1 << 19);
    let bomb = zip_with("1.csv", &deflate_repeated(b"id\n", &rows, 4096), 1 << 20, 0);
    let crowded = many_entries_zip(1_000_000);
    for (zip, why) in [
        (bomb, "holds more than the 1 rows the job reported"),
        (crowded, "the zip holds more than 64 entries"),
    ] {
        let server = one_row_job(zip);
        let s = Scratch::new("hostile-zip");
        let file = old_file(&s);
        export(&server, &s, &file, &[]).expect(1).stderr_has(why);
        untouched(&file);
    }
}

// ---------------------------------------------------------------------------------------------
// Attacks 7 and 8: the destination.

#[test]
fn exports_keep_modes_fifos_and_links() {
    let csv = "id,Last_Name\n1,A\n";
    let server = bulk_server(move |_| page(1, 200_000, false, None, csv), None);
    let s = Scratch::new("hostile-dest");
    // An existing 0600 file stays 0600, and the directory holds nothing else.
    let file = old_file(&s);
    export(&server, &s, &file, &[]).expect(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(names(file.parent().unwrap()), set(&["out.csv"]));
    // A FIFO is written in place, and stays a FIFO.
    let fifo = s.path("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    export(&server, &s, &fifo, &[]).expect(0);
    assert_eq!(reader.join().unwrap(), csv);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    // A symbolic link is followed: the link stays, its target gets the rows.
    let target = s.path("target.csv");
    std::fs::write(&target, "old\n").unwrap();
    let link = s.path("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    export(&server, &s, &link, &[]).expect(0);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), csv);
}

#[test]
fn a_link_planted_at_the_old_temporary_name_is_never_followed() {
    // The first call is held until the link is planted at `.out.csv.zcrm-PID.partial`.
    let planted = Arc::new(AtomicBool::new(false));
    let p = planted.clone();
    let csv = "id\n1\n";
    let inner = bulk_server(move |_| page(1, 200_000, false, None, csv), None);
    let target = inner.base();
    let server = Hostile::start(move |req, _| {
        while !p.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        proxy(&target, req)
    });
    let s = Scratch::new("hostile-link");
    let file = old_file(&s);
    let victim = s.path("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let mut cmd = zcrm(&server, &s);
    cmd.args(["bulk", "export", "Leads", "-o"])
        .arg(&file)
        .args(["--poll-interval", "0.01"]);
    let run = run_with(cmd, |pid| {
        let name = file.with_file_name(format!(".out.csv.zcrm-{pid}.partial"));
        std::os::unix::fs::symlink(&victim, name).unwrap();
        planted.store(true, Ordering::SeqCst);
    });
    run.expect(0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
}

/// Forwards a request to `base` and returns its answer (for a server that delays another).
fn proxy(base: &str, req: &Request) -> Reply {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{} {} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        req.method,
        req.target,
        req.body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&req.body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let at = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&answer[..at]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let zip = head.to_ascii_lowercase().contains("application/zip");
    let kind = if zip {
        "application/zip"
    } else {
        "application/json"
    };
    Reply::Body(status, kind, answer[at..].to_vec())
}

// ---------------------------------------------------------------------------------------------
// Attack 9: formulas in CSV cells.

#[test]
fn csv_formulas_are_neutralised_unless_kept() {
    // As the csv crate writes it, so that --keep-formulas gives it back byte for byte.
    let csv = "id,Note\n1,\"=HYPERLINK(\"\"http://x\"\")\"\n2,+cmd|' /C calc'!A0\n3,@SUM(A1)\n4,\tx\n5,-12.5\n6,+1 555 0100\n";
    let server = bulk_server(move |_| page(6, 200_000, false, None, csv), None);
    let s = Scratch::new("hostile-formula");
    let file = s.path("out.csv");
    export(&server, &s, &file, &[]).expect(0);
    let text = std::fs::read_to_string(&file).unwrap();
    for neutral in [
        "'=HYPERLINK",
        "'+cmd",
        "'@SUM",
        "'\tx",
        "\n5,-12.5\n",
        "\n6,+1 555 0100\n",
    ] {
        assert!(text.contains(neutral), "{neutral:?} in {text}");
    }
    export(&server, &s, &file, &["--keep-formulas"]).expect(0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
}

// ---------------------------------------------------------------------------------------------
// Attack 11: values serde_json cannot hold, cursors that stop or cycle.

#[test]
fn undecodable_values_are_printed_exactly() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = "9".repeat(10_000);
    let body = format!(
        r#"{{"data":[{{"id":"1","Deep":{deep},"Huge":{huge}}}],"info":{{"more_records":false}}}}"#
    );
    let base = Arc::new(Mutex::new(String::new()));
    let b = base.clone();
    let server = Hostile::start(move |req, _| {
        if req.path().starts_with("/oauth/v2/token") {
            return token(&b.lock().unwrap());
        }
        Reply::Body(200, "application/json", body.clone().into_bytes())
    });
    *base.lock().unwrap() = server.base();
    let s = Scratch::new("hostile-values");
    let out = run(
        zcrm(&server, &s),
        &[
            "records",
            "list",
            "Leads",
            "--fields",
            "Deep,Huge",
            "-o",
            "jsonl",
        ],
    );
    out.expect(0);
    assert!(
        out.stdout.contains(&huge) && out.stdout.contains(&deep),
        "exact"
    );
    assert!(!out.stdout.contains("null"), "never a silent null");
    let csv = run(
        zcrm(&server, &s),
        &["records", "list", "Leads", "--fields", "Huge", "-o", "csv"],
    );
    csv.expect(0);
    assert!(csv.stdout.contains(&huge));
}

#[test]
fn listing_cursors_that_stop_or_cycle_are_reported() {
    for (tokens, why) in [
        (["A", "B"], "leads back to page"),
        (["A", "A"], "no next page can be asked for"),
    ] {
        let base = Arc::new(Mutex::new(String::new()));
        let b = base.clone();
        let server = Hostile::start(move |req, n| {
            if req.path().starts_with("/oauth/v2/token") {
                return token(&b.lock().unwrap());
            }
            let token = tokens[n % 2];
            json_reply(
                200,
                json!({"data": [{"id": n.to_string()}],
                       "info": {"more_records": true, "next_page_token": token}}),
            )
        });
        *base.lock().unwrap() = server.base();
        let s = Scratch::new("hostile-cursor");
        run(
            zcrm(&server, &s),
            &[
                "records", "list", "Leads", "--fields", "id", "--all", "-o", "jsonl",
            ],
        )
        .expect(1)
        .stderr_has("the listing stopped after")
        .stderr_has(why);
        assert!(server.count("GET", "/crm/v8/Leads") <= 13);
    }
}

// ---------------------------------------------------------------------------------------------
// Review items: what the one-line errors keep, batch outcomes, dot segments.

#[test]
fn error_lines_keep_what_zoho_said() {
    let base = Arc::new(Mutex::new(String::new()));
    let b = base.clone();
    let server = Hostile::start(move |req, _| match req.path() {
        p if p.starts_with("/oauth/v2/token") => token(&b.lock().unwrap()),
        "/crm/v8/Leads/502" => Reply::Body(
            502,
            "text/html",
            b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>".to_vec(),
        ),
        "/crm/v8/coql" => json_reply(
            400,
            json!({"code": "SYNTAX_ERROR", "message": "error in where", "status": "error",
                   "details": {"clause": "where"}}),
        ),
        "/crm/v8/Leads" => json_reply(
            400,
            json!({"data": [{"code": "DUPLICATE_DATA", "message": "duplicate data",
                "status": "error", "details": {"api_name": "Email",
                "duplicate_record": {"id": "4150868000001", "module": {"api_name": "Leads"}}}},
                {"code": "INVALID_DATA", "message": "invalid data", "status": "error",
                 "details": {"api_name": "id", "resource_path_index": 1}}]}),
        ),
        _ => json_reply(
            404,
            json!({"code": "INVALID_URL_PATTERN", "status": "error"}),
        ),
    });
    *base.lock().unwrap() = server.base();
    let s = Scratch::new("hostile-errors");
    run(zcrm(&server, &s), &["records", "get", "Leads", "502"])
        .expect(1)
        .stderr_has("502 Bad Gateway");
    run(zcrm(&server, &s), &["coql", "select id from Leads where"])
        .expect(1)
        .stderr_has("[clause where]");
    let input = s.path("in.json");
    std::fs::write(&input, r#"[{"Email": "a@x.test"}, {"Email": "b@x.test"}]"#).unwrap();
    let out = run(
        zcrm(&server, &s),
        &[
            "records",
            "create",
            "Leads",
            "--input",
            input.to_str().unwrap(),
            "-o",
            "json",
        ],
    );
    out.expect(1);
    assert!(
        out.stdout
            .contains("duplicate of Leads record 4150868000001"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("resource_path_index 1"),
        "{}",
        out.stdout
    );
}

#[test]
fn batch_writes_keep_every_outcome_and_whole_call_errors() {
    let base = Arc::new(Mutex::new(String::new()));
    let b = base.clone();
    let server = Hostile::start(move |req, _| {
        if req.path().starts_with("/oauth/v2/token") {
            return token(&b.lock().unwrap());
        }
        let rows = req.json()["data"].as_array().map_or(0, Vec::len);
        if rows == 1 {
            return json_reply(
                500,
                json!({"code": "INTERNAL_ERROR", "message": "Internal Server Error",
                       "details": {}, "status": "error"}),
            );
        }
        let ok = |i: usize| {
            json!({"code": "SUCCESS", "status": "success", "message": "record added",
                                   "details": {"id": format!("{i}")}})
        };
        json_reply(
            201,
            json!({"data": (0..rows + 2).map(ok).collect::<Vec<_>>()}),
        )
    });
    *base.lock().unwrap() = server.base();
    let s = Scratch::new("hostile-batch");
    let two = s.path("two.json");
    std::fs::write(&two, r#"[{"Last_Name": "A"}, {"Last_Name": "B"}]"#).unwrap();
    let out = run(
        zcrm(&server, &s),
        &[
            "records",
            "create",
            "Leads",
            "--input",
            two.to_str().unwrap(),
            "-o",
            "json",
        ],
    );
    out.expect(1).stderr_has("4 outcomes for 2 items");
    let rows: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 4, "{}", out.stdout);
    let one = s.path("one.json");
    std::fs::write(&one, r#"[{"Last_Name": "A"}]"#).unwrap();
    run(
        zcrm(&server, &s),
        &[
            "records",
            "create",
            "Leads",
            "--input",
            one.to_str().unwrap(),
        ],
    )
    .expect(1)
    .stderr_has("INTERNAL_ERROR")
    .stderr_has("HTTP 500");
}

#[test]
fn dot_segments_are_values_not_path_steps() {
    let base = Arc::new(Mutex::new(String::new()));
    let b = base.clone();
    let server = Hostile::start(move |req, _| {
        if req.path().starts_with("/oauth/v2/token") {
            return token(&b.lock().unwrap());
        }
        Reply::Body(204, "application/json", Vec::new())
    });
    *base.lock().unwrap() = server.base();
    let s = Scratch::new("hostile-dots");
    run(zcrm(&server, &s), &["records", "get", "Leads", ".."]).expect(1);
    let paths: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path().to_owned())
        .collect();
    assert_eq!(paths, ["/crm/v8/Leads/%2E%2E"]);
}
