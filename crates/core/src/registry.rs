//! Operations by id, driven with JSON: build a request from a JSON input and parse a response
//! into JSON output.
//!
//! Every endpoint type deserialises from its parameters named exactly as the API names them, so
//! fixtures, the command-line tool and other language bindings can call any operation by its id
//! without knowing its Rust type.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::registry;
//! use zohocrm_core::{assemble, Context, DataCenter, Environment};
//!
//! let op = registry::find("users.get_users").expect("a spec operation");
//! let parts = op.build(&serde_json::json!({"type": "ActiveUsers", "per_page": 200}))?;
//! let request = assemble(&Context::new(DataCenter::Us, Environment::Production), &parts)?;
//! assert_eq!(request.uri().path(), "/crm/v8/users");
//! assert!(request.uri().query().unwrap().contains("type=ActiveUsers"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::op_spec::OpSpec;
use crate::request::RequestParts;
use crate::response::decode_error;

/// One operation that can be driven with JSON.
#[derive(Clone, Copy)]
pub struct Operation {
    /// The endpoint id, e.g. `features.get_user_licences_count`.
    pub id: &'static str,
    imp: Imp,
}

/// How an operation is driven: through a hand-written endpoint type, or by interpreting the
/// [`OpSpec`] of a generated one.
/// How a generated operation with a model output parses (one instantiation per model).
pub type SpecParse = fn(&OpSpec, http::Response<&[u8]>) -> Result<Box<dyn TypedOutput>, Error>;

/// The input of the page after an output, both as JSON (a hand-written paginated type's own rule).
type NextInput = fn(&Value, &Value) -> Option<Value>;

/// How a hand-written operation parses, from its JSON input.
type InputParse = fn(&Value, http::Response<&[u8]>) -> Result<Box<dyn TypedOutput>, Error>;

#[derive(Clone, Copy)]
enum Imp {
    Typed {
        type_name: &'static str,
        output: fn() -> &'static str,
        next: Option<NextInput>,
        spec: Option<&'static OpSpec>,
        build: fn(&Value) -> Result<RequestParts, BuildError>,
        parse: InputParse,
    },
    Spec {
        spec: &'static OpSpec,
        /// The typed parse of operations whose output is a generated model, and its type.
        typed: Option<(SpecParse, &'static str)>,
    },
}

/// The typed output of an operation called by id: what a Rust caller of its endpoint type gets,
/// viewable as JSON (the same keys and values) and through `Debug` (types, variants, and the
/// keys kept in `extra` that no model field describes).
pub trait TypedOutput: std::fmt::Debug + Send {
    /// The Rust type, e.g. `zohocrm_core::generated::users::ResponseWrapper`.
    fn type_name(&self) -> &'static str;

    /// The output as JSON.
    fn to_json(&self) -> Result<Value, serde_json::Error>;
}

impl<T: std::fmt::Debug + Serialize + Send> TypedOutput for T {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn to_json(&self) -> Result<Value, serde_json::Error> {
        // Through bytes: the one JSON serialiser every output already has.
        serde_json::from_slice(&serde_json::to_vec(self)?)
    }
}

impl Operation {
    /// The operation of a generated endpoint whose output is not a generated model, from its spec.
    pub const fn spec(spec: &'static OpSpec) -> Self {
        Operation {
            id: spec.id,
            imp: Imp::Spec { spec, typed: None },
        }
    }

    /// The operation of a generated endpoint whose output is a generated model: `parse` decodes
    /// the typed model and gives it back as JSON.
    pub const fn typed(spec: &'static OpSpec, parse: SpecParse, output: &'static str) -> Self {
        Operation {
            id: spec.id,
            imp: Imp::Spec {
                spec,
                typed: Some((parse, output)),
            },
        }
    }

    /// The input of the page after `output` (the JSON of this operation's output for `input`),
    /// or `None` at the last page, for an operation that does not page, or when the cursor would
    /// not move. The one paging rule of the SDK, for callers by id (bindings, the CLI).
    pub fn next_input(&self, input: &Value, output: &Value) -> Option<Value> {
        match self.imp {
            Imp::Typed { next, .. } => next.and_then(|next| next(input, output)),
            Imp::Spec { spec, .. } => next_spec_input(spec, input, output),
        }
    }

