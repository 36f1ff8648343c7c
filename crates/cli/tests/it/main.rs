//! End-to-end tests of the `zcrm` binary against the mock server (127.0.0.1 only): exit codes,
//! output shapes, paging, per-row outcomes, token storage and configuration precedence; and
//! against a hostile server ([`hostile`]).

mod changes;
mod hostile;
mod proxy;
mod resume;
mod scopes;
mod watch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{json, Value};
use zohocrm_mock::{BlockingMock, Fault, FaultKind, MockConfig};

/// A private directory for one test: config, cache and token store live here.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "zcrm-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn store(&self) -> PathBuf {
        self.path("token.json")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `zcrm` with a clean environment: no ZOHO_/ZCRM_ or proxy variables, config and cache under
/// `scratch`.
fn bare(scratch: &Scratch) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zcrm"));
    for (key, _) in std::env::vars() {
        let proxy_var = key.to_ascii_lowercase().ends_with("_proxy");
        if key.starts_with("ZOHO_") || key.starts_with("ZCRM_") || proxy_var {
            cmd.env_remove(key);
        }
    }
    cmd.env("HOME", &scratch.0)
        .env("XDG_CONFIG_HOME", scratch.path("config"))
        .env("XDG_CACHE_HOME", scratch.path("cache"))
        .stdin(Stdio::null());
    cmd
}

/// `zcrm` pointed at `mock` with its credentials (no refresh token when `refresh` is `None`).
fn zcrm(mock: &BlockingMock, scratch: &Scratch, refresh: Option<&str>) -> Command {
    let base = mock.base_url();
    let cfg = MockConfig::default();
    let mut cmd = bare(scratch);
    cmd.args(["--accounts-url", &base, "--api-domain", &base])
        .args(["--client-id", &cfg.client_id])
        .args(["--client-secret", &cfg.client_secret])
        .arg("--token-store")
        .arg(scratch.store())
        .args(["--retries", "0"]);
    if let Some(rt) = refresh {
        cmd.args(["--refresh-token", rt]);
    }
    cmd
}

fn run(cmd: &mut Command, args: &[&str]) -> Output {
    cmd.args(args).output().expect("zcrm runs")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("an exit code")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

fn ok(out: Output) -> Output {
    assert_eq!(
        code(&out),
        0,
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

const RT: Option<&str> = Some("mock-refresh-token");

fn start() -> (BlockingMock, Scratch) {
    (
        BlockingMock::start().expect("mock starts"),
        Scratch::new("t"),
    )
}

#[test]
fn licences_json_is_exactly_available_used_limit() {
    let (mock, s) = start();
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["licences", "--output", "json"],
    ));
    let v = json_of(&out);
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["available", "limit", "used"]);
    assert!(obj.values().all(Value::is_u64), "{v}");
    assert_eq!(
        v["available"].as_u64().unwrap() + v["used"].as_u64().unwrap(),
        v["limit"].as_u64().unwrap()
    );
    let table = ok(run(&mut zcrm(&mock, &s, RT), &["licences", "-o", "table"]));
    assert!(stdout(&table).contains("Purchased"), "{}", stdout(&table));
}

