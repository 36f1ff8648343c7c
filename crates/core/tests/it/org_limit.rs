//! The exchange's org-wide limiter steps: a slot acquired after the in-process permit and
//! released (one more step) on every path, a full org waited for and then refused, the budget
//! refused unsent, and an unreachable limiter that leaves the call to the in-process limiter.
//! Also the in-process credit count and budget.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use zohocrm_core::error::{LimitErrorKind, TransportErrorKind};
use zohocrm_core::features::GetUserLicences;
use zohocrm_core::org_limit::{OrgAsk, OrgGrant, OrgLease, OrgLimiter, OrgOp, OrgRelease};
use zohocrm_core::token_store::StoreError;
use zohocrm_core::{
    Context, Credentials, DataCenter, Environment, Error, Exchange, RetryPolicy, Session, Step,
    TransportError,
};

use crate::driving::{fail, instant, poll, respond, t0};

/// What the fake limiter answers next, and what it saw.
#[derive(Default)]
struct Fake {
    answers: Mutex<Vec<Result<&'static str, ()>>>,
    asks: Mutex<Vec<OrgAsk>>,
    released: Mutex<Vec<(u32, OrgRelease)>>,
}

impl OrgLimiter for Fake {
    fn acquire(&self, ask: &OrgAsk) -> Result<OrgGrant, StoreError> {
        self.asks.lock().unwrap().push(*ask);
        let next = self.answers.lock().unwrap().pop().unwrap_or(Ok("granted"));
        match next {
            Ok("full") => Ok(OrgGrant::Full),
            Ok("over") => Ok(OrgGrant::OverBudget { spent: 99 }),
            Ok(_) => Ok(OrgGrant::Granted {
                lease: OrgLease::new(self.asks.lock().unwrap().len() as u32),
                spent: Some(7),
                remaining: Some(4000),
            }),
            Err(()) => Err(StoreError {
                path: "redis://h".into(),
                message: "unreachable".into(),
            }),
        }
    }

    fn release(&self, lease: OrgLease, release: &OrgRelease) -> Result<(), StoreError> {
        let id = *lease.guard::<u32>().expect("a lease of this limiter");
        self.released.lock().unwrap().push((id, *release));
        Ok(())
    }
}

fn session(fake: &Arc<Fake>) -> Arc<Session> {
    Arc::new(
        Session::new(
            Context::new(DataCenter::Eu, Environment::Production),
            Credentials::AccessToken("fixed".into()),
        )
        .with_org_limiter(fake.clone())
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_delays(Duration::from_millis(10), Duration::from_millis(20)),
        ),
    )
}

fn ok_licences(remaining: Option<&str>) -> http::Response<Vec<u8>> {
    let body = br#"{"__features":[{"api_name":"user_licenses","details":{"available_count":{"total":3},"used_count":{"total":7},"limits":{"total":10}}}]}"#;
    let mut b = http::Response::builder().status(200);
    if let Some(r) = remaining {
        b = b.header("X-API-CREDITS-REMAINING", r);
    }
    b.body(body.to_vec()).unwrap()
}

/// Polls, performing org steps on `fake` as a driver does; returns the first other step.
fn drive<E: zohocrm_core::Endpoint>(
    ex: &mut Exchange<E>,
    fake: &Fake,
    at: std::time::SystemTime,
) -> Step<E::Output> {
    loop {
        match poll(ex, at) {
            Step::Org(op) => {
                let reply = op.perform(fake);
                ex.on_org(instant(at), reply);
            }
            other => return other,
        }
    }
}

#[test]
fn a_slot_is_taken_after_the_permit_and_released_with_the_answer() {
    let fake = Arc::new(Fake::default());
    let s = session(&fake);
    let ep = GetUserLicences;
    let mut ex = Exchange::new(s.clone(), &ep, 1);
    // The step itself, by hand: the in-process permit is already held when it is asked.
    let Step::Org(OrgOp::Acquire(ask)) = poll(&mut ex, t0()) else {
        panic!("an acquire first")
    };
    assert_eq!(s.limiter().in_flight(), 1);
    assert_eq!(ask.credits, 1);
    assert!(!ask.cost.heavy);
    ex.on_org(instant(t0()), OrgOp::Acquire(ask).perform(&*fake));
    assert!(matches!(poll(&mut ex, t0()), Step::Send(_)));
    respond(&mut ex, t0(), ok_licences(Some("4,321")));
    assert_eq!(s.limiter().in_flight(), 0, "the permit at once");
    let Step::Org(release @ OrgOp::Release { .. }) = poll(&mut ex, t0()) else {
        panic!("the release before the result")
    };
    ex.on_org(instant(t0()), release.perform(&*fake));
    assert!(matches!(poll(&mut ex, t0()), Step::Done(Ok(_))));
    let released = fake.released.lock().unwrap().clone();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].1.refund, 0);
    assert_eq!(released[0].1.remaining, Some(4321));
    let usage = s.credits(instant(t0()));
    assert_eq!(usage.remaining, Some(4321));
    assert_eq!(usage.spent, 7, "the fleet's count from the grant");
}

