"""One Lua script run in Redis, for the rate limit: one command a request, at a small cost.

redis-py's client spends more CPU on a command than the round trip itself costs: it
takes a connection from a locked pool, checks its health and records observability
attributes around every command. The rate limit sends the same command on every
request, ``EVALSHA <sha> <keys> <args>``, so :class:`ScriptRunner` keeps redis-py
connections of its own, one per request in flight, and speaks through each one's
``send_command``/``read_response`` (the library still packs, parses, authenticates,
selects the database and wraps TLS or a Unix socket, as the URL says).

The script is run by its SHA1; when Redis does not hold it (a restart, ``SCRIPT FLUSH``)
it is sent whole once with ``EVAL``, which also caches it. Every failure (no connection,
a timeout, a refused password, an error reply) is a :class:`ScriptFailed`, and the
connection it came on is closed.
"""
import hashlib

import redis
from redis.exceptions import NoScriptError, RedisError


class ScriptFailed(Exception):
    """Redis could not be reached, did not answer in time or answered with an error."""


class ScriptRunner:
    """Runs ``script`` in the Redis at ``url`` (any URL redis-py reads: redis://, rediss://, unix://)."""

    def __init__(self, url, script, timeout, password=None):
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if password:
            options["password"] = password
        self.pool = redis.ConnectionPool.from_url(url, **options)
        self.script = script
        self.sha = hashlib.sha1(script.encode()).hexdigest()
        self._idle = []

    def __call__(self, keys, args):
        """The script's reply for ``keys`` and ``args``."""
        connection = self._idle.pop() if self._idle else self.pool.make_connection()
        try:
            try:
                reply = self._ask(connection, "EVALSHA", self.sha, keys, args)
            except NoScriptError:
                reply = self._ask(connection, "EVAL", self.script, keys, args)
        except (RedisError, OSError, ValueError) as exc:
            connection.disconnect()
            raise ScriptFailed(f"{type(exc).__name__}: {exc}") from exc
        self._idle.append(connection)
        return reply

    @staticmethod
    def _ask(connection, verb, script, keys, args):
        connection.send_command(verb, script, len(keys), *keys, *args)
        return connection.read_response()

    def close(self):
        while self._idle:
            self._idle.pop().disconnect()
