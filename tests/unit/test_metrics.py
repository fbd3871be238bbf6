"""How workers are counted in the metrics."""
from chassis import errors
from chassis.metrics import outcome_of


def test_metrics_tell_domain_answers_from_failures():
    class Entrypoint:
        expected_exceptions = (errors.DomainError,)

    assert outcome_of(Entrypoint, None) == "ok"
    assert outcome_of(Entrypoint, (None, errors.NotFound("x"), None)) == "rejected"
    assert outcome_of(Entrypoint, (None, RuntimeError("x"), None)) == "error"
