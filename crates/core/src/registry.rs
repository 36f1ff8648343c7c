//! Operations by id, driven with JSON: build a request from a JSON input and parse a response
//! into JSON output.
//!
//! Every endpoint type deserialises from its parameters named exactly as the API names them, so
//! fixtures, the command-line tool and other language bindings can call any operation by its id
//! without knowing its Rust type.

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

/// How a hand-written operation parses, from its JSON input.
type InputParse = fn(&Value, http::Response<&[u8]>) -> Result<Box<dyn TypedOutput>, Error>;

#[derive(Clone, Copy)]
enum Imp {
    Typed {
        type_name: &'static str,
        build: fn(&Value) -> Result<RequestParts, BuildError>,
        parse: InputParse,
    },
    Spec {
        spec: &'static OpSpec,
        /// The typed parse of operations whose output is a generated model.
        typed: Option<SpecParse>,
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
    pub const fn typed(spec: &'static OpSpec, parse: SpecParse) -> Self {
        Operation {
            id: spec.id,
            imp: Imp::Spec {
                spec,
                typed: Some(parse),
            },
        }
    }

    /// The generated operation's metadata (scopes, idempotency, paging, credits), `None` for a
    /// hand-written one.
    pub fn op_spec(&self) -> Option<&'static OpSpec> {
        match self.imp {
            Imp::Spec { spec, .. } => Some(spec),
            Imp::Typed { .. } => None,
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
                typed: Some(parse),
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
pub fn endpoint_from_input<E: DeserializeOwned>(input: &Value) -> Result<E, BuildError> {
    let attempt = serde_json::from_value::<E>(input.clone());
    match (attempt, input) {
        (Ok(e), _) => Ok(e),
        (Err(_), Value::Null) => serde_json::from_value::<E>(Value::Object(Default::default()))
            .map_err(|e| BuildError::InvalidConfig(format!("invalid input: {e}"))),
        (Err(e), Value::Object(o)) if o.is_empty() => serde_json::from_value::<E>(Value::Null)
            .map_err(|_| BuildError::InvalidConfig(format!("invalid input: {e}"))),
        (Err(e), _) => Err(BuildError::InvalidConfig(format!("invalid input: {e}"))),
    }
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
            build: build::<E>,
            parse: parse::<E>,
        },
    }
}

/// Every hand-written operation (features, territories, records).
pub fn hand_written() -> Vec<Operation> {
    use crate::features::*;
    let mut ops = vec![
        operation::<GetUserLicences>(),
        operation::<GetFeatures>(),
        operation::<GetFeature>(),
    ];
    ops.extend(crate::territories::operations());
    ops.extend(crate::records::operations());
    ops.extend(crate::bulk::operations());
    ops.extend(crate::composite::operations());
    ops.extend(crate::notifications::operations());
    ops
}

/// Every operation the SDK knows, hand-written first; a generated operation with the id of a
/// hand-written one is left out. Built once.
pub fn all() -> &'static [Operation] {
    static ALL: std::sync::OnceLock<Vec<Operation>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut ops = hand_written();
        let generated: Vec<Operation> = crate::generated::operations()
            .into_iter()
            .filter(|g| !ops.iter().any(|h| h.id == g.id))
            .collect();
        ops.extend(generated);
        ops
    })
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
}
