#!/usr/bin/env python3
"""Harvest tools/list (+prompts/list, resources/list) from real MCP servers over stdio.
Usage: harvest.py npm|pypi [name ...]   (default: all installed)"""
import asyncio, json, os, sys, signal, re, glob
from pathlib import Path

BASE = Path("/work/peers/mcp-harvest")
RAW = BASE / "raw"; LOGS = BASE / "logs"
TIMEOUT = float(os.environ.get("HARVEST_TIMEOUT", "40"))
SCRATCH = BASE / "scratch"
(SCRATCH / "fs").mkdir(parents=True, exist_ok=True)
(SCRATCH / "home").mkdir(parents=True, exist_ok=True)
(SCRATCH / "vault").mkdir(parents=True, exist_ok=True)

DUMMY = "dummy-token-0000000000000000"
DUMMY_ENV = {k: DUMMY for k in """GITHUB_PERSONAL_ACCESS_TOKEN GITHUB_TOKEN GITLAB_PERSONAL_ACCESS_TOKEN GITLAB_TOKEN
SLACK_BOT_TOKEN SLACK_MCP_XOXP_TOKEN BRAVE_API_KEY GOOGLE_MAPS_API_KEY TAVILY_API_KEY EXA_API_KEY FIRECRAWL_API_KEY
NOTION_TOKEN OPENAPI_MCP_HEADERS STRIPE_SECRET_KEY SENTRY_ACCESS_TOKEN HEROKU_API_KEY LAUNCHDARKLY_API_KEY FIGMA_API_KEY
DATADOG_API_KEY DD_API_KEY DD_APP_KEY DATADOG_APP_KEY HUBSPOT_ACCESS_TOKEN PRIVATE_APP_ACCESS_TOKEN PERPLEXITY_API_KEY
SHORTCUT_API_TOKEN APIFY_TOKEN CURRENTS_API_KEY Z_AI_API_KEY ATLASSIAN_API_TOKEN JIRA_API_TOKEN CONFLUENCE_API_TOKEN
MONDAY_TOKEN MAPBOX_ACCESS_TOKEN API_TOKEN AMAP_MAPS_API_KEY POSTMAN_API_KEY AIRTABLE_API_KEY ASANA_ACCESS_TOKEN
JIRA_TOKEN CONFLUENCE_TOKEN BITBUCKET_TOKEN TODOIST_API_KEY REPLICATE_API_TOKEN CLOUDFLARE_API_TOKEN LINEAR_API_KEY
CHANNEL_ACCESS_TOKEN CODACY_ACCOUNT_TOKEN HOSTINGER_API_TOKEN BROWSERSTACK_ACCESS_KEY AZURE_DEVOPS_PAT
BROWSERBASE_API_KEY ATLASSIAN_BITBUCKET_APP_PASSWORD ELASTICSEARCH_API_KEY ES_API_KEY TRELLO_API_KEY TRELLO_TOKEN
COOLIFY_ACCESS_TOKEN METABASE_API_KEY NEON_API_KEY PLANE_API_KEY XERO_CLIENT_SECRET COINGECKO_PRO_API_KEY ROLLBAR_ACCESS_TOKEN
JINA_API_KEY DIGITALOCEAN_API_TOKEN HEVY_API_KEY GRAFANA_API_KEY GRAFANA_SERVICE_ACCOUNT_TOKEN PINECONE_API_KEY REF_API_KEY
RESEND_API_KEY TELNYX_API_KEY MORPH_API_KEY GLEAN_API_TOKEN OBSIDIAN_API_KEY TWENTY_FIRST_API_KEY INSTANT_APP_ADMIN_TOKEN
ANTHROPIC_API_KEY OPENAI_API_KEY QDRANT_API_KEY SNOWFLAKE_PASSWORD CLICKHOUSE_PASSWORD ROOTLY_API_TOKEN
PAGERDUTY_USER_API_KEY DBT_TOKEN HOMEASSISTANT_TOKEN MINIMAX_API_KEY ZOTERO_API_KEY BRIGHTDATA_API_TOKEN
API_KEY ACCESS_TOKEN SMARTBEAR_API_TOKEN BUGSNAG_AUTH_TOKEN VARIFLIGHT_API_KEY SERVICENOW_PASSWORD
LARK_APP_SECRET EMAIL_PASSWORD SSH_PASSWORD NOTEBOOKLM_COOKIE LINKUP_API_KEY""".split()}
DUMMY_ENV.update({
    "SLACK_TEAM_ID": "T00000000", "GITLAB_API_URL": "http://127.0.0.1:9/api/v4",
    "JIRA_URL": "http://127.0.0.1:9", "CONFLUENCE_URL": "http://127.0.0.1:9/wiki", "JIRA_USERNAME": "a@b.c",
    "CONFLUENCE_USERNAME": "a@b.c", "ATLASSIAN_SITE_NAME": "dummy", "ATLASSIAN_USER_EMAIL": "a@b.c",
    "JIRA_HOST": "127.0.0.1:9", "JIRA_EMAIL": "a@b.c", "JIRA_BASE_URL": "http://127.0.0.1:9",
    "MYSQL_HOST": "127.0.0.1", "MYSQL_USER": "root", "MYSQL_PASS": "x", "MYSQL_PASSWORD": "x", "MYSQL_DB": "x", "MYSQL_DATABASE": "x",
    "REDIS_URL": "redis://127.0.0.1:9", "MDB_MCP_CONNECTION_STRING": "", "DATABASE_URL": "postgresql://u:p@127.0.0.1:9/db",
    "DATABASE_URI": "postgresql://u:p@127.0.0.1:9/db", "POSTGRES_CONNECTION_STRING": "postgresql://u:p@127.0.0.1:9/db",
    "ELASTICSEARCH_URL": "http://127.0.0.1:9", "ES_URL": "http://127.0.0.1:9", "OPENSEARCH_URL": "http://127.0.0.1:9",
    "GRAFANA_URL": "http://127.0.0.1:9", "METABASE_URL": "http://127.0.0.1:9", "COOLIFY_BASE_URL": "http://127.0.0.1:9",
    "PLANE_WORKSPACE_SLUG": "dummy", "PLANE_API_HOST_URL": "http://127.0.0.1:9", "XERO_CLIENT_ID": "dummy",
    "DT_ENVIRONMENT": "https://abc12345.apps.dynatrace.com", "SEARXNG_URL": "http://127.0.0.1:9",
    "QDRANT_LOCAL_PATH": str(SCRATCH / "qdrant"), "COLLECTION_NAME": "c", "MINIMAX_API_HOST": "http://127.0.0.1:9",
    "API_NAME": "petstore", "API_BASE_URL": "http://127.0.0.1:9", "API_SPEC_PATH": str(BASE / "petstore.json"),
    "INSTANT_ACCESS_TOKEN": DUMMY, "BIGQUERY_PROJECT": "dummy",
    "CLICKHOUSE_HOST": "127.0.0.1", "CLICKHOUSE_USER": "default", "SNOWFLAKE_ACCOUNT": "dummy", "SNOWFLAKE_USER": "dummy",
    "HOMEASSISTANT_URL": "http://127.0.0.1:9", "OBSIDIAN_VAULT_PATH": str(SCRATCH / "vault"),
    "ZOTERO_LOCAL": "true", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIADUMMYDUMMYDUMMY",
    "AWS_SECRET_ACCESS_KEY": "dummy", "FASTMCP_LOG_LEVEL": "ERROR", "ALLOWED_DIR": str(SCRATCH / "fs"),
    "SERVICENOW_INSTANCE_URL": "http://127.0.0.1:9", "SERVICENOW_USERNAME": "x", "LARK_APP_ID": "cli_dummy",
    "BITBUCKET_USERNAME": "x", "BITBUCKET_BASE_URL": "http://127.0.0.1:9", "AZURE_DEVOPS_ORG_URL": "https://dev.azure.com/dummy",
    "AZURE_DEVOPS_AUTH_METHOD": "pat", "EMAIL_ADDRESS": "a@b.c", "IMAP_HOST": "127.0.0.1", "SMTP_HOST": "127.0.0.1",
    "BROWSERSTACK_USERNAME": "x", "MEMORY_FILE_PATH": str(SCRATCH / "memory.json"), "DBT_HOST": "127.0.0.1",
    "DBT_PROJECT_DIR": str(SCRATCH / "fs"), "DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1",
    "N8N_API_URL": "", "MCP_MODE": "stdio", "TRANSPORT": "stdio", "MCP_TRANSPORT": "stdio",
    "NODE_OPTIONS": "--max-old-space-size=1024", "npm_config_offline": "true",
    "PROMETHEUS_URL": "http://127.0.0.1:9", "ARGOCD_BASE_URL": "http://127.0.0.1:9", "ARGOCD_API_TOKEN": DUMMY,
    "HOME": str(SCRATCH / "home"), "AWS_DEFAULT_REGION": "us-east-1", "GOOGLE_API_KEY": DUMMY, "GOOGLE_CSE_ID": "dummy",
    "GOOGLE_SEARCH_ENGINE_ID": "dummy", "MDB_MCP_TELEMETRY": "disabled",
})

