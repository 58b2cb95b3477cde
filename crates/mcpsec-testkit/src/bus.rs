//! The [`EventBus`] conformance suite, shared by `mcpsec-bus-embedded` and
//! `mcpsec-bus-kafka`.
//!
//! Every case takes a factory that opens the bus under test. The factory is
//! called again to test restarts, so it must reopen the *same* storage (the
//! embedded bus: the same directory; Kafka: the same brokers). At most one
//! bus from the factory is alive at a time. Topic and group names are unique
//! per run, so suites can share one broker.
//!
//! The SIGKILL helpers ([`crash_child_publish`], [`crash_parent_check`]) test
//! that every acknowledged publish survives the publisher being killed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use mcpsec_core::bus::{BusConsumer, BusMessage, Delivery, EventBus};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::Instant;

/// Set (to the topic) in the environment of the child process of
/// [`crash_parent_check`].
pub const CRASH_CHILD_ENV: &str = "MCPSEC_BUS_CRASH_CHILD";
/// Backend-specific context for the crash child (e.g. the data directory).
pub const CRASH_CONTEXT_ENV: &str = "MCPSEC_BUS_CRASH_CONTEXT";

/// What the suite may expect of the backend.
#[derive(Debug, Clone)]
pub struct BusSuiteOptions {
    /// Partitions a topic created through [`EventBus::ensure_topics`] gets.
    pub partitions: u32,
    /// Delivery is exact where the contract allows it: no duplicates in a
    /// stable group, redelivery after a crash is exactly the uncommitted
    /// messages, `lag()` is exact. Kafka may deliver duplicates around
    /// rebalances; committed offsets must be respected either way.
    pub exact: bool,
    /// Upper bound for anything to show up (group joins, rebalances).
    pub deadline: Duration,
    /// How long to keep polling to make sure nothing *else* shows up.
    pub quiet: Duration,
    /// Timeout of a single `poll` call in loops.
    pub poll: Duration,
}

impl BusSuiteOptions {
    /// Options for a local, in-process backend.
    pub fn exact(partitions: u32) -> Self {
        BusSuiteOptions {
            partitions,
            exact: true,
            deadline: Duration::from_secs(20),
            quiet: Duration::from_millis(300),
            poll: Duration::from_millis(200),
        }
    }

    /// Options for a networked broker with consumer-group rebalances.
    pub fn broker(partitions: u32) -> Self {
        BusSuiteOptions {
            partitions,
            exact: false,
            deadline: Duration::from_secs(90),
            quiet: Duration::from_secs(3),
            poll: Duration::from_millis(500),
        }
    }
}

/// A name no other run uses: `<prefix>-<12 hex digits>`.
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

fn message(topic: &str, key: &str, payload: impl Into<Bytes>) -> BusMessage {
    BusMessage {
        topic: topic.to_owned(),
        key: key.to_owned(),
        headers: BTreeMap::new(),
        payload: payload.into(),
    }
}

fn text(d: &Delivery) -> String {
    String::from_utf8_lossy(&d.payload).into_owned()
}

/// Messages `"<key>|<seq>"` for the given keys and sequence numbers; the
/// payload identifies each message.
fn keyed(topic: &str, key: &str, seq: usize) -> BusMessage {
    message(topic, key, format!("{key}|{seq}"))
}

fn parse_keyed(d: &Delivery) -> (String, usize) {
    let t = text(d);
    let (k, s) = t
        .rsplit_once('|')
        .unwrap_or_else(|| panic!("unexpected payload {t:?} on {}", d.topic));
    assert_eq!(k, d.key, "payload {t:?} arrived with key {:?}", d.key);
    (
        k.to_owned(),
        s.parse().unwrap_or_else(|_| panic!("bad payload {t:?}")),
    )
}

