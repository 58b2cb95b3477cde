#!/usr/bin/env python3
"""Trains the learned tool-poisoning classifier (rule MCP-022) and writes
crates/mcpsec-mcp/data/learned.bin.

Input: "texts" files written by the `learned_data` example of mcpsec-mcp
(`cargo run --release -p mcpsec-mcp --example learned_data -- texts
FILE.jsonl... > texts.jsonl`): one JSON object per line with `id`, `label`
(poisoned | benign), `source`, `server`, `text` (the tool text the model
reads) and `rules` (the other rules that flag the tool).

The features mirror `src/learned.rs` exactly: ASCII-lowercased words
(maximal runs of ASCII letters and digits), word bigrams and character
n-grams of each word padded with one space on both sides, FNV-1a 32-bit
hashed into 2^bits buckets, binary presence. A logistic regression
(scikit-learn, class-balanced) is fitted; the decision threshold is chosen
on out-of-fold scores (folds grouped by server, so one server's tools are
never both trained on and scored) as the lowest threshold at which the
model alone flags at most --max-fpr of the benign training tools (the other
rules' own false positives are reported, not budgeted). `scripts/retrain.sh`
runs the whole pipeline with the flags the shipped model uses.

Needs numpy, scipy and scikit-learn (`pip install scikit-learn`), and `regex` for
--unicode.

Usage:
  train_learned.py --train texts.jsonl [--train more.jsonl] \
      [--eval NAME=texts.jsonl ...] --out data/learned.bin
"""

import argparse
import json
import re
import struct
import sys
from collections import defaultdict

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

MAGIC = b"MCPSEC-LINEAR-1\n"
WORD = re.compile(rb"[A-Za-z0-9]+")


def fnv1a(b: bytes) -> int:
    h = 0x811C9DC5
    for x in b:
        h ^= x
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


IDTOK = re.compile(rb"[A-Za-z0-9_-]+")
try:
    import regex

    UTOK = regex.compile(r"[\p{Alphabetic}\p{N}]+")
except ImportError:  # only --unicode needs it
    UTOK = None
IDENT = b"\x01"


def is_ident(t: bytes) -> bool:
    """A token that names something: snake_case, kebab-case or camelCase."""
    inner = t.strip(b"_-")
    if b"_" in inner or b"-" in inner:
        return any(c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in inner)
    return any(inner[i:i + 1].islower() and inner[i + 1:i + 2].isupper() for i in range(len(inner) - 1))


def features(text: str, bigrams: bool, char_ngrams, idents: bool = False, unicode: bool = False):
    if idents:
        seq = []
        for t in IDTOK.findall(text.encode("utf-8")):
            if is_ident(t):
                seq.append(IDENT)
            else:
                seq.extend(w.lower() for w in WORD.findall(t))
        for i in range(len(seq) - 1):
            if seq[i] == IDENT or seq[i + 1] == IDENT:
                yield b"i " + seq[i] + b" " + seq[i + 1]
    ws = [w.lower() for w in WORD.findall(text.encode("utf-8"))]
    for i, w in enumerate(ws):
        yield b"w " + w
        if bigrams and i + 1 < len(ws):
            yield b"b " + w + b" " + ws[i + 1]
        if char_ngrams:
            p = b" " + w + b" "
            for n in char_ngrams:
                tag = b"c%d " % n
                for j in range(len(p) - n + 1):
                    yield tag + p[j : j + n]
    if unicode:
        # Unicode alphanumeric runs that are not pure ASCII (Rust:
        # char::is_alphanumeric = Alphabetic or Numeric), lowercased, and
        # their character pairs.
        for tok in UTOK.findall(text):
            if tok.isascii():
                continue
            t = tok.lower()
            yield b"u " + t.encode("utf-8")
            for j in range(len(t) - 1):
                yield b"u2 " + t[j : j + 2].encode("utf-8")


