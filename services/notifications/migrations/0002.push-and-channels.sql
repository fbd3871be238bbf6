-- Notices for every kind of recipient, the policy push (政策直享), and deliveries
-- over channels (webhook, e-mail) with their log.

-- A notice is addressed to an enterprise (by USCC), an agency (by id; its staff
-- share the agency's inbox) or one person (by token subject, e.g. the owner of
-- a paused webhook).
ALTER TABLE notice RENAME COLUMN recipient_uscc TO recipient_id;
ALTER TABLE notice ALTER COLUMN recipient_id TYPE text COLLATE "C";
ALTER TABLE notice ADD COLUMN recipient_kind text NOT NULL DEFAULT 'enterprise'
    CHECK (recipient_kind IN ('enterprise', 'agency', 'user'));
ALTER TABLE notice ALTER COLUMN recipient_kind DROP DEFAULT;
-- What the notice is about (a policy, a request, a provider, a webhook subscription).
ALTER TABLE notice ADD COLUMN about_type text;
ALTER TABLE notice ADD COLUMN about_id text COLLATE "C";
-- The recipient enterprise's region, so that admins see push results of their region only.
ALTER TABLE notice ADD COLUMN region_code text COLLATE "C";
-- Duplicates are stopped here: one notice per (source, recipient). The source is
-- the event ('event:<event_id>') or, for a policy, the policy ('policy:<id>'),
-- so a republished policy.published writes nothing twice.
ALTER TABLE notice ADD COLUMN source_key text COLLATE "C";
UPDATE notice SET source_key = 'event:' || coalesce(source_event_id::text, id::text);
ALTER TABLE notice ALTER COLUMN source_key SET NOT NULL;
-- A policy notice's text is the policy's message (one copy per policy, not per notice).
ALTER TABLE notice ALTER COLUMN body DROP NOT NULL;
-- Set on unread notices of a policy that was withdrawn or expired: why it no longer applies.
ALTER TABLE notice ADD COLUMN no_longer_applies text;
-- When the enterprise raised a request about the policy it was told of.
ALTER TABLE notice ADD COLUMN requested_at timestamptz;

DROP INDEX notice_inbox;
CREATE UNIQUE INDEX notice_once ON notice (recipient_kind, recipient_id, source_key);
CREATE INDEX notice_inbox ON notice (recipient_kind, recipient_id, created_at DESC, id DESC);
CREATE INDEX notice_unread ON notice (recipient_kind, recipient_id, kind) WHERE read_at IS NULL;
CREATE INDEX notice_about_policy ON notice (about_id, recipient_id) INCLUDE (region_code)
    WHERE about_type = 'policy';

