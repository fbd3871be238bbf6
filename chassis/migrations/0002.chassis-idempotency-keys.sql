-- Idempotency keys (in every service schema): the answer a write gave, under the key its
-- caller sent, committed in the write's own transaction. A retry with the same key gets
-- the same answer without a second write. Kept 24 hours.

CREATE TABLE idempotency_key (
    key          text        NOT NULL,
    method       text        NOT NULL,
    fingerprint  text        NOT NULL,
    answer       text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, method)
);

CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at);
