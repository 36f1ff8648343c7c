//! Notifications (the watch API, `/crm/v8/actions/watch`): enable, replace, patch, list and
//! disable channels, and read the payload Zoho POSTs to a channel's `notify_url`.
//!
//! Limits checked before sending: a channel needs an id (digits), at least one event
//! (`{Module}.{create|edit|delete|all}`) and a `notify_url`; its `token` is at most 50
//! characters; its `channel_expiry` at most one week ahead (Zoho silently turns a later or
//! missing expiry into one hour). The expiry check needs the time: the endpoints cannot read a
//! clock, so [`EnableNotifications::check_expiry`] takes `now` (the clients call it).
//!
//! Receiving: [`NotificationPayload::parse`] reads the POSTed body leniently (ids as strings or
//! numbers, unknown keys kept) and [`NotificationPayload::verify`] checks the channel id and
//! token, the token in constant time.
//!
//! ```
//! use zohocrm_core::notifications::NotificationPayload;
//!
//! let body = br#"{"server_time":1718117126473,"query_params":{},"module":"Leads",
//!   "resource_uri":"https://www.zohoapis.com/crm/v2/Leads","ids":["5725767000003000064"],
//!   "affected_fields":[],"operation":"insert","channel_id":"1000000068001","token":"s3cret"}"#;
//! let payload = NotificationPayload::parse(body).unwrap();
//! assert!(payload.verify("1000000068001", "s3cret").is_ok());
//! assert!(payload.verify("1000000068001", "guess").is_err());
//! assert_eq!(payload.ids, ["5725767000003000064"]);
//! ```

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::endpoint::{Endpoint, Paginated};
use crate::error::{BuildError, Error};
use crate::request::RequestParts;
use crate::response::{decode_action_results, decode_json, ActionResults, PageInfo};
use crate::secret::ChannelToken;

/// The longest `token` Zoho accepts.
pub const MAX_TOKEN_LEN: usize = 50;
/// The furthest `channel_expiry` Zoho honours.
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// A channel id as Zoho takes it (a long): digits, sent as a JSON number when it fits.
fn serialize_channel_id<S: Serializer>(id: &str, s: S) -> Result<S::Ok, S::Error> {
    match id.parse::<u64>() {
        Ok(n) if !id.starts_with('0') || id == "0" => s.serialize_u64(n),
        _ => s.serialize_str(id),
    }
}

/// A channel token sent as a string or a number (Zoho echoes what it was given).
fn lenient_token<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ChannelToken>, D::Error> {
    Ok(crate::models::lenient_string::option(d)?.map(ChannelToken::new))
}

/// A list of strings whose items may come as numbers.
fn lenient_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    })
}

/// One channel as enable, update and patch send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchChannel {
    /// The channel id, chosen by the caller (a long).
    #[serde(
        serialize_with = "serialize_channel_id",
        deserialize_with = "crate::models::lenient_string::or_default"
    )]
    pub channel_id: String,
    /// Events, e.g. `Deals.all`, `Leads.create`, `Contacts.edit`, `Accounts.delete`.
    #[serde(
        default,
        deserialize_with = "lenient_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub events: Vec<String>,
    /// Where Zoho POSTs the notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
    /// A secret Zoho echoes in every notification (at most 50 characters); `Debug` hides it.
    #[serde(
        default,
        deserialize_with = "lenient_token",
        skip_serializing_if = "Option::is_none"
    )]
    pub token: Option<ChannelToken>,
    /// When the channel expires (ISO 8601, at most one week ahead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_expiry: Option<String>,
    /// Whether notifications carry the changed fields' values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_affected_field_values: Option<bool>,
    /// Whether related actions (e.g. a note added) notify too (Zoho's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_on_related_action: Option<bool>,
    /// Notify only when these fields change (Zoho's `notification_condition`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_condition: Option<Value>,
    /// With PATCH: remove `events` from the channel instead of adding them.
    #[serde(
        rename = "_delete_events",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delete_events: Option<bool>,
}

