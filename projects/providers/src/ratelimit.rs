//! Rate limits of model APIs, as pure logic (callers bring the clock and the locking):
//!
//! - [`RateHeaders`]: what an answer says about the caller's budget (OpenAI's `x-ratelimit-*`
//!   headers: limit, remaining and time to reset, for requests and for tokens);
//! - [`Aimd`]: how many requests to keep in flight: additive increase while latency holds and
//!   no 429 comes, multiplicative decrease on a 429 or a timeout;
//! - [`Gcra`]: a budget of requests and tokens per minute (the generic cell rate algorithm: a
//!   token bucket kept as one "theoretical arrival time"), which schedules each request's start.
//!
//! The worker combines them ([`crate`] users outside it may too); a budget shared by several
//! processes keeps the same [`Gcra`] arithmetic in a database row.

use reqwest::header::HeaderMap;
use std::time::{Duration, Instant};

/// The budget an answer reports (OpenAI: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateHeaders {
    pub limit_requests: Option<u64>,
    pub remaining_requests: Option<u64>,
    pub reset_requests: Option<Duration>,
    pub limit_tokens: Option<u64>,
    pub remaining_tokens: Option<u64>,
    pub reset_tokens: Option<Duration>,
}

impl RateHeaders {
    /// The headers' values; `None` when the answer has none of them.
    pub fn parse(headers: &HeaderMap) -> Option<RateHeaders> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let number = |name: &str| get(name).and_then(|v| v.parse::<u64>().ok());
        let reset = |name: &str| get(name).and_then(parse_reset);
        let h = RateHeaders {
            limit_requests: number("x-ratelimit-limit-requests"),
            remaining_requests: number("x-ratelimit-remaining-requests"),
            reset_requests: reset("x-ratelimit-reset-requests"),
            limit_tokens: number("x-ratelimit-limit-tokens"),
            remaining_tokens: number("x-ratelimit-remaining-tokens"),
            reset_tokens: reset("x-ratelimit-reset-tokens"),
        };
        (h != RateHeaders::default()).then_some(h)
    }

    /// How long to wait before a request of `tokens` tokens fits the reported budget: until
    /// the reset of whichever budget is spent (zero when both have room).
    pub fn wait_for(&self, tokens: u64) -> Duration {
        let mut wait = Duration::ZERO;
        if self.remaining_requests == Some(0) {
            wait = wait.max(self.reset_requests.unwrap_or(Duration::from_secs(1)));
        }
        if self.remaining_tokens.is_some_and(|r| r < tokens) {
            wait = wait.max(self.reset_tokens.unwrap_or(Duration::from_secs(1)));
        }
        wait
    }
}

/// OpenAI's reset durations: `1s`, `6m0s`, `20ms`, `1h2m3.5s`, `0.5s`.
pub fn parse_reset(text: &str) -> Option<Duration> {
    let mut total = 0.0f64;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds = match &rest[..unit] {
            "ms" => value / 1000.0,
            "s" | "" => value,
            "m" => value * 60.0,
            "h" => value * 3600.0,
            _ => return None,
        };
        total += seconds;
        rest = &rest[unit..];
    }
    total.is_finite().then(|| Duration::from_secs_f64(total))
}

/// An adaptive limit of requests in flight.
#[derive(Debug, Clone)]
pub struct Aimd {
    limit: f64,
    min: f64,
    max: f64,
    /// The lowest latency seen lately (it decays up, so a slower provider resets it).
    base_latency: Option<Duration>,
}

impl Aimd {
    pub fn new(initial: usize, max: usize) -> Aimd {
        let max = max.max(1) as f64;
        Aimd { limit: (initial.max(1) as f64).min(max), min: 1.0, max, base_latency: None }
    }

    /// Requests that may be in flight now.
    pub fn limit(&self) -> usize {
        self.limit.floor() as usize
    }

    /// A request answered in `latency`: grow by about one request per round of the current
    /// limit, unless the latency rose well above the base (the provider queues our requests).
    pub fn on_success(&mut self, latency: Duration) {
        let base = match self.base_latency {
            Some(b) if latency > b => b.mul_f64(1.01).min(latency),
            _ => latency,
        };
        self.base_latency = Some(base);
        if latency <= base.mul_f64(2.0) + Duration::from_millis(5) {
            self.limit = (self.limit + 1.0 / self.limit).min(self.max);
        }
    }

    /// A 429 or a timeout: halve.
    pub fn on_overload(&mut self) {
        self.limit = (self.limit / 2.0).max(self.min);
    }
}

/// A budget of `rate` units per second with a tolerance of `burst` seconds ahead of the
/// steady pace: each reservation gets the time it may start, never earlier than `now`.
#[derive(Debug, Clone)]
pub struct Gcra {
    /// Seconds one unit takes from the budget.
    per_unit: f64,
    burst: Duration,
    /// The theoretical arrival time of the next unit.
    tat: Option<Instant>,
}

