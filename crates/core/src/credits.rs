//! API credit accounting: what a call costs, what Zoho says is left, and an optional daily
//! budget that makes calls fail fast (with [`LimitError`]) before Zoho answers
//! `429 TOO_MANY_REQUESTS`.
//!
//! Zoho counts credits per org over a rolling 24 hours (5,000 on Free up to millions on the
//! paid editions). The SDK counts what its own calls spend from the operations' published
//! costs ([`OpSpec::credits`]):
//!
//! - an operation with one cost (most: 1; merge 50, convert 5, …) counts that cost;
//! - a record write with a JSON `data` array (insert, update, upsert: 1 to 10) counts one
//!   credit per 10 records, within the operation's range;
//! - any other range (COQL 1–3, add tags 1–50, composite 1–2) counts its documented minimum,
//!   and a call without metadata (a raw path) counts 1.
//!
//! A call is counted when its request is sent, and given back when Zoho certainly did not serve
//! it (a 429, or a connection that was never made). Spending is kept in hour buckets over the
//! 25 last hours: a credit leaves the window 24 to 25 hours after it was spent, never before
//! Zoho frees it. The last `X-API-CREDITS-REMAINING` header seen (sent by Zoho once half the
//! window is used) is kept as reported.
//!
//! With a shared limiter (e.g. `zohocrm-store`'s Redis limiter) the budget is checked and the
//! spending counted fleet-wide; [`CreditLedger`] is the in-process count, used alone without
//! one, or while its server is unreachable.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::{LimitError, LimitErrorKind};
use crate::op_spec::OpSpec;
use crate::request::{Body, RequestParts};

/// Zoho's credit window.
pub const WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The width of a bucket of the window.
const BUCKET: Duration = Duration::from_secs(3600);

/// Buckets kept: the current hour and the 24 before it.
const BUCKETS: u64 = 25;

/// The header Zoho reports the credits left in (once half the window is used).
pub const REMAINING_HEADER: &str = "x-api-credits-remaining";

/// The credits a call of `spec` with these parts is counted as (see the module docs).
pub fn credit_cost(spec: Option<&OpSpec>, parts: &RequestParts) -> u32 {
    let Some(spec) = spec else { return 1 };
    let (min, max) = (u32::from(spec.credits.min), u32::from(spec.credits.max));
    let max = max.max(min);
    if min == max {
        return min;
    }
    match &parts.body {
        Body::Json(bytes) => records_in(bytes)
            .map(|n| {
                u32::try_from(n.div_ceil(10))
                    .unwrap_or(u32::MAX)
                    .clamp(min, max)
            })
            .unwrap_or(min),
        _ => min,
    }
}

/// The length of a JSON body's top-level `data` array.
fn records_in(body: &[u8]) -> Option<usize> {
    #[derive(serde::Deserialize)]
    struct Data {
        data: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Data>(body)
        .ok()
        .map(|d| d.data.len())
}

/// The credits left as Zoho reported them, read leniently: surrounding spaces, a `+`, digit
/// group separators and a decimal part are accepted; anything else (negative, not a number)
/// is no report.
pub fn parse_remaining(headers: &http::HeaderMap) -> Option<u64> {
    let text = headers.get(REMAINING_HEADER)?.to_str().ok()?.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let whole = text.split('.').next()?;
    let digits: String = whole
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' '))
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // More digits than a u64 holds: as good as unlimited.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// A snapshot of the credits of a session (see [`Session::credits`](crate::Session::credits)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct CreditUsage {
    /// Credits spent in the window: by this process, or by the fleet when a shared limiter
    /// reported its count (the larger of the two).
    pub spent: u64,
    /// The credits left by Zoho's last `X-API-CREDITS-REMAINING` header, if one was seen.
    pub remaining: Option<u64>,
    /// The daily budget, if one is set.
    pub budget: Option<u64>,
}

/// The in-process count of credits spent over the rolling window (see the module docs). Pure:
/// every method takes the driver's `now`.
#[derive(Debug, Default)]
pub struct CreditLedger {
    /// The instant bucket 0 starts at (the first one seen).
    base: Option<Instant>,
    /// (bucket index, credits), oldest first; at most [`BUCKETS`] entries.
    buckets: VecDeque<(u64, u64)>,
    remaining: Option<u64>,
    /// The fleet's count as a shared limiter last reported it, and when.
    shared: Option<(u64, u64)>,
}

