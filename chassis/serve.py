"""Run one OneNet process: ``python -m chassis.serve services/<name>/config.yml``.

Loads the process's config (with environment substitution), sets up JSON logs,
starts the nameko service named by ``SERVICE`` and, when ``OPS_PORT`` is set,
the ops server; stops gracefully on SIGTERM or SIGINT.

Once started, the process freezes its heap for the garbage collector (``gc.freeze``): the
objects of start-up (modules, schemas, the service's dependencies, some 80 000-100 000 of
them) are never garbage, and a full collection walking them took 30-70 ms of CPU, a pause
every request in flight waited out.
"""
import chassis  # noqa: F401  (first: its warning filters precede eventlet's import)
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402  (must precede every other import)

import gc  # noqa: E402
import importlib  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

import structlog  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

from chassis import config as process_config, logs, ops, serialization  # noqa: E402

serialization.use()


def service_class(dotted):
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def freeze_heap():
    """Collect start-up's garbage, then move what is left out of the collector's sight: later
    full collections walk only what the process made since."""
    gc.collect()
    gc.freeze()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m chassis.serve <path to config.yml>", file=sys.stderr)
        return 2
    config = process_config.load(argv[0], own_accounts=True)
    cls = service_class(config["SERVICE"])
    logs.configure(cls.name, config.get("LOG_LEVEL", "INFO"))
    log = structlog.get_logger("chassis.serve")

    runner = ServiceRunner(config)
    runner.add_service(cls)
    stopping = eventlet.event.Event()

    def request_stop(signum, frame):
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    runner.start()
    if config.get("OPS_PORT"):
        ops.serve(config, config.get("OPS_HOST", "127.0.0.1"), config["OPS_PORT"])
    freeze_heap()
    log.info("process_started", service=cls.name, ops_port=config.get("OPS_PORT"))

    waiter = eventlet.spawn(runner.wait)
    while not stopping.ready() and not waiter.dead:
        eventlet.sleep(0.2)
    if waiter.dead:
        try:
            waiter.wait()
        except Exception:
            log.exception("process_crashed", service=cls.name)
            return 1
        return 0
    log.info("process_stopping", service=cls.name)
    with eventlet.Timeout(20, False):
        runner.stop()
        return 0
    runner.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
