//! `zcrm auth login|status|revoke|client-credentials|scopes`. Secrets are never printed, except
//! the refresh token of `login --print-refresh-token`, which the user asks for.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use zohocrm_core::oauth::{
    ClientCredentialsGrant, ExchangeGrantCode, RevokeToken, TokenResponse, MAX_TOKEN_LIFETIME,
};
use zohocrm_core::op_spec::OpSpec;
use zohocrm_core::territories::GetTerritoriesOfUser;
use zohocrm_core::time::format_description::well_known::Rfc3339;
use zohocrm_core::time::OffsetDateTime;
use zohocrm_core::{AccessToken, Credentials, Endpoint, GrantCode, StoredToken};

use crate::cli::AuthCommand;
use crate::config::{env_suffix, Settings, Source};
use crate::error::CliError;
use crate::output::{write_value, Format};
use crate::App;

/// Runs an `auth` subcommand.
pub fn run(app: &App, command: AuthCommand) -> Result<(), CliError> {
    match command {
        AuthCommand::Login {
            grant_code,
            redirect_uri,
            print_refresh_token,
        } => login(app, grant_code, redirect_uri, print_refresh_token),
        AuthCommand::Status => status(app),
        AuthCommand::Revoke => revoke(app),
        AuthCommand::ClientCredentials { org_id, scope } => client_credentials(app, org_id, scope),
        AuthCommand::Scopes { targets } => scopes(app, &targets),
    }
}

/// A client for the token endpoints, which need no access token.
fn token_client(settings: &Settings) -> Result<zohocrm_ureq::Client, CliError> {
    settings.client_with(Credentials::AccessToken(AccessToken::new("unused")))
}

/// RFC 3339 text of a wall-clock time (`?` outside the years 1970 to 9999: a store file may
/// hold any number).
pub fn rfc3339(at: SystemTime) -> String {
    at.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "?".into())
}

fn store_error(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("cannot use the token store: {e}"))
}

/// Saves a fresh token, keeping a refresh token already stored unless `refresh` replaces it.
fn save(
    settings: &Settings,
    client: &zohocrm_ureq::Client,
    token: &TokenResponse,
    refresh: Option<zohocrm_core::RefreshToken>,
) -> Result<SystemTime, CliError> {
    let store = settings.store()?;
    let previous = store.load().ok().flatten();
    // `expires_in` comes from the server: never trusted in clock arithmetic.
    let expires = SystemTime::now()
        .checked_add(token.expires_in.min(MAX_TOKEN_LIFETIME))
        .ok_or_else(|| {
            CliError::Auth("the token answer's lifetime is past the clock's range".into())
        })?;
    let api_domain = token
        .api_domain
        .clone()
        .filter(|d| client.session().context().accepts_api_domain(d));
    let mut stored = StoredToken {
        access_token: Some(token.access_token.clone()),
        expires_at_unix: 0,
        refresh_token: refresh.or_else(|| previous.and_then(|p| p.refresh_token)),
        api_domain,
        scope: token.scope.clone(),
    };
    stored.set_expires_at(expires);
    store.save(&stored).map_err(store_error)?;
    Ok(expires)
}

fn login(
    app: &App,
    code: String,
    redirect_uri: Option<String>,
    print_refresh_token: bool,
) -> Result<(), CliError> {
    let settings = &app.settings;
    let (client_id, client_secret) = settings.client_keys()?;
    let client = token_client(settings)?;
    let token = client.send(&ExchangeGrantCode {
        client_id,
        client_secret,
        code: GrantCode::new(code),
        redirect_uri,
    })?;
    let Some(refresh) = token.refresh_token.clone() else {
        return Err(CliError::Auth(
            "Zoho sent no refresh token for this grant code (codes of the browser flow need \
             access_type=offline; self-client codes always give one)"
                .into(),
        ));
    };
    let path = settings.token_store_label();
    let mut out = app.stdout();
    if print_refresh_token {
        let expires = save(settings, &client, &token, None)?;
        writeln!(out, "{}", refresh.expose())?;
        out.flush()?;
        crate::term::say(format!(
            "logged in; set ZOHO_REFRESH_TOKEN to the refresh token above (the access token, \
             valid until {}, is cached in {path})",
            rfc3339(expires)
        ));
        return Ok(());
    }
    let expires = save(settings, &client, &token, Some(refresh))?;
    let summary = json!({
        "token_store": path,
        "refresh_token_stored": true,
        "access_token_expires_at": rfc3339(expires),
        "scope": token.scope,
        "api_domain": token.api_domain,
    });
    match app.format {
        Format::Table => {
            writeln!(
                out,
                "Logged in. The refresh token is saved in {path} (mode 0600)."
            )?;
            writeln!(
                out,
                "The access token is valid until {}; it is refreshed automatically.",
                rfc3339(expires)
            )?;
            if let Some(scope) = &token.scope {
                writeln!(out, "Granted scopes: {scope}")?;
            }
            if settings.refresh_token.is_some() {
                writeln!(
                    out,
                    "Note: a refresh token is also configured (ZOHO_REFRESH_TOKEN, a flag or the \
                     config file); it takes precedence over the stored one."
                )?;
            }
        }
        format => write_value(format, &mut out, &summary)?,
    }
    out.flush()?;
    Ok(())
}

