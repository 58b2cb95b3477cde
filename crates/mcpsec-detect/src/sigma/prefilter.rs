//! A shared literal prefilter over a whole rule set.
//!
//! Most value items of most rules require a literal in their field: an
//! `endswith: '\cmd.exe'` item cannot match unless the field's lowercase text
//! contains `\cmd.exe`. The rule set collects these literals per field into
//! one Aho-Corasick automaton, runs it once per event and field (lazily, on
//! the first rule that asks), and each item first checks its literals in the
//! resulting bit set: an item whose required literals are absent is false
//! without running its matchers. The prefilter is a necessary condition
//! only, so results are unchanged; it just skips the work (one automaton scan
//! per field instead of one substring search per rule and value).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::AhoCorasick;

/// What an item requires before its matchers run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Required {
    /// At least one of these literals must occur in the field.
    Any(Vec<String>),
    /// All of these literals must occur in the field.
    All(Vec<String>),
}

/// An item's prefilter check, resolved against one [`Prefilter`].
#[derive(Debug, Clone)]
pub(crate) struct ItemPre {
    pub set: u64,
    pub slot: u32,
    pub all: bool,
    pub lits: Box<[u32]>,
}

/// One field's automaton.
#[derive(Debug, Clone)]
pub(crate) struct FieldLits {
    pub field: Box<str>,
    pub ac: AhoCorasick,
    pub count: usize,
}

/// The literals of a rule set, per field.
#[derive(Debug)]
pub struct Prefilter {
    pub(crate) id: u64,
    pub(crate) fields: Vec<FieldLits>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Prefilter {
    pub(crate) fn new(fields: Vec<FieldLits>) -> Arc<Prefilter> {
        Arc::new(Prefilter {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            fields,
        })
    }

    /// Fields with literals.
    pub fn fields(&self) -> usize {
        self.fields.len()
    }

    /// Literals over all fields.
    pub fn literals(&self) -> usize {
        self.fields.iter().map(|f| f.count).sum()
    }
}

/// Per-event memo: which literals of each field occur (computed on first use).
#[derive(Debug, Clone, Default)]
pub(crate) struct Memo {
    pub pre: Option<Arc<Prefilter>>,
    pub hits: Vec<Option<Box<[u64]>>>,
}

impl Memo {
    pub fn reset(&mut self, pre: Option<Arc<Prefilter>>) {
        self.hits.clear();
        if let Some(p) = &pre {
            self.hits.resize(p.fields.len(), None);
        }
        self.pre = pre;
    }
}

/// Calls its argument with every text to scan.
pub(crate) type Texts<'a> = &'a mut dyn FnMut(&mut dyn FnMut(&str));

pub(crate) fn bits_for(ac: &AhoCorasick, count: usize, texts: Texts<'_>) -> Box<[u64]> {
    let mut bits = vec![0u64; count.div_ceil(64)].into_boxed_slice();
    texts(&mut |t: &str| {
        for m in ac.find_overlapping_iter(t) {
            let i = m.pattern().as_usize();
            bits[i / 64] |= 1 << (i % 64);
        }
    });
    bits
}

pub(crate) fn passes(bits: &[u64], pre: &ItemPre) -> bool {
    let has = |i: &u32| bits[*i as usize / 64] & (1 << (*i % 64)) != 0;
    if pre.all {
        pre.lits.iter().all(has)
    } else {
        pre.lits.iter().any(has)
    }
}
