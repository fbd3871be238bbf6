-- Service activities and their occurrences, registrations, check-ins and ratings;
-- lead firms and the supply-chain and financing need boards; and the local read
-- models of what other services announce (agencies, providers, enterprises, the
-- holiday schedules operators load).

-- Agencies and stations as announced by the agencies service (agency.created / updated).
CREATE TABLE agency (
    id           integer PRIMARY KEY,
    name         text    NOT NULL,
    level        text    NOT NULL,
    region_code  text COLLATE "C" NOT NULL,
    parent_id    integer,
    park         text,
    active       boolean NOT NULL DEFAULT true
);

-- Providers' admissions by service area (provider.admitted / exited).
CREATE TABLE provider_membership (
    provider_id   integer NOT NULL,
    service_area  text    NOT NULL,
    name          text    NOT NULL,
    uscc          text COLLATE "C" NOT NULL,
    region_code   text COLLATE "C" NOT NULL,
    admitted      boolean NOT NULL,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (provider_id, service_area)
);
CREATE INDEX provider_membership_uscc ON provider_membership (uscc, service_area) WHERE admitted;

-- SMEs as announced by the enterprises service: what suggestions and the boards read.
-- ``version`` is the announcing event's time, so an older announcement never
-- overwrites a newer one.
CREATE TABLE enterprise (
    uscc           text COLLATE "C" PRIMARY KEY,
    name           text NOT NULL,
    region_code    text COLLATE "C" NOT NULL,
    industry_code  text COLLATE "C" NOT NULL,
    size_class     text,
    active_tiers   text[] NOT NULL DEFAULT '{}',
    version        timestamptz NOT NULL
);
CREATE INDEX enterprise_industry ON enterprise (industry_code text_pattern_ops, region_code);

-- Holiday schedules operators load (holiday_schedule.loaded from the requests service).
CREATE TABLE holiday_schedule_day (
    year     integer NOT NULL,
    day      date,
    working  boolean,
    UNIQUE (year, day)
);