fn status(app: &App) -> Result<(), CliError> {
    let s = &app.settings;
    let (dc, env) = s.dc.value;
    let stored = s.store()?.load().map_err(store_error)?;
    let now = SystemTime::now();
    let access = stored.as_ref().and_then(|t| {
        t.access_token.as_ref()?;
        // The store file may have been written by anyone: no overflow on a huge expiry.
        let at = UNIX_EPOCH
            .checked_add(Duration::from_secs(t.expires_at_unix))
            .unwrap_or(now);
        let left = at.duration_since(now).unwrap_or(Duration::ZERO).as_secs();
        Some(json!({
            "cached": true,
            "expires_at": rfc3339(at),
            "expires_in_secs": left,
            "expired": left == 0,
        }))
    });
    let refresh = match (
        &s.refresh_token,
        stored.as_ref().and_then(|t| t.refresh_token.as_ref()),
    ) {
        (Some(rt), _) => json!({"set": true, "source": rt.source.label()}),
        (None, Some(_)) => json!({"set": true, "source": "token store"}),
        (None, None) => json!({"set": false, "source": null}),
    };
    let source = |src: Option<Source>| src.map(Source::label);
    // The token answer's scopes (kept in the store) win over the configured ones, as in the SDK.
    let granted = match (stored.as_ref().and_then(|t| t.scope.as_ref()), &s.scopes) {
        (Some(scope), _) => json!({"scopes": split_scopes(scope), "source": "token store"}),
        (None, Some(c)) => json!({"scopes": split_scopes(&c.value), "source": c.source.label()}),
        (None, None) => Value::Null,
    };
    let value = json!({
        "data_centre": format!("{}{}", dc.code(), env_suffix(env)),
        "data_centre_source": s.dc.source.label(),
        "custom_hosts": s.accounts_url.is_some() || s.api_domain.is_some(),
        "accounts_url": s.accounts_origin(),
        "api_domain": stored.as_ref().and_then(|t| t.api_domain.clone()).unwrap_or_else(|| s.api_origin()),
        "client_id": s.client_id.as_ref().map(|c| c.value.clone()),
        "client_id_source": source(s.client_id.as_ref().map(|c| c.source)),
        "client_secret": {"set": s.client_secret.is_some(), "source": source(s.client_secret.as_ref().map(|c| c.source))},
        "refresh_token": refresh,
        "token_store": s.token_store_label(),
        "access_token": access.unwrap_or_else(|| json!({"cached": false})),
        "granted_scopes": granted,
        "config_file": s.config_file.as_ref().map(|p| p.display().to_string()),
    });
    let mut out = app.stdout();
    match app.format {
        Format::Table => status_text(&mut out, &value)?,
        format => write_value(format, &mut out, &value)?,
    }
    out.flush()?;
    Ok(())
}

fn status_text(out: &mut impl Write, v: &Value) -> std::io::Result<()> {
    let s = |key: &str| v[key].as_str().unwrap_or("").to_owned();
    let custom = if v["custom_hosts"] == true {
        "; custom hosts below"
    } else {
        ""
    };
    writeln!(
        out,
        "Data centre    {} ({}{custom})",
        s("data_centre"),
        v["data_centre_source"].as_str().unwrap_or("")
    )?;
    writeln!(out, "Accounts       {}", s("accounts_url"))?;
    writeln!(out, "API domain     {}", s("api_domain"))?;
    match v["client_id"].as_str() {
        Some(id) => writeln!(
            out,
            "Client id      {id} ({})",
            v["client_id_source"].as_str().unwrap_or("")
        )?,
        None => writeln!(out, "Client id      not set (ZOHO_CLIENT_ID)")?,
    }
    let presence = |key: &str, hint: &str| match v[key]["source"].as_str() {
        Some(src) if v[key]["set"] == true => format!("set ({src})"),
        _ => format!("not set ({hint})"),
    };
    writeln!(
        out,
        "Client secret  {}",
        presence("client_secret", "ZOHO_CLIENT_SECRET")
    )?;
    writeln!(
        out,
        "Refresh token  {}",
        presence(
            "refresh_token",
            "ZOHO_REFRESH_TOKEN, or `zcrm auth login --grant-code CODE`"
        )
    )?;
    writeln!(out, "Token store    {}", s("token_store"))?;
    let a = &v["access_token"];
    if a["cached"] == true {
        let at = a["expires_at"].as_str().unwrap_or("");
        if a["expired"] == true {
            writeln!(
                out,
                "Access token   cached, expired at {at} (the next call refreshes it)"
            )?;
        } else {
            let mins = a["expires_in_secs"].as_u64().unwrap_or(0).div_ceil(60);
            writeln!(
                out,
                "Access token   cached, expires at {at} (in about {mins} min)"
            )?;
        }
    } else {
        writeln!(out, "Access token   none cached (the next call mints one)")?;
    }
    let g = &v["granted_scopes"];
    match g["scopes"].as_array() {
        Some(list) => {
            let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            writeln!(
                out,
                "Scopes         {} ({})",
                names.join(", "),
                g["source"].as_str().unwrap_or("")
            )?;
        }
        None => writeln!(
            out,
            "Scopes         unknown (Zoho's token answer did not list them; set ZOHO_SCOPES to \
             check them before each call)"
        )?,
    }
    if let Some(path) = v["config_file"].as_str() {
        writeln!(out, "Config file    {path}")?;
    }
    Ok(())
}

