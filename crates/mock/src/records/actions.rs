//! Record actions that touch several records at once: converting a lead (into a Contact, an
//! Account and optionally a Deal) and mass updates (at once by ids, or as a "scheduled" job
//! over a custom view, applied at once too).

use serde_json::{json, Map, Value};

use super::list::is_converted;
use super::write::{invalid, write_details, Prepared};
use super::{id_value, same_value, spec_of, MassJob, Spec};
use crate::org::Org;
use crate::schema::Kind;
use crate::util::{
    api_error, batch, body_array, error_obj, invalid_path_id, json_body, limit_exceeded,
    now_string, required_param, success_obj, Request, Response, MSG_INVALID, MSG_INVALID_ID,
};

/// Records per mass update by ids.
const MAX_MASS_IDS: usize = 500;
/// Records per scheduled mass update.
const MAX_MASS_JOB: usize = 50_000;

/// Lead fields copied to the Contact and the Account a conversion creates.
const TO_CONTACT: [(&str, &str); 12] = [
    ("First_Name", "First_Name"),
    ("Last_Name", "Last_Name"),
    ("Email", "Email"),
    ("Secondary_Email", "Secondary_Email"),
    ("Phone", "Phone"),
    ("Mobile", "Mobile"),
    ("Lead_Source", "Lead_Source"),
    ("Designation", "Title"),
    ("City", "Mailing_City"),
    ("State", "Mailing_State"),
    ("Country", "Mailing_Country"),
    ("Email_Opt_Out", "Email_Opt_Out"),
];
const TO_ACCOUNT: [(&str, &str); 8] = [
    ("Company", "Account_Name"),
    ("Phone", "Phone"),
    ("Website", "Website"),
    ("Industry", "Industry"),
    ("Annual_Revenue", "Annual_Revenue"),
    ("No_of_Employees", "Employees"),
    ("City", "Billing_City"),
    ("State", "Billing_State"),
];

fn copy(lead: &Map<String, Value>, map: &[(&str, &str)]) -> Map<String, Value> {
    map.iter()
        .filter_map(|(from, to)| {
            let v = lead.get(*from).filter(|v| !v.is_null())?;
            Some(((*to).to_owned(), v.clone()))
        })
        .collect()
}

fn name_id(name: Value, id: &str) -> Value {
    json!({"name": name, "id": id})
}

/// An existing record a conversion uses, or one it creates.
enum Use {
    Existing(String),
    Create(Map<String, Value>),
    Nothing,
}

