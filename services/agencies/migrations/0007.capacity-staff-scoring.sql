-- 夯实基层基础, 队伍建设, 考核评价: each agency's yearly capacity record, its staff roster with
-- training and secondments, a local register of SMEs fed by the enterprises service's events,
-- the provinces' and the nation's scoring models and runs, and 选树优秀 nominations.
--
-- Whatever a scoring run reads is kept with its time, so that a run re-computed later from
-- the facts as they stood at its cut-off gives the same numbers: capacity records are
-- versions (never changed), training records are never changed, the SME register is a
-- list of dated facts, and every change of an agency's active flag is logged here.

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

-- Every agency's active flag over time (coverage as of a cut-off).
CREATE TABLE agency_activity (
    id         bigserial   PRIMARY KEY,
    agency_id  integer     NOT NULL REFERENCES agency (id),
    active     boolean     NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_activity_as_of ON agency_activity (agency_id, at DESC, id DESC);
INSERT INTO agency_activity (agency_id, active, at) SELECT id, active, created_at FROM agency;

CREATE FUNCTION log_agency_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agency_activity (agency_id, active, at) VALUES (NEW.id, NEW.active, now());
    RETURN NULL;
END $$;
CREATE TRIGGER agency_activity_on_insert AFTER INSERT ON agency
    FOR EACH ROW EXECUTE FUNCTION log_agency_activity();
CREATE TRIGGER agency_activity_on_change AFTER UPDATE OF active ON agency
    FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active) EXECUTE FUNCTION log_agency_activity();
CREATE TRIGGER agency_activity_append_only BEFORE UPDATE OR DELETE ON agency_activity
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- One version per edit of an agency's record for a year; the newest is the record.
CREATE TABLE capacity_record (
    id                   bigserial     PRIMARY KEY,
    agency_id            integer       NOT NULL REFERENCES agency (id),
    year                 smallint      NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    version              integer       NOT NULL CHECK (version > 0),
    full_time_staff      integer       NOT NULL CHECK (full_time_staff >= 0),
    part_time_staff      integer       NOT NULL CHECK (part_time_staff >= 0),
    qualifications       jsonb         NOT NULL,
    funding_fiscal       numeric(14,2) NOT NULL CHECK (funding_fiscal >= 0),
    funding_special      numeric(14,2) NOT NULL CHECK (funding_special >= 0),
    funding_purchased    numeric(14,2) NOT NULL CHECK (funding_purchased >= 0),
    funding_other        numeric(14,2) NOT NULL CHECK (funding_other >= 0),
    hall_area_m2         numeric(10,1),
    address              text,
    network_connected    boolean       NOT NULL,
    online_service_pct   numeric(5,2)  CHECK (online_service_pct BETWEEN 0 AND 100),
    certifications       jsonb         NOT NULL,
    commitment           text          NOT NULL DEFAULT '',
    covenant             text          NOT NULL DEFAULT '',
    recorded_by          text          NOT NULL,
    recorded_at          timestamptz   NOT NULL,
    UNIQUE (agency_id, year, version)
);
CREATE INDEX capacity_record_year ON capacity_record (year, agency_id, recorded_at DESC);
CREATE TRIGGER capacity_record_append_only BEFORE UPDATE OR DELETE ON capacity_record
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- A province's year, closed: its agencies' records for the year are frozen ('00': the national agency).
CREATE TABLE capacity_year_closure (
    province   char(2)     NOT NULL,
    year       smallint    NOT NULL,
    closed_by  text        NOT NULL,
    closed_at  timestamptz NOT NULL,
    PRIMARY KEY (province, year)
);

-- 队伍建设: an agency's staff, known by their token subject.
CREATE TABLE staff_member (
    id              serial      PRIMARY KEY,
    agency_id       integer     NOT NULL REFERENCES agency (id),
    subject         text        NOT NULL,
    name            text        NOT NULL,
    post            text        NOT NULL,
    qualifications  jsonb       NOT NULL DEFAULT '[]',
    active          boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, subject)
);

