//! Downloads against a hostile server on loopback: a result body that never ends stops at the
//! client's download cap, one that declares a length over the cap is refused before a byte is
//! written, and a bulk read's temporary files are private, at unpredictable names, and gone
//! after an error and after their page.
//!
//! A transport crate implements [`Downloads`] for its client and calls each case.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zohocrm_core::jobs::JobError;
use zohocrm_core::stream::Downloaded;
use zohocrm_core::{Error, TransportErrorKind};
use zohocrm_mock::{BlockingMock, MockConfig};

use crate::net::Server;

/// A transport's client, as the download cases use it. Clients are built on `base` with the
/// mock's default refresh-token credentials, a fast retry policy and `max_download_bytes =
/// cap`.
pub trait Downloads {
    /// Downloads the result of bulk read job `job_id` into `sink`.
    fn download(
        &self,
        base: &str,
        cap: u64,
        job_id: &str,
        sink: &mut Vec<u8>,
    ) -> Result<Downloaded, Error>;

    /// Reads a bulk read of `Leads` page by page with its temporary files in `dir`, calling
    /// `during` while each page is open; returns the rows read.
    fn bulk_read(
        &self,
        base: &str,
        cap: u64,
        dir: &Path,
        during: &mut dyn FnMut(),
    ) -> Result<u64, JobError>;
}

/// What the hostile server's result endpoint sends.
#[derive(Clone, Copy)]
enum Result_ {
    /// Chunk after chunk of zeros, until the client hangs up (or 1 GiB, a bound for the test).
    Endless,
    /// `Content-Length` of this many bytes, then nothing.
    Declared(u64),
    /// A head that is not HTTP (a `Content-Length` that is not a number).
    Garbled,
}

const JOB: &str = "5725767000000859031";

/// A fake Zoho whose bulk read result is hostile. Counts the result requests.
fn hostile(result: Result_, results: Arc<AtomicUsize>) -> Server {
    Server::start(move |_, stream| {
        let _ = serve(stream, result, &results);
    })
}

fn serve(mut stream: TcpStream, result: Result_, results: &AtomicUsize) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let path = request_line.split(' ').nth(1).unwrap_or("");
    let json = |status: &str, body: String| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    if path.starts_with("/oauth/v2/token") {
        let token =
            r#"{"access_token":"fake-hostile-access","expires_in":3600,"token_type":"Bearer"}"#;
        return stream.write_all(json("200 OK", token.into()).as_bytes());
    }
    if path == "/crm/bulk/v8/read" {
        let created = format!(
            r#"{{"data":[{{"status":"success","code":"ADDED_SUCCESSFULLY","message":"Added successfully.","details":{{"id":"{JOB}","operation":"read","state":"ADDED"}}}}],"info":{{}}}}"#
        );
        return stream.write_all(json("201 Created", created).as_bytes());
    }
    if path == format!("/crm/bulk/v8/read/{JOB}") {
        let done = format!(
            r#"{{"data":[{{"id":"{JOB}","operation":"read","state":"COMPLETED","file_type":"csv","result":{{"page":1,"per_page":200000,"count":1,"download_url":"/crm/bulk/v8/read/{JOB}/result","more_records":false}}}}]}}"#
        );
        return stream.write_all(json("200 OK", done).as_bytes());
    }
    results.fetch_add(1, Ordering::SeqCst);
    match result {
        Result_::Garbled => stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: nope\r\nConnection: close\r\n\r\nPK",
        ),
        Result_::Declared(n) => stream.write_all(
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        ),
        Result_::Endless => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            )?;
            let chunk = vec![0u8; 64 * 1024];
            for _ in 0..16 * 1024 {
                stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                stream.write_all(&chunk)?;
                stream.write_all(b"\r\n")?;
            }
            Ok(())
        }
    }
}

fn expect_cap(name: &str, result: Result<Downloaded, Error>, cap: u64) {
    match result {
        Err(Error::Transport(t)) => {
            assert_eq!(t.kind(), TransportErrorKind::BodyTooLarge, "{name}: {t}");
            let text = t.to_string();
            assert!(text.contains("max_download_bytes"), "{name}: {text}");
            assert!(text.contains(&cap.to_string()), "{name}: {text}");
        }
        other => panic!("{name}: expected the download cap, got {other:?}"),
    }
}

/// A result body that never ends: the download stops at the cap with `BodyTooLarge`, writes
/// no more than the cap, and is not retried.
pub fn endless_download_stops_at_the_cap(h: &impl Downloads, name: &str) {
    let results = Arc::new(AtomicUsize::new(0));
    let server = hostile(Result_::Endless, results.clone());
    let cap = 1024 * 1024;
    let mut sink = Vec::new();
    let started = Instant::now();
    let result = h.download(&server.base_url(), cap, JOB, &mut sink);
    expect_cap(name, result, cap);
    assert!(
        sink.len() as u64 <= cap,
        "{name}: {} bytes written",
        sink.len()
    );
    assert!(
        sink.len() as u64 > cap / 2,
        "{name}: streamed up to the cap"
    );
    assert_eq!(results.load(Ordering::SeqCst), 1, "{name}: never retried");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{name}: stopped in bounded time"
    );
}

