//! `zcrm watch enable|list|renew|disable`: notification channels, and keeping them alive.
//!
//! Zoho drops a channel at its expiry (at most a week ahead) without a word. `enable --state
//! FILE` records the channel (every detail, its token included, in a 0600 file) so that
//! `renew --state FILE` can extend it before it expires and enable it again if Zoho dropped it;
//! run `renew` from cron, or keep it running with `--keep-for`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Map};
use zohocrm_core::channel_renewal::{ChannelKeeper, KeepPlan};
use zohocrm_core::files::StateFile;
use zohocrm_core::notifications::{DisableNotifications, GetNotifications, WatchChannel};

use crate::cmd::print_outcomes;
use crate::error::CliError;
use crate::output::RowSink;
use crate::term;
use crate::App;

/// `zcrm watch ...`.
#[derive(Debug, clap::Subcommand)]
pub enum WatchCommand {
    /// Enable a channel, e.g. `zcrm watch enable --channel-id 1000 --events Leads.all
    /// --notify-url https://example.com/hook --state leads.watch`.
    Enable(EnableArgs),
    /// The org's channels (tokens are never printed).
    List,
    /// Extend the channels of a state file before they expire; enable again those Zoho dropped.
    Renew(RenewArgs),
    /// Disable channels (and forget them in `--state`).
    Disable {
        /// Channel ids.
        #[arg(required = true)]
        channel_ids: Vec<String>,
        /// The state file to remove them from.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
    },
}

/// Arguments of `watch enable`.
#[derive(Debug, clap::Args)]
pub struct EnableArgs {
    /// The channel id (a number you choose).
    #[arg(long, value_name = "ID")]
    pub channel_id: String,
    /// Events, comma-separated: `{Module}.{create|edit|delete|all}`.
    #[arg(long, required = true, value_delimiter = ',')]
    pub events: Vec<String>,
    /// Where Zoho POSTs the notifications.
    #[arg(long, value_name = "URL")]
    pub notify_url: String,
    /// The secret Zoho echoes in each notification (at most 50 characters).
    #[arg(long, env = "ZCRM_CHANNEL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Seconds until the channel expires, and what each renewal extends it by (at most a week).
    #[arg(long, value_name = "SECS", default_value_t = 86_400)]
    pub lifetime: u64,
    /// Records the channel in FILE for `watch renew`.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// Arguments of `watch renew`.
#[derive(Debug, clap::Args)]
pub struct RenewArgs {
    /// The state file written by `watch enable --state`.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Keep renewing for this many seconds (default: one round).
    #[arg(long, value_name = "SECS")]
    pub keep_for: Option<u64>,
}

/// Runs a `watch` subcommand.
pub fn run(app: &App, command: WatchCommand) -> Result<(), CliError> {
    match command {
        WatchCommand::Enable(args) => enable(app, args),
        WatchCommand::List => list(app),
        WatchCommand::Renew(args) => renew(app, args),
        WatchCommand::Disable { channel_ids, state } => disable(app, channel_ids, state),
    }
}

fn enable(app: &App, args: EnableArgs) -> Result<(), CliError> {
    let mut channel = WatchChannel::new(
        args.channel_id.trim(),
        args.events.iter().map(|e| e.trim().to_owned()),
        args.notify_url.trim(),
    );
    if let Some(t) = args.token {
        channel = channel.token(t);
    }
    let state = args.state.as_ref().map(StateFile::new);
    let mut keeper = match &state {
        Some(file) => file.load::<ChannelKeeper>()?,
        None => None,
    }
    .unwrap_or_else(|| ChannelKeeper::new([], Duration::from_secs(args.lifetime)));
    keeper = ChannelKeeper {
        channels: std::mem::take(&mut keeper.channels),
        ..ChannelKeeper::new([], Duration::from_secs(args.lifetime))
    };
    let client = app.client()?;
    let mut enabled = channel.clone();
    enabled.channel_expiry = Some(keeper.expiry_from(std::time::SystemTime::now()));
    let enable = zohocrm_core::notifications::EnableNotifications::new([enabled]);
    let results = client.enable_notifications(&enable)?;
    let mut out = app.stdout();
    let failed = results.failures().next().is_some();
    print_outcomes(app.format, &mut out, &results)?;
    if let (Some(file), false) = (&state, failed) {
        keeper
            .channels
            .retain(|c| c.channel_id != channel.channel_id);
        keeper.channels.push(channel);
        file.save(&keeper)?;
        term::say(format!(
            "the channel is recorded in {}: `zcrm watch renew --state {0}` keeps it alive",
            file.path().display()
        ));
    }
    Ok(())
}

fn list(app: &App) -> Result<(), CliError> {
    let client = app.client()?;
    let mut out = app.stdout();
    let mut sink = RowSink::new(app.format, &mut out, None);
    for page in client.pages(GetNotifications::new()) {
        for c in page?.watch {
            let mut row = Map::new();
            row.insert("channel_id".into(), json!(c.channel_id));
            row.insert("events".into(), json!(c.events.join(",")));
            row.insert("notify_url".into(), json!(c.notify_url));
            row.insert("channel_expiry".into(), json!(c.channel_expiry));
            sink.row(row)?;
        }
    }
    sink.finish()?;
    out.flush()?;
    Ok(())
}

fn say_round(plan: &KeepPlan) {
    let count = |n: usize, what: &str| format!("{n} {what}");
    term::say(format!(
        "{}, {}; next check in {}s",
        count(plan.renew.as_ref().map_or(0, |r| r.watch.len()), "renewed"),
        count(
            plan.enable.as_ref().map_or(0, |e| e.watch.len()),
            "enabled again"
        ),
        plan.next_check.as_secs()
    ));
}

fn renew(app: &App, args: RenewArgs) -> Result<(), CliError> {
    let file = StateFile::new(&args.state);
    let keeper = file.load::<ChannelKeeper>()?.ok_or_else(|| {
        CliError::Usage(format!(
            "{}: no such state file (write one with `zcrm watch enable --state`)",
            args.state.display()
        ))
    })?;
    let client = app.client()?;
    match args.keep_for {
        None => say_round(&client.renew_channels(&keeper)?),
        Some(secs) => {
            let rounds =
                client.keep_channels_alive(&keeper, Duration::from_secs(secs), say_round)?;
            term::say(format!("{rounds} rounds in {secs}s"));
        }
    }
    Ok(())
}

fn disable(app: &App, ids: Vec<String>, state: Option<PathBuf>) -> Result<(), CliError> {
    let client = app.client()?;
    let results = client.send(&DisableNotifications::new(ids.iter().map(|i| i.trim())))?;
    let mut out = app.stdout();
    print_outcomes(app.format, &mut out, &results)?;
    if let Some(path) = state {
        let file = StateFile::new(path);
        if let Some(mut keeper) = file.load::<ChannelKeeper>()? {
            keeper.channels.retain(|c| !ids.contains(&c.channel_id));
            file.save(&keeper)?;
        }
    }
    Ok(())
}
