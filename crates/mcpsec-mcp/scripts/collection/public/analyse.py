"""Summarise eval-results.json: per-technique detection for MCPTox, rules that fire, benign flags, misses."""
import collections, json, os
OUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
R = json.load(open(f"{OUT}/eval-results.json"))
items = R["items"]
recs = {}
for fn in R["summary"]:
    for l in open(f"{OUT}/{fn}"):
        r = json.loads(l); recs[f"{fn}:{r['id']}"] = r
tech = collections.defaultdict(lambda: [0, 0])
for id_, v in items.items():
    if v["file"] == "poisoned-mcptox.jsonl":
        tech[v["technique"]][1] += 1; tech[v["technique"]][0] += bool(v["flagged"])
print("MCPTox by heuristic technique:", {k: f"{a}/{b}" for k, (a, b) in tech.items()})
rules = collections.Counter(r for v in items.values() if v["file"].startswith("poisoned-") for r in v["rules"])
print("rules on poisoned (items):", dict(rules.most_common()))
print("benign flagged:")
for id_, v in items.items():
    if v["file"].startswith("benign-") and v["flagged"]:
        print("  ", id_, v["rules"], recs[id_]["tool"]["name"], "|", recs[id_]["tool"]["description"][:90].replace("\n", " "))
print("missed poisoned (non-mcptox):")
for id_, v in items.items():
    if v["file"].startswith("poisoned-") and v["file"] != "poisoned-mcptox.jsonl" and not v["flagged"]:
        print("  ", id_, v["technique"], recs[id_]["tool"]["name"])
