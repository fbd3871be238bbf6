-- The quality service-provider library (优质服务机构库): admission per service area,
-- quarterly evaluations, enterprises' ratings, and every decision with its reason.

CREATE TABLE provider (
    id                  serial      PRIMARY KEY,
    name                text        NOT NULL,
    uscc                char(18)    NOT NULL UNIQUE,
    region_code         char(6)     NOT NULL,
    established_on      date        NOT NULL,
    description         text        NOT NULL DEFAULT '',
    contact             jsonb       NOT NULL DEFAULT '{}',
    qualifications      jsonb       NOT NULL DEFAULT '[]',
    served_enterprises  integer     NOT NULL DEFAULT 0 CHECK (served_enterprises >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_region ON provider (region_code);

CREATE TABLE provider_membership (
    provider_id   integer     NOT NULL REFERENCES provider (id),
    service_area  text        NOT NULL,
    state         text        NOT NULL CHECK (state IN ('applied', 'admitted', 'rejected', 'exited')),
    since         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, service_area)
);
CREATE INDEX provider_membership_area ON provider_membership (service_area, state);

CREATE TABLE provider_decision (
    id            bigserial   PRIMARY KEY,
    provider_id   integer     NOT NULL REFERENCES provider (id),
    service_area  text        NOT NULL,
    action        text        NOT NULL,
    reason        text        NOT NULL,
    actor         text        NOT NULL,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_decision_provider ON provider_decision (provider_id, id);

CREATE TABLE provider_evaluation (
    provider_id      integer      NOT NULL REFERENCES provider (id),
    service_area     text         NOT NULL,
    period           text         NOT NULL,
    capability       numeric(5,1) NOT NULL CHECK (capability BETWEEN 0 AND 100),
    management       numeric(5,1) NOT NULL CHECK (management BETWEEN 0 AND 100),
    service_quality  numeric(5,1) NOT NULL CHECK (service_quality BETWEEN 0 AND 100),
    satisfaction     numeric(5,1) CHECK (satisfaction BETWEEN 0 AND 100),
    ratings          integer      NOT NULL,
    score            numeric(5,1) NOT NULL,
    below_threshold  boolean      NOT NULL,
    exited           boolean      NOT NULL,
    evaluator        text         NOT NULL,
    evaluated_at     timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, service_area, period)
);

-- One row per rated request (request.rated with a provider_id).
CREATE TABLE provider_rating (
    request_id    text        PRIMARY KEY,
    provider_id   integer     NOT NULL REFERENCES provider (id),
    service_area  text        NOT NULL,
    score         smallint    NOT NULL CHECK (score BETWEEN 1 AND 5),
    solved        boolean     NOT NULL,
    rated_on      date        NOT NULL
);
CREATE INDEX provider_rating_period ON provider_rating (provider_id, service_area, rated_on);
