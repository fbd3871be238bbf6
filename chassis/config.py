"""Process configuration: one ``config.yml`` per process, ``${ENV:default}`` expanded.

The same convention as nameko-examples: a value ``${ONENET_AMQP_URI:amqp://...}``
takes the environment variable when it is set and the default otherwise.
"""
import os
import re

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


def load(path):
    """Read a process's ``config.yml`` with environment substitution applied."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(expand(handle.read())) or {}
