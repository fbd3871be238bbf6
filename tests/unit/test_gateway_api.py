from decimal import Decimal
import json

import eventlet
import pytest
from nameko.exceptions import ContainerBeingKilled, RemoteError, UnknownService

from chassis import errors
from gateway import api, pages


@pytest.mark.parametrize("exc, status, code", [
    (errors.ValidationFailed("bad", {"uscc": ["invalid"]}), 422, "validation_failed"),
    (errors.NotFound("none"), 404, "not_found"),
    (errors.Conflict("dup"), 409, "conflict"),
    (errors.Forbidden("no"), 403, "forbidden"),
    (api.Unauthenticated("who?"), 401, "unauthenticated"),
    (api.PayloadTooLarge("big"), 413, "payload_too_large"),
    (api.TooManyRequests("slow"), 429, "rate_limited"),
    (UnknownService("enterprises"), 503, "service_unavailable"),
    ("timeout", 503, "service_unavailable"),
    (KeyError("secret internals"), 500, "internal_error"),
    (RemoteError("OperationalError", "could not connect to server"), 503, "service_unavailable"),
    (RemoteError("KeyError", "secret internals"), 500, "internal_error"),
    (RemoteError("Timeout", "1 second"), 503, "service_unavailable"),   # a service's own call timed out
    (ContainerBeingKilled(), 503, "service_unavailable"),   # the gateway is going down; the retry meets the next
])
def test_every_failure_maps_to_one_status_and_the_one_error_shape(exc, status, code):
    if exc == "timeout":
        exc = eventlet.Timeout(1)
        exc.cancel()  # an eventlet.Timeout starts when made
    response = api.response_for(exc)
    body = json.loads(response.get_data())
    assert response.status_code == status
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "details", "correlation_id"}
    assert "secret internals" not in response.get_data(as_text=True)


def test_domain_error_details_reach_the_client():
    response = api.response_for(errors.ValidationFailed("bad", {"uscc": ["invalid check"]}))
    assert json.loads(response.get_data())["error"]["details"] == {"uscc": ["invalid check"]}


def test_money_in_decimals_is_a_json_number():
    body = json.loads(api.json_response(200, {"a": Decimal("12.50"), "b": Decimal("3.00")}).get_data())
    assert body == {"a": 12.5, "b": 3}


@pytest.mark.parametrize("text, depth", [
    ('"plain"', 0),
    ('{}', 1),
    ('{"a": [1, {"b": "[[[{{"}]}', 3),
    ('[[[]], [[[]]]]', 4),
    ('[' * 900 + ']' * 900, 900),
])
def test_nesting_depth_counts_arrays_and_objects_not_brackets_in_strings(text, depth):
    assert api.nesting_depth(json.loads(text)) == depth


@pytest.mark.parametrize("query, window", [
    ({}, (20, 0)),
    ({"page": "3", "page_size": "50"}, (50, 100)),
    ({"page_size": "100"}, (100, 0)),
])
def test_page_and_page_size_select_the_row_window(query, window):
    assert pages.window(pages.PageQuery().load(query)) == window


@pytest.mark.parametrize("query", [{"page_size": "101"}, {"page": "0"}, {"page_size": "x"}])
def test_page_size_has_a_hard_maximum(query):
    from marshmallow import ValidationError
    with pytest.raises(ValidationError):
        pages.PageQuery().load(query)

