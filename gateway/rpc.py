"""RPC from the gateway to the services, bounded in time.

A service that does not answer within ``RPC_TIMEOUT`` seconds (or is not
running), or a call the broker cannot carry (it is restarting: the publish is
refused, unconfirmed or cut off), makes the request fail with 503 instead of
hanging or answering 500. What the service itself answered, an error included,
passes through as it came.
"""
import eventlet
import structlog
from nameko.exceptions import BadRequest, RemoteError

from chassis.errors import DomainError
from chassis.rpc import RpcProxy
from gateway.api import ApiError, ServiceUnavailable

log = structlog.get_logger(__name__)
# What a service answered: its domain error, any other failure of its own (a RemoteError), or
# nameko's refusal of the call itself (no such method, wrong arguments: a BadRequest).
ANSWERS = (DomainError, RemoteError, BadRequest, ApiError)


class TimedService:
    def __init__(self, proxy, service_name, timeout):
        self._proxy, self._service_name, self._timeout = proxy, service_name, timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)
        service_name, timeout = self._service_name, self._timeout

        def call(*args, **kwargs):
            unavailable = ServiceUnavailable(
                f"the {service_name} service did not answer within {timeout:g}s",
                {"service": service_name})
            with eventlet.Timeout(timeout, unavailable):
                try:
                    return method(*args, **kwargs)
                except ANSWERS:
                    raise
                except Exception as exc:  # the call or its reply never crossed the broker
                    log.error("rpc_not_carried", service=service_name, method=method_name,
                              error=f"{type(exc).__name__}: {exc}")
                    raise ServiceUnavailable(f"the {service_name} service cannot be reached; try again shortly",
                                             {"service": service_name}) from exc

        return call


class ServiceProxy(RpcProxy):
    """``self.enterprises.get(uscc)`` with the gateway's RPC timeout."""

    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", 5))

    def get_dependency(self, worker_ctx):
        return TimedService(super().get_dependency(worker_ctx), self.target_service, self.timeout)


def in_parallel(**calls):
    """Run the given calls at once; ``{name: result}``, an exception standing in for a failed result."""
    threads = {name: eventlet.spawn(call) for name, call in calls.items()}
    results = {}
    for name, thread in threads.items():
        try:
            results[name] = thread.wait()
        except Exception as exc:  # each caller decides which failures it can live with
            results[name] = exc
    return results


def result(value):
    """A result of :func:`in_parallel`, raising the exception a failed call left."""
    if isinstance(value, Exception):
        raise value
    return value
