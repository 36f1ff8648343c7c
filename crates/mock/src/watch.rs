//! Notification channels (the watch API, `/crm/v8/actions/watch`): enable, list, replace,
//! patch (including `_delete_events`) and disable.
//!
//! Choices where Zoho's documents are silent: events name the modules the records API serves
//! (`Leads`, `Contacts`, `Accounts`, `Deals`, `Notes`) and `create`, `edit`, `delete` or
//! `all`; enabling a channel id that exists adds its events and replaces its other details; a
//! `channel_expiry` that is absent, unreadable or more than a week ahead becomes one hour from
//! now (Zoho's documented fallback); replacing or patching an unknown channel, or disabling one,
//! is `INVALID_DATA` for that item; `resource_uri` is a path (the mock has no host name); a
//! channel whose expiry has passed is gone (Zoho drops it), and a PATCH with a new
//! `channel_expiry` extends it. No notification is ever delivered.

use serde_json::{json, Map, Value};

use crate::org::{Org, Routed};
use crate::util::{
    api_error, batch, error_obj, invalid_method, json_body, parse_datetime, Request, Response,
};

const MSG_ENABLED: &str = "Successfully subscribed for actions-watch of the given module";
const MSG_UPDATED: &str = "Successfully updated the subscribe details";
const MSG_REMOVED: &str = "Successfully removed the subscribe details";
const MSG_DISABLED: &str = "Successfully un-subscribed from actions-watch";

/// One channel.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    id: String,
    events: Vec<String>,
    notify_url: String,
    token: Option<String>,
    expiry: String,
    return_values: bool,
    related: bool,
    condition: Value,
}

/// The org's channels.
#[derive(Debug, Clone, Default)]
pub(crate) struct Channels(Vec<Channel>);

fn item_error(code: &str, message: &str, api_name: &str, index: usize) -> Value {
    error_obj(
        code,
        message,
        json!({"api_name": api_name, "json_path": format!("$.watch[{index}].{api_name}")}),
    )
}

fn channel_id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.clone())
        }
        _ => None,
    }
}

fn valid_event(e: &str) -> bool {
    e.split_once('.').is_some_and(|(m, op)| {
        crate::records::spec(m).is_some()
            && matches!(
                op.to_ascii_lowercase().as_str(),
                "create" | "edit" | "delete" | "all"
            )
    })
}

fn expiry_of(v: Option<&Value>) -> String {
    let now = crate::util::unix_now();
    let hour = crate::util::format_unix(now + 3600);
    match v.and_then(Value::as_str).and_then(parse_datetime) {
        Some(t) if t > now && t - now <= 7 * 86_400 => {
            v.and_then(Value::as_str).map(str::to_owned).unwrap_or(hour)
        }
        _ => hour,
    }
}

impl Channel {
    fn to_json(&self) -> Value {
        json!({
            "channel_id": self.id,
            "events": self.events,
            "notify_url": self.notify_url,
            "token": self.token,
            "channel_expiry": self.expiry,
            "return_affected_field_values": self.return_values,
            "notify_on_related_action": self.related,
            "notification_condition": self.condition,
        })
    }

    fn events_detail(&self) -> Value {
        let mut modules: Vec<&str> = self
            .events
            .iter()
            .filter_map(|e| e.split_once('.').map(|(m, _)| m))
            .collect();
        modules.dedup();
        Value::Array(
            modules
                .into_iter()
                .filter_map(crate::records::spec)
                .map(|s| {
                    json!({
                        "channel_expiry": self.expiry,
                        "resource_uri": format!("/crm/v8/{}", s.name),
                        "resource_id": s.module_id(),
                        "resource_name": s.name,
                        "channel_id": self.id,
                    })
                })
                .collect(),
        )
    }
}