/// `--token-store redis://…` with no server there: calls go on with the in-process token (the
/// store is best effort), and status output shows the url without its password.
#[test]
fn an_unreachable_redis_store_falls_back_and_hides_its_password() {
    let (mock, s) = start();
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("redis://:s3cret-pw@127.0.0.1:{port}/0");
    // zcrm as `zcrm()` runs it, with the store from ZCRM_TOKEN_STORE instead of the flag.
    let with_redis = || {
        let cfg = MockConfig::default();
        let mut cmd = bare(&s);
        cmd.args([
            "--accounts-url",
            &mock.base_url(),
            "--api-domain",
            &mock.base_url(),
        ])
        .args([
            "--client-id",
            &cfg.client_id,
            "--client-secret",
            &cfg.client_secret,
        ])
        .args(["--retries", "0", "--refresh-token", "mock-refresh-token"])
        .env("ZCRM_TOKEN_STORE", &url);
        cmd
    };
    let out = ok(run(&mut with_redis(), &["licences"]));
    assert!(!stderr(&out).contains("s3cret-pw"), "{}", stderr(&out));
    assert_eq!(mock.stats().mints, 1);
    assert!(!s.store().exists(), "no token file is written");
    let out = run(&mut with_redis(), &["auth", "status"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(
        text.contains(&format!("redis://127.0.0.1:{port}/0")),
        "{text}"
    );
}

#[test]
fn tokens_are_stored_0600_and_reused_between_runs() {
    let (mock, s) = start();
    ok(run(&mut zcrm(&mock, &s, RT), &["licences"]));
    ok(run(&mut zcrm(&mock, &s, RT), &["licences"]));
    assert_eq!(
        mock.stats().mints,
        1,
        "the second run reuses the stored token"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(s.store()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_wrong_refresh_token_exits_3_without_printing_secrets() {
    let (mock, s) = start();
    let out = run(
        &mut zcrm(&mock, &s, Some("1000.wrong-refresh-token")),
        &["licences"],
    );
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("hint:"), "{err}");
    for secret in ["wrong-refresh-token", "mock-client-secret"] {
        assert!(!err.contains(secret) && !stdout(&out).contains(secret));
    }
}

#[test]
fn an_unreachable_api_exits_4() {
    let (mock, s) = start();
    let base = mock.base_url();
    let out = run(
        bare(&s)
            .args([
                "--accounts-url",
                &base,
                "--api-domain",
                "http://127.0.0.1:1",
            ])
            .args([
                "--client-id",
                "mock-client-id",
                "--client-secret",
                "mock-client-secret",
            ])
            .args(["--refresh-token", "mock-refresh-token", "--retries", "0"])
            .arg("--token-store")
            .arg(s.store()),
        &["licences"],
    );
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    assert!(stderr(&out).contains("network error"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    let (mock, s) = start();
    assert_eq!(code(&run(&mut bare(&s), &[])), 2);
    assert_eq!(
        code(&run(&mut bare(&s), &["licences", "--no-such-flag"])),
        2
    );
    assert_eq!(
        code(&run(
            &mut zcrm(&mock, &s, RT),
            &["records", "list", "Leads"]
        )),
        2,
        "--fields is required"
    );
    assert_eq!(
        code(&run(
            &mut zcrm(&mock, &s, RT),
            &["records", "search", "Leads"]
        )),
        2,
        "one matcher is required"
    );
    let no_client = run(&mut bare(&s), &["licences"]);
    assert_eq!(code(&no_client), 2);
    assert!(stderr(&no_client).contains("ZOHO_CLIENT_ID"));
    let bad_dc = run(bare(&s).args(["--dc", "uk"]), &["auth", "status"]);
    assert_eq!(code(&bad_dc), 2);
    let remote_http = run(
        bare(&s).args([
            "--client-id",
            "x",
            "--client-secret",
            "y",
            "--refresh-token",
            "z",
        ]),
        &["--api-domain", "http://example.com", "licences"],
    );
    assert_eq!(code(&remote_http), 2, "{}", stderr(&remote_http));
    assert_eq!(mock.stats().api_requests, 0);
}

#[test]
fn api_errors_exit_1_with_code_and_message() {
    let (mock, s) = start();
    let out = run(
        &mut zcrm(&mock, &s, RT),
        &["records", "list", "NoSuchModule", "--fields", "Last_Name"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("INVALID_MODULE"), "{}", stderr(&out));
}

#[test]
fn scope_mismatch_exits_3_and_names_the_scope() {
    let (mock, s) = start();
    ok(run(&mut zcrm(&mock, &s, RT), &["licences"]));
    mock.inject(
        Fault::once(FaultKind::Status {
            status: 401,
            body: r#"{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}"#.into(),
            retry_after: None,
        })
        .on("/crm/v8/settings/territories"),
    );
    let out = run(&mut zcrm(&mock, &s, RT), &["territories", "list"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("OAUTH_SCOPE_MISMATCH"), "{err}");
    assert!(err.contains("ZohoCRM.settings.territories.ALL"), "{err}");
}

#[test]
fn list_all_streams_jsonl_across_the_page_token_boundary() {
    let (mock, s) = start();
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "records",
            "list",
            "Leads",
            "--fields",
            "Last_Name,Email",
            "--all",
            "-o",
            "jsonl",
        ],
    ));
    let text = stdout(&out);
    let mut ids = std::collections::HashSet::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("one JSON object per line");
        assert!(v["Last_Name"].is_string(), "{line}");
        assert!(
            ids.insert(v["id"].as_str().unwrap().to_owned()),
            "duplicate {line}"
        );
    }
    assert_eq!(ids.len(), 3000, "every demo lead, once");
    let requests = mock.requests();
    assert!(
        requests.iter().any(|r| r.uri.contains("page_token=")),
        "records past 2,000 are read with page_token"
    );
}

#[test]
fn list_one_page_and_csv() {
    let (mock, s) = start();
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "records",
            "list",
            "Leads",
            "--fields",
            "Last_Name,Email",
            "--per-page",
            "5",
        ],
    ));
    assert_eq!(json_of(&out).as_array().unwrap().len(), 5);
    assert!(
        stderr(&out).contains("--all"),
        "a hint that more records follow"
    );
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "records",
            "list",
            "Leads",
            "--fields",
            "Last_Name,Email",
            "--per-page",
            "3",
            "-o",
            "csv",
        ],
    ));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,Last_Name,Email"));
    assert_eq!(lines.count(), 3);
}

