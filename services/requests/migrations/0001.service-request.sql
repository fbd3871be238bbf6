-- 诉求: requests raised by enterprises.
CREATE TABLE service_request (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    uscc          char(18)    NOT NULL,
    service_area  text        NOT NULL,
    title         text        NOT NULL,
    description   text        NOT NULL DEFAULT '',
    region_code   char(6)     NOT NULL,
    state         text        NOT NULL DEFAULT 'submitted',
    agency_id     integer,
    submitted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_request_uscc ON service_request (uscc);
