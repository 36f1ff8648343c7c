//! Demo records: the named ones the territory operations use, plus a deterministic bulk of
//! Leads, Contacts, Accounts and Deals (no randomness: every value is arithmetic on the record's
//! index). A module is generated the first time the store needs it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Map, Value};

use super::{Key, Record, Spec, TagDef};
use crate::org::{make_id, Assignment};
use crate::schema::{ACCOUNT_TYPES, INDUSTRIES, INTERESTS, LEAD_SOURCES, LEAD_STATUSES, RATINGS};
use crate::util::format_unix;

const DEMO_TIME: &str = "2025-01-15T10:00:00+00:00";

/// Bulk Accounts, Contacts and Deals (named ones come on top).
const BULK_ACCOUNTS: u64 = 297;
const BULK_CONTACTS: u64 = 998;
const BULK_DEALS: u64 = 598;

/// Id ranges (see `make_id`): named Accounts 500_001.., bulk 500_101..; Contacts 510_001..,
/// 511_001..; Deals 520_001.., 521_001..; Notes 530_001..; tags 540_001..; Leads 2_000_001...
const ACCOUNT_BULK_BASE: u64 = 500_101;
const CONTACT_BULK_BASE: u64 = 511_001;
const DEAL_BULK_BASE: u64 = 521_001;
const LEAD_BASE: u64 = 2_000_001;

/// 2023-01-01T00:00:00Z: the bulk records are created from then on.
const START: i64 = 1_672_531_200;
/// They are spread over two and a half years.
const SPAN: i64 = 912 * 86_400;

/// What to generate.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// `{"name","id","email"}` of the active users, the caller first.
    pub owners: Vec<Value>,
    /// How many bulk Leads.
    pub leads: usize,
}

impl Plan {
    /// The first id the store may hand out: above every demo id.
    pub fn first_free_id(&self) -> u64 {
        3_000_000 + self.leads as u64
    }
}

const FIRST: [&str; 24] = [
    "Aiden", "Bella", "Carlos", "Dana", "Elif", "Farah", "Gustav", "Hana", "Ivan", "Jun", "Kavya",
    "Liam", "Mei", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Uma", "Viktor",
    "Wen", "Yara",
];
const LAST: [&str; 24] = [
    "Abbott", "Becker", "Chen", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ito",
    "Jansen", "Kowalski", "Larsen", "Moreau", "Nakamura", "O'Brien", "Petrov", "Qureshi", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Young",
];
const ACCOUNT_WORDS: [&str; 20] = [
    "Apex", "Blue", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "Ridge", "Summit",
    "Tidal",
];
const ACCOUNT_NOUNS: [&str; 15] = [
    "Analytics",
    "Biotech",
    "Consulting",
    "Dynamics",
    "Energy",
    "Foods",
    "Logistics",
    "Media",
    "Motors",
    "Networks",
    "Pharma",
    "Robotics",
    "Software",
    "Systems",
    "Textiles",
];
const SUFFIXES: [&str; 6] = ["Inc", "LLC", "GmbH", "Ltd", "SA", "Group"];
const COMPANY_WORDS: [&str; 16] = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Adventure Works",
    "Litware",
    "Proseware",
    "Lucerne",
    "Margie's",
    "Trey",
    "Woodgrove",
    "Alpine",
    "Coho",
    "Fourth Coffee",
    "Graphic Design",
];
const TITLES: [&str; 8] = [
    "CEO",
    "CTO",
    "Head of Sales",
    "Procurement Manager",
    "IT Director",
    "Operations Lead",
    "Marketing Manager",
    "Analyst",
];
const DEPARTMENTS: [&str; 5] = ["Sales", "IT", "Finance", "Operations", "Marketing"];
const PLACES: [(&str, &str, &str); 10] = [
    ("New York", "NY", "United States"),
    ("Austin", "TX", "United States"),
    ("San Francisco", "CA", "United States"),
    ("Boston", "MA", "United States"),
    ("Berlin", "BE", "Germany"),
    ("Munich", "BY", "Germany"),
    ("Vienna", "W", "Austria"),
    ("Zurich", "ZH", "Switzerland"),
    ("London", "ENG", "United Kingdom"),
    ("Toronto", "ON", "Canada"),
];
const STAGES: [(&str, u64); 8] = [
    ("Qualification", 10),
    ("Needs Analysis", 20),
    ("Value Proposition", 40),
    ("Identify Decision Makers", 60),
    ("Proposal/Price Quote", 75),
    ("Negotiation/Review", 90),
    ("Closed Won", 100),
    ("Closed Lost", 0),
];
const DEAL_KINDS: [&str; 6] = [
    "renewal",
    "expansion",
    "pilot",
    "migration",
    "support plan",
    "new licences",
];
const TAGS: [(&str, &str); 4] = [
    ("Hot", "#F17574"),
    ("Webinar 2024", "#57B1FD"),
    ("Partner Referral", "#63C57E"),
    ("VIP", "#E7A826"),
];

