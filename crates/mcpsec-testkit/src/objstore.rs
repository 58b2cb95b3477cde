//! Conformance suite for [`ArtifactStore`] implementations.
//!
//! Call [`run_objstore_conformance`] from a backend's integration test. Every
//! behaviour works in fresh tenants from [`unique_tenant`](crate::unique_tenant),
//! so runs can share one bucket or directory.

use bytes::Bytes;
use chrono::{Duration, Utc};
use mcpsec_core::objstore::{ArtifactStore, ObjectKey};

/// Runs every behaviour of the object store contract against `store`.
pub async fn run_objstore_conformance(store: &dyn ArtifactStore) {
    ping(store).await;
    round_trip(store).await;
    large_and_empty(store).await;
    overwrite(store).await;
    get_missing(store).await;
    list_prefix(store).await;
    delete(store).await;
    tenant_isolation(store).await;
}

/// A valid key; panics on an invalid literal (test fixtures only).
pub fn key(s: &str) -> ObjectKey {
    ObjectKey::new(s).unwrap_or_else(|e| panic!("test key {s:?}: {e}"))
}

/// `ping` succeeds on a healthy store and `backend` names it.
pub async fn ping(store: &dyn ArtifactStore) {
    store.ping().await.expect("ping");
    assert!(
        !store.backend().is_empty(),
        "backend() must name the backend"
    );
}

/// Put then get returns the same bytes.
pub async fn round_trip(store: &dyn ArtifactStore) {
    let tenant = crate::unique_tenant("os-rt");
    let k = key("reports/2026/scan-1.json");
    let body = Bytes::from_static(br#"{"findings": 3}"#);
    store.put(&tenant, &k, body.clone()).await.expect("put");
    assert_eq!(store.get(&tenant, &k).await.expect("get"), Some(body));
    // A key with every allowed character class.
    let k2 = key("A-z_0.9/x.tar.gz");
    store
        .put(&tenant, &k2, Bytes::from_static(b"\x00\xff binary"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&tenant, &k2).await.unwrap().as_deref(),
        Some(&b"\x00\xff binary"[..])
    );
}

/// A 5 MiB object and an empty object round-trip.
pub async fn large_and_empty(store: &dyn ArtifactStore) {
    let tenant = crate::unique_tenant("os-le");
    let big: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let big = Bytes::from(big);
    store
        .put(&tenant, &key("big.bin"), big.clone())
        .await
        .expect("put 5 MiB");
    let got = store
        .get(&tenant, &key("big.bin"))
        .await
        .expect("get 5 MiB")
        .expect("5 MiB object exists");
    assert_eq!(got.len(), big.len());
    assert!(got == big, "5 MiB object must round-trip byte for byte");

    store
        .put(&tenant, &key("empty"), Bytes::new())
        .await
        .expect("put empty");
    assert_eq!(
        store.get(&tenant, &key("empty")).await.unwrap(),
        Some(Bytes::new()),
        "empty object exists"
    );

    let listed = store.list(&tenant, None).await.unwrap();
    let sizes: Vec<(&str, u64)> = listed.iter().map(|o| (o.key.as_str(), o.size)).collect();
    assert_eq!(sizes, [("big.bin", 5 * 1024 * 1024), ("empty", 0)]);
}

/// A second put to the same key replaces the object.
pub async fn overwrite(store: &dyn ArtifactStore) {
    let tenant = crate::unique_tenant("os-ow");
    let k = key("sbom/app.cdx.json");
    store
        .put(&tenant, &k, Bytes::from_static(b"first version, longer"))
        .await
        .unwrap();
    store
        .put(&tenant, &k, Bytes::from_static(b"second"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&tenant, &k).await.unwrap().as_deref(),
        Some(&b"second"[..])
    );
    let listed = store.list(&tenant, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, 6);
}

/// A missing object is `None`, in an empty and in a non-empty tenant.
pub async fn get_missing(store: &dyn ArtifactStore) {
    let tenant = crate::unique_tenant("os-gm");
    assert_eq!(
        store
            .get(&tenant, &key("nothing/here"))
            .await
            .expect("get missing"),
        None
    );
    assert!(
        store
            .list(&tenant, None)
            .await
            .expect("list empty tenant")
            .is_empty()
    );
    assert!(
        store
            .list(&tenant, Some(&key("nothing")))
            .await
            .unwrap()
            .is_empty()
    );
    store
        .put(&tenant, &key("nothing/else"), Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&tenant, &key("nothing/here")).await.unwrap(),
        None
    );
    // A "directory" is not an object.
    assert_eq!(store.get(&tenant, &key("nothing")).await.unwrap(), None);
}

