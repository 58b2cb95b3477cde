"""Run `mcpsec mcp check-tools` on every item of every poisoned-*/benign-*.jsonl, each tool
alone in its own {"tools":[tool]} file with its own name and --server = item server (as
crates/mcpsec-mcp/tests/labelled.rs does through the library). A tool counts as flagged
with >=1 finding of severity medium/high/critical. Writes eval-results.json and prints a
summary. Usage: python3 evaluate.py [path/to/mcpsec]"""
import collections, concurrent.futures as cf, glob, json, os, subprocess, sys, tempfile

BIN = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "/work/main/target/release/mcpsec"
OUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEV = {"medium", "high", "critical"}

def run(item):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"tools": [item["tool"]]}, f)
        path = f.name
    try:
        p = subprocess.run([BIN, "mcp", "check-tools", path, "--format", "json", "--server", item["server"] or "server"],
                           capture_output=True, text=True, timeout=120)
        try:
            fs = json.loads(p.stdout).get("findings", [])
        except Exception:
            return item["id"], None, [f"ERROR rc={p.returncode} {p.stderr[-300:]}"]
        rules = sorted({x["rule"] for x in fs if x["severity"] in SEV})
        return item["id"], bool(rules), rules
    finally:
        os.unlink(path)

results, summary = {}, {}
MINE = ["aib", "cisco", "dvmcp", "guardbench", "guardbench2", "invariant", "mcpsecbench", "mcptox"]
files = sorted(glob.glob(f"{OUT}/poisoned-*.jsonl") + glob.glob(f"{OUT}/benign-*.jsonl"))
if "--all" not in sys.argv:  # other helpers drop files here too (e.g. benign-real.jsonl); evaluate only this collection's
    files = [f for f in files if os.path.basename(f).split("-", 1)[1][:-6] in MINE]
for fn in files:
    items = [json.loads(l) for l in open(fn) if l.strip()]
    with cf.ThreadPoolExecutor(6) as ex:
        res = list(ex.map(run, items))
    byid = {i["id"]: i for i in items}
    flagged = sum(1 for _, fl, _ in res if fl)
    errors = sum(1 for _, fl, _ in res if fl is None)
    name = os.path.basename(fn)
    summary[name] = {"flagged": flagged, "total": len(items), "errors": errors}
    for id_, fl, rules in res:
        results[f"{name}:{id_}"] = {"id": id_, "file": name, "flagged": fl, "rules": rules, "technique": byid[id_].get("technique", "")}
    print(f"{name}: flagged {flagged}/{len(items)}" + (f" ({errors} errors)" if errors else ""), flush=True)
json.dump({"binary": BIN, "summary": summary, "items": results}, open(f"{OUT}/eval-results.json", "w"), indent=1)
missed = collections.Counter(r["technique"] or "(none)" for r in results.values() if r["file"].startswith("poisoned-") and r["flagged"] is False)
tp = sum(v["flagged"] for k, v in summary.items() if k.startswith("poisoned-")); np_ = sum(v["total"] for k, v in summary.items() if k.startswith("poisoned-"))
fp = sum(v["flagged"] for k, v in summary.items() if k.startswith("benign-")); nb = sum(v["total"] for k, v in summary.items() if k.startswith("benign-"))
print(f"TOTAL poisoned detected {tp}/{np_}; benign flagged {fp}/{nb}")
print("most common missed techniques:")
for t, n in missed.most_common(20):
    print(f"  {n:4d}  {t}")
rc = collections.Counter(r for v in results.values() if v["file"].startswith("benign-") and v["flagged"] for r in v["rules"])
print("rules firing on benign:", dict(rc))