impl Org {
    /// An existing record named by `{"id"}` under `key` of a convert item.
    fn convert_existing(
        &self,
        item: &Map<String, Value>,
        key: &str,
        module: &str,
    ) -> Result<Option<String>, Value> {
        match item.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => id_value(Some(v))
                .filter(|id| self.records.get(module, id).is_some())
                .map(Some)
                .ok_or_else(|| invalid(key, "$.data[0]", None)),
        }
    }

    /// `POST /Leads/{id}/actions/convert`.
    pub(super) fn convert_lead(&mut self, req: &Request, segment: &str) -> Response {
        let Some(lead_id) = self.path_record(req, "Leads", segment) else {
            return invalid_path_id(1);
        };
        let Some(lead) = self.records.get("Leads", &lead_id) else {
            return invalid_path_id(1);
        };
        if is_converted(lead) {
            return Response::json(
                400,
                &json!({"data": [error_obj("ID_ALREADY_CONVERTED", "id already converted", json!({"resource_path_index": 1}))]}),
            );
        }
        let lead = lead.fields.clone();
        let body = match json_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let items = match body_array(&body, "data") {
            Ok(i) => i,
            Err(r) => return r,
        };
        let item = items[0].as_object().cloned().unwrap_or_default();
        match self.convert_one(&lead_id, &lead, &item) {
            Ok(details) => Response::json(
                200,
                &json!({"data": [success_obj("The record has been converted successfully", details)]}),
            ),
            Err(e) => Response::json(400, &json!({ "data": [e] })),
        }
    }

    fn convert_one(
        &mut self,
        lead_id: &str,
        lead: &Map<String, Value>,
        item: &Map<String, Value>,
    ) -> Result<Value, Value> {
        let path = "$.data[0]";
        let owner = match item.get("assign_to") {
            None | Some(Value::Null) => lead.get("Owner").cloned(),
            Some(v) => {
                let user = id_value(Some(v))
                    .filter(|id| self.user(id).is_some())
                    .ok_or_else(|| invalid("assign_to", path, None))?;
                Some(self.user_min(&user))
            }
        };
        // Decide everything first, so that a failure changes nothing.
        let account = match self.convert_existing(item, "Accounts", "Accounts")? {
            Some(id) => Use::Existing(id),
            None => match lead
                .get("Company")
                .filter(|c| c.as_str().is_some_and(|s| !s.trim().is_empty()))
            {
                Some(company) => match self.records.find_by("Accounts", "Account_Name", company) {
                    Some(r) => Use::Existing(r.id.clone()),
                    None => Use::Create(copy(lead, &TO_ACCOUNT)),
                },
                None => Use::Nothing,
            },
        };
        let contact = match self.convert_existing(item, "Contacts", "Contacts")? {
            Some(id) => Use::Existing(id),
            None => {
                let by_email = lead
                    .get("Email")
                    .filter(|e| !e.is_null())
                    .and_then(|e| self.records.find_by("Contacts", "Email", e));
                match by_email {
                    Some(r) => Use::Existing(r.id.clone()),
                    None => Use::Create(copy(lead, &TO_CONTACT)),
                }
            }
        };
        let deal = match item.get("Deals") {
            None | Some(Value::Null) => None,
            Some(Value::Object(d)) => {
                let mut d = d.clone();
                d.remove("Contact_Role");
                let deals = spec_of("Deals");
                let dpath = format!("{path}.Deals");
                let prep = self.prepare(deals, &dpath, &d, true)?;
                if let Some(name) = prep.set.get("Deal_Name") {
                    if self.records.find_by("Deals", "Deal_Name", name).is_some() {
                        return Err(error_obj(
                            "DUPLICATE_DATA",
                            crate::util::MSG_DUPLICATE,
                            json!({"api_name": "Deal_Name", "json_path": format!("{dpath}.Deal_Name")}),
                        ));
                    }
                }
                Some(prep)
            }
            Some(_) => return Err(invalid("Deals", path, Some("jsonobject"))),
        };
        let overwrite = item.get("overwrite").and_then(Value::as_bool) == Some(true);

        let with_owner = |org: &mut Org, spec: &Spec, mut set: Map<String, Value>| {
            if let Some(o) = &owner {
                set.insert("Owner".into(), o.clone());
            }
            let f = org.create(spec, Prepared { set, tags: None });
            f["id"].as_str().unwrap_or_default().to_owned()
        };
        let account_id = match account {
            Use::Existing(id) => Some(id),
            Use::Create(set) => Some(with_owner(self, spec_of("Accounts"), set)),
            Use::Nothing => None,
        };
        let account_ref = account_id
            .as_ref()
            .map(|id| name_id(self.records.display_name("Accounts", id), id));
        let contact_id = match contact {
            Use::Existing(id) => {
                let linked = self
                    .records
                    .get("Contacts", &id)
                    .and_then(|c| c.fields.get("Account_Name"))
                    .is_some_and(|a| !a.is_null());
                if let (Some(acc), true) = (&account_ref, overwrite || !linked) {
                    if let Some(c) = self.records.get_mut("Contacts", &id) {
                        c.fields.insert("Account_Name".into(), acc.clone());
                        self.records.writes += 1;
                    }
                }
                id
            }
            Use::Create(mut set) => {
                if set.get("Last_Name").is_none() {
                    set.insert("Last_Name".into(), json!("Unknown"));
                }
                if let Some(acc) = &account_ref {
                    set.insert("Account_Name".into(), acc.clone());
                }
                with_owner(self, spec_of("Contacts"), set)
            }
            Use::Nothing => unreachable!("a conversion always has a contact"),
        };
        let contact_ref = name_id(
            self.records.display_name("Contacts", &contact_id),
            &contact_id,
        );
        let deal_ref = deal.map(|mut prep| {
            if let Some(acc) = &account_ref {
                prep.set.insert("Account_Name".into(), acc.clone());
            }
            prep.set.insert("Contact_Name".into(), contact_ref.clone());
            let id = with_owner(self, spec_of("Deals"), prep.set);
            name_id(self.records.display_name("Deals", &id), &id)
        });
        // Attachments follow the lead where asked.
        if let Some(target) = item
            .get("move_attachments_to")
            .and_then(|m| m.get("api_name"))
            .and_then(Value::as_str)
        {
            let to = match target {
                "Contacts" => Some(("Contacts", contact_id.clone())),
                "Accounts" => account_id.clone().map(|id| ("Accounts", id)),
                "Deals" => deal_ref
                    .as_ref()
                    .and_then(|d| d["id"].as_str())
                    .map(|id| ("Deals", id.to_owned())),
                _ => None,
            };
            if let Some((module, id)) = to {
                for a in self.records.attachments.values_mut() {
                    if a.parent == lead_id {
                        a.module = module;
                        a.parent = id.clone();
                    }
                }
            }
        }
        let now = now_string();
        let me = self.user_min(&self.current_user);
        if let Some(l) = self.records.get_mut("Leads", lead_id) {
            l.fields.insert("$converted".into(), json!(true));
            l.fields.insert(
                "$converted_detail".into(),
                json!({
                    "convert_date": now,
                    "converted_by": me["id"],
                    "contact": contact_id,
                    "account": account_id,
                    "deal": deal_ref.as_ref().map(|d| d["id"].clone()),
                }),
            );
            l.fields.insert("Modified_Time".into(), json!(now));
            l.fields.insert("Modified_By".into(), me);
            self.records.writes += 1;
        }
        Ok(json!({
            "Contacts": contact_ref,
            "Deals": deal_ref,
            "Accounts": account_ref,
        }))
    }

    /// `POST /{module}/actions/mass_update` and `GET ...?job_id=`.
    pub(super) fn mass_update(&mut self, req: &Request, spec: &Spec) -> Response {
        if req.is_get() {
            let Some(job) = req.param("job_id") else {
                return required_param("job_id");
            };
            return match self
                .records
                .jobs
                .iter()
                .find(|j| j.id == job && j.module == spec.name)
            {
                Some(j) => Response::json(
                    200,
                    &json!({"data": [{
                        "Status": "COMPLETED",
                        "Failed_Count": j.failed,
                        "Updated_Count": j.updated,
                        "Not_Updated_Count": j.total - j.updated - j.failed,
                        "Total_Count": j.total,
                    }]}),
                ),
                None => Response::no_content(),
            };
        }
        match self.mass_update_inner(req, spec) {
            Ok(r) | Err(r) => r,
        }
    }

    fn mass_update_inner(&mut self, req: &Request, spec: &Spec) -> Result<Response, Response> {
        let body = json_body(req)?;
        let data = body_array(&body, "data")?;
        let bad = |message: &str, details: Value| api_error(400, "INVALID_DATA", message, details);
        let values = data[0]
            .as_object()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| {
                bad(
                    "No field found",
                    json!({"api_name": "data", "json_path": "$.data[0]"}),
                )
            })?;
        let max_fields = if spec.name == "Deals" { 3 } else { 1 };
        if values.len() > max_fields {
            return Err(bad(
                "Max field limit exceeded",
                json!({"api_name": "data", "json_path": "$.data[0]", "limit": max_fields}),
            ));
        }
        for k in values.keys() {
            let forbidden = crate::schema::is_system_key(k)
                || spec.field(k).is_some_and(|f| {
                    f.read_only
                        || matches!(
                            f.kind,
                            Kind::Email | Kind::Lookup(_) | Kind::Tags | Kind::Parent
                        )
                });
            if forbidden {
                return Err(bad(
                    "This field cannot be updated in the Mass Update",
                    json!({"api_name": k, "json_path": format!("$.data[0].{k}")}),
                ));
            }
        }
        let prep = self
            .prepare(spec, "$.data[0]", values, false)
            .map_err(|e| Response::json(400, &e))?;
        let over_write = body.get("over_write").and_then(Value::as_bool) == Some(true);
        let ids: Option<Vec<String>> = match body.get("ids") {
            None | Some(Value::Null) => None,
            Some(Value::Array(ids)) if !ids.is_empty() => {
                Some(ids.iter().filter_map(|v| id_value(Some(v))).collect())
            }
            Some(_) => {
                return Err(bad(
                    MSG_INVALID,
                    json!({"api_name": "ids", "json_path": "$.ids", "expected_data_type": "jsonarray"}),
                ))
            }
        };
        let cvid = body.get("cvid").and_then(|v| id_value(Some(v)));
        match (ids, cvid) {
            (Some(ids), _) => {
                if ids.len() > MAX_MASS_IDS {
                    return Err(limit_exceeded("ids", MAX_MASS_IDS));
                }
                let results = ids
                    .iter()
                    .map(|id| match self.records.get(spec.name, id) {
                        Some(r) if !is_converted(r) => {
                            let set = merged(&prep.set, &r.fields, over_write);
                            let f = self.apply(spec, id, Prepared { set, tags: None });
                            success_obj("record updated", write_details(&f))
                        }
                        _ => error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": id})),
                    })
                    .collect();
                Ok(batch("data", results, 200))
            }
            (None, Some(_cvid)) => {
                // Custom views are not modelled: the view is the whole module (unconverted
                // Leads), narrowed to a territory when one is given.
                let territory = body
                    .get("territory")
                    .and_then(|t| t.get("id"))
                    .and_then(|t| id_value(Some(t)));
                let targets: Vec<String> = self
                    .records
                    .records(spec.name)
                    .filter(|r| !is_converted(r))
                    .filter(|r| {
                        territory
                            .as_ref()
                            .is_none_or(|t| r.territories.iter().any(|a| &a.territory == t))
                    })
                    .map(|r| r.id.clone())
                    .collect();
                if targets.len() > MAX_MASS_JOB {
                    return Err(api_error(
                        400,
                        "LIMIT_EXCEEDED",
                        "Record count exceeded",
                        json!({"limit": MAX_MASS_JOB}),
                    ));
                }
                if targets.is_empty() {
                    return Err(api_error(
                        400,
                        "NO_RECORDS_FOUND",
                        "no record found to update",
                        json!({}),
                    ));
                }
                for id in &targets {
                    let set = match self.records.get(spec.name, id) {
                        Some(r) => merged(&prep.set, &r.fields, over_write),
                        None => continue,
                    };
                    self.apply(spec, id, Prepared { set, tags: None });
                }
                let job = self.records.new_id();
                self.records.jobs.push(MassJob {
                    id: job.clone(),
                    module: spec_of(spec.name).name,
                    updated: targets.len(),
                    failed: 0,
                    total: targets.len(),
                });
                Ok(Response::json(
                    202,
                    &json!({"data": [success_obj("mass update scheduled successfully", json!({"job_id": job}))]}),
                ))
            }
            (None, None) => Err(api_error(
                400,
                "MANDATORY_NOT_FOUND",
                crate::util::MSG_MANDATORY,
                json!({"param_name": "ids"}),
            )),
        }
    }
}

/// The values a mass update sets on one record: multi-select values (arrays) are added to the
/// record's unless `over_write`.
fn merged(
    set: &Map<String, Value>,
    current: &Map<String, Value>,
    over_write: bool,
) -> Map<String, Value> {
    set.iter()
        .map(|(k, v)| {
            let v = match (v, current.get(k)) {
                (Value::Array(new), Some(Value::Array(old))) if !over_write => {
                    let mut all = old.clone();
                    for x in new {
                        if !all.iter().any(|o| same_value(o, x) || o == x) {
                            all.push(x.clone());
                        }
                    }
                    Value::Array(all)
                }
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}