#[test]
fn writes_print_one_outcome_per_row() {
    let (mock, s) = start();
    let input = s.path("leads.json");
    std::fs::write(
        &input,
        json!([
            {"Last_Name": "Lovelace", "Email": "ada@example.test"},
            {"First_Name": "No last name"},
            {"Last_Name": "Hopper", "Email": "grace@example.test"}
        ])
        .to_string(),
    )
    .unwrap();
    let out = run(
        &mut zcrm(&mock, &s, RT),
        &[
            "records",
            "create",
            "Leads",
            "--input",
            input.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 1, "a failed row makes the exit code 1");
    let rows = json_of(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["status"], "success");
    assert!(rows[0]["id"].is_string());
    assert_eq!(rows[1]["status"], "error");
    assert_eq!(rows[1]["index"], 1);
    assert_eq!(rows[1]["code"], "MANDATORY_NOT_FOUND");
    assert_eq!(rows[2]["status"], "success");
    assert!(
        stderr(&out).contains("2 of 3 succeeded"),
        "{}",
        stderr(&out)
    );
    let ada = rows[0]["id"].as_str().unwrap().to_owned();

    // Get it back, update it from JSON lines on stdin, upsert and delete.
    let got = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["records", "get", "Leads", &ada],
    ));
    assert_eq!(json_of(&got)["Last_Name"], "Lovelace");
    let mut update = zcrm(&mock, &s, RT);
    update
        .args(["records", "update", "Leads", "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = update.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(
            stdin,
            "{}",
            json!({"id": ada, "Company": "Analytical Engines"})
        )
        .unwrap();
    }
    let updated = ok(child.wait_with_output().unwrap());
    assert_eq!(json_of(&updated)[0]["status"], "success");
    let got = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["records", "get", "Leads", &ada],
    ));
    assert_eq!(json_of(&got)["Company"], "Analytical Engines");

    let csv = s.path("upsert.csv");
    std::fs::write(
        &csv,
        "Last_Name,Email,Company\nLovelace,ada@example.test,Engines Ltd\nBabbage,charles@example.test,\n",
    )
    .unwrap();
    let upserted = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "records",
            "upsert",
            "Leads",
            "--input",
            csv.to_str().unwrap(),
            "--duplicate-check-fields",
            "Email",
        ],
    ));
    let rows = json_of(&upserted);
    assert_eq!(rows[0]["id"], ada.as_str(), "matched on Email");
    assert_eq!(rows[0]["action"], "update");
    assert_eq!(rows[1]["action"], "insert");

    let deleted = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["records", "delete", "Leads", &ada],
    ));
    assert_eq!(json_of(&deleted)[0]["status"], "success");
    let gone = run(&mut zcrm(&mock, &s, RT), &["records", "get", "Leads", &ada]);
    assert_eq!(code(&gone), 1);
}

