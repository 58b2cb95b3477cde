"""invariantlabs-ai/mcp-injection-experiments (original not fetchable here; read from
the fork johannhartmann/mcp-injection-experiments, whose root files direct-poisoning.py,
shadowing.py and whatsapp-takeover.py are the Invariant Labs originals) ->
poisoned-invariant.jsonl. The fork's own src/mcp_demo experiments build descriptions
from variables at run time and are not included."""
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from pyast import *

G = f"{MIRROR}/johannhartmann+mcp-injection-experiments/repo"
items = []
for p, tech in [("direct-poisoning.py", "important-tag-file-exfil-sidenote"), ("shadowing.py", "cross-tool-shadowing-recipient-override")]:
    for t in extract_tools(git_show(G, "HEAD", p)):
        items.append({"server": p[:-3], "technique": tech, "tool": t})
src = git_show(G, "HEAD", "whatsapp-takeover.py")
tools = {t["func"]: t for t in extract_tools(src)}
for fn, doc in doc_assignments(src):
    items.append({"server": "whatsapp-takeover", "technique": "rug-pull-cross-server-recipient-override-exfil",
                  "tool": {"name": tools[fn]["name"], "description": doc, "inputSchema": tools[fn]["inputSchema"]}})
print("poisoned", write_jsonl(f"{OUT}/poisoned-invariant.jsonl", "invariant", "poisoned", items))
