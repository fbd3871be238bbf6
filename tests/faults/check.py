"""What the fault tests compare: the stored rows of the private network against what its
clients were told, once every outbox has drained and every queue is empty."""
import collections
import time

import psycopg2
import psycopg2.extras


class Database:
    def __init__(self, url):
        self.url = url

    def rows(self, schema, query, params=None):
        conn = psycopg2.connect(self.url, options=f"-c search_path={schema},public", connect_timeout=5)
        try:
            with conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                cur.execute(query, params)
                return cur.fetchall()
        finally:
            conn.close()

    def counts(self, schema, query, params=None):
        """``{key: n}`` from a query selecting ``key, n``."""
        return {row["key"]: row["n"] for row in self.rows(schema, query, params)}


def parked_or_theirs(queue):
    """Queues the drain does not wait for: dead letters and delays (counted apart), what waits on a
    province's outbound queue (the province's to read), and replies to a caller that was killed
    before they came (its reply queue expires; the caller retried)."""
    return (queue.endswith((".dead-letter", ".outbound")) or ".retry." in queue
            or queue.startswith("rpc.reply-"))


def wait_drained(db, net, timeout=180):
    """Until every outbox has nothing unsent and no consumer queue holds a message."""
    deadline = time.monotonic() + timeout
    schemas = ("agencies", "enterprises", "requests", "notifications", "activities")
    while True:
        unsent = {schema: db.rows(schema, "SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL")[0]["n"]
                  for schema in schemas}
        queues = {name: n for name, n in queue_depths(net).items() if n and not parked_or_theirs(name)}
        if not any(unsent.values()) and not queues:
            return unsent, queues
        if time.monotonic() > deadline:
            return unsent, queues
        time.sleep(1)


def queue_depths(net):
    listed = net.rabbit.ctl("list_queues", "-p", net.name, "--no-table-headers", "name", "messages").stdout
    return {name: int(n) for name, n in (line.split() for line in listed.splitlines() if line.strip())}


def compare(acknowledged, stored):
    """``(lost, duplicated, unexpected)``: ``acknowledged`` keys against ``stored`` ``{key: times}``."""
    lost = sum(1 for key in acknowledged if stored.get(key, 0) == 0)
    duplicated = sum(1 for key, n in stored.items() if n > 1)
    unexpected = sum(1 for key in stored if key not in acknowledged)
    return lost, duplicated, unexpected


def answer_class(status):
    """``2xx``, ``500``, ``503``, ``other`` for an HTTP status; any other outcome (``no answer``,
    a provincial batch's ``confirmed`` or ``failed``) as it is."""
    if isinstance(status, str):
        return status
    if 200 <= status < 300:
        return "2xx"
    return str(status) if status in (500, 503) else "other"


def met(timeline, start, end):
    """How the attempts of ``timeline`` (``(kind, sent at, answered at, outcome)``) that were in
    flight at some moment from ``start`` to ``end`` came out: ``{answer class: n}``."""
    return collections.Counter(answer_class(outcome) for _, sent_at, answered_at, outcome in timeline
                               if sent_at <= end and answered_at >= start)
