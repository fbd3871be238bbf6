-- One push for everything that reaches the enterprises meeting a Criteria object:
-- policies (政策直享) and invitations to service activities (活动邀请). A push is
-- keyed by what it is about, as notices are (about_type, about_id).
ALTER TABLE policy_push RENAME TO push;
ALTER TABLE push DROP CONSTRAINT policy_push_policy_id_fkey;
ALTER TABLE push DROP CONSTRAINT policy_push_pkey;
ALTER TABLE push RENAME COLUMN policy_id TO about_id;
ALTER TABLE push ADD COLUMN about_type text NOT NULL DEFAULT 'policy';
ALTER TABLE push ALTER COLUMN about_type DROP DEFAULT;
ALTER TABLE push ADD PRIMARY KEY (about_type, about_id);

-- Activities as announced by the activities service (activity.published): whom they
-- invite and what the invitation says (one text per activity; notices refer to it).
CREATE TABLE activity (
    id               integer     PRIMARY KEY,
    agency_id        integer     NOT NULL,
    title            text        NOT NULL,
    region_code      text COLLATE "C" NOT NULL,
    criteria         jsonb       NOT NULL,
    message          text        NOT NULL,
    first_starts_at  timestamptz NOT NULL,
    published_at     timestamptz NOT NULL
);
CREATE INDEX notice_about_activity ON notice (about_id, recipient_id) WHERE about_type = 'activity';
