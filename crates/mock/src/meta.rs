//! The metadata endpoints, rendered from the org's own state so that they agree with the data:
//! modules, fields and layouts from the module schemas (`schema.rs`, the records API's
//! [`SPECS`]), the organization (its user licences are the `__features` ones), users (the ones
//! territories and records name; one active user per licence in use), roles and profiles.
//!
//! Choices where Zoho's documentation is silent: every module has one layout, `Standard`, with
//! one section holding every field; every profile sees every field read-write; the org is on
//! the Enterprise edition (`license_details.paid_type`), in UTC, with US dollars.

use serde_json::{json, Value};

use crate::org::{make_id, Org, Routed, User, DEMO_TIME, PROFILES, ROLES};
use crate::records::{spec, Spec, SPECS};
use crate::schema::{field_id, Field, Kind};
use crate::util::{
    invalid_module, invalid_param, invalid_path_id, required_param, Request, Response,
};

/// A layout's id per module (`make_id` number).
fn layout_id(spec: &Spec) -> String {
    make_id(710_000 + (spec.id_n - 200_000))
}

fn section_id(spec: &Spec) -> String {
    make_id(720_000 + (spec.id_n - 200_000))
}

/// `{"name","id"}` of the administrator who set the org up (user 1).
fn admin_ref(org: &Org) -> Value {
    org.user_ref(org.users.first().map(|u| u.id.as_str()))
}

impl Org {
    /// The metadata routes (`tail` follows `/crm/v8/`); `None` when `tail` is not one of them.
    pub(crate) fn route_meta(&self, req: &Request, tail: &[&str]) -> Option<Routed> {
        if !req.is_get() {
            // Writes to the org's settings are not modelled: a fixture may answer.
            const SETTINGS: [&str; 5] = ["modules", "fields", "layouts", "roles", "profiles"];
            let ours = match tail {
                ["org"] | ["users"] | ["users", _] => true,
                ["settings", what] | ["settings", what, _] => SETTINGS.contains(what),
                _ => false,
            };
            return ours.then(|| Routed::Unserved(crate::util::invalid_method()));
        }
        let resp = match tail {
            ["org"] => self.org_json(),
            ["users"] => self.users_json(req),
            ["users", id] => self.user_json(id),
            ["settings", "modules"] => self.modules_json(),
            ["settings", "modules", name] => match spec(name) {
                Some(spec) => {
                    Response::json(200, &json!({"modules": [self.module_json(spec, true)]}))
                }
                None => invalid_module(),
            },
            ["settings", "fields"] => match module_param(req) {
                Ok(spec) => Response::json(200, &json!({"fields": fields_json(spec)})),
                Err(r) => r,
            },
            ["settings", "fields", id] => match module_param(req) {
                Ok(spec) => match fields_json(spec).into_iter().find(|f| f["id"] == *id) {
                    Some(f) => Response::json(200, &json!({"fields": [f]})),
                    None => invalid_path_id(2),
                },
                Err(r) => r,
            },
            ["settings", "layouts"] => match module_param(req) {
                Ok(spec) => Response::json(200, &json!({"layouts": [self.layout_json(spec)]})),
                Err(r) => r,
            },
            ["settings", "layouts", id] => match module_param(req) {
                Ok(spec) if layout_id(spec) == *id => {
                    Response::json(200, &json!({"layouts": [self.layout_json(spec)]}))
                }
                Ok(_) => invalid_path_id(2),
                Err(r) => r,
            },
            ["settings", "roles"] => {
                let roles: Vec<Value> = (0..ROLES.len()).map(|i| self.role_json(i)).collect();
                Response::json(200, &json!({"roles": roles}))
            }
            ["settings", "roles", id] => match ROLES.iter().position(|r| make_id(r.1) == *id) {
                Some(i) => Response::json(200, &json!({"roles": [self.role_json(i)]})),
                None => invalid_path_id(2),
            },
            ["settings", "profiles"] => {
                let profiles: Vec<Value> =
                    (0..PROFILES.len()).map(|i| self.profile_json(i)).collect();
                Response::json(
                    200,
                    &json!({"profiles": profiles, "info": {"license_limit": self.licence_limit}}),
                )
            }
            ["settings", "profiles", id] => {
                match PROFILES.iter().position(|p| make_id(p.1) == *id) {
                    Some(i) => Response::json(200, &json!({"profiles": [self.profile_json(i)]})),
                    None => invalid_path_id(2),
                }
            }
            _ => return None,
        };
        Some(Routed::Handled(resp))
    }

