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
pub(crate) struct Required {
    /// All literals must occur (`all` modifier), else at least one.
    pub all: bool,
    /// Every matcher is a plain substring test of its literal: presence decides.
    pub exact: bool,
    pub lits: Vec<String>,
}

/// An item's prefilter check, resolved against one [`Prefilter`].
#[derive(Debug, Clone)]
pub(crate) struct ItemPre {
    pub set: u64,
    pub slot: u32,
    pub all: bool,
    /// Every matcher of the item is a plain substring test: the literals'
    /// presence decides the item (no need to run the matchers).
    pub exact: bool,
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
    /// Start of each field's bits in the per-event bit set, in words.
    offsets: Vec<usize>,
    words: usize,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Prefilter {
    pub(crate) fn new(fields: Vec<FieldLits>) -> Arc<Prefilter> {
        let mut offsets = Vec::with_capacity(fields.len());
        let mut words = 0;
        for f in &fields {
            offsets.push(words);
            words += f.count.div_ceil(64);
        }
        Arc::new(Prefilter {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            fields,
            offsets,
            words,
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
    /// One bit per literal of every field.
    bits: Vec<u64>,
    /// One bit per field: computed.
    done: Vec<u64>,
    /// Fields computed for this event (their bits are cleared on reset).
    computed: Vec<u32>,
}

impl Memo {
    pub fn reset(&mut self, pre: Option<Arc<Prefilter>>) {
        let same = match (&self.pre, &pre) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        if same {
            // Clear only what the last event touched.
            if let Some(p) = &self.pre {
                for &slot in &self.computed {
                    let s = slot as usize;
                    let start = p.offsets[s];
                    let end = start + p.fields[s].count.div_ceil(64);
                    self.bits[start..end].fill(0);
                    self.done[s / 64] = 0;
                }
            }
            self.computed.clear();
            return;
        }
        self.bits.clear();
        self.done.clear();
        self.computed.clear();
        if let Some(p) = &pre {
            self.bits.resize(p.words, 0);
            self.done.resize(p.fields.len().div_ceil(64), 0);
        }
        self.pre = pre;
    }

    /// Whether an item's literals pass, computing its field's bits with
    /// `texts` on first use. `None` when the item belongs to another rule set.
    pub fn check(&mut self, pre: &ItemPre, texts: Texts<'_>) -> Option<bool> {
        let p = self.pre.as_deref().filter(|p| p.id == pre.set)?;
        let slot = pre.slot as usize;
        let f = p.fields.get(slot)?;
        let start = p.offsets[slot];
        let words = &mut self.bits[start..start + f.count.div_ceil(64)];
        if self.done[slot / 64] & (1 << (slot % 64)) == 0 {
            self.done[slot / 64] |= 1 << (slot % 64);
            self.computed.push(pre.slot);
            texts(&f.field, &mut |t: &str| {
                for m in f.ac.find_overlapping_iter(t) {
                    let i = m.pattern().as_usize();
                    words[i / 64] |= 1 << (i % 64);
                }
            });
        }
        Some(passes(words, pre))
    }
}

/// Calls its second argument with every text of the field named by the first.
pub(crate) type Texts<'a> = &'a mut dyn FnMut(&str, &mut dyn FnMut(&str));

fn passes(bits: &[u64], pre: &ItemPre) -> bool {
    let has = |i: &u32| bits[*i as usize / 64] & (1 << (*i % 64)) != 0;
    if pre.all {
        pre.lits.iter().all(has)
    } else {
        pre.lits.iter().any(has)
    }
}
