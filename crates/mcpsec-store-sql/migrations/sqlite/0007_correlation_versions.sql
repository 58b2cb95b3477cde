-- Optimistic concurrency for correlation state (docs/detection.md): every
-- save checks the version it loaded and bumps it; `expires_at_ns` (newest
-- member time + timespan) lets a sweep delete idle groups.

ALTER TABLE correlation_states ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE correlation_states ADD COLUMN expires_at_ns INTEGER;

CREATE INDEX correlation_states_expiry ON correlation_states (expires_at_ns)
    WHERE expires_at_ns IS NOT NULL;