/// The demo tags.
pub(crate) fn tags(_plan: &Plan) -> Vec<TagDef> {
    TAGS.iter()
        .enumerate()
        .map(|(i, (name, color))| TagDef {
            id: make_id(540_001 + i as u64),
            name: (*name).into(),
            color_code: json!(color),
        })
        .collect()
}

/// SplitMix64: a bijective mixer, used as a counter-based generator.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The values of one record: `h(k)` is a stable pseudo-random number for its k-th attribute.
struct Gen {
    seed: u64,
}

impl Gen {
    fn new(module: u64, i: u64) -> Self {
        Gen {
            seed: mix(module.wrapping_mul(0x1000_0000_0000) ^ i),
        }
    }

    fn h(&self, k: u64) -> u64 {
        mix(self.seed ^ k.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    fn pick<'a>(&self, k: u64, items: &[&'a str]) -> &'a str {
        items[(self.h(k) % items.len() as u64) as usize]
    }

    /// True with `percent` % probability.
    fn chance(&self, k: u64, percent: u64) -> bool {
        self.h(k) % 100 < percent
    }
}

fn tag_json(i: usize) -> Value {
    let (name, color) = TAGS[i % TAGS.len()];
    json!({"name": name, "id": make_id(540_001 + (i % TAGS.len()) as u64), "color_code": color})
}

fn tags_of(g: &Gen, k: u64) -> Value {
    if g.chance(k, 20) {
        let first = (g.h(k + 1) % TAGS.len() as u64) as usize;
        if g.chance(k + 2, 25) {
            json!([tag_json(first), tag_json(first + 1)])
        } else {
            json!([tag_json(first)])
        }
    } else {
        json!([])
    }
}

/// Unique Account names for bulk account `j` (20 × 15 × 6 combinations).
fn account_name(j: u64) -> String {
    format!(
        "{} {} {}",
        ACCOUNT_WORDS[(j % 20) as usize],
        ACCOUNT_NOUNS[((j / 20) % 15) as usize],
        SUFFIXES[((j / 300 + j) % 6) as usize]
    )
}

fn account_ref(j: u64) -> Value {
    json!({"name": account_name(j), "id": make_id(ACCOUNT_BULK_BASE + j)})
}

fn contact_names(j: u64) -> (&'static str, &'static str) {
    let g = Gen::new(2, j);
    (g.pick(1, &FIRST), g.pick(2, &LAST))
}

fn contact_ref(j: u64) -> Value {
    let (first, last) = contact_names(j);
    json!({"name": format!("{first} {last}"), "id": make_id(CONTACT_BULK_BASE + j)})
}

fn email_of(first: &str, last: &str, n: u64, domain: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    format!("{}.{}{n}@{domain}", clean(first), clean(last))
}

fn phone(g: &Gen, k: u64) -> String {
    format!("+1-555-{:03}-{:04}", g.h(k) % 1000, g.h(k + 1) % 10_000)
}

/// Created and modified times of bulk record `i` of `n`: created times grow with the index.
fn times(g: &Gen, i: u64, n: u64) -> (String, String) {
    let step = (SPAN / n.max(1) as i64).max(1);
    let created = START + i as i64 * step + (g.h(90) % step as u64) as i64;
    let modified = if g.chance(91, 30) {
        created
    } else {
        created + (g.h(92) % (120 * 86_400)) as i64
    };
    (format_unix(created), format_unix(modified))
}

fn date_after(created: &str, g: &Gen, k: u64, max_days: u64) -> String {
    let base = crate::util::parse_datetime(created).unwrap_or(START);
    let t = base + (g.h(k) % max_days) as i64 * 86_400;
    format_unix(t)[..10].to_owned()
}

