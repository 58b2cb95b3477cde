-- Correlation alerts are stored in the same transaction as the correlation
-- states that fired them, marked pending until `alert.created` is published
-- (a transactional outbox, docs/detection.md). A maintenance task republishes
-- alerts left pending by a crash. Existing alerts were published.

ALTER TABLE alerts ADD COLUMN pending_publish INTEGER NOT NULL DEFAULT 0;

CREATE INDEX alerts_pending ON alerts (created_at_ns) WHERE pending_publish = 1;
