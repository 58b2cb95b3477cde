-- Event ingest writes every processed event once; no query reads events by
-- time, so the time index only slowed the hot insert path (about a third of
-- the SQLite insert time, see docs/benchmarks.md). Reads are by
-- (tenant_id, id) and counts per tenant, both served by the primary key.
DROP INDEX IF EXISTS events_by_time;