impl CreditLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    fn index(&mut self, now: Instant) -> u64 {
        let base = *self.base.get_or_insert(now);
        now.saturating_duration_since(base).as_secs() / BUCKET.as_secs()
    }

    fn prune(&mut self, current: u64) {
        let oldest = current.saturating_sub(BUCKETS - 1);
        while self.buckets.front().is_some_and(|(i, _)| *i < oldest) {
            self.buckets.pop_front();
        }
        if self.shared.is_some_and(|(i, _)| i < current) {
            // A count from an earlier hour is stale (credits may have left the window).
            self.shared = None;
        }
    }

    /// Credits spent in the window at `now` (the larger of this process's and the fleet's).
    pub fn spent(&mut self, now: Instant) -> u64 {
        let current = self.index(now);
        self.prune(current);
        let own = self
            .buckets
            .iter()
            .fold(0u64, |sum, (_, n)| sum.saturating_add(*n));
        own.max(self.shared.map_or(0, |(_, n)| n))
    }

    /// Counts `credits` spent at `now`.
    pub fn charge(&mut self, now: Instant, credits: u32) {
        let current = self.index(now);
        self.prune(current);
        match self.buckets.back_mut() {
            Some((i, n)) if *i == current => *n = n.saturating_add(u64::from(credits)),
            _ => self.buckets.push_back((current, u64::from(credits))),
        }
    }

    /// Gives back `credits` counted at `now` for a call Zoho did not serve.
    pub fn refund(&mut self, now: Instant, credits: u32) {
        let mut left = u64::from(credits);
        let current = self.index(now);
        self.prune(current);
        for (_, n) in self.buckets.iter_mut().rev() {
            let back = left.min(*n);
            *n -= back;
            left -= back;
            if left == 0 {
                break;
            }
        }
    }

    /// Records Zoho's `X-API-CREDITS-REMAINING`.
    pub fn observe_remaining(&mut self, remaining: u64) {
        self.remaining = Some(remaining);
    }

    /// Records the fleet's count (credits spent in the window) and Zoho's last report as a
    /// shared limiter saw them at `now`.
    pub fn absorb_shared(&mut self, now: Instant, spent: u64, remaining: Option<u64>) {
        let current = self.index(now);
        self.shared = Some((current, spent));
        if remaining.is_some() {
            self.remaining = remaining;
        }
    }

    /// The last `X-API-CREDITS-REMAINING` seen.
    pub fn remaining(&self) -> Option<u64> {
        self.remaining
    }

    /// `Ok` when a call of `credits` fits `budget` at `now`; the typed error otherwise.
    pub fn check(&mut self, now: Instant, credits: u32, budget: u64) -> Result<(), LimitError> {
        let spent = self.spent(now);
        check_budget(spent, credits, budget)
    }
}

/// `Ok` when `credits` more fit `budget` after `spent`; the typed error otherwise.
pub fn check_budget(spent: u64, credits: u32, budget: u64) -> Result<(), LimitError> {
    if spent.saturating_add(u64::from(credits)) <= budget {
        return Ok(());
    }
    Err(over_budget(spent, credits, budget))
}

