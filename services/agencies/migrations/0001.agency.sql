-- The agency hierarchy: national → province → city → county, plus service stations.
CREATE TABLE agency (
    id           serial  PRIMARY KEY,
    name         text    NOT NULL,
    level        text    NOT NULL CHECK (level IN ('national', 'province', 'city', 'county', 'station')),
    region_code  char(6) NOT NULL,
    parent_id    integer REFERENCES agency (id)
);
CREATE INDEX agency_region ON agency (region_code, level);
