"""The errors the client raises: each says what went wrong and whether trying again can help."""


class ProvinceClientError(Exception):
    """Base of every error of this client."""

    retriable = False


class InvalidEvent(ProvinceClientError):
    """The event is not a OneNet envelope; nothing was sent."""


class AuthenticationFailed(ProvinceClientError):
    """The broker refused the user name or password."""


class AccessRefused(ProvinceClientError):
    """The broker refused the operation (ACCESS_REFUSED): e.g. a routing key outside your own
    province code, or a queue that is not yours."""

    def __init__(self, message, reply_code=403):
        super().__init__(message)
        self.reply_code = reply_code


class Unroutable(ProvinceClientError):
    """The broker returned events no queue takes (an event type OneNet does not ingest)."""

    def __init__(self, message, event_ids):
        super().__init__(message)
        self.event_ids = list(event_ids)


class NotConfirmed(ProvinceClientError):
    """The broker refused (nacked) events, or did not confirm them in time."""

    retriable = True

    def __init__(self, message, event_ids=()):
        super().__init__(message)
        self.event_ids = list(event_ids)


class ConnectionLost(ProvinceClientError):
    """The broker could not be reached, or dropped the connection, more times than allowed."""

    retriable = True


class HandlerFailed(ProvinceClientError):
    """Your handler raised; the message went back to the queue and consuming stopped."""