/// The error of a call refused by the daily budget.
pub fn over_budget(spent: u64, credits: u32, budget: u64) -> LimitError {
    LimitError::new(
        LimitErrorKind::CreditBudget,
        format!(
            "daily credit budget reached: {spent} of {budget} credits spent in the last 24 h, this call needs {credits}; not sent"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op_spec::Credits;

    fn spec(min: u16, max: u16) -> OpSpec {
        OpSpec {
            id: "test.op",
            verb: crate::op_spec::Verb::Post,
            path: "/crm/v8/Leads",
            target: crate::op_spec::Target::Api,
            params: &[],
            body: crate::op_spec::BodyKind::None,
            output: crate::op_spec::OutputKind::Typed,
            scopes: &[],
            idempotent: false,
            paging: crate::op_spec::Paging::None,
            heavy: false,
            credits: Credits { min, max },
        }
    }

    #[test]
    fn costs_from_the_specs() {
        let get = RequestParts::get("/crm/v8/org");
        assert_eq!(credit_cost(None, &get), 1);
        assert_eq!(credit_cost(Some(&spec(1, 1)), &get), 1);
        assert_eq!(credit_cost(Some(&spec(50, 50)), &get), 50);
        let records = |n: usize| {
            let data: Vec<_> = (0..n).map(|i| serde_json::json!({ "i": i })).collect();
            let mut p = RequestParts::post("/crm/v8/Leads");
            p.body = Body::Json(serde_json::to_vec(&serde_json::json!({ "data": data })).unwrap());
            p
        };
        let write = spec(1, 10);
        assert_eq!(credit_cost(Some(&write), &records(1)), 1);
        assert_eq!(credit_cost(Some(&write), &records(10)), 1);
        assert_eq!(credit_cost(Some(&write), &records(11)), 2);
        assert_eq!(credit_cost(Some(&write), &records(100)), 10);
        assert_eq!(credit_cost(Some(&write), &records(5000)), 10, "capped");
        assert_eq!(
            credit_cost(Some(&spec(1, 3)), &get),
            1,
            "the minimum otherwise"
        );
        let mut odd = RequestParts::post("/crm/v8/Leads");
        odd.body = Body::Json(b"{\"data\":\"x\"}".to_vec());
        assert_eq!(credit_cost(Some(&write), &odd), 1);
    }

    #[test]
    fn remaining_is_read_leniently() {
        let h = |v: &str| {
            let mut m = http::HeaderMap::new();
            m.insert(REMAINING_HEADER, v.parse().unwrap());
            parse_remaining(&m)
        };
        assert_eq!(h("4990"), Some(4990));
        assert_eq!(h(" +1,234 "), Some(1234));
        assert_eq!(h("12.0"), Some(12));
        assert_eq!(h("99999999999999999999999"), Some(u64::MAX));
        assert_eq!(h("-3"), None);
        assert_eq!(h("lots"), None);
        assert_eq!(h(""), None);
        assert_eq!(parse_remaining(&http::HeaderMap::new()), None);
    }

    #[test]
    fn the_window_rolls_and_the_budget_holds() {
        let t = Instant::now();
        let mut l = CreditLedger::new();
        l.charge(t, 3);
        l.charge(t + Duration::from_secs(10 * 3600), 4);
        assert_eq!(l.spent(t + Duration::from_secs(11 * 3600)), 7);
        assert!(l.check(t + Duration::from_secs(11 * 3600), 3, 10).is_ok());
        let e = l
            .check(t + Duration::from_secs(11 * 3600), 4, 10)
            .unwrap_err();
        assert_eq!(e.kind, LimitErrorKind::CreditBudget);
        assert!(e.to_string().contains("7 of 10"), "{e}");
        // 24 h after the first bucket it still counts; 25 h after, it is gone.
        assert_eq!(l.spent(t + Duration::from_secs(24 * 3600)), 7);
        assert_eq!(l.spent(t + Duration::from_secs(25 * 3600)), 4);
        l.refund(t + Duration::from_secs(25 * 3600), 10);
        assert_eq!(
            l.spent(t + Duration::from_secs(25 * 3600)),
            0,
            "never below 0"
        );
        l.charge(t, u32::MAX);
        l.charge(t, u32::MAX);
        assert_eq!(l.spent(t), 2 * u64::from(u32::MAX));
        assert!(
            check_budget(u64::MAX, 1, u64::MAX - 1).is_err(),
            "saturates"
        );
        assert!(
            check_budget(u64::MAX, u32::MAX, u64::MAX).is_ok(),
            "saturates"
        );
    }

    #[test]
    fn the_fleet_count_is_used_within_its_hour() {
        let t = Instant::now();
        let mut l = CreditLedger::new();
        l.charge(t, 2);
        l.absorb_shared(t, 40, Some(900));
        assert_eq!(l.spent(t), 40);
        assert_eq!(l.remaining(), Some(900));
        l.absorb_shared(t, 41, None);
        assert_eq!(l.remaining(), Some(900), "kept until a new report");
        assert_eq!(l.spent(t + Duration::from_secs(3600)), 2, "stale next hour");
    }
}
