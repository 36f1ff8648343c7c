//! Territory models: lenient response models (unknown keys kept in `extra`, nulls tolerated) and
//! the request-body inputs.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::models::{double_option, lenient_string, lenient_u64, IdRef, Reference};
use crate::response::PageInfo;

/// Who may do what with the records of a territory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PermissionType {
    /// `read_only`.
    ReadOnly,
    /// `read_write_delete`.
    ReadWriteDelete,
    /// A value this SDK does not know, as sent.
    Unknown(String),
}

impl PermissionType {
    /// The value as Zoho spells it.
    pub fn as_str(&self) -> &str {
        match self {
            PermissionType::ReadOnly => "read_only",
            PermissionType::ReadWriteDelete => "read_write_delete",
            PermissionType::Unknown(s) => s,
        }
    }

    /// Maps Zoho's string to a variant; never fails.
    pub fn parse(s: &str) -> Self {
        match s {
            "read_only" => PermissionType::ReadOnly,
            "read_write_delete" => PermissionType::ReadWriteDelete,
            other => PermissionType::Unknown(other.to_owned()),
        }
    }
}

impl Serialize for PermissionType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PermissionType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match v {
            Value::String(s) => PermissionType::parse(&s),
            other => PermissionType::Unknown(other.to_string()),
        })
    }
}

/// The field a criteria rule tests: `{"api_name": ..., "id": ...}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CriteriaField {
    /// The field's API name, e.g. `Annual_Revenue`.
    #[serde(
        deserialize_with = "lenient_string::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub api_name: Option<String>,
    /// The field's id.
    #[serde(
        deserialize_with = "lenient_string::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One rule of an assignment criteria: `{"comparator", "field": {"api_name", "id"}, "value"}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CriteriaRule {
    /// The comparator, e.g. `equal`, `greater_than`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    /// The field tested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<CriteriaField>,
    /// The value compared with: any JSON (a string, a number, a list...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A group of criteria joined by an operator: `{"group_operator": "and", "group": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CriteriaGroup {
    /// `and` or `or`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_operator: Option<String>,
    /// The members, rules or nested groups.
    pub group: Vec<Criteria>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An assignment-rule criteria: a single rule, or a group of criteria (recursively).
///
/// Decoding never fails: an object with a `group` array is a group, any other object is a rule,
/// and a non-object value becomes a rule holding it as `value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Criteria {
    /// A group of criteria.
    Group(CriteriaGroup),
    /// A single rule.
    Rule(CriteriaRule),
}

impl Criteria {
    /// A rule on the field `api_name`.
    pub fn rule(
        api_name: impl Into<String>,
        comparator: impl Into<String>,
        value: impl Into<Value>,
    ) -> Self {
        Criteria::Rule(CriteriaRule {
            comparator: Some(comparator.into()),
            field: Some(CriteriaField {
                api_name: Some(api_name.into()),
                ..CriteriaField::default()
            }),
            value: Some(value.into()),
            extra: Map::new(),
        })
    }

    /// A group of criteria joined by `operator` (`and` / `or`).
    pub fn group(operator: impl Into<String>, members: impl IntoIterator<Item = Criteria>) -> Self {
        Criteria::Group(CriteriaGroup {
            group_operator: Some(operator.into()),
            group: members.into_iter().collect(),
            extra: Map::new(),
        })
    }

    /// The number of rules in this criteria, counting nested groups.
    pub fn rule_count(&self) -> usize {
        match self {
            Criteria::Rule(_) => 1,
            Criteria::Group(g) => g.group.iter().map(Criteria::rule_count).sum(),
        }
    }

    /// Decodes a criteria from any JSON value; never fails.
    pub fn from_value(value: Value) -> Self {
        let mut obj = match value {
            Value::Object(o) => o,
            other => {
                return Criteria::Rule(CriteriaRule {
                    value: Some(other),
                    ..CriteriaRule::default()
                })
            }
        };
        let string = |v: Option<Value>| match v {
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        if matches!(obj.get("group"), Some(Value::Array(_))) {
            let group = match obj.remove("group") {
                Some(Value::Array(items)) => items.into_iter().map(Criteria::from_value).collect(),
                _ => Vec::new(),
            };
            let group_operator = string(obj.remove("group_operator"));
            drop_nulls(&mut obj, &["comparator", "field", "value"]);
            return Criteria::Group(CriteriaGroup {
                group_operator,
                group,
                extra: obj,
            });
        }
        let comparator = string(obj.remove("comparator"));
        let field = match obj.remove("field") {
            None | Some(Value::Null) => None,
            Some(f) => match serde_json::from_value::<CriteriaField>(f.clone()) {
                Ok(f) => Some(f),
                Err(_) => {
                    obj.insert("field".into(), f);
                    None
                }
            },
        };
        let value = match obj.remove("value") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        };
        drop_nulls(&mut obj, &["group", "group_operator"]);
        Criteria::Rule(CriteriaRule {
            comparator,
            field,
            value,
            extra: obj,
        })
    }
}

