-- MCP service, SQLite: the latest inventory of each MCP server per tenant
-- (server info, tools with pin hashes, prompts, resources in the JSON body).

CREATE TABLE mcp_inventories (
    tenant_id     TEXT    NOT NULL,
    server        TEXT    NOT NULL,
    updated_at_ns INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, server)
) WITHOUT ROWID;
