"""Batches of domain operations (chassis.errors): one refusal names its item, or is answered in its place."""
import pytest

from chassis.errors import NotFound, ValidationFailed, each, outcome


def checked(value):
    if value < 0:
        raise ValidationFailed("negative", {"value": ["must not be negative"]})
    if value == 0:
        raise NotFound("no such value", {"value": 0})
    return value * 2


def test_each_answers_in_order():
    assert each([1, 2, 3], checked) == [2, 4, 6]


@pytest.mark.parametrize("items, refused, position, details", [
    ([1, -1, 2], ValidationFailed, "1", {"value": ["must not be negative"]}),
    ([0], NotFound, "0", {"value": 0}),
])
def test_a_refused_item_stops_the_batch_with_its_own_kind_of_error_naming_its_position(items, refused, position,
                                                                                        details):
    seen = []
    with pytest.raises(refused) as raised:
        each(items, lambda value: seen.append(value) or checked(value))
    assert raised.value.details == {"items": {position: details}}
    assert str(raised.value).startswith(f"item {position}: ")
    assert seen == items[: int(position) + 1]


def test_an_outcome_is_the_answer_or_the_refusal_in_its_place():
    assert outcome(checked, 4) == {"answer": 8}
    assert outcome(checked, -1) == {"error": {"code": "validation_failed", "message": "negative",
                                              "details": {"value": ["must not be negative"]}}}


def test_an_outcome_lets_anything_but_a_domain_error_through():
    with pytest.raises(ZeroDivisionError):
        outcome(lambda: 1 / 0)
