-- The requests service's copy of the quality service providers a step may name: where each
-- provider is and the service areas it is admitted in. Kept current by provider.registered /
-- provider.updated and provider.admitted / provider.exited through the inbox, filled from the
-- agencies' snapshot, so a step naming a provider is checked in its own transaction without
-- asking the agencies service.
CREATE TABLE provider (
    id           integer     PRIMARY KEY,
    region_code  char(6)     NOT NULL,
    -- when the agencies service made the change copied here; an older one never overwrites it
    changed_at   timestamptz NOT NULL
);

CREATE TABLE provider_admission (
    provider_id   integer     NOT NULL,
    service_area  text        NOT NULL,
    admitted      boolean     NOT NULL,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (provider_id, service_area)
);

-- A deployment whose copy of the agencies was filled before providers were part of the
-- snapshot takes it once more at its next start (what is newer in the copy stays).
DELETE FROM agency_snapshot;
