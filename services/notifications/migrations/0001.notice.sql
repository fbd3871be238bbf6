-- Inboxes: notices addressed to one enterprise.
CREATE TABLE notice (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    recipient_uscc   char(18)    NOT NULL,
    kind             text        NOT NULL,
    title            text        NOT NULL,
    body             text        NOT NULL,
    source_event_id  uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    read_at          timestamptz
);
CREATE INDEX notice_inbox ON notice (recipient_uscc, created_at DESC);