#[test]
fn search_by_email_and_criteria() {
    let (mock, s) = start();
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "records",
            "search",
            "Leads",
            "--email",
            "mei.obrien16@example.test",
        ],
    ));
    let rows = json_of(&out);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["Last_Name"], "O'Brien");
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "records",
            "search",
            "Leads",
            "--criteria",
            "(Last_Name:equals:O'Brien)",
            "--fields",
            "Last_Name",
            "--all",
            "-o",
            "jsonl",
        ],
    ));
    let n = stdout(&out).lines().count();
    assert!(n > 100, "{n}");
}

#[test]
fn coql_all_rewrites_the_limit_clause() {
    let (mock, s) = start();
    let query = "select Last_Name from Leads where Last_Name = 'O''Brien' order by id asc";
    let once = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["coql", &format!("{query} limit 2000")],
    ));
    let total = json_of(&once).as_array().unwrap().len();
    assert!(total > 100, "{total}");
    let page = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["coql", &format!("{query} limit 50")],
    ));
    assert_eq!(json_of(&page).as_array().unwrap().len(), 50);
    let all = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["coql", &format!("{query} limit 50"), "--all", "-o", "jsonl"],
    ));
    assert_eq!(stdout(&all).lines().count(), total);
    let bad = run(&mut zcrm(&mock, &s, RT), &["coql", "select from"]);
    assert_eq!(code(&bad), 1, "{}", stderr(&bad));
}

#[test]
fn api_call_and_ops() {
    let (mock, s) = start();
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["api", "GET", "Leads?fields=Last_Name", "-q", "per_page=2"],
    ));
    let v = json_of(&out);
    assert_eq!(v["data"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["info"]["more_records"], true);
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["api", "get", "/crm/v8/__features/user_licenses"],
    ));
    assert!(json_of(&out)["__features"].is_array());
    assert_eq!(
        code(&run(
            &mut zcrm(&mock, &s, RT),
            &["api", "GET", "Leads", "-q", "oops"]
        )),
        2
    );

    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["call", "territories.get_territories", "-p", "per_page=2"],
    ));
    assert_eq!(json_of(&out)["territories"].as_array().unwrap().len(), 2);
    let unknown = run(&mut zcrm(&mock, &s, RT), &["call", "no.such_op"]);
    assert_eq!(code(&unknown), 2);

    let ops = ok(run(&mut bare(&s), &["ops", "territories", "-o", "json"]));
    let ops = json_of(&ops);
    let ops = ops.as_array().unwrap();
    assert!(ops
        .iter()
        .any(|o| o["id"] == "territories.get_territories" && o["kind"] == "hand-written"));
    let all = json_of(&ok(run(&mut bare(&s), &["ops", "-o", "json"])));
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "generated"));
}