CREATE TABLE staff_training (
    id           bigserial    PRIMARY KEY,
    staff_id     integer      NOT NULL REFERENCES staff_member (id),
    course       text         NOT NULL,
    hours        numeric(6,1) NOT NULL CHECK (hours > 0),
    held_on      date         NOT NULL,
    provider     text         NOT NULL,
    recorded_by  text         NOT NULL,
    recorded_at  timestamptz  NOT NULL
);
CREATE INDEX staff_training_member ON staff_training (staff_id, held_on);
CREATE TRIGGER staff_training_append_only BEFORE UPDATE OR DELETE ON staff_training
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE staff_secondment (
    id           bigserial   PRIMARY KEY,
    staff_id     integer     NOT NULL REFERENCES staff_member (id),
    kind         text        NOT NULL CHECK (kind IN ('park', 'enterprise')),
    place        text        NOT NULL,
    uscc         char(18),
    region_code  char(6)     NOT NULL,
    starts_on    date        NOT NULL,
    ends_on      date        CHECK (ends_on >= starts_on),
    recorded_by  text        NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX staff_secondment_member ON staff_secondment (staff_id, starts_on);

-- The SMEs the network serves, as the enterprises service announced them: one dated fact per
-- field and event (region, park, size class), so a count can be taken as of any moment.
CREATE TABLE sme_fact (
    id            bigserial   PRIMARY KEY,
    uscc          char(18)    NOT NULL,
    field         text        NOT NULL CHECK (field IN ('region_code', 'park', 'size_class')),
    value         text,
    effective_at  timestamptz NOT NULL
);
CREATE INDEX sme_fact_as_of ON sme_fact (uscc, field, effective_at DESC, id DESC);
CREATE INDEX sme_fact_region ON sme_fact (value text_pattern_ops) WHERE field = 'region_code';

-- 考核评价: a scoring model per scope (a province, or 000000 for the national model of
-- provinces) and year; every change is a new version.
CREATE TABLE scoring_model (
    id          serial      PRIMARY KEY,
    scope       char(6)     NOT NULL,
    year        smallint    NOT NULL,
    version     integer     NOT NULL,
    indicators  jsonb       NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (scope, year, version)
);
CREATE TRIGGER scoring_model_append_only BEFORE UPDATE OR DELETE ON scoring_model
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE scoring_run (
    id            serial      PRIMARY KEY,
    model_id      integer     NOT NULL REFERENCES scoring_model (id),
    scope         char(6)     NOT NULL,
    year          smallint    NOT NULL,
    level         text        NOT NULL CHECK (level IN ('province', 'county')),
    facts_cutoff  timestamptz NOT NULL,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX scoring_run_scope ON scoring_run (scope, year, id DESC);
CREATE TRIGGER scoring_run_append_only BEFORE UPDATE OR DELETE ON scoring_run
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE scoring_result (
    run_id       integer      NOT NULL REFERENCES scoring_run (id),
    region_code  char(6)      NOT NULL,
    rank         integer,
    score        numeric(6,2),
    indicators   jsonb        NOT NULL,
    facts        jsonb        NOT NULL,
    PRIMARY KEY (run_id, region_code)
);
CREATE TRIGGER scoring_result_append_only BEFORE UPDATE OR DELETE ON scoring_result
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- 选树优秀: outstanding staff and agencies nominated from a run, then approved or rejected.
CREATE TABLE nomination (
    id               serial      PRIMARY KEY,
    run_id           integer     NOT NULL REFERENCES scoring_run (id),
    kind             text        NOT NULL CHECK (kind IN ('agency', 'staff')),
    agency_id        integer     NOT NULL REFERENCES agency (id),
    staff_id         integer     REFERENCES staff_member (id),
    title            text        NOT NULL,
    reason           text        NOT NULL,
    state            text        NOT NULL DEFAULT 'nominated' CHECK (state IN ('nominated', 'approved', 'rejected')),
    nominated_by     text        NOT NULL,
    nominated_at     timestamptz NOT NULL,
    decided_by       text,
    decided_at       timestamptz,
    decision_reason  text,
    CHECK ((kind = 'staff') = (staff_id IS NOT NULL))
);
CREATE INDEX nomination_run ON nomination (run_id, id);
CREATE INDEX nomination_honours ON nomination (agency_id, decided_at DESC) WHERE state = 'approved';
