//! The 27 territory operations: settings of territories, users of a territory, territories of a
//! user, and assigning territories to records. Shapes and quirks follow the v8 documentation and
//! OpenAPI files (capitalised keys for territories of a user, `count` as a string, 204 for empty
//! lists, per-item errors with 207 when mixed).

use serde_json::{json, Map, Value};

use crate::org::{api_name_of, Assignment, Deleted, Org, Routed, Territory};
use crate::util::{
    api_error, batch, body_array, error_obj, id_list, invalid_method, invalid_param,
    invalid_path_id, invalid_url, json_body, limit_exceeded, now_string, page_of, paging,
    success_obj, target_ids, Request, Response, MSG_DUPLICATE, MSG_INVALID, MSG_INVALID_ID,
    MSG_MANDATORY,
};

/// Territories per create/update/delete/transfer call.
const MAX_PER_CALL: usize = 10;
/// Users per associate call, territories per user call.
const MAX_ASSOCIATE: usize = 100;
/// Records per assign/remove call above which Zoho schedules a job.
const SCHEDULE_ABOVE: usize = 50;
/// Records per assign/remove call.
const MAX_RECORDS: usize = 500;
const FORBIDDEN_NAME_CHARS: &str = "^~`#%&+=[]{}|\\;\"'<>,";
const PERMISSIONS: [&str; 2] = ["read_only", "read_write_delete"];

fn done(r: Result<Response, Response>) -> Response {
    r.unwrap_or_else(|e| e)
}

fn mandatory(api_name: &str, json_path: String) -> Value {
    error_obj(
        "MANDATORY_NOT_FOUND",
        MSG_MANDATORY,
        json!({"api_name": api_name, "json_path": json_path}),
    )
}

fn invalid(api_name: &str, json_path: String) -> Value {
    error_obj(
        "INVALID_DATA",
        MSG_INVALID,
        json!({"api_name": api_name, "json_path": json_path}),
    )
}

fn invalid_id(api_name: &str, json_path: String) -> Value {
    error_obj(
        "INVALID_DATA",
        MSG_INVALID_ID,
        json!({"api_name": api_name, "json_path": json_path}),
    )
}

/// An id given as a JSON string (or number, leniently).
fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `id` inside an object like `{"id": "..."}`.
fn nested_id(v: Option<&Value>) -> Option<String> {
    id_of(v?.get("id"))
}

/// A condition of the `filters` parameter.
#[derive(Debug)]
enum Filter {
    Cond {
        field: String,
        comparator: String,
        value: Option<String>,
    },
    Group {
        and: bool,
        items: Vec<Filter>,
    },
}

const FILTER_FIELDS: [&str; 9] = [
    "id",
    "name",
    "manager.id",
    "reporting_to.id",
    "permission_type",
    "created_by",
    "created_by.id",
    "modified_by",
    "modified_by.id",
];

fn parse_filter(v: &Value, depth: usize) -> Option<Filter> {
    if depth > 8 {
        return None;
    }
    if let Some(group) = v.get("group") {
        let and = match v.get("group_operator").and_then(Value::as_str) {
            None => true,
            Some(op) if op.eq_ignore_ascii_case("and") => true,
            Some(op) if op.eq_ignore_ascii_case("or") => false,
            Some(_) => return None,
        };
        let items = group
            .as_array()?
            .iter()
            .map(|g| parse_filter(g, depth + 1))
            .collect::<Option<Vec<_>>>()?;
        return (!items.is_empty()).then_some(Filter::Group { and, items });
    }
    let field = v.get("field")?.get("api_name")?.as_str()?.to_owned();
    let comparator = v.get("comparator")?.as_str()?.to_ascii_lowercase();
    let value = match v.get("value") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "null" => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(_) => return None,
    };
    if !FILTER_FIELDS.contains(&field.as_str()) {
        return None;
    }
    let text_ops = ["starts_with", "ends_with", "contains", "not_contains"];
    let ok = matches!(comparator.as_str(), "equal" | "not_equal")
        || (field == "name" && text_ops.contains(&comparator.as_str()));
    ok.then_some(Filter::Cond {
        field,
        comparator,
        value,
    })
}

fn filter_matches(f: &Filter, t: &Territory) -> bool {
    match f {
        Filter::Group { and: true, items } => items.iter().all(|g| filter_matches(g, t)),
        Filter::Group { and: false, items } => items.iter().any(|g| filter_matches(g, t)),
        Filter::Cond {
            field,
            comparator,
            value,
        } => {
            let actual: Option<&str> = match field.as_str() {
                "id" => Some(&t.id),
                "name" => Some(&t.name),
                "manager.id" => t.manager.as_deref(),
                "reporting_to.id" => t.reporting_to.as_deref(),
                "permission_type" => Some(&t.permission_type),
                "created_by" | "created_by.id" => Some(&t.created_by),
                _ => Some(&t.modified_by),
            };
            let fold = |s: &str| s.to_lowercase();
            let (a, v) = (actual.map(fold), value.as_deref().map(fold));
            match comparator.as_str() {
                "equal" => a == v,
                "not_equal" => a != v,
                _ => {
                    let (a, v) = (a.unwrap_or_default(), v.unwrap_or_default());
                    match comparator.as_str() {
                        "starts_with" => a.starts_with(&v),
                        "ends_with" => a.ends_with(&v),
                        "contains" => a.contains(&v),
                        _ => !a.contains(&v),
                    }
                }
            }
        }
    }
}

