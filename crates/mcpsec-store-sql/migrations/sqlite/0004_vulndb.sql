-- The vulnerability database, SQLite: advisories (OSV records, CVSS-only
-- records from NVD), their package keys for lookup, their ecosystems for
-- status, CISA KEV entries and EPSS scores.
--
-- Global reference data: NOT tenant-scoped. These tables have no tenant_id;
-- every tenant reads the same advisories (see mcpsec-core::vulndb).
-- `body` holds the whole record as JSON; `modified_ns` is Unix nanoseconds.

CREATE TABLE vuln_advisories (
    id          TEXT    NOT NULL PRIMARY KEY,
    source      TEXT    NOT NULL,
    modified_ns INTEGER NOT NULL,
    withdrawn   INTEGER NOT NULL,
    body        TEXT    NOT NULL
) WITHOUT ROWID;

-- (ecosystem base, normalised name) → advisory; none for withdrawn records.
CREATE TABLE vuln_advisory_packages (
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory_id)
) WITHOUT ROWID;
CREATE INDEX vuln_advisory_packages_by_advisory ON vuln_advisory_packages (advisory_id);

CREATE TABLE vuln_advisory_ecosystems (
    advisory_id TEXT NOT NULL,
    ecosystem   TEXT NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem)
) WITHOUT ROWID;

CREATE TABLE vuln_kev (
    cve        TEXT NOT NULL PRIMARY KEY,
    date_added TEXT,
    body       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE vuln_epss (
    cve        TEXT NOT NULL PRIMARY KEY,
    score_date TEXT,
    body       TEXT NOT NULL
) WITHOUT ROWID;
