"""What every service's contract (its marshmallow schemas) shares."""
from marshmallow import Schema, ValidationError, validates_schema


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
