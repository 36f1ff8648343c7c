//! The org's state: users, territories, the record store and deleted territories, the demo
//! users and territories, the read-only features endpoints, and the dispatcher. The territory
//! operations live in `territories.rs`, the records API in `records/`.

use serde_json::{json, Value};

use crate::records::{self, Plan, Store};
use crate::util::{api_error, invalid_module, invalid_url, Request, Response};
use crate::MockConfig;

/// Every id the mock makes up is this plus a counter: 19 digits, like Zoho's
/// (`5725767000000` followed by at least six digits).
const ID_BASE: u64 = 5_725_767_000_000_000_000;

pub(crate) fn make_id(n: u64) -> String {
    ID_BASE.saturating_add(n).to_string()
}

pub(crate) const DEMO_TIME: &str = "2025-01-15T10:00:00+00:00";

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: (&'static str, String),
    pub profile: (&'static str, String),
    pub active: bool,
}

impl User {
    /// The user's Zoho account id.
    pub fn zuid(&self) -> String {
        format!("90{}", &self.id[self.id.len().saturating_sub(6)..])
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    /// The full user object of the users APIs.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": self.full_name(),
            "email": self.email,
            "role": {"name": self.role.0, "id": self.role.1},
            "profile": {"name": self.profile.0, "id": self.profile.1},
            "status": if self.active { "active" } else { "inactive" },
            "zuid": self.zuid(),
            "confirm": true,
            "time_zone": "Etc/UTC",
            "locale": "en_US",
            "country_locale": "en_US",
            "language": "en_US",
            "date_format": "MMM d, yyyy",
            "time_format": "HH:mm",
            "created_time": DEMO_TIME,
            "Modified_Time": DEMO_TIME,
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Territory {
    pub id: String,
    pub name: String,
    pub api_name: String,
    pub description: Value,
    pub permission_type: String,
    pub manager: Option<String>,
    pub reporting_to: Option<String>,
    pub account_rule_criteria: Value,
    pub deal_rule_criteria: Value,
    pub lead_rule_criteria: Value,
    pub created_time: String,
    pub created_by: String,
    pub modified_time: String,
    pub modified_by: String,
    /// Associated users, in association order (the manager is one of them).
    pub users: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    pub territory: String,
    pub by: Option<String>,
    pub time: String,
    pub manual: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Deleted {
    pub id: String,
    pub name: String,
    pub time: String,
    pub by: String,
}

/// Outcome of routing a `/crm/v8/...` request.
#[derive(Debug)]
pub(crate) enum Routed {
    /// A handler answered (counts as a write when the method is not GET).
    Handled(Response),
    /// Refused before reaching a handler (wrong method).
    Rejected(Response),
    /// No stateful handler for it: replay a fixture if one matches, else send this.
    Unserved(Response),
}

/// The org.
#[derive(Debug)]
pub(crate) struct Org {
    pub users: Vec<User>,
    pub territories: Vec<Territory>,
    /// Module records (Leads, Contacts, Accounts, Deals, Notes) and what hangs off them.
    pub records: Store,
    pub deleted: Vec<Deleted>,
    /// Bulk read/write jobs and uploaded files.
    pub bulk: crate::bulk::BulkState,
    /// Notification channels.
    pub watch: crate::watch::Channels,
    /// Files uploaded to the file store (`/files`).
    pub files: crate::files::FileStore,
    /// The caller (the user the tokens belong to).
    pub current_user: String,
    pub licence_limit: usize,
    /// The org id (`zgid`; the client-credentials grant's `soid` and the upload host's
    /// `X-CRM-ORG` name it).
    pub org_id: String,
}

/// The org's roles: name, id number (see [`make_id`]), the role it reports to.
pub(crate) const ROLES: [(&str, u64, Option<u64>); 3] = [
    ("CEO", 100_001, None),
    ("Manager", 100_002, Some(100_001)),
    ("Sales Rep", 100_003, Some(100_002)),
];

/// The org's profiles: name, id number. The first is the administrators'.
pub(crate) const PROFILES: [(&str, u64); 2] = [("Administrator", 110_001), ("Standard", 110_002)];

/// Modules whose records carry territories.
pub(crate) const TERRITORY_MODULES: [&str; 3] = ["Accounts", "Contacts", "Deals"];

/// The canonical spelling of a record module the mock knows (case-insensitive).
pub(crate) fn module_name(s: &str) -> Option<&'static str> {
    ["Accounts", "Contacts", "Deals", "Leads"]
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(s))
}

impl Org {
    pub fn new(config: &MockConfig) -> Self {
        let demo = config.demo_data;
        let role = |i: usize| (ROLES[i].0, make_id(ROLES[i].1));
        let profile = |i: usize| (PROFILES[i].0, make_id(PROFILES[i].1));
        let (role_ceo, role_manager, role_rep) = (role(0), role(1), role(2));
        let (admin, standard) = (profile(0), profile(1));
        let people = [
            ("Avery", "Admin", role_ceo, admin, true),
            (
                "Blake",
                "Morgan",
                role_manager.clone(),
                standard.clone(),
                true,
            ),
            (
                "Casey",
                "Nguyen",
                role_manager.clone(),
                standard.clone(),
                true,
            ),
            ("Devon", "Okafor", role_rep.clone(), standard.clone(), true),
            ("Emery", "Park", role_rep.clone(), standard.clone(), true),
            ("Finley", "Quinn", role_manager, standard.clone(), true),
            ("Harper", "Rossi", role_rep.clone(), standard.clone(), true),
            ("Jordan", "Silva", role_rep, standard, false),
        ];
        let count = if demo { people.len() } else { 1 };
        let users: Vec<User> = people
            .into_iter()
            .take(count)
            .enumerate()
            .map(|(i, (first, last, role, profile, active))| User {
                id: make_id(300_001 + i as u64),
                first_name: first.into(),
                last_name: last.into(),
                email: format!("user{}@example.test", i + 1),
                role: (role.0, role.1),
                profile: (profile.0, profile.1),
                active,
            })
            .collect();
        let u = |n: u64| make_id(300_000 + n);
        let current_user = u(1);
        let territory =
            |n: u64, name: &str, parent: Option<u64>, manager: Option<u64>, users: &[u64]| {
                Territory {
                    id: make_id(411_000 + n),
                    name: name.into(),
                    api_name: api_name_of(name),
                    description: Value::Null,
                    permission_type: "read_write_delete".into(),
                    manager: manager.map(u),
                    reporting_to: parent.map(|p| make_id(411_000 + p)),
                    account_rule_criteria: Value::Null,
                    deal_rule_criteria: Value::Null,
                    lead_rule_criteria: Value::Null,
                    created_time: DEMO_TIME.into(),
                    created_by: u(1),
                    modified_time: DEMO_TIME.into(),
                    modified_by: u(1),
                    users: users.iter().map(|n| u(*n)).collect(),
                }
            };
        let mut territories = vec![territory(1, "Global", None, Some(1), &[1])];
        if demo {
            let mut us_east = territory(3, "US East", Some(2), Some(3), &[3, 4]);
            us_east.description = json!("East coast accounts");
            us_east.account_rule_criteria = json!({
                "comparator": "equal",
                "field": {"api_name": "Billing_State", "id": make_id(621)},
                "value": "NY"
            });
            let mut us_west = territory(4, "US West", Some(2), None, &[5]);
            us_west.permission_type = "read_only".into();
            territories.extend([
                territory(2, "Americas", Some(1), Some(2), &[2, 3]),
                us_east,
                us_west,
                territory(5, "EMEA", Some(1), Some(6), &[6]),
                territory(6, "DACH", Some(5), None, &[]),
            ]);
        }
        let plan = demo.then(|| Plan {
            owners: users
                .iter()
                .filter(|u| u.active)
                .map(|u| json!({"name": u.full_name(), "id": u.id, "email": u.email}))
                .collect(),
            leads: config.demo_leads,
        });
        Org {
            users,
            territories,
            records: Store::new(plan),
            deleted: Vec::new(),
            bulk: crate::bulk::BulkState::new(config),
            watch: Default::default(),
            files: Default::default(),
            current_user,
            licence_limit: 10,
            org_id: config.org_id.clone(),
        }
    }

    pub fn new_id(&mut self) -> String {
        self.records.new_id()
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn territory(&self, id: &str) -> Option<&Territory> {
        self.territories.iter().find(|t| t.id == id)
    }

    pub fn territory_mut(&mut self, id: &str) -> Option<&mut Territory> {
        self.territories.iter_mut().find(|t| t.id == id)
    }

    /// `{"name","id"}` of a user, or `null`.
    pub fn user_ref(&self, id: Option<&str>) -> Value {
        match id.and_then(|id| self.user(id)) {
            Some(u) => json!({"name": u.full_name(), "id": u.id}),
            None => Value::Null,
        }
    }

    /// `{"name","id","email"}` of a user (the `created_by` shape).
    pub fn user_min(&self, id: &str) -> Value {
        match self.user(id) {
            Some(u) => json!({"name": u.full_name(), "id": u.id, "email": u.email}),
            None => json!({"name": Value::Null, "id": id}),
        }
    }

    pub fn active_users(&self) -> usize {
        self.users.iter().filter(|u| u.active).count()
    }

    /// The dispatcher for `/crm/v8/...` (`tail` is what follows `v8`).
    pub fn route(&mut self, req: &Request, tail: &[&str]) -> Routed {
        if let Some(routed) = self.route_meta(req, tail) {
            return routed;
        }
        let get = req.is_get();
        match tail {
            ["__features"] if get => Routed::Handled(self.features(req)),
            ["__features", name] if get => Routed::Handled(self.feature(name)),
            ["__features", ..] => Routed::Rejected(crate::util::invalid_method()),
            ["upload"] if req.method == "POST" => Routed::Handled(self.bulk_upload(req)),
            ["__composite_requests"] if req.method == "POST" => {
                Routed::Handled(self.composite(req))
            }
            ["actions", "watch"] => self.route_watch(req),
            ["settings", "territories", ..] => self.route_territories(req, &tail[2..]),
            [users, user, "territories", rest @ ..] if users.eq_ignore_ascii_case("users") => {
                self.route_user_territories(req, user, rest)
            }
            [module, "actions", action] | [module, _, "actions", action]
                if matches!(*action, "assign_territories" | "remove_territories") =>
            {
                let record_id = if tail.len() == 4 { Some(tail[1]) } else { None };
                match module_name(module) {
                    Some(_) if req.method != "POST" => {
                        Routed::Rejected(crate::util::invalid_method())
                    }
                    Some(m) => Routed::Handled(self.record_territories(
                        req,
                        m,
                        record_id,
                        *action == "assign_territories",
                    )),
                    None => Routed::Unserved(invalid_module()),
                }
            }
            ["files"] => self.route_files(req),
            ["coql"] if req.method == "POST" => Routed::Handled(self.coql(req)),
            ["coql"] => Routed::Rejected(crate::util::invalid_method()),
            [module, ..] if records::spec(module).is_some() => self.route_records(req, tail),
            // Module API names start with a capital; lowercase resources are other APIs.
            [first, ..] if first.starts_with(|c: char| c.is_ascii_uppercase()) => {
                Routed::Unserved(invalid_module())
            }
            _ => Routed::Unserved(invalid_url()),
        }
    }

    fn licences(&self) -> Value {
        let used = self.active_users();
        json!({
            "components": null,
            "api_name": "user_licenses",
            "parent_feature": null,
            "module_supported": false,
            "details": {
                "available_count": {"total": self.licence_limit.saturating_sub(used)},
                "used_count": {"total": used},
                "limits": {"total": self.licence_limit}
            },
            "feature_label": "UserLicenses"
        })
    }

    /// `GET /__features`.
    fn features(&self, req: &Request) -> Response {
        if let Some(m) = req.param("module") {
            return match module_name(m) {
                // No module-specific features are modelled.
                Some(_) => Response::no_content(),
                None => invalid_module(),
            };
        }
        let mut all = vec![self.licences()];
        if let Some(names) = req.param("api_names") {
            let names = crate::util::id_list(names);
            all.retain(|f| names.iter().any(|n| f["api_name"] == n.as_str()));
        }
        crate::util::paged(req, "__features", &all)
    }

    /// `GET /__features/{name}`: the seed page's exact shape for `user_licenses`.
    fn feature(&self, name: &str) -> Response {
        if name == "user_licenses" {
            Response::json(200, &json!({"__features": [self.licences()]}))
        } else {
            api_error(
                400,
                "INVALID_DATA",
                "the feature api name given seems to be invalid",
                json!({"api_name": "feature_api_name", "resource_path_index": 1}),
            )
        }
    }
}

/// A territory's `api_name`, derived from its name like Zoho does for other names.
pub(crate) fn api_name_of(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect()
}
