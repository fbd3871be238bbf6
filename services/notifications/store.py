"""SQL over the ``notifications`` schema; nothing else touches it.

Notices are written set-based: one statement inserts a batch of notices
(``ON CONFLICT DO NOTHING`` on their source key, so a redelivered event or a
republished policy writes nothing twice) and, in the same statement, one
delivery per (notice, channel, endpoint) that the recipients' preferences and
webhook subscriptions call for.
"""
import json
from datetime import datetime

from chassis import keyset
from reference.china_time import moment_of
from services.notifications.schemas import DELIVERIES_LIST, EMAIL, INBOX_LIST, MATCHES_LIST, WEBHOOK

# The orders of the keyset lists: the inbox newest first; a policy's recipients by USCC; a
# subscription's deliveries newest first.
INBOX_ORDER = keyset.Order(INBOX_LIST, keyset.Key("n.created_at", "created_at", keyset.TIMESTAMP, descending=True),
                           keyset.Key("n.id", "id", keyset.UUID, descending=True))
MATCHES_ORDER = keyset.Order(MATCHES_LIST, keyset.Key("n.recipient_id", "uscc"))
DELIVERIES_ORDER = keyset.Order(DELIVERIES_LIST, keyset.Key("d.id", "id", keyset.INTEGER, descending=True))

NOTICE_COLUMNS = ("recipient_kind", "recipient_id", "kind", "title", "body", "about_type", "about_id",
                  "region_code")

# Given a CTE ``inserted`` (id, recipient_kind, recipient_id, kind) of new notices: queue their
# deliveries. A kind goes to webhooks unless the recipient's preference leaves webhook out, and
# to e-mail only when the preference names e-mail and an address is on file. A paused
# subscription's deliveries wait (held) until it resumes.
FAN_OUT = f"""
webhooks AS (
    INSERT INTO delivery (notice_id, channel, subscription_id, endpoint, state)
    SELECT i.id, '{WEBHOOK}', s.id, 'webhook:' || s.id,
           CASE WHEN s.state = 'paused' THEN 'held' ELSE 'pending' END
    FROM inserted i
    JOIN webhook_subscription s ON s.recipient_kind = i.recipient_kind
                               AND s.recipient_id = i.recipient_id AND s.state <> 'deleted'
    LEFT JOIN preference p ON p.recipient_kind = i.recipient_kind AND p.recipient_id = i.recipient_id
                          AND p.kind = i.kind
    WHERE p.channels IS NULL OR '{WEBHOOK}' = ANY (p.channels)
    ON CONFLICT DO NOTHING
    RETURNING 1),
mails AS (
    INSERT INTO delivery (notice_id, channel, address, endpoint)
    SELECT i.id, '{EMAIL}', r.email, '{EMAIL}'
    FROM inserted i
    JOIN preference p ON p.recipient_kind = i.recipient_kind AND p.recipient_id = i.recipient_id
                     AND p.kind = i.kind AND '{EMAIL}' = ANY (p.channels)
    JOIN recipient_setting r ON r.recipient_kind = i.recipient_kind AND r.recipient_id = i.recipient_id
                            AND r.email IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING 1)
SELECT (SELECT count(*) FROM inserted) AS notices,
       (SELECT count(*) FROM webhooks) + (SELECT count(*) FROM mails) AS deliveries,
       (SELECT coalesce(json_object_agg(kind, n), '{{}}') FROM
          (SELECT kind, count(*) AS n FROM inserted GROUP BY kind) counted) AS kinds"""


def add_notices(tx, notices, source_key=None):
    """Write ``notices`` (dicts of :data:`NOTICE_COLUMNS`) from one source (``source_key``), or each
    from its own (its ``source_key``: the notices of several events), with their deliveries;
    ``{"notices", "deliveries", "kinds"}`` newly written."""
    if not notices:
        return {"notices": 0, "deliveries": 0, "kinds": {}}
    arrays = {column: [each.get(column) for each in notices] for column in NOTICE_COLUMNS}
    arrays["source_key"] = [source_key or each["source_key"] for each in notices]
    return dict(tx.one(
        "WITH batch AS (SELECT * FROM unnest(%(recipient_kind)s::text[], %(recipient_id)s::text[], "
        "  %(kind)s::text[], %(title)s::text[], %(body)s::text[], %(about_type)s::text[], "
        "  %(about_id)s::text[], %(region_code)s::text[], %(source_key)s::text[]) "
        "  AS b(recipient_kind, recipient_id, kind, title, body, about_type, about_id, region_code, source_key)), "
        "inserted AS (INSERT INTO notice (recipient_kind, recipient_id, kind, title, body, about_type, "
        "  about_id, region_code, source_key) "
        "  SELECT recipient_kind, recipient_id, kind, title, body, about_type, about_id, region_code, "
        "  source_key FROM batch "
        "  ON CONFLICT (recipient_kind, recipient_id, source_key) DO NOTHING "
        "  RETURNING id, recipient_kind, recipient_id, kind), " + FAN_OUT, arrays))


