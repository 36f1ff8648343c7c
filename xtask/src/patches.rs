//! The patch table: every known error of Zoho's OpenAPI files (see
//! `reference/oas-analysis.md` §2.2), corrected here and only here, never in generated files.
//!
//! A patch is a JSON-pointer edit of one file, applied after loading and before any $ref is
//! resolved. Each one must still apply: when Zoho fixes a file, the patch fails loudly and is
//! removed. Problems that need a rule rather than an edit are listed in [`RULES`] and implemented
//! where the comment says.

use serde_json::Value;

use crate::spec::Spec;

/// What to do at a pointer.
pub enum Action {
    /// Replace an existing value with this JSON.
    Replace(&'static str),
    /// Add a value where there is none (the parent must exist).
    Add(&'static str),
    /// Append a value to the array at the pointer.
    Append(&'static str),
}

/// One edit.
pub struct Patch {
    /// File stem, e.g. `notes`.
    pub file: &'static str,
    /// RFC 6901 pointer into the file.
    pub pointer: &'static str,
    /// The edit.
    pub action: Action,
    /// Why (the spec error, with its §2.2 number).
    pub why: &'static str,
}

macro_rules! p {
    ($file:literal, $ptr:expr, $action:expr, $why:literal) => {
        Patch {
            file: $file,
            pointer: $ptr,
            action: $action,
            why: $why,
        }
    };
}

/// Every edit, in application order.
pub const PATCHES: &[Patch] = &[
    // §2.2 #1: broken `$ref` (notes.json defines no If-Modified-Since parameter).
    p!("notes", "/components/parameters/If-Modified-Since",
        Action::Add(r#"{"name":"If-Modified-Since","in":"header","required":false,"schema":{"type":"string","format":"date-time"}}"#),
        "§2.2#1 broken ref: define the header the GET /Notes/{id} operation refers to"),
    // §2.2 #2: 2xx responses wired to an error component (user_groups.json, 9 ops; change_owner.json, 2 ops).
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups/get/responses/200", Action::Replace(r##"{"$ref":"#/components/responses/UserGroups"}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse; the unreferenced UserGroups response is the list"),
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups~1{group}/get/responses/200", Action::Replace(r##"{"$ref":"#/components/responses/UserGroups"}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse"),
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups~1{group}~1sources/get/responses/200", Action::Replace(r##"{"$ref":"#/components/responses/Sources"}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse; Sources is the unreferenced intended response"),
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups~1{group}~1actions~1sources_count/get/responses/200", Action::Replace(r##"{"$ref":"#/components/responses/SourcesCount"}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse; SourcesCount is the unreferenced intended response"),
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups~1actions~1deletion_jobs/get/responses/200", Action::Replace(r##"{"$ref":"#/components/responses/JobStatus"}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse; JobStatus is the unreferenced intended response"),
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups~1actions~1get_assigned/post/responses/200",
        Action::Replace(r##"{"description":"","content":{"application/json":{"schema":{"$ref":"#/components/schemas/GetAssignWrapper"}}}}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse; GetAssignWrapper is the unreferenced success schema"),
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups~1actions~1get_unassigned/post/responses/200",
        Action::Replace(r##"{"description":"","content":{"application/json":{"schema":{"$ref":"#/components/schemas/GetUnassignWrapper"}}}}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse; GetUnassignWrapper is the unreferenced success schema"),
    p!("user_groups", "/paths/~1crm~1v8~1users~1{user}~1actions~1associated_groups/get/responses/200",
        Action::Replace(r##"{"$ref":"#/components/responses/UserGroups"}"##),
        "§2.2#2 200 wired to UnsupportedVersionResponse; the answer is a user_groups list"),
    p!("user_groups", "/paths/~1crm~1v8~1settings~1user_groups~1{group}~1associated_users~1actions~1grouped_counts/get/responses/200",
        Action::Replace(r#"{"description":"","content":{"application/json":{"schema":{"type":"object"}}}}"#),
        "§2.2#2 200 wired to UnsupportedVersionResponse; no success schema exists: free-form object"),
    p!("change_owner", "/paths/~1crm~1v8~1{module}~1actions~1change_owner/post/responses/200",
        Action::Replace(r##"{"description":"","content":{"application/json":{"schema":{"$ref":"#/components/schemas/SuccessWrapper"}}}}"##),
        "§2.2#2 200 wired to InvalidStatusCodeResponse (errors only); SuccessWrapper is the data[] of successes"),
    p!("change_owner", "/paths/~1crm~1v8~1{module}~1{id}~1actions~1change_owner/post/responses/200",
        Action::Replace(r##"{"description":"","content":{"application/json":{"schema":{"$ref":"#/components/schemas/SuccessWrapper"}}}}"##),
        "§2.2#2 200 wired to InvalidStatusCodeResponse (errors only)"),
    // §2.2 #4: request bodies without schema, where the file holds the intended (unreferenced) schema.
    p!("convert_lead", "/paths/~1crm~1v8~1Leads~1{lead_id}~1actions~1convert/post/requestBody/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Lead_Converter"}}},"required":["data"]}"##),
        "§2.2#4 body without schema: data[] of the unreferenced Lead_Converter"),
    p!("inventory_convert", "/paths/~1crm~1v8~1{module_api_name}~1{id}~1actions~1convert/post/requestBody/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Inventory_Converter"}}},"required":["data"]}"##),
        "§2.2#4 body without schema: data[] of the unreferenced Inventory_Converter"),
    p!("users_transfer_delete", "/paths/~1crm~1v8~1users~1actions~1transfer_and_delete/post/requestBody/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"transfer_and_delete":{"type":"array","items":{"$ref":"#/components/schemas/Transfer_and_Delete"}}},"required":["transfer_and_delete"]}"##),
        "§2.2#4 body without schema: transfer_and_delete[] of the unreferenced Transfer_and_Delete"),
    p!("users_transfer_delete", "/paths/~1crm~1v8~1users~1{id}~1actions~1transfer_and_delete/post/requestBody/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"transfer_and_delete":{"type":"array","items":{"$ref":"#/components/schemas/Transfer_and_Delete_By_ID"}}},"required":["transfer_and_delete"]}"##),
        "§2.2#4 body without schema: transfer_and_delete[] of the unreferenced Transfer_and_Delete_By_ID"),
    p!("services", "/paths/~1crm~1v8~1Services__s/post/requestBody/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Service"}}},"required":["data"]}"##),
        "§2.2#4 body without schema: data[] of the unreferenced Service record"),
    p!("services", "/paths/~1crm~1v8~1Services__s~1{id}/put/requestBody/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Service"}}},"required":["data"]}"##),
        "§2.2#4 body without schema: data[] of the unreferenced Service record"),
    p!("business_hours", "/paths/~1crm~1v8~1settings~1business_hours/post/requestBody/content/application~1json/schema",
        Action::Add(r##"{"$ref":"#/components/schemas/Response_Wrapper"}"##),
        "§2.2#4 body without schema: the {business_hours: {...}} wrapper the responses use"),
    p!("business_hours", "/paths/~1crm~1v8~1settings~1business_hours/put/requestBody/content/application~1json/schema",
        Action::Add(r##"{"$ref":"#/components/schemas/Response_Wrapper"}"##),
        "§2.2#4 body without schema: the {business_hours: {...}} wrapper the responses use"),
    // §2.2 #7: `type: array` without `items`.
    p!("services", "/components/schemas/Service/properties/Available_Timings/items",
        Action::Add(r#"{"type":"object"}"#),
        "§2.2#7 array without items (invalid in OpenAPI 3.0): items are free-form objects"),
    // §2.2 #6: required self-reference (every Feature would need a parent Feature).
    p!("features", "/components/schemas/Feature/required",
        Action::Replace(r#"["api_name"]"#),
        "§2.2#6 unsatisfiable required self-reference `parent_feature`: only api_name is required"),
    // §2.2 #8: `required` names an undefined property.
    p!("related_lists", "/components/schemas/related_list/required",
        Action::Replace(r#"[]"#),
        "§2.2#8 `required` lists `visible`, which is not a property"),
    // §2.2 #3: 2xx media types without schema, given the shapes Zoho documents (the files hold
    // most of them as unreferenced schemas).
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules/get/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Get_All_Sharing_Rules"}},"info":{"type":"object","properties":{"per_page":{"type":"integer"},"count":{"type":"integer"},"page":{"type":"integer"},"more_records":{"type":"boolean"}}}}}"##),
        "§2.2#3 2xx without schema: the list under sharing_rules (the unreferenced Get_All_Sharing_Rules) with info"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules/post/responses/201/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Success_Response"}}}}"##),
        "§2.2#3 2xx without schema: one status per rule under sharing_rules"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules/put/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Update_Success_Response"}}}}"##),
        "§2.2#3 2xx without schema: one status per rule"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1search/post/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Get_All_Sharing_Rules"}},"info":{"type":"object","properties":{"per_page":{"type":"integer"},"count":{"type":"integer"},"page":{"type":"integer"},"more_records":{"type":"boolean"}}}}}"##),
        "§2.2#3 2xx without schema: the matching rules under sharing_rules"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1{id}~1actions~1activate/delete/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Deactivate_Response"}}}}"##),
        "§2.2#3 2xx without schema: one status"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1{id}~1actions~1activate/put/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Activate_Response"}}}}"##),
        "§2.2#3 2xx without schema: one status"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1{id}/get/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Sharing_Rule_By_Id"}}}}"##),
        "§2.2#3 2xx without schema: the rule under sharing_rules (the unreferenced Sharing_Rule_By_Id)"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1{id}/put/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Update_Success_Response"}}}}"##),
        "§2.2#3 2xx without schema: one status"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1{id}/delete/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Delete_Success_Response"}}}}"##),
        "§2.2#3 2xx without schema: one status"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1actions~1summary/get/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules_summary":{"type":"array","items":{"$ref":"#/components/schemas/Rules_Summary"}}}}"##),
        "§2.2#3 2xx without schema: module summaries under sharing_rules_summary (v8 data-sharing-rules-summary page)"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1actions~1summary/post/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules_summary":{"type":"array","items":{"$ref":"#/components/schemas/Rules_Summary"}}}}"##),
        "§2.2#3 2xx without schema: module summaries under sharing_rules_summary"),
    p!("sharing_rules", "/paths/~1crm~1v8~1settings~1data_sharing~1rules~1actions~1run/post/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"sharing_rules":{"type":"array","items":{"$ref":"#/components/schemas/Rerun_Sharing_Rules"}}}}"##),
        "§2.2#3 2xx without schema: one SCHEDULED status per module (the unreferenced Rerun_Sharing_Rules)"),
    p!("services", "/paths/~1crm~1v8~1Services__s/get/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Service"}},"info":{"type":"object","properties":{"per_page":{"type":"integer"},"count":{"type":"integer"},"page":{"type":"integer"},"more_records":{"type":"boolean"}}}}}"##),
        "§2.2#3 2xx without schema: service records under data (the unreferenced Service), with info"),
    p!("services", "/paths/~1crm~1v8~1Services__s~1{id}/get/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Service"}}}}"##),
        "§2.2#3 2xx without schema: the service record under data"),
    p!("record_count", "/paths/~1crm~1v8~1{module_api_name}~1actions~1count/get/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"count":{"type":"integer"}}}"##),
        "§2.2#3 2xx without schema: {count: N} (a number in Zoho's answers and both official SDKs)"),
    p!("record_count", "/paths/~1crm~1v8~1{module_api_name}~1actions~1count/post/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"count":{"type":"integer"}}}"##),
        "§2.2#3 2xx without schema: {count: N}"),
    p!("mass_update", "/paths/~1crm~1v8~1{module}~1actions~1mass_update/get/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"type":"object","properties":{"Status":{"type":"string"},"Failed_Count":{"type":"integer"},"Updated_Count":{"type":"integer"},"Not_Updated_Count":{"type":"integer"},"Total_Count":{"type":"integer"}}}}}}"##),
        "§2.2#3 2xx without schema: the job status under data (mass update status page)"),
    p!("services", "/paths/~1crm~1v8~1Services__s/post/responses/201/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Record_Created"}}}}"##),
        "§2.2#3 2xx without schema: one status per record (the unreferenced Record_Created)"),
    p!("services", "/paths/~1crm~1v8~1Services__s/post/responses/207/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Record_Created"}}}}"##),
        "§2.2#3 2xx without schema: one status per record"),
    p!("services", "/paths/~1crm~1v8~1Services__s~1{id}/put/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Record_Updated"}}}}"##),
        "§2.2#3 2xx without schema: one status (the unreferenced Record_Updated)"),
    p!("services", "/paths/~1crm~1v8~1Services__s~1{id}/delete/responses/200/content/application~1json/schema",
        Action::Add(r##"{"type":"object","properties":{"data":{"type":"array","items":{"$ref":"#/components/schemas/Record_Deleted"}}}}"##),
        "§2.2#3 2xx without schema: one status (the unreferenced Record_Deleted)"),
    // Parameters Zoho documents that the spec omits (reference/zoho-behavior.md §8).
    p!("features", "/paths/~1crm~1v8~1__features/get/parameters",
        Action::Append(r#"{"name":"page","in":"query","required":false,"schema":{"type":"integer"}}"#),
        "GET /__features pages (zoho-behavior.md §8: page, per_page <= 200, page_token); the spec lists only module and api_names"),
    p!("features", "/paths/~1crm~1v8~1__features/get/parameters",
        Action::Append(r#"{"name":"per_page","in":"query","required":false,"schema":{"type":"integer"}}"#),
        "GET /__features pages (zoho-behavior.md §8)"),
    p!("features", "/paths/~1crm~1v8~1__features/get/parameters",
        Action::Append(r#"{"name":"page_token","in":"query","required":false,"schema":{"type":"string"}}"#),
        "GET /__features pages (zoho-behavior.md §8)"),
    // §2.11: wrong scopes (documentation only, but shown in every doc comment).
    p!("features", "/security/0/iam-oauth2-schema", Action::Replace(r#"["ZohoCRM.features.READ"]"#),
        "§2.11 features.json lists ZohoCRM.files.CREATE; Zoho's page documents ZohoCRM.features.READ"),
    p!("composite_requests", "/security/0/iam-oauth2-schema", Action::Replace(r#"["ZohoCRM.composite_requests.CUSTOM"]"#),
        "§2.11 empty scope string; Zoho documents ZohoCRM.composite_requests.CUSTOM"),
    p!("mass_update", "/security/0/iam-oauth2-schema", Action::Replace(r#"["ZohoCRM.mass_update.{module_api_name}.ALL"]"#),
        "§2.11 empty scope string"),
    p!("currencies", "/paths/~1crm~1v8~1org~1currencies/get/security/0/iam-oauth2-schema",
        Action::Replace(r#"["ZohoCRM.settings.all","ZohoCRM.settings.currencies.all","ZohoCRM.settings.currencies.read"]"#),
        "§2.11 doubled prefix ZohoCRM.settings.ZohoCRM.settings.currencies.all"),
    p!("currencies", "/paths/~1crm~1v8~1org~1currencies/post/security/0/iam-oauth2-schema",
        Action::Replace(r#"["ZohoCRM.settings.all","ZohoCRM.settings.currencies.all","ZohoCRM.settings.currencies.create"]"#),
        "§2.11 doubled prefix"),
    p!("currencies", "/paths/~1crm~1v8~1org~1currencies~1{id}/put/security/0/iam-oauth2-schema",
        Action::Replace(r#"["ZohoCRM.settings.all","ZohoCRM.settings.currencies.all","ZohoCRM.settings.currencies.update"]"#),
        "§2.11 doubled prefix"),
    p!("inventory_mass_convert", "/paths/~1crm~1v8~1{module_api_name}~1actions~1mass_convert/post/security/0/iam-oauth2-schema",
        Action::Replace(r#"["ZohoCRM.mass_convert.Quotes.CREATE","ZohoCRM.mass_convert.SalesOrders.CREATE"]"#),
        "§2.11 leading space in a scope"),
    p!("module_search", "/paths/~1crm~1v8~1{module}~1search/get/security/0/iam-oauth2-schema",
        Action::Replace(r#"["ZohoCRM.modules.ALL","ZohoCRM.modules.{module_api_name}.READ"]"#),
        "§2.11 copy-pasted ZohoCRM.users.* scopes on a record search"),
];

/// Problems fixed by a rule in code rather than by an edit, with where the rule lives.
pub const RULES: &[(&str, &str)] = &[
    ("§2.2#3 media types without schema (24 responses): the rest", "composite's answer is the hand-written CompositeResponse; any other is the lenient ApiResponse"),
    ("§2.2#4 other bodies without schema (sharing_rules, unsubscribe_links, ...)", "codegen.rs: body is a serde_json::Value; fixtures send {}"),
    ("§2.2#5 array-of-array schemas (12)", "fixtures.rs: the inner array's item is used; response.rs flattens at runtime"),
    ("§2.2#9 JSON error body declared as x-download", "outputs.rs: non-2xx responses are always probed as JSON errors"),
    ("§2.2#11 ambiguous path templates ({id} vs {api_name})", "no change: each op keeps its own type; the URL is the same shape"),
    ("§2.7 request bodies that require server-generated fields (70)", "fixtures.rs: id/created_*/modified_* are not required in request bodies"),
    ("§2.10 `/{download_url}` takes a whole URL as a path parameter", "codegen.rs + outputs::download_url_parts: sent as a URL, never percent-encoded as one segment"),
    ("§2.10 binary bodies described as JSON objects", "codegen.rs: download media types give outputs::Download, multipart bodies take FilePart"),
    ("§2.11 scopes \"\" and leading/trailing spaces elsewhere", "codegen.rs: trimmed, empty ones dropped"),
    ("ids declared integer (blueprint, cadences, record_locking)", "types.rs: `id` and `field_id` properties are strings, as Zoho sends them"),
    ("counts declared string (record_count, users_count)", "types.rs: a string property named `count` is an integer"),
];

/// Applies [`PATCHES`]; fails when one no longer fits the files.
pub fn apply(spec: &mut Spec) -> Result<(), String> {
    for patch in PATCHES {
        let doc = spec
            .docs
            .get_mut(patch.file)
            .ok_or_else(|| format!("patch for missing file {}", patch.file))?;
        let fail = |what: &str| {
            format!(
                "patch {}#{} {what} ({})",
                patch.file, patch.pointer, patch.why
            )
        };
        match patch.action {
            Action::Replace(json) => {
                let slot = doc
                    .pointer_mut(patch.pointer)
                    .ok_or_else(|| fail("does not apply: nothing to replace"))?;
                *slot = serde_json::from_str(json).map_err(|e| fail(&e.to_string()))?;
            }
            Action::Append(json) => {
                let list = doc
                    .pointer_mut(patch.pointer)
                    .and_then(Value::as_array_mut)
                    .ok_or_else(|| fail("does not apply: no array there"))?;
                let value: Value = serde_json::from_str(json).map_err(|e| fail(&e.to_string()))?;
                if list.contains(&value) {
                    return Err(fail("does not apply: the value is there (fixed upstream?)"));
                }
                list.push(value);
            }
            Action::Add(json) => {
                let (parent, key) = patch
                    .pointer
                    .rsplit_once('/')
                    .ok_or_else(|| fail("bad pointer"))?;
                let key = key.replace("~1", "/").replace("~0", "~");
                let parent = doc
                    .pointer_mut(parent)
                    .ok_or_else(|| fail("does not apply: no parent"))?;
                let obj = parent
                    .as_object_mut()
                    .ok_or_else(|| fail("parent is not an object"))?;
                if obj.contains_key(&key) {
                    return Err(fail("does not apply: the value exists (fixed upstream?)"));
                }
                let value: Value = serde_json::from_str(json).map_err(|e| fail(&e.to_string()))?;
                obj.insert(key, value);
            }
        }
    }
    Ok(())
}
