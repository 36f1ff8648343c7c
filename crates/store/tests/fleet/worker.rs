//! A fleet worker: this test binary started again as a process (`worker::entry`), running
//! several clients (threads, or tasks on the async client) that call the mock until told to
//! stop, each client with its own session on the shared store. It prints what it saw.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zohocrm_core::config::TransportConfig;
use zohocrm_core::records::{Coql, CoqlQuery};
use zohocrm_core::retry::RetryPolicy;
use zohocrm_core::{ConcurrencyLimits, Context, Credentials, Session};
use zohocrm_mock::MockConfig;
use zohocrm_store::StoreKey;

use crate::servers::TempDir;

/// The org of the workers' store keys.
pub const ORG: &str = "mock-org-1";

/// The store key of the mock's first user.
pub fn key() -> StoreKey {
    let cfg = MockConfig::default();
    StoreKey::new(&cfg.client_id, ORG, &cfg.refresh_token)
}

fn session(base: &str) -> Session {
    let cfg = MockConfig::default();
    Session::new(
        Context::custom(base, base, base).expect("mock hosts"),
        Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
    )
    .with_retry(
        RetryPolicy::default()
            .with_max_attempts(3)
            .with_delays(Duration::from_millis(20), Duration::from_millis(200)),
    )
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set for a worker"))
}

/// The org limits of `ZCRM_FLEET_ORG` (`UNITS/HEAVY`), when the fleet shares a limiter.
fn org_limits() -> Option<ConcurrencyLimits> {
    let text = std::env::var("ZCRM_FLEET_ORG").ok()?;
    let (units, heavy) = text.split_once('/').expect("UNITS/HEAVY");
    Some(ConcurrencyLimits::new(
        units.parse().expect("units"),
        heavy.parse().expect("heavy"),
    ))
}

