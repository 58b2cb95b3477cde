"""agent-injection-bench 0.1.0 (PyPI sdist, MIT) -> benign-aib.jsonl.
Its 24 attacks put the injection in tool RESULTS, documents, pages, filenames or the chat,
never in tool metadata, so it yields no poisoned items; the tool definitions its cases
declare (name/description/parameters) are plain and are kept as benign tool metadata
(deduplicated). Download: pip download --no-deps --no-binary :all: agent-injection-bench"""
import json, os, sys
sys.path.insert(0, os.path.dirname(__file__))
from pyast import write_jsonl, OUT

src = f"{OUT}/raw/pypi/agent_injection_bench-0.1.0/aib/data/attacks.jsonl"
items = []
for line in open(src):
    r = json.loads(line)
    for t in r.get("tools", []):
        items.append({"server": "agent-injection-bench", "tool": {"name": t["name"], "description": t.get("description", ""),
                      "inputSchema": t.get("parameters") or {"type": "object", "properties": {}}}})
print("benign", write_jsonl(f"{OUT}/benign-aib.jsonl", "aib", "benign", items))
