-- The profile's history: every change with who made it and why. Figures of past
-- years decide the size class on old contract dates, so a correction to them must
-- be traceable to its author and reason.
CREATE TABLE enterprise_change (
    id             bigserial   PRIMARY KEY,
    uscc           text COLLATE "C" NOT NULL REFERENCES enterprise (uscc) ON DELETE CASCADE,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    actor_role     text        NOT NULL,
    actor          text        NOT NULL,
    reason         text,
    -- field -> {"from": ..., "to": ...}; figures carry their year
    changes        jsonb       NOT NULL
);
CREATE INDEX enterprise_change_profile ON enterprise_change (uscc, id);
