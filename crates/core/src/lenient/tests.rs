//! The lenient rules, on small hand-declared models (the generated ones use the same macros).

use serde_json::json;

use super::*;

string_enum! {
    /// A test enum.
    pub enum Format { HhMm = "HH:mm", HhMmA = "hh:mm a" }
}

model! {
    /// A role.
    pub struct Role { "id" => id: String, "name" => name: String }
}

model! {
    /// A user.
    pub struct User {
        "id" => id: String,
        "offset" => offset: i64,
        "rate" => rate: f64,
        "confirm" => confirm: bool,
        "created_time" => created_time: DateTime,
        "time_format" => time_format: Format,
        "role" => role: Role,
        "tags" => tags: Vec<String>,
        "roles" => roles: Vec<Role>,
        "token" => token: Secret,
        "type" => r#type: String,
    }
}

#[test]
fn strings_for_numbers_and_numbers_for_strings() {
    let u: User = decode(
        r#"{"id": 4150868000000225013, "offset": "19800000", "rate": "1.5", "confirm": "true"}"#,
    )
    .unwrap();
    assert_eq!(u.id.as_deref(), Some("4150868000000225013"));
    assert_eq!(u.offset, Some(19_800_000));
    assert_eq!(u.rate, Some(1.5));
    assert_eq!(u.confirm, Some(true));
    assert!(u.extra.is_empty());
    // Numbers keep their text exactly.
    let u: User = decode(r#"{"id": 12.50}"#).unwrap();
    assert_eq!(u.id.as_deref(), Some("12.50"));
}

#[test]
fn odd_kinds_are_kept_and_round_trip() {
    let text = r#"{"id":"1","offset":"soon","role":"Administrator","tags":["a",null],"roles":[{"id":"2"},"x"],"new_key":{"deep":[1,2]},"time_format":"H.mm"}"#;
    let u: User = decode(text).unwrap();
    assert_eq!(u.offset, None);
    assert_eq!(u.role, None);
    assert_eq!(u.tags, None);
    assert_eq!(u.roles, None);
    assert_eq!(u.time_format, Some(Format::Unknown("H.mm".into())));
    assert_eq!(u.extra["offset"], json!("soon"));
    assert_eq!(u.extra["role"], json!("Administrator"));
    assert_eq!(u.extra["tags"], json!(["a", null]));
    assert_eq!(u.extra["roles"], json!([{"id": "2"}, "x"]));
    // Nothing is lost: the value written back equals the value read.
    let back = serde_json::to_value(&u).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
}

#[test]
fn nulls_read_as_none_and_fields_set_by_the_user_win() {
    let mut u: User = decode(r#"{"id": null, "role": null, "roles": null, "extra": 1}"#).unwrap();
    assert_eq!(
        u,
        User {
            extra: [("extra".to_owned(), json!(1))].into_iter().collect(),
            ..User::default()
        }
    );
    u.extra.insert("offset".into(), json!("x"));
    u.offset = Some(3);
    assert_eq!(
        serde_json::to_value(&u).unwrap(),
        json!({"offset": 3, "extra": 1})
    );
}

#[test]
fn enums_dates_and_secrets() {
    let u: User = decode(r#"{"time_format": "hh:mm a", "created_time": "2024-01-15T10:30:00+05:30", "token": "s3cret", "type": "x"}"#).unwrap();
    assert_eq!(u.time_format, Some(Format::HhMmA));
    assert_eq!(Format::HhMm.as_str(), "HH:mm");
    assert_eq!(
        u.created_time
            .as_ref()
            .unwrap()
            .parse()
            .unwrap()
            .offset()
            .whole_minutes(),
        330
    );
    assert_eq!(u.r#type.as_deref(), Some("x"));
    let debug = format!("{u:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert_eq!(serde_json::to_value(&u).unwrap()["token"], json!("s3cret"));
    assert!(DateTime::from("nope").parse().is_err());
    assert_eq!(
        Date::from("2024-02-29").parse().map(|d| d.ordinal()),
        Some(60)
    );
}

#[test]
fn malformed_json_fails_with_a_path() {
    let e = decode::<User>(r#"{"roles": [{"id": "1"}, {"id": "2", "name": tru}]}"#).unwrap_err();
    assert_eq!(e.path(), "roles[1].name");
    assert!(decode::<User>(r#"{"id": "1"} x"#).is_err());
    assert!(decode::<User>("[1]").is_err());
    assert_eq!(decode::<User>("null").unwrap(), User::default());
}

#[test]
fn models_deserialize_from_any_serde_source() {
    let u: User = serde_json::from_value(json!({"offset": "7", "zzz": true})).unwrap();
    assert_eq!(u.offset, Some(7));
    assert_eq!(u.extra["zzz"], json!(true));
}
