#!/usr/bin/env python3
import json, glob, os
from pathlib import Path
BASE = Path("/work/peers/mcp-harvest")
# latest status per package from harvest logs
recs = {}
for f in sorted(glob.glob(str(BASE / "logs/harvest-*.jsonl"))):
    for line in open(f):
        line = line.strip()
        if not line.startswith("{"): continue
        r = json.loads(line); prev = recs.get((r["kind"], r["package"]))
        if prev and prev.get("status") == "ok" and r.get("status") != "ok": continue
        recs[(r["kind"], r["package"])] = r
# install failures
for kind, f in (("npm", "npm-install-status*.txt"), ("pypi", "py-install-status.txt")):
    for line in (l for g in glob.glob(str(BASE / "logs" / f)) for l in open(g)):
        st, pkg = line.split()[:2]
        if st == "FAIL" and (kind, pkg) not in recs:
            log = BASE / "logs" / (f"npm-{pkg.lstrip('@').replace('/', '__')}.log" if kind == "npm" else f"py-{pkg}.log")
            tail = ""
            try:
                ls = [l for l in log.read_text(errors="replace").splitlines() if l.strip()]
                tail = next((l for l in ls if "404" in l or "error:" in l.lower() or "ERR" in l), ls[-1] if ls else "")
            except Exception: pass
            recs[(kind, pkg)] = {"kind": kind, "package": pkg, "status": "install-fail", "error": tail[:200]}
out = open("/work/peers/mcp-public/benign-real.jsonl", "w")
seen, ids, n, servers = set(), set(), 0, 0
per = {}
for (_, pkg), r in sorted(recs.items()):
    if r.get("status") != "ok": continue
    raw = json.loads((BASE / "raw" / f"{r['server']}.json").read_text())
    k = 0
    for t in raw["tools"]:
        key = json.dumps(t, sort_keys=True)
        if key in seen: continue
        seen.add(key)
        i = f"real-{r['server']}-{t.get('name')}"
        j, base = 2, i
        while i in ids: i = f"{base}-{j}"; j += 1
        ids.add(i)
        kind = "npm" if r["kind"] == "npm" else "pypi"
        out.write(json.dumps({"id": i, "label": "benign", "source": f"{pkg}@{r['version']}", "server": r["server"], "tool": t}, ensure_ascii=False) + "\n")
        n += 1; k += 1
    per[r['server']] = k; servers += 1
out.close()
ok = [r for r in recs.values() if r.get("status") == "ok"]
bad = [r for r in recs.values() if r.get("status") != "ok"]
md = ["# MCP tools/list harvest — sources", "",
      f"Harvested by `harvest.py` (hand-rolled JSON-RPC stdio client: initialize → notifications/initialized → tools/list with cursor pagination; prompts/list and resources/list when advertised). Each server started from its registry package, installed under /work/peers/mcp-harvest (npm/<pkg>, pyenvs/<pkg>), with dummy credentials / unreachable endpoints (127.0.0.1:9) in env, 40 s timeout, process group killed afterwards. No network except registries: servers that need to reach their API before listing tools fail.", "",
      f"**{servers} servers, {n} distinct tools** (after dedup of byte-identical tool objects) in /work/peers/mcp-public/benign-real.jsonl. `$H` = /work/peers/mcp-harvest.", "",
      "Notes: (1) servers written against the mcp 1.x Python SDK crashed with the mcp 2.x that pip resolves today; for those (listed in mcp1-downgraded.txt) `mcp<2` was installed into their venv and the harvest repeated (awslabs-ec2/kinesis needed even older and still failed). (2) The disk filled up at ~02:00 UTC; installs were then deleted after harvesting (npm/ and pyenvs/ are empty now), 8 npm installs interrupted then were redone one by one (one_npm.sh). (3) Reproduce: install_npm.sh / install_py.sh <pkg>, then `venv/bin/python harvest.py npm|pypi <pkg>`; build_outputs.py regenerates the JSONL and this file from logs/harvest-*.jsonl; eval_fp.py runs mcpsec.", "",
      "## Harvested", "", "| package | registry | version | licence | tools (raw) | tools (kept) | command |", "|---|---|---|---|---|---|---|"]
for r in sorted(ok, key=lambda r: r["package"]):
    md.append(f"| {r['package']} | {r['kind']} | {r['version']} | {r.get('license') or '?'} | {r['ntools']} | {per.get(r['server'],0)} | `{r['command']}` |")
md += ["", "## Failed / no tools", "", "| package | registry | status | reason |", "|---|---|---|---|"]
for r in sorted(bad, key=lambda r: r["package"]):
    reason = (r.get("error") or "") + ((" — stderr: " + r["stderr_tail"]) if r.get("stderr_tail") else "")
    reason = reason.replace("|", "/").replace("\n", " ")[:300]
    md.append(f"| {r['package']} | {r['kind']} | {r['status']} | {reason} |")
(BASE / "SOURCES.md").write_text("\n".join(md) + "\n")
print(f"servers={servers} tools={n} failed={len(bad)}")