def add_pushed_notices(tx, pushed, usccs, region_codes):
    """One notice about ``pushed`` (a :class:`push.Pushed`: a policy, an activity) for each
    enterprise of a page of its push (the text is the subject's message, kept once);
    ``{"notices", "deliveries"}`` newly written."""
    return dict(tx.one(
        "WITH page AS (SELECT * FROM unnest(%(usccs)s::text[], %(regions)s::text[]) AS p(uscc, region_code)), "
        "inserted AS (INSERT INTO notice (recipient_kind, recipient_id, kind, title, about_type, about_id, "
        "  region_code, source_key) "
        "  SELECT 'enterprise', uscc, %(kind)s, %(title)s, %(about_type)s, %(about_id)s, region_code, "
        "  %(source_key)s FROM page "
        "  ON CONFLICT (recipient_kind, recipient_id, source_key) DO NOTHING "
        "  RETURNING id, recipient_kind, recipient_id, kind), " + FAN_OUT,
        {"usccs": list(usccs), "regions": list(region_codes), "title": pushed.title, "kind": pushed.kind,
         "about_type": pushed.about_type, "about_id": str(pushed.about_id),
         "source_key": pushed_source_key(pushed.about_type, pushed.about_id)}))


def pushed_source_key(about_type, about_id):
    """One notice per enterprise and pushed subject, however often its push runs."""
    return f"{about_type}:{about_id}"


def policy_source_key(policy_id):
    return pushed_source_key("policy", policy_id)


def event_source_key(event):
    return f"event:{event['event_id']}"


# -- inbox ----------------------------------------------------------------------------------

def _recipients(recipients, params, alias="n"):
    """``(kind, id) IN (...)`` over the caller's recipient identities."""
    pairs = []
    for kind, recipient_id in recipients:
        params += [kind, str(recipient_id)]
        pairs.append("(%s, %s)")
    return f"({alias}.recipient_kind, {alias}.recipient_id) IN ({', '.join(pairs)})"


NOTICE_VIEW = ("n.id, n.kind, n.title, coalesce(n.body, p.message, a.message) AS body, n.about_type, "
               "n.about_id, n.no_longer_applies, n.created_at, n.read_at "
               "FROM notice n LEFT JOIN policy p ON n.about_type = 'policy' AND n.about_id = p.id::text "
               "LEFT JOIN activity a ON n.about_type = 'activity' AND n.about_id = a.id::text")


def present(row):
    notice = dict(row)
    about_type, about_id = notice.pop("about_type"), notice.pop("about_id")
    notice["about"] = {"type": about_type, "id": about_id} if about_type else None
    return notice


def inbox_page(tx, recipients, kind, unread, after, limit):
    """One page of notices in :data:`INBOX_ORDER`, after the keyset position ``after`` (or from
    the first)."""
    params = []
    where = [_recipients(recipients, params)]
    if kind:
        where.append("n.kind = %s")
        params.append(kind)
    if unread is not None:
        where.append("n.read_at IS NULL" if unread else "n.read_at IS NOT NULL")
    if after:
        where.append(INBOX_ORDER.after(after, params))
    rows = tx.all(f"SELECT {NOTICE_VIEW} WHERE {' AND '.join(where)} "
                  f"ORDER BY {INBOX_ORDER.order_by()} LIMIT %s", params + [limit])
    return [present(row) for row in rows]


def unread_counts(tx, recipients):
    params = []
    rows = tx.all(f"SELECT n.kind, count(*) AS n FROM notice n WHERE {_recipients(recipients, params)} "
                  "AND n.read_at IS NULL GROUP BY n.kind", params)
    return {row["kind"]: row["n"] for row in rows}


