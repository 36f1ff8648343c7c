//! The module schemas: every field of every module the mock serves, with its data type, length,
//! mandatory and read-only flags, picklist values and lookup target. This is the one source of
//! truth for a module's shape: the records API validates writes against it (`records/write.rs`),
//! the metadata endpoints render it (`meta.rs`: `settings/modules`, `settings/fields`,
//! `settings/layouts`), bulk write converts CSV cells with it, and the demo generator writes only
//! fields it lists (a unit test checks that).

use serde_json::{json, Value};

use crate::org::make_id;

/// A field's data type, as `settings/fields` names it (`data_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `text`, at most `length` characters.
    Text,
    /// `textarea`.
    TextArea,
    /// `email`: a plausible address.
    Email,
    /// `phone`.
    Phone,
    /// `website`.
    Website,
    /// `picklist` with these values (Zoho accepts other values through the API too).
    Picklist(&'static [&'static str]),
    /// `multiselectpicklist` with these values: a JSON array of strings.
    MultiSelect(&'static [&'static str]),
    /// `integer`.
    Integer,
    /// `currency` (a JSON number).
    Currency,
    /// `boolean`.
    Boolean,
    /// `date` (`yyyy-MM-dd`).
    Date,
    /// `datetime` (ISO 8601 with offset).
    DateTime,
    /// `lookup` to a record of this module: `{"id"}` or an id.
    Lookup(&'static str),
    /// `ownerlookup`: a user, `{"id"}` or an id.
    Owner,
    /// The record's tags: `[{"name"}]` or `[{"id"}]`.
    Tags,
    /// A note's parent record (`Parent_Id`), any record module.
    Parent,
}

impl Kind {
    /// Zoho's `data_type`.
    pub fn data_type(self) -> &'static str {
        match self {
            Kind::Text | Kind::Tags => "text",
            Kind::TextArea => "textarea",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Website => "website",
            Kind::Picklist(_) => "picklist",
            Kind::MultiSelect(_) => "multiselectpicklist",
            Kind::Integer => "integer",
            Kind::Currency => "currency",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::DateTime => "datetime",
            Kind::Lookup(_) | Kind::Parent => "lookup",
            Kind::Owner => "ownerlookup",
        }
    }

    /// Zoho's `json_type`: the JSON type a value of the field has.
    pub fn json_type(self) -> &'static str {
        match self {
            Kind::MultiSelect(_) | Kind::Tags => "jsonarray",
            Kind::Integer => "integer",
            Kind::Currency => "double",
            Kind::Boolean => "boolean",
            Kind::Lookup(_) | Kind::Owner | Kind::Parent => "jsonobject",
            _ => "string",
        }
    }

    /// The `expected_data_type` of an `INVALID_DATA` answer about a value of this kind.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Text | Kind::TextArea | Kind::Phone | Kind::Website | Kind::Picklist(_) => "text",
            Kind::Tags => "jsonarray",
            other => other.data_type(),
        }
    }
}

/// One field of a module.
#[derive(Debug)]
pub(crate) struct Field {
    pub api_name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    /// Maximum length of a text value (also reported for other kinds, as Zoho does).
    pub length: u32,
    /// `system_mandatory`: an insert must carry it.
    pub mandatory: bool,
    /// Set by the system; a write ignores it.
    pub read_only: bool,
    /// The system unique field of the module (duplicate check on insert, default upsert check).
    pub unique: bool,
    /// A field the org added (`custom_field`).
    pub custom: bool,
    /// An external-id field (`X-EXTERNAL: {Module}.{field}` addresses records by it).
    pub external: bool,
}

const fn f(api_name: &'static str, label: &'static str, kind: Kind, length: u32) -> Field {
    Field {
        api_name,
        label,
        kind,
        length,
        mandatory: false,
        read_only: false,
        unique: false,
        custom: false,
        external: false,
    }
}

const fn mandatory(field: Field) -> Field {
    Field {
        mandatory: true,
        ..field
    }
}

const fn unique(field: Field) -> Field {
    Field {
        unique: true,
        ..field
    }
}

const fn read_only(field: Field) -> Field {
    Field {
        read_only: true,
        ..field
    }
}

/// A custom external-id field.
const fn external(api_name: &'static str, label: &'static str) -> Field {
    Field {
        custom: true,
        external: true,
        ..f(api_name, label, Kind::Text, 255)
    }
}

const fn custom(field: Field) -> Field {
    Field {
        custom: true,
        ..field
    }
}

