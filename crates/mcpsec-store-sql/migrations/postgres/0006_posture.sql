-- Posture service, PostgreSQL: every scan of an asset (findings and framework
-- results in the JSON body). Ids are UUIDv7, so the newest scan of an asset
-- has the greatest id.

CREATE TABLE posture_scans (
    tenant_id     TEXT COLLATE "C" NOT NULL,
    asset_id      TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    created_at_ns BIGINT NOT NULL,
    body          TEXT NOT NULL,
    PRIMARY KEY (tenant_id, asset_id, id)
);
