"""Demo data, one module per owning service, each with ``load(services)``.

``services`` is a standalone RPC proxy to the running network; modules are
loaded in :data:`ORDER` (agencies before the enterprises and requests that
refer to them). Loading twice changes nothing.
"""
ORDER = ("agencies", "enterprises", "requests")
