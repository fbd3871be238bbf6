"""PostgreSQL access for a service: a cooperative connection pool, one
connection per worker, and ``transaction()``.

A connection the server closed (PostgreSQL restarted) is dropped when it is taken
from the pool, and a connection failure drops every idle one, so that after a
restart the service opens fresh connections instead of failing on stale ones.

Each service owns one schema; its connections set ``search_path`` to it, so
its SQL names its own tables unqualified and cannot see anyone else's by
accident.
"""
import contextlib
import functools
import hashlib
import re

import eventlet
import psycopg2
import psycopg2.errors
import psycopg2.extras
from eventlet.queue import LightQueue, Empty
from nameko.extensions import DependencyProvider, SharedExtension
from prometheus_client import Counter
from psycogreen.eventlet import patch_psycopg

patch_psycopg()
psycopg2.extras.register_uuid()

DB_STATEMENTS = Counter(
    "onenet_db_statements_total", "SQL statements the process sent to PostgreSQL in its transactions.")


class CountedCursor(psycopg2.extensions.cursor):
    """The cursor of every :class:`Transaction`: rows as dicts, each statement counted
    (``onenet_db_statements_total``: statements per request, beside the RPC calls).

    A row becomes a dict in one call, ``dict(zip(names, row))``, where psycopg2's RealDictCursor
    sets each column through a method of its own: a page of 50 requests (33 columns) took
    1.6-1.8 ms to fetch that way, 0.3-0.6 ms this way.

    On a pooled connection (autocommit: the pool's transactions are begun by :class:`Transaction`
    itself) the transaction's ``BEGIN`` goes out with its first statement, in the same query
    string, instead of as a round trip to the server of its own as psycopg2 sends it."""

    opening = False   # whether the next statement begins the transaction

    def execute(self, query, vars=None):
        DB_STATEMENTS.inc()
        if self.opening:
            self.opening = False
            if isinstance(query, str):
                query = "BEGIN; " + query
            elif isinstance(query, bytes):
                query = b"BEGIN; " + query
            else:   # a composed query (psycopg2.sql): its own round trip
                super().execute("BEGIN")
        return super().execute(query, vars)

    def begin(self):
        """Send the pending ``BEGIN`` now, alone (a statement that cannot carry it: COPY)."""
        if self.opening:
            self.opening = False
            super().execute("BEGIN")

    def _names(self):
        return [column.name for column in self.description]

    def _dicts(self, rows):
        names = self._names() if rows else ()
        return [dict(zip(names, row)) for row in rows]

    def fetchone(self):
        row = super().fetchone()
        return None if row is None else dict(zip(self._names(), row))

    def fetchmany(self, size=None):
        return self._dicts(super().fetchmany(self.arraysize if size is None else size))

    def fetchall(self):
        return self._dicts(super().fetchall())

    def __next__(self):
        return dict(zip(self._names(), super().__next__()))


class Prepared:
    """A hot statement that PostgreSQL parses and plans once per connection (``PREPARE``) and then
    only runs (``EXECUTE``): give it to a :class:`Transaction` in place of its SQL text.

    Its parameters are named (``%(name)s``) or positional (``%s``), as psycopg2's; they travel as
    the ``EXECUTE``'s arguments, typed as the statement's context types them (write a cast, as
    ``%(ids)s::uuid[]``, where the context does not say). Parsing and planning are a large part of
    what PostgreSQL spends on a short statement: a request's routing query took 0.2 ms to plan and
    0.14 ms to run. Keep it to statements of fixed text (see :func:`prepared` for text built from a
    few variants): each one stays in every connection's memory for the connection's life.

    A pool opened with ``prepare=False`` (``DB_PREPARED_STATEMENTS: off``: behind PgBouncer in
    transaction mode, where a session's prepared statements do not follow its transactions) and a
    connection of its own run the statement's text as it is."""

    _PARAMETER = re.compile(r"%(?:\((\w+)\))?s((?:::\w+(?:\[\])?)?)")

    def __init__(self, sql):
        self.sql = sql
        self.name = "onenet_" + hashlib.sha1(sql.encode("utf-8")).hexdigest()[:20]
        numbers, arguments, named = {}, [], set()

        def parameter(match):
            name, cast = match.group(1), match.group(2)
            named.add(name is not None)
            key = name if name is not None else len(arguments)
            if key not in numbers:
                numbers[key] = len(arguments) + 1
                # The argument carries the cast too: EXECUTE converts its arguments only as an
                # assignment would, and psycopg2 writes a list as ARRAY[...] of text.
                arguments.append(("%s" if name is None else f"%({name})s") + cast)
            return f"${numbers[key]}{cast}"

        body = self._PARAMETER.sub(parameter, sql.replace("%%", "\0"))
        if len(named) > 1 or "%" in body:
            raise ValueError(f"a prepared statement takes either %(name)s or %s parameters: {sql}")
        self.prepare = f"PREPARE {self.name} AS {body.replace(chr(0), '%')}"
        self.run = f"EXECUTE {self.name}" + (f" ({', '.join(arguments)})" if arguments else "")