/// Polls until `done(all received so far)` holds or the deadline passes;
/// returns everything received (duplicates included).
async fn poll_until(
    c: &mut dyn BusConsumer,
    opts: &BusSuiteOptions,
    mut done: impl FnMut(&[Delivery]) -> bool,
) -> Vec<Delivery> {
    let deadline = Instant::now() + opts.deadline;
    let mut all = Vec::new();
    while !done(&all) {
        assert!(
            Instant::now() < deadline,
            "timed out after {:?} waiting for messages; received {} so far: {:?}",
            opts.deadline,
            all.len(),
            all.iter().map(text).take(50).collect::<Vec<_>>()
        );
        let got = c.poll(500, opts.poll).await.expect("poll failed");
        all.extend(got);
    }
    all
}

/// Polls for `opts.quiet` and returns whatever arrives.
async fn poll_quiet(c: &mut dyn BusConsumer, opts: &BusSuiteOptions) -> Vec<Delivery> {
    let end = Instant::now() + opts.quiet;
    let mut all = Vec::new();
    loop {
        let now = Instant::now();
        if now >= end {
            return all;
        }
        let wait = (end - now).min(opts.poll);
        all.extend(c.poll(500, wait).await.expect("poll failed"));
    }
}

fn ids(ds: &[Delivery]) -> BTreeSet<String> {
    ds.iter().map(text).collect()
}

fn assert_no_duplicates(ds: &[Delivery], what: &str) {
    let mut seen = HashSet::new();
    for d in ds {
        assert!(
            seen.insert((d.partition, d.offset)),
            "{what}: {}/{}@{} delivered twice",
            d.topic,
            d.partition,
            d.offset
        );
    }
}

async fn subscribe(bus: &dyn EventBus, group: &str, topic: &str) -> Box<dyn BusConsumer> {
    bus.subscribe(group, &[topic.to_owned()])
        .await
        .unwrap_or_else(|e| panic!("subscribe {group} to {topic}: {e}"))
}

async fn new_topic(bus: &dyn EventBus, prefix: &str) -> String {
    let topic = unique_name(prefix);
    bus.ensure_topics(std::slice::from_ref(&topic))
        .await
        .unwrap_or_else(|e| panic!("ensure_topics {topic}: {e}"));
    // Creating an existing topic is a no-op.
    bus.ensure_topics(std::slice::from_ref(&topic))
        .await
        .unwrap_or_else(|e| panic!("ensure_topics {topic} again: {e}"));
    topic
}

/// Runs every case of the suite; `make_bus` opens the bus under test (again).
pub async fn run_bus_conformance<B, F, Fut>(make_bus: F, opts: &BusSuiteOptions)
where
    B: EventBus,
    F: Fn() -> Fut,
    Fut: Future<Output = B>,
{
    macro_rules! case {
        ($name:ident) => {{
            let started = std::time::Instant::now();
            let bus = make_bus().await;
            $name(&bus, opts).await;
            drop(bus);
            eprintln!(
                "bus conformance: {} ok ({:?})",
                stringify!($name),
                started.elapsed()
            );
        }};
    }
    case!(roundtrip);
    case!(per_key_ordering);
    case!(commit_and_crash_redelivery);
    case!(members_share_partitions);
    case!(independent_groups);
    case!(lag_reaches_zero);
    let started = std::time::Instant::now();
    restart_durability(&make_bus, opts).await;
    eprintln!(
        "bus conformance: restart_durability ok ({:?})",
        started.elapsed()
    );
}

