//! Territories: settings of territories, their users, territories of users, and assigning
//! territories to records.

use crate::registry::Operation;

/// Every territory operation, for the [`registry`](crate::registry).
pub fn operations() -> Vec<Operation> {
    Vec::new()
}