FS = str(SCRATCH / "fs")
ARGS = {  # extra args per package
    "@modelcontextprotocol/server-filesystem": [FS],
    "@modelcontextprotocol/server-everything": ["stdio"],
    "@modelcontextprotocol/server-postgres": ["postgresql://u:p@127.0.0.1:9/db"],
    "@modelcontextprotocol/server-redis": ["redis://127.0.0.1:9"],
    "@azure-devops/mcp": ["dummyorg"],
    "@supabase/mcp-server-supabase": ["--access-token=" + DUMMY],
    "@stripe/mcp": ["--tools=all", "--api-key=sk_test_dummy"],
    "@sentry/mcp-server": ["--access-token=" + DUMMY],
    "@launchdarkly/mcp-server": ["start", "--api-key", DUMMY],
    "figma-developer-mcp": ["--figma-api-key=" + DUMMY, "--stdio"],
    "@bytebase/dbhub": ["--transport", "stdio", "--dsn", "sqlite:///" + str(SCRATCH / "db.sqlite")],
    "@mondaydotcomorg/monday-api-mcp": ["-t", DUMMY],
    "argocd-mcp": ["stdio"],
    "@larksuiteoapi/lark-mcp": ["mcp", "-a", "cli_dummy", "-s", DUMMY],
    "@neondatabase/mcp-server-neon": ["start", DUMMY],
    "@auth0/auth0-mcp-server": ["run"],
    "@j0hanz/filesystem-mcp": [FS],
    "@agent-infra/mcp-server-filesystem": ["--allowed-directories", FS],
    "mcp-obsidian": [str(SCRATCH / "vault")],
    "@cyanheads/git-mcp-server": [],
    "kubernetes-mcp-server": [],
    "@heroku/mcp-server": [],
    "@google-cloud/gcloud-mcp": [],
    "@turbot/powerpipe-mcp": [],
    "@ivotoby/openapi-mcp-server": ["--api-base-url", "http://127.0.0.1:9", "--openapi-spec", str(BASE / "petstore.json")],
    "@henkey/postgres-mcp-server": ["--connection-string", "postgresql://u:p@127.0.0.1:9/db"],
    "@supabase/mcp-server-postgrest": ["--apiUrl", "http://127.0.0.1:9", "--schema", "public"],
    "mcp-graphql": [],
    "@berthojoris/mcp-mysql-server": ["mysql://root:x@127.0.0.1:9/db"],
    "@cloudflare/mcp-server-cloudflare": ["run", "0123456789abcdef0123456789abcdef"],
    # pypi
    "mcp-server-git": ["--repository", str(SCRATCH / "repo")],
    "mcp-server-sqlite": ["--db-path", str(SCRATCH / "db.sqlite")],
    "mcp-server-duckdb": ["--db-path", str(SCRATCH / "db.duckdb")],
    "chroma-mcp": ["--client-type", "ephemeral"],
    "excel-mcp-server": ["stdio"],
    "mcp-server-motherduck": ["--db-path", ":memory:", "--read-write"],
    "postgres-mcp": ["postgresql://u:p@127.0.0.1:9/db"],
    "snowflake-labs-mcp": ["--service-config-file", str(BASE / "snowflake.yaml")],
    "workspace-mcp": ["--transport", "stdio"] ,
    "ha-mcp": [],
    "web-forager": ["serve"],
    "pymupdf4llm-mcp": ["stdio"],
    "mcp-server-bigquery": ["--project", "dummy"],
    "@instantdb/mcp": ["--token", DUMMY],
    "cli-mcp-server": [],
    "awslabs-aws-api-mcp-server": [],
}
# preferred bin/script name when ambiguous
BINPREF = {"@azure-devops/mcp": "mcp-server-azuredevops", "mongodb-mcp-server": "mongodb-mcp-server",
           "@wonderwhy-er/desktop-commander": "desktop-commander", "postgres-mcp": "postgres-mcp",
           "mcp-server-motherduck": "mcp-server-motherduck", "dbt-mcp": "dbt-mcp", "serena-agent": "serena-mcp-server"}