/// What a checked `manager` key says.
enum ManagerInput {
    Absent,
    Remove,
    Set(String),
}

impl Org {
    pub fn route_territories(&mut self, req: &Request, rest: &[&str]) -> Routed {
        use Routed::{Handled, Rejected};
        let m = req.method.as_str();
        match (m, rest) {
            ("GET", []) => Handled(done(self.list_territories(req))),
            ("POST", []) => Handled(done(self.create_territories(req))),
            ("PUT", []) => Handled(done(self.update_territories(req, None))),
            ("DELETE", []) => Handled(done(self.delete_territories(req, None))),
            ("GET", ["actions", "associated_users_count"]) => {
                Handled(done(self.associated_users_count(req)))
            }
            ("GET", ["actions", "deleted_associated_territories"]) => {
                Handled(done(self.deleted_territories(req)))
            }
            ("POST", ["actions", "transfer_and_delete"]) => Handled(done(self.transfer(req, None))),
            (
                _,
                ["actions", "associated_users_count" | "deleted_associated_territories" | "transfer_and_delete"],
            ) => Rejected(invalid_method()),
            ("GET", [id]) => Handled(self.get_territory(id)),
            ("PUT", [id]) => Handled(done(self.update_territories(req, Some(id)))),
            ("DELETE", [id]) => Handled(done(self.delete_territories(req, Some(id)))),
            ("GET", [id, "__child_territories"]) => Handled(done(self.child_territories(req, id))),
            ("POST", [id, "actions", "transfer_and_delete"]) => {
                Handled(done(self.transfer(req, Some(id))))
            }
            ("GET", [id, "users"]) => Handled(done(self.territory_users(req, id))),
            ("PUT", [id, "users"]) => Handled(done(self.associate_users(req, id, None))),
            ("DELETE", [id, "users"]) => Handled(done(self.dissociate_users(req, id, None))),
            ("GET", [id, "users", user]) => Handled(done(self.territory_user(id, user))),
            ("PUT", [id, "users", user]) => {
                Handled(done(self.associate_users(req, id, Some(user))))
            }
            ("DELETE", [id, "users", user]) => {
                Handled(done(self.dissociate_users(req, id, Some(user))))
            }
            (
                _,
                []
                | [_]
                | [_, "__child_territories"]
                | [_, "actions", "transfer_and_delete"]
                | [_, "users"]
                | [_, "users", _],
            ) => Rejected(invalid_method()),
            _ => Routed::Unserved(invalid_url()),
        }
    }

    pub fn route_user_territories(&mut self, req: &Request, user: &str, rest: &[&str]) -> Routed {
        use Routed::{Handled, Rejected};
        match (req.method.as_str(), rest) {
            ("GET", []) => Handled(done(self.user_territories(req, user))),
            ("PUT", []) => Handled(done(self.add_user_territories(req, user))),
            ("DELETE", []) => Handled(done(self.remove_user_territories(req, user, None))),
            ("GET", [t]) => Handled(done(self.user_territory(user, t))),
            ("DELETE", [t]) => Handled(done(self.remove_user_territories(req, user, Some(t)))),
            (_, [] | [_]) => Rejected(invalid_method()),
            _ => Routed::Unserved(invalid_url()),
        }
    }

    // ----- shapes -----

    fn territory_json(&self, t: &Territory) -> Value {
        let parent = t
            .reporting_to
            .as_deref()
            .and_then(|p| self.territory(p))
            .map(|p| json!({"name": p.name, "id": p.id}))
            .unwrap_or(Value::Null);
        json!({
            "id": t.id,
            "name": t.name,
            "api_name": t.api_name,
            "description": t.description,
            "permission_type": t.permission_type,
            "manager": self.user_ref(t.manager.as_deref()),
            "reporting_to": parent,
            "account_rule_criteria": t.account_rule_criteria,
            "deal_rule_criteria": t.deal_rule_criteria,
            "lead_rule_criteria": t.lead_rule_criteria,
            "created_time": t.created_time,
            "created_by": self.user_ref(Some(&t.created_by)),
            "modified_time": t.modified_time,
            "modified_by": self.user_ref(Some(&t.modified_by)),
        })
    }

    /// The capitalised shape of `users_territories.json`.
    fn user_territory_json(&self, t: &Territory) -> Value {
        let manager = t
            .manager
            .as_deref()
            .and_then(|m| self.user(m))
            .map(|u| json!({"Name": u.full_name(), "id": u.id}))
            .unwrap_or(Value::Null);
        let parent = t
            .reporting_to
            .as_deref()
            .and_then(|p| self.territory(p))
            .map(|p| json!({"Name": p.name, "id": p.id}))
            .unwrap_or(Value::Null);
        json!({"id": t.id, "Name": t.name, "Manager": manager, "Reporting_To": parent})
    }

