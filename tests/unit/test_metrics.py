"""How workers are counted in the metrics."""
from types import SimpleNamespace

from nameko.rpc import Rpc
from prometheus_client import REGISTRY

from chassis import errors
from chassis.metrics import Instrumentation, outcome_of


def test_metrics_tell_domain_answers_from_failures():
    class Entrypoint:
        expected_exceptions = (errors.DomainError,)

    assert outcome_of(Entrypoint, None) == "ok"
    assert outcome_of(Entrypoint, (None, errors.NotFound("x"), None)) == "rejected"
    assert outcome_of(Entrypoint, (None, RuntimeError("x"), None)) == "error"


def test_each_call_is_timed_under_its_method_and_outcome():
    instrumentation = Instrumentation()
    instrumentation.container = SimpleNamespace(service_name="metrics_test")
    entrypoint = Rpc(expected_exceptions=(errors.DomainError,))
    entrypoint.method_name = "answer"

    def count(outcome):
        return REGISTRY.get_sample_value("onenet_rpc_duration_seconds_count",
                                         {"service": "metrics_test", "method": "answer", "outcome": outcome}) or 0

    before = count("ok"), count("rejected")
    for exc_info in (None, (None, errors.NotFound("x"), None), None):
        worker_ctx = SimpleNamespace(entrypoint=entrypoint)
        instrumentation.worker_setup(worker_ctx)
        instrumentation.worker_result(worker_ctx, None, exc_info)
    assert (count("ok") - before[0], count("rejected") - before[1]) == (2, 1)
