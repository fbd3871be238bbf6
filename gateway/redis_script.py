"""One Lua script run in Redis, for the rate limit: one command a request, at a small cost.

A general client (redis-py) spends more CPU on a command than the round trip itself
costs: it packs the arguments, takes a connection from a locked pool, records
observability attributes and parses RESP3 a line at a time. The rate limit sends the
same command on every request, ``EVALSHA <sha> 2 <key> <key> <args>``, and reads back
one flat array of integers and bulk strings; :class:`ScriptRunner` does just that over
connections of its own (RESP2), kept open between requests, one per request in flight.

The script is run by its SHA1; when Redis does not hold it (a restart, ``SCRIPT FLUSH``)
it is sent whole once with ``EVAL``, which also caches it. Every failure (no connection,
a timeout, an error reply) is a :class:`ScriptFailed`, and the connection it came on is
closed.
"""
import hashlib
import socket
import ssl

from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url


class ScriptFailed(Exception):
    """Redis could not be reached, did not answer in time or answered with an error."""


def command(*args):
    """A RESP command of ``args`` (bytes, str or int)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        value = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(parts)


def read_reply(stream):
    """One RESP2 reply from a buffered binary ``stream``: int, bytes, None, str (a status) or a
    list; an error reply raises :class:`ScriptFailed` with its text."""
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ScriptFailed("the connection to Redis closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        value = stream.read(size + 2)
        if len(value) != size + 2:
            raise ScriptFailed("the connection to Redis closed")
        return value[:-2]
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [read_reply(stream) for _ in range(size)]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise ScriptFailed(rest.decode(errors="replace"))
    raise ScriptFailed(f"unexpected reply from Redis: {line[:40]!r}")


class Connection:
    """One open connection, authenticated and on its database."""

    def __init__(self, where, timeout):
        path = where.get("path")
        if path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(path)
        else:
            sock = socket.create_connection((where.get("host", "localhost"), where.get("port", 6379)), timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if where.get("connection_class") is SSLConnection:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=where.get("host"))
        sock.settimeout(timeout)
        self.sock, self.stream = sock, sock.makefile("rb")
        hello = []
        if where.get("password") is not None:
            hello.append(command("AUTH", *filter(None, [where.get("username"), where["password"]])))
        if where.get("db"):
            hello.append(command("SELECT", where["db"]))
        if hello:
            try:
                self.sock.sendall(b"".join(hello))
                for _ in hello:
                    read_reply(self.stream)
            except BaseException:   # a refused password, no answer: nothing of it is kept
                self.close()
                raise

    def ask(self, request):
        self.sock.sendall(request)
        return read_reply(self.stream)

    def close(self):
        for closable in (self.stream, self.sock):
            try:
                closable.close()
            except OSError:
                pass


class ScriptRunner:
    """Runs ``script`` in the Redis at ``url`` (``redis://``, ``rediss://`` or ``unix://``)."""

    def __init__(self, url, script, timeout, password=None):
        self.where = parse_url(url)
        if password:
            self.where["password"] = password
        unknown = self.where.get("connection_class") not in (None, SSLConnection, UnixDomainSocketConnection)
        if unknown:
            raise ValueError(f"unsupported Redis URL {url!r}")
        self.script, self.timeout = script, timeout
        self.sha = hashlib.sha1(script.encode()).hexdigest()
        self._idle = []

    def __call__(self, keys, args):
        """The script's reply for ``keys`` and ``args``."""
        tail = (len(keys), *keys, *args)
        try:
            connection = self._idle.pop() if self._idle else Connection(self.where, self.timeout)
        except (OSError, ValueError) as exc:
            raise ScriptFailed(f"{type(exc).__name__}: {exc}") from exc
        try:
            try:
                reply = connection.ask(command("EVALSHA", self.sha, *tail))
            except ScriptFailed as exc:
                if not str(exc).startswith("NOSCRIPT"):
                    raise
                reply = connection.ask(command("EVAL", self.script, *tail))
        except ScriptFailed:
            connection.close()
            raise
        except (OSError, ValueError) as exc:
            connection.close()
            raise ScriptFailed(f"{type(exc).__name__}: {exc}") from exc
        self._idle.append(connection)
        return reply

    def close(self):
        while self._idle:
            self._idle.pop().close()