/// The slot lease of the fleet's limiter.
fn slot_lease() -> Duration {
    std::env::var("ZCRM_FLEET_SLOT_LEASE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(zohocrm_store::DEFAULT_SLOT_LEASE, Duration::from_millis)
}

/// What each client calls: `licences` (the default), `mixed` (every other call a COQL query,
/// a heavy call) or `org` (`GET /crm/v8/org`).
fn calls() -> String {
    std::env::var("ZCRM_FLEET_CALLS").unwrap_or_else(|_| "licences".into())
}

/// The COQL query of the `mixed` calls.
pub fn query() -> CoqlQuery {
    CoqlQuery::new(
        Coql::select(["Last_Name"])
            .from("Leads")
            .filter(zohocrm_core::records::Cond::is_not_null("Last_Name"))
            .limit(1),
    )
}

#[derive(Default)]
struct Tally {
    calls: AtomicU64,
    failures: AtomicU64,
    errors: Mutex<Vec<String>>,
}

impl Tally {
    fn record<T>(&self, result: Result<T, zohocrm_core::Error>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = result {
            self.failures.fetch_add(1, Ordering::Relaxed);
            let mut errors = self.errors.lock().unwrap();
            if errors.len() < 5 {
                errors.push(e.to_string());
            }
        }
    }
}

/// The worker process: does nothing unless started by [`Fleet::spawn`].
#[test]
#[ignore = "a fleet worker process, started by the fleet tests"]
fn entry() {
    if std::env::var_os("ZCRM_FLEET_WORKER").is_none() {
        return;
    }
    let base = env("ZCRM_FLEET_MOCK");
    let store = env("ZCRM_FLEET_STORE");
    let threads: usize = env("ZCRM_FLEET_THREADS").parse().expect("threads");
    let lease = Duration::from_millis(env("ZCRM_FLEET_LEASE_MS").parse().expect("lease"));
    let stop = PathBuf::from(env("ZCRM_FLEET_STOP"));
    let tally = Arc::new(Tally::default());
    let pace = Duration::from_millis(10);
    if env("ZCRM_FLEET_MODE") == "async" {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut tasks = Vec::new();
            for _ in 0..threads {
                let store = async_store(&store, lease);
                let mut session = session(&base).with_async_store(store);
                if let Some(limits) = org_limits() {
                    let limiter = zohocrm_store::AsyncRedisOrgLimiter::open(
                        &env("ZCRM_FLEET_STORE"),
                        key(),
                        limits,
                    )
                    .expect("limiter")
                    .with_lease(slot_lease());
                    session = session.with_async_org_limiter(Arc::new(limiter));
                }
                let client = zohocrm_hyper::Client::with_session(
                    zohocrm_hyper::HyperTransport::new(TransportConfig::default()),
                    Arc::new(session),
                );
                let (tally, stop) = (tally.clone(), stop.clone());
                let calls = calls();
                tasks.push(tokio::spawn(async move {
                    let mut n = 0u64;
                    while !stop.exists() {
                        n += 1;
                        match calls.as_str() {
                            "mixed" if n % 2 == 0 => tally.record(client.send(&query()).await),
                            "org" => tally.record(client.org_limits().await),
                            _ => tally.record(client.user_licences().await),
                        }
                        tokio::time::sleep(pace).await;
                    }
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
        });
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let mut session = session(&base).with_store(blocking_store(&store, lease));
                if let Some(limits) = org_limits() {
                    let limiter = zohocrm_store::RedisOrgLimiter::open(&store, key(), limits)
                        .expect("limiter")
                        .with_lease(slot_lease());
                    session = session.with_org_limiter(Arc::new(limiter));
                }
                let client = zohocrm_ureq::Client::with_session(
                    zohocrm_ureq::UreqTransport::new(TransportConfig::default()),
                    Arc::new(session),
                );
                let (tally, stop) = (&tally, &stop);
                let calls = calls();
                scope.spawn(move || {
                    let mut n = 0u64;
                    while !stop.exists() {
                        n += 1;
                        match calls.as_str() {
                            "mixed" if n % 2 == 0 => tally.record(client.send(&query())),
                            "org" => tally.record(client.org_limits()),
                            _ => tally.record(client.user_licences()),
                        }
                        std::thread::sleep(pace);
                    }
                });
            }
        });
    }
    println!(
        "FLEET calls={} failures={}",
        tally.calls.load(Ordering::Relaxed),
        tally.failures.load(Ordering::Relaxed)
    );
    for e in tally.errors.lock().unwrap().iter() {
        println!("FLEET-ERR {e}");
    }
}

fn blocking_store(url: &str, lease: Duration) -> Arc<dyn zohocrm_core::TokenStore> {
    if url.starts_with("redis") {
        Arc::new(
            zohocrm_store::RedisTokenStore::open(url, key())
                .expect("store")
                .with_lock_lease(lease),
        )
    } else {
        Arc::new(
            zohocrm_store::PgTokenStore::open(url, key())
                .expect("store")
                .with_lock_lease(lease),
        )
    }
}

fn async_store(url: &str, lease: Duration) -> Arc<dyn zohocrm_core::AsyncTokenStore> {
    if url.starts_with("redis") {
        Arc::new(
            zohocrm_store::AsyncRedisTokenStore::open(url, key())
                .expect("store")
                .with_lock_lease(lease),
        )
    } else {
        Arc::new(
            zohocrm_store::AsyncPgTokenStore::open(url, key())
                .expect("store")
                .with_lock_lease(lease),
        )
    }
}

/// How long a fleet scenario's step may take on a loaded machine.
pub const LONG: Duration = Duration::from_secs(120);

/// Waits until the workers have made `more` API calls.
pub fn calls_go_on(mock: &zohocrm_mock::BlockingMock, more: u64) {
    let from = mock.stats().api_requests;
    crate::servers::eventually("the workers keep calling", LONG, || {
        mock.stats().api_requests >= from + more
    });
}

