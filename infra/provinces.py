"""The provinces' side of the broker: ``python -m infra.provinces topology|users|rotate <code>``.

    python -m infra.provinces topology   the inbound and outbound exchanges, and each province's
                                         outbound and dead-letter queues (``make run`` and
                                         ``make test`` declare them too)
    python -m infra.provinces users      a user for every province that has none yet, named
                                         province-<code>, and every province's rights; each new
                                         password is printed once
    python -m infra.provinces rotate 44  a new password for province 44, printed once

Passwords are made here, printed once for the operator to hand to the
province, and stored nowhere but in RabbitMQ (as a salted hash). The broker is
``ONENET_AMQP_URI`` (its vhost is the provinces'); users are made with
``rabbitmqctl`` or, where ``ONENET_RABBITMQ_MANAGEMENT_URL`` is set, the
management API. ``ONENET_PROVINCE_USER_PREFIX`` puts a namespace before the
names (a test suite's; users are cluster-wide).

A province's user may configure nothing; write only to ``onenet.provinces.in``,
and there only under its own code (topic permission ``^<code>\\.``); and read
only its own ``province.<code>.outbound`` and ``province.<code>.dead-letter``.
"""
import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys

from chassis import provinces
from chassis.provinces import PROVINCES_IN
from infra import accounts

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def province_grants(code):
    """What province ``code``'s user may do in the provinces' vhost."""
    own_queues = "|".join(re.escape(name) for name in (provinces.outbound_queue(code),
                                                         provinces.dead_letter_queue(code)))
    return accounts.BrokerGrants(
        configure=accounts._NOTHING,
        write=f"^{re.escape(PROVINCES_IN)}$",
        read=f"^({own_queues})$",
        topics={PROVINCES_IN: (rf"^{code}\.[a-z_]+\.[a-z_]+$", accounts._NOTHING)})


def definitions(vhost, passwords, codes, prefix=""):
    """Definitions (RabbitMQ's import format) giving every province in ``codes`` its rights,
    and the provinces in ``passwords`` (code → password) their user with that password."""
    made = accounts.broker_definitions(vhost, [
        (provinces.user_name(code, prefix), passwords.get(code, ""), province_grants(code)) for code in codes])
    made["users"] = [user for user, code in zip(made["users"], codes) if code in passwords]
    return made


def declare_topology(amqp_uri):
    """Declare the provincial exchanges and queues (as the administrator); the queue names."""
    from kombu import Connection

    from chassis.queues import declare_or_migrate
    exchanges, queues = provinces.topology()
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        try:
            for exchange in exchanges:
                exchange.declare(channel=channel)
        finally:
            channel.close()
        declare_or_migrate(connection, queues)  # a queue declared otherwise keeps its messages
    return [queue.name for queue in queues]


class Users:
    """The broker's users, through rabbitmqctl or the management API (as :mod:`infra.accounts`)."""

    def __init__(self, amqp_uri, management_url=None):
        self.amqp_uri = amqp_uri
        self.management_url = management_url
        self.loader = accounts.broker_admin(amqp_uri, management_url)

    def names(self):
        if self.management_url:
            answer = self.loader.session.get(f"{self.loader.base_url}/api/users", timeout=30)
            answer.raise_for_status()
            return {user["name"] for user in answer.json()}
        rabbitmqctl = shutil.which("rabbitmqctl")
        if rabbitmqctl is None:
            raise SystemExit("rabbitmqctl is needed to list the broker's users "
                             "(or set ONENET_RABBITMQ_MANAGEMENT_URL)")
        listed = subprocess.run([rabbitmqctl, "-q", "list_users", "--formatter", "json"],
                                capture_output=True, text=True, check=True)
        return {user["user"] for user in json.loads(listed.stdout or "[]")}

    def load(self, made):
        self.loader.load(made)


def make_users(amqp_uri, users, prefix="", renew=False, codes=None):
    """Create the users of the provinces that have none (``renew``: of all of them, with new
    passwords) and give every province its rights. Returns code → new password."""
    codes = tuple(codes or provinces.province_codes())
    existing = set() if renew else users.names()
    passwords = {code: secrets.token_urlsafe(24) for code in codes
                 if provinces.user_name(code, prefix) not in existing}
    users.load(definitions(accounts.vhost_of(amqp_uri), passwords, codes, prefix))
    return passwords


def rotate(amqp_uri, users, code, prefix=""):
    """A new password for province ``code``'s user (its rights set again); returns the password."""
    if not provinces.is_province(code):
        raise SystemExit(f"{code!r} is not the code of a province of the network "
                         f"({', '.join(provinces.province_codes())})")
    return make_users(amqp_uri, users, prefix, renew=True, codes=(code,))[code]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Provincial exchanges, queues and users.")
    parser.add_argument("command", choices=["topology", "users", "rotate"])
    parser.add_argument("code", nargs="?", help="the province's two-digit code (rotate)")
    args = parser.parse_args(argv)
    amqp_uri = os.environ.get("ONENET_AMQP_URI", DEFAULT_AMQP_URI)
    prefix = os.environ.get("ONENET_PROVINCE_USER_PREFIX", "")
    if args.command == "topology":
        print(f"declared {len(declare_topology(amqp_uri))} provincial queues")
        return 0
    users = Users(amqp_uri, os.environ.get("ONENET_RABBITMQ_MANAGEMENT_URL"))
    if args.command == "users":
        declare_topology(amqp_uri)
        made = make_users(amqp_uri, users, prefix)
        for code in provinces.province_codes():
            user = provinces.user_name(code, prefix)
            print(f"{user}\t{made[code]}" if code in made else f"{user}\t(exists; rights set again)")
        if made:
            print(f"\n{len(made)} new password(s), shown this once: hand each to its province.",
                  file=sys.stderr)
        return 0
    if not args.code:
        parser.error("rotate needs the province's code, e.g. rotate 44")
    print(f"{provinces.user_name(args.code, prefix)}\t{rotate(amqp_uri, users, args.code, prefix)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
