//! `zcrm watch`: a channel with a short expiry kept alive by `watch renew --keep-for` for more
//! than three expiry periods, and a channel Zoho dropped enabled again.

use super::*;

const TOKEN: &str = "channel-secret-123";

fn channels(mock: &BlockingMock, s: &Scratch) -> Value {
    json_of(&ok(run(
        &mut zcrm(mock, s, RT),
        &["watch", "list", "-o", "json"],
    )))
}

#[test]
fn renew_keeps_a_short_lived_channel_alive_and_enables_a_dropped_one() {
    let (mock, s) = start();
    let state = s.path("leads.watch");
    let state_arg = state.to_str().unwrap();
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &[
            "watch",
            "enable",
            "--channel-id",
            "1000",
            "--events",
            "Leads.all",
            "--notify-url",
            "https://example.test/hook",
            "--token",
            TOKEN,
            "--lifetime",
            "3",
            "--state",
            state_arg,
            "-o",
            "json",
        ],
    ));
    assert_eq!(json_of(&out)[0]["status"], "success");
    let listed = channels(&mock, &s);
    assert_eq!(listed[0]["channel_id"], "1000");

    // 10 s is more than three lifetimes of 3 s: without renewals the mock drops the channel.
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["watch", "renew", "--state", state_arg, "--keep-for", "10"],
    ));
    let err = stderr(&out);
    let renewals = mock
        .requests()
        .iter()
        .filter(|r| {
            r.path() == "/crm/v8/actions/watch" && matches!(r.method.as_str(), "PATCH" | "POST")
        })
        .count();
    // One enable, then at least one renewal (or re-enable, should a loaded machine be late) per
    // lifetime.
    assert!(renewals >= 4, "{renewals} calls:\n{err}");
    let listed = channels(&mock, &s);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["channel_id"], "1000");

    // Dropped (here: disabled behind the keeper's back): one round enables it again, with
    // every detail, the token included.
    ok(run(&mut zcrm(&mock, &s, RT), &["watch", "disable", "1000"]));
    assert!(channels(&mock, &s).as_array().is_none_or(Vec::is_empty));
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["watch", "renew", "--state", state_arg],
    ));
    assert!(stderr(&out).contains("1 enabled again"), "{}", stderr(&out));
    let enabled = mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path() == "/crm/v8/actions/watch")
        .unwrap();
    let body: Value = serde_json::from_slice(&enabled.body).unwrap();
    assert_eq!(body["watch"][0]["token"], TOKEN);
    assert_eq!(body["watch"][0]["notify_url"], "https://example.test/hook");
    assert_eq!(channels(&mock, &s)[0]["channel_id"], "1000");

    // The token is in the state file (0600) only, never printed.
    assert!(!stdout(&out).contains(TOKEN) && !stderr(&out).contains(TOKEN));
    assert!(!channels(&mock, &s).to_string().contains(TOKEN));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Disabling with the state forgets the channel.
    ok(run(
        &mut zcrm(&mock, &s, RT),
        &["watch", "disable", "1000", "--state", state_arg],
    ));
    let out = ok(run(
        &mut zcrm(&mock, &s, RT),
        &["watch", "renew", "--state", state_arg],
    ));
    assert!(
        stderr(&out).contains("0 renewed, 0 enabled again"),
        "{}",
        stderr(&out)
    );
}