impl WatchChannel {
    /// Channel `channel_id` notifying `notify_url` of `events`.
    pub fn new<S: Into<String>>(
        channel_id: impl Into<String>,
        events: impl IntoIterator<Item = S>,
        notify_url: impl Into<String>,
    ) -> Self {
        WatchChannel {
            channel_id: channel_id.into(),
            events: events.into_iter().map(Into::into).collect(),
            notify_url: Some(notify_url.into()),
            token: None,
            channel_expiry: None,
            return_affected_field_values: None,
            notify_on_related_action: None,
            notification_condition: None,
            delete_events: None,
        }
    }

    /// The secret Zoho echoes in each notification (at most 50 characters).
    #[must_use]
    pub fn token(mut self, token: impl Into<ChannelToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// When the channel expires (at most one week ahead).
    #[must_use]
    pub fn channel_expiry(mut self, at: OffsetDateTime) -> Self {
        let at = at.replace_nanosecond(0).unwrap_or(at);
        self.channel_expiry = at.format(&Rfc3339).ok();
        self
    }

    /// Whether notifications carry the changed fields' values.
    #[must_use]
    pub fn return_affected_field_values(mut self, yes: bool) -> Self {
        self.return_affected_field_values = Some(yes);
        self
    }

    /// Whether related actions notify too.
    #[must_use]
    pub fn notify_on_related_action(mut self, yes: bool) -> Self {
        self.notify_on_related_action = Some(yes);
        self
    }

    fn check(&self, full: bool) -> Result<(), BuildError> {
        BuildError::require("channel_id", &self.channel_id)?;
        if !self.channel_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BuildError::Invalid {
                param: "channel_id",
                reason: format!("a channel id is a number, got `{}`", self.channel_id),
            });
        }
        if full && self.events.is_empty() {
            return Err(BuildError::Missing("events"));
        }
        for e in &self.events {
            let ok = e.split_once('.').is_some_and(|(module, op)| {
                !module.trim().is_empty()
                    && matches!(
                        op.to_ascii_lowercase().as_str(),
                        "create" | "edit" | "delete" | "all"
                    )
            });
            if !ok {
                return Err(BuildError::Invalid {
                    param: "events",
                    reason: format!("`{e}` is not {{Module}}.{{create|edit|delete|all}}"),
                });
            }
        }
        match &self.notify_url {
            Some(url) => {
                BuildError::require("notify_url", url)?;
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(BuildError::Invalid {
                        param: "notify_url",
                        reason: "an http(s) URL is expected".into(),
                    });
                }
            }
            None if full => return Err(BuildError::Missing("notify_url")),
            None => {}
        }
        if let Some(t) = &self.token {
            if t.expose().chars().count() > MAX_TOKEN_LEN {
                return Err(BuildError::Invalid {
                    param: "token",
                    reason: format!("at most {MAX_TOKEN_LEN} characters"),
                });
            }
        }
        if let Some(exp) = &self.channel_expiry {
            OffsetDateTime::parse(exp, &Rfc3339).map_err(|_| BuildError::Invalid {
                param: "channel_expiry",
                reason: format!("`{exp}` is not an ISO 8601 date-time with offset"),
            })?;
        }
        Ok(())
    }

    /// Checks that `channel_expiry` is at most one week after `now` and not past.
    pub fn check_expiry(&self, now: SystemTime) -> Result<(), BuildError> {
        let Some(exp) = &self.channel_expiry else {
            return Ok(());
        };
        let at = OffsetDateTime::parse(exp, &Rfc3339).map_err(|_| BuildError::Invalid {
            param: "channel_expiry",
            reason: format!("`{exp}` is not an ISO 8601 date-time with offset"),
        })?;
        let now = OffsetDateTime::from(now);
        if at <= now {
            return Err(BuildError::Invalid {
                param: "channel_expiry",
                reason: "the expiry is in the past".into(),
            });
        }
        if (at - now) > MAX_EXPIRY {
            return Err(BuildError::Invalid {
                param: "channel_expiry",
                reason: "at most one week ahead (Zoho would use one hour instead)".into(),
            });
        }
        Ok(())
    }
}

fn check_channels(watch: &[WatchChannel], full: bool) -> Result<(), BuildError> {
    if watch.is_empty() {
        return Err(BuildError::Missing("watch"));
    }
    watch.iter().try_for_each(|c| c.check(full))
}

