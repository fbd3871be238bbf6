"""The enterprises service: the SME database (中小企业数据库), one file per enterprise."""
from marshmallow import ValidationError
from nameko.rpc import rpc

from chassis.db import Database
from chassis.errors import NotFound, ValidationFailed
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.outbox import Outbox
import structlog

from services.enterprises import domain, schemas, store

log = structlog.get_logger(__name__)


class EnterprisesService:
    """Owns SME profiles; answers who an enterprise is and announces changes."""

    name = "enterprises"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    outbox = Outbox()

    @rpc
    def register(self, registration):
        """Register an SME; emits ``enterprise.registered``. Used by the gateway and imports."""
        try:
            data = schemas.EnterpriseRegistration().load(registration)
        except ValidationError as exc:
            raise ValidationFailed("the enterprise registration is invalid", exc.messages) from None
        profile = domain.new_profile(data)
        with self.db.transaction() as tx:
            row = store.insert_enterprise(tx, profile)
            self.outbox.add(tx, "enterprise.registered", domain.registered_event(profile),
                            aggregate_id=profile["uscc"])
        log.info("enterprise_registered", uscc=profile["uscc"], region_code=profile["region_code"])
        return schemas.Enterprise().dump(row)

    @rpc
    def get(self, uscc):
        """One enterprise's profile by USCC; ``NotFound`` if there is none."""
        with self.db.transaction() as tx:
            row = store.get_enterprise(tx, uscc.upper())
        if row is None:
            raise NotFound(f"no enterprise with uscc {uscc}", {"uscc": uscc})
        return schemas.Enterprise().dump(row)
