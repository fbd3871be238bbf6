"""The agencies service's use cases, one module per sub-domain, as plain functions.

Each takes the open transaction and the ports it needs (the outbox, today's date
in China) and returns what the entrypoint answers, so it runs the same under
``AgenciesService`` and under a unit test with fakes.
"""
