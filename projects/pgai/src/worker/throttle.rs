//! How many embedding requests a worker keeps in flight, and when each may start. One
//! [`Throttle`] per provider endpoint and key name, shared by every vectorizer and task of the
//! process that sends to it:
//!
//! - an adaptive limit of requests in flight ([`Aimd`]): it grows while the provider's latency
//!   holds and no 429 comes, and halves on a 429 or a timeout;
//! - pauses the provider asks for: `Retry-After` on a 429, and OpenAI's `x-ratelimit-*` headers
//!   (a spent budget pauses until its reset);
//! - optional budgets of requests and tokens per minute ([`Budget`]): in this process, or
//!   shared through the database by every worker on every host that uses the same database,
//!   provider endpoint and key name (a row of `ai_extra.rate_limit`, named after them: never the
//!   key itself).
//!
//! A batch takes a [`Permit`] (a place in flight) before it claims its rows, so it never holds
//! its transaction while waiting for room. With budgets, it also takes the process's [`Turn`]
//! before the claim: one batch at a time claims, learns how many tokens it will send, reserves
//! them and waits for its start; so a process books one start ahead at most, and no turn is
//! booked for rows that another worker ends up taking.

use providers::ratelimit::{Aimd, Gcra, RateHeaders};
use providers::HeaderMap;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Requests in flight at first, and at most, per throttle.
pub const INITIAL_IN_FLIGHT: usize = 4;
pub const MAX_IN_FLIGHT: usize = 64;
/// How far ahead of the steady pace a budget may run.
const BURST: Duration = Duration::from_millis(500);

/// Budgets configured for a throttle: requests and tokens per minute (none: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub requests_per_minute: Option<f64>,
    pub tokens_per_minute: Option<f64>,
}

impl Limits {
    /// The lower of two configurations, limit by limit.
    pub fn min(self, other: Limits) -> Limits {
        let pick = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Limits {
            requests_per_minute: pick(self.requests_per_minute, other.requests_per_minute),
            tokens_per_minute: pick(self.tokens_per_minute, other.tokens_per_minute),
        }
    }

    pub fn is_none(&self) -> bool {
        self.requests_per_minute.is_none() && self.tokens_per_minute.is_none()
    }
}

#[derive(Debug)]
struct State {
    aimd: Aimd,
    in_flight: usize,
    /// No request starts before this (a 429's Retry-After, a spent header budget).
    paused_until: Option<Instant>,
    /// Tokens per request lately (for estimates before a batch is chunked).
    tokens_per_request: f64,
    limits: Limits,
    local: (Option<Gcra>, Option<Gcra>),
    rate_limited: u64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Throttle {
    /// `provider base_url key_name`: the name of the shared budget's row, and of log lines.
    name: String,
    state: Mutex<State>,
    changed: Notify,
    /// The database of the shared budget; `None`: budgets are this process's.
    shared: Mutex<Option<PgPool>>,
    /// One request at a time reserves on the budgets and waits for its start (see [`Turn`]).
    pacing: Arc<tokio::sync::Mutex<()>>,
}

/// The right to reserve on the budgets and wait for a start: one holder per throttle.
#[derive(Debug)]
pub struct Turn(#[allow(dead_code, reason = "held for its Drop")] tokio::sync::OwnedMutexGuard<()>);

/// A request's place in the throttle: released when dropped.
#[derive(Debug)]
pub struct Permit {
    throttle: Arc<Throttle>,
    /// Tokens reserved on the budget.
    tokens: f64,
    released: bool,
}

/// How a request ended, for the throttle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Answered in this time; the provider counted these tokens (when it says).
    Ok(Duration, Option<u64>),
    /// A 429, with the wait it asked for.
    RateLimited(Option<Duration>),
    /// A timeout (the provider is overloaded).
    TimedOut,
    /// Any other failure.
    Failed,
}

static REGISTRY: OnceLock<Mutex<HashMap<String, Arc<Throttle>>>> = OnceLock::new();

impl Throttle {
    /// The process's throttle for `name`, its limits lowered to `limits` where they are lower.
    pub fn get(name: &str, limits: Limits, shared: Option<&PgPool>) -> Arc<Throttle> {
        let registry = REGISTRY.get_or_init(Default::default);
        let throttle = registry
            .lock()
            .unwrap()
            .entry(name.to_string())
            .or_insert_with(|| {
                Arc::new(Throttle {
                    name: name.to_string(),
                    state: Mutex::new(State {
                        aimd: Aimd::new(INITIAL_IN_FLIGHT, MAX_IN_FLIGHT),
                        in_flight: 0,
                        paused_until: None,
                        tokens_per_request: 0.0,
                        limits: Limits::default(),
                        local: (None, None),
                        rate_limited: 0,
                    }),
                    changed: Notify::new(),
                    shared: Mutex::new(None),
                    pacing: Arc::new(tokio::sync::Mutex::new(())),
                })
            })
            .clone();
        throttle.configure(limits, shared);
        throttle
    }