/// Reads and checks one channel of a request body; `full` when every key is required.
fn read_channel(item: &Value, index: usize, full: bool) -> Result<Map<String, Value>, Value> {
    let Some(obj) = item.as_object() else {
        return Err(item_error("INVALID_DATA", "invalid data", "watch", index));
    };
    if channel_id(obj.get("channel_id")).is_none() {
        return Err(if obj.contains_key("channel_id") {
            item_error("INVALID_DATA", "invalid data", "channel_id", index)
        } else {
            item_error(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                "channel_id",
                index,
            )
        });
    }
    match obj.get("events") {
        Some(Value::Array(events)) if !events.is_empty() => {
            if !events.iter().all(|e| e.as_str().is_some_and(valid_event)) {
                return Err(item_error("INVALID_DATA", "invalid data", "events", index));
            }
        }
        None if !full => {}
        _ => {
            return Err(item_error(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                "events",
                index,
            ))
        }
    }
    match obj.get("notify_url") {
        Some(Value::String(u)) if u.starts_with("http://") || u.starts_with("https://") => {}
        None if !full => {}
        Some(_) => {
            return Err(item_error(
                "INVALID_DATA",
                "invalid data",
                "notify_url",
                index,
            ))
        }
        None => {
            return Err(item_error(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                "notify_url",
                index,
            ))
        }
    }
    if let Some(t) = obj.get("token") {
        if !t.is_null() && t.as_str().is_none_or(|t| t.chars().count() > 50) {
            return Err(item_error("INVALID_DATA", "invalid data", "token", index));
        }
    }
    Ok(obj.clone())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Org {
    /// `/crm/v8/actions/watch`.
    pub(crate) fn route_watch(&mut self, req: &Request) -> Routed {
        // Zoho drops a channel when its expiry passes.
        let now = crate::util::unix_now();
        self.watch
            .0
            .retain(|c| parse_datetime(&c.expiry).is_some_and(|t| t > now));
        match req.method.as_str() {
            "GET" => Routed::Handled(self.list_watch(req)),
            "POST" => Routed::Handled(self.write_watch(req, "POST")),
            "PUT" => Routed::Handled(self.write_watch(req, "PUT")),
            "PATCH" => Routed::Handled(self.write_watch(req, "PATCH")),
            "DELETE" => Routed::Handled(self.disable_watch(req)),
            _ => Routed::Rejected(invalid_method()),
        }
    }

    fn list_watch(&mut self, req: &Request) -> Response {
        let channel = req.param("channel_id");
        let module = req.param("module");
        let all: Vec<Value> = self
            .watch
            .0
            .iter()
            .filter(|c| channel.is_none_or(|x| x == c.id))
            .filter(|c| {
                module.is_none_or(|m| {
                    c.events.iter().any(|e| {
                        e.split_once('.')
                            .is_some_and(|(em, _)| em.eq_ignore_ascii_case(m))
                    })
                })
            })
            .map(Channel::to_json)
            .collect();
        crate::util::paged(req, "watch", &all)
    }

    fn write_watch(&mut self, req: &Request, method: &str) -> Response {
        let body = match json_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(items) = body.get("watch").and_then(Value::as_array) else {
            return api_error(
                400,
                "MANDATORY_NOT_FOUND",
                "required field not found",
                json!({"api_name": "watch", "json_path": "$.watch"}),
            );
        };
        let full = method != "PATCH";
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let obj = match read_channel(item, i, full) {
                Ok(o) => o,
                Err(e) => {
                    out.push(e);
                    continue;
                }
            };
            let id = channel_id(obj.get("channel_id")).unwrap_or_default();
            let existing = self.watch.0.iter().position(|c| c.id == id);
            let message = match (method, existing) {
                ("POST", _) => {
                    let mut events = strings(obj.get("events"));
                    if let Some(p) = existing {
                        let old = self.watch.0.remove(p);
                        for e in old.events {
                            if !events.contains(&e) {
                                events.push(e);
                            }
                        }
                    }
                    self.watch.0.push(new_channel(&id, events, &obj));
                    MSG_ENABLED
                }
                (_, None) => {
                    out.push(item_error("INVALID_DATA", "invalid data", "channel_id", i));
                    continue;
                }
                ("PUT", Some(p)) => {
                    self.watch.0[p] = new_channel(&id, strings(obj.get("events")), &obj);
                    MSG_UPDATED
                }
                (_, Some(p)) => {
                    let c = &mut self.watch.0[p];
                    let events = strings(obj.get("events"));
                    if obj.get("_delete_events").and_then(Value::as_bool) == Some(true) {
                        c.events.retain(|e| !events.contains(e));
                        if c.events.is_empty() {
                            self.watch.0.remove(p);
                        }
                        out.push(json!({"code": "SUCCESS", "details": {"channel_id": id}, "message": MSG_REMOVED, "status": "success"}));
                        continue;
                    }
                    for e in events {
                        if !c.events.contains(&e) {
                            c.events.push(e);
                        }
                    }
                    if let Some(u) = obj.get("notify_url").and_then(Value::as_str) {
                        c.notify_url = u.to_owned();
                    }
                    if obj.contains_key("token") {
                        c.token = obj.get("token").and_then(Value::as_str).map(str::to_owned);
                    }
                    if obj.contains_key("channel_expiry") {
                        c.expiry = expiry_of(obj.get("channel_expiry"));
                    }
                    if let Some(b) = obj
                        .get("return_affected_field_values")
                        .and_then(Value::as_bool)
                    {
                        c.return_values = b;
                    }
                    if let Some(b) = obj.get("notify_on_related_action").and_then(Value::as_bool) {
                        c.related = b;
                    }
                    MSG_UPDATED
                }
            };
            let channel = self.watch.0.iter().find(|c| c.id == id);
            let details = channel.map(|c| c.events_detail()).unwrap_or(json!([]));
            out.push(json!({"code": "SUCCESS", "details": {"events": details}, "message": message, "status": "success"}));
        }
        batch("watch", out, 200)
    }

    fn disable_watch(&mut self, req: &Request) -> Response {
        let Some(ids) = req.param("channel_ids") else {
            return crate::util::required_param("channel_ids");
        };
        let ids = crate::util::id_list(ids);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.watch.0.iter().position(|c| c.id == id) {
                Some(p) => {
                    self.watch.0.remove(p);
                    out.push(json!({"code": "SUCCESS", "details": {"channel_id": id}, "message": MSG_DISABLED, "status": "success"}));
                }
                None => out.push(error_obj(
                    "INVALID_DATA",
                    "invalid data",
                    json!({"api_name": "channel_ids", "channel_id": id}),
                )),
            }
        }
        batch("watch", out, 200)
    }
}

fn new_channel(id: &str, events: Vec<String>, obj: &Map<String, Value>) -> Channel {
    Channel {
        id: id.to_owned(),
        events,
        notify_url: obj
            .get("notify_url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        token: obj.get("token").and_then(Value::as_str).map(str::to_owned),
        expiry: expiry_of(obj.get("channel_expiry")),
        return_values: obj
            .get("return_affected_field_values")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        related: obj
            .get("notify_on_related_action")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        condition: obj
            .get("notification_condition")
            .cloned()
            .unwrap_or(Value::Null),
    }
}
