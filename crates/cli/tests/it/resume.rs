//! Resumable bulk jobs (`--state`): an export and an import are stopped at several points
//! (a dropped connection right after a job was created, a SIGKILL while a file is downloaded
//! or uploaded, a download cut short) and rerun; each ends with exactly what one clean run
//! gives, and the mock sees no extra job created.

use std::process::Child;
use std::time::{Duration, Instant};

use super::*;

/// Requests so far with this method whose path matches `pattern` (`*` is one segment).
fn count(mock: &BlockingMock, method: &str, pattern: &str) -> usize {
    mock.requests()
        .iter()
        .filter(|r| r.method == method && matches_path(pattern, r.path()))
        .count()
}

fn matches_path(pattern: &str, path: &str) -> bool {
    let (want, have): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), path.split('/').collect());
    want.len() == have.len() && want.iter().zip(&have).all(|(w, h)| *w == "*" || w == h)
}

/// Starts `cmd` and kills it (SIGKILL) once the mock has received `n` requests matching
/// `method` and `pattern` (the last one being held by a delay fault), within a generous bound.
fn kill_when(mock: &BlockingMock, cmd: &mut Command, method: &str, pattern: &str, n: usize) {
    let mut child: Child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(mock, method, pattern) < n {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("zcrm ended ({status}) before the request to kill it at");
        }
        assert!(
            Instant::now() < deadline,
            "no {method} {pattern} within 120 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `zcrm` for a bulk command whose temporary files go to the scratch directory (a killed run
/// leaves them there, not in the system's).
fn bulk_cmd(mock: &BlockingMock, s: &Scratch, args: &[&str]) -> Command {
    let mut cmd = zcrm(mock, s, RT);
    cmd.env("TMPDIR", &s.0)
        .env("ZOHO_ORG_ID", "mock-org-1")
        .args(args)
        .args(["--poll-interval", "0.01"]);
    cmd
}

fn failed(out: &Output) -> String {
    assert_ne!(code(out), 0, "the run was meant to fail:\n{}", stderr(out));
    stderr(out)
}

const READ: &str = "/crm/bulk/v8/read";

#[test]
fn an_export_stopped_three_times_ends_as_one_clean_run() {
    let (mock, s) = start_bulk(); // 5,000 rows in pages of 2,000
    let clean = s.path("clean.csv");
    let export = |file: &Path| {
        vec![
            "bulk".to_owned(),
            "export".into(),
            "Leads".into(),
            "--fields".into(),
            "Last_Name,Email".into(),
            "-o".into(),
            file.to_str().unwrap().into(),
        ]
    };
    let args = export(&clean);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(bulk_cmd(&mock, &s, &args).output().unwrap());
    assert_eq!(
        count(&mock, "POST", READ),
        3,
        "a clean run: one job per page"
    );
    mock.clear_requests();

    let file = s.path("leads.csv");
    let state = s.path("export.state");
    let mut args = export(&file);
    args.extend(["--state".into(), state.to_str().unwrap().into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // 1. Right after the first job is created: its first status poll's connection drops.
    mock.inject(Fault::once(FaultKind::CloseConnection).on(format!("{READ}/")));
    failed(&bulk_cmd(&mock, &s, &args).output().unwrap());
    assert_eq!(count(&mock, "POST", READ), 1);
    assert!(state.exists() && !file.exists());

    // 2. Killed while page 2 downloads (page 1 is written by then).
    mock.inject(
        Fault::once(FaultKind::Delay(Duration::from_secs(600)))
            .on(format!("{READ}/*/result"))
            .after(1),
    );
    kill_when(
        &mock,
        &mut bulk_cmd(&mock, &s, &args),
        "GET",
        "/crm/bulk/v8/read/*/result",
        2,
    );
    assert_eq!(count(&mock, "POST", READ), 2, "the first job was reused");
    assert!(!file.exists());

    // 3. Page 3's download is cut short (page 2 comes from the job created before the kill).
    mock.inject(
        Fault::once(FaultKind::TruncatedBody)
            .on(format!("{READ}/*/result"))
            .after(1),
    );
    failed(&bulk_cmd(&mock, &s, &args).output().unwrap());
    assert_eq!(count(&mock, "POST", READ), 3, "the second job was reused");

    // 4. The last run: page 3's job is reused, and the file is whole.
    let out = ok(bulk_cmd(&mock, &s, &args).output().unwrap());
    let err = stderr(&out);
    assert!(err.contains("resuming the export"), "{err}");
    assert!(
        err.contains("exported 5000 rows of Leads in 3 pages"),
        "{err}"
    );
    assert_eq!(count(&mock, "POST", READ), 3, "no job beyond one per page");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(&clean).unwrap(),
        "the same bytes as the clean run: no row twice, none missing"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&s.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("zcrm-resume"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A finished state: nothing more is done.
    let out = ok(bulk_cmd(&mock, &s, &args).output().unwrap());
    assert!(stderr(&out).contains("is finished"), "{}", stderr(&out));
    assert_eq!(count(&mock, "POST", READ), 3);

    // Another export with this state is refused before any job.
    let mut other = args.clone();
    other[4] = "Last_Name";
    let err = failed(&bulk_cmd(&mock, &s, &other).output().unwrap());
    assert!(err.contains("belongs to another export"), "{err}");
    assert_eq!(count(&mock, "POST", READ), 3);
}

const WRITE: &str = "/crm/bulk/v8/write";
const UPLOAD: &str = "/crm/v8/upload";

#[test]
fn an_import_stopped_three_times_imports_every_row_once() {
    let (mock, s) = start();
    let input = s.path("leads.csv");
    let mut text = String::from("Last_Name,Email\n");
    for i in 1..=250 {
        if i == 150 {
            // Fails in file 2: reported by the run that reads file 2's report, once.
            text.push_str(",nameless@resume.test\n");
        } else {
            text.push_str(&format!("Resume{i},lead{i}@resume.test\n"));
        }
    }
    std::fs::write(&input, text).unwrap();
    let state = s.path("import.state");
    let args = [
        "bulk",
        "import",
        "Leads",
        input.to_str().unwrap(),
        "--rows-per-job",
        "100",
        "--state",
        state.to_str().unwrap(),
        "-o",
        "json",
    ];

    // 1. Killed while file 2 uploads (file 1 is imported and its report read by then).
    mock.inject(
        Fault::once(FaultKind::Delay(Duration::from_secs(600)))
            .on(UPLOAD)
            .after(1),
    );
    kill_when(&mock, &mut bulk_cmd(&mock, &s, &args), "POST", UPLOAD, 2);
    assert_eq!(count(&mock, "POST", WRITE), 1);

    // 2. Right after file 2's job is created: its first status poll's connection drops.
    mock.inject(Fault::once(FaultKind::CloseConnection).on(format!("{WRITE}/")));
    let out = bulk_cmd(&mock, &s, &args).output().unwrap();
    let err = failed(&out);
    assert!(err.contains("100 rows imported by earlier runs"), "{err}");
    assert_eq!(count(&mock, "POST", WRITE), 2);
    assert_eq!(
        count(&mock, "POST", UPLOAD),
        3,
        "file 2 uploaded again: the kill beat it"
    );

    // 3. File 2's report download is cut short: nothing of it is printed.
    mock.inject(Fault::once(FaultKind::TruncatedBody).on(format!("{WRITE}/*/result")));
    let out = bulk_cmd(&mock, &s, &args).output().unwrap();
    failed(&out);
    assert_eq!(json_of(&out), json!([]), "no outcome of a report not read");
    assert_eq!(count(&mock, "POST", WRITE), 2, "file 2's job was reused");
    assert_eq!(
        count(&mock, "POST", UPLOAD),
        3,
        "file 2 was not uploaded again"
    );

    // 4. The last run: file 2's report, then file 3.
    let out = bulk_cmd(&mock, &s, &args).output().unwrap();
    assert_eq!(code(&out), 1, "one row failed:\n{}", stderr(&out));
    let rows = json_of(&out);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["row"], 150);
    let err = stderr(&out);
    assert!(
        err.contains("imported 250 rows")
            && err.contains("249 succeeded (249 added, 0 updated), 1 failed"),
        "{err}"
    );
    assert_eq!(count(&mock, "POST", WRITE), 3, "one job per file, no more");
    assert_eq!(
        count(&mock, "POST", UPLOAD),
        4,
        "one upload per file, plus the killed one"
    );

    // Every row is in the CRM once.
    let check = s.path("check.csv");
    ok(bulk_cmd(
        &mock,
        &s,
        &[
            "bulk",
            "export",
            "Leads",
            "--fields",
            "Email",
            "--criteria",
            "Email:ends_with:@resume.test",
            "-o",
            check.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap());
    let mut reader = csv::Reader::from_path(&check).unwrap();
    let mut emails: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_owned()).collect();
    emails.sort();
    let before = emails.len();
    emails.dedup();
    assert_eq!((before, emails.len()), (249, 249));

    // Rerun after the end: nothing is uploaded or imported again.
    let out = bulk_cmd(&mock, &s, &args).output().unwrap();
    assert_eq!(
        code(&out),
        1,
        "the earlier failure still counts:\n{}",
        stderr(&out)
    );
    assert_eq!(count(&mock, "POST", WRITE), 3);
    assert_eq!(count(&mock, "POST", UPLOAD), 4);
}