def mark_read(tx, recipients, notice_id):
    """Mark one of the caller's notices read (the first reading time stays); None if it is not theirs."""
    params = [notice_id]
    row = tx.one(f"UPDATE notice n SET read_at = coalesce(n.read_at, now()) WHERE n.id = %s::uuid AND "
                 f"{_recipients(recipients, params)} RETURNING n.id", params)
    if row is None:
        return None
    return present(tx.one(f"SELECT {NOTICE_VIEW} WHERE n.id = %s", (row["id"],)))


def mark_all_read(tx, recipients, kind=None):
    params = []
    where = _recipients(recipients, params)
    if kind:
        where += " AND n.kind = %s"
        params.append(kind)
    tx.execute(f"UPDATE notice n SET read_at = now() WHERE {where} AND n.read_at IS NULL", params)
    return tx.cursor.rowcount


# -- read models: policies, agencies, requests awaiting revisit -------------------------------

def upsert_published_policy(tx, policy, message, published_at):
    """Record a published policy; one already withdrawn or expired stays so. Its state after."""
    return tx.one(
        "INSERT INTO policy (id, agency_id, title, document_number, service_area, region_code, benefits, "
        "  expires_on, criteria, message, state, published_at) "
        "VALUES (%(policy_id)s, %(agency_id)s, %(title)s, %(document_number)s, %(service_area)s, "
        "  %(region_code)s, %(benefits)s, %(expires_on)s, %(criteria)s, %(message)s, 'published', %(at)s) "
        "ON CONFLICT (id) DO UPDATE SET agency_id = EXCLUDED.agency_id, title = EXCLUDED.title, "
        "  document_number = EXCLUDED.document_number, service_area = EXCLUDED.service_area, "
        "  region_code = EXCLUDED.region_code, benefits = EXCLUDED.benefits, expires_on = EXCLUDED.expires_on, "
        "  criteria = EXCLUDED.criteria, message = EXCLUDED.message, published_at = EXCLUDED.published_at, "
        "  updated_at = now() "
        "RETURNING state",
        {**policy, "criteria": json.dumps(policy["criteria"], ensure_ascii=False, default=str),
         "message": message, "at": published_at})["state"]


def close_policy(tx, policy, state, reason, text):
    """A policy withdrawn or expired: no more pushing; its unread notices say it no longer
    applies; its deliveries not yet made are cancelled. Returns how many notices were marked."""
    tx.execute(
        "INSERT INTO policy (id, agency_id, title, region_code, state, closed_reason) "
        "VALUES (%(policy_id)s, %(agency_id)s, %(title)s, %(region_code)s, %(state)s, %(reason)s) "
        "ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, closed_reason = EXCLUDED.closed_reason, "
        "  updated_at = now()",
        {**policy, "state": state, "reason": reason})
    tx.execute("UPDATE push SET state = 'stopped', finished_at = now() "
               "WHERE about_type = 'policy' AND about_id = %s AND state = 'pushing'", (policy["policy_id"],))
    tx.execute("UPDATE notice SET no_longer_applies = %s WHERE about_type = 'policy' AND about_id = %s "
               "AND read_at IS NULL AND no_longer_applies IS NULL", (text, str(policy["policy_id"])))
    marked = tx.cursor.rowcount
    tx.execute("UPDATE delivery d SET state = 'cancelled', updated_at = now() FROM notice n "
               "WHERE d.notice_id = n.id AND n.about_type = 'policy' AND n.about_id = %s "
               "AND d.state IN ('pending', 'held')", (str(policy["policy_id"]),))
    return marked


def policies_in_force(tx, on):
    return tx.all("SELECT id, title, criteria FROM policy WHERE state = 'published' "
                  "AND (expires_on IS NULL OR expires_on >= %s) ORDER BY id", (on,))


def policy(tx, policy_id, lock=False):
    return tx.one("SELECT * FROM policy WHERE id = %s" + (" FOR UPDATE" if lock else ""), (policy_id,))


