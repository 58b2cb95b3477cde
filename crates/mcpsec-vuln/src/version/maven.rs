//! Maven's `ComparableVersion` ordering (maven-artifact 3.x).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits with leading zeros stripped (compared by length, then text).
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

const RELEASE_INDEX: &str = "5";

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    let mut v = s.to_string();
    if followed_by_digit && s.len() == 1 {
        v = match s {
            "a" => "alpha".into(),
            "b" => "beta".into(),
            "m" => "milestone".into(),
            _ => v,
        };
    }
    let v = match v.as_str() {
        "ga" | "final" | "release" => String::new(),
        "cr" => "rc".into(),
        _ => v,
    };
    Item::Str(v)
}

fn parse_item(buf: &str, is_digit: bool) -> Item {
    if is_digit {
        let t = buf.trim_start_matches('0');
        Item::Int(if t.is_empty() { "0".into() } else { t.into() })
    } else {
        string_item(buf, false)
    }
}

fn cmp_int(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(v) => v == "0",
            Item::Str(s) => comparable_qualifier(s) == RELEASE_INDEX,
            Item::List(l) => l.is_empty(),
        }
    }

    /// `compareTo(null)`.
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Int(v) => {
                if v == "0" {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(s) => comparable_qualifier(s).as_str().cmp(RELEASE_INDEX),
            Item::List(l) => l.first().map(Item::cmp_null).unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, o: &Item) -> Ordering {
        match (self, o) {
            (Item::Int(a), Item::Int(b)) => cmp_int(a, b),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(_), Item::Int(_)) => Ordering::Less,
            (Item::Str(a), Item::Str(b)) => comparable_qualifier(a).cmp(&comparable_qualifier(b)),
            (Item::Str(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(a), Item::List(b)) => cmp_list(a, b),
        }
    }
}

fn cmp_list(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let r = match (a.get(i), b.get(i)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.cmp_null().reverse(),
            (Some(l), None) => l.cmp_null(),
            (Some(l), Some(r)) => l.cmp_item(r),
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    items: Vec<Item>,
}

/// Parsing builds nested lists; we use an arena of lists with parent links.
impl MavenVersion {
    pub fn parse(version: &str) -> MavenVersion {
        let v = version.to_lowercase();
        let chars: Vec<char> = v.chars().collect();
        // Arena: each list holds items, where a nested list is referenced by index.
        let mut lists: Vec<Vec<Node>> = vec![Vec::new()];
        let mut stack: Vec<usize> = vec![0];
        let mut cur = 0usize;
        let mut is_digit = false;
        let mut start = 0usize;
        let sub = |a: usize, b: usize| -> String { chars[a..b].iter().collect() };
        for (i, &c) in chars.iter().enumerate() {
            if c == '.' {
                if i == start {
                    lists[cur].push(Node::Item(Item::Int("0".into())));
                } else {
                    lists[cur].push(Node::Item(parse_item(&sub(start, i), is_digit)));
                }
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    lists[cur].push(Node::Item(Item::Int("0".into())));
                } else {
                    lists[cur].push(Node::Item(parse_item(&sub(start, i), is_digit)));
                }
                start = i + 1;
                lists.push(Vec::new());
                let n = lists.len() - 1;
                lists[cur].push(Node::List(n));
                cur = n;
                stack.push(n);
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    lists[cur].push(Node::Item(string_item(&sub(start, i), true)));
                    start = i;
                    lists.push(Vec::new());
                    let n = lists.len() - 1;
                    lists[cur].push(Node::List(n));
                    cur = n;
                    stack.push(n);
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    lists[cur].push(Node::Item(parse_item(&sub(start, i), true)));
                    start = i;
                    lists.push(Vec::new());
                    let n = lists.len() - 1;
                    lists[cur].push(Node::List(n));
                    cur = n;
                    stack.push(n);
                }
                is_digit = false;
            }
        }
        if chars.len() > start {
            lists[cur].push(Node::Item(parse_item(&sub(start, chars.len()), is_digit)));
        }
        // Materialise bottom-up (children have larger indices), normalising
        // each list as the original does when popping its stack.
        let mut built: Vec<Option<Vec<Item>>> = vec![None; lists.len()];
        for idx in (0..lists.len()).rev() {
            let mut items = Vec::with_capacity(lists[idx].len());
            for node in &lists[idx] {
                match node {
                    Node::Item(it) => items.push(it.clone()),
                    Node::List(n) => items.push(Item::List(built[*n].take().unwrap_or_default())),
                }
            }
            normalize(&mut items);
            built[idx] = Some(items);
        }
        MavenVersion {
            items: built[0].take().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Item(Item),
    List(usize),
}

impl Ord for MavenVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        cmp_list(&self.items, &o.items)
    }
}
impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for MavenVersion {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for MavenVersion {}