fn base_fields(plan: &Plan, g: &Gen, i: u64, n: u64, id: String) -> Map<String, Value> {
    let owner = plan.owners[(g.h(80) % plan.owners.len() as u64) as usize].clone();
    let (created, modified) = times(g, i, n);
    let mut f = Map::new();
    f.insert("id".into(), json!(id));
    let by = json!({"name": owner["name"], "id": owner["id"], "email": owner["email"]});
    f.insert("Owner".into(), owner);
    f.insert("Created_By".into(), by.clone());
    f.insert("Modified_By".into(), by);
    f.insert("Created_Time".into(), json!(created));
    f.insert("Modified_Time".into(), json!(modified));
    f.insert("Tag".into(), tags_of(g, 70));
    f
}

fn lead(plan: &Plan, i: u64) -> Record {
    let n = plan.leads as u64;
    let g = Gen::new(1, i);
    let id = make_id(LEAD_BASE + i);
    let mut f = base_fields(plan, &g, i, n, id.clone());
    let first = g.pick(1, &FIRST);
    let last = g.pick(2, &LAST);
    let (city, state, country) = PLACES[(g.h(3) % PLACES.len() as u64) as usize];
    let company = if g.chance(4, 10) {
        account_name(g.h(5) % BULK_ACCOUNTS)
    } else {
        format!("{} {}", g.pick(6, &COMPANY_WORDS), g.pick(7, &SUFFIXES))
    };
    let email = if g.chance(8, 92) {
        json!(email_of(first, last, i, "example.test"))
    } else {
        Value::Null
    };
    let interests: Vec<&str> = INTERESTS
        .iter()
        .enumerate()
        .filter(|(k, _)| g.chance(40 + *k as u64, 30))
        .map(|(_, s)| *s)
        .collect();
    let values = [
        ("First_Name", json!(first)),
        ("Last_Name", json!(last)),
        ("Full_Name", json!(format!("{first} {last}"))),
        ("Email", email),
        (
            "Secondary_Email",
            if g.chance(9, 10) {
                json!(email_of(first, last, i, "mail.example.test"))
            } else {
                Value::Null
            },
        ),
        (
            "Phone",
            if g.chance(10, 85) {
                json!(phone(&g, 11))
            } else {
                Value::Null
            },
        ),
        (
            "Mobile",
            if g.chance(13, 50) {
                json!(phone(&g, 14))
            } else {
                Value::Null
            },
        ),
        ("Company", json!(company)),
        ("Designation", json!(g.pick(16, &TITLES))),
        (
            "Lead_Source",
            if g.chance(17, 95) {
                json!(g.pick(18, &LEAD_SOURCES))
            } else {
                Value::Null
            },
        ),
        ("Lead_Status", json!(g.pick(19, &LEAD_STATUSES))),
        (
            "Industry",
            if g.chance(20, 90) {
                json!(g.pick(21, &INDUSTRIES))
            } else {
                Value::Null
            },
        ),
        (
            "Annual_Revenue",
            if g.chance(22, 70) {
                json!((g.h(23) % 500 + 1) * 10_000)
            } else {
                Value::Null
            },
        ),
        (
            "No_of_Employees",
            if g.chance(24, 60) {
                json!(g.h(25) % 5000 + 1)
            } else {
                Value::Null
            },
        ),
        (
            "Rating",
            if g.chance(26, 40) {
                json!(g.pick(27, &RATINGS))
            } else {
                Value::Null
            },
        ),
        ("City", json!(city)),
        ("State", json!(state)),
        ("Country", json!(country)),
        ("Product_Interest", json!(interests)),
        ("Email_Opt_Out", json!(g.chance(28, 8))),
        (
            "Description",
            if g.chance(29, 5) {
                json!("Met at the booth; wants a follow-up call.")
            } else {
                Value::Null
            },
        ),
        ("$converted", json!(false)),
    ];
    f.extend(values.into_iter().map(|(k, v)| (k.to_owned(), v)));
    Record {
        module: "Leads",
        id,
        fields: f,
        territories: Vec::new(),
    }
}