fn revoke(app: &App) -> Result<(), CliError> {
    let s = &app.settings;
    let store = s.store()?;
    let stored = store.load().map_err(store_error)?;
    let (token, source) = match (&s.refresh_token, stored.and_then(|t| t.refresh_token)) {
        (Some(rt), _) => (rt.value.clone(), rt.source.label()),
        (None, Some(rt)) => (rt, "token store"),
        (None, None) => {
            return Err(CliError::Auth(
                "no refresh token to revoke: none is configured and none is stored".into(),
            ))
        }
    };
    token_client(s)?.send(&RevokeToken { token })?;
    store.clear().map_err(store_error)?;
    let mut out = app.stdout();
    let path = s.token_store_label();
    match app.format {
        Format::Table => {
            writeln!(
                out,
                "Revoked the refresh token (from the {source}) and emptied {path}."
            )?;
            if source != "token store" {
                writeln!(out, "Remove it from the {source} too: it no longer works.")?;
            }
        }
        format => write_value(
            format,
            &mut out,
            &json!({"revoked": true, "source": source, "token_store": path}),
        )?,
    }
    out.flush()?;
    Ok(())
}

fn client_credentials(app: &App, org_id: String, scope: String) -> Result<(), CliError> {
    let s = &app.settings;
    let (client_id, client_secret) = s.client_keys()?;
    let client = token_client(s)?;
    let token = client.send(&ClientCredentialsGrant {
        client_id,
        client_secret,
        org_id,
        scope,
    })?;
    let expires = save(s, &client, &token, None)?;
    let path = s.token_store_label();
    let mut out = app.stdout();
    match app.format {
        Format::Table => {
            writeln!(
                out,
                "Minted an access token with the client-credentials grant, valid until {}.",
                rfc3339(expires)
            )?;
            writeln!(
                out,
                "It is cached in {path}; commands use it until it expires (no refresh token is \
                 issued by this grant: run this command again then)."
            )?;
        }
        format => write_value(
            format,
            &mut out,
            &json!({"token_store": path, "access_token_expires_at": rfc3339(expires), "scope": token.scope}),
        )?,
    }
    out.flush()?;
    Ok(())
}

/// The scopes of a `scope` text (commas or spaces between them).
fn split_scopes(text: &str) -> Vec<String> {
    zohocrm_core::scopes::GrantedScopes::parse(text)
        .as_slice()
        .to_vec()
}

/// The operations each command calls (ids of the SDK's registry), for `zcrm auth scopes`.
const COMMANDS: &[(&str, &[&str])] = &[
    ("licences", &["features.get_user_licences_count"]),
    ("licenses", &["features.get_user_licences_count"]),
    ("records list", &["record.get_records"]),
    ("records get", &["record.get_record"]),
    ("records search", &["record.search_records"]),
    ("records create", &["record.create_records"]),
    ("records update", &["record.update_records"]),
    ("records upsert", &["record.upsert_records"]),
    ("records delete", &["record.delete_records"]),
    ("coql", &["coql.get_records"]),
    (
        "bulk export",
        &[
            "bulk_read.create_bulk_read_job",
            "bulk_read.get_bulk_read_job_details",
            "bulk_read.download_result",
        ],
    ),
    (
        "bulk import",
        &[
            "bulk_write.upload_file",
            "bulk_write.create_bulk_write_job",
            "bulk_write.get_bulk_write_job_details",
            "bulk_write.download_bulk_write_result",
        ],
    ),
    ("territories list", &["territories.get_territories"]),
    ("territories get", &["territories.get_territory"]),
    ("territories children", &["territories.get_child_territory"]),
    ("territories create", &["territories.create_territories"]),
    ("territories update", &["territories.update_territory"]),
    (
        "territories delete",
        &[
            "territories.delete_territories",
            "territories.transfer_and_delete_territories",
        ],
    ),
    (
        "territories users",
        &[
            "territory_users.get_territory_users",
            "territory_users.update_territory_users",
            "territory_users.deassociate_territory_users",
        ],
    ),
    (
        "territories of-user",
        &[<GetTerritoriesOfUser as Endpoint>::ID],
    ),
    (
        "territories assign",
        &[
            "record.assign_territory_to_record",
            "record.assign_territories_to_multiple_records",
        ],
    ),
    (
        "territories remove",
        &[
            "record.remove_territories_from_record",
            "record.remove_territories_from_multiple_records",
        ],
    ),
    ("codegen", &["fields.get_fields"]),
];

