"""getmcpm/mcp-guardbench (MIT) -> poisoned-guardbench.jsonl, benign-guardbench.jsonl.
The repository could not be fetched whole here; its case files were read one by one
with the search tool's read_file and transcribed into raw/getmcpm-guardbench-cases.json
(tools/list cases only). Left out: OWASP-MCP-2 cases (injection in tool RESULTS),
initialize-instructions, sampling/elicitation phishing, CVE cases (code-level), and the
bidi / zero-width cases (the stored text had lost the invisible characters)."""
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
from pyast import write_jsonl, OUT

raw = json.load(open(f"{OUT}/raw/getmcpm-guardbench-cases.json"))
P, B = [], []
for c in raw["cases"]:
    for t in c["tools"]:
        (P if c["label"] == "poisoned" else B).append({"server": c["case"], "technique": c["technique"], "tool": t})
print("poisoned", write_jsonl(f"{OUT}/poisoned-guardbench.jsonl", "guardbench", "poisoned", P))
print("benign", write_jsonl(f"{OUT}/benign-guardbench.jsonl", "guardbench", "benign", B))
