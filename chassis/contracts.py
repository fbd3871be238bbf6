"""What every service's contract (its marshmallow schemas) shares."""
import functools

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, missing, validates_schema
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA


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


# -- loading what is plainly valid, faster ----------------------------------------------------

class NotPlain(Exception):
    """The payload is not one :func:`plain_loader` can load: :func:`load` asks the schema."""


def load(schema_cls, data):
    """``schema_instance(schema_cls).load(data)``, read by the schema's :func:`plain_loader` when the
    payload is one it can load (the same result, several times faster), else by the schema itself,
    whose errors say what is wrong: a hot path (a province's events, by the thousand) pays for
    marshmallow's bookkeeping only for what fails."""
    plain = plain_loader(schema_cls)
    if plain is not None:
        try:
            return plain(data)
        except Exception:  # not plain, or invalid: the schema decides, and says why
            pass
    return schema_instance(schema_cls).load(data)


@functools.lru_cache(maxsize=None)
def plain_loader(schema_cls):
    """A function that loads a payload as ``schema_instance(schema_cls).load`` does, or raises (then
    the schema must load it): each field loaded by the field itself, with its own validators, then
    the schema's ``@validates`` methods, without the schema's error collection. None for a schema
    with processing hooks or schema validators, or with unknown fields included."""
    return _plain(schema_instance(schema_cls))


def _plain(schema):
    hooks = schema._hooks
    if schema.many or hooks[PRE_LOAD] or hooks[POST_LOAD] or hooks[VALIDATES_SCHEMA] or schema.unknown == INCLUDE:
        return None
    steps = []
    for attr, field in schema.load_fields.items():
        target = field.attribute or attr
        if "." in target:
            return None
        steps.append((field.data_key if field.data_key is not None else attr, target, field.load_default is missing,
                      _FieldLoader(field)))
    known = frozenset(key for key, *_ in steps)
    strict = schema.unknown == RAISE
    checks = []
    for method, _, options in hooks[VALIDATES]:
        for name in options["field_names"]:
            field = schema.fields.get(name)
            if field is None:  # declared, but left out of this schema
                continue
            checks.append((field.attribute or name, field.data_key if field.data_key is not None else name,
                           getattr(schema, method)))

    def load_plain(data):
        if type(data) is not dict or (strict and not known.issuperset(data)):
            raise NotPlain
        loaded = {}
        for key, target, no_default, load_field in steps:
            value = data.get(key, missing)
            if value is missing and no_default:
                if load_field.required:
                    raise NotPlain
                continue
            loaded[target] = load_field(value, key, data)
        for target, key, check in checks:
            if target in loaded:
                check(loaded[target], data_key=key)
        return loaded

    return load_plain


class _FieldLoader:
    """One field's load: ``field.deserialize``, but a nested schema (or a list of them) read by its
    own plain loader."""

    def __init__(self, field):
        self.field, self.required = field, field.required
        self.nested = self.item = None
        if isinstance(field, fields.Nested) and not field.many and field.unknown is None:
            self.nested = _plain(field.schema)
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested) \
                and not field.inner.many and field.inner.unknown is None:
            self.item = _plain(field.inner.schema)

    def __call__(self, value, key, data):
        if self.nested is not None and type(value) is dict:
            loaded = self.nested(value)
        elif self.item is not None and type(value) is list and None not in value:
            loaded = [self.item(each) for each in value]
        else:
            return self.field.deserialize(value, key, data)
        self.field._validate(loaded)
        return loaded