macro_rules! watch_write {
    ($(#[$doc:meta])* $name:ident, $id:literal, $method:ident, $full:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[must_use]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The channels.
            pub watch: Vec<WatchChannel>,
        }

        impl $name {
            /// The call for these channels.
            pub fn new(watch: impl IntoIterator<Item = WatchChannel>) -> Self {
                $name {
                    watch: watch.into_iter().collect(),
                }
            }

            /// Checks every `channel_expiry` against `now` (at most one week ahead).
            pub fn check_expiry(&self, now: SystemTime) -> Result<(), BuildError> {
                self.watch.iter().try_for_each(|c| c.check_expiry(now))
            }
        }

        impl Endpoint for $name {
            const ID: &'static str = Self::SPEC.id;
            const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
            type Output = ActionResults;

            fn parts(&self) -> Result<RequestParts, BuildError> {
                check_channels(&self.watch, $full)?;
                RequestParts::$method("/crm/v8/actions/watch").json(self)
            }

            fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
                decode_action_results(Self::ID, "watch", &response)
            }
        }
    };
}

watch_write!(
    /// Enables channels (`POST /crm/v8/actions/watch`).
    EnableNotifications,
    "watch.enable",
    post,
    true
);
watch_write!(
    /// Replaces channels' details (`PUT /crm/v8/actions/watch`): details not given are removed.
    UpdateNotifications,
    "watch.update",
    put,
    true
);
watch_write!(
    /// Changes some details of channels (`PATCH /crm/v8/actions/watch`), or removes events
    /// from them ([`PatchNotifications::remove_events`]).
    PatchNotifications,
    "watch.patch",
    patch,
    false
);

impl PatchNotifications {
    /// Stops notifying `events` on channel `channel_id` (`_delete_events`).
    pub fn remove_events<S: Into<String>>(
        channel_id: impl Into<String>,
        events: impl IntoIterator<Item = S>,
    ) -> Self {
        let mut channel = WatchChannel::new(channel_id, events, "");
        channel.notify_url = None;
        channel.delete_events = Some(true);
        PatchNotifications::new([channel])
    }
}

/// A channel as Zoho lists it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WatchDetails {
    /// The channel id.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub channel_id: String,
    /// The events.
    #[serde(deserialize_with = "lenient_strings")]
    pub events: Vec<String>,
    /// The notify URL.
    pub notify_url: Option<String>,
    /// The channel's token; `Debug` hides it.
    #[serde(deserialize_with = "lenient_token")]
    pub token: Option<ChannelToken>,
    /// When it expires.
    pub channel_expiry: Option<String>,
    /// The module's name.
    pub resource_name: Option<String>,
    /// The module's id.
    #[serde(deserialize_with = "crate::models::lenient_string::option")]
    pub resource_id: Option<String>,
    /// The module's URI.
    pub resource_uri: Option<String>,
    /// Whether notifications carry values.
    pub return_affected_field_values: Option<bool>,
    /// Whether related actions notify.
    pub notify_on_related_action: Option<bool>,
    /// Field conditions.
    pub notification_condition: Option<Value>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of channels.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WatchPage {
    /// The channels (empty on 204).
    pub watch: Vec<WatchDetails>,
    /// Paging.
    pub info: PageInfo,
}

/// The channels of the org (`GET /crm/v8/actions/watch`), optionally one channel or one
/// module's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct GetNotifications {
    #[serde(default, deserialize_with = "crate::models::lenient_string::option")]
    channel_id: Option<String>,
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    per_page: Option<u32>,
}

impl GetNotifications {
    /// Every channel.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this channel.
    pub fn channel_id(mut self, id: impl Into<String>) -> Self {
        self.channel_id = Some(id.into());
        self
    }

    /// Only channels of this module.
    pub fn module(mut self, module: impl Into<String>) -> Self {
        self.module = Some(module.into());
        self
    }

    /// The page (from 1).
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// Channels per page (1–200).
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }
}

