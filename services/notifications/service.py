"""The notifications service: inboxes and the notices that fill them."""
import structlog

from chassis.db import Database
from chassis.events import handles
from chassis.inbox import Inbox
from chassis.logs import CorrelationId
from chassis.metrics import Instrumentation
from chassis.rpc import rpc

from services.notifications import domain, schemas, store

log = structlog.get_logger(__name__)


class NotificationsService:
    """Turns what happens on the network into notices for the enterprises concerned."""

    name = "notifications"

    correlation_id = CorrelationId()
    instrumentation = Instrumentation()
    db = Database()
    inbox = Inbox()

    @handles("enterprise.registered")
    def welcome_enterprise(self, event):
        """A newly registered SME finds a welcome notice in its inbox."""
        with self.db.transaction() as tx:
            if not self.inbox.first_delivery(tx, event):
                log.info("event_already_handled", event_id=event["event_id"])
                return
            store.add_notice(tx, domain.welcome_notice(event["payload"]), event["event_id"])
        log.info("welcome_notice_written", uscc=event["payload"]["uscc"], event_id=event["event_id"])

    @rpc
    def inbox_page(self, uscc, limit, offset):
        """One page of an enterprise's notices, newest first: ``{"items", "total"}``."""
        with self.db.transaction() as tx:
            rows, total = store.inbox_page(tx, uscc, limit, offset)
        return {"items": schemas.Notice(many=True).dump(rows), "total": total}
