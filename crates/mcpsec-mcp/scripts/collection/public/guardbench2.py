"""Manishmaurya89/mcp-guardbench (licence file present, see SOURCES.md) -> poisoned-guardbench2.jsonl,
benign-guardbench2.jsonl. Not fetchable whole; the lab server modules were read with read_file and
their tool definitions transcribed into raw/manish-guardbench-tools.json."""
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
from pyast import write_jsonl, OUT

raw = json.load(open(f"{OUT}/raw/manish-guardbench-tools.json"))
P, B = [], []
for c in raw["cases"]:
    for t in c["tools"]:
        (P if c["label"] == "poisoned" else B).append({"server": c["case"], "technique": c["technique"], "tool": t})
print("poisoned", write_jsonl(f"{OUT}/poisoned-guardbench2.jsonl", "guardbench2", "poisoned", P))
print("benign", write_jsonl(f"{OUT}/benign-guardbench2.jsonl", "guardbench2", "benign", B))