    /// `GET /org`.
    fn org_json(&self) -> Response {
        let org = json!({"org": [{
            "id": make_id(1),
            "company_name": "Zylker Mock Corp",
            "alias": "zylker-mock",
            "primary_email": self.users.first().map(|u| u.email.clone()),
            "primary_zuid": self.users.first().map(User::zuid),
            "zgid": self.org_id,
            "ezgid": self.org_id,
            "domain_name": format!("org{}", self.org_id),
            "type": "production",
            "time_zone": "Etc/UTC",
            "currency": "US Dollar - USD",
            "currency_symbol": "$",
            "currency_locale": "en_US",
            "iso_code": "USD",
            "country": "United States",
            "country_code": "US",
            "city": "Austin",
            "state": "TX",
            "street": null,
            "zip": null,
            "phone": null,
            "mobile": null,
            "fax": null,
            "website": null,
            "description": null,
            "employee_count": null,
            "photo_id": null,
            "mc_status": false,
            "gapps_enabled": false,
            "translation_enabled": false,
            "privacy_settings": false,
            "hipaa_compliance_enabled": false,
            "lite_users_enabled": false,
            "deletable_org_account": false,
            "oauth_presence": true,
            "max_per_page": 200,
            "created_time": DEMO_TIME,
            "hierarchy_preferences": {"type": "Role_Hierarchy", "strictly_reporting": false},
            "license_details": {
                "paid": true,
                "paid_type": "enterprise",
                "paid_expiry": "2030-12-31T00:00:00+00:00",
                "users_license_purchased": self.licence_limit,
                "trial_type": null,
                "trial_expiry": null,
                "trial_action": null,
            },
        }]});
        Response::json(200, &org)
    }
}

/// The `module` query parameter: required, a module the mock serves.
fn module_param(req: &Request) -> Result<&'static Spec, Response> {
    let name = req
        .param("module")
        .ok_or_else(|| required_param("module"))?;
    spec(name).ok_or_else(invalid_module)
}

/// Every field of a module, in Zoho's field shape.
pub(crate) fn fields_json(spec: &Spec) -> Vec<Value> {
    spec.fields
        .iter()
        .enumerate()
        .map(|(i, f)| field_json(spec, f, i))
        .collect()
}

/// Picklist values; `base` makes their ids unique to the field.
fn picklist(values: &[&str], base: u64) -> Value {
    let mut all = vec!["-None-"];
    all.extend_from_slice(values);
    Value::Array(
        all.iter()
            .enumerate()
            .map(|(i, v)| {
                json!({
                    "display_value": v,
                    "actual_value": v,
                    "reference_value": v,
                    "sequence_number": i + 1,
                    "colour_code": null,
                    "type": "used",
                    "id": make_id(base + i as u64),
                })
            })
            .collect(),
    )
}

fn field_json(spec: &Spec, f: &Field, i: usize) -> Value {
    // Id ranges (`make_id` numbers): fields 700_000.., layouts 710_000.., sections 720_000..,
    // lookups 740_000.., related lists 750_000.., permissions 760_000.., picklist values
    // 800_000_000.. (1,000 per field).
    let module_n = spec.id_n - 200_000;
    let pick_list_values = match f.kind {
        Kind::Picklist(values) | Kind::MultiSelect(values) => {
            picklist(values, 800_000_000 + module_n * 1_000_000 + i as u64 * 1000)
        }
        _ => json!([]),
    };
    let lookup = match f.kind {
        Kind::Lookup(target) => {
            let target_id = spec_id(target);
            json!({
                "display_label": f.label,
                "api_name": f.api_name,
                "module": {"api_name": target, "id": target_id},
                "id": make_id(740_000 + module_n * 100 + i as u64),
                "query_details": {},
                "revalidate_filter_during_edit": false,
            })
        }
        _ => json!({}),
    };
    let editable = !f.read_only;
    json!({
        "id": field_id(spec.id_n, i),
        "api_name": f.api_name,
        "field_label": f.label,
        "display_label": f.label,
        "column_name": f.api_name.to_ascii_uppercase(),
        "data_type": f.kind.data_type(),
        "json_type": f.kind.json_type(),
        "length": f.length,
        "system_mandatory": f.mandatory,
        "read_only": f.read_only,
        "field_read_only": f.read_only,
        "custom_field": f.custom,
        "visible": true,
        "type": "used",
        "created_source": if f.custom { "crm" } else { "default" },
        "created_time": if f.custom { Value::from(DEMO_TIME) } else { Value::Null },
        "modified_time": if f.custom { Value::from(DEMO_TIME) } else { Value::Null },
        "ui_type": 1,
        "display_type": -1,
        "decimal_place": if matches!(f.kind, Kind::Currency) { Value::from(2) } else { Value::Null },
        "pick_list_values": pick_list_values,
        "pick_list_values_sorted_lexically": false,
        "enable_colour_code": false,
        "lookup": lookup,
        "unique": if f.unique { json!({"casesensitive": "false"}) } else { json!({}) },
        "external": if f.external { json!({"type": "user", "show": true}) } else { Value::Null },
        "currency": if matches!(f.kind, Kind::Currency) {
            json!({"rounding_option": "normal", "precision": 2})
        } else {
            json!({})
        },
        "formula": {},
        "auto_number": {},
        "multiselectlookup": {},
        "multiuserlookup": {},
        "subform": null,
        "tooltip": null,
        "crypt": null,
        "history_tracking": null,
        "association_details": null,
        "sortable": !matches!(f.kind, Kind::MultiSelect(_) | Kind::Tags),
        "filterable": true,
        "searchable": !matches!(f.kind, Kind::Tags),
        "mass_update": editable && !matches!(f.kind, Kind::Email | Kind::Lookup(_) | Kind::Tags),
        "webhook": true,
        "blueprint_supported": editable,
        "businesscard_supported": true,
        "quick_sequence_number": (i + 1).to_string(),
        "operation_type": {
            "web_update": editable, "api_create": editable, "web_create": editable, "api_update": editable
        },
        "view_type": {"view": true, "edit": editable, "quick_create": f.mandatory, "create": editable},
        "layout_associations": [{"id": layout_id(spec), "name": "Standard", "api_name": "Standard"}],
        "profiles": PROFILES.iter().map(|(name, n)| json!({
            "permission_type": if editable { "read_write" } else { "read_only" },
            "name": name,
            "id": make_id(*n),
        })).collect::<Vec<_>>(),
    })
}

