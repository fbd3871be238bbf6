"""Process configuration: one ``config.yml`` per process, ``${ENV:default}`` expanded.

The same convention as nameko-examples: a value ``${ONENET_AMQP_URI:amqp://...}``
takes the environment variable when it is set and the default otherwise.

Kept instead of nameko's own loader (``nameko.cli.main.setup_yaml_parser``),
which resolves ``${...}`` in plain YAML scalars only, after parsing: it cannot
read a variable inside a flow list (``EVENT_RETRY_DELAYS: [${...:1, 5, 30}]``)
nor expand a quoted value (``DB_PASSWORD: "${...:}"``, kept a string whatever
the secret looks like). Measured on this repository's files: nameko's loader
fails to parse 6 of the 7 ``config.yml`` and leaves 2 of the gateway's 17
values unexpanded; this one expands them all. Substituting in the text before
parsing lets the quotes decide a value's type.

A process connects with its own RabbitMQ user and PostgreSQL role when their
passwords are set (``AMQP_USER``/``AMQP_PASSWORD``, ``DB_USER``/``DB_PASSWORD``):
``AMQP_URI`` and ``DATABASE_URL`` then name the servers, and ``load(path,
own_accounts=True)`` (as ``chassis.serve`` calls it) puts the process's own
credentials into them. ``python -m infra.network prepare``
makes those accounts, connecting with the URLs as configured (the administrator's).
"""
import os
import re
from urllib.parse import quote, urlsplit

import yaml

_ENV_REF = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<default>[^}]*))?\}")


def expand(text):
    """Replace every ``${NAME:default}`` in ``text`` by the environment's value."""

    def value_of(match):
        name, default = match.group("name"), match.group("default")
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise KeyError(f"environment variable {name} is required by the configuration")
        return default

    return _ENV_REF.sub(value_of, text)


def with_credentials(url, user, password):
    """``url`` (``amqp://`` or ``postgresql://``) with ``user`` and ``password`` as its userinfo."""
    where = urlsplit(url)
    host = where.netloc.rpartition("@")[2]
    return where._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}").geturl()


def with_own_accounts(config):
    """``config`` as the process connects: its own broker user and database role where set."""
    config = dict(config)
    if config.get("AMQP_PASSWORD"):
        config["AMQP_URI"] = with_credentials(config["AMQP_URI"], config["AMQP_USER"],
                                              config["AMQP_PASSWORD"])
    if config.get("DB_PASSWORD") and config.get("DATABASE_URL"):
        config["DATABASE_URL"] = with_credentials(config["DATABASE_URL"], config["DB_USER"],
                                                  config["DB_PASSWORD"])
    return config


def load(path, own_accounts=False):
    """Read a process's ``config.yml`` with environment substitution applied. With
    ``own_accounts`` (as the process itself runs) the URLs carry its own credentials;
    without, they are as configured (what operators' tools and ``prepare`` use)."""
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(expand(handle.read())) or {}
    return with_own_accounts(config) if own_accounts else config
