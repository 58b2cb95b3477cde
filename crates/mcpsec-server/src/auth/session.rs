//! Browser sessions in cookies, with CSRF protection.
//!
//! A login (password or OIDC) sets two cookies:
//! - the session cookie (`__Host-mcpsec_session`, or `mcpsec_session` when
//!   `auth.cookie_secure = false` for plain-http development): the session
//!   token, `HttpOnly; Secure; SameSite=Lax; Path=/`, expiring with the session;
//! - the CSRF cookie (`__Host-mcpsec_csrf` / `mcpsec_csrf`): the session's
//!   CSRF token, readable by the page's script (not `HttpOnly`).
//!
//! A request authenticated by the session cookie with an unsafe method
//! (anything but `GET`, `HEAD`, `OPTIONS`) must echo the CSRF token in the
//! `X-CSRF-Token` header. The token is derived from the session secret
//! (SHA-256 with a fixed label), so it is bound to the session and needs no
//! storage: another site can neither read it nor plant a matching one.
//! Requests with `Authorization: Bearer` carry no ambient credential and are
//! exempt.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The request header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Cookie names and attributes.
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    pub secure: bool,
}

impl Cookies {
    fn name(&self, base: &'static str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    pub fn session_name(&self) -> String {
        self.name("mcpsec_session")
    }

    pub fn csrf_name(&self) -> String {
        self.name("mcpsec_csrf")
    }

    /// The cookie that carries the OIDC login state between login and callback.
    pub fn oidc_name(&self) -> String {
        self.name("mcpsec_oidc")
    }

    fn attrs(&self, http_only: bool, max_age: i64) -> String {
        let mut a = format!("Path=/; SameSite=Lax; Max-Age={max_age}");
        if http_only {
            a.push_str("; HttpOnly");
        }
        if self.secure {
            a.push_str("; Secure");
        }
        a
    }

    /// `Set-Cookie` values for a new session.
    pub fn login(&self, token: &str, max_age_secs: i64) -> Vec<HeaderValue> {
        [
            format!(
                "{}={token}; {}",
                self.session_name(),
                self.attrs(true, max_age_secs)
            ),
            format!(
                "{}={}; {}",
                self.csrf_name(),
                csrf_token(token),
                self.attrs(false, max_age_secs)
            ),
        ]
        .into_iter()
        .filter_map(|v| HeaderValue::from_str(&v).ok())
        .collect()
    }

    /// `Set-Cookie` values that remove the session cookies.
    pub fn logout(&self) -> Vec<HeaderValue> {
        [
            format!("{}=; {}", self.session_name(), self.attrs(true, 0)),
            format!("{}=; {}", self.csrf_name(), self.attrs(false, 0)),
        ]
        .into_iter()
        .filter_map(|v| HeaderValue::from_str(&v).ok())
        .collect()
    }

    /// A short-lived `HttpOnly` cookie `name=value` (empty value with max
    /// age 0 removes it).
    pub fn transient(&self, name: &str, value: &str, max_age_secs: i64) -> Option<HeaderValue> {
        HeaderValue::from_str(&format!(
            "{name}={value}; {}",
            self.attrs(true, max_age_secs)
        ))
        .ok()
    }
}

/// The CSRF token of a session token.
pub fn csrf_token(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"mcpsec-csrf-v1\0");
    h.update(session_token.as_bytes());
    URL_SAFE_NO_PAD.encode(h.finalize())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether the method changes state (and so needs the CSRF token).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Whether the request carries the CSRF token of `session_token`.
pub fn csrf_ok(headers: &HeaderMap, session_token: &str) -> bool {
    let Some(sent) = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    super::constant_time_eq(sent.trim().as_bytes(), csrf_token(session_token).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_csrf() {
        let c = Cookies { secure: true };
        let set = c.login("mcpsec_a_b", 60);
        let s = set[0].to_str().unwrap();
        assert!(s.starts_with("__Host-mcpsec_session=mcpsec_a_b;"), "{s}");
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(s.contains(attr), "{s} lacks {attr}");
        }
        assert!(!set[1].to_str().unwrap().contains("HttpOnly"));
        let dev = Cookies { secure: false }.login("t", 1);
        assert!(dev[0].to_str().unwrap().starts_with("mcpsec_session=t;"));
        assert!(!dev[0].to_str().unwrap().contains("Secure"));

        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-mcpsec_session=mcpsec_a_b"),
        );
        assert_eq!(cookie(&h, "__Host-mcpsec_session"), Some("mcpsec_a_b"));
        assert_eq!(cookie(&h, "mcpsec_session"), None);
        assert!(!csrf_ok(&h, "mcpsec_a_b"));
        h.insert(
            CSRF_HEADER,
            HeaderValue::from_str(&csrf_token("mcpsec_a_b")).unwrap(),
        );
        assert!(csrf_ok(&h, "mcpsec_a_b"));
        assert!(!csrf_ok(&h, "mcpsec_a_c"), "bound to the session");
        assert!(is_unsafe(&Method::POST) && !is_unsafe(&Method::GET));
    }
}
