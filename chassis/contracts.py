"""What every service's contract (its marshmallow schemas) shares."""
import functools

from marshmallow import Schema, ValidationError, validates_schema


@functools.lru_cache(maxsize=None)
def schema_instance(schema_cls, many=False):
    """The process's one instance of ``schema_cls`` (``many``: of lists), built on first use.

    Building a schema copies every declared field, which cost more than the load or dump
    itself on the hot paths (a request's submission, a profile read); an instance keeps no
    state between calls (options that vary, such as ``unknown``, are given to the call), so
    every worker may use the same one."""
    return schema_cls(many=many)


class Changes(Schema):
    """A change to a record: any subset of its fields, and at least one of them.

    ``not_changes`` names fields that may come with a change but are none
    themselves (such as the reason for it).
    """

    not_changes = frozenset()

    @validates_schema
    def _at_least_one_change(self, data, **kwargs):
        if not set(data) - self.not_changes:
            raise ValidationError("give at least one field to change")