def upsert_agency(tx, agency):
    tx.execute("INSERT INTO agency (id, parent_id, name, level, region_code) "
               "VALUES (%(id)s, %(parent_id)s, %(name)s, %(level)s, %(region_code)s) "
               "ON CONFLICT (id) DO UPDATE SET parent_id = EXCLUDED.parent_id, name = EXCLUDED.name, "
               "  level = EXCLUDED.level, region_code = EXCLUDED.region_code", {"parent_id": None, **agency})


def agencies(tx, ids):
    """``{id: {"name", "parent_id"}}`` for the agencies known among ``ids``."""
    ids = [int(each) for each in ids if each is not None]
    if not ids:
        return {}
    return {row["id"]: {"name": row["name"], "parent_id": row["parent_id"]}
            for row in tx.all("SELECT id, name, parent_id FROM agency WHERE id = ANY(%s)", (ids,))}


def watch_resolution(tx, request_id, agency_id, uscc, resolved_at):
    tx.execute(
        "INSERT INTO revisit_watch (request_id, agency_id, uscc, resolved_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (request_id) DO UPDATE SET agency_id = EXCLUDED.agency_id, uscc = EXCLUDED.uscc, "
        "  resolved_at = greatest(revisit_watch.resolved_at, EXCLUDED.resolved_at), "
        "  reminded_for = CASE WHEN EXCLUDED.resolved_at > revisit_watch.resolved_at THEN NULL "
        "    ELSE revisit_watch.reminded_for END",
        (request_id, agency_id, uscc, resolved_at))


def settle_resolution(tx, request_id, settled_at):
    """A revisit, reopening, closing or withdrawal: no reminder for resolutions before it."""
    tx.execute(
        "INSERT INTO revisit_watch (request_id, settled_at) VALUES (%s, %s) "
        "ON CONFLICT (request_id) DO UPDATE SET "
        "  settled_at = greatest(revisit_watch.settled_at, EXCLUDED.settled_at)",
        (request_id, settled_at))


def claim_revisits_due(tx, resolved_before, limit=500):
    """Resolutions older than ``resolved_before`` with no revisit since and no reminder yet,
    marked reminded; several replicas never remind twice (``SKIP LOCKED``)."""
    return tx.all(
        "WITH due AS (SELECT request_id FROM revisit_watch "
        "  WHERE resolved_at IS NOT NULL AND reminded_for IS NULL AND resolved_at < %s "
        "  AND (settled_at IS NULL OR settled_at < resolved_at) AND agency_id IS NOT NULL "
        "  ORDER BY resolved_at LIMIT %s FOR UPDATE SKIP LOCKED) "
        "UPDATE revisit_watch w SET reminded_for = w.resolved_at FROM due WHERE w.request_id = due.request_id "
        "RETURNING w.request_id, w.agency_id, w.uscc, w.resolved_at", (resolved_before, limit))


def note_policy_request(tx, policy_id, uscc, at):
    """The enterprise raised a request about a policy it was told of."""
    tx.execute("UPDATE notice SET requested_at = %s WHERE about_type = 'policy' AND about_id = %s "
               "AND recipient_kind = 'enterprise' AND recipient_id = %s AND requested_at IS NULL",
               (at, str(policy_id), uscc))
    return tx.cursor.rowcount


# -- the push ---------------------------------------------------------------------------------

def start_push(tx, about_type, about_id):
    """The push of a subject, made on first sight; its row."""
    tx.execute("INSERT INTO push (about_type, about_id, state) VALUES (%s, %s, 'pushing') ON CONFLICT DO NOTHING",
               (about_type, about_id))
    return push_state(tx, about_type, about_id)


def push_state(tx, about_type, about_id, lock=False):
    return tx.one("SELECT * FROM push WHERE about_type = %s AND about_id = %s" + (" FOR UPDATE" if lock else ""),
                  (about_type, about_id))


def advance_push(tx, about_type, about_id, after, next_after, matched, notified):
    """Move the push past a page; False when another replica moved it or the push stopped."""
    row = tx.one("UPDATE push SET after_uscc = %s, matched = matched + %s, notified = notified + %s, "
                 "pages = pages + 1 WHERE about_type = %s AND about_id = %s AND state = 'pushing' "
                 "AND after_uscc IS NOT DISTINCT FROM %s RETURNING about_id",
                 (next_after, matched, notified, about_type, about_id, after))
    return row is not None


