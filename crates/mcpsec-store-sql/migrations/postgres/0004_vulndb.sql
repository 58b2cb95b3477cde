-- The vulnerability database, PostgreSQL: advisories (OSV records, CVSS-only
-- records from NVD), their package keys for lookup, their ecosystems for
-- status, CISA KEV entries and EPSS scores.
--
-- Global reference data: NOT tenant-scoped. These tables have no tenant_id;
-- every tenant reads the same advisories (see mcpsec-core::vulndb).
-- `body` holds the whole record as JSON; `modified_ns` is Unix nanoseconds.

CREATE TABLE vuln_advisories (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    source      TEXT COLLATE "C" NOT NULL,
    modified_ns BIGINT NOT NULL,
    withdrawn   BIGINT NOT NULL,
    body        TEXT NOT NULL
);

-- (ecosystem base, normalised name) → advisory; none for withdrawn records.
CREATE TABLE vuln_advisory_packages (
    ecosystem   TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    advisory_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory_id)
);
CREATE INDEX vuln_advisory_packages_by_advisory ON vuln_advisory_packages (advisory_id);

CREATE TABLE vuln_advisory_ecosystems (
    advisory_id TEXT COLLATE "C" NOT NULL,
    ecosystem   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem)
);

CREATE TABLE vuln_kev (
    cve        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    date_added TEXT COLLATE "C",
    body       TEXT NOT NULL
);

CREATE TABLE vuln_epss (
    cve        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    score_date TEXT COLLATE "C",
    body       TEXT NOT NULL
);