#[test]
fn territories_commands() {
    let (mock, s) = start();
    let list = json_of(&ok(run(&mut zcrm(&mock, &s, RT), &["territories", "list"])));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 6);
    let global = list.iter().find(|t| t["name"] == "Global").unwrap();
    let global_id = global["id"].as_str().unwrap().to_owned();
    let tree = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["territories", "list", "--tree", "-o", "table"],
    ));
    assert!(stdout(&tree).contains("└─ DACH"), "{}", stdout(&tree));

    let created = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "territories",
            "create",
            "--name",
            "APAC",
            "--reporting-to",
            &global_id,
            "--permission",
            "read-write-delete",
        ],
    ));
    let apac = json_of(&created)[0]["id"].as_str().unwrap().to_owned();
    ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "territories",
            "update",
            &apac,
            "--description",
            "Asia and Pacific",
        ],
    ));
    let got = json_of(&ok(run(
        &mut zcrm(&mock, &s, RT),
        &["territories", "get", &apac],
    )));
    assert_eq!(got["description"], "Asia and Pacific");
    let children = json_of(&ok(run(
        &mut zcrm(&mock, &s, RT),
        &["territories", "children", &global_id],
    )));
    assert!(children
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == apac.as_str()));
    let users = json_of(&ok(run(
        &mut zcrm(&mock, &s, RT),
        &["territories", "users", &global_id],
    )));
    assert!(!users.as_array().unwrap().is_empty());
    let deleted = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["territories", "delete", &apac],
    ));
    assert_eq!(json_of(&deleted)[0]["status"], "success");
    let none = run(
        &mut zcrm(&mock, &s, RT),
        &["territories", "update", &global_id],
    );
    assert_eq!(code(&none), 2, "nothing to change");
}