fn drop_nulls(obj: &mut Map<String, Value>, keys: &[&str]) {
    for k in keys {
        if obj.get(*k).is_some_and(Value::is_null) {
            obj.remove(*k);
        }
    }
}

impl<'de> Deserialize<'de> for Criteria {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Criteria::from_value(Value::deserialize(d)?))
    }
}

/// `Option<Reference>` that tolerates any JSON: non-objects, and objects whose `id` and name are
/// both null or absent (`{"name": null, "id": null}` means "none"), become `None`.
fn lenient_reference<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Reference>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(v @ Value::Object(_)) => serde_json::from_value::<Reference>(v)
            .ok()
            .filter(|r| r.id.is_some() || r.name.is_some()),
        _ => None,
    })
}

/// A territory, as `GET /settings/territories` returns it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Territory {
    /// The id.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub id: String,
    /// The name.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub name: String,
    /// The API name.
    #[serde(deserialize_with = "lenient_string::option")]
    pub api_name: Option<String>,
    /// The description.
    #[serde(deserialize_with = "lenient_string::option")]
    pub description: Option<String>,
    /// The record permission of the territory's users.
    pub permission_type: Option<PermissionType>,
    /// The manager; `None` when there is none.
    #[serde(deserialize_with = "lenient_reference")]
    pub manager: Option<Reference>,
    /// The parent territory; `None` for the root territory.
    #[serde(deserialize_with = "lenient_reference")]
    pub reporting_to: Option<Reference>,
    /// The account assignment rule; absent when account rules are not enabled.
    pub account_rule_criteria: Option<Criteria>,
    /// The lead assignment rule.
    pub lead_rule_criteria: Option<Criteria>,
    /// The deal assignment rule.
    pub deal_rule_criteria: Option<Criteria>,
    /// When it was created, ISO-8601 with the offset as sent.
    #[serde(deserialize_with = "lenient_string::option")]
    pub created_time: Option<String>,
    /// Who created it.
    #[serde(deserialize_with = "lenient_reference")]
    pub created_by: Option<Reference>,
    /// When it was last changed, ISO-8601 with the offset as sent.
    #[serde(deserialize_with = "lenient_string::option")]
    pub modified_time: Option<String>,
    /// Who changed it last.
    #[serde(deserialize_with = "lenient_reference")]
    pub modified_by: Option<Reference>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A page of territories: `{"territories": [...], "info": {...}}`; empty for 204.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TerritoriesPage {
    /// The territories.
    pub territories: Vec<Territory>,
    /// Paging information, when sent.
    pub info: Option<PageInfo>,
}

/// The territory of an [`AssociatedUsersCount`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CountedTerritory {
    /// The territory id.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub id: String,
    /// The territory name.
    #[serde(deserialize_with = "lenient_string::option")]
    pub name: Option<String>,
    /// Whether users of sub-territories are counted (OpenAPI only).
    pub subordinates: Option<bool>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How many users a territory has. Zoho sends `count` as a string; numbers are accepted too.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AssociatedUsersCount {
    /// The number of users.
    #[serde(deserialize_with = "lenient_u64::or_zero")]
    pub count: u64,
    /// The territory.
    pub territory: CountedTerritory,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"associated_users_count": [...], "info": {...}}`; empty for 204.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AssociatedUsersCountPage {
    /// One count per territory.
    pub associated_users_count: Vec<AssociatedUsersCount>,
    /// Paging information, when sent.
    pub info: Option<PageInfo>,
}

/// A deleted territory that still had associations (OpenAPI only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeletedTerritory {
    /// The id.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub id: String,
    /// The name.
    #[serde(deserialize_with = "lenient_string::option")]
    pub name: Option<String>,
    /// When it was deleted.
    #[serde(deserialize_with = "lenient_string::option")]
    pub deleted_time: Option<String>,
    /// Who deleted it.
    #[serde(deserialize_with = "lenient_reference")]
    pub deleted_by: Option<Reference>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"territories": [deleted territory...], "info": {...}}`; empty for 204.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeletedTerritoriesPage {
    /// The deleted territories.
    pub territories: Vec<DeletedTerritory>,
    /// Paging information, when sent.
    pub info: Option<PageInfo>,
}