pub(crate) const LEAD_SOURCES: [&str; 12] = [
    "Advertisement",
    "Cold Call",
    "Employee Referral",
    "External Referral",
    "Online Store",
    "Partner",
    "Public Relations",
    "Seminar Partner",
    "Trade Show",
    "Web Download",
    "Web Research",
    "Chat",
];
pub(crate) const LEAD_STATUSES: [&str; 8] = [
    "Attempted to Contact",
    "Contact in Future",
    "Contacted",
    "Junk Lead",
    "Lost Lead",
    "Not Contacted",
    "Pre-Qualified",
    "Not Qualified",
];
pub(crate) const INDUSTRIES: [&str; 10] = [
    "ASP (Application Service Provider)",
    "Data/Telecom OEM",
    "ERP (Enterprise Resource Planning)",
    "Government/Military",
    "Large Enterprise",
    "Management ISV",
    "MSP (Management Service Provider)",
    "Network Equipment Enterprise",
    "Non-management ISV",
    "Service Provider",
];
pub(crate) const RATINGS: [&str; 5] = [
    "Acquired",
    "Active",
    "Market Failed",
    "Project Cancelled",
    "Shut Down",
];
pub(crate) const INTERESTS: [&str; 5] = ["CRM", "Analytics", "Support Desk", "Mail", "Books"];
pub(crate) const ACCOUNT_TYPES: [&str; 6] = [
    "Customer",
    "Prospect",
    "Partner",
    "Reseller",
    "Competitor",
    "Other",
];
pub(crate) const STAGES: [&str; 8] = [
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Identify Decision Makers",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
];
pub(crate) const DEAL_TYPES: [&str; 2] = ["New Business", "Existing Business"];
pub(crate) const PIPELINES: [&str; 1] = ["Standard (Standard)"];

/// The system fields every record has, first.
const OWNER: Field = f("Owner", "Lead Owner", Kind::Owner, 120);
const CREATED_BY: Field = read_only(f("Created_By", "Created By", Kind::Owner, 120));
const MODIFIED_BY: Field = read_only(f("Modified_By", "Modified By", Kind::Owner, 120));
const CREATED_TIME: Field = read_only(f("Created_Time", "Created Time", Kind::DateTime, 120));
const MODIFIED_TIME: Field = read_only(f("Modified_Time", "Modified Time", Kind::DateTime, 120));
const TAG: Field = f("Tag", "Tag", Kind::Tags, 2000);
const DESCRIPTION: Field = f("Description", "Description", Kind::TextArea, 32_000);

pub(crate) const LEADS: &[Field] = &[
    Field {
        label: "Lead Owner",
        ..OWNER
    },
    f("First_Name", "First Name", Kind::Text, 40),
    mandatory(f("Last_Name", "Last Name", Kind::Text, 80)),
    read_only(f("Full_Name", "Full Name", Kind::Text, 120)),
    unique(f("Email", "Email", Kind::Email, 100)),
    f("Secondary_Email", "Secondary Email", Kind::Email, 100),
    f("Phone", "Phone", Kind::Phone, 30),
    f("Mobile", "Mobile", Kind::Phone, 30),
    f("Company", "Company", Kind::Text, 200),
    f("Designation", "Title", Kind::Text, 100),
    f("Website", "Website", Kind::Website, 255),
    f(
        "Lead_Source",
        "Lead Source",
        Kind::Picklist(&LEAD_SOURCES),
        120,
    ),
    f(
        "Lead_Status",
        "Lead Status",
        Kind::Picklist(&LEAD_STATUSES),
        120,
    ),
    f("Industry", "Industry", Kind::Picklist(&INDUSTRIES), 120),
    f("Annual_Revenue", "Annual Revenue", Kind::Currency, 16),
    f("No_of_Employees", "No. of Employees", Kind::Integer, 9),
    f("Rating", "Rating", Kind::Picklist(&RATINGS), 120),
    f("City", "City", Kind::Text, 100),
    f("State", "State", Kind::Text, 100),
    f("Country", "Country", Kind::Text, 100),
    custom(f(
        "Product_Interest",
        "Product Interest",
        Kind::MultiSelect(&INTERESTS),
        2000,
    )),
    f("Email_Opt_Out", "Email Opt Out", Kind::Boolean, 5),
    external("External_Lead_ID", "External Lead ID"),
    DESCRIPTION,
    CREATED_BY,
    MODIFIED_BY,
    CREATED_TIME,
    MODIFIED_TIME,
    TAG,
];