def vectorize(texts, bits, bigrams, char_ngrams, idents=False, unicode=False):
    mask = (1 << bits) - 1
    indptr, indices = [0], []
    for t in texts:
        bs = sorted({fnv1a(f) & mask for f in features(t, bigrams, char_ngrams, idents, unicode)})
        indices.extend(bs)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return csr_matrix((data, np.array(indices, dtype=np.int64), np.array(indptr)), shape=(len(texts), 1 << bits))


def load(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


WEAK = {}


def rates(items, prob, threshold, use_rules=True):
    pos = [i for i, it in enumerate(items) if it["label"] == "poisoned"]
    neg = [i for i, it in enumerate(items) if it["label"] != "poisoned"]

    def flagged(i):
        rules = {r for r in items[i]["rules"] if prob[i] >= WEAK.get(r, 0.0)}
        return prob[i] >= threshold or (use_rules and bool(rules))

    tp = sum(1 for i in pos if flagged(i))
    fp = sum(1 for i in neg if flagged(i))
    return tp, len(pos), fp, len(neg)


def fmt(tp, np_, fp, nn):
    d = f"{tp}/{np_} = {100.0 * tp / np_:.1f}%" if np_ else "-"
    f = f"{fp}/{nn} = {100.0 * fp / nn:.1f}%" if nn else "-"
    return f"detected {d}, false positives {f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", action="append", required=True)
    ap.add_argument("--eval", action="append", default=[], help="NAME=texts.jsonl")
    ap.add_argument("--out")
    ap.add_argument("--bits", type=int, default=20)
    ap.add_argument("--no-bigrams", action="store_true")
    ap.add_argument("--char-ngrams", default="4", help="comma-separated lengths, empty for none")
    ap.add_argument("--idents", action="store_true", help="bigrams with identifiers folded to one token")
    ap.add_argument("--unicode", action="store_true",
                    help="non-ASCII words and their character pairs (needs the `regex` package)")
    ap.add_argument("--tfidf", action="store_true",
                    help="idf-weighted, L2-normalised features (sklearn TfidfTransformer defaults)")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--max-fpr", type=float, default=0.01)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--trained", default="")
    ap.add_argument("--weak-rule", action="append", default=[],
                    help="a rule whose findings count only when the model's probability reaches a "
                         "bar chosen out of fold (no poisoned tool lost)")
    ap.add_argument("--scores-out", help="write id/probability of the --eval items (parity check)")
    a = ap.parse_args()
    if a.unicode and UTOK is None:
        sys.exit("--unicode needs the `regex` package (pip install regex)")
    bigrams = not a.no_bigrams
    cng = [int(x) for x in a.char_ngrams.split(",") if x.strip()]

    train = [it for p in a.train for it in load(p)]
    y = np.array([1 if it["label"] == "poisoned" else 0 for it in train])
    groups = [f'{it.get("source")}/{it["server"]}' for it in train]
    X = vectorize([it["text"] for it in train], a.bits, bigrams, cng, a.idents, a.unicode)
    idf = None
    if a.tfidf:
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.preprocessing import normalize
        tf = TfidfTransformer().fit(X)
        idf = tf.idf_.astype(np.float32)
        idf_default = float(np.log(1 + X.shape[0]) + 1)

        def transform(M):
            # Unseen buckets keep idf_default (as the Rust side does); sklearn
            # would give them ln((1+n)/1)+1, the same value.
            return normalize(M.multiply(idf).tocsr())

        X = transform(X)
    else:
        def transform(M):
            return M
    print(f"train: {len(train)} tools ({y.sum()} poisoned, {len(y) - y.sum()} benign), "
          f"{len(set(groups))} servers", file=sys.stderr)

    def fit(Xt, yt):
        m = LogisticRegression(C=a.C, class_weight="balanced", max_iter=5000, solver="liblinear")
        m.fit(Xt, yt)
        return m

    # Out-of-fold probabilities, folds grouped by server.
    oof = np.zeros(len(train))
    gkf = GroupKFold(n_splits=a.folds)
    for tr, te in gkf.split(X, y, groups):
        m = fit(X[tr], y[tr])
        oof[te] = m.predict_proba(X[te])[:, 1]
    # The lowest threshold at which the model ALONE flags at most --max-fpr
    # of the benign training tools out of fold (the other rules' own false
    # positives are reported, not budgeted here).
    neg = [i for i in range(len(train)) if y[i] == 0]
    cand = sorted((oof[i] for i in neg), reverse=True)
    allowed = int(a.max_fpr * len(neg))
    threshold = float(min(0.99, max(0.05, cand[min(allowed, len(cand) - 1)] + 1e-4)))
    print(f"out-of-fold, threshold {threshold:.4f}: rules+model {fmt(*rates(train, oof, threshold))}; "
          f"model alone {fmt(*rates(train, oof, threshold, False))}", file=sys.stderr)
    by_src = defaultdict(list)
    for i, it in enumerate(train):
        by_src[it.get("source") or "?"].append(i)
    for src, idx in sorted(by_src.items()):
        sub = [train[i] for i in idx]
        print(f"  out-of-fold {src}: model alone {fmt(*rates(sub, oof[idx], threshold, False))}",
              file=sys.stderr)

    # Weak rules: the highest bar (on a grid) at which requiring the model's
    # out-of-fold probability for their findings loses no poisoned tool.
    weak = {}
    if a.weak_rule:
        def combined(v):
            tp = fp = 0
            for i, it in enumerate(train):
                rules = set(it["rules"])
                if oof[i] < v:
                    rules -= set(a.weak_rule)
                f = oof[i] >= threshold or bool(rules)
                tp += f and y[i] == 1
                fp += f and y[i] == 0
            return tp, fp
        base_tp, base_fp = combined(0.0)
        bar = 0.0
        for v in [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]:
            if combined(v)[0] < base_tp:
                break
            bar = v
        tp, fp = combined(bar)
        print(f"weak rules {a.weak_rule}: bar {bar}: out-of-fold combined detected {tp}, "
              f"false positives {base_fp} -> {fp}", file=sys.stderr)
        weak = {r: bar for r in a.weak_rule}
        WEAK.update(weak)

    model = fit(X, y)
    coef = model.coef_[0]
    bias = float(model.intercept_[0])
    if idf is not None:
        # Every bucket seen in training (its idf differs from the default) or
        # with a weight.
        nz = np.nonzero((np.abs(coef) > 1e-6) | (np.abs(idf - idf_default) > 1e-6))[0]
    else:
        nz = np.nonzero(np.abs(coef) > 1e-6)[0]
    print(f"model: {len(nz)} non-zero weights of 2^{a.bits}, bias {bias:.3f}", file=sys.stderr)

    for spec in a.eval:
        name, path = spec.split("=", 1)
        ev = load(path)
        Xe = transform(vectorize([it["text"] for it in ev], a.bits, bigrams, cng, a.idents, a.unicode))
        p = model.predict_proba(Xe)[:, 1]
        print(f"eval {name}: rules+model {fmt(*rates(ev, p, threshold))}; model alone "
              f"{fmt(*rates(ev, p, threshold, False))}; rules alone {fmt(*rates(ev, p, 2.0))}",
              file=sys.stderr)
        if a.scores_out:
            with open(a.scores_out, "a", encoding="utf-8") as f:
                for it, pi in zip(ev, p):
                    f.write(json.dumps({"id": it["id"], "probability": float(pi)}) + "\n")

    if a.out:
        header = {
            "bits": a.bits,
            "bias": bias,
            "threshold": threshold,
            "bigrams": bigrams,
            "char_ngrams": cng,
            "idents": a.idents,
            "unicode": a.unicode,
            "n": int(len(nz)),
            **({"idf_default": idf_default} if idf is not None else {}),
            **({"weak_rules": weak} if weak else {}),
            "trained": a.trained,
        }
        with open(a.out, "wb") as f:
            f.write(MAGIC)
            f.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
            for i in nz:
                if idf is not None:
                    f.write(struct.pack("<Iff", int(i), float(coef[i]), float(idf[i])))
                else:
                    f.write(struct.pack("<If", int(i), float(coef[i])))
        print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
