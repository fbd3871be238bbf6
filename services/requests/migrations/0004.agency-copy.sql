-- The requests service's copy of what it needs from the agencies service: the agency
-- hierarchy and the time limits each agency's service guide commits to. Kept current by
-- agency.created / agency.updated and guide.published through the inbox, filled once from
-- the agencies' snapshot on first start, so routing, deadlines and escalation read only
-- this schema and a write on a request is one local transaction.
CREATE TABLE agency (
    id             integer     PRIMARY KEY,
    name           text        NOT NULL,
    level          text        NOT NULL,
    region_code    char(6)     NOT NULL,
    region_prefix  text        NOT NULL,
    depth          smallint    NOT NULL,
    parent_id      integer,
    park           text,
    service_areas  text[]      NOT NULL,
    active         boolean     NOT NULL,
    -- when the agencies service made the change copied here; an older one never overwrites it
    changed_at     timestamptz NOT NULL
);
CREATE INDEX agency_coverage ON agency (region_prefix);

CREATE TABLE guide_copy (
    agency_id  integer PRIMARY KEY,
    version    integer NOT NULL
);
CREATE TABLE guide_time_limit (
    agency_id     integer  NOT NULL REFERENCES guide_copy (agency_id) ON DELETE CASCADE,
    service_area  text     NOT NULL,
    accept_days   smallint NOT NULL,
    resolve_days  smallint NOT NULL,
    PRIMARY KEY (agency_id, service_area)
);

-- When the copy was filled from the agencies' snapshot (one row once it has been).
CREATE TABLE agency_snapshot (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    taken_at   timestamptz NOT NULL DEFAULT now(),
    agencies   integer     NOT NULL,
    guides     integer     NOT NULL
);