-- Policies as announced by the agencies service (a local read model, fed by
-- policy.published / withdrawn / expired). A withdrawal that arrives before its
-- publication leaves a row in state withdrawn, so the late publication pushes nothing.
CREATE TABLE policy (
    id               integer     PRIMARY KEY,
    agency_id        integer,
    title            text        NOT NULL,
    document_number  text,
    service_area     text,
    region_code      text COLLATE "C" NOT NULL,
    benefits         text,
    expires_on       date,
    criteria         jsonb,
    message          text,
    state            text        NOT NULL CHECK (state IN ('published', 'withdrawn', 'expired')),
    closed_reason    text,
    published_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_in_force ON policy (id) WHERE state = 'published';

-- One push per policy: how far it got (every matching enterprise up to
-- after_uscc has its notice), so that a redelivered event resumes it.
CREATE TABLE policy_push (
    policy_id    integer     PRIMARY KEY REFERENCES policy (id),
    state        text        NOT NULL CHECK (state IN ('pushing', 'done', 'stopped')),
    after_uscc   text COLLATE "C",
    matched      integer     NOT NULL DEFAULT 0,
    notified     integer     NOT NULL DEFAULT 0,
    pages        integer     NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

-- Agencies as announced by the agencies service (agency.created / updated):
-- who is the parent agency that hears of escalations and missed deadlines.
CREATE TABLE agency (
    id           integer PRIMARY KEY,
    parent_id    integer,
    name         text    NOT NULL,
    level        text,
    region_code  text COLLATE "C"
);

-- Resolved requests waiting for their revisit (回访); a reminder goes to the
-- holding agency once per resolution. Times come from the events, so events
-- handled out of order settle on the latest state.
CREATE TABLE revisit_watch (
    request_id   uuid        PRIMARY KEY,
    agency_id    integer,
    uscc         text COLLATE "C",
    resolved_at  timestamptz,
    settled_at   timestamptz,
    reminded_for timestamptz
);
CREATE INDEX revisit_watch_due ON revisit_watch (resolved_at)
    WHERE resolved_at IS NOT NULL AND reminded_for IS NULL;

-- Per recipient: which kinds go to which channels (in-app always), the e-mail
-- address and the quiet hours that hold e-mail and webhooks.
CREATE TABLE preference (
    recipient_kind  text NOT NULL,
    recipient_id    text COLLATE "C" NOT NULL,
    kind            text NOT NULL,
    channels        text[] NOT NULL,
    PRIMARY KEY (recipient_kind, recipient_id, kind)
);
CREATE TABLE recipient_setting (
    recipient_kind  text NOT NULL,
    recipient_id    text COLLATE "C" NOT NULL,
    email           text,
    quiet_start     time,
    quiet_end       time,
    time_zone       text NOT NULL DEFAULT 'Asia/Shanghai',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recipient_kind, recipient_id)
);

-- Webhook subscriptions: notices of one recipient POSTed to a URL, signed with
-- the subscription's secret (shown once, when it is made).
CREATE TABLE webhook_subscription (
    id                    bigserial   PRIMARY KEY,
    recipient_kind        text        NOT NULL,
    recipient_id          text COLLATE "C" NOT NULL,
    owner_subject         text        NOT NULL,
    url                   text        NOT NULL,
    secret                text        NOT NULL,
    description           text        NOT NULL DEFAULT '',
    state                 text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'deleted')),
    consecutive_failures  integer     NOT NULL DEFAULT 0,
    paused_at             timestamptz,
    paused_reason         text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscription_recipient ON webhook_subscription (recipient_kind, recipient_id)
    WHERE state <> 'deleted';

-- Deliveries: the queue the dispatchers of every replica take work from, and
-- the log. One delivery per (notice, channel, endpoint). ``endpoint`` is what a
-- concurrency limit counts against: 'webhook:<subscription id>' or 'email'.
CREATE TABLE delivery (
    id               bigserial   PRIMARY KEY,
    notice_id        uuid        NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
    channel          text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    subscription_id  bigint      REFERENCES webhook_subscription (id),
    address          text,
    endpoint         text        NOT NULL,
    state            text        NOT NULL DEFAULT 'pending' CHECK (state IN
                         ('pending', 'sending', 'held', 'delivered', 'given_up', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0,
    last_status      integer,
    last_error       text,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX delivery_once ON delivery (notice_id, channel, coalesce(subscription_id, 0));
CREATE INDEX delivery_due ON delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX delivery_sending ON delivery (endpoint, lease_until) WHERE state = 'sending';
CREATE INDEX delivery_of_subscription ON delivery (subscription_id, id) WHERE subscription_id IS NOT NULL;

-- Every attempt, as it went.
CREATE TABLE delivery_attempt (
    delivery_id  bigint      NOT NULL REFERENCES delivery (id) ON DELETE CASCADE,
    attempt      integer     NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    outcome      text        NOT NULL CHECK (outcome IN ('delivered', 'failed', 'refused', 'given_up')),
    status       integer,
    error        text,
    duration_ms  integer,
    PRIMARY KEY (delivery_id, attempt)
);