def finish_push(tx, about_type, about_id):
    tx.execute("UPDATE push SET state = 'done', finished_at = clock_timestamp() "
               "WHERE about_type = %s AND about_id = %s AND state = 'pushing'", (about_type, about_id))


def record_activity(tx, activity, message, published_at):
    """Record a published activity (``activity.published``); a repeated announcement changes nothing."""
    tx.execute(
        "INSERT INTO activity (id, agency_id, title, region_code, criteria, message, first_starts_at, published_at) "
        "VALUES (%(activity_id)s, %(agency_id)s, %(title)s, %(region_code)s, %(criteria)s, %(message)s, "
        "  %(first_starts_at)s, %(at)s) ON CONFLICT (id) DO NOTHING",
        {**activity, "criteria": json.dumps(activity["criteria"], ensure_ascii=False, default=str),
         "message": message, "at": published_at})


def activity(tx, activity_id):
    return tx.one("SELECT * FROM activity WHERE id = %s", (activity_id,))


# -- push results -------------------------------------------------------------------------------

def policy_matches(tx, policy_id, within, after, limit):
    """A page of the enterprises a policy was pushed to (in USCC order), with their deliveries."""
    params = [str(policy_id)]
    where = "n.about_type = 'policy' AND n.about_id = %s AND n.recipient_kind = 'enterprise'"
    if within:
        where += " AND n.region_code LIKE %s"
        params.append(within + "%")
    if after:
        where += " AND " + MATCHES_ORDER.after(after, params)
    rows = tx.all(
        "SELECT n.recipient_id AS uscc, n.region_code, n.created_at AS notified_at, n.read_at, n.requested_at, "
        "  coalesce((SELECT json_agg(json_build_object('channel', d.channel, 'state', d.state, "
        "    'attempts', d.attempts) ORDER BY d.id) FROM delivery d WHERE d.notice_id = n.id), '[]') AS deliveries "
        f"FROM notice n WHERE {where} ORDER BY {MATCHES_ORDER.order_by()} LIMIT %s", params + [limit])
    for row in rows:
        row["deliveries"] = [{"channel": "in_app", "state": "delivered", "attempts": 1}] + list(row["deliveries"])
    return rows


def policy_reach(tx, policy_id, within):
    """Notified, read, then requested — and delivered outside the inbox, by channel."""
    params = [str(policy_id)]
    where = "n.about_type = 'policy' AND n.about_id = %s AND n.recipient_kind = 'enterprise'"
    if within:
        where += " AND n.region_code LIKE %s"
        params.append(within + "%")
    counts = tx.one(f"SELECT count(*) AS notified, count(n.read_at) AS read, "
                    f"count(n.requested_at) AS requested FROM notice n WHERE {where}", params)
    delivered = {row["channel"]: row["n"] for row in tx.all(
        f"SELECT d.channel, count(*) AS n FROM delivery d JOIN notice n ON n.id = d.notice_id "
        f"WHERE {where} AND d.state = 'delivered' GROUP BY d.channel", params)}
    return {**counts, "delivered": delivered}


def policy_reach_by_region(tx, prefix, start, end, cutoff):
    """Per region code under ``prefix``: the enterprises told of a policy by a notice written in
    ``[start, end)`` (China days) and by ``cutoff`` — each counted once, in the region of its first
    such notice —, those notices, and how many of them were read by ``cutoff``. Notices are never
    deleted, their region and time never change and a notice is read once, so a cut-off always
    gives the same figures."""
    return tx.all(
        "SELECT region_code, count(*) FILTER (WHERE first) AS reached, count(*) AS notices, "
        "  count(*) FILTER (WHERE read_at <= %(cutoff)s) AS read "
        "FROM (SELECT n.region_code, n.read_at, "
        "        row_number() OVER (PARTITION BY n.recipient_id ORDER BY n.created_at, n.id) = 1 AS first "
        "      FROM notice n WHERE n.about_type = 'policy' AND n.recipient_kind = 'enterprise' "
        "      AND n.kind = 'policy_match' AND n.region_code LIKE %(prefix)s AND n.created_at >= %(start)s "
        "      AND n.created_at < %(end)s AND n.created_at <= %(cutoff)s) told "
        "GROUP BY region_code ORDER BY region_code",
        {"prefix": prefix + "%", "start": moment_of(start), "end": moment_of(end), "cutoff": cutoff})


