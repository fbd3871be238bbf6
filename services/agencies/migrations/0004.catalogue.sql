-- The service product and case library (服务产品和案例库), classified by service area,
-- industry (GB/T 4754), size class and tier; empty lists mean "any".

CREATE TABLE product (
    id              serial      PRIMARY KEY,
    title           text        NOT NULL,
    summary         text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    fee             text        NOT NULL,
    service_area    text        NOT NULL,
    industry_codes  text[]      NOT NULL DEFAULT '{}',
    size_classes    text[]      NOT NULL DEFAULT '{}',
    tiers           text[]      NOT NULL DEFAULT '{}',
    region_code     char(6)     NOT NULL,
    region_prefix   text        NOT NULL,
    provider_id     integer     REFERENCES provider (id),
    agency_id       integer     REFERENCES agency (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_area ON product (service_area, region_prefix);

CREATE TABLE service_case (
    id              serial      PRIMARY KEY,
    title           text        NOT NULL,
    summary         text        NOT NULL,
    body            text        NOT NULL DEFAULT '',
    outcome         text        NOT NULL DEFAULT '',
    service_area    text        NOT NULL,
    industry_codes  text[]      NOT NULL DEFAULT '{}',
    size_classes    text[]      NOT NULL DEFAULT '{}',
    tiers           text[]      NOT NULL DEFAULT '{}',
    region_code     char(6)     NOT NULL,
    region_prefix   text        NOT NULL,
    provider_id     integer     REFERENCES provider (id),
    agency_id       integer     REFERENCES agency (id),
    product_id      integer     REFERENCES product (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_case_area ON service_case (service_area, region_prefix);
