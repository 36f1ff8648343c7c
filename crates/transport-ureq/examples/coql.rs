//! COQL: a query built with escaping, paged with `limit offset, count`, rows decoded on access.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example coql -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::records::{Cond, Coql, SortOrder};
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let query = Coql::select(["Last_Name", "Email"])
        .from("Leads")
        // Values are escaped: a quote in a name cannot change the query.
        .filter(Cond::is_not_null("Email").and(Cond::ne("Last_Name", "O'Brien")))
        .order_by("Last_Name", SortOrder::Asc)
        .limit(200); // rows per call: the iterator pages on with `limit offset, 200`
    println!("{}", query.to_query()?);
    for row in client.coql(query).take(10) {
        let row = row?;
        println!("{:?} {:?}", row.str("Last_Name")?, row.str("Email")?);
    }
    Ok(())
}
