//! What hangs off a record: related lists (Contacts and Deals of an Account, Deals of a
//! Contact: lookups seen from the other side), its Notes, its Attachments (multipart upload,
//! download, delete) and its tags.

use serde_json::{json, Map, Value};

use super::list::{parse_fields, parse_listing, LIST};
use super::write::{mandatory, write_body};
use super::{id_value, spec_of, Attachment, Key, Spec, MAX_WRITE};
use crate::org::{Org, Routed};
use crate::util::{
    api_error, batch, body_array, error_obj, id_list, invalid_method, invalid_path_id, json_body,
    now_string, param_limit_exceeded, required_param, success_obj, target_ids, Request, Response,
    MSG_INVALID_ID,
};

/// Records per tag call.
const MAX_TAG_RECORDS: usize = 500;

/// A related list backed by a lookup: `(child module, lookup field)`.
fn lookup_relation(parent: &str, related: &str) -> Option<(&'static str, &'static str)> {
    match (parent, related) {
        ("Accounts", "Contacts") => Some(("Contacts", "Account_Name")),
        ("Accounts", "Deals") => Some(("Deals", "Account_Name")),
        ("Contacts", "Deals") => Some(("Deals", "Contact_Name")),
        _ => None,
    }
}

fn invalid_relation() -> Response {
    api_error(
        400,
        "INVALID_DATA",
        "The relation name given seems to be invalid",
        json!({"resource_path_index": 2}),
    )
}

fn invalid_related_id(id: &str) -> Value {
    error_obj(
        "INVALID_DATA",
        "the related id given seems to be invalid",
        json!({"id": id}),
    )
}

fn points_at(v: Option<&Value>, id: &str) -> bool {
    v.and_then(|v| v.get("id")).and_then(Value::as_str) == Some(id)
}

impl Org {
    /// `/{module}/{id}/{related}[/{related_id}]`.
    pub(super) fn route_related(
        &mut self,
        req: &Request,
        spec: &'static Spec,
        segment: &str,
        related: &str,
        related_id: Option<&str>,
    ) -> Routed {
        use Routed::{Handled, Rejected, Unserved};
        let Some(related) = spec
            .related
            .iter()
            .find(|r| r.eq_ignore_ascii_case(related))
            .copied()
        else {
            // Sub-resources the mock does not model (`photo`, `Emails`, `__timeline`, ...) are
            // left to fixture replay; without one, Zoho's answer for an unknown relation.
            return Unserved(invalid_relation());
        };
        let Some(id) = self.path_record(req, spec.name, segment) else {
            return Handled(invalid_path_id(1));
        };
        let method = req.method.as_str();
        let resp = match (related, method, related_id) {
            ("Notes", "GET", None) => self.related_list(req, spec, &id, "Notes", |r| {
                points_at(r.fields.get("Parent_Id"), &id)
            }),
            ("Notes", "GET", Some(n)) => self.record_note(req, &id, n),
            ("Notes", "POST", None) => {
                self.insert_records(req, spec_of("Notes"), Some((spec.name, &id)))
            }
            ("Notes", "PUT", None) => self.update_records(req, spec_of("Notes"), None),
            ("Notes", "DELETE", None) => self.delete_notes_of(req, &id, None),
            ("Notes", "DELETE", Some(n)) => self.delete_notes_of(req, &id, Some(n)),
            ("Attachments", "GET", None) => self.list_attachments(req, &id),
            ("Attachments", "GET", Some(a)) => self.download(&id, a),
            ("Attachments", "POST", None) => self.upload(req, spec, &id),
            ("Attachments", "DELETE", a) => self.delete_attachments(req, &id, a),
            (_, "GET", None) => match lookup_relation(spec.name, related) {
                Some((child, field)) => self.related_list(req, spec, &id, child, |r| {
                    points_at(r.fields.get(field), &id)
                }),
                None => invalid_relation(),
            },
            (_, "GET", Some(rid)) => self.related_one(req, spec, &id, related, rid),
            (_, "PUT", rid) => self.link(req, spec, &id, related, rid),
            (_, "DELETE", rid) => self.delink(req, spec, &id, related, rid),
            _ => return Rejected(invalid_method()),
        };
        Handled(resp)
    }

