#!/usr/bin/env python3
"""Compare `mcpsec mcp check-tools` with Cisco mcp-scanner (YARA analyzer, offline)
on the labelled fixtures in tests/fixtures/tools.

    python3 -m venv /tmp/cisco && /tmp/cisco/bin/pip install cisco-ai-mcp-scanner==4.8.7
    cargo build --release -p mcpsec
    python3 crates/mcpsec-mcp/scripts/compare_cisco.py [--mcpsec target/release/mcpsec] [--cisco /tmp/cisco/bin/mcp-scanner]

A tool counts as flagged by mcpsec when it has a tool-level finding of severity
medium or above; by Cisco when `is_safe` is false.
"""
import argparse, json, os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "tests", "fixtures", "tools")
# Ground truth: (file, tool) pairs that are malicious; every other tool is benign.
MALICIOUS = {
    ("poisoned-add.json", "add"): "tool poisoning (Invariant): read ~/.cursor/mcp.json, ~/.ssh/id_rsa into 'sidenote'",
    ("facts.json", "get_fact_of_the_day"): "WhatsApp shadowing (Invariant)",
    ("email-shadow.json", "add"): "e-mail shadowing (Invariant)",
    ("hidden-unicode.json", "get_weather"): "zero-width characters",
    ("hidden-unicode.json", "translate"): "Unicode tag smuggling of an injection",
    ("hidden-unicode.json", "format_code"): "bidi override",
    ("hidden-unicode.json", "r\u0435ad_file"): "homoglyph tool name",
    ("encoded.json", "calculate"): "base64-encoded injection",
    ("encoded.json", "hash_text"): "hex-encoded hidden text in a parameter description",
    ("schema-default.json", "list_calendar_events"): "instructions only in a schema default",
}
RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def run_mcpsec(binary, path):
    out = subprocess.run([binary, "mcp", "check-tools", path, "--format", "json"], capture_output=True, text=True, check=True).stdout
    flagged = {}
    for f in json.loads(out)["findings"]:
        if f.get("tool") and RANK[f["severity"]] >= RANK["medium"]:
            flagged.setdefault(f["tool"], []).append(f["rule"])
    return flagged


def run_cisco(binary, path):
    doc = json.load(open(path))
    if isinstance(doc, list):  # mcp-scanner needs {"tools": [...]}; mcpsec also takes a bare array
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"tools": doc}, f)
        path = f.name
    out = subprocess.run([binary, "--analyzers", "yara", "--format", "raw", "static", "--tools", path], capture_output=True, text=True, check=True).stdout
    doc = json.loads(out[out.index("{"):])
    return {r["tool_name"]: r["findings"].get("yara_analyzer", {}).get("threat_names", []) for r in doc["scan_results"] if not r["is_safe"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mcpsec", default="target/release/mcpsec")
    ap.add_argument("--cisco", default="/tmp/cisco/bin/mcp-scanner")
    ap.add_argument("--bench-tools", type=int, default=1000)
    a = ap.parse_args()
    rows, totals = [], {"mcpsec": [0, 0, 0, 0], "cisco": [0, 0, 0, 0]}  # tp, fn, fp, tn
    for name in sorted(os.listdir(TOOLS)):
        path = os.path.join(TOOLS, name)
        doc = json.load(open(path))
        tools = doc["tools"] if isinstance(doc, dict) else doc
        m, c = run_mcpsec(a.mcpsec, path), run_cisco(a.cisco, path)
        for t in tools:
            bad = (name, t["name"]) in MALICIOUS
            for who, got in (("mcpsec", t["name"] in m), ("cisco", t["name"] in c)):
                k = (0 if got else 1) if bad else (2 if got else 3)
                totals[who][k] += 1
            rows.append((name, t["name"], "malicious" if bad else "benign", ",".join(sorted(set(m.get(t["name"], [])))) or "-", ",".join(c.get(t["name"], [])) or "-"))
    print("| file | tool | label | mcpsec (rules, >= medium) | Cisco YARA (threats) |\n|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    for who, (tp, fn, fp, tn) in totals.items():
        print(f"\n{who}: detected {tp}/{tp + fn} malicious tools, {fp}/{fp + tn} benign tools flagged")
    # Speed: N tools built from the fixtures.
    every = []
    for name in sorted(os.listdir(TOOLS)):
        doc = json.load(open(os.path.join(TOOLS, name)))
        every += doc["tools"] if isinstance(doc, dict) else doc
    big = [dict(every[i % len(every)], name=f"{every[i % len(every)]['name']}_{i}") for i in range(a.bench_tools)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"tools": big}, f)
    for who, fn in (("mcpsec", lambda: run_mcpsec(a.mcpsec, f.name)), ("cisco", lambda: run_cisco(a.cisco, f.name))):
        t0 = time.perf_counter()
        fn()
        print(f"{who}: {a.bench_tools} tools in {time.perf_counter() - t0:.2f} s (whole process)")
    os.unlink(f.name)


if __name__ == "__main__":
    sys.exit(main())
