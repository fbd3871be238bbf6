"""A plain loader gives what its schema's load gives, or leaves the payload to the schema
(chassis/contracts.py): over every provincial payload schema, valid and broken payloads alike."""
import copy

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from marshmallow import Schema, ValidationError, fields, post_load, validates, validates_schema

from chassis import contracts
from services.agencies import schemas as agencies_contract
from services.enterprises import schemas as enterprises_contract
from services.requests import schemas as requests_contract

CONTRACTS = (enterprises_contract.PROVINCIAL_EVENTS + requests_contract.PROVINCIAL_EVENTS
             + agencies_contract.PROVINCIAL_EVENTS)
SCHEMAS = [schema_cls for contract in CONTRACTS for schema_cls in contract.schemas.values()]
EXAMPLES = {schema_cls: contract.example for contract in CONTRACTS for schema_cls in contract.schemas.values()}

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**64, max_value=2**64),
    st.sampled_from([0, 1, -1, 1949, 2024, 2200, 10**7, 10**9, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, 1.005, 2024.0, -0.0]),
    st.text(max_size=8), st.sampled_from(["", " ", "c34", "C34 ", "440106", "450102", "2024-02-30", "2019-03-12",
                                          "91440106MA59C5XK1G", "91440106ma59c5xk1g", "9144 0106MA59C5XK1G",
                                          "x" * 201, "1900-01-01", "2999-01-01", "limited_liability", "12.345",
                                          "1e3", "020-38001234"]),
    st.lists(st.integers(), max_size=2), st.lists(st.text(max_size=3), max_size=3), st.just({}), st.just([{}]))


def paths(value, prefix=()):
    """Every place in a payload a test may change: keys of objects and items of lists."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*prefix, index)
            yield from paths(inner, (*prefix, index))


@st.composite
def payloads(draw, example):
    """The example with a few of its values replaced, removed, repeated or joined by unknown keys."""
    payload = copy.deepcopy(example)
    places = list(paths(payload))
    for _ in range(draw(st.integers(0, 3))):
        place = draw(st.sampled_from(places))
        parent = payload
        try:
            for step in place[:-1]:
                parent = parent[step]
            last = place[-1]
            change = draw(st.sampled_from(["replace", "remove", "repeat"]))
            if change == "remove" and isinstance(parent, dict):
                parent.pop(last, None)
            elif change == "repeat" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[last]))
            else:
                parent[last] = draw(ODD_VALUES)
        except (KeyError, IndexError, TypeError):  # an earlier change removed or replaced the place
            continue
    if draw(st.integers(0, 9)) == 0:
        payload["unknown_field"] = draw(ODD_VALUES)
    return payload


def loaded_by_schema(schema_cls, payload):
    try:
        return contracts.schema_instance(schema_cls).load(payload)
    except ValidationError as exc:
        return exc.messages


def loaded_plainly(schema_cls, payload):
    try:
        return contracts.plain_loader(schema_cls)(payload)
    except Exception:
        return None


@pytest.mark.parametrize("schema_cls", [schema_cls for schema_cls in SCHEMAS if contracts.plain_loader(schema_cls)],
                         ids=lambda schema_cls: schema_cls.__name__)
def test_the_example_of_a_provincial_schema_with_a_plain_loader_is_loaded_plainly_as_the_schema_loads_it(schema_cls):
    assert loaded_plainly(schema_cls, EXAMPLES[schema_cls]) == loaded_by_schema(schema_cls, EXAMPLES[schema_cls])


def test_the_bulk_type_has_a_plain_loader():
    assert contracts.plain_loader(enterprises_contract.ENTERPRISE_UPSERTED.schemas[1]) is not None


@pytest.mark.parametrize("schema_cls", SCHEMAS, ids=lambda schema_cls: schema_cls.__name__)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_plain_load_is_the_schemas_load_or_nothing(schema_cls, data):
    payload = data.draw(payloads(EXAMPLES[schema_cls]))
    by_schema = loaded_by_schema(schema_cls, payload)
    plainly = loaded_plainly(schema_cls, payload)
    assert plainly is None or plainly == by_schema
    try:
        assert contracts.load(schema_cls, payload) == by_schema
    except ValidationError as exc:
        assert exc.messages == by_schema


def test_a_bench_payload_with_only_the_required_fields_is_loaded_plainly():
    payload = {"source_version": 1, "uscc": "91440106MA59C5XK1G", "name": "广州基准企业000001有限公司",
               "region_code": "440106", "industry_code": "c34 ",
               "figures": [{"year": 2024, "employees": 10, "revenue": 500}]}
    schema_cls = enterprises_contract.ENTERPRISE_UPSERTED.schemas[1]
    assert loaded_plainly(schema_cls, payload) == loaded_by_schema(schema_cls, payload)
    assert loaded_plainly(schema_cls, payload)["industry_code"] == "C34"


class Hooked(Schema):
    name = fields.String(required=True)

    @post_load
    def stamped(self, data, **kwargs):
        return {**data, "stamped": True}


class Checked(Schema):
    low = fields.Integer(required=True)
    high = fields.Integer(required=True)

    @validates_schema
    def ordered(self, data, **kwargs):
        if data["low"] > data["high"]:
            raise ValidationError("low above high")


class Named(Schema):
    name = fields.String(load_default="无名")
    code = fields.String(data_key="the_code", attribute="code_value")

    @validates("code")
    def upper(self, value, data_key):
        if value != value.upper():
            raise ValidationError(f"{data_key} must be upper case")


def test_schemas_with_processing_hooks_or_schema_validators_are_left_to_marshmallow():
    assert contracts.plain_loader(Hooked) is None and contracts.plain_loader(Checked) is None
    assert contracts.load(Hooked, {"name": "x"}) == {"name": "x", "stamped": True}
    with pytest.raises(ValidationError):
        contracts.load(Checked, {"low": 2, "high": 1})


def test_defaults_data_keys_attributes_and_field_validators_are_as_the_schema_has_them():
    plain = contracts.plain_loader(Named)
    assert plain({"the_code": "AB"}) == {"name": "无名", "code_value": "AB"}
    with pytest.raises(ValidationError):
        plain({"the_code": "ab"})
    with pytest.raises(ValidationError) as refused:
        contracts.load(Named, {"the_code": "ab"})
    assert refused.value.messages == {"the_code": ["the_code must be upper case"]}