NPM_NAMES = {l.strip() for l in open(BASE / "npm.txt") if l.strip()}
def safe(p): return re.sub(r"[^A-Za-z0-9._-]+", "__", p.lstrip("@"))

def npm_cmd(pkg):
    d = BASE / "npm" / safe(pkg)
    pj = d / "node_modules" / pkg / "package.json"
    meta = json.loads(pj.read_text())
    b = meta.get("bin")
    if isinstance(b, str): names = [meta["name"].split("/")[-1]]
    elif isinstance(b, dict) and b: names = list(b)
    else: raise RuntimeError("no bin in package.json")
    pref = BINPREF.get(pkg)
    name = pref if pref in names else None
    if not name:
        base = pkg.split("/")[-1]
        name = next((n for n in names if n == base), None) or next((n for n in names if "mcp" in n), names[0])
    exe = d / "node_modules" / ".bin" / name
    if not exe.exists():
        rel = b if isinstance(b, str) else b[name]
        exe = d / "node_modules" / pkg / rel
        if not os.access(exe, os.X_OK): return ["node", str(exe)] + ARGS.get(pkg, []), meta.get("version"), meta.get("license")
    return [str(exe)] + ARGS.get(pkg, []), meta.get("version"), meta.get("license")

def py_cmd(pkg):
    d = BASE / "pyenvs" / pkg
    py = d / "bin" / "python"
    import subprocess
    out = subprocess.run([str(py), "-c", f"""
import json,importlib.metadata as m
d=m.distribution({pkg!r}); eps=[e.name for e in d.entry_points if e.group=='console_scripts']
print(json.dumps({{'v':d.version,'lic':d.metadata.get('License-Expression') or d.metadata.get('License') or ([c for c in (d.metadata.get_all('Classifier') or []) if c.startswith('License')] or [''])[0],'eps':eps}}))"""],
        capture_output=True, text=True, timeout=60)
    info = json.loads(out.stdout)
    eps = info["eps"]
    if not eps: raise RuntimeError("no console_scripts")
    pref = BINPREF.get(pkg)
    norm = lambda s: s.replace("_", "-").replace(".", "-").lower()
    name = pref if pref in eps else (next((e for e in eps if norm(e) == norm(pkg)), None)
            or next((e for e in eps if "mcp" in e.lower() and "server" in e.lower()), None)
            or next((e for e in eps if "mcp" in e.lower()), eps[0]))
    lic = info["lic"] or ""
    if len(lic) > 80: lic = lic.splitlines()[0][:80]
    return [str(d / "bin" / name)] + ARGS.get(pkg, []), info["v"], lic

