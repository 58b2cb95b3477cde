//! Per-credential rate limiting in memory: a token bucket per API key or
//! session (refilled at `per_second`, holding at most `burst`), reported in
//! the `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! headers (IETF draft `ratelimit-headers`) and answered with 429 and
//! `Retry-After` when empty. Each API process limits on its own; limits
//! shared across processes (Redis) are not implemented.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again (or, when refused, until a request fits).
    pub reset_secs: u64,
}

impl Verdict {
    /// Writes the `RateLimit-*` headers (nothing when limiting is off).
    pub fn apply(&self, headers: &mut HeaderMap) {
        if self.limit == 0 {
            return;
        }
        for (name, value) in [
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", self.reset_secs.to_string()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets by credential.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `per_second == 0` turns limiting off.
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(per_second).max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, key: &str) -> Verdict {
        if self.per_second <= 0.0 {
            return Verdict {
                allowed: true,
                limit: 0,
                remaining: 0,
                reset_secs: 0,
            };
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("lock");
        if buckets.len() > 100_000 {
            // Forget full buckets so the map stays bounded.
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_second).min(self.burst);
        b.at = now;
        let allowed = b.tokens >= 1.0;
        if allowed {
            b.tokens -= 1.0;
        }
        let reset = if allowed {
            (self.burst - b.tokens) / self.per_second
        } else {
            (1.0 - b.tokens) / self.per_second
        };
        Verdict {
            allowed,
            limit: self.burst as u32,
            remaining: b.tokens.floor() as u32,
            reset_secs: reset.ceil() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refusal_per_key() {
        let l = RateLimiter::new(1, 3);
        for i in 0..3 {
            let v = l.check("a");
            assert!(v.allowed, "request {i}");
            assert_eq!(v.remaining, 2 - i);
        }
        let v = l.check("a");
        assert!(!v.allowed);
        assert!(v.reset_secs >= 1);
        assert!(l.check("b").allowed, "buckets are per key");
        assert!(RateLimiter::new(0, 0).check("a").allowed, "0 is off");
    }
}