/// A result declaring more bytes than the cap is refused before anything is written.
pub fn declared_download_over_the_cap_is_refused(h: &impl Downloads, name: &str) {
    let results = Arc::new(AtomicUsize::new(0));
    let cap = 1024 * 1024;
    let server = hostile(Result_::Declared(cap + 1), results.clone());
    let mut sink = Vec::new();
    let result = h.download(&server.base_url(), cap, JOB, &mut sink);
    expect_cap(name, result, cap);
    assert!(sink.is_empty(), "{name}: nothing written");
    assert_eq!(results.load(Ordering::SeqCst), 1, "{name}: never retried");
}

/// A download answered with a head that is not HTTP fails as a protocol error (`Other`), the
/// same as any call, and is never retried: the server may have acted on the request.
pub fn garbled_download_is_a_protocol_error(h: &impl Downloads, name: &str) {
    let results = Arc::new(AtomicUsize::new(0));
    let server = hostile(Result_::Garbled, results.clone());
    let mut sink = Vec::new();
    match h.download(&server.base_url(), 1024, JOB, &mut sink) {
        Err(Error::Transport(t)) => assert_eq!(t.kind(), TransportErrorKind::Other, "{name}: {t}"),
        other => panic!("{name}: expected a protocol error, got {other:?}"),
    }
    assert!(sink.is_empty(), "{name}");
    assert_eq!(results.load(Ordering::SeqCst), 1, "{name}: never retried");
}

/// The same garbled head answering an ordinary (buffered) GET is the same protocol error, never
/// retried although a GET may be: a transport classifies a failure once, whatever reads the body.
pub fn garbled_answer_is_a_protocol_error(h: &impl crate::Harness) {
    let results = Arc::new(AtomicUsize::new(0));
    let server = hostile(Result_::Garbled, results.clone());
    let base = server.base_url();
    let cfg = MockConfig::default();
    let context = zohocrm_core::Context::custom(&base, &base, &base).expect("loopback hosts");
    let session = zohocrm_core::Session::new(
        context,
        zohocrm_core::Credentials::refresh_token(
            cfg.client_id,
            cfg.client_secret,
            cfg.refresh_token,
        ),
    )
    .with_retry(crate::fast_retry());
    let name = h.transport_name();
    match h.call(&Arc::new(session), &crate::Raw::get("/crm/v8/Leads")) {
        Err(Error::Transport(t)) => assert_eq!(t.kind(), TransportErrorKind::Other, "{name}: {t}"),
        other => panic!("{name}: expected a protocol error, got {other:?}"),
    }
    assert_eq!(results.load(Ordering::SeqCst), 1, "{name}: never retried");
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn scratch(name: &str, case: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "zohocrm-{case}-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A bulk read whose result never ends fails at the cap, and leaves no temporary file.
pub fn failed_bulk_read_leaves_no_file(h: &impl Downloads, name: &str) {
    let results = Arc::new(AtomicUsize::new(0));
    let server = hostile(Result_::Endless, results);
    let dir = scratch(name, "failed-read");
    let result = h.bulk_read(&server.base_url(), 1024 * 1024, &dir, &mut || {});
    match result {
        Err(JobError::Api(e)) => expect_cap(name, Err(*e), 1024 * 1024),
        other => panic!("{name}: expected the download cap, got {other:?}"),
    }
    assert_eq!(names(&dir), Vec::<String>::new(), "{name}: nothing left");
    let _ = std::fs::remove_dir_all(dir);
}

/// While a bulk read page is open its zip is a private file (0600 on Unix) at an unpredictable
/// name; once the page is dropped it is gone.
pub fn bulk_read_files_are_private_and_removed(h: &impl Downloads, name: &str) {
    let mock = BlockingMock::start_with(MockConfig {
        bulk_read_rows: Some(10),
        ..MockConfig::default()
    })
    .expect("mock");
    let dir = scratch(name, "read");
    let mut seen = Vec::new();
    let rows = h
        .bulk_read(&mock.base_url(), 1024 * 1024 * 1024, &dir, &mut || {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let entry = entry.unwrap();
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
                    assert_eq!(mode, 0o600, "{:?}", entry.path());
                }
                seen.push(entry.file_name().to_string_lossy().into_owned());
            }
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(rows, 10, "{name}");
    assert_eq!(seen.len(), 1, "{name}: one file per open page: {seen:?}");
    let file = &seen[0];
    let random = file
        .strip_prefix("zohocrm-read-")
        .and_then(|f| f.strip_suffix(".zip"))
        .unwrap_or_else(|| panic!("{name}: {file}"));
    assert_eq!(random.len(), 32, "{name}: {file}");
    assert_eq!(
        names(&dir),
        Vec::<String>::new(),
        "{name}: removed with the page"
    );
    let _ = std::fs::remove_dir_all(dir);
}
