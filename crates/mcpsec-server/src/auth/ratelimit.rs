//! Rate limiting: a token bucket per credential, user or tenant (refilled at
//! `per_second`, holding at most `burst`), reported in the IETF draft
//! `ratelimit-headers` fields — `RateLimit-Policy` and `RateLimit` (current
//! draft) plus `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! (earlier drafts, still read by many clients) — and answered with 429 and
//! `Retry-After` when empty.
//!
//! [`RateLimiter`] keeps the buckets in memory (one API process);
//! [`RedisLimiter`] keeps them in Redis so that every API process sharing the
//! Redis server enforces one limit. The Redis bucket is updated by one Lua
//! script (atomic on the server, using the server's clock so processes need
//! not agree on the time). When Redis cannot be reached the check falls back
//! to the process's in-memory bucket (logged and counted in
//! `mcpsec_ratelimit_redis_errors_total`), so an outage of Redis degrades to
//! per-process limits instead of refusing or admitting everything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use tokio::sync::OnceCell;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again (or, when refused, until a request fits).
    pub reset_secs: u64,
    /// Seconds for the whole burst to refill (the policy's window).
    pub window_secs: u64,
}

impl Verdict {
    /// No limit applies.
    pub const UNLIMITED: Verdict = Verdict {
        allowed: true,
        limit: 0,
        remaining: 0,
        reset_secs: 0,
        window_secs: 0,
    };

    /// The stricter of two verdicts: refused if either refuses, else the one
    /// with fewer requests left.
    pub fn min(self, other: Verdict) -> Verdict {
        if self.limit == 0 {
            return other;
        }
        if other.limit == 0 {
            return self;
        }
        match (self.allowed, other.allowed) {
            (false, true) => self,
            (true, false) => other,
            (false, false) => {
                if self.reset_secs >= other.reset_secs {
                    self
                } else {
                    other
                }
            }
            (true, true) => {
                if self.remaining <= other.remaining {
                    self
                } else {
                    other
                }
            }
        }
    }

