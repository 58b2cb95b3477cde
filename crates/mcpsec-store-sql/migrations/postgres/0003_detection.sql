-- Streaming detection, PostgreSQL: tenant Sigma rules with a version counter
-- per tenant (workers poll it to hot-reload), correlation state per group
-- key, and an index of alert techniques for the `technique` filter.

CREATE TABLE detection_rules (
    tenant_id     TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    updated_at_ns BIGINT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE detection_rule_versions (
    tenant_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    version   BIGINT NOT NULL
);

CREATE TABLE correlation_states (
    tenant_id TEXT COLLATE "C" NOT NULL,
    key       TEXT COLLATE "C" NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE alert_techniques (
    tenant_id TEXT COLLATE "C" NOT NULL,
    technique TEXT COLLATE "C" NOT NULL,
    alert_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, technique, alert_id)
);

INSERT INTO alert_techniques (tenant_id, technique, alert_id)
SELECT DISTINCT a.tenant_id, upper(t.value), a.id
FROM alerts a, jsonb_array_elements_text(a.body::jsonb -> 'techniques') AS t(value)
WHERE jsonb_typeof(a.body::jsonb -> 'techniques') = 'array';
