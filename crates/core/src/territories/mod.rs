//! Territories: the territory tree (`/settings/territories`), users of a territory
//! (`/settings/territories/{territory}/users`), territories of a user (`/users/{user}/territories`)
//! and assigning territories to records (`/{module}/actions/assign_territories`).
//!
//! Territory management must be enabled in the organisation, otherwise every call answers
//! `403 TERRITORY_NOT_ENABLED`. Requests are validated before any IO: at most 10 territories per
//! create, update, delete or transfer call, the required keys of a new territory, names without
//! Zoho's forbidden characters, non-empty id lists, `per_page` ranges, and at most 10 territories
//! per record in assign/remove calls.
//!
//! ```
//! use zohocrm_core::territories::{CreateTerritories, PermissionType, TerritoryInput};
//! use zohocrm_core::Endpoint;
//!
//! let create = CreateTerritories::new([TerritoryInput::create(
//!     "West",
//!     "111111000000000001",
//!     PermissionType::ReadOnly,
//! )]);
//! assert!(create.parts().is_ok());
//! let bad = CreateTerritories::new([TerritoryInput::create("A&B", "1", PermissionType::ReadOnly)]);
//! assert!(bad.parts().is_err());
//! ```

// The record-side operations (assign and remove territories of records) are in the spec's
// `record` file, so they come with the `records` cluster; the rest with `territories`.
mod models;
#[cfg(feature = "records")]
mod records;
#[cfg(feature = "territories")]
mod settings;
#[cfg(all(test, feature = "territories"))]
mod tests;
#[cfg(feature = "territories")]
mod user_territories;
#[cfg(feature = "territories")]
mod users;

pub use models::*;
#[cfg(feature = "records")]
pub use records::*;
#[cfg(feature = "territories")]
pub use settings::*;
#[cfg(feature = "territories")]
pub use user_territories::*;
#[cfg(feature = "territories")]
pub use users::*;

use crate::error::BuildError;

/// Territories per create, update, delete or transfer call.
pub const MAX_TERRITORIES_PER_CALL: usize = 10;
/// Territories per record in one assign or remove call (Deals accept one; Zoho enforces that).
pub const MAX_TERRITORIES_PER_RECORD: usize = 10;
/// Territories per call when associating territories with a user.
pub const MAX_TERRITORIES_PER_USER_CALL: usize = 100;
/// Characters Zoho refuses in territory names.
pub const FORBIDDEN_NAME_CHARS: &[char] = &[
    '^', '~', '`', '#', '%', '&', '+', '=', '[', ']', '{', '}', '|', '\\', ';', '"', '\'', '<',
    '>', ',',
];

/// Between `min` and `max` items.
fn count_in(param: &'static str, len: usize, min: usize, max: usize) -> Result<(), BuildError> {
    if len < min {
        return Err(if min == 1 {
            BuildError::Missing(param)
        } else {
            BuildError::Invalid {
                param,
                reason: format!("at least {min} required, got {len}"),
            }
        });
    }
    if len > max {
        return Err(BuildError::Invalid {
            param,
            reason: format!("at most {max} per call, got {len}"),
        });
    }
    Ok(())
}

/// An id list: `min..=max` entries, none blank.
#[cfg(feature = "territories")]
fn id_list(param: &'static str, ids: &[String], min: usize, max: usize) -> Result<(), BuildError> {
    count_in(param, ids.len(), min, max)?;
    if let Some(i) = ids.iter().position(|id| id.trim().is_empty()) {
        return Err(BuildError::Invalid {
            param,
            reason: format!("entry {i} is empty"),
        });
    }
    Ok(())
}

/// A territory name: not blank, none of Zoho's forbidden characters.
#[cfg(feature = "territories")]
fn check_name(index: usize, name: &str) -> Result<(), BuildError> {
    if name.trim().is_empty() {
        return Err(BuildError::Invalid {
            param: "name",
            reason: format!("territories[{index}]: the name is empty"),
        });
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN_NAME_CHARS.contains(c)) {
        return Err(BuildError::Invalid {
            param: "name",
            reason: format!("territories[{index}]: `{c}` is not allowed in territory names"),
        });
    }
    Ok(())
}

/// `page` ≥ 1 and `per_page` in `1..=max`.
#[cfg(feature = "territories")]
fn check_paging(page: Option<u32>, per_page: Option<u32>, max: u32) -> Result<(), BuildError> {
    if page == Some(0) {
        return Err(BuildError::Invalid {
            param: "page",
            reason: "pages start at 1".into(),
        });
    }
    if let Some(pp) = per_page {
        if pp == 0 || pp > max {
            return Err(BuildError::Invalid {
                param: "per_page",
                reason: format!("must be between 1 and {max}, got {pp}"),
            });
        }
    }
    Ok(())
}
