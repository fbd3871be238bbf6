"""Routes over the notifications service: an enterprise's inbox."""
from gateway import access, auth, pages
from gateway.api import route
from gateway.rpc import ServiceProxy
from services.notifications import schemas

NoticePage = pages.page_schema(schemas.Notice, "NoticePage")


class NotificationRoutes:
    notifications = ServiceProxy("notifications")

    @route("GET", "/api/v1/notifications", access=access.callers(auth.ENTERPRISE), query=pages.PageQuery,
           response=NoticePage, tags=["notifications"],
           summary="The calling enterprise's inbox, newest first")
    def list_notifications(self, call):
        """An enterprise user's own notices."""
        limit, offset = pages.window(call.query)
        found = self.notifications.inbox_page(call.principal.scope, limit, offset)
        return pages.page_of(found["items"], found["total"], call.query)