impl Endpoint for GetNotifications {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = WatchPage;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if let Some(n) = self.per_page {
            if n == 0 || n > 200 {
                return Err(BuildError::Invalid {
                    param: "per_page",
                    reason: format!("between 1 and 200, got {n}"),
                });
            }
        }
        if self.page == Some(0) {
            return Err(BuildError::Invalid {
                param: "page",
                reason: "pages start at 1".into(),
            });
        }
        Ok(RequestParts::get("/crm/v8/actions/watch")
            .query_opt("channel_id", self.channel_id.as_deref())
            .query_opt("module", self.module.as_deref())
            .query_opt("page", self.page)
            .query_opt("per_page", self.per_page))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<WatchPage, Error> {
        Ok(decode_json::<WatchPage>(Self::ID, &response)?.unwrap_or_default())
    }
}

impl Paginated for GetNotifications {
    fn next_page(&self, output: &WatchPage) -> Option<Self> {
        if !output.info.has_more() || output.watch.is_empty() {
            return None;
        }
        let page = output.info.page.or(self.page).unwrap_or(1);
        Some(self.clone().page(page.checked_add(1)?))
    }
}

/// Disables channels (`DELETE /crm/v8/actions/watch?channel_ids=...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
#[serde(deny_unknown_fields)]
pub struct DisableNotifications {
    #[serde(deserialize_with = "crate::models::string_list::deserialize")]
    channel_ids: Vec<String>,
}

impl DisableNotifications {
    /// Disables these channels.
    pub fn new<S: Into<String>>(channel_ids: impl IntoIterator<Item = S>) -> Self {
        DisableNotifications {
            channel_ids: channel_ids.into_iter().map(Into::into).collect(),
        }
    }
}

impl Endpoint for DisableNotifications {
    const ID: &'static str = Self::SPEC.id;
    const OP_SPEC: Option<&'static crate::op_spec::OpSpec> = Some(&Self::SPEC);
    type Output = ActionResults;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        if self.channel_ids.is_empty() {
            return Err(BuildError::Missing("channel_ids"));
        }
        if let Some(id) = self
            .channel_ids
            .iter()
            .find(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(BuildError::Invalid {
                param: "channel_ids",
                reason: format!("a channel id is a number, got `{id}`"),
            });
        }
        Ok(RequestParts::delete("/crm/v8/actions/watch")
            .query_list("channel_ids", &self.channel_ids))
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<ActionResults, Error> {
        decode_action_results(Self::ID, "watch", &response)
    }
}

/// What a notification says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifiedOperation {
    /// `insert`
    Insert,
    /// `update`
    Update,
    /// `delete`
    Delete,
    /// Anything else, as sent.
    Other(String),
}

/// The body Zoho POSTs to a channel's `notify_url`. Read leniently: ids may be numbers,
/// missing keys take defaults, unknown keys are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NotificationPayload {
    /// Zoho's time of the event, epoch milliseconds.
    #[serde(deserialize_with = "crate::models::lenient_u64::option")]
    pub server_time: Option<u64>,
    /// The query parameters of the `notify_url`.
    pub query_params: Map<String, Value>,
    /// The module, e.g. `Leads`.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub module: String,
    /// The module's URI (Zoho still writes `/crm/v2/` there).
    pub resource_uri: Option<String>,
    /// The records concerned.
    #[serde(deserialize_with = "lenient_strings")]
    pub ids: Vec<String>,
    /// The fields changed (per record, when Zoho says).
    pub affected_fields: Vec<Value>,
    /// The changed values, when the channel asked for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_values: Option<Value>,
    /// `insert`, `update` or `delete`.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub operation: String,
    /// The channel.
    #[serde(deserialize_with = "crate::models::lenient_string::or_default")]
    pub channel_id: String,
    /// The channel's token, as given when it was enabled; `Debug` hides it.
    #[serde(deserialize_with = "lenient_token")]
    pub token: Option<ChannelToken>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why a notification was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The body is not a notification.
    #[error("not a notification payload: {0}")]
    Malformed(String),
    /// It is for another channel.
    #[error("the notification is for channel `{0}`")]
    WrongChannel(String),
    /// The token is missing or wrong.
    #[error("the notification's token does not match")]
    BadToken,
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u64;
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= u64::from(x ^ y);
    }
    diff == 0
}