    /// The Rust type of the operation's output, e.g.
    /// `zohocrm_core::generated::users::ResponseWrapper` or `zohocrm_core::response::ActionResults`.
    pub fn output_type(&self) -> &'static str {
        use crate::op_spec::OutputKind;
        match self.imp {
            Imp::Typed { output, .. } => output(),
            Imp::Spec {
                typed: Some((_, output)),
                ..
            } => output,
            Imp::Spec { spec, typed: None } => match spec.output {
                OutputKind::Outcomes(_) => "zohocrm_core::response::ActionResults",
                OutputKind::Download => "zohocrm_core::outputs::Download",
                _ => "zohocrm_core::outputs::ApiResponse",
            },
        }
    }

    /// The operation's metadata from the spec (scopes, idempotency, paging, credits).
    pub fn op_spec(&self) -> Option<&'static OpSpec> {
        match self.imp {
            Imp::Spec { spec, .. } => Some(spec),
            Imp::Typed { spec, .. } => spec,
        }
    }

    /// The Rust type of a hand-written endpoint; `None` for a generated one (its type is
    /// `generated::<group>::<TypeName>`).
    pub fn hand_written_type(&self) -> Option<&'static str> {
        match self.imp {
            Imp::Typed { type_name, .. } => Some(type_name),
            Imp::Spec { .. } => None,
        }
    }

    /// Builds the request from a JSON input (`null` or `{}` for none).
    pub fn build(&self, input: &Value) -> Result<RequestParts, BuildError> {
        match self.imp {
            Imp::Typed { build, .. } => build(input),
            Imp::Spec { spec, .. } => crate::op_spec::build_from_input(spec, input),
        }
    }

    /// Parses a response of a request built from the same input, into JSON (the typed output's
    /// keys and values).
    pub fn parse(&self, input: &Value, response: http::Response<&[u8]>) -> Result<Value, Error> {
        let status = response.status().as_u16();
        self.parse_typed(input, response)?
            .to_json()
            .map_err(|e| decode_error(self.id, status, &[], ".".into(), e))
    }

    /// Parses a response of a request built from the same input into the operation's typed
    /// output.
    pub fn parse_typed(
        &self,
        input: &Value,
        response: http::Response<&[u8]>,
    ) -> Result<Box<dyn TypedOutput>, Error> {
        match self.imp {
            Imp::Typed { parse, .. } => parse(input, response),
            Imp::Spec {
                spec,
                typed: Some((parse, _)),
            } => parse(spec, response),
            Imp::Spec { spec, typed: None } => crate::op_spec::parse_untyped(spec, response),
        }
    }
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation").field("id", &self.id).finish()
    }
}

/// Deserialises an endpoint from a JSON input; `null` means "no parameters".
///
/// The input is the operation's, as the spec names it: parameters by API name and the JSON body
/// under `body`. Hand-written endpoint types also take the body's keys at the top level, and a
/// value of another kind than the spec declares (an id typed as a number on a command line,
/// `"false"` for a boolean) as that kind. Keys a type does not know are refused, never dropped.
pub fn endpoint_from_input<E: Endpoint + DeserializeOwned>(input: &Value) -> Result<E, BuildError> {
    let first = match attempt::<E>(input) {
        Ok(e) => return Ok(e),
        Err(e) => e,
    };
    let error = match normalise(E::OP_SPEC, input) {
        Some(normal) => match attempt::<E>(&normal) {
            Ok(e) => return Ok(e),
            // The normalised input's error says more (`body` itself is not a field).
            Err(e) => e,
        },
        None => first,
    };
    Err(BuildError::InvalidConfig(format!("invalid input: {error}")))
}

fn attempt<E: DeserializeOwned>(input: &Value) -> Result<E, serde_json::Error> {
    match serde_json::from_value::<E>(input.clone()) {
        Ok(e) => Ok(e),
        Err(e) => match input {
            Value::Null => serde_json::from_value::<E>(Value::Object(Default::default())),
            Value::Object(o) if o.is_empty() => {
                serde_json::from_value::<E>(Value::Null).map_err(|_| e)
            }
            _ => Err(e),
        },
    }
}

