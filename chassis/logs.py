"""structlog JSON logs with the correlation id of the work in hand.

Every log line a process writes is one JSON object on stdout carrying
``process`` and, inside an RPC, event or HTTP worker, ``correlation_id``.
"""
import logging
import sys
import uuid

import structlog
from nameko.extensions import DependencyProvider

CORRELATION_KEY = "correlation_id"


def configure(process, level="INFO"):
    """Route stdlib and structlog logging to JSON lines on stdout."""
    def add_process(logger, method_name, event_dict):
        event_dict.setdefault("process", process)
        return event_dict

    shared = [
        structlog.contextvars.merge_contextvars,
        add_process,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=shared + [structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(quiet_expected_errors)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("kombu", "amqp", "nameko", "eventlet.wsgi"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def quiet_expected_errors(record):
    """nameko logs an expected error (a domain answer such as NotFound) as a warning with
    its traceback; keep it as one info line."""
    if record.name == "nameko.containers" and str(record.msg).startswith("(expected)"):
        record.levelno, record.levelname, record.exc_info = logging.INFO, "INFO", None
    return True


def new_correlation_id():
    return str(uuid.uuid4())


class CorrelationId(DependencyProvider):
    """Carries one correlation id through every RPC and event hop.

    nameko propagates ``worker_ctx.data`` as ``nameko.*`` message headers on
    every RPC call and event it sends; this dependency makes sure the key is
    set (from the incoming call, or new) and bound to every log line the worker
    writes. The entrypoint methods read it as ``self.correlation_id``.
    """

    def worker_setup(self, worker_ctx):
        cid = worker_ctx.data.get(CORRELATION_KEY) or new_correlation_id()
        worker_ctx.data[CORRELATION_KEY] = cid
        structlog.contextvars.bind_contextvars(correlation_id=cid)

    def worker_teardown(self, worker_ctx):
        structlog.contextvars.unbind_contextvars(CORRELATION_KEY)

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(CORRELATION_KEY)
