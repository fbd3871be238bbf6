"""Demo data, one module per owning service, each with ``load(services)``.

``services`` is a standalone RPC proxy to the running network; :mod:`infra.demo` loads the
agencies first, then the enterprises and requests that refer to them. Loading twice changes
nothing.
"""
