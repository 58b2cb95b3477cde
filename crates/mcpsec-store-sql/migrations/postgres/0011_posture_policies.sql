-- Posture service, PostgreSQL: custom Rego policies per tenant (the
-- policy record, source included, in the JSON body), keyed by check id.

CREATE TABLE posture_policies (
    tenant_id     TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    updated_at_ns BIGINT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
