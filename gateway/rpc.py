"""RPC from the gateway to the services, bounded in time.

A service that does not answer within ``RPC_TIMEOUT`` seconds (or is not
running) makes the request fail with 503 instead of hanging.
"""
import eventlet
from nameko.rpc import RpcProxy

from gateway.api import ServiceUnavailable


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
                return method(*args, **kwargs)

        return call


class ServiceProxy(RpcProxy):
    """``self.enterprises.get(uscc)`` with the gateway's RPC timeout."""

    def get_dependency(self, worker_ctx):
        proxy = super().get_dependency(worker_ctx)
        timeout = float(self.container.config.get("RPC_TIMEOUT", 5))
        return TimedService(proxy, self.target_service, timeout)


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
