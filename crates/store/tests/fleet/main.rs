//! The stores against real servers (Debian's `redis-server` and `postgresql`, started by the
//! tests) and fleets of worker processes against the mock.

mod postgres_store;
mod redis_fleet;
mod redis_org;
mod redis_org_fleet;
mod redis_store;
mod servers;
mod worker;