/// Publish then consume everything in a group; keys, headers and payloads
/// (empty, binary, unicode) round-trip exactly.
pub async fn roundtrip(bus: &dyn EventBus, opts: &BusSuiteOptions) {
    assert!(!bus.backend().is_empty());
    bus.ping().await.expect("ping");
    let topic = new_topic(bus, "rt").await;
    let mut sent = Vec::new();
    for i in 0..40 {
        let mut m = keyed(&topic, &format!("tenant-{}/asset", i % 5), i);
        m.headers.insert(
            "traceparent".into(),
            format!("00-{:032x}-{:016x}-01", i + 1, i + 7),
        );
        m.headers.insert("schema".into(), "mcpsec.event.v1".into());
        sent.push(m);
    }
    let mut special = vec![
        message(&topic, "empty-payload", Bytes::new()),
        message(&topic, "binary", (0..=255u8).collect::<Vec<u8>>()),
        message(&topic, "", "empty key"),
        message(&topic, "ключ/é", "unicode ✓"),
    ];
    special[0].headers.insert("h".into(), String::new());
    special[3]
        .headers
        .insert("ünïcode".into(), "välue ✓".into());
    bus.publish(Vec::new()).await.expect("empty publish");
    bus.publish(sent[..1].to_vec()).await.expect("publish 1");
    bus.publish(sent[1..].to_vec())
        .await
        .expect("publish batch");
    bus.publish(special.clone()).await.expect("publish special");
    sent.extend(special);

    let expected: HashMap<(String, Bytes), &BusMessage> = sent
        .iter()
        .map(|m| ((m.key.clone(), m.payload.clone()), m))
        .collect();
    assert_eq!(expected.len(), sent.len());

    let mut c = subscribe(bus, &unique_name("rt-g"), &topic).await;
    let got = poll_until(&mut *c, opts, |all| {
        all.iter()
            .map(|d| (d.key.clone(), d.payload.clone()))
            .collect::<HashSet<_>>()
            .len()
            >= expected.len()
    })
    .await;
    let mut key_partition: HashMap<String, u32> = HashMap::new();
    for d in &got {
        let m = expected
            .get(&(d.key.clone(), d.payload.clone()))
            .unwrap_or_else(|| panic!("unexpected delivery {d:?}"));
        assert_eq!(d.topic, topic);
        assert_eq!(d.headers, m.headers, "headers of {:?}", d.key);
        assert!(
            d.partition < opts.partitions,
            "partition {} out of range",
            d.partition
        );
        let p = *key_partition.entry(d.key.clone()).or_insert(d.partition);
        assert_eq!(p, d.partition, "key {:?} on two partitions", d.key);
    }
    if opts.exact {
        assert_eq!(got.len(), sent.len(), "duplicates delivered");
        assert_no_duplicates(&got, "roundtrip");
    }
    c.commit(&got).await.expect("commit");
}

/// Many keys interleaved, from two concurrent publishers: every key's
/// messages arrive in publish order, and every key stays on one partition.
pub async fn per_key_ordering(bus: &dyn EventBus, opts: &BusSuiteOptions) {
    const KEYS: usize = 24;
    const PER_KEY: usize = 40;
    let topic = new_topic(bus, "order").await;
    let publisher = |keys: Vec<String>, batch: usize| {
        let topic = topic.clone();
        async move {
            // Interleave keys in a pseudo-random order per round.
            let mut all = Vec::new();
            let mut x: u64 = 0x9e3779b97f4a7c15;
            for seq in 0..PER_KEY {
                let mut round: Vec<&String> = keys.iter().collect();
                for i in (1..round.len()).rev() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    round.swap(i, (x % (i as u64 + 1)) as usize);
                }
                all.extend(round.into_iter().map(|k| keyed(&topic, k, seq)));
            }
            for chunk in all.chunks(batch) {
                bus.publish(chunk.to_vec()).await.expect("publish");
            }
        }
    };
    let keys: Vec<String> = (0..KEYS).map(|k| format!("key-{k}")).collect();
    tokio::join!(
        publisher(keys[..KEYS / 2].to_vec(), 37),
        publisher(keys[KEYS / 2..].to_vec(), 5)
    );

    let mut c = subscribe(bus, &unique_name("order-g"), &topic).await;
    let got = poll_until(&mut *c, opts, |all| ids(all).len() >= KEYS * PER_KEY).await;
    let mut per_key: HashMap<String, Vec<usize>> = HashMap::new();
    let mut key_partition: HashMap<String, u32> = HashMap::new();
    let mut last_offset: HashMap<u32, u64> = HashMap::new();
    let mut seen = HashSet::new();
    for d in &got {
        let (k, seq) = parse_keyed(d);
        let p = *key_partition.entry(k.clone()).or_insert(d.partition);
        assert_eq!(p, d.partition, "key {k} on two partitions");
        if let Some(prev) = last_offset.insert(d.partition, d.offset)
            && opts.exact
        {
            assert!(
                d.offset > prev,
                "partition {} went back from {prev} to {}",
                d.partition,
                d.offset
            );
        }
        if seen.insert((k.clone(), seq)) {
            per_key.entry(k).or_default().push(seq);
        }
    }
    assert_eq!(per_key.len(), KEYS);
    for (k, seqs) in per_key {
        assert_eq!(seqs, (0..PER_KEY).collect::<Vec<_>>(), "order of key {k}");
    }
    if opts.exact {
        assert_eq!(got.len(), KEYS * PER_KEY);
    }
    if opts.partitions > 1 {
        let used: HashSet<u32> = key_partition.values().copied().collect();
        assert!(used.len() > 1, "{KEYS} keys all landed on one partition");
    }
}

