"""AIS2Lab/MCPSecBench (read from the mirror TUM-DSE/MCPSecBench) -> poisoned-mcpsecbench.jsonl,
benign-mcpsecbench.jsonl. Only one published tool carries a poisoned description
(code/maliciousadd.py `modify`); the commented-out poisoned `add` is not published and
is left out, as are attacks that live in prompts (data/attacks*.json are user prompts),
server-name squatting and code-level flaws. Benign: the plain tools of addserver.py,
download.py and sse.py."""
import sys, os
sys.path.insert(0, os.path.dirname(__file__))
from pyast import *

G = f"{MIRROR}/TUM-DSE+MCPSecBench/repo"
p_items = [{"server": "maliciousadd", "technique": "cross-tool-preemption-value-replacement", "tool": t}
           for t in extract_tools(git_show(G, "HEAD", "code/maliciousadd.py")) if t["func"] == "modify"]
b_items = []
for p in ["code/addserver.py", "code/download.py", "code/sse.py"]:
    b_items += [{"server": p.rsplit("/", 1)[1][:-3], "tool": t} for t in extract_tools(git_show(G, "HEAD", p))]
print("poisoned", write_jsonl(f"{OUT}/poisoned-mcpsecbench.jsonl", "mcpsecbench", "poisoned", p_items))
print("benign", write_jsonl(f"{OUT}/benign-mcpsecbench.jsonl", "mcpsecbench", "benign", b_items))