    fn is_descendant(&self, candidate: &str, ancestor: &str) -> bool {
        let mut cur = self
            .territory(candidate)
            .and_then(|t| t.reporting_to.clone());
        for _ in 0..=self.territories.len() {
            match cur {
                Some(ref id) if id == ancestor => return true,
                Some(ref id) => cur = self.territory(id).and_then(|t| t.reporting_to.clone()),
                None => return false,
            }
        }
        false
    }

    // ----- settings/territories -----

    fn filtered(&self, req: &Request, parent: Option<&str>) -> Result<Vec<Value>, Response> {
        let filter = match req.param("filters") {
            None => None,
            Some(text) => {
                let v: Value = serde_json::from_str(text).map_err(|_| invalid_param("filters"))?;
                Some(parse_filter(&v, 0).ok_or_else(|| invalid_param("filters"))?)
            }
        };
        let ids = req.param("ids").map(id_list);
        Ok(self
            .territories
            .iter()
            .filter(|t| parent.is_none() || t.reporting_to.as_deref() == parent)
            .filter(|t| ids.as_ref().is_none_or(|ids| ids.contains(&t.id)))
            .filter(|t| filter.as_ref().is_none_or(|f| filter_matches(f, t)))
            .map(|t| self.territory_json(t))
            .collect())
    }

    fn list_territories(&self, req: &Request) -> Result<Response, Response> {
        let (page, per_page) = paging(req, 2000, 2000)?;
        let all = self.filtered(req, None)?;
        Ok(match page_of(&all, page, per_page) {
            Some((items, info)) => {
                Response::json(200, &json!({"territories": items, "info": info}))
            }
            None => Response::no_content(),
        })
    }

    fn get_territory(&self, id: &str) -> Response {
        match self.territory(id) {
            Some(t) => Response::json(200, &json!({"territories": [self.territory_json(t)]})),
            None => Response::no_content(),
        }
    }

    fn child_territories(&self, req: &Request, id: &str) -> Result<Response, Response> {
        if self.territory(id).is_none() {
            return Err(invalid_path_id(2));
        }
        let (page, per_page) = paging(req, 200, 200)?;
        let all = self.filtered(req, Some(id))?;
        Ok(match page_of(&all, page, per_page) {
            Some((items, info)) => {
                Response::json(200, &json!({"territories": items, "info": info}))
            }
            None => Response::no_content(),
        })
    }

    fn check_name(
        &self,
        v: Option<&Value>,
        own_id: Option<&str>,
        path: &str,
    ) -> Result<String, Value> {
        let jp = format!("{path}.name");
        let name = match v {
            None | Some(Value::Null) => return Err(mandatory("name", jp)),
            Some(Value::String(s)) if s.trim().is_empty() => return Err(mandatory("name", jp)),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(_) => {
                return Err(error_obj(
                    "INVALID_DATA",
                    MSG_INVALID,
                    json!({"api_name": "name", "json_path": jp, "expected_data_type": "string"}),
                ))
            }
        };
        if name.chars().any(|c| FORBIDDEN_NAME_CHARS.contains(c)) || name.chars().count() > 100 {
            return Err(invalid("name", jp));
        }
        let taken = self
            .territories
            .iter()
            .any(|t| Some(t.id.as_str()) != own_id && t.name.to_lowercase() == name.to_lowercase());
        if taken {
            return Err(error_obj(
                "DUPLICATE_DATA",
                MSG_DUPLICATE,
                json!({"api_name": "name", "json_path": jp}),
            ));
        }
        Ok(name)
    }

    fn check_parent(
        &self,
        v: Option<&Value>,
        own_id: Option<&str>,
        path: &str,
    ) -> Result<String, Value> {
        let jp = format!("{path}.reporting_to");
        let id = match v {
            None | Some(Value::Null) => return Err(mandatory("reporting_to", jp)),
            Some(Value::Object(o)) => {
                id_of(o.get("id")).ok_or_else(|| mandatory("reporting_to", format!("{jp}.id")))?
            }
            Some(_) => return Err(invalid("reporting_to", jp)),
        };
        if self.territory(&id).is_none() {
            return Err(invalid_id("reporting_to", format!("{jp}.id")));
        }
        if let Some(own) = own_id {
            if id == own || self.is_descendant(&id, own) {
                return Err(invalid("reporting_to", format!("{jp}.id")));
            }
        }
        Ok(id)
    }

    fn check_manager(&self, v: Option<&Value>, path: &str) -> Result<ManagerInput, Value> {
        let jp = format!("{path}.manager");
        match v {
            None => Ok(ManagerInput::Absent),
            Some(Value::Null) => Ok(ManagerInput::Remove),
            Some(Value::Object(o)) => {
                let id =
                    id_of(o.get("id")).ok_or_else(|| mandatory("manager", format!("{jp}.id")))?;
                match self.user(&id) {
                    Some(u) if u.active => Ok(ManagerInput::Set(id)),
                    Some(_) => Err(error_obj(
                        "INVALID_DATA",
                        MSG_INVALID,
                        json!({"api_name": "manager", "json_path": format!("{jp}.id"), "owner_status": "inactive"}),
                    )),
                    None => Err(invalid_id("manager", format!("{jp}.id"))),
                }
            }
            Some(_) => Err(invalid("manager", jp)),
        }
    }