# -- preferences --------------------------------------------------------------------------------

def preferences(tx, recipient):
    kind, recipient_id = recipient
    channels = {row["kind"]: list(row["channels"]) for row in tx.all(
        "SELECT kind, channels FROM preference WHERE recipient_kind = %s AND recipient_id = %s ORDER BY kind",
        (kind, recipient_id))}
    setting = tx.one("SELECT email, quiet_start, quiet_end, time_zone FROM recipient_setting "
                     "WHERE recipient_kind = %s AND recipient_id = %s", (kind, recipient_id))
    return channels, setting


def replace_preferences(tx, recipient, channels, email, quiet_hours):
    kind, recipient_id = recipient
    tx.execute("DELETE FROM preference WHERE recipient_kind = %s AND recipient_id = %s", (kind, recipient_id))
    for notice_kind, chosen in channels.items():
        tx.execute("INSERT INTO preference (recipient_kind, recipient_id, kind, channels) VALUES (%s, %s, %s, %s)",
                   (kind, recipient_id, notice_kind, chosen))
    quiet = quiet_hours or {}
    tx.execute(
        "INSERT INTO recipient_setting (recipient_kind, recipient_id, email, quiet_start, quiet_end, time_zone) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (recipient_kind, recipient_id) DO UPDATE SET "
        "email = EXCLUDED.email, quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, "
        "time_zone = EXCLUDED.time_zone, updated_at = now()",
        (kind, recipient_id, email, quiet.get("start"), quiet.get("end"), quiet.get("time_zone", "Asia/Shanghai")))


# -- webhook subscriptions ----------------------------------------------------------------------

SUBSCRIPTION_VIEW = ("id, url, description, state, consecutive_failures, paused_at, paused_reason, created_at, "
                     "recipient_kind, recipient_id, owner_subject")


def count_subscriptions(tx, recipient):
    return tx.one("SELECT count(*) AS n FROM webhook_subscription WHERE recipient_kind = %s AND recipient_id = %s "
                  "AND state <> 'deleted'", tuple(recipient))["n"]


def add_subscription(tx, recipient, owner_subject, url, secret, description):
    return tx.one(
        "INSERT INTO webhook_subscription (recipient_kind, recipient_id, owner_subject, url, secret, description) "
        f"VALUES (%s, %s, %s, %s, %s, %s) RETURNING {SUBSCRIPTION_VIEW}",
        (*recipient, owner_subject, url, secret, description))


def subscriptions(tx, recipient):
    return tx.all(f"SELECT {SUBSCRIPTION_VIEW} FROM webhook_subscription WHERE recipient_kind = %s "
                  "AND recipient_id = %s AND state <> 'deleted' ORDER BY id", tuple(recipient))


def subscription(tx, subscription_id, recipient=None, lock=False, with_secret=False):
    """One live subscription (of ``recipient``, when given), or None."""
    params = [subscription_id]
    where = "id = %s AND state <> 'deleted'"
    if recipient is not None:
        where += " AND recipient_kind = %s AND recipient_id = %s"
        params += list(recipient)
    columns = SUBSCRIPTION_VIEW + (", secret" if with_secret else "")
    return tx.one(f"SELECT {columns} FROM webhook_subscription WHERE {where}" + (" FOR UPDATE" if lock else ""),
                  params)


def stored_secrets(tx, after_id, limit, starting=None):
    """The next ``limit`` subscriptions' stored secrets after ``after_id`` (every state: a deleted one
    keeps its secret too), in id order and locked; ``starting``: only those that begin with it."""
    where = "id > %s" + (" AND starts_with(secret, %s)" if starting else "")
    params = (after_id, starting, limit) if starting else (after_id, limit)
    return tx.all(f"SELECT id, secret FROM webhook_subscription WHERE {where} ORDER BY id LIMIT %s FOR UPDATE",
                  params)


def replace_secrets(tx, secrets):
    """Store ``{subscription id: secret}`` (one statement)."""
    if secrets:
        tx.execute("UPDATE webhook_subscription s SET secret = v.secret "
                   "FROM unnest(%s::bigint[], %s::text[]) AS v (id, secret) WHERE s.id = v.id",
                   (list(secrets), list(secrets.values())))


