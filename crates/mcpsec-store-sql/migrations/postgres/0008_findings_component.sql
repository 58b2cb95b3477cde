-- Findings filter by component (purl with version, or name@version).
ALTER TABLE findings ADD COLUMN component_id TEXT COLLATE "C";
UPDATE findings SET component_id = (body::jsonb ->> 'component_id');
CREATE INDEX findings_by_component ON findings (tenant_id, component_id, id);
