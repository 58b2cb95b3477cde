#!/usr/bin/env bash
# Retrains the learned classifier MCP-022 from our labelled files and the
# public collection, and prints its figures on every evaluation set.
#
#   MCPSEC_MCP_PUBLIC_DIR=DIR crates/mcpsec-mcp/scripts/retrain.sh [--swap] [TRAINER FLAGS...]
#
# Default: trains the shipped model on the labelled files listed in TRAIN
# below plus the public items listed in DIR/TRAINED_ON (half of MCPTox's and
# of the real servers' tools, split by server) and writes
# crates/mcpsec-mcp/data/learned.bin and the parity fixture
# tests/fixtures/learned_scores.jsonl. The public items NOT in TRAINED_ON
# are the evaluation set `pub` (what tests/public_collection.rs measures).
#
# --swap: the cross-check — trains on the other half instead (the public
# items not in TRAINED_ON) and evaluates on the half the shipped model was
# trained on; writes the model to $WORK only. The two runs together are a
# 2-fold cross-validation over the public collection.
#
# Needs python3 with numpy, scipy, scikit-learn and regex (PYTHON=... to choose one).
# WORK=DIR keeps the intermediate texts (default: a temporary directory).
set -euo pipefail

SWAP=0
if [[ "${1:-}" == "--swap" ]]; then SWAP=1; shift; fi
PUB=${MCPSEC_MCP_PUBLIC_DIR:?set MCPSEC_MCP_PUBLIC_DIR to the public collection (see scripts/collection/README.md)}
PY=${PYTHON:-python3}
CRATE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$CRATE/../.." && pwd)
LAB=$CRATE/tests/fixtures/labelled
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"

# Our labelled training files (tests/fixtures/labelled/README.md).
TRAIN=(poisoned benign train-poisoned-a train-poisoned-b train-poisoned-c train-poisoned-d train-poisoned-e
       train-poisoned-f train-poisoned-g train-benign train-benign-short train-benign-c train-benign-d
       train-benign-e train-benign-f train-benign-g)
# Our held-out files: evaluated, never trained on.
HELDOUT=(heldout heldout2 heldout3)
for f in heldout4 heldout5; do [[ -f "$LAB/$f.jsonl" ]] && HELDOUT+=("$f"); done
# Labelled files neither trained on nor held out (kept for experiments).
OTHER=()
for f in "$LAB"/train-*.jsonl; do
  n=$(basename "$f" .jsonl)
  [[ " ${TRAIN[*]} " == *" $n "* ]] || OTHER+=("$n")
done

(cd "$ROOT" && cargo build -q --release -p mcpsec-mcp --example learned_data)
E=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/learned_data

for n in "${TRAIN[@]}" "${HELDOUT[@]}" "${OTHER[@]}"; do
  "$E" texts "$LAB/$n.jsonl" > "$WORK/own-$n.jsonl"
done
rm -f "$WORK"/eval-*.jsonl
for f in "$PUB"/poisoned-*.jsonl "$PUB"/benign-*.jsonl; do
  "$E" texts "$f" > "$WORK/pub-$(basename "$f")"
done

# Split the public texts by TRAINED_ON.
"$PY" - "$PUB/TRAINED_ON" "$WORK" "$SWAP" <<'EOF'
import glob, json, os, sys
trained = set(open(sys.argv[1]).read().split())
work, swap = sys.argv[2], sys.argv[3] == "1"
out = {k: open(os.path.join(work, k), "w") for k in
       ("split-train.jsonl", "split-eval-p.jsonl", "split-eval-b.jsonl")}
for path in sorted(glob.glob(os.path.join(work, "pub-*.jsonl"))):
    for line in open(path):
        it = json.loads(line)
        # Only MCPTox and the real servers are split; the other research sets
        # are always evaluation items.
        splittable = os.path.basename(path) in ("pub-poisoned-mcptox.jsonl", "pub-benign-real.jsonl")
        train = splittable and ((it["id"] in trained) != swap)
        key = "split-train.jsonl" if train else (
            "split-eval-p.jsonl" if it["label"] == "poisoned" else "split-eval-b.jsonl")
        out[key].write(line)
        if not train:
            # Per-source figures too.
            with open(os.path.join(work, "eval-" + os.path.basename(path)[4:]), "a") as f:
                f.write(line)
EOF

ARGS=()
for n in "${TRAIN[@]}"; do ARGS+=(--train "$WORK/own-$n.jsonl"); done
ARGS+=(--train "$WORK/split-train.jsonl")
for n in "${TRAIN[@]}" "${HELDOUT[@]}" "${OTHER[@]}"; do ARGS+=(--eval "$n=$WORK/own-$n.jsonl"); done
ARGS+=(--eval "pub-poisoned=$WORK/split-eval-p.jsonl" --eval "pub-benign=$WORK/split-eval-b.jsonl")
for f in "$WORK"/eval-*.jsonl; do ARGS+=(--eval "pub-$(basename "$f" .jsonl | cut -c6-)=$f"); done

if [[ $SWAP == 1 ]]; then
  OUT=$WORK/learned-swap.bin
  SCORES=$WORK/scores-swap.jsonl
else
  OUT=$CRATE/data/learned.bin
  SCORES=$CRATE/tests/fixtures/learned_scores.jsonl
fi
rm -f "$SCORES" "$WORK/scores-all.jsonl"
# The parity fixture holds our labelled files' scores only (the public texts
# cannot be committed): score them with a second pass below.
"$PY" "$CRATE/scripts/train_learned.py" "${ARGS[@]}" \
  --idents --unicode --tfidf --C 100 --max-fpr 0.02 --weak-rule MCP-019 "$@" \
  --out "$OUT" --scores-out "$WORK/scores-all.jsonl"
"$PY" - "$WORK/scores-all.jsonl" "$SCORES" "$WORK" "${TRAIN[@]}" "${HELDOUT[@]}" "${OTHER[@]}" <<'EOF'
import json, os, sys
src, dst, work, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
own = set()
for n in names:
    for line in open(os.path.join(work, f"own-{n}.jsonl")):
        own.add(json.loads(line)["id"])
with open(dst, "w") as out:
    seen = set()
    for line in open(src):
        it = json.loads(line)
        if it["id"] in own and it["id"] not in seen:
            seen.add(it["id"])
            out.write(line)
EOF
rm -f "$WORK/scores-all.jsonl"
echo "model: $OUT; parity scores: $SCORES; texts in $WORK" >&2