fn account(plan: &Plan, j: u64) -> Record {
    let g = Gen::new(3, j);
    let id = make_id(ACCOUNT_BULK_BASE + j);
    let mut f = base_fields(plan, &g, j, BULK_ACCOUNTS, id.clone());
    let name = account_name(j);
    let (city, state, country) = PLACES[(g.h(3) % PLACES.len() as u64) as usize];
    let site: String = name
        .split(' ')
        .take(2)
        .collect::<String>()
        .to_ascii_lowercase();
    let values = [
        ("Account_Name", json!(name)),
        ("Phone", json!(phone(&g, 4))),
        ("Website", json!(format!("https://{site}.example.test"))),
        (
            "Industry",
            if g.chance(6, 85) {
                json!(g.pick(7, &INDUSTRIES))
            } else {
                Value::Null
            },
        ),
        (
            "Annual_Revenue",
            if g.chance(8, 75) {
                json!((g.h(9) % 2000 + 1) * 50_000)
            } else {
                Value::Null
            },
        ),
        ("Employees", json!(g.h(10) % 20_000 + 5)),
        ("Account_Type", json!(g.pick(11, &ACCOUNT_TYPES))),
        (
            "Rating",
            if g.chance(12, 50) {
                json!(g.pick(13, &RATINGS))
            } else {
                Value::Null
            },
        ),
        ("Billing_City", json!(city)),
        ("Billing_State", json!(state)),
        ("Billing_Country", json!(country)),
        ("Description", Value::Null),
    ];
    for (k, v) in values {
        f.insert(k.into(), v);
    }
    Record {
        module: "Accounts",
        id,
        fields: f,
        territories: Vec::new(),
    }
}

fn contact(plan: &Plan, j: u64) -> Record {
    let g = Gen::new(2, j);
    let id = make_id(CONTACT_BULK_BASE + j);
    let mut f = base_fields(plan, &g, j, BULK_CONTACTS, id.clone());
    let (first, last) = contact_names(j);
    let (city, state, country) = PLACES[(g.h(3) % PLACES.len() as u64) as usize];
    let account = if g.chance(4, 90) {
        account_ref(g.h(5) % BULK_ACCOUNTS)
    } else {
        Value::Null
    };
    let birth = if g.chance(6, 40) {
        json!(format!(
            "{}-{:02}-{:02}",
            1960 + g.h(7) % 40,
            1 + g.h(8) % 12,
            1 + g.h(9) % 28
        ))
    } else {
        Value::Null
    };
    let values = [
        ("First_Name", json!(first)),
        ("Last_Name", json!(last)),
        ("Full_Name", json!(format!("{first} {last}"))),
        (
            "Email",
            if g.chance(10, 95) {
                json!(email_of(first, last, j, "contacts.example.test"))
            } else {
                Value::Null
            },
        ),
        ("Secondary_Email", Value::Null),
        ("Phone", json!(phone(&g, 11))),
        (
            "Mobile",
            if g.chance(13, 60) {
                json!(phone(&g, 14))
            } else {
                Value::Null
            },
        ),
        ("Title", json!(g.pick(16, &TITLES))),
        ("Department", json!(g.pick(17, &DEPARTMENTS))),
        ("Account_Name", account),
        (
            "Lead_Source",
            if g.chance(18, 80) {
                json!(g.pick(19, &LEAD_SOURCES))
            } else {
                Value::Null
            },
        ),
        ("Mailing_City", json!(city)),
        ("Mailing_State", json!(state)),
        ("Mailing_Country", json!(country)),
        ("Date_of_Birth", birth),
        ("Email_Opt_Out", json!(g.chance(20, 5))),
    ];
    for (k, v) in values {
        f.insert(k.into(), v);
    }
    Record {
        module: "Contacts",
        id,
        fields: f,
        territories: Vec::new(),
    }
}

