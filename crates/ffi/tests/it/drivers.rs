//! The C ABI used from two other languages: `examples-c/driver.c` (compiled here with the system
//! `cc`) and `python/driver.py` (standard library `ctypes` and `urllib.request`), each against
//! the mock server. The drivers do only the IO; these tests check what they report and what the
//! mock saw.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zohocrm_mock::{too_many_requests, BlockingMock, Fault, Stats};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `zohocrm_ffi` shared library that cargo built with this test (same rustc invocation as the
/// rlib the test links, so never stale). Built on demand when absent.
pub fn cdylib() -> PathBuf {
    let name = format!(
        "{}zohocrm_ffi{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps directory");
    let profile_dir = deps.parent().expect("profile directory");
    let find = || {
        [deps.join(&name), profile_dir.join(&name)]
            .into_iter()
            .filter(|p| p.is_file())
            .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
    };
    if let Some(found) = find() {
        return found;
    }
    // Not built (e.g. a runner that builds tests only): build the library into the same target.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = profile_dir.parent().expect("target directory");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "zohocrm-ffi", "--lib"])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(crate_dir());
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("running cargo build for the cdylib");
    assert!(status.success(), "cargo build -p zohocrm-ffi --lib failed");
    find().unwrap_or_else(|| {
        panic!(
            "{name} not found in {} or {} after building it",
            deps.display(),
            profile_dir.display()
        )
    })
}

fn require_tool(tool: &str, purpose: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "`{tool}` was not found on PATH: {purpose} needs it (CI has it; install it to run this test)"
    );
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("zohocrm-ffi")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// What a driver run produced.
#[derive(Debug)]
struct Run {
    status: ExitStatus,
    lines: Vec<String>,
    stderr: String,
    /// Mock counters when each pause was reached, by pause name.
    at_pause: Vec<(String, Stats)>,
    /// When the driver was told to go on after each pause, by pause name.
    resumed: Vec<(String, Instant)>,
    /// When each output line arrived.
    arrived: Vec<Instant>,
    end: Stats,
}

impl Run {
    /// The line starting with `prefix ` (the scenario's report), or a failure with the transcript.
    fn line(&self, prefix: &str) -> &str {
        self.lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in the driver output:\n{self}"))
    }

    /// The `key=value` field of the line `prefix`.
    fn field(&self, prefix: &str, key: &str) -> String {
        let line = self.line(prefix);
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no `{key}=` in `{line}`"))
            .to_owned()
    }

    fn num(&self, prefix: &str, key: &str) -> u64 {
        let v = self.field(prefix, key);
        v.parse()
            .unwrap_or_else(|_| panic!("`{prefix} {key}={v}` is not a number"))
    }

    /// When the line starting with `prefix ` arrived.
    fn arrived_at(&self, prefix: &str) -> Instant {
        let i = self
            .lines
            .iter()
            .position(|l| l.split_whitespace().next() == Some(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in the driver output:\n{self}"));
        self.arrived[i]
    }

    /// When the driver was told to go on after the pause `name`.
    fn resumed_at(&self, name: &str) -> Instant {
        self.resumed
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("the driver never paused for `{name}`:\n{self}"))
            .1
    }

    fn pause_stats(&self, name: &str) -> &Stats {
        &self
            .at_pause
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("the driver never paused for `{name}`:\n{self}"))
            .1
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "exit: {}", self.status)?;
        for l in &self.lines {
            writeln!(f, "  | {l}")?;
        }
        write!(f, "stderr:\n{}", self.stderr)
    }
}

/// Runs a driver against `mock`, acting on its pauses, with a time limit.
fn run_driver(mut cmd: Command, mock: &BlockingMock) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr_pipe = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let mut lines = Vec::new();
    let mut at_pause = Vec::new();
    let mut resumed = Vec::new();
    let mut arrived = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => {
                if let Some(action) = line.strip_prefix("PAUSE ") {
                    at_pause.push((action.to_owned(), mock.stats()));
                    match action {
                        "expire_tokens" => mock.expire_tokens(),
                        "too_many_requests" => mock.inject(Fault::once(too_many_requests())),
                        other => panic!("unknown pause `{other}`"),
                    }
                    resumed.push((action.to_owned(), Instant::now()));
                    writeln!(stdin, "go").expect("writing to the driver");
                    stdin.flush().expect("flushing the driver's stdin");
                }
                arrived.push(Instant::now());
                lines.push(line);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the driver hung; output so far:\n{}", lines.join("\n"));
            }
        }
    }
    drop(stdin);
    let status = child.wait().expect("waiting for the driver");
    let _ = reader.join();
    let stderr = stderr_reader.join().unwrap_or_default();
    Run {
        status,
        lines,
        stderr,
        at_pause,
        resumed,
        arrived,
        end: mock.stats(),
    }
}

