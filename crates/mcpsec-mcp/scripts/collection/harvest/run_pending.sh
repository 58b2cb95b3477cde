#!/bin/bash
# harvest every installed package not yet attempted
cd /work/peers/mcp-harvest
for kind in npm pypi; do
  st=$([ $kind = npm ] && echo "logs/npm-install-status*.txt" || echo logs/py-install-status.txt)
  touch logs/harvest-$kind.jsonl
  pend=$(cat $st | awk '$1 ~ /^OK/ {print $2}' | sort -u | while read p; do grep -q "\"package\": \"$p\"" logs/harvest-$kind.jsonl || echo "$p"; done)
  [ -n "$pend" ] && HARVEST_PAR=${PAR:-4} venv/bin/python harvest.py $kind $pend >> logs/harvest-$kind.jsonl 2>> logs/harvest-$kind.err
done
python3 build_outputs.py
