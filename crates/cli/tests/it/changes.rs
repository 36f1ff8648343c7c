//! `zcrm records changes` run three times around inserts, updates and deletes: each change is
//! reported by exactly one run.

use std::collections::BTreeSet;

use super::*;

/// One run with the cursor in `state`: the (change, id) pairs printed.
fn changes(mock: &BlockingMock, s: &Scratch, state: &Path) -> Vec<(String, String)> {
    let out = ok(run(
        &mut zcrm(mock, s, RT),
        &[
            "records",
            "changes",
            "Leads",
            "--fields",
            "Last_Name,Email",
            "--state",
            state.to_str().unwrap(),
            "-o",
            "jsonl",
        ],
    ));
    stdout(&out)
        .lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).unwrap();
            (
                row["change"].as_str().unwrap().to_owned(),
                row["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Runs `records VERB Leads` with `input` (a JSON array) and returns the ids of the outcomes.
fn write(mock: &BlockingMock, s: &Scratch, verb: &str, input: Value) -> Vec<String> {
    let file = s.path("input.json");
    std::fs::write(&file, input.to_string()).unwrap();
    let out = ok(run(
        &mut zcrm(mock, s, RT),
        &["records", verb, "Leads", "--input", file.to_str().unwrap()],
    ));
    json_of(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(c, id)| ((*c).to_owned(), (*id).to_owned()))
        .collect()
}

fn once(run: Vec<(String, String)>) -> BTreeSet<(String, String)> {
    let n = run.len();
    let unique: BTreeSet<_> = run.into_iter().collect();
    assert_eq!(unique.len(), n, "a change reported twice in one run");
    unique
}

#[test]
fn three_runs_report_each_insert_update_and_delete_once() {
    let mock = BlockingMock::start_with(MockConfig {
        demo_leads: 40,
        ..MockConfig::default()
    })
    .unwrap();
    let s = Scratch::new("changes");
    let state = s.path("leads.cursor");

    // Run 1, no cursor yet: every lead is an upsert.
    let first = once(changes(&mock, &s, &state));
    assert!(first.len() >= 30, "{}", first.len());
    assert!(first.iter().all(|(c, _)| c == "upsert"));
    let old: Vec<String> = first.iter().map(|(_, id)| id.clone()).collect();

    // Three inserts, two updates and one delete.
    let new = write(
        &mock,
        &s,
        "create",
        json!([
            {"Last_Name": "Changes A", "Email": "a@changes.test"},
            {"Last_Name": "Changes B", "Email": "b@changes.test"},
            {"Last_Name": "Changes C", "Email": "c@changes.test"},
        ]),
    );
    write(
        &mock,
        &s,
        "update",
        json!([{"id": old[0], "Company": "Updated"}, {"id": old[1], "Company": "Updated"}]),
    );
    ok(run(
        &mut zcrm(&mock, &s, RT),
        &["records", "delete", "Leads", &old[2]],
    ));
    let second = once(changes(&mock, &s, &state));
    assert_eq!(
        second,
        set(&[
            ("upsert", &new[0]),
            ("upsert", &new[1]),
            ("upsert", &new[2]),
            ("upsert", &old[0]),
            ("upsert", &old[1]),
            ("delete", &old[2]),
        ])
    );

    // Within the same second as run 2's newest change, most likely: one of the records just
    // reported changes again, one is deleted, one is new. Run 3 asks Zoho from one second
    // before its cursor, so the boundary records come back; those unchanged since run 2 (the
    // boundary duplicates) are recognised by id and content and dropped, the changed one is
    // reported.
    write(
        &mock,
        &s,
        "update",
        json!([{"id": new[0], "Email": "a2@changes.test"}]),
    );
    ok(run(
        &mut zcrm(&mock, &s, RT),
        &["records", "delete", "Leads", &new[1]],
    ));
    let newer = write(
        &mock,
        &s,
        "create",
        json!([{"Last_Name": "Changes D", "Email": "d@changes.test"}]),
    );
    let third = once(changes(&mock, &s, &state));
    assert_eq!(
        third,
        set(&[
            ("upsert", &new[0]),
            ("upsert", &newer[0]),
            ("delete", &new[1]),
        ])
    );
    let asked = mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path() == "/crm/v8/Leads" && r.method == "GET")
        .unwrap();
    assert!(asked.header("if-modified-since").is_some());
    assert!(asked.uri.contains("sort_order=desc"), "{}", asked.uri);

    // Nothing changed since: nothing is reported.
    assert!(changes(&mock, &s, &state).is_empty());
    // Across the runs, a (change, id) pair repeats only for a record that changed again:
    // old[0] and old[1] (run 1, then updated for run 2) and new[0] (run 2, then run 3).
    let all = first.len() + second.len() + third.len();
    let mut union: BTreeSet<_> = first;
    union.extend(second);
    union.extend(third);
    assert_eq!(union.len(), all - 3);
}
