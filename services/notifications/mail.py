"""E-mail over SMTP: one message per delivery, to the address the recipient gave.

The server is the operator's (``SMTP_HOST``, ``SMTP_PORT``, optional STARTTLS
and login); ``make run`` starts a local one that keeps every message in a
Maildir folder and prints where.
"""
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    sender: str
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config):
        return cls(str(config.get("SMTP_HOST", "127.0.0.1")), int(config.get("SMTP_PORT", 8025)),
                   str(config.get("SMTP_FROM", "OneNet <noreply@onenet.local>")),
                   str(config.get("SMTP_STARTTLS", "off")).lower() in ("on", "true", "1", "yes"),
                   str(config.get("SMTP_USER") or ""), str(config.get("SMTP_PASSWORD") or ""),
                   float(config.get("SMTP_TIMEOUT", 10)))


def message_for(server, address, notice, delivery_id):
    """The e-mail that carries one notice."""
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = address
    message["Subject"] = notice["title"]
    message["Message-ID"] = make_msgid(idstring=f"onenet-delivery-{delivery_id}")
    message["X-OneNet-Notice"] = str(notice["id"])
    message["X-OneNet-Kind"] = notice["kind"]
    text = notice.get("body") or ""
    if notice.get("no_longer_applies"):
        text += f"\n\n{notice['no_longer_applies']}"
    message.set_content(f"{text}\n\n——全国中小企业服务一张网\n")
    return message


def send(server, message):
    """Hand ``message`` to the SMTP server: ``(delivered, error, duration_ms)``; never raises
    for the server's faults."""
    started = time.monotonic()
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout) as smtp:
            if server.starttls:
                smtp.starttls()
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(message)
        delivered, error = True, None
    except (smtplib.SMTPException, OSError) as exc:
        delivered, error = False, f"{type(exc).__name__}: {exc}"[:500]
    return delivered, error, int((time.monotonic() - started) * 1000)