@functools.lru_cache(maxsize=256)
def prepared(sql):
    """The :class:`Prepared` statement of ``sql``, one object per text: for statements built from a
    few variants (the columns a row has)."""
    return Prepared(sql)


class PreparingConnection(psycopg2.extensions.connection):
    """A pooled connection, which remembers the :class:`Prepared` statements it has prepared.

    A migration that changes a table while the service runs changes the rows of a statement
    prepared before it (``SELECT *``, ``RETURNING *``), which PostgreSQL then refuses to run
    ("cached plan must not change result type"): the transaction that meets it fails, and the
    connection drops its statements (``DEALLOCATE ALL``) before it prepares the next one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared = set()
        self.stale = False

    def prepare(self, cursor, statement):
        if self.stale:
            cursor.execute("DEALLOCATE ALL")
            self.stale = False
        cursor.execute(statement.prepare)
        self.prepared.add(statement.name)

    def forget_prepared(self):
        self.prepared.clear()
        self.stale = True


class PoolExhausted(RuntimeError):
    """No connection became free in time."""


class ConnectionPool:
    """A bounded pool of connections to one schema, safe across greenthreads.

    Kept instead of psycopg2's own ``pool.ThreadedConnectionPool`` because a
    worker finding every connection busy waits here (up to ``checkout_timeout``)
    where psycopg2's pool raises at once: 20 greenthreads sharing 4 connections,
    5 transactions each, lost 80 of 100 checkouts with psycopg2's pool and none
    with this one (measured on the development machine). It also drops a
    connection that broke or was left inside a transaction instead of lending it
    again. psycopg_pool, which waits, is for psycopg 3, not the psycopg2 that
    psycogreen makes cooperative.
    """

    def __init__(self, dsn, schema, size=10, checkout_timeout=10.0, prepare=True):
        self.dsn, self.schema, self.size, self.prepare = dsn, schema, size, prepare
        self.checkout_timeout = checkout_timeout
        self._idle = LightQueue()
        self._opened = 0

    def connect(self):
        # A prepared statement is planned once, for any parameters (force_generic_plan): left to
        # choose, PostgreSQL planned the routing query anew on every run.
        options = f"-c search_path={self.schema},public" + (" -c plan_cache_mode=force_generic_plan"
                                                             if self.prepare else "")
        conn = psycopg2.connect(
            self.dsn, options=options, connect_timeout=5, application_name=f"onenet-{self.schema}",
            connection_factory=PreparingConnection if self.prepare else psycopg2.extensions.connection)
        # Transactions are begun by Transaction, with their first statement (see CountedCursor).
        conn.autocommit = True
        return conn

    def get(self):
        while True:
            try:
                conn = self._idle.get_nowait()
            except Empty:
                break
            if self._alive(conn):
                return conn
            self.discard(conn)
        if self._opened < self.size:
            self._opened += 1
            try:
                return self.connect()
            except Exception:
                self._opened -= 1
                raise
        try:
            conn = self._idle.get(timeout=self.checkout_timeout)
        except Empty:
            raise PoolExhausted(f"no free connection to schema {self.schema} "
                                f"within {self.checkout_timeout}s") from None
        if self._alive(conn):
            return conn
        self.discard(conn)
        return self.get()

    @staticmethod
    def _alive(conn):
        """False for a connection the server has closed (a restart, an administrator): ``poll()``
        reads what the server sent meanwhile without waiting, and raises on a closed socket."""
        if conn.closed:
            return False
        try:
            conn.poll()
        except psycopg2.Error:
            return False
        return not conn.closed

    def discard_idle(self):
        """Close every idle connection (after one failed: the server may have restarted)."""
        while True:
            try:
                self.discard(self._idle.get_nowait())
            except Empty:
                break

    def put(self, conn):
        if conn.closed or conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            self.discard(conn)
            return
        self._idle.put(conn)

    def discard(self, conn):
        self._opened -= 1
        with contextlib.suppress(Exception):
            conn.close()

    @contextlib.contextmanager
    def connection(self):
        conn = self.get()
        try:
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            self.discard(conn)
            self.discard_idle()
            raise
        except BaseException:
            with contextlib.suppress(Exception):
                conn.rollback()
            self.put(conn)
            raise
        else:
            self.put(conn)

    def close(self):
        while True:
            try:
                self._idle.get_nowait().close()
            except Empty:
                break
        self._opened = 0


class Transaction:
    """One database transaction: a cursor plus hooks that run after commit."""

    def __init__(self, conn):
        self.conn = conn
        self.cursor = conn.cursor(cursor_factory=CountedCursor)
        self.cursor.opening = self._explicit = conn.autocommit
        self._alone = False   # the transaction was one statement, which committed (or failed) by itself
        self._after_commit = []

    def commit(self):
        if not self._explicit:
            self.conn.commit()
        elif not self.cursor.opening and not self._alone:   # something was sent: a transaction is open
            psycopg2.extensions.cursor.execute(self.cursor, "COMMIT")

    def rollback(self):
        if not self._explicit:
            self.conn.rollback()
        elif not self.cursor.opening and not self._alone and not self.conn.closed:
            psycopg2.extensions.cursor.execute(self.cursor, "ROLLBACK")

    def execute(self, sql, params=None, last=False):
        """Run ``sql`` (text or :class:`Prepared`) with ``params``; the cursor holds its rows.

        ``last``: the statement ends the transaction's work. One that is also its first (nothing
        sent yet, on a pooled connection) goes alone, without ``BEGIN``: PostgreSQL runs it as a
        transaction of its own, which commits or fails whole (a data-modifying CTE too, outbox rows
        with the change they announce), so the transaction takes one round trip instead of two
        (``BEGIN; statement``, then ``COMMIT``). What the block does after it cannot undo it; a
        statement after it is refused. Otherwise ``last`` changes nothing."""
        if self._alone:
            raise RuntimeError("the transaction committed with its last statement")
        if isinstance(sql, Prepared):
            if not isinstance(self.conn, PreparingConnection):   # a connection of its own: the text
                sql = sql.sql
            else:
                if sql.name not in self.conn.prepared:
                    self.conn.prepare(self.cursor, sql)
                self._ending(last)
                try:
                    self.cursor.execute(sql.run, params)
                except psycopg2.errors.FeatureNotSupported:   # a table changed under it
                    self.conn.forget_prepared()
                    raise
                return self.cursor
        self._ending(last)
        self.cursor.execute(sql, params)
        return self.cursor

    def _ending(self, last):
        if last and self.cursor.opening:
            self.cursor.opening = False
            self._alone = True

    def one(self, sql, params=None, last=False):
        return self.execute(sql, params, last).fetchone()

    def all(self, sql, params=None, last=False):
        return self.execute(sql, params, last).fetchall()

    def page(self, select, source, params, order, limit, offset):
        """``(rows, total)``: one page of ``SELECT {select} FROM {source}`` (``source`` may
        carry its WHERE), ordered by ``order``; ``params`` are named (``%(name)s``).

        The total comes with the rows (a window count); only a page past the end
        costs a second, counting query.
        """
        rows = self.all(
            f"SELECT {select}, count(*) OVER () AS page_total_rows FROM {source} "
            f"ORDER BY {order} LIMIT %(page_limit)s OFFSET %(page_offset)s",
            {**params, "page_limit": limit, "page_offset": offset})
        if rows:
            total = rows[0]["page_total_rows"]
        elif offset:
            total = self.one(f"SELECT count(*) AS n FROM {source}", params)["n"]
        else:
            total = 0
        for row in rows:
            del row["page_total_rows"]
        return rows, total

    def copy_in(self, sql, source):
        """Run ``COPY … FROM STDIN`` (``sql``) reading ``source``, a file-like object (bulk paths).

        psycopg2 refuses COPY while the green wait callback is installed, so it
        is lifted for this one statement: the COPY blocks the process's other
        greenthreads while it runs (keep a batch to a few seconds).
        """
        self.cursor.begin()
        callback = psycopg2.extensions.get_wait_callback()
        psycopg2.extensions.set_wait_callback(None)
        try:
            self.cursor.copy_expert(sql, source)
        finally:
            psycopg2.extensions.set_wait_callback(callback)

    def after_commit(self, callback):
        self._after_commit.append(callback)

    @contextlib.contextmanager
    def savepoint(self):
        """A block inside this transaction that is undone alone when it raises."""
        self.execute("SAVEPOINT nested")
        try:
            yield self
        except BaseException:
            with contextlib.suppress(psycopg2.Error):
                self.execute("ROLLBACK TO SAVEPOINT nested")
            raise
        self.execute("RELEASE SAVEPOINT nested")


@contextlib.contextmanager
def transaction(conn):
    """Run a block in one transaction on ``conn``: commit on success, else roll back."""
    tx = Transaction(conn)
    try:
        yield tx
        tx.commit()
    except BaseException:
        with contextlib.suppress(Exception):
            tx.rollback()
        raise
    finally:
        tx.cursor.close()
    for callback in tx._after_commit:
        callback()


class SchemaPool(SharedExtension):
    """The container-wide pool for the service's schema (shared by its dependencies)."""

    def setup(self):
        config = self.container.config
        size = int(config.get("DB_POOL_SIZE", config.get("max_workers", 10) + 2))
        prepare = str(config.get("DB_PREPARED_STATEMENTS", "on")).strip().lower() not in ("off", "false", "no", "0")
        self.pool = ConnectionPool(config["DATABASE_URL"], config["DB_SCHEMA"], size=size, prepare=prepare)

    def stop(self):
        self.pool.close()

    kill = stop