    /// Writes the rate-limit headers (nothing when limiting is off).
    pub fn apply(&self, headers: &mut HeaderMap) {
        if self.limit == 0 {
            return;
        }
        for (name, value) in [
            (
                "ratelimit-policy",
                format!("\"burst\";q={};w={}", self.limit, self.window_secs.max(1)),
            ),
            (
                "ratelimit",
                format!("\"burst\";r={};t={}", self.remaining, self.reset_secs),
            ),
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

/// Token buckets by key, in memory.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

fn verdict(allowed: bool, tokens: f64, per_second: f64, burst: f64) -> Verdict {
    let reset = if allowed {
        (burst - tokens) / per_second
    } else {
        (1.0 - tokens) / per_second
    };
    Verdict {
        allowed,
        limit: burst as u32,
        remaining: tokens.max(0.0).floor() as u32,
        reset_secs: reset.max(0.0).ceil() as u64,
        window_secs: (burst / per_second).ceil() as u64,
    }
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

    /// Whether limiting is on.
    pub fn enabled(&self) -> bool {
        self.per_second > 0.0
    }

    pub fn check(&self, key: &str) -> Verdict {
        if !self.enabled() {
            return Verdict::UNLIMITED;
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
        verdict(allowed, b.tokens, self.per_second, self.burst)
    }
}

/// The token bucket in Redis: a hash `{t: tokens, at: microseconds}` per
/// key, expiring once it would be full again. Returns
/// `{allowed (0/1), tokens * 1000}`.
const BUCKET_SCRIPT: &str = r#"
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
local elapsed = math.max(0, now - at) / 1000000
tokens = math.min(burst, tokens + elapsed * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, math.floor(tokens * 1000)}
"#;

/// Token buckets in Redis, shared by every process using the same server
/// and key prefix; falls back to memory while Redis is unreachable.
pub struct RedisLimiter {
    client: redis::Client,
    conn: OnceCell<redis::aio::ConnectionManager>,
    script: redis::Script,
    prefix: String,
    per_second: f64,
    burst: f64,
    fallback: RateLimiter,
    /// After a Redis failure, requests are limited in memory until this
    /// instant without trying Redis again, so an outage does not add a
    /// connection attempt to every request.
    retry_after: Mutex<Option<Instant>>,
}

/// How long the limiter stays in memory after Redis failed.
const REDIS_RETRY_INTERVAL: Duration = Duration::from_secs(5);

/// A Redis URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("rate-limit Redis URL: {0}")]
pub struct RedisUrlError(String);

impl RedisLimiter {
    /// A limiter on the Redis server at `url` (`redis://host:port/db`);
    /// the connection is opened at the first check.
    pub fn new(
        url: &str,
        prefix: &str,
        per_second: u32,
        burst: u32,
    ) -> Result<RedisLimiter, RedisUrlError> {
        let client = redis::Client::open(url).map_err(|e| RedisUrlError(e.to_string()))?;
        Ok(RedisLimiter {
            client,
            conn: OnceCell::new(),
            script: redis::Script::new(BUCKET_SCRIPT),
            prefix: prefix.to_string(),
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(per_second).max(1)),
            fallback: RateLimiter::new(per_second, burst),
            retry_after: Mutex::new(None),
        })
    }

    async fn connection(&self) -> redis::RedisResult<redis::aio::ConnectionManager> {
        self.conn
            .get_or_try_init(|| async {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Duration::from_millis(500))
                    .set_response_timeout(Duration::from_millis(500))
                    .set_number_of_retries(1);
                redis::aio::ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await
            .cloned()
    }

    async fn try_check(&self, key: &str) -> redis::RedisResult<Verdict> {
        let mut conn = self.connection().await?;
        let (allowed, milli): (i64, i64) = self
            .script
            .key(format!("{}{key}", self.prefix))
            .arg(self.per_second)
            .arg(self.burst)
            .invoke_async(&mut conn)
            .await?;
        Ok(verdict(
            allowed == 1,
            milli as f64 / 1000.0,
            self.per_second,
            self.burst,
        ))
    }

    pub async fn check(&self, key: &str) -> Verdict {
        if self.per_second <= 0.0 {
            return Verdict::UNLIMITED;
        }
        let in_memory = {
            let mut until = self.retry_after.lock().unwrap_or_else(|p| p.into_inner());
            match *until {
                Some(t) if Instant::now() < t => true,
                Some(_) => {
                    *until = None;
                    false
                }
                None => false,
            }
        };
        if in_memory {
            return self.fallback.check(key);
        }
        match self.try_check(key).await {
            Ok(v) => v,
            Err(e) => {
                metrics::counter!("mcpsec_ratelimit_redis_errors_total").increment(1);
                tracing::warn!(error = %e, retry_in_s = REDIS_RETRY_INTERVAL.as_secs(), "rate limit: Redis unavailable; limiting in memory");
                *self.retry_after.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Instant::now() + REDIS_RETRY_INTERVAL);
                self.fallback.check(key)
            }
        }
    }
}

/// Where the buckets live.
pub enum Limiter {
    Memory(RateLimiter),
    Redis(Box<RedisLimiter>),
}

impl Limiter {
    pub async fn check(&self, key: &str) -> Verdict {
        match self {
            Limiter::Memory(l) => l.check(key),
            Limiter::Redis(l) => l.check(key).await,
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

    #[test]
    fn headers_follow_the_draft() {
        let l = RateLimiter::new(2, 10);
        let v = l.check("a");
        let mut h = HeaderMap::new();
        v.apply(&mut h);
        assert_eq!(h["ratelimit-policy"], "\"burst\";q=10;w=5");
        assert_eq!(h["ratelimit"], "\"burst\";r=9;t=1");
        assert_eq!(h["ratelimit-limit"], "10");
        let mut h = HeaderMap::new();
        Verdict::UNLIMITED.apply(&mut h);
        assert!(h.is_empty());
    }

    #[test]
    fn min_prefers_refusal_then_fewest_left() {
        let a = RateLimiter::new(1, 5).check("x");
        let tight = RateLimiter::new(1, 2);
        let b = tight.check("x");
        assert_eq!(a.min(b).remaining, 1);
        tight.check("x");
        let refused = tight.check("x");
        assert!(!refused.allowed);
        assert!(!a.min(refused).allowed);
        assert_eq!(Verdict::UNLIMITED.min(a), a);
    }

    #[tokio::test]
    async fn unreachable_redis_falls_back_to_memory() {
        // Port 1 on loopback refuses connections.
        let l = RedisLimiter::new("redis://127.0.0.1:1/", "t:", 1, 2).unwrap();
        assert!(l.check("k").await.allowed);
        assert!(l.check("k").await.allowed);
        assert!(!l.check("k").await.allowed, "memory bucket still limits");
        assert!(RedisLimiter::new("not a url", "t:", 1, 1).is_err());
    }
}
