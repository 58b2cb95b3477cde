-- Posture service, SQLite: custom Rego policies per tenant (the
-- policy record, source included, in the JSON body), keyed by check id.

CREATE TABLE posture_policies (
    tenant_id     TEXT NOT NULL,
    id            TEXT NOT NULL,
    updated_at_ns INTEGER NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