impl NotificationPayload {
    /// Reads a notification body (JSON).
    pub fn parse(body: &[u8]) -> Result<Self, VerifyError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| VerifyError::Malformed(e.to_string()))?;
        if !value.is_object() {
            return Err(VerifyError::Malformed("expected a JSON object".into()));
        }
        serde_json::from_value(value).map_err(|e| VerifyError::Malformed(e.to_string()))
    }

    /// Checks that the notification is for `channel_id` and carries `token` (compared in
    /// constant time).
    pub fn verify(&self, channel_id: &str, token: &str) -> Result<(), VerifyError> {
        if self.channel_id != channel_id {
            return Err(VerifyError::WrongChannel(self.channel_id.clone()));
        }
        match &self.token {
            Some(t) if constant_time_eq(t.expose().as_bytes(), token.as_bytes()) => Ok(()),
            _ => Err(VerifyError::BadToken),
        }
    }

    /// [`parse`](Self::parse) then [`verify`](Self::verify).
    pub fn parse_verified(body: &[u8], channel_id: &str, token: &str) -> Result<Self, VerifyError> {
        let payload = Self::parse(body)?;
        payload.verify(channel_id, token)?;
        Ok(payload)
    }

    /// The operation, typed.
    pub fn operation(&self) -> NotifiedOperation {
        match self.operation.to_ascii_lowercase().as_str() {
            "insert" | "create" => NotifiedOperation::Insert,
            "update" | "edit" => NotifiedOperation::Update,
            "delete" => NotifiedOperation::Delete,
            _ => NotifiedOperation::Other(self.operation.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_checks() {
        let ok = WatchChannel::new("1000000068001", ["Deals.all"], "https://example.test/hook");
        assert!(EnableNotifications::new([ok.clone()]).parts().is_ok());
        let long = ok.clone().token("x".repeat(51));
        assert!(EnableNotifications::new([long]).parts().is_err());
        let bad_event = WatchChannel::new("1", ["Deals"], "https://example.test/hook");
        assert!(EnableNotifications::new([bad_event]).parts().is_err());
        let no_url = WatchChannel::new("1", ["Deals.all"], "");
        assert!(EnableNotifications::new([no_url]).parts().is_err());
        assert!(PatchNotifications::remove_events("1", ["Deals.edit"])
            .parts()
            .is_ok());
        assert!(DisableNotifications::new(Vec::<String>::new())
            .parts()
            .is_err());
    }

    #[test]
    fn expiry_is_at_most_a_week() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = OffsetDateTime::from(now);
        let in_a_day = WatchChannel::new("1", ["Leads.all"], "https://x.test")
            .channel_expiry(t + time::Duration::days(1));
        assert!(in_a_day.check_expiry(now).is_ok());
        let in_8_days = in_a_day.clone().channel_expiry(t + time::Duration::days(8));
        assert!(in_8_days.check_expiry(now).is_err());
        let past = in_a_day.channel_expiry(t - time::Duration::hours(1));
        assert!(past.check_expiry(now).is_err());
    }

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn channel_tokens_never_show_in_debug() {
        let channel = WatchChannel::new("1", ["Leads.all"], "https://x.test").token("s3cret-tok");
        assert!(!format!("{channel:?}").contains("s3cret-tok"));
        assert_eq!(
            serde_json::to_value(&channel).unwrap()["token"],
            "s3cret-tok"
        );
        let listed: WatchDetails =
            serde_json::from_str(r#"{"channel_id": 1, "token": "s3cret-tok"}"#).unwrap();
        assert!(!format!("{listed:?}").contains("s3cret-tok"));
        assert_eq!(
            listed.token.as_ref().map(ChannelToken::expose),
            Some("s3cret-tok")
        );
        let body = br#"{"channel_id": "1", "token": 12345678}"#;
        let payload = NotificationPayload::parse(body).unwrap();
        assert!(!format!("{payload:?}").contains("12345678"));
        assert!(payload.verify("1", "12345678").is_ok());
        let bad =
            NotificationPayload::parse_verified(br#"{"channel_id":"1","token":"x"}"#, "1", "y");
        assert!(!format!("{bad:?}").contains("\"x\""));
    }

    #[test]
    fn channel_ids_go_as_numbers() {
        let c = WatchChannel::new("1000000068001", ["Leads.all"], "https://x.test");
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["channel_id"], 1000000068001u64);
        let back: WatchChannel = serde_json::from_value(v).unwrap();
        assert_eq!(back.channel_id, "1000000068001");
    }
}
