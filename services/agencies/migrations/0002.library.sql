-- The basic-information library (基础信息库): policies, laws and regulations, experts, FAQs.

CREATE TABLE policy (
    id               serial      PRIMARY KEY,
    agency_id        integer     NOT NULL REFERENCES agency (id),
    title            text        NOT NULL,
    issuer           text        NOT NULL,
    issuer_level     text        NOT NULL,
    document_number  text,
    issued_on        date        NOT NULL,
    expires_on       date,
    region_code      char(6)     NOT NULL,
    region_prefix    text        NOT NULL,
    service_area     text        NOT NULL,
    benefits         text        NOT NULL,
    full_text        text        NOT NULL DEFAULT '',
    criteria         jsonb       NOT NULL DEFAULT '{}',
    state            text        NOT NULL DEFAULT 'draft'
                                 CHECK (state IN ('draft', 'published', 'expired', 'withdrawn')),
    published_at     timestamptz,
    withdrawn_reason text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_on IS NULL OR expires_on >= issued_on)
);
CREATE INDEX policy_in_force ON policy (region_prefix) WHERE state = 'published';
CREATE INDEX policy_expiry ON policy (expires_on) WHERE state = 'published';
CREATE INDEX policy_agency ON policy (agency_id, state);

CREATE TABLE law (
    id               serial      PRIMARY KEY,
    title            text        NOT NULL,
    category         text        NOT NULL,
    issuer           text        NOT NULL,
    document_number  text,
    issued_on        date        NOT NULL,
    effective_on     date,
    region_code      char(6)     NOT NULL,
    region_prefix    text        NOT NULL,
    service_area     text        NOT NULL,
    full_text        text        NOT NULL DEFAULT '',
    url              text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX law_region ON law (region_prefix);

CREATE TABLE expert (
    id             serial      PRIMARY KEY,
    name           text        NOT NULL,
    organization   text        NOT NULL,
    position       text,
    service_areas  text[]      NOT NULL,
    specialties    text[]      NOT NULL DEFAULT '{}',
    region_code    char(6)     NOT NULL,
    region_prefix  text        NOT NULL,
    phone          text,
    email          text,
    available      boolean     NOT NULL DEFAULT true,
    bio            text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX expert_areas ON expert USING gin (service_areas);
CREATE INDEX expert_region ON expert (region_code);

CREATE TABLE faq (
    id             serial      PRIMARY KEY,
    question       text        NOT NULL,
    answer         text        NOT NULL,
    service_area   text        NOT NULL,
    region_code    char(6)     NOT NULL,
    region_prefix  text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX faq_area ON faq (service_area, region_prefix);
