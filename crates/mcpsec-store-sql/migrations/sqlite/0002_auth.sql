-- Users, API keys and sessions, custom roles and the audit hash chain, SQLite.
-- Platform-scope records have tenant_id '' (empty); every other column
-- besides `body` exists for keys and lookups.

CREATE TABLE auth_users (
    id        TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    username  TEXT NOT NULL UNIQUE,
    body      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX auth_users_by_tenant ON auth_users (tenant_id, id);

-- API keys and user sessions; the secret is stored only as a hash in `body`.
CREATE TABLE auth_api_keys (
    id        TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    body      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX auth_api_keys_by_tenant ON auth_api_keys (tenant_id, id);

CREATE TABLE auth_roles (
    tenant_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;

-- Append-only: each body holds the record with its hash and the previous hash.
CREATE TABLE audit_log (
    seq       INTEGER NOT NULL PRIMARY KEY,
    tenant_id TEXT    NOT NULL,
    body      TEXT    NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, seq);