async def session(cmd, env, logf):
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=logf, env=env, cwd=str(SCRATCH / "fs"), start_new_session=True, limit=2**26)
    nid = [0]; pending = {}
    async def reader():
        while True:
            line = await proc.stdout.readline()
            if not line: break
            try: msg = json.loads(line)
            except Exception: continue
            if not isinstance(msg, dict): continue
            if "method" in msg and "id" in msg:  # server->client request
                m = msg["method"]
                res = {"roots": []} if m == "roots/list" else ({} if m == "ping" else None)
                rep = {"jsonrpc": "2.0", "id": msg["id"]}
                if res is None: rep["error"] = {"code": -32601, "message": "not supported"}
                else: rep["result"] = res
                proc.stdin.write((json.dumps(rep) + "\n").encode()); await proc.stdin.drain()
            elif "id" in msg and msg["id"] in pending:
                pending.pop(msg["id"]).set_result(msg)
        for f in pending.values():
            if not f.done(): f.set_exception(RuntimeError("server closed stdout"))
    rt = asyncio.create_task(reader())
    async def req(method, params=None, t=TIMEOUT):
        nid[0] += 1; i = nid[0]
        f = asyncio.get_running_loop().create_future(); pending[i] = f
        m = {"jsonrpc": "2.0", "id": i, "method": method}
        if params is not None: m["params"] = params
        proc.stdin.write((json.dumps(m) + "\n").encode()); await proc.stdin.drain()
        r = await asyncio.wait_for(f, t)
        if "error" in r: raise RuntimeError(f"{method} error: {r['error']}")
        return r["result"]
    async def lst(method, key, t):
        items, cursor, pages = [], None, 0
        while True:
            r = await req(method, {"cursor": cursor} if cursor else {}, t)
            items += r.get(key, []); cursor = r.get("nextCursor"); pages += 1
            if not cursor or pages > 50: return items
    try:
        init = await req("initialize", {"protocolVersion": "2025-06-18", "capabilities": {"roots": {"listChanged": False}},
                                        "clientInfo": {"name": "mcpsec-harvest", "version": "0.1"}})
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'); await proc.stdin.drain()
        tools = await lst("tools/list", "tools", TIMEOUT)
        caps = init.get("capabilities", {}) or {}
        out = {"init": init, "tools": tools}
        for meth, key in (("prompts/list", "prompts"), ("resources/list", "resources")):
            if key in caps:
                try: out[key] = await lst(meth, key, 8)
                except Exception as e: out[key + "_error"] = str(e)[:200]
        return out
    finally:
        rt.cancel()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try: os.killpg(proc.pid, sig)
            except ProcessLookupError: pass
            if sig == signal.SIGTERM:
                try: await asyncio.wait_for(proc.wait(), 3)
                except Exception: pass