/// Commits a prefix of each partition's deliveries; returns the committed
/// highest offset per partition.
async fn commit_half(c: &mut dyn BusConsumer, got: &[Delivery]) -> BTreeMap<u32, u64> {
    let mut by_partition: BTreeMap<u32, Vec<&Delivery>> = BTreeMap::new();
    for d in got {
        by_partition.entry(d.partition).or_default().push(d);
    }
    let mut cut = BTreeMap::new();
    let mut first = Vec::new();
    let mut second = Vec::new();
    for (p, mut ds) in by_partition {
        ds.sort_by_key(|d| d.offset);
        ds.dedup_by_key(|d| d.offset);
        let half = ds.len() / 2;
        if half == 0 {
            continue;
        }
        cut.insert(p, ds[half - 1].offset);
        // Two commits: a quarter, then up to the half (commits accumulate).
        let quarter = half / 2;
        first.extend(ds[..quarter].iter().map(|d| (*d).clone()));
        second.extend(ds[quarter..half].iter().map(|d| (*d).clone()));
    }
    c.commit(&first).await.expect("commit first part");
    c.commit(&second).await.expect("commit second part");
    cut
}

/// A consumer commits part of what it polled and is dropped without
/// committing the rest (a crash); the next member receives every uncommitted
/// message again and nothing committed. After it commits everything, a third
/// member receives nothing.
pub async fn commit_and_crash_redelivery(bus: &dyn EventBus, opts: &BusSuiteOptions) {
    const N: usize = 60;
    let topic = new_topic(bus, "commit").await;
    let group = unique_name("commit-g");
    let msgs: Vec<BusMessage> = (0..N)
        .map(|i| keyed(&topic, &format!("k{}", i % 12), i))
        .collect();
    bus.publish(msgs).await.expect("publish");

    let mut a = subscribe(bus, &group, &topic).await;
    let got = poll_until(&mut *a, opts, |all| ids(all).len() >= N).await;
    let cut = commit_half(&mut *a, &got).await;
    assert!(!cut.is_empty());
    let committed = |d: &Delivery| cut.get(&d.partition).is_some_and(|c| d.offset <= *c);
    let uncommitted: BTreeSet<String> = got.iter().filter(|d| !committed(d)).map(text).collect();
    let committed_ids: BTreeSet<String> = got.iter().filter(|d| committed(d)).map(text).collect();
    assert!(!uncommitted.is_empty() && !committed_ids.is_empty());
    drop(a); // crash: the rest is never committed

    let mut b = subscribe(bus, &group, &topic).await;
    let mut again = poll_until(&mut *b, opts, |all| ids(all).is_superset(&uncommitted)).await;
    again.extend(poll_quiet(&mut *b, opts).await);
    for d in &again {
        assert!(
            !committed(d),
            "committed message {} ({}@{}) was redelivered",
            text(d),
            d.partition,
            d.offset
        );
    }
    assert_eq!(
        ids(&again),
        uncommitted,
        "redelivered set differs from the uncommitted set"
    );
    if opts.exact {
        assert_eq!(again.len(), uncommitted.len(), "duplicates in redelivery");
    }
    b.commit(&again).await.expect("commit rest");
    drop(b);

    let mut c = subscribe(bus, &group, &topic).await;
    let extra = poll_quiet(&mut *c, opts).await;
    assert!(
        extra.is_empty(),
        "fully committed group received {:?}",
        extra.iter().map(text).collect::<Vec<_>>()
    );
    // New messages still flow to the group.
    bus.publish(vec![keyed(&topic, "k0", N)])
        .await
        .expect("publish");
    let more = poll_until(&mut *c, opts, |all| !all.is_empty()).await;
    assert_eq!(ids(&more), BTreeSet::from([format!("k0|{N}")]));
}