/// A user of a territory (the users API's user object; the common keys typed, the rest in `extra`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TerritoryUser {
    /// The user id.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub id: String,
    /// The full name.
    #[serde(deserialize_with = "lenient_string::option")]
    pub full_name: Option<String>,
    /// The first name.
    #[serde(deserialize_with = "lenient_string::option")]
    pub first_name: Option<String>,
    /// The last name.
    #[serde(deserialize_with = "lenient_string::option")]
    pub last_name: Option<String>,
    /// The email address.
    #[serde(deserialize_with = "lenient_string::option")]
    pub email: Option<String>,
    /// The role.
    #[serde(deserialize_with = "lenient_reference")]
    pub role: Option<Reference>,
    /// The profile.
    #[serde(deserialize_with = "lenient_reference")]
    pub profile: Option<Reference>,
    /// `active`, `disabled`, ...
    #[serde(deserialize_with = "lenient_string::option")]
    pub status: Option<String>,
    /// The Zoho account id.
    #[serde(deserialize_with = "lenient_string::option")]
    pub zuid: Option<String>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"users": [...], "info": {...}}`; empty for 204.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TerritoryUsersPage {
    /// The users.
    pub users: Vec<TerritoryUser>,
    /// Paging information, when sent.
    pub info: Option<PageInfo>,
}

/// A territory of a user (`/users/{user}/territories`), with that API's capitalised keys.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserTerritory {
    /// The territory id.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub id: String,
    /// The territory name (`Name`).
    #[serde(rename = "Name", deserialize_with = "lenient_string::option")]
    pub name: Option<String>,
    /// The manager (`Manager`); `None` when there is none.
    #[serde(rename = "Manager", deserialize_with = "lenient_reference")]
    pub manager: Option<Reference>,
    /// The parent territory (`Reporting_To`).
    #[serde(rename = "Reporting_To", deserialize_with = "lenient_reference")]
    pub reporting_to: Option<Reference>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"territories": [user territory...], "info": {...}}`; empty for 204.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserTerritoriesPage {
    /// The territories.
    pub territories: Vec<UserTerritory>,
    /// Paging information, when sent.
    pub info: Option<PageInfo>,
}

/// A territory of a record, one item of the record's `Territories` field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordTerritory {
    /// The territory id.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub id: String,
    /// The territory name (`Name`, capitalised in record data).
    #[serde(rename = "Name", deserialize_with = "lenient_string::option")]
    pub name: Option<String>,
    /// How it was assigned: `automatically` (by a rule) or `manually` (`$assigned`).
    #[serde(rename = "$assigned", deserialize_with = "lenient_string::option")]
    pub assigned: Option<String>,
    /// Who assigned it (`$assigned_by`); `None` for rule assignments.
    #[serde(rename = "$assigned_by", deserialize_with = "lenient_reference")]
    pub assigned_by: Option<Reference>,
    /// When it was assigned (`$assigned_time`).
    #[serde(rename = "$assigned_time", deserialize_with = "lenient_string::option")]
    pub assigned_time: Option<String>,
    /// Any other keys.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RecordTerritory {
    /// Whether a rule assigned it (`$assigned: "automatically"`); such territories cannot be removed by hand.
    pub fn is_automatic(&self) -> bool {
        self.assigned.as_deref() == Some("automatically")
    }
}