/// What both drivers must show: the refresh, the licences, the paging, the replay and the retry.
fn check_common(run: &Run) {
    assert!(run.status.success(), "the driver failed:\n{run}");
    assert_eq!(run.lines.last().map(String::as_str), Some("OK"), "{run}");
    assert_eq!(run.field("bad_config", "kind"), "build", "{run}");

    // 1. No token yet: one token request, then the API call.
    assert_eq!(run.num("licences", "token_sends"), 1, "{run}");
    assert_eq!(run.num("licences", "api_sends"), 1, "{run}");
    assert!(run.num("licences", "limit") > 0, "{run}");

    // 2. The demo org's six territories, two per page, with the cached token.
    assert_eq!(run.num("territories", "pages"), 3, "{run}");
    assert_eq!(run.num("territories", "total"), 6, "{run}");
    assert_eq!(run.num("territories", "token_sends"), 0, "{run}");

    // 3. Before the tokens were expired, exactly one token request had been made; the call
    //    after it got 401 INVALID_TOKEN, refreshed once and replayed.
    assert_eq!(run.pause_stats("expire_tokens").token_requests, 1, "{run}");
    assert_eq!(run.num("replay", "token_sends"), 1, "{run}");
    assert_eq!(run.num("replay", "api_sends"), 2, "{run}");

    // 4. 429 with Retry-After: 1: one sleep of at least a second, then the retry.
    assert_eq!(
        run.pause_stats("too_many_requests").token_requests,
        2,
        "{run}"
    );
    assert_eq!(run.num("retry", "api_sends"), 2, "{run}");
    assert_eq!(run.num("retry", "sleeps"), 1, "{run}");
    // The sleep asked for is what is left of the second once the driver polls again (less
    // than 1000 ms on a busy machine); what must hold is that the retry waited the second:
    // from "go" to the report, at least 1 s by the wall clock (a lower bound, never flaky).
    let slept = run.num("retry", "slept_ms");
    assert!((1..=2000).contains(&slept), "slept {slept} ms:\n{run}");
    let took = run.arrived_at("retry") - run.resumed_at("too_many_requests");
    assert!(
        took >= Duration::from_secs(1),
        "retried after {took:?}:\n{run}"
    );

    assert_eq!(
        run.field("unknown_operation", "code"),
        "unknown_operation",
        "{run}"
    );

    let all = format!("{run}");
    for secret in ["mock-client-secret", "mock-refresh-token"] {
        assert!(
            !all.contains(secret),
            "`{secret}` in the driver output:\n{run}"
        );
    }
}

/// POSIX sockets in the driver: Unix only.
#[cfg(unix)]
#[test]
fn c_driver_does_only_the_io() {
    require_tool("cc", "the C driver test");
    let lib = cdylib();
    let lib_dir = lib.parent().expect("library directory");
    let out = scratch("c-driver");
    let exe = out.join("driver");
    let compile = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-o"])
        .arg(&exe)
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join("examples-c/driver.c"))
        .arg("-L")
        .arg(lib_dir)
        .arg("-lzohocrm_ffi")
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .output()
        .expect("running cc");
    assert!(
        compile.status.success(),
        "cc failed:\n{}{}",
        String::from_utf8_lossy(&compile.stdout),
        String::from_utf8_lossy(&compile.stderr)
    );

    let mock = BlockingMock::start().expect("mock server");
    let mut cmd = Command::new(&exe);
    cmd.arg(mock.base_url())
        .env("LD_LIBRARY_PATH", lib_dir)
        .env("DYLD_LIBRARY_PATH", lib_dir);
    let run = run_driver(cmd, &mock);
    check_common(&run);
    assert_eq!(run.num("info", "mint_count"), 2, "{run}");
    // licences 1 + territories 3 + (401 + replay) 2 + (429 + retry) 2.
    assert_eq!(run.end.token_requests, 2, "{run}\n{:?}", run.end);
    assert_eq!(run.end.mints, 2, "{:?}", run.end);
    assert_eq!(run.end.api_requests, 8, "{:?}", run.end);
    eprintln!("C driver:\n{run}\nmock: {:?}", run.end);
}

#[test]
fn python_driver_does_only_the_io() {
    require_tool("python3", "the Python driver test");
    let lib = cdylib();
    let out = scratch("py-driver");
    let store = out.join("tokens/token.json");
    let mock = BlockingMock::start().expect("mock server");
    let mut cmd = Command::new("python3");
    cmd.arg(crate_dir().join("python/driver.py"))
        .arg(&lib)
        .arg(mock.base_url())
        .arg(&store)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTHONPATH");
    let run = run_driver(cmd, &mock);
    check_common(&run);
    assert!(run.num("operations", "count") > 400, "{run}");
    // Four threads on one fresh session: one refresh between them (single flight).
    assert_eq!(run.num("threads", "calls"), 4, "{run}");
    assert_eq!(run.num("threads", "token_sends"), 1, "{run}");
    assert_eq!(run.num("threads", "mint_count"), 1, "{run}");
    assert_eq!(run.field("build_error", "kind"), "build", "{run}");
    assert_eq!(run.field("build_error", "code"), "missing", "{run}");
    assert_eq!(run.num("info", "mint_count"), 2, "{run}");
    // The main session's 2 token requests, plus 1 for the threads' session.
    assert_eq!(run.end.token_requests, 3, "{run}\n{:?}", run.end);
    assert_eq!(run.end.mints, 3, "{:?}", run.end);
    // licences 1 + territories 3 + 2 + 2, plus the threads' 4 calls.
    assert_eq!(run.end.api_requests, 12, "{:?}", run.end);

    // The file token store: written, private, and holding the latest token.
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&store).expect("token store written"))
            .expect("token store JSON");
    assert!(saved["access_token"].is_string(), "{saved}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    eprintln!("Python driver:\n{run}\nmock: {:?}", run.end);
}
