#!/usr/bin/env python3
"""Run `mcpsec mcp check-tools` on every harvested raw tools/list and summarise medium+ findings as false positives."""
import json, glob, subprocess, collections, re, sys
from pathlib import Path
BASE = Path("/work/peers/mcp-harvest")
BIN = sys.argv[1] if len(sys.argv) > 1 else "/work/main/target/release/mcpsec"
RULES = Path("/work/main/crates/mcpsec-mcp/rules/default.yaml").read_text()
titles = dict(re.findall(r"- id: (MCP-\d+)\n\s+title: \"?([^\n\"]+)", RULES))
SEV = {"medium", "high", "critical"}
servers = []
for m in sorted(glob.glob(str(BASE / "raw/*.meta.json"))):
    meta = json.loads(Path(m).read_text())
    if meta.get("status") != "ok": continue
    servers.append(meta)
per_server, flagged_tools, rule_tools, rule_find, all_find = {}, {}, collections.Counter(), collections.Counter(), []
low_rules = collections.Counter(); rule_servers = collections.Counter(); errors = []
total_tools = 0; sev_count = collections.Counter()
for meta in servers:
    s = meta["server"]; f = BASE / "raw" / f"{s}.json"
    p = subprocess.run([BIN, "mcp", "check-tools", str(f), "--server", s, "--format", "json"], capture_output=True, text=True, timeout=300)
    try: rep = json.loads(p.stdout)
    except Exception: errors.append((s, p.stderr[-300:])); continue
    if rep.get("errors"): errors.append((s, json.dumps(rep["errors"])[:300]))
    ntools = len(json.loads(f.read_text())["tools"]); total_tools += ntools
    flagged = collections.defaultdict(list)
    for fd in rep.get("findings", []):
        sev = str(fd.get("severity", "")).lower(); sev_count[sev] += 1
        if sev not in SEV:
            low_rules[fd["rule"]] += 1; continue
        all_find.append(fd); rule_find[fd["rule"]] += 1
        flagged[fd.get("tool") or "<server-level>"].append(fd)
    for t in flagged: flagged_tools[(s, t)] = flagged[t]
    for t, fl in flagged.items():
        for r in {x["rule"] for x in fl}:
            if t == "<server-level>": rule_servers[r] += 1
            else: rule_tools[r] += 1
    per_server[s] = (meta["package"], ntools, len([t for t in flagged if t != "<server-level>"]), "<server-level>" in flagged)
ntool_flag = len([k for k in flagged_tools if k[1] != "<server-level>"])
json.dump({"servers": len(per_server), "tools": total_tools, "flagged_tools": ntool_flag, "by_rule_tools": rule_tools,
           "by_rule_findings": rule_find, "by_rule_servers_server_level": rule_servers, "low_info_findings_by_rule": low_rules, "by_severity": sev_count, "errors": errors},
          open(BASE / "fp-summary.json", "w"), indent=1)
md = ["# False positives of `mcpsec mcp check-tools` on real, benign MCP tool lists", "",
      f"Binary: `{BIN}` (built from /work/main at the time of the run; semantic detector MCP-020 off — no embedding model; LLM judge MCP-030 off).",
      f"Input: {len(per_server)} raw `tools/list` results in /work/peers/mcp-harvest/raw/ (see SOURCES.md), {total_tools} tools (before cross-server dedup).",
      f"Reproduce: `python3 /work/peers/mcp-harvest/eval_fp.py [path/to/mcpsec]`.", "",
      f"**Tools with ≥1 finding of severity medium/high/critical: {ntool_flag} / {total_tools} = {100*ntool_flag/max(total_tools,1):.1f} %** "
      f"(servers with ≥1 flagged tool: {len([1 for v in per_server.values() if v[2]])} / {len(per_server)}).", "",
      f"Findings by severity (all): {dict(sev_count)}", "",
      "## By rule (medium+)", "", "Tool-level rules flag a tool; MCP-201/202 (toxic flow) are server-level findings about the combination of a server's tools, counted per server and NOT in the per-tool figure.", "",
      "| rule | title | tools flagged | servers with server-level finding | findings |", "|---|---|---|---|---|"]
for r in sorted(rule_find, key=lambda r: -(rule_tools[r] * 1000 + rule_servers[r])):
    md.append(f"| {r} | {titles.get(r, '?')} | {rule_tools[r]} | {rule_servers[r]} | {rule_find[r]} |")
if low_rules:
    md += ["", "Low/info findings (not counted): " + ", ".join(f"{r} ×{n}" for r, n in low_rules.most_common())]
md += ["", "## Per server (only servers with flagged tools)", "", "| server | package | tools | flagged | rate |", "|---|---|---|---|---|"]
for s, (pkg, n, k, srvlvl) in sorted(per_server.items(), key=lambda x: -x[1][2]):
    if k or srvlvl: md.append(f"| {s} | {pkg} | {n} | {k}{' (+server-level)' if srvlvl else ''} | {100*k/max(n,1):.0f} % |")
md += ["", "## Flagged tools", ""]
for (s, t), fl in sorted(flagged_tools.items()):
    md.append(f"### {s} / {t}")
    for fd in fl:
        ev = (fd.get("evidence") or "").replace("\n", " ").replace("`", "'")[:220]
        md.append(f"- **{fd['rule']}** ({fd['severity']}) at `{fd.get('location') or '-'}`: {fd.get('message','')[:160]} — evidence: `{ev}`")
    md.append("")
if errors:
    md += ["## Errors", ""] + [f"- {s}: {e}" for s, e in errors]
(BASE / "false-positives.md").write_text("\n".join(md) + "\n")
print(f"servers={len(per_server)} tools={total_tools} flagged={ntool_flag}"); print("tool-level", rule_tools.most_common()); print("server-level", rule_servers.most_common())