    fn create_territories(&mut self, req: &Request) -> Result<Response, Response> {
        let body = json_body(req)?;
        let items = body_array(&body, "territories")?;
        if items.len() > MAX_PER_CALL {
            return Err(limit_exceeded("territories", MAX_PER_CALL));
        }
        let results = items
            .iter()
            .enumerate()
            .map(|(i, item)| match self.create_one(i, item) {
                Ok(id) => success_obj("Territory Created Successfully", json!({"id": id})),
                Err(e) => e,
            })
            .collect();
        Ok(batch("territories", results, 201))
    }

    fn create_one(&mut self, i: usize, item: &Value) -> Result<String, Value> {
        let path = format!("$.territories[{i}]");
        let obj = item
            .as_object()
            .ok_or_else(|| invalid("territories", path.clone()))?;
        for key in ["name", "reporting_to", "permission_type"] {
            if obj.get(key).is_none_or(Value::is_null) {
                return Err(mandatory(key, format!("{path}.{key}")));
            }
        }
        let name = self.check_name(obj.get("name"), None, &path)?;
        let parent = self.check_parent(obj.get("reporting_to"), None, &path)?;
        let permission = check_permission(obj.get("permission_type"), &path)?;
        let manager = match self.check_manager(obj.get("manager"), &path)? {
            ManagerInput::Set(id) => Some(id),
            ManagerInput::Absent | ManagerInput::Remove => None,
        };
        let description = check_description(obj.get("description"), &path)?;
        let [account, deal, lead] = check_criteria(obj, &path)?;
        let now = now_string();
        let id = self.new_id();
        self.territories.push(Territory {
            id: id.clone(),
            api_name: api_name_of(&name),
            name,
            description: description.unwrap_or(Value::Null),
            permission_type: permission,
            users: manager.iter().cloned().collect(),
            manager,
            reporting_to: Some(parent),
            account_rule_criteria: account.unwrap_or(Value::Null),
            deal_rule_criteria: deal.unwrap_or(Value::Null),
            lead_rule_criteria: lead.unwrap_or(Value::Null),
            created_time: now.clone(),
            created_by: self.current_user.clone(),
            modified_time: now,
            modified_by: self.current_user.clone(),
        });
        Ok(id)
    }

    fn update_territories(
        &mut self,
        req: &Request,
        path_id: Option<&str>,
    ) -> Result<Response, Response> {
        if let Some(id) = path_id {
            if self.territory(id).is_none() {
                return Err(invalid_path_id(2));
            }
        }
        let body = json_body(req)?;
        let items = body_array(&body, "territories")?;
        if items.len() > MAX_PER_CALL {
            return Err(limit_exceeded("territories", MAX_PER_CALL));
        }
        let results = items
            .iter()
            .enumerate()
            .map(|(i, item)| match self.update_one(i, item, path_id) {
                Ok(id) => success_obj("Territory Updated Successfully", json!({"id": id})),
                Err(e) => e,
            })
            .collect();
        Ok(batch("territories", results, 200))
    }

    fn update_one(
        &mut self,
        i: usize,
        item: &Value,
        path_id: Option<&str>,
    ) -> Result<String, Value> {
        let path = format!("$.territories[{i}]");
        let obj = item
            .as_object()
            .ok_or_else(|| invalid("territories", path.clone()))?;
        let id = match path_id {
            Some(id) => id.to_owned(),
            None => id_of(obj.get("id")).ok_or_else(|| mandatory("id", format!("{path}.id")))?,
        };
        let is_root = match self.territory(&id) {
            Some(t) => t.reporting_to.is_none(),
            None => return Err(invalid_id("id", format!("{path}.id"))),
        };
        let name = match obj.get("name") {
            None => None,
            v => Some(self.check_name(v, Some(&id), &path)?),
        };
        let parent = match obj.get("reporting_to") {
            None => None,
            Some(_) if is_root => {
                return Err(invalid("reporting_to", format!("{path}.reporting_to")))
            }
            v => Some(self.check_parent(v, Some(&id), &path)?),
        };
        let permission = match obj.get("permission_type") {
            None => None,
            v => Some(check_permission(v, &path)?),
        };
        let manager = self.check_manager(obj.get("manager"), &path)?;
        let description = check_description(obj.get("description"), &path)?;
        let criteria = check_criteria(obj, &path)?;
        let now = now_string();
        let me = self.current_user.clone();
        let Some(t) = self.territory_mut(&id) else {
            return Err(invalid_id("id", format!("{path}.id")));
        };
        if let Some(name) = name {
            t.name = name;
        }
        if let Some(parent) = parent {
            t.reporting_to = Some(parent);
        }
        if let Some(p) = permission {
            t.permission_type = p;
        }
        match manager {
            ManagerInput::Absent => {}
            ManagerInput::Remove => t.manager = None,
            ManagerInput::Set(m) => {
                if !t.users.contains(&m) {
                    t.users.push(m.clone());
                }
                t.manager = Some(m);
            }
        }
        if let Some(d) = description {
            t.description = d;
        }
        let [account, deal, lead] = criteria;
        if let Some(c) = account {
            t.account_rule_criteria = c;
        }
        if let Some(c) = deal {
            t.deal_rule_criteria = c;
        }
        if let Some(c) = lead {
            t.lead_rule_criteria = c;
        }
        t.modified_time = now;
        t.modified_by = me;
        Ok(id)
    }