pub(crate) const CONTACTS: &[Field] = &[
    Field {
        label: "Contact Owner",
        ..OWNER
    },
    f("First_Name", "First Name", Kind::Text, 40),
    mandatory(f("Last_Name", "Last Name", Kind::Text, 80)),
    read_only(f("Full_Name", "Full Name", Kind::Text, 120)),
    unique(f("Email", "Email", Kind::Email, 100)),
    f("Secondary_Email", "Secondary Email", Kind::Email, 100),
    f("Phone", "Phone", Kind::Phone, 30),
    f("Mobile", "Mobile", Kind::Phone, 30),
    f("Title", "Title", Kind::Text, 100),
    f("Department", "Department", Kind::Text, 100),
    f(
        "Account_Name",
        "Account Name",
        Kind::Lookup("Accounts"),
        120,
    ),
    f(
        "Lead_Source",
        "Lead Source",
        Kind::Picklist(&LEAD_SOURCES),
        120,
    ),
    f("Mailing_City", "Mailing City", Kind::Text, 100),
    f("Mailing_State", "Mailing State", Kind::Text, 100),
    f("Mailing_Country", "Mailing Country", Kind::Text, 100),
    f("Date_of_Birth", "Date of Birth", Kind::Date, 20),
    f("Email_Opt_Out", "Email Opt Out", Kind::Boolean, 5),
    external("External_Contact_ID", "External Contact ID"),
    DESCRIPTION,
    CREATED_BY,
    MODIFIED_BY,
    CREATED_TIME,
    MODIFIED_TIME,
    TAG,
];

pub(crate) const ACCOUNTS: &[Field] = &[
    Field {
        label: "Account Owner",
        ..OWNER
    },
    mandatory(unique(f("Account_Name", "Account Name", Kind::Text, 200))),
    f("Phone", "Phone", Kind::Phone, 30),
    f("Website", "Website", Kind::Website, 255),
    f("Industry", "Industry", Kind::Picklist(&INDUSTRIES), 120),
    f("Annual_Revenue", "Annual Revenue", Kind::Currency, 16),
    f("Employees", "Employees", Kind::Integer, 9),
    f(
        "Account_Type",
        "Account Type",
        Kind::Picklist(&ACCOUNT_TYPES),
        120,
    ),
    f("Rating", "Rating", Kind::Picklist(&RATINGS), 120),
    f("Billing_City", "Billing City", Kind::Text, 30),
    f("Billing_State", "Billing State", Kind::Text, 30),
    f("Billing_Country", "Billing Country", Kind::Text, 30),
    external("External_Account_ID", "External Account ID"),
    DESCRIPTION,
    CREATED_BY,
    MODIFIED_BY,
    CREATED_TIME,
    MODIFIED_TIME,
    TAG,
];

pub(crate) const DEALS: &[Field] = &[
    Field {
        label: "Deal Owner",
        ..OWNER
    },
    mandatory(unique(f("Deal_Name", "Deal Name", Kind::Text, 120))),
    mandatory(f("Stage", "Stage", Kind::Picklist(&STAGES), 120)),
    f("Probability", "Probability (%)", Kind::Integer, 3),
    f("Amount", "Amount", Kind::Currency, 16),
    f("Closing_Date", "Closing Date", Kind::Date, 20),
    f(
        "Account_Name",
        "Account Name",
        Kind::Lookup("Accounts"),
        120,
    ),
    f(
        "Contact_Name",
        "Contact Name",
        Kind::Lookup("Contacts"),
        120,
    ),
    f(
        "Lead_Source",
        "Lead Source",
        Kind::Picklist(&LEAD_SOURCES),
        120,
    ),
    f("Type", "Type", Kind::Picklist(&DEAL_TYPES), 120),
    f("Pipeline", "Pipeline", Kind::Picklist(&PIPELINES), 120),
    external("External_Deal_ID", "External Deal ID"),
    DESCRIPTION,
    CREATED_BY,
    MODIFIED_BY,
    CREATED_TIME,
    MODIFIED_TIME,
    TAG,
];

pub(crate) const NOTES: &[Field] = &[
    Field {
        label: "Note Owner",
        ..OWNER
    },
    f("Note_Title", "Note Title", Kind::Text, 120),
    mandatory(f("Note_Content", "Note Content", Kind::TextArea, 32_000)),
    f("Parent_Id", "Parent ID", Kind::Parent, 120),
    CREATED_BY,
    MODIFIED_BY,
    CREATED_TIME,
    MODIFIED_TIME,
    TAG,
];

/// Fields the records API keeps besides the schema's: `id` and Zoho's `$` keys.
pub(crate) fn is_system_key(name: &str) -> bool {
    name == "id" || name.starts_with('$') || name == "Territories"
}