/// Two members of one group share the partitions: together they receive
/// every message, neither receives all of them (when there are several
/// partitions). When one leaves, the other takes over its partitions.
pub async fn members_share_partitions(bus: &dyn EventBus, opts: &BusSuiteOptions) {
    let topic = new_topic(bus, "share").await;
    let group = unique_name("share-g");
    let mut a = subscribe(bus, &group, &topic).await;
    let mut b = subscribe(bus, &group, &topic).await;
    let keys: Vec<String> = (0..32).map(|k| format!("k{k}")).collect();

    // Settle: publish probes until both members receive some in the same
    // round, i.e. both hold partitions (brokers rebalance asynchronously).
    // With a single partition only one member can hold it.
    let deadline = Instant::now() + opts.deadline;
    let mut round = 0usize;
    loop {
        assert!(
            Instant::now() < deadline,
            "the two members never both held partitions"
        );
        let probes: Vec<BusMessage> = keys
            .iter()
            .map(|k| message(&topic, k, format!("probe|{round}")))
            .collect();
        bus.publish(probes).await.expect("publish probes");
        let ga = poll_quiet(&mut *a, opts).await;
        let gb = poll_quiet(&mut *b, opts).await;
        a.commit(&ga).await.expect("commit probes");
        b.commit(&gb).await.expect("commit probes");
        let fresh = |g: &[Delivery]| g.iter().any(|d| text(d) == format!("probe|{round}"));
        let settled = if opts.partitions > 1 {
            fresh(&ga) && fresh(&gb)
        } else {
            fresh(&ga) || fresh(&gb)
        };
        if settled {
            break;
        }
        round += 1;
    }

    const N: usize = 200;
    let msgs: Vec<BusMessage> = (0..N)
        .map(|i| keyed(&topic, &keys[i % keys.len()], i))
        .collect();
    let want: BTreeSet<String> = msgs
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    bus.publish(msgs).await.expect("publish");
    let is_real = |d: &Delivery| !text(d).starts_with("probe|");
    let mut got_a: Vec<Delivery> = Vec::new();
    let mut got_b: Vec<Delivery> = Vec::new();
    let deadline = Instant::now() + opts.deadline;
    loop {
        let union: BTreeSet<String> = ids(&got_a).union(&ids(&got_b)).cloned().collect();
        if union.is_superset(&want) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "members received {} of {N} messages together",
            union.intersection(&want).count()
        );
        for (c, acc) in [(&mut a, &mut got_a), (&mut b, &mut got_b)] {
            let g = c.poll(500, opts.poll).await.expect("poll");
            c.commit(&g).await.expect("commit");
            acc.extend(g.into_iter().filter(|d| is_real(d)));
        }
    }
    let (ia, ib) = (ids(&got_a), ids(&got_b));
    if opts.partitions > 1 {
        assert!(
            !ia.is_empty() && !ib.is_empty(),
            "one member received nothing: a={} b={}",
            ia.len(),
            ib.len()
        );
        assert!(
            ia.len() < N && ib.len() < N,
            "one member received everything: a={} b={}",
            ia.len(),
            ib.len()
        );
    }
    if opts.exact {
        assert!(
            ia.is_disjoint(&ib),
            "both members received the same messages"
        );
        assert_no_duplicates(&got_a, "member a");
        assert_no_duplicates(&got_b, "member b");
    }

    // b leaves; a takes over all partitions.
    drop(b);
    let more: Vec<BusMessage> = (N..N + 64)
        .map(|i| keyed(&topic, &keys[i % keys.len()], i))
        .collect();
    let want: BTreeSet<String> = more
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    bus.publish(more).await.expect("publish");
    let got = poll_until(&mut *a, opts, |all| ids(all).is_superset(&want)).await;
    a.commit(&got).await.expect("commit");
}