/// The operations named by `targets`: operation ids, commands (`records list`), `call OP`, or a
/// group (`records`, `territories`, `bulk`) for all its commands.
fn operations_of(targets: &[String]) -> Result<Vec<&'static OpSpec>, CliError> {
    let mut specs: Vec<&'static OpSpec> = Vec::new();
    let mut add = |id: &str| -> Result<(), CliError> {
        let op = zohocrm_core::registry::find(id)
            .ok_or_else(|| CliError::Usage(format!("unknown operation `{id}` (see `zcrm ops`)")))?;
        if let Some(spec) = op.op_spec() {
            specs.push(spec);
        }
        Ok(())
    };
    let mut i = 0;
    while i < targets.len() {
        let word = targets[i].trim();
        let pair = targets
            .get(i + 1)
            .map(|next| format!("{word} {}", next.trim()));
        if let Some((_, ids)) = pair
            .as_deref()
            .and_then(|p| COMMANDS.iter().find(|(c, _)| *c == p))
        {
            ids.iter().try_for_each(|id| add(id))?;
            i += 2;
            continue;
        }
        if word == "call" {
            let id = targets.get(i + 1).ok_or_else(|| {
                CliError::Usage("`call` takes an operation id: `call users.get_users`".into())
            })?;
            add(id.trim())?;
            i += 2;
            continue;
        }
        let group: Vec<&(&str, &[&str])> = COMMANDS
            .iter()
            .filter(|(c, _)| *c == word || c.split(' ').next() == Some(word))
            .collect();
        if !group.is_empty() {
            for (_, ids) in group {
                ids.iter().try_for_each(|id| add(id))?;
            }
        } else if word.contains('.') {
            add(word)?;
        } else if word == "api" {
            return Err(CliError::Usage(
                "`api` calls any path, so its scopes are not known: name the operation id \
                 instead (see `zcrm ops`)"
                    .into(),
            ));
        } else {
            return Err(CliError::Usage(format!(
                "unknown operation or command `{word}`: give operation ids (see `zcrm ops`) \
                 or commands such as `records list`, `coql`, `bulk export`, `territories`"
            )));
        }
        i += 1;
    }
    Ok(specs)
}

/// `zcrm auth scopes OP_OR_COMMAND...`: the smallest list of scopes those operations need.
fn scopes(app: &App, targets: &[String]) -> Result<(), CliError> {
    let specs = operations_of(targets)?;
    let list = zohocrm_core::scopes::minimal(specs.iter().copied());
    let mut ids: Vec<&str> = specs.iter().map(|s| s.id).collect();
    ids.dedup();
    let mut out = app.stdout();
    match app.format {
        Format::Table => {
            for scope in &list {
                writeln!(out, "{scope}")?;
            }
        }
        format => write_value(
            format,
            &mut out,
            &json!({"scopes": list, "scope": list.join(","), "operations": ids}),
        )?,
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_names_operations_of_the_registry_with_scopes() {
        for (command, ids) in COMMANDS {
            for id in *ids {
                let op = zohocrm_core::registry::find(id)
                    .unwrap_or_else(|| panic!("`{command}`: no operation {id}"));
                assert!(op.op_spec().is_some(), "`{command}`: {id} has no spec");
            }
        }
    }

    #[test]
    fn targets_are_commands_groups_calls_and_ids() {
        let ids = |words: &[&str]| -> Vec<&str> {
            let targets: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            operations_of(&targets)
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect()
        };
        assert_eq!(
            ids(&["records", "list", "coql"]),
            ["record.get_records", "coql.get_records"]
        );
        assert_eq!(ids(&["records"]).len(), 7);
        assert_eq!(ids(&["call", "users.get_users"]), ["users.get_users"]);
        assert_eq!(ids(&["org.get_organization"]), ["org.get_organization"]);
        assert!(operations_of(&["records".into(), "nonsense".into()]).is_err());
        assert!(operations_of(&["call".into()]).is_err());
    }
}