def delete_subscription(tx, subscription_id):
    tx.execute("UPDATE webhook_subscription SET state = 'deleted', updated_at = now() WHERE id = %s",
               (subscription_id,))
    tx.execute("UPDATE delivery SET state = 'cancelled', updated_at = now() WHERE subscription_id = %s "
               "AND state IN ('pending', 'held')", (subscription_id,))


def resume_subscription(tx, subscription_id):
    """A paused subscription that answered again: active, and its held deliveries go out."""
    tx.execute("UPDATE webhook_subscription SET state = 'active', consecutive_failures = 0, paused_at = NULL, "
               "paused_reason = NULL, updated_at = now() WHERE id = %s AND state = 'paused'", (subscription_id,))
    if tx.cursor.rowcount:
        tx.execute("UPDATE delivery SET state = 'pending', next_attempt_at = now(), updated_at = now() "
                   "WHERE subscription_id = %s AND state = 'held'", (subscription_id,))


def deliveries_of(tx, subscription_id, after, limit):
    params = [subscription_id]
    where = "d.subscription_id = %s"
    if after:
        where += " AND " + DELIVERIES_ORDER.after(after, params)
    rows = tx.all(
        "SELECT d.id, d.notice_id, n.kind, d.channel, d.state, d.attempts, d.last_status, d.last_error, "
        "  CASE WHEN d.state = 'pending' THEN d.next_attempt_at END AS next_attempt_at, d.delivered_at, "
        "  d.created_at, coalesce((SELECT json_agg(json_build_object('attempt', a.attempt, 'at', a.at, "
        "    'outcome', a.outcome, 'status', a.status, 'error', a.error, 'duration_ms', a.duration_ms) "
        "    ORDER BY a.attempt) FROM delivery_attempt a WHERE a.delivery_id = d.id), '[]') AS attempt_log "
        f"FROM delivery d JOIN notice n ON n.id = d.notice_id WHERE {where} "
        f"ORDER BY {DELIVERIES_ORDER.order_by()} LIMIT %s",
        params + [limit])
    for row in rows:
        for attempt in row["attempt_log"]:
            attempt["at"] = datetime.fromisoformat(attempt["at"])
    return rows


# -- the delivery queue -------------------------------------------------------------------------

def claim_deliveries(tx, limit, webhook_limit, email_limit, lease_seconds):
    """Take up to ``limit`` due deliveries to send, at most ``webhook_limit`` in flight per
    webhook subscription and ``email_limit`` to the mail server, across every replica.

    Replicas claim one at a time (a transaction-level advisory lock), so the
    in-flight counts they read are exact; sending happens outside this transaction.
    A delivery whose sender died comes back when its lease runs out. Returns []
    when another replica holds the claiming turn.
    """
    turn = tx.one("SELECT pg_try_advisory_xact_lock(hashtext('onenet.deliveries.' || current_schema())) AS mine")
    if not turn["mine"]:
        return []
    return tx.all(
        "WITH due AS ("
        "  SELECT d.id, d.endpoint, d.next_attempt_at FROM delivery d "
        "  LEFT JOIN webhook_subscription s ON s.id = d.subscription_id "
        "  WHERE d.state = 'pending' AND d.next_attempt_at <= now() "
        "    AND (d.subscription_id IS NULL OR s.state = 'active') "
        "  ORDER BY d.next_attempt_at LIMIT %(scan)s FOR UPDATE OF d SKIP LOCKED), "
        "expired AS ("
        "  SELECT d.id, d.endpoint, d.next_attempt_at FROM delivery d "
        "  WHERE d.state = 'sending' AND d.lease_until < now() LIMIT %(scan)s FOR UPDATE SKIP LOCKED), "
        "candidates AS (SELECT * FROM due UNION ALL SELECT * FROM expired), "
        "busy AS (SELECT endpoint, count(*) AS n FROM delivery WHERE state = 'sending' AND lease_until >= now() "
        "  AND endpoint IN (SELECT endpoint FROM candidates) GROUP BY endpoint), "
        "ranked AS (SELECT c.id, c.endpoint, c.next_attempt_at, row_number() OVER (PARTITION BY c.endpoint "
        "  ORDER BY c.next_attempt_at, c.id) + coalesce(b.n, 0) AS slot "
        "  FROM candidates c LEFT JOIN busy b USING (endpoint)), "
        "chosen AS (SELECT id FROM ranked WHERE slot <= CASE WHEN endpoint = 'email' "
        "  THEN %(email_limit)s ELSE %(webhook_limit)s END "
        "  ORDER BY next_attempt_at, id LIMIT %(limit)s) "
        "UPDATE delivery d SET state = 'sending', lease_until = now() + make_interval(secs => %(lease)s), "
        "  updated_at = now() "
        "FROM chosen c, notice n LEFT JOIN recipient_setting rs ON rs.recipient_kind = n.recipient_kind "
        "  AND rs.recipient_id = n.recipient_id "
        "WHERE d.id = c.id AND n.id = d.notice_id "
        "RETURNING d.id, d.notice_id, d.channel, d.subscription_id, d.address, d.endpoint, d.attempts, "
        "  d.created_at, rs.quiet_start, rs.quiet_end, rs.time_zone",
        {"scan": max(limit * 4, 100), "limit": limit, "webhook_limit": webhook_limit,
         "email_limit": email_limit, "lease": lease_seconds})


