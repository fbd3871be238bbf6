"""The domain errors services raise over RPC, rebuilt as the same types at the caller.

Each carries a machine ``code``, a ``message`` a front-end developer can act on,
and ``details`` (for example the offending field). nameko serialises an
exception's args; registering the classes makes the gateway receive real
instances, which it maps to one HTTP status each.
"""
from marshmallow import ValidationError, fields
from nameko.exceptions import deserialize_to_instance

from chassis.contracts import load, schema_instance

# A date or time that cannot be read says which form it must take.
fields.Date.default_error_messages = {**fields.Date.default_error_messages,
                                      "invalid": "Not a valid date: expected YYYY-MM-DD, e.g. 2026-03-31."}
fields.DateTime.default_error_messages = {
    **fields.DateTime.default_error_messages,
    "invalid": "Not a valid date and time: expected ISO 8601, e.g. 2026-03-31T10:00:00+08:00."}
fields.Time.default_error_messages = {**fields.Time.default_error_messages,
                                      "invalid": "Not a valid time: expected HH:MM or HH:MM:SS."}


class DomainError(Exception):
    code = "error"

    def __init__(self, message, details=None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self):
        return self.message


@deserialize_to_instance
class ValidationFailed(DomainError):
    """Input that breaks a rule; ``details`` maps each field to its problems."""
    code = "validation_failed"


@deserialize_to_instance
class NotFound(DomainError):
    code = "not_found"


@deserialize_to_instance
class Conflict(DomainError):
    """The change clashes with what is stored (a duplicate, an illegal transition)."""
    code = "conflict"


@deserialize_to_instance
class Forbidden(DomainError):
    """The caller's scope does not cover the object."""
    code = "forbidden"


def loaded(schema_cls, data, what):
    """``data`` loaded by ``schema_cls``, or ``ValidationFailed`` naming each bad field (the answer
    a service gives for input that breaks its contract). Read by the schema's plain loader where
    it has one (:func:`chassis.contracts.load`: an enterprise's registration in a third of the time)."""
    try:
        return load(schema_cls, data or {})
    except ValidationError as exc:
        raise ValidationFailed(f"the {what} is invalid", exc.messages) from None


def found(row, kind, key, field="id"):
    """``row``, or when it is None the ``NotFound`` of a missing ``kind``: ``no <kind> with id <key>``."""
    if row is None:
        raise NotFound(f"no {kind} with id {key}", {field: key})
    return row


@deserialize_to_instance
class IdempotencyKeyReused(ValidationFailed):
    """An idempotency key sent again with another request than the one it first came with."""
    code = "idempotency_key_reused"


def each(items, function):
    """``function(item)`` for every item, in order: the answers. A refused item (a ``DomainError``)
    stops the batch with the same error naming its position, ``details`` as ``{"items": {position:
    the item's details}}``, so the caller's transaction takes none of the batch."""
    answers = []
    for position, item in enumerate(items):
        try:
            answers.append(function(item))
        except DomainError as exc:
            raise type(exc)(f"item {position}: {exc.message}", {"items": {str(position): exc.details}}) from None
    return answers


def outcome(function, *args):
    """``function(*args)`` as one answer of a batch that goes on past a refusal: ``{"answer": ...}``, or
    ``{"error": {"code", "message", "details"}}`` for a ``DomainError``."""
    try:
        return {"answer": function(*args)}
    except DomainError as exc:
        return {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
