-- The mcpsec store schema, SQLite.
-- Every table holds the whole record as JSON in `body`; the other columns
-- exist for keys, filters and sorting. Timestamps in filter columns are Unix
-- nanoseconds; severities are ranks (info 0 … critical 4).

CREATE TABLE tenants (
    id   TEXT NOT NULL PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE assets (
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE components (
    tenant_id TEXT NOT NULL,
    asset_id  TEXT NOT NULL,
    id        TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, asset_id, id)
) WITHOUT ROWID;

-- Shared reference data: not tenant-owned.
CREATE TABLE vulnerabilities (
    id   TEXT NOT NULL PRIMARY KEY,
    body TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE findings (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    asset_id      TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    severity_rank INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX findings_by_asset ON findings (tenant_id, asset_id, id);
CREATE INDEX findings_by_status ON findings (tenant_id, status, id);

CREATE TABLE alerts (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    rule_id       TEXT    NOT NULL,
    severity_rank INTEGER NOT NULL,
    entity        TEXT,
    created_at_ns INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX alerts_by_rule ON alerts (tenant_id, rule_id, id);
CREATE INDEX alerts_by_entity ON alerts (tenant_id, entity, id);
CREATE INDEX alerts_by_time ON alerts (tenant_id, created_at_ns);

-- Processed events, idempotent by (tenant_id, id).
CREATE TABLE events (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    event_type TEXT    NOT NULL,
    time_ns    INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX events_by_time ON events (tenant_id, time_ns);