    /// A related list: the `child` records `belongs` to the parent, paged like a list.
    fn related_list(
        &self,
        req: &Request,
        spec: &Spec,
        id: &str,
        child: &str,
        belongs: impl Fn(&super::Record) -> bool,
    ) -> Response {
        let scope = format!("{}/{id}/{child}", spec.name);
        let listing = match parse_listing(req, &scope, LIST) {
            Ok(l) => l,
            Err(r) => return r,
        };
        let mut rows: Vec<&super::Record> =
            self.records.records(child).filter(|r| belongs(r)).collect();
        if rows.is_empty() {
            return Response::no_content();
        }
        if let Some(since) = listing.since {
            rows.retain(|r| super::list::modified_after(&r.fields, since));
            if rows.is_empty() {
                return super::list::not_modified();
            }
        }
        let rows = rows
            .into_iter()
            .map(|r| (listing.key_of(&r.fields, &r.id), r))
            .collect();
        let fields = listing.fields.as_deref();
        listing.respond("data", rows, |r| self.project(r, fields))
    }

    /// `GET /{module}/{id}/{related}/{related_id}`.
    fn related_one(
        &self,
        req: &Request,
        spec: &Spec,
        id: &str,
        related: &str,
        rid: &str,
    ) -> Response {
        let Some((child, field)) = lookup_relation(spec.name, related) else {
            return invalid_relation();
        };
        let fields = match parse_fields(req, false) {
            Ok(f) => f,
            Err(r) => return r,
        };
        match self.records.get(child, rid) {
            Some(r) if points_at(r.fields.get(field), id) => {
                Response::json(200, &json!({"data": [self.project(r, fields.as_deref())]}))
            }
            _ => Response::no_content(),
        }
    }

    /// `GET /{module}/{id}/Notes/{note_id}`.
    fn record_note(&self, req: &Request, id: &str, note: &str) -> Response {
        let fields = match parse_fields(req, false) {
            Ok(f) => f,
            Err(r) => return r,
        };
        match self.records.get("Notes", note) {
            Some(n) if points_at(n.fields.get("Parent_Id"), id) => {
                Response::json(200, &json!({"data": [self.project(n, fields.as_deref())]}))
            }
            _ => Response::no_content(),
        }
    }

    /// `DELETE /{module}/{id}/Notes[?ids=|/{note_id}]`: the notes go to the recycle bin.
    fn delete_notes_of(&mut self, req: &Request, id: &str, note: Option<&str>) -> Response {
        let ids = match target_ids(req, note, MAX_WRITE) {
            Ok(ids) => ids,
            Err(r) => return r,
        };
        let notes = spec_of("Notes");
        let results = ids
            .iter()
            .map(|n| {
                let mine = self
                    .records
                    .get("Notes", n)
                    .is_some_and(|r| points_at(r.fields.get("Parent_Id"), id));
                if mine && self.remove_record(notes, n) {
                    success_obj("record deleted", json!({"id": n}))
                } else {
                    error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": n}))
                }
            })
            .collect();
        batch("data", results, 200)
    }