/// A field's id: unique across modules (`module_n` is the module's own number).
pub(crate) fn field_id(module_n: u64, index: usize) -> String {
    make_id(700_000 + (module_n - 200_000) * 1000 + index as u64)
}

/// Why a value does not fit a field: the `details` of Zoho's `INVALID_DATA`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Misfit {
    /// The value has the wrong JSON type or shape.
    Type,
    /// A text longer than the field's length.
    TooLong(u32),
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && crate::util::parse_datetime(&format!("{s}T00:00:00Z")).is_some()
}

impl Field {
    /// Checks a value given for this field in a write (`null` always fits: it clears the
    /// field). Lookups, owners, tags and e-mail syntax are checked by the records API, which
    /// knows the org's records and users; this checks the JSON shape and the length.
    pub fn check(&self, v: &Value) -> Result<(), Misfit> {
        let text = |s: &str| {
            if s.chars().count() > self.length as usize {
                Err(Misfit::TooLong(self.length))
            } else {
                Ok(())
            }
        };
        match (self.kind, v) {
            (_, Value::Null) => Ok(()),
            (
                Kind::Text
                | Kind::TextArea
                | Kind::Email
                | Kind::Phone
                | Kind::Website
                | Kind::Picklist(_),
                Value::String(s),
            ) => text(s),
            (Kind::MultiSelect(_), Value::Array(items)) if items.iter().all(Value::is_string) => {
                Ok(())
            }
            (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
            (Kind::Currency, Value::Number(_)) => Ok(()),
            (Kind::Boolean, Value::Bool(_)) => Ok(()),
            (Kind::Date, Value::String(s)) if valid_date(s) => Ok(()),
            (Kind::DateTime, Value::String(s)) if crate::util::parse_datetime(s).is_some() => {
                Ok(())
            }
            (Kind::Lookup(_) | Kind::Owner | Kind::Parent | Kind::Tags, _) => Ok(()),
            _ => Err(Misfit::Type),
        }
    }

    /// A bulk write CSV cell as the JSON value this field takes (numbers and booleans parsed;
    /// a cell that does not parse stays text, so the write reports it as invalid).
    pub fn cell_value(&self, cell: &str) -> Value {
        let parsed = match self.kind {
            Kind::Integer => cell.trim().parse::<i64>().ok().map(Value::from),
            Kind::Currency => cell
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            Kind::Boolean => match cell.trim().to_ascii_lowercase().as_str() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            Kind::MultiSelect(_) => Some(Value::Array(
                cell.split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| json!(s))
                    .collect(),
            )),
            _ => None,
        };
        parsed.unwrap_or_else(|| json!(cell))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fit_their_kinds() {
        let last = &LEADS[2];
        assert_eq!(last.api_name, "Last_Name");
        assert_eq!(last.check(&json!("Doe")), Ok(()));
        assert_eq!(last.check(&json!(5)), Err(Misfit::Type));
        assert_eq!(last.check(&json!("x".repeat(81))), Err(Misfit::TooLong(80)));
        assert_eq!(last.check(&json!("é".repeat(80))), Ok(()));
        let employees = LEADS
            .iter()
            .find(|f| f.api_name == "No_of_Employees")
            .unwrap();
        assert_eq!(employees.check(&json!(12)), Ok(()));
        assert_eq!(employees.check(&json!(1.5)), Err(Misfit::Type));
        assert_eq!(employees.check(&json!("12")), Err(Misfit::Type));
        let dob = CONTACTS
            .iter()
            .find(|f| f.api_name == "Date_of_Birth")
            .unwrap();
        assert_eq!(dob.check(&json!("1980-02-29")), Ok(()));
        assert_eq!(dob.check(&json!("1981-02-29")), Err(Misfit::Type));
        assert_eq!(dob.check(&json!("1980-2-2")), Err(Misfit::Type));
        let interest = LEADS
            .iter()
            .find(|f| f.api_name == "Product_Interest")
            .unwrap();
        assert_eq!(interest.check(&json!(["CRM"])), Ok(()));
        assert_eq!(interest.check(&json!("CRM")), Err(Misfit::Type));
        assert_eq!(employees.cell_value(" 42 "), json!(42));
        assert_eq!(employees.cell_value("many"), json!("many"));
        assert_eq!(interest.cell_value("CRM; Mail"), json!(["CRM", "Mail"]));
    }

    #[test]
    fn field_ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (n, fields) in [LEADS, CONTACTS, ACCOUNTS, DEALS, NOTES].iter().enumerate() {
            for i in 0..fields.len() {
                assert!(seen.insert(field_id(200_001 + n as u64, i)));
            }
        }
    }
}