fn deal(plan: &Plan, j: u64) -> Record {
    let g = Gen::new(4, j);
    let id = make_id(DEAL_BULK_BASE + j);
    let mut f = base_fields(plan, &g, j, BULK_DEALS, id.clone());
    let acc = g.h(3) % BULK_ACCOUNTS;
    let (stage, probability) = STAGES[(g.h(4) % STAGES.len() as u64) as usize];
    let created = f["Created_Time"].as_str().unwrap_or(DEMO_TIME).to_owned();
    let contact = if g.chance(5, 60) {
        contact_ref(g.h(6) % BULK_CONTACTS)
    } else {
        Value::Null
    };
    let values = [
        (
            "Deal_Name",
            json!(format!(
                "{} {} #{}",
                account_name(acc),
                g.pick(7, &DEAL_KINDS),
                j + 1
            )),
        ),
        ("Stage", json!(stage)),
        ("Probability", json!(probability)),
        (
            "Amount",
            if g.chance(8, 90) {
                json!((g.h(9) % 400 + 1) * 500)
            } else {
                Value::Null
            },
        ),
        ("Closing_Date", json!(date_after(&created, &g, 10, 180))),
        ("Account_Name", account_ref(acc)),
        ("Contact_Name", contact),
        (
            "Lead_Source",
            if g.chance(11, 70) {
                json!(g.pick(12, &LEAD_SOURCES))
            } else {
                Value::Null
            },
        ),
        (
            "Type",
            json!(if g.chance(13, 60) {
                "New Business"
            } else {
                "Existing Business"
            }),
        ),
        ("Pipeline", json!("Standard (Standard)")),
    ];
    for (k, v) in values {
        f.insert(k.into(), v);
    }
    Record {
        module: "Deals",
        id,
        fields: f,
        territories: Vec::new(),
    }
}

/// The named records of the territory demo.
fn named(plan: &Plan, module: &str) -> Vec<Record> {
    let u = |n: u64| make_id(300_000 + n);
    let t = |n: u64| make_id(411_000 + n);
    let manual = |n: u64| Assignment {
        territory: t(n),
        by: Some(u(1)),
        time: DEMO_TIME.into(),
        manual: true,
    };
    let auto = |n: u64| Assignment {
        territory: t(n),
        by: None,
        time: DEMO_TIME.into(),
        manual: false,
    };
    let owner = plan.owners[0].clone();
    let by = json!({"name": owner["name"], "id": owner["id"], "email": owner["email"]});
    let record = |module: &'static str, n: u64, fields: Value, territories: Vec<Assignment>| {
        let mut f = fields.as_object().cloned().unwrap_or_default();
        f.insert("id".into(), json!(make_id(n)));
        f.insert("Owner".into(), owner.clone());
        f.insert("Created_By".into(), by.clone());
        f.insert("Modified_By".into(), by.clone());
        f.insert("Created_Time".into(), json!(DEMO_TIME));
        f.insert("Modified_Time".into(), json!(DEMO_TIME));
        f.insert("Tag".into(), json!([]));
        Record {
            module,
            id: make_id(n),
            fields: f,
            territories,
        }
    };
    let acme = json!({"name": "Acme Test Corp", "id": make_id(500_001)});
    let globex = json!({"name": "Globex Example GmbH", "id": make_id(500_002)});
    match module {
        "Accounts" => vec![
            record(
                "Accounts",
                500_001,
                json!({"Account_Name": "Acme Test Corp", "Billing_State": "NY", "Billing_City": "New York", "Account_Type": "Customer", "Annual_Revenue": 2_500_000}),
                vec![manual(3)],
            ),
            record(
                "Accounts",
                500_002,
                json!({"Account_Name": "Globex Example GmbH", "Billing_State": "BE", "Billing_City": "Berlin", "Account_Type": "Prospect", "Annual_Revenue": null}),
                vec![auto(6)],
            ),
            record(
                "Accounts",
                500_003,
                json!({"Account_Name": "Initech Sample LLC", "Billing_State": "TX", "Billing_City": "Austin", "Account_Type": "Customer", "Annual_Revenue": 480_000}),
                vec![],
            ),
        ],
        "Contacts" => vec![
            record(
                "Contacts",
                510_001,
                json!({"First_Name": "Sam", "Last_Name": "Sample", "Email": "sam.sample@example.test", "Account_Name": acme}),
                vec![manual(4)],
            ),
            record(
                "Contacts",
                510_002,
                json!({"First_Name": "Robin", "Last_Name": "Example", "Email": "robin.example@example.test", "Account_Name": globex}),
                vec![],
            ),
        ],
        "Deals" => vec![
            record(
                "Deals",
                520_001,
                json!({"Deal_Name": "Acme renewal", "Stage": "Negotiation/Review", "Amount": 12000, "Account_Name": acme, "Contact_Name": {"name": "Sam Sample", "id": make_id(510_001)}}),
                vec![manual(3)],
            ),
            record(
                "Deals",
                520_002,
                json!({"Deal_Name": "Globex expansion", "Stage": "Qualification", "Amount": 48000, "Account_Name": globex}),
                vec![],
            ),
        ],
        "Notes" => vec![record(
            "Notes",
            530_001,
            json!({
                "Note_Title": "Kick-off",
                "Note_Content": "Renewal kick-off call went well.",
                "Parent_Id": {"module": {"api_name": "Accounts", "id": make_id(200_003)}, "id": make_id(500_001), "name": "Acme Test Corp"},
                "$se_module": "Accounts"
            }),
            vec![],
        )],
        _ => Vec::new(),
    }
}