async def one(kind, pkg, sem, results):
    async with sem:
        name = safe(pkg) + ("-py" if kind == "pypi" and pkg in NPM_NAMES else "")
        rec = {"kind": kind, "package": pkg, "server": name}
        try:
            cmd, ver, lic = (npm_cmd if kind == "npm" else py_cmd)(pkg)
            rec.update(version=ver, license=lic, command=" ".join(cmd).replace(str(BASE), "$H"))
            env = dict(os.environ); env.update(DUMMY_ENV)
            env["PATH"] = f"{BASE}/pyenvs/{pkg}/bin:" + env["PATH"] if kind == "pypi" else env["PATH"]
            with open(LOGS / f"run-{name}.stderr", "wb") as logf:
                out = await asyncio.wait_for(session(cmd, env, logf), TIMEOUT + 20)
            tools = out["tools"]
            rec["ntools"] = len(tools)
            if not tools: rec["status"] = "no-tools"; 
            else: rec["status"] = "ok"
            (RAW / f"{name}.json").write_text(json.dumps({"tools": tools}, indent=1, ensure_ascii=False))
            meta = {k: v for k, v in out.items() if k != "tools"}; meta.update(rec)
            (RAW / f"{name}.meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        except Exception as e:
            rec["status"] = "fail"; rec["error"] = (type(e).__name__ + ": " + str(e))[:300]
            try:
                tail = (LOGS / f"run-{name}.stderr").read_text(errors="replace").strip().splitlines()[-3:]
                rec["stderr_tail"] = " | ".join(tail)[-400:]
            except Exception: pass
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        results.append(rec)

async def main():
    kind = sys.argv[1]; names = sys.argv[2:]
    if not names:
        names = [l.strip() for l in open(BASE / f"{kind}.txt") if l.strip()]
    sem = asyncio.Semaphore(int(os.environ.get("HARVEST_PAR", "4")))
    results = []
    await asyncio.gather(*(one(kind, n, sem, results) for n in names))

if __name__ == "__main__":
    asyncio.run(main())