impl Gcra {
    /// `per_minute` units a minute, up to `burst` seconds ahead.
    pub fn per_minute(per_minute: f64, burst: Duration) -> Gcra {
        Gcra { per_unit: 60.0 / per_minute.max(f64::MIN_POSITIVE), burst, tat: None }
    }

    /// The cost of `units` units.
    pub fn cost(&self, units: f64) -> Duration {
        Duration::from_secs_f64((units * self.per_unit).max(0.0))
    }

    /// When a request of `units` units may start, reserving them.
    pub fn reserve(&mut self, now: Instant, units: f64) -> Instant {
        let tat = self.tat.unwrap_or(now).max(now);
        let start = tat.checked_sub(self.burst).unwrap_or(now).max(now);
        self.tat = Some(tat.max(start) + self.cost(units));
        start
    }

    /// Gives back (negative) or takes more (positive) units of a reservation once the real
    /// count is known.
    pub fn adjust(&mut self, now: Instant, units: f64) {
        let tat = self.tat.unwrap_or(now);
        self.tat = Some(if units >= 0.0 {
            tat + self.cost(units)
        } else {
            tat.checked_sub(self.cost(-units)).unwrap_or(now).max(now)
        });
    }
}

/// The start time of a request reserved on several budgets: the latest of them.
pub fn start_of(starts: impl IntoIterator<Item = Instant>, now: Instant) -> Instant {
    starts.into_iter().fold(now, Instant::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    #[test]
    fn openai_reset_durations() {
        assert_eq!(parse_reset("1s"), Some(Duration::from_secs(1)));
        assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_reset("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_reset("1h2m3.5s"), Some(Duration::from_secs_f64(3723.5)));
        assert_eq!(parse_reset("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_reset("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_reset(""), None);
        assert_eq!(parse_reset("soon"), None);
        assert_eq!(parse_reset("5d"), None);
    }

    #[test]
    fn rate_headers_tell_when_the_budget_has_room() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("x-ratelimit-limit-requests", "3000"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "20ms"),
            ("x-ratelimit-limit-tokens", "1000000"),
            ("x-ratelimit-remaining-tokens", "500"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ] {
            h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        let r = RateHeaders::parse(&h).unwrap();
        assert_eq!(r.limit_requests, Some(3000));
        assert_eq!(r.wait_for(100), Duration::from_millis(20), "requests spent, tokens left");
        assert_eq!(r.wait_for(1000), Duration::from_secs(360), "tokens spent too");
        assert_eq!(RateHeaders::parse(&HeaderMap::new()), None);
        let room = RateHeaders { remaining_requests: Some(5), remaining_tokens: Some(10_000), ..Default::default() };
        assert_eq!(room.wait_for(100), Duration::ZERO);
    }

    #[test]
    fn aimd_grows_while_latency_holds_and_halves_on_overload() {
        let mut a = Aimd::new(4, 64);
        for _ in 0..200 {
            a.on_success(Duration::from_millis(100));
        }
        assert!(a.limit() >= 20, "{}", a.limit());
        let grown = a.limit();
        a.on_overload();
        assert_eq!(a.limit(), grown / 2);
        // queueing at the provider (latency far above the base): no growth
        let before = a.limit();
        for _ in 0..100 {
            a.on_success(Duration::from_millis(900));
        }
        assert_eq!(a.limit(), before);
        for _ in 0..20 {
            a.on_overload();
        }
        assert_eq!(a.limit(), 1);
        let mut capped = Aimd::new(100, 8);
        capped.on_success(Duration::from_millis(1));
        assert_eq!(capped.limit(), 8);
    }

    #[test]
    fn gcra_spaces_requests_at_the_rate_after_a_burst() {
        let t0 = Instant::now();
        // 600 a minute: 10 a second, 100 ms apart; a burst of 0.25 s lets 3 start at once
        let mut g = Gcra::per_minute(600.0, Duration::from_millis(250));
        let ms = |d: Duration| (d.as_secs_f64() * 1000.0).round() as u64;
        let starts: Vec<u64> = (0..6).map(|_| ms(g.reserve(t0, 1.0) - t0)).collect();
        assert_eq!(starts, [0, 0, 0, 50, 150, 250]);
        // an idle period refills the burst
        let later = t0 + Duration::from_secs(10);
        assert_eq!(g.reserve(later, 1.0), later);
        // tokens: a 30,000-token request on a 1,000,000/min budget costs 1.8 s
        let mut tokens = Gcra::per_minute(1_000_000.0, Duration::ZERO);
        assert_eq!(ms(tokens.cost(30_000.0)), 1800);
        assert_eq!(tokens.reserve(t0, 30_000.0), t0);
        assert_eq!(ms(tokens.reserve(t0, 30_000.0) - t0), 1800);
        // the real count was lower: the difference comes back
        tokens.adjust(t0, -15_000.0);
        assert_eq!(ms(tokens.reserve(t0, 1.0) - t0), 2700);
        assert_eq!(
            start_of([t0 + Duration::from_secs(1), t0 + Duration::from_secs(3)], t0),
            t0 + Duration::from_secs(3)
        );
    }
}