    /// Removes a territory (its children must already be gone or moved).
    fn remove_territory(&mut self, id: &str) {
        let Some(pos) = self.territories.iter().position(|t| t.id == id) else {
            return;
        };
        let t = self.territories.remove(pos);
        self.records.drop_territory(id);
        self.deleted.push(Deleted {
            id: t.id,
            name: t.name,
            time: now_string(),
            by: self.current_user.clone(),
        });
    }

    fn delete_territories(
        &mut self,
        req: &Request,
        path_id: Option<&str>,
    ) -> Result<Response, Response> {
        let ids = target_ids(req, path_id, MAX_PER_CALL)?;
        if let Some(v) = req.param("delete_previous_forecasts") {
            if v != "true" && v != "false" {
                return Err(invalid_param("delete_previous_forecasts"));
            }
        }
        let results = ids
            .iter()
            .map(|id| {
                let not_allowed = |why: &str| error_obj("NOT_ALLOWED", why, json!({"id": id}));
                match self.territory(id) {
                    None => error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": id})),
                    Some(t) if t.reporting_to.is_none() => {
                        not_allowed("the root territory of the organization cannot be deleted")
                    }
                    Some(_)
                        if self
                            .territories
                            .iter()
                            .any(|c| c.reporting_to.as_deref() == Some(id)) =>
                    {
                        not_allowed("the territory has child territories; use transfer_and_delete")
                    }
                    Some(_) => {
                        self.remove_territory(id);
                        success_obj("Given Territory Removed Successfully", json!({"id": id}))
                    }
                }
            })
            .collect();
        Ok(batch("territories", results, 200))
    }

    fn transfer(&mut self, req: &Request, path_id: Option<&str>) -> Result<Response, Response> {
        let body = json_body(req)?;
        let items = body_array(&body, "territories")?;
        if items.len() > MAX_PER_CALL {
            return Err(limit_exceeded("territories", MAX_PER_CALL));
        }
        let results = items
            .iter()
            .enumerate()
            .map(|(i, item)| match self.transfer_one(i, item, path_id) {
                Ok(id) => success_obj(
                    "Given Territory Removed Successfully and its child Territories moved to the another territory",
                    json!({"id": id}),
                ),
                Err(e) => e,
            })
            .collect();
        Ok(batch("territories", results, 200))
    }

    fn transfer_one(
        &mut self,
        i: usize,
        item: &Value,
        path_id: Option<&str>,
    ) -> Result<String, Value> {
        let path = format!("$.territories[{i}]");
        let obj = item
            .as_object()
            .ok_or_else(|| invalid("territories", path.clone()))?;
        let id = match path_id {
            Some(id) => id.to_owned(),
            None => id_of(obj.get("id")).ok_or_else(|| mandatory("id", format!("{path}.id")))?,
        };
        let target = id_of(obj.get("transfer_to_id"))
            .ok_or_else(|| mandatory("transfer_to_id", format!("{path}.transfer_to_id")))?;
        if let Some(v) = obj.get("delete_previous_forecasts") {
            if !v.is_boolean() && !v.is_null() {
                return Err(invalid(
                    "delete_previous_forecasts",
                    format!("{path}.delete_previous_forecasts"),
                ));
            }
        }
        match self.territory(&id) {
            None => return Err(invalid_id("id", format!("{path}.id"))),
            // The org's root territory cannot be deleted.
            Some(t) if t.reporting_to.is_none() => return Err(invalid("id", format!("{path}.id"))),
            Some(_) => {}
        }
        if self.territory(&target).is_none() {
            return Err(invalid_id(
                "transfer_to_id",
                format!("{path}.transfer_to_id"),
            ));
        }
        if target == id || self.is_descendant(&target, &id) {
            return Err(invalid("transfer_to_id", format!("{path}.transfer_to_id")));
        }
        for t in &mut self.territories {
            if t.reporting_to.as_deref() == Some(id.as_str()) {
                t.reporting_to = Some(target.clone());
            }
        }
        self.remove_territory(&id);
        Ok(id)
    }

    fn associated_users_count(&self, req: &Request) -> Result<Response, Response> {
        let (page, per_page) = paging(req, 200, 200)?;
        let all: Vec<Value> = self
            .territories
            .iter()
            .map(|t| {
                json!({
                    "count": t.users.len().to_string(),
                    "territory": {"name": t.name, "id": t.id, "subordinates": false}
                })
            })
            .collect();
        Ok(match page_of(&all, page, per_page) {
            Some((items, info)) => {
                Response::json(200, &json!({"associated_users_count": items, "info": info}))
            }
            None => Response::no_content(),
        })
    }