/// The territories of a record JSON object (`GET /{module}/{id}` → `data[0]`): its `Territories`
/// field, or `Territory` as COQL names it for Deals. A single object is read as a one-item list;
/// items that are not objects are skipped; a missing or null field gives an empty list.
pub fn record_territories(record: &Value) -> Vec<RecordTerritory> {
    let field = record
        .get("Territories")
        .filter(|v| !v.is_null())
        .or_else(|| record.get("Territory"));
    let items: Vec<&Value> = match field {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter(|v| v.is_object())
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect()
}

/// A territory to create or update (one item of `{"territories": [...]}`).
///
/// Create needs `name`, `reporting_to` and `permission_type`; update needs `id` unless the id is
/// in the path. `manager`, `description` and the criteria are tri-state: `None` leaves them out,
/// `Some(None)` sends `null` (removes), `Some(Some(v))` sets them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TerritoryInput {
    /// The id (updates without the id in the path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name; none of `` ^ ~ ` # % & + = [ ] { } | \ ; " ' < > , ``.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The parent territory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporting_to: Option<IdRef>,
    /// The manager (`null` removes it).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub manager: Option<Option<IdRef>>,
    /// The record permission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_type: Option<PermissionType>,
    /// The description.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub description: Option<Option<String>>,
    /// The account assignment rule (≤ 25 rules).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub account_rule_criteria: Option<Option<Criteria>>,
    /// The lead assignment rule (≤ 25 rules).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub lead_rule_criteria: Option<Option<Criteria>>,
    /// The deal assignment rule (≤ 25 rules).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    pub deal_rule_criteria: Option<Option<Criteria>>,
    /// Any other keys, sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TerritoryInput {
    /// A new territory with its three required keys.
    pub fn create(
        name: impl Into<String>,
        reporting_to: impl Into<String>,
        permission_type: PermissionType,
    ) -> Self {
        TerritoryInput {
            name: Some(name.into()),
            reporting_to: Some(IdRef::new(reporting_to)),
            permission_type: Some(permission_type),
            ..Self::default()
        }
    }

    /// Changes to the territory `id`.
    pub fn update(id: impl Into<String>) -> Self {
        TerritoryInput {
            id: Some(id.into()),
            ..Self::default()
        }
    }

    /// Changes with the id given in the path.
    pub fn changes() -> Self {
        Self::default()
    }

    /// Sets the name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the parent territory.
    #[must_use]
    pub fn reporting_to(mut self, id: impl Into<String>) -> Self {
        self.reporting_to = Some(IdRef::new(id));
        self
    }

    /// Sets the manager, or removes it with `None`.
    #[must_use]
    pub fn manager(mut self, id: Option<&str>) -> Self {
        self.manager = Some(id.map(IdRef::new));
        self
    }

    /// Sets the permission type.
    #[must_use]
    pub fn permission_type(mut self, permission_type: PermissionType) -> Self {
        self.permission_type = Some(permission_type);
        self
    }

    /// Sets the description, or clears it with `None`.
    #[must_use]
    pub fn description(mut self, description: Option<&str>) -> Self {
        self.description = Some(description.map(str::to_owned));
        self
    }

    /// Sets the account assignment rule, or removes it with `None`.
    #[must_use]
    pub fn account_rule_criteria(mut self, criteria: Option<Criteria>) -> Self {
        self.account_rule_criteria = Some(criteria);
        self
    }

    /// Sets the lead assignment rule, or removes it with `None`.
    #[must_use]
    pub fn lead_rule_criteria(mut self, criteria: Option<Criteria>) -> Self {
        self.lead_rule_criteria = Some(criteria);
        self
    }

    /// Sets the deal assignment rule, or removes it with `None`.
    #[must_use]
    pub fn deal_rule_criteria(mut self, criteria: Option<Criteria>) -> Self {
        self.deal_rule_criteria = Some(criteria);
        self
    }
}

/// The body of create / update: `{"territories": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TerritoriesBody {
    /// The territories (1 to 10).
    #[serde(default)]
    pub territories: Vec<TerritoryInput>,
}

/// One territory to delete after moving its children (transfer and delete).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TransferInput {
    /// The territory to delete; omitted when the id is in the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The territory that receives the children.
    #[serde(deserialize_with = "lenient_string::or_default")]
    pub transfer_to_id: String,
    /// Whether to delete the forecasts of the territory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_previous_forecasts: Option<bool>,
}

impl TransferInput {
    /// Delete `id`, moving its children to `transfer_to_id`.
    pub fn new(id: impl Into<String>, transfer_to_id: impl Into<String>) -> Self {
        TransferInput {
            id: Some(id.into()),
            transfer_to_id: transfer_to_id.into(),
            delete_previous_forecasts: None,
        }
    }

    /// Whether to delete the territory's forecasts.
    #[must_use]
    pub fn delete_previous_forecasts(mut self, delete: bool) -> Self {
        self.delete_previous_forecasts = Some(delete);
        self
    }
}

/// The body of transfer and delete: `{"territories": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TransferBody {
    /// The territories (1 to 10).
    #[serde(default)]
    pub territories: Vec<TransferInput>,
}

/// The body of associating users with a territory: `{"users": [{"id": ...}]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UsersBody {
    /// The users.
    #[serde(default)]
    pub users: Vec<IdRef>,
}

/// The body of associating territories with a user: `{"territories": [{"id": ...}]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserTerritoriesBody {
    /// The territories (≤ 100).
    #[serde(default)]
    pub territories: Vec<IdRef>,
}

/// One record and the territories to assign to it or remove from it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordTerritoriesInput {
    /// The record id; omitted when the id is in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The territories (`Territories`, 1 to 10; Deals take one, enforced by Zoho).
    #[serde(rename = "Territories", default)]
    pub territories: Vec<IdRef>,
}

impl RecordTerritoriesInput {
    /// The record `id` with these territories.
    pub fn new<S: Into<String>>(
        id: impl Into<String>,
        territories: impl IntoIterator<Item = S>,
    ) -> Self {
        RecordTerritoriesInput {
            id: Some(id.into()),
            territories: territories.into_iter().map(|t| IdRef::new(t)).collect(),
        }
    }
}

/// The body of assign / remove territories: `{"data": [{"id", "Territories": [{"id"}]}]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordTerritoriesBody {
    /// The records.
    #[serde(default)]
    pub data: Vec<RecordTerritoriesInput>,
}
