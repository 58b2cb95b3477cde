-- Users, API keys and sessions, custom roles and the audit hash chain, PostgreSQL.
-- Platform-scope records have tenant_id '' (empty); every other column
-- besides `body` exists for keys and lookups.

CREATE TABLE auth_users (
    id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id TEXT COLLATE "C" NOT NULL,
    username  TEXT COLLATE "C" NOT NULL UNIQUE,
    body      TEXT NOT NULL
);
CREATE INDEX auth_users_by_tenant ON auth_users (tenant_id, id);

-- API keys and user sessions; the secret is stored only as a hash in `body`.
CREATE TABLE auth_api_keys (
    id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    tenant_id TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX auth_api_keys_by_tenant ON auth_api_keys (tenant_id, id);

CREATE TABLE auth_roles (
    tenant_id TEXT COLLATE "C" NOT NULL,
    name      TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- Append-only: each body holds the record with its hash and the previous hash.
-- The API has no statement that updates or deletes rows of this table.
CREATE TABLE audit_log (
    seq       BIGINT NOT NULL PRIMARY KEY,
    tenant_id TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, seq);