#[test]
fn login_status_revoke_and_client_credentials() {
    let (mock, s) = start();
    // No refresh token configured: nothing to sign in with yet.
    let out = run(&mut zcrm(&mock, &s, None), &["licences"]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert!(stderr(&out).contains("auth login"), "{}", stderr(&out));

    let login = ok(run(
        &mut zcrm(&mock, &s, None),
        &["auth", "login", "--grant-code", "mock-grant-code"],
    ));
    assert!(!stdout(&login).contains("mock-refresh-token"));
    assert_eq!(json_of(&login)["refresh_token_stored"], true);
    let status = ok(run(
        &mut zcrm(&mock, &s, None),
        &["auth", "status", "-o", "json"],
    ));
    let v = json_of(&status);
    assert_eq!(v["refresh_token"]["source"], "token store");
    assert_eq!(v["access_token"]["cached"], true);
    assert!(v["access_token"]["expires_in_secs"].as_u64().unwrap() > 3000);
    let text = ok(run(
        &mut zcrm(&mock, &s, None),
        &["auth", "status", "-o", "table"],
    ));
    for out in [&status, &text] {
        let all = format!("{}{}", stdout(out), stderr(out));
        for secret in ["mock-client-secret", "mock-refresh-token"] {
            assert!(!all.contains(secret), "{all}");
        }
    }
    ok(run(&mut zcrm(&mock, &s, None), &["licences"]));
    assert_eq!(mock.stats().mints, 1, "the login's access token is reused");

    let used_code = run(
        &mut zcrm(&mock, &s, None),
        &["auth", "login", "--grant-code", "mock-grant-code"],
    );
    assert_eq!(code(&used_code), 3, "grant codes are single-use");

    ok(run(&mut zcrm(&mock, &s, None), &["auth", "revoke"]));
    assert_eq!(mock.stats().revoked, 1);
    assert!(!s.store().exists());
    let nothing = run(&mut zcrm(&mock, &s, None), &["auth", "revoke"]);
    assert_eq!(code(&nothing), 3);

    ok(run(
        &mut zcrm(&mock, &s, None),
        &["auth", "client-credentials", "--org-id", "mock-org-1"],
    ));
    ok(run(&mut zcrm(&mock, &s, None), &["licences"]));
    let wrong_org = run(
        &mut zcrm(&mock, &s, None),
        &["auth", "client-credentials", "--org-id", "other-org"],
    );
    assert_eq!(code(&wrong_org), 3, "{}", stderr(&wrong_org));
}

#[test]
fn flags_beat_environment_beat_config_file() {
    let (mock, s) = start();
    let base = mock.base_url();
    let config = s.path("config.toml");
    std::fs::write(
        &config,
        format!(
            "client_id = \"mock-client-id\"\nclient_secret = \"wrong-secret\"\n\
             refresh_token = \"mock-refresh-token\"\naccounts_url = \"{base}\"\n\
             api_domain = \"{base}\"\ntoken_store = \"{}\"\n",
            s.store().display()
        ),
    )
    .unwrap();
    let with_file = |cmd: &mut Command| {
        cmd.arg("--config").arg(&config).args(["--retries", "0"]);
    };
    // The file's secret is wrong: authentication fails.
    let mut cmd = bare(&s);
    with_file(&mut cmd);
    assert_eq!(code(&run(&mut cmd, &["licences"])), 3);
    // The environment beats the file.
    let mut cmd = bare(&s);
    with_file(&mut cmd);
    cmd.env("ZOHO_CLIENT_SECRET", "mock-client-secret");
    ok(run(&mut cmd, &["licences"]));
    // A flag beats the environment.
    std::fs::remove_file(s.store()).unwrap();
    let mut cmd = bare(&s);
    with_file(&mut cmd);
    cmd.env("ZOHO_CLIENT_SECRET", "wrong-again");
    ok(run(
        &mut cmd,
        &["--client-secret", "mock-client-secret", "licences"],
    ));
    // The default config file is read from the platform config directory.
    let default_dir = s.path("config").join("zcrm");
    std::fs::create_dir_all(&default_dir).unwrap();
    std::fs::copy(&config, default_dir.join("config.toml")).unwrap();
    let status = ok(run(&mut bare(&s), &["auth", "status", "-o", "json"]));
    let v = json_of(&status);
    assert_eq!(v["client_id_source"], "config file");
    assert_eq!(v["api_domain"], base.as_str());
    // A broken config file is a usage error.
    std::fs::write(default_dir.join("config.toml"), "client_idd = 1").unwrap();
    assert_eq!(code(&run(&mut bare(&s), &["auth", "status"])), 2);
}

#[test]
fn env_vars_and_data_centres() {
    let s = Scratch::new("env");
    let out = ok(run(
        bare(&s)
            .env("ZOHO_DC", "eu-sandbox")
            .env("ZOHO_CLIENT_ID", "1000.CLIENT"),
        &["auth", "status", "-o", "json"],
    ));
    let v = json_of(&out);
    assert_eq!(v["data_centre"], "eu-sandbox");
    assert_eq!(v["data_centre_source"], "environment");
    assert_eq!(v["accounts_url"], "https://accounts.zoho.eu");
    assert_eq!(v["api_domain"], "https://sandbox.zohoapis.eu");
    assert_eq!(v["client_id"], "1000.CLIENT");
    assert_eq!(v["refresh_token"]["set"], false);
    let store = v["token_store"].as_str().unwrap();
    assert!(
        Path::new(store).starts_with(s.path("cache")),
        "the default token store is in the cache directory: {store}"
    );
}

#[test]
fn mock_flag_and_tour_work_offline() {
    let s = Scratch::new("mock");
    let out = ok(run(&mut bare(&s), &["--mock", "licences", "-o", "json"]));
    assert!(json_of(&out)["limit"].is_u64());
    let tour = ok(run(&mut bare(&s), &["--mock", "tour"]));
    let text = stdout(&tour);
    for expected in [
        "licences",
        "territory tree",
        "page_token",
        "MANDATORY_NOT_FOUND",
        "COQL",
        "Search",
        "Bulk export",
        "--state FILE",
        "Done",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
}

/// A mock whose bulk reads export 5,000 generated Leads in pages of 2,000.
fn start_bulk() -> (BlockingMock, Scratch) {
    let config = MockConfig {
        bulk_read_rows: Some(5_000),
        bulk_page_size: 2_000,
        ..MockConfig::default()
    };
    (
        BlockingMock::start_with(config).expect("mock starts"),
        Scratch::new("bulk"),
    )
}

/// `run` for `bulk` commands, polling jobs every 10 ms (their option follows the command).
fn run_bulk(cmd: &mut Command, args: &[&str]) -> Output {
    cmd.args(args)
        .args(["--poll-interval", "0.01"])
        .output()
        .expect("zcrm runs")
}

#[test]
fn bulk_export_writes_every_page_into_one_csv() {
    let (mock, s) = start_bulk();
    let file = s.path("leads.csv");
    let out = ok(run_bulk(
        &mut zcrm(&mock, &s, RT),
        &[
            "bulk",
            "export",
            "Leads",
            "--fields",
            "Last_Name,Email",
            "-o",
            file.to_str().unwrap(),
        ],
    ));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("5000 rows") && err.contains("3 pages"),
        "{err}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["id", "Last_Name", "Email"],
        "one header"
    );
    let mut ids = std::collections::HashSet::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.unwrap();
        assert_eq!(
            &row[1],
            format!("Generated {i}"),
            "rows in order, none lost"
        );
        assert_eq!(&row[2], format!("lead{i}@example.test"));
        assert!(ids.insert(row[0].to_owned()));
    }
    assert_eq!(ids.len(), 5000);
    let jobs = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.uri.ends_with("/crm/bulk/v8/read"))
        .count();
    assert_eq!(jobs, 3, "one read job per page");
    let left: Vec<_> = std::fs::read_dir(&s.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Criteria, and `-o -` for stdout.
    let out = ok(run_bulk(
        &mut zcrm(&mock, &s, RT),
        &[
            "bulk",
            "export",
            "Leads",
            "--fields",
            "Lead_Source",
            "--criteria",
            "(Lead_Source:equal:Web) and (Last_Name:starts_with:Generated)",
            "-o",
            "-",
        ],
    ));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("id,Lead_Source"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        1250,
        "every fourth generated lead is from the web"
    );
    assert!(rows.iter().all(|r| r.ends_with(",Web")));

    // `-o FILE` is only for bulk export; a format name is no file for it.
    let out = run(&mut zcrm(&mock, &s, RT), &["licences", "-o", "x.csv"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let out = run(
        &mut zcrm(&mock, &s, RT),
        &["bulk", "export", "Leads", "-o", "csv"],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let out = run(
        &mut zcrm(&mock, &s, RT),
        &[
            "bulk",
            "export",
            "Leads",
            "--criteria",
            "Last_Name:like:x",
            "-o",
            "x.csv",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown comparator"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bulk_import_reports_the_failed_rows_and_exits_1() {
    let (mock, s) = start();
    let file = s.path("leads.csv");
    let mut text = String::from("Last_Name,Email,Company\n");
    for i in 1..=300 {
        match i {
            42 => text.push_str(",nameless@example.test,Acme\n"),
            // A multi-line cell: the next rows start one line further down.
            100 => text.push_str("Multi,multi@example.test,\"Two\nlines\"\n"),
            251 => text.push_str("Bad,not-an-email,Acme\n"),
            _ => text.push_str(&format!("Lead{i},lead{i}@bulk.test,Acme\n")),
        }
    }
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap();
    let out = run_bulk(
        zcrm(&mock, &s, RT).env("ZOHO_ORG_ID", "mock-org-1"),
        &["bulk", "import", "Leads", path, "-o", "json"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let failed = json_of(&out);
    assert_eq!(
        failed,
        json!([
            {"row": 42, "line": 43, "status": "SKIPPED", "code": "MANDATORY_NOT_FOUND",
             "field": "Last_Name", "message": "required field is empty: Last_Name"},
            {"row": 251, "line": 253, "status": "SKIPPED", "code": "INVALID_DATA",
             "field": "Email", "message": "invalid value: Email"},
        ])
    );
    let err = stderr(&out);
    assert!(
        err.contains("imported 300 rows")
            && err.contains("298 succeeded (298 added, 0 updated), 2 failed"),
        "{err}"
    );
    let found = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["records", "search", "Leads", "--email", "lead300@bulk.test"],
    ));
    assert_eq!(json_of(&found)[0]["Last_Name"], "Lead300");

    // A wrong org id: the upload host refuses the file.
    let out = run_bulk(
        &mut zcrm(&mock, &s, RT),
        &["bulk", "import", "Leads", path, "--org-id", "other-org"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("X-CRM-ORG") && err.contains("org id `other-org`"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    // No org id at all, or no --find-by for an update: usage errors, before any call.
    let before = mock.stats().api_requests;
    let out = run(&mut zcrm(&mock, &s, RT), &["bulk", "import", "Leads", path]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("ZOHO_ORG_ID"), "{}", stderr(&out));
    let out = run(
        &mut zcrm(&mock, &s, RT),
        &[
            "bulk",
            "import",
            "Leads",
            path,
            "--org-id",
            "mock-org-1",
            "--operation",
            "update",
        ],
    );
    assert_eq!(code(&out), 2);
    assert_eq!(mock.stats().api_requests, before);

    // Upsert on Email with --mock (its org id is used): new e-mail addresses are added.
    let small = s.path("small.csv");
    std::fs::write(
        &small,
        "Last_Name,Email\nOne,one@bulk.test\nTwo,two@bulk.test\n",
    )
    .unwrap();
    let out = ok(run(
        &mut bare(&s),
        &[
            "--mock",
            "bulk",
            "import",
            "Leads",
            small.to_str().unwrap(),
            "--operation",
            "upsert",
            "--find-by",
            "Email",
            "-o",
            "jsonl",
        ],
    ));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("2 succeeded (2 added"),
        "{}",
        stderr(&out)
    );

    // The org id from the config file; the same e-mail addresses are now updated.
    let config = s.path("config.toml");
    std::fs::write(&config, "org_id = \"mock-org-1\"\n").unwrap();
    ok(run_bulk(
        zcrm(&mock, &s, RT).env("ZOHO_ORG_ID", "mock-org-1"),
        &["bulk", "import", "Leads", small.to_str().unwrap()],
    ));
    let out = ok(run_bulk(
        zcrm(&mock, &s, RT).arg("--config").arg(&config),
        &[
            "bulk",
            "import",
            "Leads",
            small.to_str().unwrap(),
            "--operation",
            "upsert",
            "--find-by",
            "Email",
        ],
    ));
    assert!(
        stderr(&out).contains("2 succeeded (0 added, 2 updated)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bulk_export_failures_keep_the_old_file_and_map_to_exit_codes() {
    let (mock, s) = start_bulk();
    let file = s.path("leads.csv");
    std::fs::write(&file, "old\n").unwrap();
    let export = ["bulk", "export", "Leads", "-o", file.to_str().unwrap()];
    // The job fails at Zoho: exit 1 with its reason.
    mock.inject(
        Fault::once(FaultKind::Status {
            status: 200,
            body: json!({"data": [{"id": "111", "operation": "read", "state": "FAILED",
                "result": {"error_message": {"code": "INTERNAL_ERROR", "message": "export broke"}}}]})
            .to_string(),
            retry_after: None,
        })
        .on("/crm/bulk/v8/read/"),
    );
    let out = run_bulk(&mut zcrm(&mock, &s, RT), &export);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("FAILED") && err.contains("export broke"),
        "{err}"
    );
    // The connection breaks while polling: exit 4.
    mock.inject(Fault::once(FaultKind::CloseConnection).on("/crm/bulk/v8/read/"));
    let out = run_bulk(&mut zcrm(&mock, &s, RT), &export);
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    // The output cannot be written: exit 2.
    let nowhere = s.path("no-such-dir").join("leads.csv");
    let out = run_bulk(
        &mut zcrm(&mock, &s, RT),
        &["bulk", "export", "Leads", "-o", nowhere.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "old\n");
    let partial = std::fs::read_dir(&s.0)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("partial")
        })
        .count();
    assert_eq!(partial, 0, "no half-written file is left");
}