/// The input with values of the kinds the spec declares (numbers and booleans as text for text
/// parameters, `"true"`/`"42"` as a boolean or a number), and the `body` object's keys moved to
/// the top level; `None` when nothing changes.
fn normalise(spec: Option<&OpSpec>, input: &Value) -> Option<Value> {
    let Value::Object(map) = input else {
        return None;
    };
    let mut out = map.clone();
    if let Some(spec) = spec {
        for p in spec
            .params
            .iter()
            .filter(|p| p.kind == crate::op_spec::Kind::Str)
        {
            if let Some(v @ (Value::Number(_) | Value::Bool(_))) = out.get(p.name) {
                let text = v.to_string();
                out.insert(p.name.to_owned(), Value::String(text));
            }
        }
    }
    if let Some(Value::Object(body)) = out.get("body").cloned() {
        if body.keys().all(|k| !out.contains_key(k)) {
            out.remove("body");
            out.extend(body);
        }
    }
    (out != *map).then_some(Value::Object(out))
}

fn build<E: Endpoint + DeserializeOwned>(input: &Value) -> Result<RequestParts, BuildError> {
    endpoint_from_input::<E>(input)?.parts()
}

fn parse<E>(input: &Value, response: http::Response<&[u8]>) -> Result<Box<dyn TypedOutput>, Error>
where
    E: Endpoint + DeserializeOwned,
    E::Output: std::fmt::Debug + Serialize + Send + 'static,
{
    let endpoint = endpoint_from_input::<E>(input)?;
    Ok(Box::new(endpoint.parse(response)?))
}

/// The [`Operation`] of an endpoint type.
pub fn operation<E>() -> Operation
where
    E: Endpoint + DeserializeOwned,
    E::Output: std::fmt::Debug + Serialize + Send + 'static,
{
    Operation {
        id: E::ID,
        imp: Imp::Typed {
            type_name: std::any::type_name::<E>(),
            output: std::any::type_name::<E::Output>,
            next: None,
            spec: E::OP_SPEC,
            build: build::<E>,
            parse: parse::<E>,
        },
    }
}

/// The [`Operation`] of a paginated endpoint type: as [`operation`], and callers by id page with
/// the type's own rule ([`Operation::next_input`]).
pub fn paged_operation<E>() -> Operation
where
    E: crate::endpoint::Paginated + DeserializeOwned + Serialize,
    E::Output: std::fmt::Debug + Serialize + DeserializeOwned + Send + 'static,
{
    let mut op = operation::<E>();
    if let Imp::Typed { next, .. } = &mut op.imp {
        *next = Some(next_input::<E>);
    }
    op
}

fn next_input<E>(input: &Value, output: &Value) -> Option<Value>
where
    E: crate::endpoint::Paginated + DeserializeOwned + Serialize,
    E::Output: DeserializeOwned,
{
    let endpoint = endpoint_from_input::<E>(input).ok()?;
    let output: E::Output = serde_json::from_value(output.clone()).ok()?;
    serde_json::to_value(endpoint.next_page(&output)?).ok()
}

/// The next page's input of a generated operation, by the one paging rule
/// ([`pagination::next_cursor`](crate::pagination::next_cursor)) on its answer's `info`.
fn next_spec_input(spec: &OpSpec, input: &Value, output: &Value) -> Option<Value> {
    use crate::op_spec::Paging;
    if spec.paging == Paging::None {
        return None;
    }
    let info: crate::PageInfo = serde_json::from_value(output.get("info")?.clone()).ok()?;
    let had_items = output.as_object().is_some_and(|o| {
        o.iter()
            .any(|(k, v)| k != "info" && v.as_array().is_some_and(|a| !a.is_empty()))
    });
    let page = input
        .get("page")
        .and_then(|p| p.as_u64().or_else(|| p.as_str()?.parse().ok()))
        .and_then(|p| u32::try_from(p).ok());
    let token = input.get("page_token").and_then(Value::as_str);
    let tokens = spec.paging == Paging::PageToken;
    let mut next = match input {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    match crate::pagination::next_cursor(page, token, Some(&info), had_items, tokens)? {
        crate::pagination::Cursor::Page(n) => {
            next.insert("page".into(), Value::from(n));
        }
        crate::pagination::Cursor::Token(t) => {
            next.remove("page");
            next.insert("page_token".into(), Value::String(t));
        }
    }
    Some(Value::Object(next))
}

/// Every operation of Zoho's spec that the enabled features compile (422 in the full build),
/// one per id: generated endpoints, and the hand-written types that stand for some of them
/// (records, bulk, composite, notifications, territories, user licences). Built once.
pub fn all() -> &'static [Operation] {
    static ALL: std::sync::OnceLock<Vec<Operation>> = std::sync::OnceLock::new();
    ALL.get_or_init(crate::generated::operations)
}

