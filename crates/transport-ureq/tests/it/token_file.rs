//! A token file shared by two processes refreshing at once: the refresh is single-flight across
//! them (one token request, not two), every read of the file parses, and the file always ends
//! valid. The processes are this test binary itself, started again with `CHILD` set, running
//! only [`child_entry`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zohocrm_core::{AccessToken, Context, Credentials, Session, StoredToken, TokenStore};
use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};
use zohocrm_ureq::{Client, FileTokenStore, UreqTransport};

const CHILD: &str = "ZOHOCRM_TOKEN_FILE_CHILD";

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set for children"))
}

/// A child process's work; does nothing in a normal test run.
#[test]
fn child_entry() {
    let Ok(role) = std::env::var(CHILD) else {
        return;
    };
    let store = FileTokenStore::new(var("ZOHOCRM_TOKEN_FILE"));
    let n: u64 = var("ZOHOCRM_ITERATIONS").parse().unwrap();
    let start_at: u64 = var("ZOHOCRM_START_AT").parse().unwrap();
    let wait = start_at.saturating_sub(unix_ms());
    std::thread::sleep(Duration::from_millis(wait));
    match role.as_str() {
        // Read-modify-write of a counter under the store's lock, with lock-free reads between.
        "counter" => {
            for _ in 0..n {
                let lock = store.lock().expect("lock");
                let current = store.load().expect("the file always parses");
                let k: u64 = current
                    .and_then(|t| t.access_token)
                    .map(|a| a.expose().parse().expect("a counter"))
                    .unwrap_or(0);
                let mut next = StoredToken {
                    access_token: Some(AccessToken::new((k + 1).to_string())),
                    expires_at_unix: 0,
                    refresh_token: None,
                    api_domain: None,
                    scope: None,
                };
                next.set_expires_at(SystemTime::now() + Duration::from_secs(3600));
                store.save(&next).expect("save");
                drop(lock);
                store.load().expect("a lock-free read parses too");
            }
        }
        // Real calls through a session on the mock sharing the file.
        "session" => {
            let base = var("ZOHOCRM_MOCK_URL");
            // Forgetting the cached token before each call, with a refresh margin longer than
            // the stored token's remaining life, makes every call refresh through the file.
            let forget = var("ZOHOCRM_FORGET") == "1";
            let margin = if forget { 7200 } else { 60 };
            let cfg = MockConfig::default();
            let session = Session::new(
                Context::custom(&base, &base, &base).unwrap(),
                Credentials::refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token),
            )
            .with_store(Arc::new(store.clone()))
            .with_refresh_margin(Duration::from_secs(margin))
            .with_retry(zohocrm_conformance::fast_retry());
            let client = Client::with_session(UreqTransport::default(), Arc::new(session));
            for _ in 0..n {
                if forget {
                    client.session().forget_token();
                }
                client.user_licences().expect("every call succeeds");
                let stored = store.load().expect("the file always parses");
                assert!(stored.and_then(|t| t.access_token).is_some());
            }
            assert_eq!(client.session().last_store_error(), None);
        }
        other => panic!("unknown role {other}"),
    }
}

fn spawn(
    role: &str,
    file: &Path,
    iterations: u64,
    start_at: u64,
    extra: &[(&str, String)],
) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "token_file::child_entry",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, role)
    .env("ZOHOCRM_TOKEN_FILE", file)
    .env("ZOHOCRM_ITERATIONS", iterations.to_string())
    .env("ZOHOCRM_START_AT", start_at.to_string())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("the test binary starts again")
}

fn run_two(role: &str, file: &Path, iterations: u64, extra: &[(&str, String)]) {
    let start_at = unix_ms() + 400;
    let children = [
        spawn(role, file, iterations, start_at, extra),
        spawn(role, file, iterations, start_at, extra),
    ];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn temp_file(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("zohocrm-token-file-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("token.json")
}

/// Two processes × 150 locked read-modify-writes: no update is lost (the lock excludes), and
/// no read, locked or not, ever sees a torn file.
#[test]
fn two_processes_never_lose_an_update() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let file = temp_file("counter");
    run_two("counter", &file, 150, &[]);
    let store = FileTokenStore::new(&file);
    let last = store.load().unwrap().unwrap().access_token.unwrap();
    assert_eq!(last.expose(), "300");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

/// Two processes start on an empty token file at the same moment (the token endpoint answers
/// slowly, so their refreshes would overlap): one token request in all. Then both refresh on
/// every call (the cached token forgotten, the stored one stale by the refresh margin):
/// 2 × 20 calls, 40 token requests taken in turns, every call succeeds, every read of the file
/// parses, and the file ends holding a token the server minted.
#[test]
fn two_processes_share_one_refresh() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let mock = BlockingMock::start_with(MockConfig {
        mint_limit: 1_000,
        ..MockConfig::default()
    })
    .unwrap();
    mock.inject(
        Fault::times(FaultKind::Delay(Duration::from_millis(300)), 1).on("/oauth/v2/token"),
    );
    let file = temp_file("session");
    let url = ("ZOHOCRM_MOCK_URL", mock.base_url());
    run_two(
        "session",
        &file,
        5,
        &[url.clone(), ("ZOHOCRM_FORGET", "0".into())],
    );
    let stats = mock.stats();
    assert_eq!(stats.token_requests, 1, "{stats:?}");
    assert_eq!(stats.api_requests, 10);

    run_two("session", &file, 20, &[url, ("ZOHOCRM_FORGET", "1".into())]);
    let stats = mock.stats();
    assert_eq!(stats.token_requests, 1 + 40, "{stats:?}");
    assert_eq!(stats.api_requests, 10 + 40);
    let stored = FileTokenStore::new(&file).load().unwrap().unwrap();
    let token = stored.access_token.unwrap();
    assert_eq!(
        mock.access_token_owner(token.expose()).as_deref(),
        Some(MockConfig::default().refresh_token.as_str())
    );
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