    fn configure(&self, limits: Limits, shared: Option<&PgPool>) {
        let mut s = self.state.lock().unwrap();
        let merged = s.limits.min(limits);
        if merged != s.limits {
            s.limits = merged;
            s.local = (
                merged.requests_per_minute.map(|r| Gcra::per_minute(r, BURST)),
                merged.tokens_per_minute.map(|t| Gcra::per_minute(t, BURST)),
            );
        }
        if let Some(pool) = shared {
            self.shared.lock().unwrap().get_or_insert_with(|| pool.clone());
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Requests that may be in flight now.
    pub fn limit(&self) -> usize {
        self.state.lock().unwrap().aimd.limit()
    }

    /// 429s answered so far.
    pub fn rate_limited(&self) -> u64 {
        self.state.lock().unwrap().rate_limited
    }

    /// Whether a new request could start at once (room in flight, no pause).
    pub fn has_room(&self) -> bool {
        let s = self.state.lock().unwrap();
        s.in_flight < s.aimd.limit() && s.paused_until.is_none_or(|p| p <= Instant::now())
    }

    /// Tokens a request is expected to carry (before its batch is chunked).
    pub fn estimate(&self) -> f64 {
        self.state.lock().unwrap().tokens_per_request
    }

    /// Waits for room, any pause and the budget, then takes a place for a request of about
    /// `tokens` tokens.
    pub async fn acquire(self: &Arc<Self>, tokens: f64) -> Permit {
        let mut permit = self.place().await;
        permit.wait_for_budget(tokens, None).await;
        permit
    }

    /// Waits for room and any pause, then takes a place in flight (no budget yet: see
    /// [`Permit::wait_for_budget`]).
    pub async fn place(self: &Arc<Self>) -> Permit {
        loop {
            let notified = self.changed.notified();
            let wait = {
                let mut s = self.state.lock().unwrap();
                let now = Instant::now();
                match s.paused_until.filter(|p| *p > now) {
                    Some(until) => Some(until - now),
                    None if s.in_flight < s.aimd.limit() => {
                        s.in_flight += 1;
                        None
                    }
                    None => Some(Duration::from_secs(3600)), // until a place is released
                }
            };
            match wait {
                None => break,
                Some(d) => {
                    let _ = tokio::time::timeout(d, notified).await;
                }
            }
        }
        Permit { throttle: self.clone(), tokens: 0.0, released: false }
    }

    /// The turn to reserve on the budgets (`None` without budgets).
    pub async fn turn(&self) -> Option<Turn> {
        if self.state.lock().unwrap().limits.is_none() {
            return None;
        }
        Some(Turn(self.pacing.clone().lock_owned().await))
    }

    /// Reserves `requests` and `tokens` on the budgets; when they may be spent.
    async fn reserve(&self, requests: f64, tokens: f64) -> Instant {
        let (limits, pool) = {
            let s = self.state.lock().unwrap();
            (s.limits, self.shared.lock().unwrap().clone())
        };
        if limits.is_none() {
            return Instant::now();
        }
        if let Some(pool) = pool {
            match shared_reserve(&pool, &self.name, limits, requests, tokens).await {
                Ok(delay) => return Instant::now() + delay,
                Err(e) => {
                    tracing::warn!(throttle = %self.name, error = %e, "the shared rate budget is unavailable; budgeting in this process");
                    *self.shared.lock().unwrap() = None;
                }
            }
        }
        let mut s = self.state.lock().unwrap();
        let now = Instant::now();
        let r = s.local.0.as_mut().map(|g| g.reserve(now, requests));
        let t = s.local.1.as_mut().map(|g| g.reserve(now, tokens));
        providers::ratelimit::start_of(r.into_iter().chain(t), now)
    }

    /// Corrects a reservation by `tokens` (negative: gives them back).
    async fn adjust(&self, tokens: f64) {
        let (limits, pool) = {
            let s = self.state.lock().unwrap();
            (s.limits, self.shared.lock().unwrap().clone())
        };
        if limits.tokens_per_minute.is_none() || tokens.abs() < 1.0 {
            return;
        }
        if let Some(pool) = pool {
            let _ = shared_adjust(&pool, &self.name, limits, tokens).await;
            return;
        }
        let mut s = self.state.lock().unwrap();
        if let Some(g) = s.local.1.as_mut() {
            g.adjust(Instant::now(), tokens);
        }
    }

    fn release(&self, outcome: Outcome) {
        let mut s = self.state.lock().unwrap();
        s.in_flight = s.in_flight.saturating_sub(1);
        match outcome {
            Outcome::Ok(latency, _) => s.aimd.on_success(latency),
            Outcome::RateLimited(wait) => {
                s.rate_limited += 1;
                s.aimd.on_overload();
                let until = Instant::now() + wait.unwrap_or(Duration::from_secs(1));
                s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
            }
            Outcome::TimedOut => s.aimd.on_overload(),
            Outcome::Failed => {}
        }
        drop(s);
        self.changed.notify_waiters();
    }
}

impl Permit {
    /// Reserves `tokens` (and a request) on the budgets and waits for the start they give,
    /// in `turn` (taken now when `None`).
    pub async fn wait_for_budget(&mut self, tokens: f64, turn: Option<Turn>) {
        let turn = match turn {
            Some(t) => Some(t),
            None => self.throttle.turn().await,
        };
        if turn.is_none() {
            return;
        }
        let start = self.throttle.reserve(1.0, tokens).await;
        self.tokens = tokens;
        let now = Instant::now();
        if start > now {
            tokio::time::sleep(start - now).await;
        }
        drop(turn);
    }

    /// The request ended.
    pub async fn done(mut self, outcome: Outcome) {
        if let Outcome::Ok(_, Some(counted)) = outcome {
            let counted = counted as f64;
            self.throttle.adjust(counted - self.tokens).await;
            let mut s = self.throttle.state.lock().unwrap();
            s.tokens_per_request =
                if s.tokens_per_request == 0.0 { counted } else { 0.8 * s.tokens_per_request + 0.2 * counted };
        }
        self.released = true;
        self.throttle.release(outcome);
    }

    /// The batch sends nothing after all: the place and the reserved tokens go back.
    pub async fn cancel(mut self) {
        self.throttle.adjust(-self.tokens).await;
        self.released = true;
        self.throttle.release(Outcome::Failed);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.released {
            self.throttle.release(Outcome::Failed);
        }
    }
}

impl providers::http::Observer for Throttle {
    /// An answer's rate-limit headers: a spent budget pauses every request until its reset.
    fn answered(&self, _status: u16, headers: &HeaderMap) {
        let Some(h) = RateHeaders::parse(headers) else { return };
        let estimate = self.estimate().max(1.0) as u64;
        let wait = h.wait_for(estimate);
        if !wait.is_zero() {
            let until = Instant::now() + wait;
            let mut s = self.state.lock().unwrap();
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
            tracing::debug!(throttle = %self.name, ?wait, "the provider's budget is spent: pausing");
        }
    }
}

/// Seconds per unit of a per-minute limit (0: no limit).
fn per_unit(per_minute: Option<f64>) -> f64 {
    per_minute.map_or(0.0, |r| 60.0 / r.max(f64::MIN_POSITIVE))
}

/// Reserves on the shared budget (the arithmetic of [`Gcra`] in a row of `ai_extra.rate_limit`,
/// by `ai_extra.rate_limit_reserve`); the delay before the request may start, by the
/// database's clock.
async fn shared_reserve(
    pool: &PgPool,
    name: &str,
    limits: Limits,
    requests: f64,
    tokens: f64,
) -> Result<Duration, sqlx::Error> {
    let delay: f64 = sqlx::query_scalar("select ai_extra.rate_limit_reserve($1, $2, $3, $4)")
        .bind(name)
        .bind(requests * per_unit(limits.requests_per_minute))
        .bind(tokens * per_unit(limits.tokens_per_minute))
        .bind(BURST.as_secs_f64())
        .fetch_one(pool)
        .await?;
    Ok(Duration::from_secs_f64(delay.max(0.0)))
}

async fn shared_adjust(pool: &PgPool, name: &str, limits: Limits, tokens: f64) -> Result<(), sqlx::Error> {
    sqlx::query("select ai_extra.rate_limit_adjust($1, $2, $3)")
        .bind(name)
        .bind(tokens * per_unit(limits.tokens_per_minute))
        .bind(BURST.as_secs_f64())
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_combine_to_the_lower() {
        let a = Limits { requests_per_minute: Some(3000.0), tokens_per_minute: None };
        let b = Limits { requests_per_minute: Some(500.0), tokens_per_minute: Some(1e6) };
        assert_eq!(a.min(b), Limits { requests_per_minute: Some(500.0), tokens_per_minute: Some(1e6) });
        assert!(Limits::default().is_none());
    }

    #[tokio::test]
    async fn places_are_limited_released_and_halved_on_a_429() {
        let t = Throttle::get("test places", Limits::default(), None);
        let mut permits = Vec::new();
        for _ in 0..INITIAL_IN_FLIGHT {
            permits.push(t.acquire(10.0).await);
        }
        assert!(!t.has_room());
        let waiting = {
            let t = t.clone();
            tokio::spawn(async move { t.acquire(10.0).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "no fifth place");
        permits.pop().unwrap().done(Outcome::Ok(Duration::from_millis(5), Some(12))).await;
        let fifth = tokio::time::timeout(Duration::from_secs(1), waiting).await.unwrap().unwrap();
        assert_eq!(t.estimate(), 12.0);
        // a 429 halves the limit and pauses everyone for its Retry-After
        fifth.done(Outcome::RateLimited(Some(Duration::from_millis(200)))).await;
        assert_eq!(t.limit(), INITIAL_IN_FLIGHT / 2);
        assert_eq!(t.rate_limited(), 1);
        drop(permits);
        assert!(!t.has_room(), "paused");
        let started = Instant::now();
        let p = t.acquire(1.0).await;
        assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
        p.cancel().await;
    }

    #[tokio::test]
    async fn a_local_budget_spaces_requests() {
        // 1200 a minute: 50 ms apart after a 500 ms burst (10 requests)
        let t =
            Throttle::get("test budget", Limits { requests_per_minute: Some(1200.0), tokens_per_minute: None }, None);
        let started = Instant::now();
        for _ in 0..14 {
            t.acquire(1.0).await.done(Outcome::Ok(Duration::from_millis(1), None)).await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(100) && elapsed < Duration::from_millis(600), "{elapsed:?}");
    }
}
