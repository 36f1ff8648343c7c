//! Keeping notification channels alive: Zoho drops a channel at its `channel_expiry` (at most
//! one week ahead), silently. A [`ChannelKeeper`] holds the channels wanted; given the clock and
//! the channels Zoho lists, it says which to re-enable (dropped) and which to renew (expiring
//! within the margin), and when to look again. Plain decisions; the clients' `renew_channels`
//! sends the calls.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::notifications::{EnableNotifications, PatchNotifications, WatchChannel, WatchDetails};

/// The longest expiry Zoho takes (one week), less a minute for the clocks' difference.
pub const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600 - 60);

/// The channels to keep alive and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelKeeper {
    /// The channels, with every detail needed to enable them again (token included; `Debug`
    /// hides it).
    pub channels: Vec<WatchChannel>,
    /// How long each renewal extends a channel (at most [`MAX_LIFETIME`]).
    pub lifetime: Duration,
    /// A channel expiring within this is renewed.
    pub margin: Duration,
}

/// What one round found to do.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeepPlan {
    /// Channels Zoho no longer lists: enable them again (with a new expiry).
    pub enable: Option<EnableNotifications>,
    /// Channels expiring within the margin: extend their expiry.
    pub renew: Option<PatchNotifications>,
    /// When to look again.
    pub next_check: Duration,
}

impl ChannelKeeper {
    /// Keeps `channels` alive, each renewal for `lifetime` (capped at [`MAX_LIFETIME`]),
    /// renewing when a fifth of the lifetime is left.
    pub fn new(channels: impl IntoIterator<Item = WatchChannel>, lifetime: Duration) -> Self {
        let lifetime = lifetime.clamp(Duration::from_secs(2), MAX_LIFETIME);
        ChannelKeeper {
            channels: channels.into_iter().collect(),
            lifetime,
            margin: lifetime / 5,
        }
    }

    /// The expiry a channel enabled or renewed at `now` gets.
    pub fn expiry_from(&self, now: SystemTime) -> String {
        let at = (OffsetDateTime::from(now) + self.lifetime).to_offset(time::UtcOffset::UTC);
        crate::field_value::zoho_datetime(&at).unwrap_or_default()
    }

    /// One round: what to do at `now` given the channels Zoho lists.
    pub fn plan(&self, now: SystemTime, listed: &[WatchDetails]) -> KeepPlan {
        let now_at = OffsetDateTime::from(now);
        let expiry = self.expiry_from(now);
        let mut enable = Vec::new();
        let mut renew = Vec::new();
        // Look again when the soonest channel enters its margin (the ones renewed now: after
        // a full lifetime less the margin).
        let mut next = self.lifetime.saturating_sub(self.margin);
        for wanted in &self.channels {
            let found = listed.iter().find(|l| l.channel_id == wanted.channel_id);
            let Some(found) = found else {
                let mut again = wanted.clone();
                again.channel_expiry = Some(expiry.clone());
                enable.push(again);
                continue;
            };
            let expires = found
                .channel_expiry
                .as_deref()
                .and_then(|e| OffsetDateTime::parse(e.trim(), &Rfc3339).ok());
            let left = expires.map(|e| e - now_at);
            match left {
                Some(left) if left > self.margin => {
                    let until_margin = (left - self.margin).unsigned_abs();
                    next = next.min(until_margin);
                }
                // Expiring soon, or an expiry that cannot be read: renew.
                _ => {
                    let mut patch =
                        WatchChannel::new(wanted.channel_id.clone(), Vec::<String>::new(), "");
                    patch.notify_url = None;
                    patch.channel_expiry = Some(expiry.clone());
                    renew.push(patch);
                }
            }
        }
        KeepPlan {
            enable: (!enable.is_empty()).then(|| EnableNotifications::new(enable)),
            renew: (!renew.is_empty()).then(|| PatchNotifications::new(renew)),
            next_check: next.max(Duration::from_millis(200)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, expiry: &str) -> WatchDetails {
        WatchDetails {
            channel_id: id.into(),
            channel_expiry: Some(expiry.into()),
            ..WatchDetails::default()
        }
    }

    #[test]
    fn dropped_channels_are_enabled_and_expiring_ones_renewed() {
        let at = |s: &str| SystemTime::from(OffsetDateTime::parse(s, &Rfc3339).unwrap());
        let now = at("2026-01-01T00:00:00Z");
        let keeper = ChannelKeeper::new(
            [
                WatchChannel::new("1", ["Leads.all"], "https://example.test/a"),
                WatchChannel::new("2", ["Deals.all"], "https://example.test/b"),
                WatchChannel::new("3", ["Contacts.all"], "https://example.test/c"),
            ],
            Duration::from_secs(100),
        );
        let plan = keeper.plan(
            now,
            &[
                // 10 s left, within the 20 s margin.
                listed("1", "2026-01-01T00:00:10+00:00"),
                // 80 s left: next look in 60 s.
                listed("3", "2026-01-01T01:01:20+01:00"),
            ],
        );
        let enable = plan.enable.unwrap();
        assert_eq!(enable.watch.len(), 1);
        assert_eq!(enable.watch[0].channel_id, "2");
        assert_eq!(
            enable.watch[0].notify_url.as_deref(),
            Some("https://example.test/b")
        );
        assert_eq!(
            enable.watch[0].channel_expiry.as_deref(),
            Some("2026-01-01T00:01:40+00:00")
        );
        let renew = plan.renew.unwrap();
        assert_eq!(renew.watch.len(), 1);
        assert_eq!(renew.watch[0].channel_id, "1");
        assert!(renew.watch[0].events.is_empty() && renew.watch[0].notify_url.is_none());
        assert_eq!(plan.next_check, Duration::from_secs(60));

        // Nothing to do: nothing planned.
        let plan = keeper.plan(
            now,
            &[
                listed("1", "2026-01-01T00:01:00+00:00"),
                listed("2", "2026-01-01T00:01:00+00:00"),
                listed("3", "2026-01-01T00:01:00+00:00"),
            ],
        );
        assert_eq!((plan.enable, plan.renew), (None, None));
        assert_eq!(plan.next_check, Duration::from_secs(40));
    }

    #[test]
    fn the_lifetime_stays_within_zohos_week() {
        let keeper = ChannelKeeper::new([], Duration::from_secs(30 * 24 * 3600));
        assert_eq!(keeper.lifetime, MAX_LIFETIME);
    }
}
