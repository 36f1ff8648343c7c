//! `cargo xtask interop`: Zoho's own SDKs against zohocrm-mock, the independent test of the
//! mock's fidelity.
//!
//! Installs the official Python SDK (PyPI `zohocrmsdk8_0`) into a venv and the official Node
//! SDK (npm `@zohocrm/nodejs-sdk-8.0`) into a cache directory outside the repository (once;
//! later runs reuse them), builds and starts the mock binary (one fresh mock per SDK), runs one
//! flow per SDK (`crates/mock/interop/python_flow.py` and `node_flow.mjs`), and prints a table
//! call × SDK. It fails when any call fails or is missing.
//!
//! ```text
//! cargo xtask interop [--cache DIR] [--only python|node]
//! ```
//! The cache is `--cache`, else `$ZOHOCRM_INTEROP_CACHE`, else `$XDG_CACHE_HOME/zohocrm-interop`,
//! else `~/.cache/zohocrm-interop`. Needs `python3` (with `venv`) and `node`/`npm` on the PATH.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::workspace_root;

/// The SDK versions the suite pins.
const PYTHON_SDK: (&str, &str) = ("zohocrmsdk8_0", "7.0.0");
const NODE_SDK: (&str, &str) = ("@zohocrm/nodejs-sdk-8.0", "2.0.0");

/// The calls every flow makes, in order: the table's rows.
const CALLS: [&str; 13] = [
    "sign-in (refresh token)",
    "Leads page 1",
    "Leads page 2 (page_token)",
    "one record",
    "create 2 (207)",
    "update",
    "search by criteria",
    "delete",
    "COQL",
    "territories",
    "user licences",
    "modules",
    "fields of Leads",
];

/// A flow may take this long (the SDKs fetch metadata and tokens first).
const FLOW_TIMEOUT: Duration = Duration::from_secs(300);
/// The mock must print its URL within this time.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// One SDK's outcome: per call, whether it passed and what the flow said.
struct Column {
    title: String,
    cells: Vec<(String, bool, String)>,
    /// The flow's exit status and standard error, when it did not end well.
    trouble: Option<String>,
}

impl Column {
    fn cell(&self, call: &str) -> Option<&(String, bool, String)> {
        self.cells.iter().find(|(c, _, _)| c == call)
    }

    fn passed(&self) -> bool {
        self.trouble.is_none() && CALLS.iter().all(|c| self.cell(c).is_some_and(|x| x.1))
    }
}