/// Every worker made calls and none failed.
pub fn no_failures(outcomes: &[Outcome]) {
    for o in outcomes {
        assert!(o.calls > 0, "{o:?}");
        assert_eq!(o.failures, 0, "{} calls, errors: {:?}", o.calls, o.errors);
    }
}

/// What one worker saw.
#[derive(Debug)]
pub struct Outcome {
    pub calls: u64,
    pub failures: u64,
    pub errors: Vec<String>,
}

/// Worker processes on one store, stopped (and reaped) by [`stop`](Self::stop) or on drop.
pub struct Fleet {
    children: Vec<Option<Child>>,
    stop: PathBuf,
    _dir: TempDir,
}

impl Fleet {
    /// One worker per entry of `modes` (`"blocking"` or `"async"`), `threads` clients each.
    pub fn spawn(
        mock: &str,
        store: &str,
        modes: &[&str],
        threads: usize,
        lease: Duration,
    ) -> Fleet {
        Self::spawn_with(mock, store, modes, threads, lease, &[])
    }

    /// As [`spawn`](Self::spawn), with more `ZCRM_FLEET_*` settings for the workers
    /// (`ZCRM_FLEET_ORG`, `ZCRM_FLEET_SLOT_LEASE_MS`, `ZCRM_FLEET_CALLS`).
    pub fn spawn_with(
        mock: &str,
        store: &str,
        modes: &[&str],
        threads: usize,
        lease: Duration,
        settings: &[(&str, &str)],
    ) -> Fleet {
        let dir = TempDir::new("fleet");
        let stop = dir.path().join("stop");
        let exe = std::env::current_exe().expect("the test binary");
        let children = modes
            .iter()
            .map(|mode| {
                let child = Command::new(&exe)
                    .args(["--ignored", "--exact", "worker::entry", "--nocapture"])
                    .args(["--test-threads", "1", "-q"])
                    .env("ZCRM_FLEET_WORKER", "1")
                    .env("ZCRM_FLEET_MOCK", mock)
                    .env("ZCRM_FLEET_STORE", store)
                    .env("ZCRM_FLEET_MODE", mode)
                    .env("ZCRM_FLEET_THREADS", threads.to_string())
                    .env("ZCRM_FLEET_LEASE_MS", lease.as_millis().to_string())
                    .env("ZCRM_FLEET_STOP", &stop)
                    .envs(settings.iter().copied())
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("spawn a worker");
                Some(child)
            })
            .collect();
        Fleet {
            children,
            stop,
            _dir: dir,
        }
    }

    /// The process ids of the live workers.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().flatten().map(Child::id).collect()
    }

    /// Kills (SIGKILL) the worker with process id `pid`; false when none has it.
    pub fn kill(&mut self, pid: u32) -> bool {
        for slot in &mut self.children {
            if slot.as_ref().is_some_and(|c| c.id() == pid) {
                let mut child = slot.take().expect("child");
                let _ = child.kill();
                let _ = child.wait();
                return true;
            }
        }
        false
    }

    /// Tells the workers to stop and collects what the live ones saw.
    pub fn stop(mut self) -> Vec<Outcome> {
        std::fs::write(&self.stop, b"stop").expect("stop file");
        let mut outcomes = Vec::new();
        for child in self.children.iter_mut().filter_map(Option::take) {
            let out = child.wait_with_output().expect("a worker ends");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "worker failed: {text}");
            outcomes.push(parse(&text));
        }
        outcomes
    }
}

fn parse(text: &str) -> Outcome {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("FLEET "))
        .unwrap_or_else(|| panic!("no summary from a worker: {text}"));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .expect("a count")
    };
    Outcome {
        calls: field("calls"),
        failures: field("failures"),
        errors: text
            .lines()
            .filter_map(|l| l.strip_prefix("FLEET-ERR "))
            .map(str::to_owned)
            .collect(),
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.stop, b"stop");
        for child in self.children.iter_mut().filter_map(Option::take) {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
