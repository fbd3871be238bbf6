"""``@rpc`` for OneNet services: nameko's, with the domain errors marked as expected.

A ``ValidationFailed`` or ``NotFound`` is an answer, not a fault of the service:
nameko then logs it as expected (see ``chassis.logs``, one info line without a
traceback) instead of as an error, and it still travels to the caller. A call that
carries an idempotency key is answered once per key (:mod:`chassis.idempotency`).
"""
from nameko.rpc import Rpc

from chassis.errors import DomainError
from chassis.idempotency import honours_keys


def rpc(fn=None, *, expected_exceptions=()):
    """Declare an RPC entrypoint (bare ``@rpc`` or ``@rpc(expected_exceptions=...)``)."""
    if not isinstance(expected_exceptions, tuple):
        expected_exceptions = (expected_exceptions,)
    register = Rpc.decorator(expected_exceptions=(DomainError, *expected_exceptions))

    def decorate(method):
        return register(honours_keys(method))

    return decorate(fn) if fn is not None else decorate
