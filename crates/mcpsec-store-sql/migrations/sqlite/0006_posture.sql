-- Posture service, SQLite: every scan of an asset (findings and framework
-- results in the JSON body). Ids are UUIDv7, so the newest scan of an asset
-- has the greatest id.

CREATE TABLE posture_scans (
    tenant_id     TEXT    NOT NULL,
    asset_id      TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    created_at_ns INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, asset_id, id)
) WITHOUT ROWID;
