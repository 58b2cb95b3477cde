-- MCP service, PostgreSQL: the latest inventory of each MCP server per tenant
-- (server info, tools with pin hashes, prompts, resources in the JSON body).

CREATE TABLE mcp_inventories (
    tenant_id     TEXT COLLATE "C" NOT NULL,
    server        TEXT COLLATE "C" NOT NULL,
    updated_at_ns BIGINT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, server)
);
