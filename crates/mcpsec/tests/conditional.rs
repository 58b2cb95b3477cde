//! End-to-end: ETags, `If-None-Match` (304) and `If-Match` (412) on the REST
//! API of a real `mcpsec serve` process (`crates/mcpsec-server/src/etag.rs`).

mod common;

use common::{Server, client, client_with_key, create_tenant};
use serde_json::Value;

const RULE_V1: &str = "title: whoami v1\nlevel: high\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {Image|endswith: '\\whoami.exe'}, condition: s}\n";
const RULE_V2: &str = "title: whoami v2\nlevel: critical\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {Image|endswith: '\\whoami.exe'}, condition: s}\n";

async fn put_rule(c: &reqwest::Client, url: &str, yaml: &str, if_match: Option<&str>) -> u16 {
    let mut r = c
        .put(url)
        .header("content-type", "application/yaml")
        .body(yaml.to_string());
    if let Some(tag) = if_match {
        r = r.header("if-match", tag);
    }
    r.send().await.unwrap().status().as_u16()
}

async fn etag_of(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let tag = r.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    tag
}

#[tokio::test]
async fn etags_not_modified_and_preconditions() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"), &[], &[]);
    let c = client();
    create_tenant(&c, &s.base, "cond").await;
    let rule = s.url("/api/v1/tenants/cond/rules/whoami");

    // If-Match on a record that does not exist fails, even with `*`.
    assert_eq!(put_rule(&c, &rule, RULE_V1, Some("*")).await, 412);
    assert_eq!(c.get(&rule).send().await.unwrap().status(), 404);
    assert!(
        (200..300).contains(&put_rule(&c, &rule, RULE_V1, None).await),
        "create"
    );

    // A stable tag; If-None-Match with it (alone or in a list, or weak)
    // answers 304 without a body.
    let v1 = etag_of(&c, &rule).await;
    assert_eq!(etag_of(&c, &rule).await, v1);
    for inm in [
        v1.clone(),
        format!("\"x\", {v1}"),
        format!("W/{v1}"),
        "*".into(),
    ] {
        let r = c
            .get(&rule)
            .header("if-none-match", &inm)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304, "{inm}");
        assert_eq!(r.headers()["etag"].to_str().unwrap(), v1);
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = c
        .get(&rule)
        .header("if-none-match", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["title"], "whoami v1");

    // If-Match: a wrong tag is refused with the error code and changes
    // nothing; the right one applies the change, which moves the tag.
    let r = c
        .put(&rule)
        .header("content-type", "application/yaml")
        .header("if-match", "\"not-the-tag\"")
        .body(RULE_V2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "precondition_failed", "{err}");
    assert_eq!(etag_of(&c, &rule).await, v1);
    // A weak tag never satisfies If-Match (strong comparison).
    assert_eq!(
        put_rule(&c, &rule, RULE_V2, Some(&format!("W/{v1}"))).await,
        412
    );
    assert!((200..300).contains(&put_rule(&c, &rule, RULE_V2, Some(&v1)).await));
    let v2 = etag_of(&c, &rule).await;
    assert_ne!(v2, v1);
    // The old tag no longer matches: a delete based on it is refused.
    let del = |tag: String| {
        let (c, rule) = (c.clone(), rule.clone());
        async move {
            c.delete(&rule)
                .header("if-match", tag)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(del(v1.clone()).await, 412);
    assert!((200..300).contains(&del(v2.clone()).await));
    assert_eq!(c.get(&rule).send().await.unwrap().status(), 404);

    // Lists carry tags too; errors do not.
    let list = s.url("/api/v1/tenants/cond/rules");
    let r = c.get(&list).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("etag"));
    let r = c.get(&rule).send().await.unwrap();
    assert!(!r.headers().contains_key("etag"));

    // The precondition check reads with the caller's own credentials: a
    // caller without them gets the normal 401, not a 412 that would reveal
    // whether the record exists.
    let anon = client_with_key("mcpsec_not_a_key");
    let r = anon
        .put(&rule)
        .header("content-type", "application/yaml")
        .header("if-match", "\"x\"")
        .body(RULE_V1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
