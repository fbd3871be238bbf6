-- 诉求: requests raised by enterprises, with their append-only history,
-- ratings and revisit calls, the deadline breaches found, the holiday
-- schedules operators load for years the calendar library does not carry,
-- and the operator-controlled clock offset used in test networks.

CREATE TABLE service_request (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    uscc                  char(18)    NOT NULL,
    kind                  text        NOT NULL DEFAULT 'general' CHECK (kind IN ('general', 'arrears')),
    service_area          text        NOT NULL,
    title                 text        NOT NULL,
    description           text        NOT NULL DEFAULT '',
    region_code           char(6)     NOT NULL,
    park                  text,
    state                 text        NOT NULL DEFAULT 'submitted' CHECK (state IN
                              ('submitted', 'assigned', 'accepted', 'in_progress', 'resolved',
                               'revisited', 'closed', 'withdrawn')),
    agency_id             integer,
    agency_name           text,
    agency_level          text,
    agency_region_code    char(6),
    accept_days           integer,
    resolve_days          integer,
    accept_from           date,
    resolve_from          date,
    accept_by             date,
    resolve_by            date,
    deadline_provisional  boolean     NOT NULL DEFAULT false,
    provider_id           integer,
    reopen_count          integer     NOT NULL DEFAULT 0,
    escalation_count      integer     NOT NULL DEFAULT 0,
    last_rating_solved    boolean,
    arrears               jsonb,
    submitted_at          timestamptz NOT NULL DEFAULT now(),
    accepted_at           timestamptz,
    resolved_at           timestamptz,
    closed_at             timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_request_uscc ON service_request (uscc, submitted_at DESC);
CREATE INDEX service_request_agency ON service_request (agency_id, state);
CREATE INDEX service_request_region ON service_request (region_code, submitted_at);
CREATE INDEX service_request_submitted ON service_request (submitted_at);
CREATE INDEX service_request_awaiting_acceptance ON service_request (accept_by) WHERE state = 'assigned';
CREATE INDEX service_request_being_handled ON service_request (resolve_by) WHERE state IN ('accepted', 'in_progress');
CREATE INDEX service_request_unrouted ON service_request (submitted_at) WHERE state = 'submitted';
CREATE INDEX service_request_provisional ON service_request (id) WHERE deadline_provisional;

-- Every transition, never changed or removed (the archive keeps it whole).
CREATE TABLE request_history (
    id                bigserial   PRIMARY KEY,
    request_id        uuid        NOT NULL REFERENCES service_request (id),
    at                timestamptz NOT NULL,
    action            text        NOT NULL,
    from_state        text,
    to_state          text        NOT NULL,
    actor             text        NOT NULL,
    actor_role        text        NOT NULL,
    reason            text,
    from_agency_id    integer,
    to_agency_id      integer,
    to_agency_region  char(6)
);
CREATE INDEX request_history_request ON request_history (request_id, id);
CREATE INDEX request_history_escalated_from ON request_history (from_agency_id, request_id)
    WHERE action = 'escalate';

CREATE FUNCTION request_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'request_history is append-only';
END $$;
CREATE TRIGGER request_history_append_only BEFORE UPDATE OR DELETE ON request_history
    FOR EACH ROW EXECUTE FUNCTION request_history_is_append_only();

-- 满意度评价: one rating per resolution (round 1, and round 2 after a reopen).
CREATE TABLE request_rating (
    id          bigserial   PRIMARY KEY,
    request_id  uuid        NOT NULL REFERENCES service_request (id),
    round       integer     NOT NULL,
    score       smallint    NOT NULL CHECK (score BETWEEN 1 AND 5),
    solved      boolean     NOT NULL,
    comment     text        NOT NULL DEFAULT '',
    agency_id   integer,
    rated_by    text        NOT NULL,
    rated_at    timestamptz NOT NULL,
    UNIQUE (request_id, round)
);

-- 回访: an agency's call to the enterprise after resolution.
CREATE TABLE revisit_call (
    id          bigserial   PRIMARY KEY,
    request_id  uuid        NOT NULL REFERENCES service_request (id),
    agency_id   integer,
    solved      boolean,
    note        text        NOT NULL,
    called_by   text        NOT NULL,
    called_at   timestamptz NOT NULL
);
CREATE INDEX revisit_call_request ON revisit_call (request_id);

-- A missed deadline, recorded once: the key is the breach itself.
CREATE TABLE deadline_breach (
    request_id    uuid        NOT NULL REFERENCES service_request (id),
    kind          text        NOT NULL CHECK (kind IN ('accept', 'resolve')),
    agency_id     integer     NOT NULL,
    due           date        NOT NULL,
    detected_at   timestamptz NOT NULL,
    escalated_to  integer,
    PRIMARY KEY (request_id, kind, agency_id, due)
);

-- 节假日安排 loaded by operators for years the calendar library lacks.
CREATE TABLE holiday_schedule_year (
    year       integer     PRIMARY KEY,
    source     text        NOT NULL DEFAULT '',
    loaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE holiday_schedule_day (
    day      date    PRIMARY KEY,
    year     integer NOT NULL REFERENCES holiday_schedule_year (year) ON DELETE CASCADE,
    working  boolean NOT NULL,
    name     text    NOT NULL DEFAULT ''
);

-- The clock offset a test network's operator may set (only read when enabled).
CREATE TABLE clock_offset (
    singleton       boolean          PRIMARY KEY DEFAULT true CHECK (singleton),
    offset_seconds  double precision NOT NULL,
    set_at          timestamptz      NOT NULL DEFAULT now()
);