def defer_deliveries(tx, until_by_id):
    """Put claimed deliveries back, untried, until their recipient's quiet hours end."""
    for delivery_id, until in until_by_id.items():
        tx.execute("UPDATE delivery SET state = 'pending', lease_until = NULL, next_attempt_at = %s, "
                   "updated_at = now() WHERE id = %s", (until, delivery_id))


def delivery_content(tx, notice_id):
    """A notice as channels carry it, with the recipient."""
    row = tx.one(f"SELECT {NOTICE_VIEW.replace('FROM', ', n.recipient_kind, n.recipient_id FROM', 1)} "
                 "WHERE n.id = %s", (notice_id,))
    return present(row) if row else None


def record_attempt(tx, delivery, outcome, status, error, duration_ms, next_attempt_at=None):
    """Log one attempt and settle the delivery: delivered, given up, or pending its next try."""
    attempt = delivery["attempts"] + 1
    state = {"delivered": "delivered", "given_up": "given_up", "failed": "pending", "refused": "pending"}[outcome]
    tx.execute(
        "UPDATE delivery SET state = %s, attempts = %s, last_status = %s, last_error = %s, lease_until = NULL, "
        "  next_attempt_at = coalesce(%s, next_attempt_at), "
        "  delivered_at = CASE WHEN %s = 'delivered' THEN now() ELSE delivered_at END, updated_at = now() "
        "WHERE id = %s AND state = 'sending'",
        (state, attempt, status, error, next_attempt_at, state, delivery["id"]))
    if tx.cursor.rowcount:
        tx.execute("INSERT INTO delivery_attempt (delivery_id, attempt, outcome, status, error, duration_ms) "
                   "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                   (delivery["id"], attempt, outcome, status, error, duration_ms))


def subscriber_answered(tx, subscription_id):
    tx.execute("UPDATE webhook_subscription SET consecutive_failures = 0 WHERE id = %s AND consecutive_failures > 0",
               (subscription_id,))


def subscriber_failed(tx, subscription_id, pause_after, reason):
    """Count a failure; pause the subscription at ``pause_after`` in a row. The subscription
    when this failure paused it (its deliveries then wait, held), else None."""
    row = tx.one("UPDATE webhook_subscription SET consecutive_failures = consecutive_failures + 1, "
                 "updated_at = now() WHERE id = %s AND state = 'active' "
                 f"RETURNING {SUBSCRIPTION_VIEW}", (subscription_id,))
    if row is None or row["consecutive_failures"] < pause_after:
        return None
    paused = tx.one("UPDATE webhook_subscription SET state = 'paused', paused_at = now(), paused_reason = %s "
                    f"WHERE id = %s AND state = 'active' RETURNING {SUBSCRIPTION_VIEW}",
                    (reason[:500], subscription_id))
    tx.execute("UPDATE delivery SET state = 'held', updated_at = now() WHERE subscription_id = %s "
               "AND state = 'pending'", (subscription_id,))
    return paused


def delivery_backlog(tx):
    return {row["state"]: row["n"] for row in tx.all(
        "SELECT state, count(*) AS n FROM delivery WHERE state IN ('pending', 'sending', 'held') GROUP BY state")}
