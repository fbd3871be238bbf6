"""The agencies service: who serves whom on the network."""
from nameko.rpc import rpc

from chassis.db import Database
from chassis.errors import NotFound
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox

from services.agencies import schemas, store


class AgenciesService:
    """Owns the agency hierarchy, service stations and the service libraries."""

    name = "agencies"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox()

    @rpc
    def get(self, agency_id):
        """One agency by id; ``NotFound`` if there is none."""
        with self.db.transaction() as tx:
            row = store.get_agency(tx, agency_id)
        if row is None:
            raise NotFound(f"no agency with id {agency_id}", {"agency_id": agency_id})
        return schemas.Agency().dump(row)
