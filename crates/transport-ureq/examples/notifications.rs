//! Notifications: enable a watch channel, list it, check a notification's token, disable it.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example notifications -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::notifications::{
    DisableNotifications, EnableNotifications, GetNotifications, NotificationPayload, WatchChannel,
};
use zohocrm_ureq::zohocrm_core::time::{Duration, OffsetDateTime};
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let channel = WatchChannel::new(
        "1000000068001",
        ["Leads.all"],
        "https://hooks.example.com/zoho",
    )
    .token("a-secret-of-my-own")
    .channel_expiry(OffsetDateTime::now_utc() + Duration::days(1));
    let enabled = client.enable_notifications(&EnableNotifications::new([channel]))?;
    println!("enabled: {}", enabled.all_succeeded());

    for watch in client.send(&GetNotifications::new())?.watch {
        println!("channel {} on {:?}", watch.channel_id, watch.events);
    }

    // What Zoho posts to the URL, checked against the channel's token in constant time.
    let posted = br#"{"server_time":1700000000000,"module":"Leads","resource_uri":"https://www.zohoapis.com/crm/v8/Leads","ids":["111"],"affected_fields":[],"operation":"insert","channel_id":"1000000068001","token":"a-secret-of-my-own"}"#;
    let payload =
        NotificationPayload::parse_verified(posted, "1000000068001", "a-secret-of-my-own")?;
    println!("notified: {:?} {:?}", payload.operation, payload.ids);

    let disabled = client.send(&DisableNotifications::new(["1000000068001"]))?;
    println!("disabled: {}", disabled.all_succeeded());
    Ok(())
}
