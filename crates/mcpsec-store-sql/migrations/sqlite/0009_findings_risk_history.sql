-- Supply-chain finding filters (KEV, fixable, risk score; "fix first" order),
-- the triage history of findings, and the outbox of vulnerability-database
-- changes published as `vulndb.updated` (docs/supply-chain.md).
ALTER TABLE findings ADD COLUMN kev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN fixable INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN risk_rank INTEGER NOT NULL DEFAULT 0;
CREATE INDEX findings_by_risk ON findings (tenant_id, risk_rank DESC, id);

CREATE TABLE finding_history (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT    NOT NULL,
    finding_id TEXT    NOT NULL,
    body       TEXT    NOT NULL
);
CREATE INDEX finding_history_by_finding ON finding_history (tenant_id, finding_id, seq);

CREATE TABLE vulndb_changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    published INTEGER NOT NULL DEFAULT 0,
    body      TEXT    NOT NULL
);
CREATE INDEX vulndb_changes_pending ON vulndb_changes (seq) WHERE published = 0;