/// List: sorted keys, sizes, recent modification times, whole-segment prefixes.
pub async fn list_prefix(store: &dyn ArtifactStore) {
    let tenant = crate::unique_tenant("os-ls");
    let before = Utc::now() - Duration::minutes(10);
    let objects = [
        ("b/c/d", 3),
        ("a/2", 22),
        ("ab/x", 1),
        ("a/1", 11),
        ("a/sub/3", 333),
        ("a.txt", 4),
    ];
    for (k, size) in objects {
        store
            .put(&tenant, &key(k), Bytes::from(vec![b'x'; size]))
            .await
            .unwrap();
    }
    let all = store.list(&tenant, None).await.expect("list all");
    let got: Vec<(&str, u64)> = all.iter().map(|o| (o.key.as_str(), o.size)).collect();
    assert_eq!(
        got,
        [
            ("a.txt", 4),
            ("a/1", 11),
            ("a/2", 22),
            ("a/sub/3", 333),
            ("ab/x", 1),
            ("b/c/d", 3)
        ],
        "list must return every object, sorted by key, with its size and without the tenant prefix"
    );
    let after = Utc::now() + Duration::minutes(10);
    for o in &all {
        assert!(
            o.last_modified > before && o.last_modified < after,
            "{}: last_modified {} is not recent",
            o.key.as_str(),
            o.last_modified
        );
    }

    let names = |v: Vec<mcpsec_core::objstore::ObjectInfo>| {
        v.into_iter()
            .map(|o| o.key.as_str().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.list(&tenant, Some(&key("a"))).await.unwrap()),
        ["a/1", "a/2", "a/sub/3"],
        "prefix `a` is a whole segment: it must not match `ab/x` or `a.txt`"
    );
    assert_eq!(
        names(store.list(&tenant, Some(&key("a/sub"))).await.unwrap()),
        ["a/sub/3"]
    );
    assert_eq!(
        names(store.list(&tenant, Some(&key("b"))).await.unwrap()),
        ["b/c/d"]
    );
    assert_eq!(
        names(store.list(&tenant, Some(&key("b/c"))).await.unwrap()),
        ["b/c/d"]
    );
    assert!(
        store
            .list(&tenant, Some(&key("c")))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list(&tenant, Some(&key("a/su")))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Delete removes the object; deleting a missing object is not an error.
pub async fn delete(store: &dyn ArtifactStore) {
    let tenant = crate::unique_tenant("os-del");
    store
        .put(&tenant, &key("x/1"), Bytes::from_static(b"1"))
        .await
        .unwrap();
    store
        .put(&tenant, &key("x/2"), Bytes::from_static(b"2"))
        .await
        .unwrap();
    store.delete(&tenant, &key("x/1")).await.expect("delete");
    assert_eq!(store.get(&tenant, &key("x/1")).await.unwrap(), None);
    assert_eq!(
        store.get(&tenant, &key("x/2")).await.unwrap().as_deref(),
        Some(&b"2"[..])
    );
    let left: Vec<String> = store
        .list(&tenant, None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key.as_str().to_string())
        .collect();
    assert_eq!(left, ["x/2"]);
    store
        .delete(&tenant, &key("x/1"))
        .await
        .expect("deleting a deleted object is fine");
    store
        .delete(&tenant, &key("never/existed"))
        .await
        .expect("deleting a missing object is fine");
    let empty = crate::unique_tenant("os-del");
    store
        .delete(&empty, &key("a"))
        .await
        .expect("deleting in an empty tenant is fine");
}

/// The same key under two tenants is two objects; listing one never shows the other's.
pub async fn tenant_isolation(store: &dyn ArtifactStore) {
    let a = crate::unique_tenant("os-iso-a");
    let b = crate::unique_tenant("os-iso-b");
    let k = key("report.json");
    store
        .put(&a, &k, Bytes::from_static(b"tenant a"))
        .await
        .unwrap();
    store
        .put(&a, &key("only-a/x"), Bytes::from_static(b"a"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&b, &k).await.unwrap(),
        None,
        "B must not read A's object"
    );
    assert!(
        store.list(&b, None).await.unwrap().is_empty(),
        "B must not list A's objects"
    );
    assert!(
        store
            .list(&b, Some(&key("only-a")))
            .await
            .unwrap()
            .is_empty()
    );

    store
        .put(&b, &k, Bytes::from_static(b"tenant b"))
        .await
        .unwrap();
    assert_eq!(
        store.get(&a, &k).await.unwrap().as_deref(),
        Some(&b"tenant a"[..])
    );
    assert_eq!(
        store.get(&b, &k).await.unwrap().as_deref(),
        Some(&b"tenant b"[..])
    );
    let listed_b: Vec<String> = store
        .list(&b, None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key.as_str().to_string())
        .collect();
    assert_eq!(listed_b, ["report.json"]);

    store.delete(&b, &k).await.unwrap();
    assert_eq!(
        store.get(&a, &k).await.unwrap().as_deref(),
        Some(&b"tenant a"[..]),
        "B's delete must not touch A"
    );
    store.delete(&b, &key("only-a/x")).await.unwrap();
    assert!(
        store.get(&a, &key("only-a/x")).await.unwrap().is_some(),
        "B's delete must not touch A"
    );
}
