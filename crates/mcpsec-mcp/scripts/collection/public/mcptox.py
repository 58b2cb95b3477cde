"""MCPTox (Wang et al., arXiv 2508.14925, AAAI-26) -> poisoned-mcptox.jsonl.

The upstream repository zhiqiangwang4/MCPTox-Benchmark (pure_tool.json, def_tool/*.py,
response_all.json) could not be fetched here. The search index holds one copy of the
benchmark's poisoned tools re-generated as one FastMCP module per server (functions named
t_<tool>__<Server>_<n>, docstring = pure_tool.json `tool_content`); the repository that
holds those modules is not named by the index. A SUBSET of those modules was read with
read_file and copied byte-for-byte (character counts checked against the index) into
raw/mcptox/<Server>.py. This script extracts the tools with the AST helper: name = <tool>,
description = the cleaned docstring with the MCPTox rendering tail ("\nArguments:\n- No
arguments") removed, inputSchema empty (MCPTox poisoned tools have no arguments).

`technique` is a HEURISTIC guess at the MCPTox paradigm from the wording (the paradigm /
risk labels are not in these modules): param-tampering (Template-3 like), explicit-trigger
(the tool names itself: Template-1 like), implicit-trigger (Template-2 like)."""
import glob, os, re, sys
sys.path.insert(0, os.path.dirname(__file__))
from pyast import extract_tools, write_jsonl, OUT

def technique(name, d):
    low = d.lower()
    if re.search(r"(modify|change|set)\b[^.]{0,80}\b(argument|parameter|to ')", low) or "priority is higher" in low:
        return "heuristic:param-tampering"
    if f"'{name}'" in d or "this tool" in low or "before using this" in low:
        return "heuristic:explicit-trigger"
    return "heuristic:implicit-trigger"

items = []
for f in sorted(glob.glob(f"{OUT}/raw/mcptox/*.py")):
    src = open(f, encoding="utf-8").read()
    server = re.search(r"FastMCP\('([^']+)'\)", src).group(1)
    for t in extract_tools(src):
        m = re.match(r"t_(.+?)__(.+)_(\d+)$", t["func"])
        name = m.group(1)
        d = t["description"].split("\nArguments:")[0].strip()
        items.append({"server": server, "technique": technique(name, d),
                      "tool": {"name": name, "description": d, "inputSchema": {"type": "object", "properties": {}}}})
print("poisoned", write_jsonl(f"{OUT}/poisoned-mcptox.jsonl", "mcptox", "poisoned", items))
