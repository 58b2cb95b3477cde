-- The mcpsec store schema, PostgreSQL.
-- Every table holds the whole record as JSON in `body`; the other columns
-- exist for keys, filters and sorting. Timestamps in filter columns are Unix
-- nanoseconds; severities are ranks (info 0 … critical 4). Key columns use
-- the "C" collation so pages come in byte order whatever the database locale.

CREATE TABLE tenants (
    id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE assets (
    tenant_id TEXT COLLATE "C" NOT NULL,
    id        TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE components (
    tenant_id TEXT COLLATE "C" NOT NULL,
    asset_id  TEXT COLLATE "C" NOT NULL,
    id        TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, asset_id, id)
);

-- Shared reference data: not tenant-owned.
CREATE TABLE vulnerabilities (
    id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    body TEXT NOT NULL
);

CREATE TABLE findings (
    tenant_id     TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    asset_id      TEXT COLLATE "C" NOT NULL,
    status        TEXT NOT NULL,
    severity_rank BIGINT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX findings_by_asset ON findings (tenant_id, asset_id, id);
CREATE INDEX findings_by_status ON findings (tenant_id, status, id);

CREATE TABLE alerts (
    tenant_id     TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    rule_id       TEXT COLLATE "C" NOT NULL,
    severity_rank BIGINT NOT NULL,
    entity        TEXT COLLATE "C",
    created_at_ns BIGINT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX alerts_by_rule ON alerts (tenant_id, rule_id, id);
CREATE INDEX alerts_by_entity ON alerts (tenant_id, entity, id);
CREATE INDEX alerts_by_time ON alerts (tenant_id, created_at_ns);

-- Processed events, idempotent by (tenant_id, id).
CREATE TABLE events (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    event_type TEXT NOT NULL,
    time_ns    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_by_time ON events (tenant_id, time_ns);
