//! Real Redis and PostgreSQL servers for the tests: started from Debian's packages on loopback
//! ports the OS chose, in temporary directories removed afterwards. Without the binaries a test
//! is skipped with a message, except in CI (`CI=true`), where that is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a server gets to start on a loaded machine.
const START: Duration = Duration::from_secs(60);

/// A binary from `PATH` or from one of `dirs`.
fn find(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(dirs.iter().cloned())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `None` (after saying why) when `binary` is missing outside CI; a panic in CI.
fn require(binary: Option<PathBuf>, what: &str) -> Option<PathBuf> {
    if binary.is_some() {
        return binary;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is not installed, and CI=true: .ci/run installs it");
    }
    println!("SKIPPED: {what} is not installed (apt-get install redis-server postgresql)");
    None
}

/// A port the OS says is free now (the server binds it right after; a lost race is retried).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// A fresh, private temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "zohocrm-store-{name}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).expect("create the temporary directory");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn wait_until(what: &str, ready: impl FnMut() -> bool) {
    eventually(&format!("{what} starts"), START, ready)
}

/// A `redis-server` on 127.0.0.1, without persistence.
pub struct Redis {
    binary: PathBuf,
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

impl Redis {
    /// Starts one, or `None` when redis-server is not installed (outside CI).
    pub fn start() -> Option<Redis> {
        let binary = require(find("redis-server", &[]), "redis-server")?;
        let mut redis = Redis {
            binary,
            child: None,
            port: 0,
            dir: TempDir::new("redis"),
        };
        redis.port = free_port();
        redis.restart();
        Some(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// A client connection for checks.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
            .expect("connect to the test redis")
    }

    /// The script calls the server received since its start or the last `CONFIG RESETSTAT`:
    /// every operation of the token store and the org limiter is one script (`EVALSHA`, or
    /// `EVAL` the first time), so these are the SDK's round trips. (`total_commands_processed`
    /// also counts the commands the scripts run.)
    pub fn script_calls(&self) -> u64 {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut self.client())
            .expect("INFO");
        info.lines()
            .filter_map(|l| l.strip_prefix("cmdstat_"))
            .filter_map(|l| l.split_once(":calls="))
            .filter(|(name, _)| matches!(*name, "evalsha" | "eval"))
            .filter_map(|(_, rest)| rest.split(',').next()?.parse::<u64>().ok())
            .sum()
    }

    /// Resets the server's statistics (`CONFIG RESETSTAT`).
    pub fn reset_stats(&self) {
        redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query::<()>(&mut self.client())
            .expect("CONFIG RESETSTAT");
    }

    fn answers(&self) -> bool {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(500)))
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok()
    }

    /// Kills the server (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on its port, empty.
    pub fn restart(&mut self) {
        self.kill();
        for attempt in 0.. {
            let child = Command::new(&self.binary)
                .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .arg("--dir")
                .arg(self.dir.path())
                .arg("--logfile")
                .arg(self.dir.path().join("redis.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            self.child = Some(child);
            let start = Instant::now();
            while start.elapsed() < START {
                if self.answers() {
                    return;
                }
                if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                    break; // exited: the port was taken meanwhile
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            self.kill();
            assert!(attempt < 5, "redis-server does not start; see its log");
            self.port = free_port();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A PostgreSQL server on 127.0.0.1 with trust authentication for user `zcrm`, run as an
/// unprivileged user when the tests run as root (PostgreSQL refuses root).
pub struct Postgres {
    child: Option<Child>,
    port: u16,
    _dir: TempDir,
}

/// The uid and gid of `name` from /etc/passwd.
fn account(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.first() == Some(&name))
            .then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?)))?
    })
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

impl Postgres {
    /// Starts one, or `None` when PostgreSQL is not installed (outside CI).
    pub fn start() -> Option<Postgres> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
            .unwrap_or_default();
        dirs.sort();
        dirs.reverse();
        let initdb = require(find("initdb", &dirs), "postgresql (initdb)")?;
        let postgres = require(
            initdb
                .parent()
                .map(|d| d.join("postgres"))
                .filter(|p| p.is_file()),
            "postgresql (postgres)",
        )?;
        let dir = TempDir::new("postgres");
        let as_user = |cmd: &mut Command| {
            if is_root() {
                let (uid, gid) = account("postgres")
                    .or_else(|| account("nobody"))
                    .expect("an unprivileged account (postgres or nobody) to run PostgreSQL");
                std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
                std::os::unix::process::CommandExt::uid(cmd, uid);
                std::os::unix::process::CommandExt::gid(cmd, gid);
            }
        };
        let data = dir.path().join("data");
        let mut init = Command::new(&initdb);
        init.arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "zcrm", "-E", "UTF8", "--no-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        as_user(&mut init);
        let out = init.output().expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let log_path = dir.path().join("postgres.log");
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut cmd = Command::new(&postgres);
        cmd.arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        as_user(&mut cmd);
        let child = cmd.spawn().expect("spawn postgres");
        let mut pg = Postgres {
            child: Some(child),
            port,
            _dir: dir,
        };
        wait_until("postgres", || {
            if let Some(Ok(Some(status))) = pg.child.as_mut().map(|c| c.try_wait()) {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                panic!("postgres exited ({status}): {log}");
            }
            postgres::Client::connect(&pg.url(), postgres::NoTls).is_ok()
        });
        Some(pg)
    }

    pub fn url(&self) -> String {
        format!("postgres://zcrm@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits (bounded, generous) until `done` holds.
pub fn eventually(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
