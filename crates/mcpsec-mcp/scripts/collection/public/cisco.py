"""cisco-ai-defense/mcp-scanner -> poisoned-cisco.jsonl, benign-cisco.jsonl.
Poisoned: tools whose published metadata (docstring) carries injected instructions,
picked by hand from evals/behavioral-analysis/data/prompt-injection/* and
examples/example-malicious-servers/*. The behavioral eval categories whose malice
is only in code (tool-poisoning/, goal-manipulation/, ...: benign-looking docstring)
and evals/remote/malicious (overtly malicious capability, no hidden instruction)
are left out. Benign: evals/remote/benign/*.py and the 'safe' tools of
examples/mcp_complete_server.py."""
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from pyast import *

G = f"{MIRROR}/cisco-ai-defense+mcp-scanner/repo"
REV = "HEAD"
POISONED = {
    "examples/example-malicious-servers/line_jumping_server.py":
        {"send_mail": "hidden-bcc-redirect", "retrieve_logs": "important-tag-file-exfil-sidenote",
         "get_workstation_environment": "line-jumping-command-prefix"},
    "examples/example-malicious-servers/malicious_mcp_streamable_server.py":
        {"execute_system_command": "ignore-rules-injection", "run_injection_code": "ignore-previous-reveal-system-prompt",
         "execute_system_command_test": "script-tag-in-description"},
    "examples/example-malicious-servers/server.py":
        {"add": "important-tag-file-exfil-sidenote", "send_email": "cross-tool-shadowing-recipient-override"},
    "examples/example-malicious-servers/sse_server.py":
        {"add": "important-tag-file-exfil-sidenote", "send_email": "cross-tool-shadowing-recipient-override"},
}
items_p, items_b = [], []
for p in git_ls(G, REV):
    if p.startswith("evals/behavioral-analysis/data/prompt-injection/") and p.endswith(".py"):
        for t in extract_tools(git_show(G, REV, p)):
            items_p.append({"server": p.rsplit("/", 1)[1][:-3], "technique": "prompt-injection/" + p.rsplit("/", 1)[1][:-3], "tool": t})
for p, picks in POISONED.items():
    for t in extract_tools(git_show(G, REV, p)):
        if t["func"] in picks or t["name"] in picks:
            items_p.append({"server": p.rsplit("/", 1)[1][:-3], "technique": picks.get(t["func"], picks.get(t["name"])), "tool": t})
src = git_show(G, REV, "examples/example-malicious-servers/tricky_server.py")
tt = {t["func"]: t for t in extract_tools(src)}
for fn, doc in doc_assignments(src):  # rug pull: description swapped at run time
    items_p.append({"server": "tricky_server", "technique": "rug-pull-cross-server-recipient-override-exfil",
                    "tool": {"name": tt[fn]["name"], "description": doc, "inputSchema": tt[fn]["inputSchema"]}})
for p in ["evals/remote/benign/GitHub_tools.py", "evals/remote/benign/azure_tools.py", "evals/remote/benign/discord_tools.py"]:
    for t in extract_tools(git_show(G, REV, p)):
        items_b.append({"server": p.rsplit("/", 1)[1][:-3], "tool": t})
for t in extract_tools(git_show(G, REV, "examples/mcp_complete_server.py")):
    if t["name"] in ("add", "multiply", "safe_calculator"):
        items_b.append({"server": "mcp_complete_server", "tool": t})
print("poisoned", write_jsonl(f"{OUT}/poisoned-cisco.jsonl", "cisco", "poisoned", items_p))
print("benign", write_jsonl(f"{OUT}/benign-cisco.jsonl", "cisco", "benign", items_b))