/// Independent groups each receive every message; one group's commits do
/// not affect another.
pub async fn independent_groups(bus: &dyn EventBus, opts: &BusSuiteOptions) {
    const N: usize = 50;
    let topic = new_topic(bus, "groups").await;
    let msgs: Vec<BusMessage> = (0..N)
        .map(|i| keyed(&topic, &format!("k{}", i % 9), i))
        .collect();
    let want: BTreeSet<String> = msgs
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect();
    bus.publish(msgs).await.expect("publish");
    let (g1, g2) = (unique_name("g1"), unique_name("g2"));
    let mut c1 = subscribe(bus, &g1, &topic).await;
    let got1 = poll_until(&mut *c1, opts, |all| ids(all).len() >= N).await;
    assert_eq!(ids(&got1), want);
    c1.commit(&got1).await.expect("commit");
    let mut c2 = subscribe(bus, &g2, &topic).await;
    let got2 = poll_until(&mut *c2, opts, |all| ids(all).len() >= N).await;
    assert_eq!(
        ids(&got2),
        want,
        "group 2 must see everything despite group 1's commits"
    );
    if opts.exact {
        assert_eq!(got1.len(), N);
        assert_eq!(got2.len(), N);
        assert_eq!(c2.lag().await.expect("lag"), Some(N as u64));
        assert_eq!(c1.lag().await.expect("lag"), Some(0));
    }
}