    fn deleted_territories(&self, req: &Request) -> Result<Response, Response> {
        let (page, per_page) = paging(req, 200, 200)?;
        let ids = req.param("ids").map(id_list);
        let all: Vec<Value> = self
            .deleted
            .iter()
            .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id)))
            .map(|d| {
                json!({"name": d.name, "id": d.id, "deleted_time": d.time, "deleted_by": self.user_min(&d.by)})
            })
            .collect();
        Ok(match page_of(&all, page, per_page) {
            Some((items, info)) => {
                Response::json(200, &json!({"territories": items, "info": info}))
            }
            None => Response::no_content(),
        })
    }

    // ----- settings/territories/{id}/users -----

    fn territory_users(&self, req: &Request, id: &str) -> Result<Response, Response> {
        let t = self.territory(id).ok_or_else(|| invalid_path_id(2))?;
        let (page, per_page) = paging(req, 200, 200)?;
        let all: Vec<Value> = t
            .users
            .iter()
            .filter_map(|u| self.user(u))
            .map(|u| u.to_json())
            .collect();
        Ok(match page_of(&all, page, per_page) {
            Some((items, info)) => Response::json(200, &json!({"users": items, "info": info})),
            None => Response::no_content(),
        })
    }

    fn territory_user(&self, id: &str, user: &str) -> Result<Response, Response> {
        let t = self.territory(id).ok_or_else(|| invalid_path_id(2))?;
        let u = self.user(user).ok_or_else(|| invalid_path_id(4))?;
        Ok(if t.users.contains(&u.id) {
            Response::json(200, &json!({"users": [u.to_json()]}))
        } else {
            Response::no_content()
        })
    }

    fn associate_users(
        &mut self,
        req: &Request,
        id: &str,
        path_user: Option<&str>,
    ) -> Result<Response, Response> {
        if self.territory(id).is_none() {
            return Err(invalid_path_id(2));
        }
        // (user id or its error, json path)
        let wanted: Vec<(Option<String>, String)> = match path_user {
            Some(u) => vec![(Some(u.to_owned()), String::new())],
            None => {
                let body = json_body(req)?;
                let items = body_array(&body, "users")?;
                if items.len() > MAX_ASSOCIATE {
                    return Err(limit_exceeded("users", MAX_ASSOCIATE));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (id_of(item.get("id")), format!("$.users[{i}].id")))
                    .collect()
            }
        };
        let results = wanted
            .into_iter()
            .map(|(user, jp)| {
                let in_path = jp.is_empty();
                let bad = |code: &str, msg: &str, mut details: Map<String, Value>| {
                    if in_path {
                        details.insert("resource_path_index".into(), json!(4));
                    } else {
                        details.insert("api_name".into(), json!("id"));
                        details.insert("json_path".into(), json!(jp));
                    }
                    error_obj(code, msg, Value::Object(details))
                };
                let Some(user) = user else {
                    return bad("MANDATORY_NOT_FOUND", MSG_MANDATORY, Map::new());
                };
                match self.user(&user) {
                    None => return bad("INVALID_DATA", MSG_INVALID_ID, Map::new()),
                    Some(u) if !u.active => {
                        let mut d = Map::new();
                        d.insert("owner_status".into(), json!("inactive"));
                        return bad("INVALID_DATA", MSG_INVALID, d);
                    }
                    Some(_) => {}
                }
                let Some(t) = self.territory_mut(id) else {
                    return bad("INVALID_DATA", MSG_INVALID_ID, Map::new());
                };
                if t.users.contains(&user) {
                    return bad("DUPLICATE_DATA", MSG_DUPLICATE, Map::new());
                }
                t.users.push(user.clone());
                success_obj(
                    "Given User added to the mentioned territory Successfully",
                    json!({"id": user}),
                )
            })
            .collect();
        Ok(batch("users", results, 200))
    }

    fn dissociate_users(
        &mut self,
        req: &Request,
        id: &str,
        path_user: Option<&str>,
    ) -> Result<Response, Response> {
        if self.territory(id).is_none() {
            return Err(invalid_path_id(2));
        }
        let ids = target_ids(req, path_user, MAX_ASSOCIATE)?;
        let results = ids
            .into_iter()
            .map(|user| {
                let Some(t) = self.territory_mut(id) else {
                    return error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": user}));
                };
                if !t.users.contains(&user) {
                    return error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": user}));
                }
                if t.manager.as_deref() == Some(user.as_str()) {
                    return error_obj(
                        "NOT_ALLOWED",
                        "the manager of a territory cannot be removed from it",
                        json!({"id": user}),
                    );
                }
                t.users.retain(|u| *u != user);
                success_obj(
                    "Given User Removed from the mentioned territory Successfully",
                    json!({"id": user}),
                )
            })
            .collect();
        Ok(batch("users", results, 200))
    }

    // ----- users/{id}/territories -----

    fn user_territories(&self, req: &Request, user: &str) -> Result<Response, Response> {
        if self.user(user).is_none() {
            return Err(invalid_path_id(1));
        }
        let (page, per_page) = paging(req, 200, 200)?;
        let all: Vec<Value> = self
            .territories
            .iter()
            .filter(|t| t.users.iter().any(|u| u == user))
            .map(|t| self.user_territory_json(t))
            .collect();
        Ok(match page_of(&all, page, per_page) {
            Some((items, info)) => {
                Response::json(200, &json!({"territories": items, "info": info}))
            }
            None => Response::no_content(),
        })
    }

    fn user_territory(&self, user: &str, territory: &str) -> Result<Response, Response> {
        if self.user(user).is_none() {
            return Err(invalid_path_id(1));
        }
        let t = self
            .territory(territory)
            .ok_or_else(|| invalid_path_id(3))?;
        Ok(if t.users.iter().any(|u| u == user) {
            Response::json(200, &json!({"territories": [self.user_territory_json(t)]}))
        } else {
            Response::no_content()
        })
    }

    fn add_user_territories(&mut self, req: &Request, user: &str) -> Result<Response, Response> {
        match self.user(user) {
            None => return Err(invalid_path_id(1)),
            Some(u) if !u.active => {
                return Err(api_error(
                    400,
                    "INVALID_DATA",
                    MSG_INVALID,
                    json!({"resource_path_index": 1, "owner_status": "inactive"}),
                ))
            }
            Some(_) => {}
        }
        let body = json_body(req)?;
        let items = body_array(&body, "territories")?;
        if items.len() > MAX_ASSOCIATE {
            return Err(limit_exceeded("territories", MAX_ASSOCIATE));
        }
        let results = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let jp = format!("$.territories[{i}].id");
                let Some(tid) = id_of(item.get("id")) else {
                    return mandatory("id", jp);
                };
                let Some(t) = self.territory_mut(&tid) else {
                    return invalid_id("id", jp);
                };
                if t.users.iter().any(|u| u == user) {
                    return error_obj(
                        "DUPLICATE_DATA",
                        MSG_DUPLICATE,
                        json!({"api_name": "id", "json_path": jp}),
                    );
                }
                t.users.push(user.to_owned());
                success_obj(
                    "Territory associated to the user successfully",
                    json!({"id": tid}),
                )
            })
            .collect();
        Ok(batch("territories", results, 200))
    }

    fn remove_user_territories(
        &mut self,
        req: &Request,
        user: &str,
        path_t: Option<&str>,
    ) -> Result<Response, Response> {
        if self.user(user).is_none() {
            return Err(invalid_path_id(1));
        }
        let ids = target_ids(req, path_t, MAX_ASSOCIATE)?;
        let results = ids
            .into_iter()
            .map(|tid| {
                let Some(t) = self.territory_mut(&tid) else {
                    return error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": tid}));
                };
                if !t.users.iter().any(|u| u == user) {
                    return error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": tid}));
                }
                if t.reporting_to.is_none() {
                    return error_obj(
                        "NOT_ALLOWED",
                        "the default territory cannot be removed",
                        json!({"id": tid}),
                    );
                }
                if t.manager.as_deref() == Some(user) {
                    return error_obj(
                        "NOT_ALLOWED",
                        "a territory cannot be removed from its manager",
                        json!({"id": tid}),
                    );
                }
                t.users.retain(|u| u != user);
                success_obj(
                    "Territory removed from the user successfully",
                    json!({"id": tid}),
                )
            })
            .collect();
        Ok(batch("territories", results, 200))
    }

    // ----- {module}/actions/assign_territories, remove_territories -----

    pub fn record_territories(
        &mut self,
        req: &Request,
        module: &'static str,
        record_id: Option<&str>,
        assign: bool,
    ) -> Response {
        done(self.record_territories_inner(req, module, record_id, assign))
    }

    fn record_territories_inner(
        &mut self,
        req: &Request,
        module: &'static str,
        record_id: Option<&str>,
        assign: bool,
    ) -> Result<Response, Response> {
        if module == "Leads" {
            return Err(api_error(
                403,
                "TERRITORY_NOT_ENABLED",
                "the territory feature is not enabled",
                json!({}),
            ));
        }
        let body = json_body(req)?;
        let items = body_array(&body, "data")?;
        if items.len() > MAX_RECORDS {
            return Err(limit_exceeded("data", MAX_RECORDS));
        }
        let job = (items.len() > SCHEDULE_ABOVE).then(|| self.new_id());
        let results = items
            .iter()
            .enumerate()
            .map(
                |(i, item)| match self.record_one(i, item, module, record_id, assign) {
                    Ok(id) => match (&job, assign) {
                        (Some(job), _) => json!({
                            "code": "SCHEDULED",
                            "details": {"job_id": job, "id": id},
                            "message": if assign {
                                "Territory assignment process scheduled successfully"
                            } else {
                                "Territory removal process scheduled successfully"
                            },
                            "status": "success"
                        }),
                        (None, true) => success_obj(
                            "the territories data updated successfully",
                            json!({"id": id}),
                        ),
                        (None, false) => success_obj(
                            "the territories are removed successfully",
                            json!({"id": id}),
                        ),
                    },
                    Err(e) => e,
                },
            )
            .collect();
        Ok(batch(
            "data",
            results,
            if job.is_some() { 202 } else { 200 },
        ))
    }

    fn record_one(
        &mut self,
        i: usize,
        item: &Value,
        module: &'static str,
        record_id: Option<&str>,
        assign: bool,
    ) -> Result<String, Value> {
        let path = format!("$.data[{i}]");
        let obj = item
            .as_object()
            .ok_or_else(|| invalid("data", path.clone()))?;
        let id = match record_id {
            Some(id) => id.to_owned(),
            None => id_of(obj.get("id")).ok_or_else(|| mandatory("id", format!("{path}.id")))?,
        };
        if self.records.get_mut(module, &id).is_none() {
            return Err(invalid_id("id", format!("{path}.id")));
        }
        let jp = format!("{path}.Territories");
        let list = match obj.get("Territories") {
            Some(Value::Array(a)) if !a.is_empty() => a,
            None | Some(Value::Null) | Some(Value::Array(_)) => {
                return Err(mandatory("Territories", jp))
            }
            Some(_) => return Err(invalid("Territories", jp)),
        };
        let mut wanted: Vec<String> = Vec::new();
        for (j, t) in list.iter().enumerate() {
            let tjp = format!("{jp}[{j}].id");
            let tid = nested_id(Some(t)).ok_or_else(|| mandatory("Territories", tjp.clone()))?;
            if self.territory(&tid).is_none() {
                return Err(error_obj(
                    "INVALID_DATA",
                    MSG_INVALID_ID,
                    json!({"api_name": "Territories", "json_path": tjp, "id": tid}),
                ));
            }
            if wanted.contains(&tid) {
                return Err(error_obj(
                    "ALREADY_USED",
                    "duplicate territory id found",
                    json!({"api_name": "Territories", "json_path": tjp, "id": tid}),
                ));
            }
            let current = self
                .records
                .get(module, &id)
                .and_then(|r| r.territories.iter().find(|a| a.territory == tid));
            if assign && current.is_some() {
                return Err(error_obj(
                    "DUPLICATE_DATA",
                    "Given Territory id already exists for that record",
                    json!({"api_name": "Territories", "json_path": tjp, "id": tid}),
                ));
            }
            if !assign {
                match current {
                    None => {
                        return Err(error_obj(
                            "INVALID_DATA",
                            MSG_INVALID_ID,
                            json!({"api_name": "Territories", "json_path": tjp, "id": tid}),
                        ))
                    }
                    Some(a) if !a.manual => {
                        return Err(error_obj(
                            "NOT_ALLOWED",
                            "Territory id which you are trying to remove was system assigned",
                            json!({"api_name": "Territories", "json_path": tjp, "id": tid}),
                        ))
                    }
                    Some(_) => {}
                }
            }
            wanted.push(tid);
        }
        let Some(record) = self.records.get_mut(module, &id) else {
            return Err(invalid_id("id", format!("{path}.id")));
        };
        if assign {
            let limit = if module == "Deals" { 1 } else { 10 };
            if record.territories.len() + wanted.len() > limit {
                return Err(error_obj(
                    "LIMIT_EXCEEDED",
                    "Maximum limit of territories for that record exceeds",
                    json!({"api_name": "Territories", "json_path": jp, "limit": limit}),
                ));
            }
            let now = now_string();
            for tid in wanted {
                record.territories.push(Assignment {
                    territory: tid,
                    by: Some(self.current_user.clone()),
                    time: now.clone(),
                    manual: true,
                });
            }
        } else {
            record
                .territories
                .retain(|a| !wanted.contains(&a.territory));
        }
        Ok(id)
    }
}

