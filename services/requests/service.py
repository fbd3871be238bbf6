"""The requests service: an SME's requests (诉求) from submission to archive."""
from nameko.rpc import rpc

from chassis.db import Database
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox

from services.requests import store


class RequestsService:
    """Owns requests, their deadlines and escalation, and the assessment figures."""

    name = "requests"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox()

    @rpc
    def counts_for_enterprise(self, uscc):
        """How many of an enterprise's requests are in each state (for its portrait)."""
        with self.db.transaction() as tx:
            return store.count_by_state(tx, uscc)