#[test]
fn a_transport_error_and_a_5xx_release_before_the_backoff() {
    let fake = Arc::new(Fake::default());
    let s = session(&fake);
    let ep = GetUserLicences;
    let mut ex = Exchange::new(s.clone(), &ep, 1);
    assert!(matches!(drive(&mut ex, &fake, t0()), Step::Send(_)));
    fail(
        &mut ex,
        t0(),
        TransportError::new(TransportErrorKind::Connect, "refused"),
    );
    // The release comes before the backoff: the backoff holds no slot.
    let Step::Org(release @ OrgOp::Release { .. }) = poll(&mut ex, t0()) else {
        panic!("a release")
    };
    ex.on_org(instant(t0()), release.perform(&*fake));
    assert!(matches!(poll(&mut ex, t0()), Step::Backoff(_)));
    assert_eq!(
        fake.released.lock().unwrap()[0].1.refund,
        1,
        "never sent: refunded"
    );
    let later = t0() + Duration::from_secs(1);
    assert!(matches!(drive(&mut ex, &fake, later), Step::Send(_)));
    respond(
        &mut ex,
        later,
        http::Response::builder()
            .status(503)
            .body(Vec::new())
            .unwrap(),
    );
    let Step::Org(release @ OrgOp::Release { .. }) = poll(&mut ex, later) else {
        panic!("a release")
    };
    ex.on_org(instant(later), release.perform(&*fake));
    assert!(matches!(poll(&mut ex, later), Step::Backoff(_)));
    assert_eq!(
        fake.released.lock().unwrap()[1].1.refund,
        0,
        "a 5xx may have cost"
    );
    let last = t0() + Duration::from_secs(2);
    assert!(matches!(drive(&mut ex, &fake, last), Step::Send(_)));
    respond(&mut ex, last, ok_licences(None));
    assert!(matches!(drive(&mut ex, &fake, last), Step::Done(Ok(_))));
    assert_eq!(fake.asks.lock().unwrap().len(), 3, "one slot per attempt");
    assert_eq!(fake.released.lock().unwrap().len(), 3, "each given back");
}

#[test]
fn a_full_org_is_waited_for_then_refused() {
    let fake = Arc::new(Fake::default());
    *fake.answers.lock().unwrap() = vec![Ok("full"); 64];
    let s = session(&fake);
    let ep = GetUserLicences;
    let mut ex = Exchange::new(s.clone(), &ep, 1);
    let mut at = t0();
    let mut waits = 0;
    let error = loop {
        match drive(&mut ex, &fake, at) {
            Step::Backoff(until) => {
                assert_eq!(s.limiter().in_flight(), 0, "no permit held while waiting");
                let d = until - instant(at);
                assert!(d <= Duration::from_millis(320), "{d:?}");
                waits += 1;
                at += Duration::from_secs(10);
            }
            Step::Done(Err(e)) => break e,
            other => panic!("{other:?}"),
        }
    };
    let Error::Limit(e) = error else {
        panic!("{error:?}")
    };
    assert_eq!(e.kind, LimitErrorKind::OrgBusy);
    assert!(e.message.contains("120s"), "{e}");
    assert_eq!(waits, 12, "the default wait of 120 s");
}

#[test]
fn over_budget_fails_unsent_and_an_unreachable_limiter_is_skipped() {
    let fake = Arc::new(Fake::default());
    *fake.answers.lock().unwrap() = vec![Err(()), Ok("over")];
    let s = Arc::new(
        Session::new(
            Context::new(DataCenter::Eu, Environment::Production),
            Credentials::AccessToken("fixed".into()),
        )
        .with_org_limiter(fake.clone())
        .with_credit_budget(100),
    );
    let ep = GetUserLicences;
    let mut ex = Exchange::new(s.clone(), &ep, 1);
    let Step::Done(Err(Error::Limit(e))) = drive(&mut ex, &fake, t0()) else {
        panic!("refused")
    };
    assert_eq!(e.kind, LimitErrorKind::CreditBudget);
    assert!(e.message.contains("99 of 100"), "{e}");
    assert_eq!(fake.asks.lock().unwrap()[0].budget, Some(100));
    assert_eq!(s.limiter().in_flight(), 0);
    // The limiter's server is down: the call goes on under the in-process limiter.
    let mut ex = Exchange::new(s.clone(), &ep, 2);
    assert!(matches!(drive(&mut ex, &fake, t0()), Step::Send(_)));
    respond(&mut ex, t0(), ok_licences(None));
    assert!(matches!(drive(&mut ex, &fake, t0()), Step::Done(Ok(_))));
    assert!(
        fake.released.lock().unwrap().is_empty(),
        "nothing to release"
    );
    assert!(s
        .last_org_error()
        .is_some_and(|e| e.contains("unreachable")));
}

#[test]
fn the_in_process_budget_refuses_before_sending() {
    let s = Arc::new(
        Session::new(
            Context::new(DataCenter::Eu, Environment::Production),
            Credentials::AccessToken("fixed".into()),
        )
        .with_credit_budget(2),
    );
    let ep = GetUserLicences;
    for n in 0..2 {
        let mut ex = Exchange::new(s.clone(), &ep, n);
        assert!(matches!(poll(&mut ex, t0()), Step::Send(_)));
        respond(&mut ex, t0(), ok_licences(None));
        assert!(matches!(poll(&mut ex, t0()), Step::Done(Ok(_))));
    }
    let mut ex = Exchange::new(s.clone(), &ep, 3);
    assert!(matches!(
        poll(&mut ex, t0()),
        Step::Done(Err(Error::Limit(_)))
    ));
    assert_eq!(s.credits(instant(t0())).spent, 2);
    assert_eq!(s.credits(instant(t0())).budget, Some(2));
    // 25 hours later the window has rolled; a 429 is given back.
    let later = t0() + Duration::from_secs(25 * 3600);
    let mut ex = Exchange::new(s.clone(), &ep, 4);
    assert!(matches!(poll(&mut ex, later), Step::Send(_)));
    respond(
        &mut ex,
        later,
        http::Response::builder()
            .status(429)
            .body(
                br#"{"code":"TOO_MANY_REQUESTS","details":{},"message":"x","status":"error"}"#
                    .to_vec(),
            )
            .unwrap(),
    );
    assert_eq!(s.credits(instant(later)).spent, 0, "a 429 costs nothing");
}