/// Every demo record of a module, generated once per process and then shared (the store
/// copies records on write).
pub(crate) fn records_cached(plan: &Plan, spec: &Spec) -> super::Records {
    type Cache = HashMap<(&'static str, usize, String), Arc<super::Records>>;
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    // Only Leads depend on the configured number.
    let leads = if spec.name == "Leads" { plan.leads } else { 0 };
    let key = (
        spec.name,
        leads,
        Value::Array(plan.owners.clone()).to_string(),
    );
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = crate::util::lock(cache).get(&key) {
        return (**hit).clone();
    }
    let built: super::Records = records(plan, spec)
        .into_iter()
        .map(|r| (Key::of(&r.id), Arc::new(r)))
        .collect();
    let built = Arc::new(built);
    crate::util::lock(cache).insert(key, built.clone());
    (*built).clone()
}

/// Every demo record of a module.
pub(crate) fn records(plan: &Plan, spec: &Spec) -> Vec<Record> {
    let mut out = named(plan, spec.name);
    match spec.name {
        "Leads" => out.extend((0..plan.leads as u64).map(|i| lead(plan, i))),
        "Accounts" => out.extend((0..BULK_ACCOUNTS).map(|j| account(plan, j))),
        "Contacts" => out.extend((0..BULK_CONTACTS).map(|j| contact(plan, j))),
        "Deals" => out.extend((0..BULK_DEALS).map(|j| deal(plan, j))),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            owners: vec![
                json!({"name": "Avery Admin", "id": make_id(300_001), "email": "user1@example.test"}),
                json!({"name": "Blake Morgan", "id": make_id(300_002), "email": "user2@example.test"}),
            ],
            leads: 3000,
        }
    }

    #[test]
    fn unique_fields_are_unique_and_deterministic() {
        let plan = plan();
        for spec in &super::super::SPECS {
            let a = records(&plan, spec);
            let b = records(&plan, spec);
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.fields, y.fields);
            }
            if let Some(u) = spec.unique() {
                let mut seen = std::collections::HashSet::new();
                for r in &a {
                    if let Some(v) = r.fields.get(u).and_then(Value::as_str) {
                        assert!(seen.insert(v.to_ascii_lowercase()), "{} {u} {v}", spec.name);
                    }
                }
            }
        }
        let leads = records(&plan, &super::super::SPECS[0]);
        assert_eq!(leads.len(), 3000);
        // Created times grow with ids.
        assert!(leads
            .windows(2)
            .all(|w| w[0].fields["Created_Time"].as_str().unwrap()
                < w[1].fields["Created_Time"].as_str().unwrap()));
    }

    #[test]
    fn records_fit_their_schema() {
        let plan = plan();
        for spec in &super::super::SPECS {
            for r in records(&plan, spec) {
                for (k, v) in &r.fields {
                    if crate::schema::is_system_key(k) {
                        continue;
                    }
                    let field = spec
                        .field(k)
                        .unwrap_or_else(|| panic!("{} has no field {k}", spec.name));
                    assert_eq!(field.check(v), Ok(()), "{} {k} {v}", spec.name);
                    if let (crate::schema::Kind::Picklist(values), Some(s)) =
                        (field.kind, v.as_str())
                    {
                        assert!(values.contains(&s), "{} {k} {s}", spec.name);
                    }
                }
                for m in spec.mandatory() {
                    assert!(
                        r.fields.get(m.api_name).is_some_and(|v| !v.is_null()),
                        "{} {}",
                        spec.name,
                        m.api_name
                    );
                }
            }
        }
    }

    #[test]
    fn lookups_point_at_existing_accounts() {
        let plan = plan();
        let accounts: std::collections::HashSet<String> = records(&plan, &super::super::SPECS[2])
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(accounts.len(), 300);
        for r in records(&plan, &super::super::SPECS[3]) {
            let id = r.fields["Account_Name"]["id"].as_str().unwrap().to_owned();
            assert!(accounts.contains(&id));
        }
    }
}