CREATE TABLE activity (
    id            serial      PRIMARY KEY,
    agency_id     integer     NOT NULL,
    region_code   text COLLATE "C" NOT NULL,
    kind          text        NOT NULL,
    title         text        NOT NULL,
    description   text        NOT NULL DEFAULT '',
    service_area  text        NOT NULL,
    venue         text,
    online_url    text,
    capacity      integer     NOT NULL CHECK (capacity > 0),
    criteria      jsonb       NOT NULL,
    partners      jsonb       NOT NULL DEFAULT '[]',
    recurrence    text,
    on_rest_day   text        NOT NULL,
    stations      integer[]   NOT NULL,
    published_by  text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_agency ON activity (agency_id);

-- One dated occurrence at one place. ``registered`` and ``waitlisted`` are kept
-- under the row's lock, so places are counted exactly however many register at once.
CREATE TABLE occurrence (
    id                      serial      PRIMARY KEY,
    activity_id             integer     NOT NULL REFERENCES activity (id),
    agency_id               integer     NOT NULL,
    region_code             text COLLATE "C" NOT NULL,
    sequence                integer     NOT NULL,
    starts_at               timestamptz NOT NULL,
    ends_at                 timestamptz NOT NULL,
    registration_opens_at   timestamptz NOT NULL,
    registration_closes_at  timestamptz NOT NULL,
    capacity                integer     NOT NULL,
    registered              integer     NOT NULL DEFAULT 0 CHECK (registered BETWEEN 0 AND capacity),
    waitlisted              integer     NOT NULL DEFAULT 0 CHECK (waitlisted >= 0),
    planned_on              date        NOT NULL,
    moved_from              date,
    provisional             boolean     NOT NULL DEFAULT false,
    UNIQUE (activity_id, agency_id, sequence)
);
CREATE INDEX occurrence_starts ON occurrence (starts_at);
CREATE INDEX occurrence_agency ON occurrence (agency_id, starts_at);
CREATE INDEX occurrence_region ON occurrence (region_code, starts_at);

-- 报名: one live registration per enterprise and occurrence (a cancelled one may be
-- followed by a new one). The waitlist moves up in ``queued`` order.
CREATE TABLE registration (
    id              bigserial   PRIMARY KEY,
    occurrence_id   integer     NOT NULL REFERENCES occurrence (id),
    uscc            text COLLATE "C" NOT NULL,
    state           text        NOT NULL CHECK (state IN ('registered', 'waitlisted', 'cancelled')),
    queued          bigserial,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    promoted_at     timestamptz,
    cancelled_at    timestamptz,
    checked_in_at   timestamptz,
    checked_in_by   text
);
CREATE UNIQUE INDEX registration_live ON registration (occurrence_id, uscc) WHERE state <> 'cancelled';
CREATE INDEX registration_waitlist ON registration (occurrence_id, queued) WHERE state = 'waitlisted';
CREATE INDEX registration_of_enterprise ON registration (uscc, registered_at DESC);

CREATE TABLE rating (
    occurrence_id  integer     NOT NULL REFERENCES occurrence (id),
    uscc           text COLLATE "C" NOT NULL,
    score          smallint    NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment        text        NOT NULL DEFAULT '',
    rated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (occurrence_id, uscc)
);

-- 链主企业: large firms heading supply chains, registered by admins (not SMEs).
CREATE TABLE lead_firm (
    id              serial      PRIMARY KEY,
    uscc            text COLLATE "C" NOT NULL UNIQUE,
    name            text        NOT NULL,
    region_code     text COLLATE "C" NOT NULL,
    industry_codes  text[]      NOT NULL,
    description     text        NOT NULL DEFAULT '',
    registered_by   text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chain_need (
    id               serial      PRIMARY KEY,
    lead_firm_id     integer     NOT NULL REFERENCES lead_firm (id),
    region_code      text COLLATE "C" NOT NULL,
    title            text        NOT NULL,
    description      text        NOT NULL,
    industry_codes   text[]      NOT NULL,
    region_prefixes  text[]      NOT NULL DEFAULT '{}',
    size_classes     text[]      NOT NULL DEFAULT '{}',
    tiers            text[]      NOT NULL DEFAULT '{}',
    quantity         text        NOT NULL,
    deadline         date        NOT NULL,
    state            text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz
);
CREATE INDEX chain_need_firm ON chain_need (lead_firm_id, id);

CREATE TABLE chain_offer (
    id               serial      PRIMARY KEY,
    need_id          integer     NOT NULL REFERENCES chain_need (id),
    uscc             text COLLATE "C" NOT NULL,
    sme_region_code  text COLLATE "C",
    offer            text        NOT NULL,
    state            text        NOT NULL DEFAULT 'offered' CHECK (state IN ('offered', 'shortlisted')),
    outcome          text        CHECK (outcome IN ('contacted', 'sampled', 'contracted', 'declined')),
    outcome_note     text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    shortlisted_at   timestamptz,
    outcome_at       timestamptz,
    UNIQUE (need_id, uscc)
);
CREATE INDEX chain_offer_region ON chain_offer (sme_region_code);

CREATE TABLE financing_need (
    id                 serial        PRIMARY KEY,
    uscc               text COLLATE "C" NOT NULL,
    region_code        text COLLATE "C" NOT NULL,
    amount             numeric(14,2) NOT NULL,
    term_months        integer       NOT NULL,
    purpose            text          NOT NULL,
    collateral         text          NOT NULL,
    state              text          NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'accepted', 'closed')),
    accepted_offer_id  integer,
    accepted_at        timestamptz,
    outcome            text          CHECK (outcome IN ('funded', 'not_funded')),
    funded_amount      numeric(14,2),
    funded_on          date,
    days_to_funding    integer,
    outcome_note       text,
    posted_at          timestamptz   NOT NULL DEFAULT now(),
    closed_at          timestamptz
);
CREATE INDEX financing_need_open ON financing_need (region_code) WHERE state = 'open';
CREATE INDEX financing_need_owner ON financing_need (uscc, id);

CREATE TABLE financing_offer (
    id               serial        PRIMARY KEY,
    need_id          integer       NOT NULL REFERENCES financing_need (id),
    provider_id      integer       NOT NULL,
    provider_name    text          NOT NULL,
    amount           numeric(14,2) NOT NULL,
    annual_rate_pct  numeric(5,2)  NOT NULL,
    term_months      integer       NOT NULL,
    conditions       text          NOT NULL DEFAULT '',
    state            text          NOT NULL DEFAULT 'offered'
                                   CHECK (state IN ('offered', 'accepted', 'not_chosen')),
    created_at       timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (need_id, provider_id)
);