    /// `PUT /{module}/{id}/{related}[/{related_id}]`: links records through their lookup.
    fn link(
        &mut self,
        req: &Request,
        spec: &Spec,
        id: &str,
        related: &str,
        rid: Option<&str>,
    ) -> Response {
        let Some((child, field)) = lookup_relation(spec.name, related) else {
            return invalid_method();
        };
        let items = match rid {
            Some(rid) => {
                // The body is optional when the related id is in the path.
                let extra = json_body(req)
                    .ok()
                    .and_then(|b| b.get("data").and_then(|d| d.get(0)).cloned())
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                let mut item = extra;
                item.insert("id".into(), json!(rid));
                vec![Value::Object(item)]
            }
            None => match write_body(req) {
                Ok((_, items)) => items,
                Err(r) => return r,
            },
        };
        let parent = json!({"name": self.records.display_name(spec.name, id), "id": id});
        let me = self.user_min(&self.current_user);
        let results = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("$.data[{i}]");
                let Some(cid) = id_value(item.get("id")) else {
                    return mandatory("id", &path);
                };
                let Some(rec) = self.records.get_mut(child, &cid) else {
                    return invalid_related_id(&cid);
                };
                let already = points_at(rec.fields.get(field), id);
                rec.fields.insert(field.into(), parent.clone());
                rec.fields
                    .insert("Modified_Time".into(), json!(now_string()));
                rec.fields.insert("Modified_By".into(), me.clone());
                self.records.writes += 1;
                success_obj(
                    if already {
                        "relation updated"
                    } else {
                        "relation added"
                    },
                    json!({"id": cid}),
                )
            })
            .collect();
        batch("data", results, 200)
    }

    /// `DELETE /{module}/{id}/{related}?ids=` (or `/{related_id}`): delinks.
    fn delink(
        &mut self,
        req: &Request,
        spec: &Spec,
        id: &str,
        related: &str,
        rid: Option<&str>,
    ) -> Response {
        let Some((child, field)) = lookup_relation(spec.name, related) else {
            return invalid_method();
        };
        let ids = match target_ids(req, rid, MAX_WRITE) {
            Ok(ids) => ids,
            Err(r) => return r,
        };
        let me = self.user_min(&self.current_user);
        let results = ids
            .iter()
            .map(|cid| match self.records.get_mut(child, cid) {
                Some(rec) if points_at(rec.fields.get(field), id) => {
                    rec.fields.insert(field.into(), Value::Null);
                    rec.fields
                        .insert("Modified_Time".into(), json!(now_string()));
                    rec.fields.insert("Modified_By".into(), me.clone());
                    self.records.writes += 1;
                    success_obj("relation removed", json!({"id": cid}))
                }
                _ => invalid_related_id(cid),
            })
            .collect();
        batch("data", results, 200)
    }

    /// An attachment as the list shows it.
    fn attachment_json(&self, a: &Attachment) -> Map<String, Value> {
        let owner = self.user_min(&a.owner);
        let by = json!({"name": owner["name"], "id": owner["id"], "email": owner["email"]});
        let fields = json!({
            "id": a.id,
            "File_Name": a.file_name,
            "Size": a.bytes.len().to_string(),
            "Owner": owner,
            "Created_By": by,
            "Modified_By": by,
            "Created_Time": a.created_time,
            "Modified_Time": a.created_time,
            "Parent_Id": {"name": self.records.display_name(a.module, &a.parent), "id": a.parent},
            "$se_module": a.module,
            "$file_id": format!("mock{}", a.id),
            "$type": "Attachment",
            "$attachment_type": if a.link_url.is_some() { 3 } else { 1 },
            "$link_url": a.link_url,
            "$editable": true,
            "$sharing_permission": "full_access",
            "$state": "save",
        });
        fields.as_object().cloned().unwrap_or_default()
    }

    /// `GET /{module}/{id}/Attachments`.
    fn list_attachments(&self, req: &Request, id: &str) -> Response {
        let scope = format!("attachments/{id}");
        let listing = match parse_listing(req, &scope, LIST) {
            Ok(l) => l,
            Err(r) => return r,
        };
        let rows: Vec<_> = self
            .records
            .attachments
            .values()
            .filter(|a| a.parent == id)
            .map(|a| {
                let f = self.attachment_json(a);
                (listing.key_of(&f, &a.id), f)
            })
            .collect();
        let fields = listing.fields.clone();
        listing.respond("data", rows, |f| match &fields {
            None => Value::Object(f),
            Some(names) => {
                let mut v = Map::new();
                v.insert("id".into(), f["id"].clone());
                for n in names {
                    v.insert(n.clone(), f.get(n).cloned().unwrap_or(Value::Null));
                }
                Value::Object(v)
            }
        })
    }

    /// `GET /{module}/{id}/Attachments/{attachment_id}`: the bytes.
    fn download(&self, id: &str, att: &str) -> Response {
        match self.records.attachments.get(&Key::of(att)) {
            Some(a) if a.parent == id && a.link_url.is_none() => {
                Response::file(&a.file_name, &a.content_type, a.bytes.clone())
            }
            _ => Response::no_content(),
        }
    }

    /// `POST /{module}/{id}/Attachments`: a multipart `file` part, or `attachmentUrl`.
    fn upload(&mut self, req: &Request, spec: &Spec, id: &str) -> Response {
        let (file_name, content_type, bytes, link) = if let Some(url) = req.param("attachmentUrl") {
            let name = req.param("title").unwrap_or(url).to_owned();
            (name, String::new(), Vec::new(), Some(url.to_owned()))
        } else {
            let Some(file) = crate::multipart::of_request(req)
                .into_iter()
                .find(|p| p.name == "file")
            else {
                return required_param("file");
            };
            if file.body.len() > crate::multipart::MAX_FILE {
                return crate::multipart::file_too_large();
            }
            (
                file.file_name.unwrap_or_else(|| "file".into()),
                file.content_type
                    .unwrap_or_else(|| "application/octet-stream".into()),
                file.body,
                None,
            )
        };
        let att = Attachment {
            id: self.records.new_id(),
            module: spec_of(spec.name).name,
            parent: id.to_owned(),
            file_name,
            content_type,
            bytes,
            link_url: link,
            created_time: now_string(),
            owner: self.current_user.clone(),
        };
        let me = self.user_name_id(&self.current_user);
        let details = json!({
            "Modified_Time": att.created_time,
            "Modified_By": me,
            "Created_Time": att.created_time,
            "id": att.id,
            "Created_By": me,
        });
        self.records.attachments.insert(Key::of(&att.id), att);
        Response::json(
            200,
            &json!({"data": [success_obj("attachment uploaded successfully", details)]}),
        )
    }

    /// `DELETE /{module}/{id}/Attachments/{attachment_id}` or `?ids=`.
    fn delete_attachments(&mut self, req: &Request, id: &str, att: Option<&str>) -> Response {
        let ids = match target_ids(req, att, MAX_WRITE) {
            Ok(ids) => ids,
            Err(r) => return r,
        };
        let results = ids
            .iter()
            .map(|a| {
                let key = Key::of(a);
                if self
                    .records
                    .attachments
                    .get(&key)
                    .is_some_and(|x| x.parent == id)
                {
                    self.records.attachments.remove(&key);
                    success_obj("record deleted", json!({"id": a}))
                } else {
                    error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": a}))
                }
            })
            .collect();
        batch("data", results, 200)
    }

    /// `POST /{module}/actions/add_tags|remove_tags` and the per-record forms.
    pub(super) fn record_tags(
        &mut self,
        req: &Request,
        spec: &Spec,
        segment: Option<&str>,
        add: bool,
    ) -> Response {
        let body = match json_body(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let tags = match body_array(&body, "tags") {
            Ok(t) => t,
            Err(r) => return r,
        };
        let wants = match self.wanted_tags(&Value::Array(tags), "$.tags") {
            Ok(w) => w,
            Err(e) => return Response::json(400, &e),
        };
        let over_write = body.get("over_write").and_then(Value::as_bool) == Some(true);
        let ids: Vec<String> = match segment {
            Some(seg) => match self.path_record(req, spec.name, seg) {
                Some(id) => vec![id],
                None => return invalid_path_id(1),
            },
            None => match body.get("ids") {
                Some(Value::Array(ids)) if !ids.is_empty() => {
                    ids.iter().filter_map(|v| id_value(Some(v))).collect()
                }
                Some(_) => match body_array(&body, "ids") {
                    Ok(_) => Vec::new(),
                    Err(r) => return r,
                },
                None => match req.param("ids").map(id_list) {
                    Some(ids) if !ids.is_empty() => ids,
                    _ => return required_param("ids"),
                },
            },
        };
        if ids.len() > MAX_TAG_RECORDS {
            return param_limit_exceeded("ids", MAX_TAG_RECORDS);
        }
        let named: Vec<Value> = if add {
            self.commit_tags(wants)
        } else {
            wants
                .into_iter()
                .map(|w| match w {
                    super::write::TagWant::Known(d) => d.to_json(),
                    super::write::TagWant::New(name) => json!({"name": name}),
                })
                .collect()
        };
        let mut ok = 0;
        let results: Vec<Value> = ids
            .iter()
            .map(|id| {
                let Some(rec) = self.records.get_mut(spec.name, id) else {
                    return error_obj("INVALID_DATA", MSG_INVALID_ID, json!({"id": id}));
                };
                let mut current: Vec<Value> = match rec.fields.get("Tag") {
                    Some(Value::Array(t)) if !(add && over_write) => t.clone(),
                    _ => Vec::new(),
                };
                let same = |a: &Value, b: &Value| {
                    a["name"]
                        .as_str()
                        .zip(b["name"].as_str())
                        .is_some_and(|(x, y)| x.eq_ignore_ascii_case(y))
                };
                if add {
                    for t in &named {
                        if !current.iter().any(|c| same(c, t)) {
                            current.push(t.clone());
                        }
                    }
                } else {
                    current.retain(|c| !named.iter().any(|t| same(c, t)));
                }
                rec.fields
                    .insert("Tag".into(), Value::Array(current.clone()));
                self.records.writes += 1;
                ok += 1;
                success_obj(
                    "tags updated successfully",
                    json!({"id": id, "tags": current}),
                )
            })
            .collect();
        let mut resp = batch("data", results, 200);
        if segment.is_none() {
            if let Ok(mut v) = serde_json::from_slice::<Value>(&resp.body) {
                if add {
                    v["wf_scheduler"] = json!(false);
                    v["success_count"] = json!(ok.to_string());
                }
                v["locked_count"] = json!("0");
                resp.body = serde_json::to_vec(&v).unwrap_or_default();
            }
        }
        resp
    }
}
