#!/bin/sh
# Peers built as described in docs/detection.md ("Side by side with Chainsaw and Hayabusa"), under /work/peers.
# Alternating whole-process runs of mcpsec, Chainsaw and Hayabusa on the same EVTX corpus and SigmaHQ rules.
# usage: side_by_side.sh CORPUS ROUNDS   (prints one line per run: tool seconds maxrss_kb)
set -u
P=/work/peers; S=/work/shared/data/sigma; CORPUS=$1; N=${2:-3}
for i in $(seq 1 "$N"); do
  /usr/bin/time -f "mcpsec %e %M" $P/bin/mcpsec hunt "$CORPUS" -r $S/rules/windows --format jsonl -o /tmp/sbs-mcpsec.jsonl >/dev/null 2>/tmp/sbs-mcpsec.err; tail -1 /tmp/sbs-mcpsec.err
  /usr/bin/time -f "chainsaw %e %M" $P/target/release/chainsaw hunt "$CORPUS" -s $S/rules/windows --mapping $P/chainsaw/mappings/sigma-event-logs-all.yml --jsonl -o /tmp/sbs-chainsaw.jsonl >/dev/null 2>/tmp/sbs-chainsaw.err; tail -1 /tmp/sbs-chainsaw.err
  if [ -x $P/target/release/hayabusa ]; then
    (cd $P/hayabusa && /usr/bin/time -f "hayabusa %e %M" $P/target/release/hayabusa dfir-timeline -d "$CORPUS" -r $S/rules/windows -w -A -a -D -u -n -t jsonl -C -q -K -p super-verbose -o /tmp/sbs-hayabusa.jsonl >/dev/null 2>/tmp/sbs-hayabusa.err); tail -1 /tmp/sbs-hayabusa.err
  fi
done