/// `lag()` counts uncommitted messages and reaches 0 after commit (when the
/// backend reports it at all).
pub async fn lag_reaches_zero(bus: &dyn EventBus, opts: &BusSuiteOptions) {
    const N: usize = 30;
    let topic = new_topic(bus, "lag").await;
    let msgs: Vec<BusMessage> = (0..N)
        .map(|i| keyed(&topic, &format!("k{}", i % 4), i))
        .collect();
    bus.publish(msgs).await.expect("publish");
    let mut c = subscribe(bus, &unique_name("lag-g"), &topic).await;
    let got = poll_until(&mut *c, opts, |all| ids(all).len() >= N).await;
    let before = c.lag().await.expect("lag");
    if opts.exact {
        assert_eq!(before, Some(N as u64));
    }
    if let Some(l) = before {
        assert!(
            l > 0 && l <= N as u64,
            "lag {l} before commit, {N} published"
        );
    }
    let cut = commit_half(&mut *c, &got).await;
    let committed: u64 = {
        let mut n = 0;
        let mut seen = HashSet::new();
        for d in &got {
            if cut.get(&d.partition).is_some_and(|c| d.offset <= *c)
                && seen.insert((d.partition, d.offset))
            {
                n += 1;
            }
        }
        n
    };
    if opts.exact {
        assert_eq!(c.lag().await.expect("lag"), Some(N as u64 - committed));
    }
    c.commit(&got).await.expect("commit");
    if before.is_some() {
        let deadline = Instant::now() + opts.deadline;
        loop {
            let l = c.lag().await.expect("lag");
            if l == Some(0) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "lag stuck at {l:?} after committing everything"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Publish, commit part, drop the bus, reopen it through the factory:
/// messages and committed offsets survive; the log keeps growing.
pub async fn restart_durability<B, F, Fut>(make_bus: &F, opts: &BusSuiteOptions)
where
    B: EventBus,
    F: Fn() -> Fut,
    Fut: Future<Output = B>,
{
    const N1: usize = 40;
    const N2: usize = 20;
    let group = unique_name("restart-g");
    let bus = make_bus().await;
    let topic = new_topic(&bus, "restart").await;
    let first: Vec<BusMessage> = (0..N1)
        .map(|i| keyed(&topic, &format!("k{}", i % 6), i))
        .collect();
    bus.publish(first).await.expect("publish");
    let mut c = subscribe(&bus, &group, &topic).await;
    let got = poll_until(&mut *c, opts, |all| ids(all).len() >= N1).await;
    let cut = commit_half(&mut *c, &got).await;
    let committed = |d: &Delivery| cut.get(&d.partition).is_some_and(|c| d.offset <= *c);
    let mut want: BTreeSet<String> = got.iter().filter(|d| !committed(d)).map(text).collect();
    let max_offset: HashMap<u32, u64> = got.iter().fold(HashMap::new(), |mut m, d| {
        let e = m.entry(d.partition).or_insert(d.offset);
        *e = (*e).max(d.offset);
        m
    });
    drop(c);
    let second: Vec<BusMessage> = (N1..N1 + N2)
        .map(|i| keyed(&topic, &format!("k{}", i % 6), i))
        .collect();
    want.extend(
        second
            .iter()
            .map(|m| String::from_utf8_lossy(&m.payload).into_owned()),
    );
    bus.publish(second).await.expect("publish");
    drop(bus);

    let bus = make_bus().await;
    bus.ensure_topics(std::slice::from_ref(&topic))
        .await
        .expect("ensure_topics after restart");
    let mut c = subscribe(&bus, &group, &topic).await;
    let mut again = poll_until(&mut *c, opts, |all| ids(all).is_superset(&want)).await;
    again.extend(poll_quiet(&mut *c, opts).await);
    for d in &again {
        assert!(
            !committed(d),
            "committed {} redelivered after restart",
            text(d)
        );
    }
    assert_eq!(ids(&again), want);
    if opts.exact {
        assert_eq!(again.len(), want.len());
    }
    c.commit(&again).await.expect("commit");

    // Appends after the restart continue the log.
    bus.publish(vec![keyed(&topic, "k0", N1 + N2)])
        .await
        .expect("publish after restart");
    let last = poll_until(&mut *c, opts, |all| !all.is_empty()).await;
    assert_eq!(text(&last[0]), format!("k0|{}", N1 + N2));
    if let Some(prev) = max_offset.get(&last[0].partition) {
        assert!(last[0].offset > *prev, "offset reused after restart");
    }

    // A new group sees the whole history.
    let mut fresh = subscribe(&bus, &unique_name("restart-new"), &topic).await;
    let all = poll_until(&mut *fresh, opts, |all| ids(all).len() > N1 + N2).await;
    assert_eq!(ids(&all).len(), N1 + N2 + 1);
}

/// The crash child's parameters, when this process is one.
#[derive(Debug, Clone)]
pub struct CrashChild {
    pub topic: String,
    pub context: String,
}

/// `Some` in the child process started by [`crash_parent_check`]; the child
/// test returns immediately when this is `None`.
pub fn crash_child_env() -> Option<CrashChild> {
    let topic = std::env::var(CRASH_CHILD_ENV)
        .ok()
        .filter(|t| !t.is_empty())?;
    Some(CrashChild {
        topic,
        context: std::env::var(CRASH_CONTEXT_ENV).unwrap_or_default(),
    })
}

/// The child side: publishes payloads `0, 1, 2, …` (key `crash`, batches of
/// 1 to 4) and prints `ACKED <n>` for each acknowledged message, flushing
/// stdout, until killed or `count` is reached.
pub async fn crash_child_publish(bus: &dyn EventBus, topic: &str, count: u64) {
    let mut n = 0u64;
    let mut batch = 1u64;
    while n < count {
        let size = batch.min(count - n);
        let msgs: Vec<BusMessage> = (n..n + size)
            .map(|i| message(topic, "crash", i.to_string()))
            .collect();
        bus.publish(msgs).await.expect("crash child publish");
        let mut out = std::io::stdout().lock();
        for i in n..n + size {
            writeln!(out, "ACKED {i}").expect("stdout");
        }
        out.flush().expect("flush stdout");
        n += size;
        batch = batch % 4 + 1;
    }
}

/// The parent side: re-executes the current test binary running only
/// `child_test` (with [`CRASH_CHILD_ENV`] = `topic` and
/// [`CRASH_CONTEXT_ENV`] = `context`), waits for `min_acked` acknowledged
/// messages, SIGKILLs the child, reopens the bus with `make_bus` and asserts
/// that every acknowledged message is there, in order.
pub async fn crash_parent_check<B, F, Fut>(
    child_test: &str,
    topic: &str,
    context: &str,
    min_acked: u64,
    make_bus: F,
    opts: &BusSuiteOptions,
) where
    B: EventBus,
    F: Fn() -> Fut,
    Fut: Future<Output = B>,
{
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = tokio::process::Command::new(exe)
        .args(["--exact", child_test, "--nocapture", "--test-threads=1"])
        .env(CRASH_CHILD_ENV, topic)
        .env(CRASH_CONTEXT_ENV, context)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn crash child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acked: Vec<u64> = Vec::new();
    // libtest may print `test <name> ... ` without a newline before the
    // first line of the child's own output.
    let parse = |line: &str| {
        line.find("ACKED ")
            .and_then(|i| line[i + "ACKED ".len()..].trim().parse::<u64>().ok())
    };
    let wait_until = Instant::now() + opts.deadline.max(Duration::from_secs(60));
    while (acked.len() as u64) < min_acked {
        let line = tokio::time::timeout_at(wait_until, lines.next_line())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "crash child acknowledged only {} messages in time",
                    acked.len()
                )
            })
            .expect("read child stdout");
        match line {
            Some(l) => acked.extend(parse(&l)),
            None => panic!(
                "crash child exited after {} acknowledged messages (wanted {min_acked}); status {:?}",
                acked.len(),
                child.wait().await
            ),
        }
    }
    child.start_kill().expect("SIGKILL the crash child");
    // Lines already written before the kill are acknowledged too.
    while let Some(l) = lines.next_line().await.expect("read child stdout") {
        acked.extend(parse(&l));
    }
    let status = child.wait().await.expect("wait for crash child");
    assert!(
        !status.success(),
        "crash child finished before it was killed"
    );
    let last_acked = *acked.iter().max().expect("acked something");
    assert_eq!(
        acked,
        (0..=last_acked).collect::<Vec<_>>(),
        "child acknowledged out of order"
    );
    eprintln!(
        "crash child killed after {} acknowledged messages",
        acked.len()
    );

    let bus = make_bus().await;
    let mut c = subscribe(&bus, &unique_name("crash-check"), topic).await;
    let mut got = poll_until(&mut *c, opts, |all| {
        let have: HashSet<u64> = all.iter().filter_map(|d| text(d).parse().ok()).collect();
        (0..=last_acked).all(|n| have.contains(&n))
    })
    .await;
    got.extend(poll_quiet(&mut *c, opts).await);
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    for d in &got {
        let n: u64 = text(d)
            .parse()
            .unwrap_or_else(|_| panic!("bad payload {:?}", text(d)));
        if seen.insert(n) {
            order.push(n);
        }
    }
    let max = *order.iter().max().expect("received something");
    assert!(max >= last_acked);
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "crash topic delivered out of order");
    if opts.exact {
        // Unacknowledged messages may or may not have survived, but what is
        // there is a gap-free prefix.
        assert_eq!(
            order,
            (0..=max).collect::<Vec<_>>(),
            "gap in the recovered log"
        );
        assert_no_duplicates(&got, "crash check");
    }
    eprintln!(
        "crash check: all {} acknowledged messages present ({} unacknowledged survived)",
        last_acked + 1,
        max - last_acked
    );
}
