-- The agency hierarchy: national → province → city → county, plus service stations (服务站点).
-- region_prefix is what an agency covers ('' the whole country, else 2, 4 or 6 digits);
-- routing looks candidates up by it.
CREATE TABLE agency (
    id             serial      PRIMARY KEY,
    name           text        NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
    level          text        NOT NULL CHECK (level IN ('national', 'province', 'city', 'county', 'station')),
    region_code    char(6)     NOT NULL,
    region_prefix  text        NOT NULL,
    depth          smallint    NOT NULL,
    parent_id      integer     REFERENCES agency (id),
    park           text,
    service_areas  text[]      NOT NULL,
    active         boolean     NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 'national') = (parent_id IS NULL)),
    CHECK ((level = 'station') = (park IS NOT NULL))
);
CREATE UNIQUE INDEX agency_one_per_region ON agency (region_code) WHERE level <> 'station';
CREATE UNIQUE INDEX agency_station_name ON agency (parent_id, park, name) WHERE level = 'station';
CREATE INDEX agency_coverage ON agency (region_prefix);
CREATE INDEX agency_parent ON agency (parent_id);

-- 服务指南 "六公开": the published guide of an agency, one item per service area.
CREATE TABLE guide (
    agency_id     integer     PRIMARY KEY REFERENCES agency (id),
    supervision   jsonb       NOT NULL,
    contact       jsonb       NOT NULL,
    version       integer     NOT NULL DEFAULT 1,
    published_at  timestamptz NOT NULL DEFAULT now(),
    published_by  text        NOT NULL
);
CREATE TABLE guide_item (
    agency_id     integer  NOT NULL REFERENCES guide (agency_id) ON DELETE CASCADE,
    service_area  text     NOT NULL,
    position      smallint NOT NULL,
    title         text     NOT NULL,
    content       text     NOT NULL,
    process       jsonb    NOT NULL,
    accept_days   smallint NOT NULL CHECK (accept_days > 0),
    resolve_days  smallint NOT NULL CHECK (resolve_days >= accept_days),
    fee           text     NOT NULL,
    PRIMARY KEY (agency_id, service_area)
);