/// Runs the suite; `Ok(false)` when a call failed.
pub fn run(args: &[String]) -> Result<bool, String> {
    let cache = cache_dir(args)?;
    let only = flag(args, "--only");
    if let Some(o) = only.as_deref() {
        if o != "python" && o != "node" {
            return Err(format!("--only takes python or node, not {o:?}"));
        }
    }
    std::fs::create_dir_all(&cache)
        .map_err(|e| format!("cannot create the cache {}: {e}", cache.display()))?;
    println!("interop cache: {}", cache.display());
    let mock = build_mock()?;
    let flows = workspace_root().join("crates/mock/interop");
    let mut columns = Vec::new();
    if only.as_deref() != Some("node") {
        let python = install_python(&cache)?;
        let version = output(Command::new(&python).arg("--version"))?;
        let cmd = |tmp: &Path| {
            let mut c = Command::new(&python);
            c.arg(flows.join("python_flow.py")).current_dir(tmp);
            c
        };
        columns.push(run_flow(
            &mock,
            &format!(
                "Python {} {} ({})",
                PYTHON_SDK.0,
                PYTHON_SDK.1,
                version.trim()
            ),
            cmd,
        )?);
    }
    if only.as_deref() != Some("python") {
        let modules = install_node(&cache)?;
        let version = output(Command::new("node").arg("--version"))?;
        let cmd = |tmp: &Path| {
            let mut c = Command::new("node");
            c.arg(flows.join("node_flow.mjs"))
                .env("INTEROP_NODE_MODULES", &modules)
                .current_dir(tmp);
            c
        };
        columns.push(run_flow(
            &mock,
            &format!("Node {} {} ({})", NODE_SDK.0, NODE_SDK.1, version.trim()),
            cmd,
        )?);
    }
    print_table(&columns);
    Ok(columns.iter().all(Column::passed))
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn cache_dir(args: &[String]) -> Result<PathBuf, String> {
    if let Some(dir) = flag(args, "--cache") {
        return Ok(PathBuf::from(dir));
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(dir) = env("ZOHOCRM_INTEROP_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(xdg) = env("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(xdg).join("zohocrm-interop"));
    }
    env("HOME")
        .map(|home| PathBuf::from(home).join(".cache/zohocrm-interop"))
        .ok_or_else(|| "no cache directory: pass --cache DIR or set ZOHOCRM_INTEROP_CACHE".into())
}

/// Runs a command to completion; its stdout, or an error naming it.
fn output(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `cargo build` of the mock binary; its path.
fn build_mock() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = output(
        Command::new(cargo)
            .args([
                "build",
                "-q",
                "-p",
                "zohocrm-mock",
                "--bin",
                "zohocrm-mock",
                "--message-format=json-render-diagnostics",
            ])
            .current_dir(workspace_root()),
    )?;
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo build named no zohocrm-mock executable".into())
}

/// The venv's python with the Python SDK installed (installed on first use).
fn install_python(cache: &Path) -> Result<PathBuf, String> {
    let venv = cache.join(format!("python-{}-{}", PYTHON_SDK.0, PYTHON_SDK.1));
    let python = venv.join("bin/python");
    let marker = venv.join(".installed");
    if marker.exists() && python.exists() {
        return Ok(python);
    }
    println!(
        "installing {} {} into {}",
        PYTHON_SDK.0,
        PYTHON_SDK.1,
        venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    output(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    output(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        &format!("{}=={}", PYTHON_SDK.0, PYTHON_SDK.1),
    ]))?;
    std::fs::write(&marker, b"").map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(python)
}

/// The `node_modules` directory holding the Node SDK (installed on first use).
fn install_node(cache: &Path) -> Result<PathBuf, String> {
    let dir = cache.join(format!("node-nodejs-sdk-8.0-{}", NODE_SDK.1));
    let modules = dir.join("node_modules");
    let marker = dir.join(".installed");
    if marker.exists() && modules.join(NODE_SDK.0).exists() {
        return Ok(modules);
    }
    println!(
        "installing {} {} into {}",
        NODE_SDK.0,
        NODE_SDK.1,
        dir.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join("package.json"), br#"{"private": true}"#)
        .map_err(|e| format!("cannot write package.json: {e}"))?;
    output(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .arg(format!("{}@{}", NODE_SDK.0, NODE_SDK.1))
            .current_dir(&dir),
    )?;
    std::fs::write(&marker, b"").map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(modules)
}

/// A child process killed and reaped when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private directory removed when dropped (the SDKs keep their token files and field
/// caches in it).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let path = std::env::temp_dir().join(format!(
            "zohocrm-interop-{tag}-{}-{nanos}",
            std::process::id()
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        // `create` (not `create_all`) fails if it exists: the directory is ours alone.
        builder
            .create(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts a mock on a free port; its base URL and the process.
fn start_mock(binary: &Path) -> Result<(String, Reaped), String> {
    let mut child = Command::new(binary)
        .args(["--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("the mock has no stdout")?;
    let child = Reaped(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(START_TIMEOUT)
        .map_err(|_| "the mock did not print its URL in time".to_owned())?;
    let url = line.trim().to_owned();
    if !url.starts_with("http://127.0.0.1:") {
        return Err(format!("the mock printed {url:?} instead of its URL"));
    }
    Ok((url, child))
}

/// Runs one SDK's flow against a fresh mock and collects its JSON lines.
fn run_flow(
    mock: &Path,
    title: &str,
    command: impl Fn(&Path) -> Command,
) -> Result<Column, String> {
    println!("running {title}");
    let (url, _mock) = start_mock(mock)?;
    let tmp = TempDir::new("flow")?;
    let mut cmd = command(&tmp.0);
    let child = cmd
        .env("MOCK_URL", &url)
        .env("INTEROP_TMP", &tmp.0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let mut child = Reaped(child);
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                // Bounded: a flow prints a few kilobytes.
                let _ = r.by_ref().take(16 << 20).read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(child.0.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.0.stderr.take().map(|s| Box::new(s) as _));
    let deadline = Instant::now() + FLOW_TIMEOUT;
    let status = loop {
        match child.0.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.0.kill();
                let _ = child.0.wait();
                break None;
            }
            Err(e) => return Err(format!("waiting for {title}: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let cells = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            (
                v["call"].as_str().unwrap_or("?").to_owned(),
                v["ok"] == true,
                v["detail"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let trouble = match status {
        Some(s) if s.success() => None,
        Some(s) => Some(format!("exited with {s}\n{stderr}")),
        None => Some(format!(
            "killed after {} s\n{stderr}",
            FLOW_TIMEOUT.as_secs()
        )),
    };
    Ok(Column {
        title: title.to_owned(),
        cells,
        trouble,
    })
}

fn print_table(columns: &[Column]) {
    let first = CALLS.iter().map(|c| c.len()).max().unwrap_or(4).max(4);
    let widths: Vec<usize> = columns.iter().map(|c| c.title.len().max(4)).collect();
    let mut line = format!("| {:first$} |", "call");
    for (c, w) in columns.iter().zip(&widths) {
        line.push_str(&format!(" {:w$} |", c.title));
    }
    println!("\n{line}");
    let mut rule = format!("|{}|", "-".repeat(first + 2));
    for w in &widths {
        rule.push_str(&format!("{}|", "-".repeat(w + 2)));
    }
    println!("{rule}");
    for call in CALLS {
        let mut line = format!("| {call:first$} |");
        for (c, w) in columns.iter().zip(&widths) {
            let cell = match c.cell(call) {
                Some((_, true, _)) => "ok",
                Some((_, false, _)) => "FAIL",
                None => "missing",
            };
            line.push_str(&format!(" {cell:w$} |"));
        }
        println!("{line}");
    }
    for c in columns {
        for (call, ok, detail) in &c.cells {
            if !ok {
                println!("\n{}: {call}: {detail}", c.title);
            }
        }
        if let Some(t) = &c.trouble {
            println!("\n{}: the flow {t}", c.title);
        }
    }
    let ok = |c: &Column, call: &str| c.trouble.is_none() && c.cell(call).is_some_and(|x| x.1);
    let total = columns.len() * CALLS.len();
    let passed = columns
        .iter()
        .map(|c| CALLS.iter().filter(|call| ok(c, call)).count())
        .sum::<usize>();
    println!("\ninterop: {passed} passed, {} failed", total - passed);
}