fn check_permission(v: Option<&Value>, path: &str) -> Result<String, Value> {
    let jp = format!("{path}.permission_type");
    match v {
        None | Some(Value::Null) => Err(mandatory("permission_type", jp)),
        Some(Value::String(s)) if PERMISSIONS.contains(&s.as_str()) => Ok(s.clone()),
        Some(_) => Err(error_obj(
            "INVALID_DATA",
            MSG_INVALID,
            json!({"api_name": "permission_type", "json_path": jp, "supported_values": PERMISSIONS}),
        )),
    }
}

/// `Some(value)` when the key is present and valid.
fn check_description(v: Option<&Value>, path: &str) -> Result<Option<Value>, Value> {
    match v {
        None => Ok(None),
        Some(d @ (Value::Null | Value::String(_))) => Ok(Some(d.clone())),
        Some(_) => Err(invalid("description", format!("{path}.description"))),
    }
}

/// The three rule criteria (account, deal, lead), each `Some` when present and valid.
fn check_criteria(obj: &Map<String, Value>, path: &str) -> Result<[Option<Value>; 3], Value> {
    let mut out = [None, None, None];
    for (slot, key) in out.iter_mut().zip([
        "account_rule_criteria",
        "deal_rule_criteria",
        "lead_rule_criteria",
    ]) {
        match obj.get(key) {
            None => {}
            Some(c @ (Value::Null | Value::Object(_))) => *slot = Some(c.clone()),
            Some(_) => return Err(invalid(key, format!("{path}.{key}"))),
        }
    }
    Ok(out)
}