fn spec_id(module: &str) -> String {
    spec(module).map_or_else(String::new, Spec::module_id)
}

impl Org {
    /// `GET /settings/modules`.
    fn modules_json(&self) -> Response {
        let modules: Vec<Value> = SPECS.iter().map(|s| self.module_json(s, false)).collect();
        Response::json(200, &json!({"modules": modules}))
    }

    /// One module; `full` adds what `settings/modules/{api_name}` adds (fields, layouts,
    /// related lists).
    fn module_json(&self, spec: &Spec, full: bool) -> Value {
        let record_module = spec.name != "Notes";
        let mut m = json!({
            "id": spec.module_id(),
            "api_name": spec.name,
            "module_name": spec.name,
            "singular_label": spec.singular,
            "plural_label": spec.name,
            "generated_type": "default",
            "api_supported": true,
            "creatable": true,
            "editable": true,
            "deletable": true,
            "viewable": true,
            "convertable": spec.name == "Leads",
            "quick_create": record_module,
            "show_as_tab": record_module,
            "visible": true,
            "visibility": 1,
            "sequence_number": spec.index() + 2,
            "presence_sub_menu": false,
            "global_search_supported": true,
            "feeds_required": false,
            "scoring_supported": record_module,
            "webform_supported": spec.name == "Leads" || spec.name == "Contacts",
            "kanban_view": false,
            "kanban_view_supported": record_module,
            "filter_supported": true,
            "isBlueprintSupported": record_module,
            "triggers_supported": record_module,
            "status": "visible",
            "description": null,
            "web_link": null,
            "parent_module": {},
            "$properties": [],
            "arguments": [],
            "business_card_field_limit": 5,
            "modified_time": DEMO_TIME,
            "modified_by": admin_ref(self),
            "profiles": PROFILES.iter().map(|(name, n)| json!({"name": name, "id": make_id(*n)})).collect::<Vec<_>>(),
        });
        if full {
            m["fields"] = Value::Array(fields_json(spec));
            m["layouts"] = json!([{"id": layout_id(spec), "name": "Standard", "display_label": "Standard", "status": "active"}]);
            m["related_lists"] = Value::Array(
                spec.related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        json!({
                            "id": make_id(750_000 + (spec.id_n - 200_000) * 10 + i as u64),
                            "api_name": r,
                            "name": r,
                            "display_label": r,
                        })
                    })
                    .collect(),
            );
            m["per_page"] = json!(200);
            m["search_layout_fields"] = json!(spec.display);
        }
        m
    }

    /// The module's one layout: a section holding every field.
    fn layout_json(&self, spec: &Spec) -> Value {
        let by = admin_ref(self);
        json!({
            "id": layout_id(spec),
            "name": "Standard",
            "display_label": "Standard",
            "api_name": "Standard",
            "status": "active",
            "visible": true,
            "source": "crm",
            "mode": "standard",
            "generated_type": "default",
            "show_business_card": false,
            "has_more_profiles": false,
            "created_time": DEMO_TIME,
            "modified_time": DEMO_TIME,
            "created_by": by,
            "modified_by": by,
            "created_for": null,
            "profiles": PROFILES.iter().map(|(name, n)| json!({
                "id": make_id(*n),
                "name": name,
                "default": true,
                "_default_view": {"id": layout_id(spec), "name": "Standard", "type": "layout"},
            })).collect::<Vec<_>>(),
            "sections": [{
                "id": section_id(spec),
                "name": format!("{} Information", spec.singular),
                "display_label": format!("{} Information", spec.singular),
                "api_name": format!("{}_Information", spec.singular),
                "sequence_number": 1,
                "column_count": 2,
                "tab_traversal": 1,
                "type": "used",
                "isSubformSection": false,
                "generated_type": "default",
                "properties": null,
                "fields": fields_json(spec),
            }],
            "actions_allowed": {
                "edit": true, "rename": true, "clone": true, "downgrade": false,
                "delete": false, "deactivate": false, "set_layout_permissions": true,
            },
        })
    }

    /// `GET /users?type=&page=&per_page=`.
    fn users_json(&self, req: &Request) -> Response {
        let kind = req.param("type").unwrap_or("AllUsers");
        let admin = make_id(PROFILES[0].1);
        let keep = |u: &User| -> Option<bool> {
            Some(match kind {
                "AllUsers" => true,
                "ActiveUsers" | "ActiveConfirmedUsers" | "ConfirmedUsers" => u.active,
                "DeactiveUsers" => !u.active,
                "NotConfirmedUsers" | "DeletedUsers" => false,
                "AdminUsers" => u.profile.1 == admin,
                "ActiveConfirmedAdmins" => u.active && u.profile.1 == admin,
                "CurrentUser" => u.id == self.current_user,
                _ => return None,
            })
        };
        let mut users = Vec::new();
        for u in &self.users {
            match keep(u) {
                Some(true) => users.push(self.user_full(u)),
                Some(false) => {}
                None => return invalid_param("type"),
            }
        }
        crate::util::paged(req, "users", &users)
    }

    /// `GET /users/{id}`.
    fn user_json(&self, id: &str) -> Response {
        match self.user(id) {
            Some(u) => Response::json(200, &json!({"users": [self.user_full(u)]})),
            None => invalid_path_id(1),
        }
    }

    /// The users APIs' user object, with who created it and whom it reports to.
    fn user_full(&self, u: &User) -> Value {
        let mut v = u.to_json();
        let reports_to = ROLES
            .iter()
            .find(|r| make_id(r.1) == u.role.1)
            .and_then(|r| r.2)
            .and_then(|boss| self.users.iter().find(|b| b.role.1 == make_id(boss)));
        v["Reporting_To"] = match reports_to {
            Some(b) => json!({"name": b.full_name(), "id": b.id}),
            None => Value::Null,
        };
        v["created_by"] = admin_ref(self);
        v["Modified_By"] = admin_ref(self);
        v["Isonline"] = json!(u.id == self.current_user);
        v["Currency"] = json!("USD");
        v["offset"] = json!(0);
        v["category"] = json!("regular_user");
        v["sort_order_preference"] = json!("First Name,Last Name");
        v["name_format__s"] = json!("Salutation,First Name,Last Name");
        v["decimal_separator"] = json!("Period");
        v["number_separator"] = json!("Comma");
        v
    }

    fn role_json(&self, i: usize) -> Value {
        let (name, n, reports_to) = ROLES[i];
        json!({
            "id": make_id(n),
            "name": name,
            "display_label": name,
            "description": null,
            "share_with_peers": true,
            "forecast_manager": null,
            "admin_user": reports_to.is_none(),
            "reporting_to": reports_to.map(|r| {
                let boss = ROLES.iter().find(|x| x.1 == r).map_or("", |x| x.0);
                json!({"id": make_id(r), "name": boss})
            }),
            "created_by__s": admin_ref(self),
            "modified_by__s": admin_ref(self),
            "created_time__s": DEMO_TIME,
            "modified_time__s": DEMO_TIME,
        })
    }

    fn profile_json(&self, i: usize) -> Value {
        let (name, n) = PROFILES[i];
        json!({
            "id": make_id(n),
            "name": name,
            "display_label": name,
            "description": if i == 0 { "This profile will have all the permissions." } else { "This profile will have all the permissions except administrative privileges." },
            "category": false,
            "custom": false,
            "default": i == 1,
            "created_time": DEMO_TIME,
            "modified_time": DEMO_TIME,
            "created_by": admin_ref(self),
            "modified_by": admin_ref(self),
            "permissions_details": SPECS.iter().map(|s| json!({
                "id": make_id(760_000 + (s.id_n - 200_000)),
                "name": format!("Crm_Implied_View_{}", s.name),
                "display_label": format!("View {}", s.name),
                "module": s.name,
                "enabled": true,
            })).collect::<Vec<_>>(),
        })
    }
}