class WorkerSession:
    """What a worker sees as ``self.db``: one pooled connection, held for the worker's life.

    A transaction opened inside another one (an entrypoint answered under an idempotency key
    runs whole in one, see :mod:`chassis.idempotency`) is a savepoint of the outer one, and
    its after-commit hooks wait for the outer commit."""

    def __init__(self, pool, context_data=None):
        self._pool = pool
        self._conn = None
        self._tx = None
        self.context_data = context_data if context_data is not None else {}

    @property
    def conn(self):
        if self._conn is None:
            self._conn = self._pool.get()
        return self._conn

    @contextlib.contextmanager
    def transaction(self):
        if self._tx is not None:
            with self._tx.savepoint() as tx:
                yield tx
            return
        try:
            with transaction(self.conn) as tx:
                self._tx = tx
                try:
                    yield tx
                finally:
                    self._tx = None
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if self._conn is not None:
                self._pool.discard(self._conn)
                self._pool.discard_idle()
            self._conn = None
            raise

    def release(self):
        if self._conn is not None:
            self._pool.put(self._conn)
            self._conn = None


class Database(DependencyProvider):
    """``self.db`` on a service: ``with self.db.transaction() as tx: tx.execute(...)``."""

    schema_pool = SchemaPool()

    def __init__(self):
        self.sessions = {}

    def get_dependency(self, worker_ctx):
        session = WorkerSession(self.schema_pool.pool, worker_ctx.data)
        self.sessions[worker_ctx] = session
        return session

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.release()


def ping(dsn, timeout=2):
    """True when PostgreSQL at ``dsn`` answers a query within ``timeout`` seconds."""
    try:
        with eventlet.Timeout(timeout + 1):
            conn = psycopg2.connect(dsn, connect_timeout=timeout)
            try:
                conn.cursor().execute("SELECT 1")
            finally:
                conn.close()
        return True
    except (Exception, eventlet.Timeout):
        return False
