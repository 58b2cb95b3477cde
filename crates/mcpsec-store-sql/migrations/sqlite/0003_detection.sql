-- Streaming detection, SQLite: tenant Sigma rules with a version counter per
-- tenant (workers poll it to hot-reload), correlation state per group key,
-- and an index of alert techniques for the `technique` filter.

CREATE TABLE detection_rules (
    tenant_id     TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    updated_at_ns INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE detection_rule_versions (
    tenant_id TEXT    NOT NULL PRIMARY KEY,
    version   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE correlation_states (
    tenant_id TEXT NOT NULL,
    key       TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

CREATE TABLE alert_techniques (
    tenant_id TEXT NOT NULL,
    technique TEXT NOT NULL,
    alert_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, technique, alert_id)
) WITHOUT ROWID;

INSERT INTO alert_techniques (tenant_id, technique, alert_id)
SELECT DISTINCT a.tenant_id, upper(t.value), a.id
FROM alerts a, json_each(a.body, '$.techniques') t
WHERE t.type = 'text';