/// The operation with this id.
pub fn find(id: &str) -> Option<Operation> {
    all().iter().find(|op| op.id == id).copied()
}

/// Any registry [`Operation`] as an [`Endpoint`], driven with JSON: the generic way to call an
/// operation by id (command-line tool, bindings, fixtures).
///
/// ```
/// use zohocrm_core::registry::Call;
/// use zohocrm_core::Endpoint;
///
/// let call = Call::new("features.get_user_licences_count", serde_json::Value::Null).unwrap();
/// assert_eq!(call.parts().unwrap().path, "/crm/v8/__features/user_licenses");
/// assert!(Call::new("no.such_operation", serde_json::Value::Null).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Call {
    /// The operation.
    pub op: Operation,
    /// Its input, parameters named as the API names them (`null` for none).
    pub input: Value,
}

impl Call {
    /// The operation with id `op_id`, with `input`. Fails when no operation has that id.
    pub fn new(op_id: &str, input: Value) -> Result<Self, BuildError> {
        let op = find(op_id)
            .ok_or_else(|| BuildError::InvalidConfig(format!("unknown operation `{op_id}`")))?;
        Ok(Call { op, input })
    }
}

impl Endpoint for Call {
    const ID: &'static str = "registry.call";
    type Output = Value;

    fn parts(&self) -> Result<RequestParts, BuildError> {
        self.op.build(&self.input)
    }

    fn parse(&self, response: http::Response<&[u8]>) -> Result<Value, Error> {
        self.op.parse(&self.input, response)
    }

    fn id(&self) -> &'static str {
        self.op.id
    }

    fn op_spec(&self) -> Option<&'static OpSpec> {
        self.op.op_spec()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::find;

    #[test]
    fn callers_by_id_page_with_the_one_rule() {
        // A generated operation: page numbers from its answer's `info`.
        let users = find("users.get_users").unwrap();
        let input = json!({"type": "ActiveUsers", "per_page": 2});
        let page1 =
            json!({"users": [{"id": "1"}, {"id": "2"}], "info": {"page": 1, "more_records": true}});
        let next = users.next_input(&input, &page1).unwrap();
        assert_eq!(
            next,
            json!({"type": "ActiveUsers", "per_page": 2, "page": 2})
        );
        let last = json!({"users": [{"id": "3"}], "info": {"page": 2, "more_records": false}});
        assert_eq!(users.next_input(&next, &last), None);
        // An empty page that claims more ends the paging too.
        let empty = json!({"users": [], "info": {"page": 2, "more_records": true}});
        assert_eq!(users.next_input(&next, &empty), None);
        // An operation that does not page.
        let org = find("org.get_organization").unwrap();
        assert_eq!(org.next_input(&json!(null), &page1), None);

        // A hand-written type: its own rule (page numbers to record 2,000, then page_token).
        let records = find("record.get_records").unwrap();
        let input =
            json!({"module_api_name": "Leads", "fields": "Last_Name", "per_page": 200, "page": 10});
        let output = json!({
            "records": [{"id": "1"}],
            "info": {"page": 10, "more_records": true, "next_page_token": "tok-11"}
        });
        let next = records.next_input(&input, &output).unwrap();
        assert_eq!(next["page_token"], "tok-11");
        assert!(
            next.get("page").is_none_or(serde_json::Value::is_null),
            "{next}"
        );

        // Raw COQL text pages by its limit clause.
        let coql = find("coql.get_records").unwrap();
        let input =
            json!({"select_query": "select Email from Leads where Email is not null limit 0, 2"});
        let output = json!({"records": [{"id": "1"}, {"id": "2"}], "info": {"more_records": true}});
        let next = coql.next_input(&input, &output).unwrap();
        assert_eq!(
            next["select_query"],
            "select Email from Leads where Email is not null limit 2, 2"
        );
    }
}
