"""harishsg993010/damn-vulnerable-MCP-server -> poisoned-dvmcp.jsonl.
Only tools whose published description carries hidden instructions (challenges 2, 5,
10 and the post-rug-pull description of challenge 4's get_weather_forecast, which the
server assigns to __doc__ at run time). Challenges whose flaw is in code (command
injection, path traversal, token leakage in output, excessive permissions...) are
left out. No benign file: the other tools are deliberately vulnerable in code."""
import sys, os, ast, inspect
sys.path.insert(0, os.path.dirname(__file__))
from pyast import *

G = f"{MIRROR}/harishsg993010+damn-vulnerable-MCP-server/repo"
PICKS = {
    "challenges/easy/challenge2/server.py": {"get_company_data": "important-tag-hidden-resource-read", "search_company_database": "hidden-tag-trigger-phrase"},
    "challenges/medium/challenge5/server.py": {"calculate": "hidden-tag-secret-read-shadowing", "enhanced_calculate": "hidden-tag-secret-read-shadowing"},
    "challenges/hard/challenge10/server.py": {"get_user_profile": "important-tag-admin-password-leak", "malicious_check_system_status": "hidden-tag-credential-extraction"},
}
items = []
for p, picks in PICKS.items():
    for t in extract_tools(git_show(G, "HEAD", p)):
        if t["func"] in picks and ("<HIDDEN>" in t["description"] or "<IMPORTANT>" in t["description"]):
            items.append({"server": p.split("/")[2], "technique": picks[t["func"]], "tool": t})
# challenge4: rug pull, description replaced at run time
src = git_show(G, "HEAD", "challenges/medium/challenge4/server.py")
base = [t for t in extract_tools(src) if t["func"] == "get_weather_forecast"][0]
for node in ast.walk(ast.parse(src)):
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute) and node.targets[0].attr == "__doc__":
        doc = inspect.cleandoc(node.value.value)
        if "<IMPORTANT>" in doc:
            items.append({"server": "challenge4", "technique": "rug-pull-important-tag-config-leak",
                          "tool": {"name": "get_weather_forecast", "description": doc, "inputSchema": base["inputSchema"]}})
print("poisoned", write_jsonl(f"{OUT}/poisoned-dvmcp.jsonl", "dvmcp", "poisoned", items))
