"""Liveness, readiness and ``/metrics`` for operators and Prometheus.

Every process serves them on its own ops port (``OPS_PORT``), never on a public
port; the gateway also answers ``/health/*`` on its API port, for load
balancers. Ready means the broker and (where the process
has one) the database answer now.
"""
import json

import eventlet
from eventlet import wsgi
from kombu import Connection

from chassis import db, metrics


def broker_reachable(amqp_uri, timeout=2):
    try:
        with eventlet.Timeout(timeout + 1):
            with Connection(amqp_uri, connect_timeout=timeout) as conn:
                conn.ensure_connection(max_retries=1)
        return True
    except (Exception, eventlet.Timeout):
        return False


def readiness(config):
    """``(ready, checks)``: each dependency of the process and whether it answers."""
    checks = {"broker": broker_reachable(config["AMQP_URI"])}
    if config.get("DATABASE_URL") and config.get("DB_SCHEMA"):
        checks["database"] = db.ping(config["DATABASE_URL"])
    return all(checks.values()), checks


def respond(path, config):
    """``(status, content_type, body)`` for an ops path, or ``None`` if it is not one."""
    if path == "/metrics":
        body, content_type = metrics.exposition()
        return 200, content_type, body
    if path == "/health/live":
        return 200, "application/json", json.dumps({"status": "alive"}).encode()
    if path == "/health/ready":
        ready, checks = readiness(config)
        missing = [name for name, ok in checks.items() if not ok]
        body = {"status": "ready" if ready else "not_ready", "checks": checks, "missing": missing}
        return (200 if ready else 503), "application/json", json.dumps(body).encode()
    return None


def wsgi_app(config):
    def app(environ, start_response):
        answer = respond(environ.get("PATH_INFO", ""), config)
        if answer is None:
            answer = 404, "application/json", b'{"error": {"code": "not_found", "message": "no such ops path", "details": {}}}'
        status, content_type, body = answer
        reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [("Content-Type", content_type),
                                               ("Content-Length", str(len(body)))])
        return [body]
    return app


def serve(config, host, port):
    """Start the ops HTTP server in a greenthread; return it."""
    sock = eventlet.listen((host, int(port)))
    return eventlet.spawn(wsgi.server, sock, wsgi_app(config), log_output=False)
