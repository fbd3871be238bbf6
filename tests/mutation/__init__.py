"""Mutation testing of the pure rules and the gateway's scope and role checks.

``python -m tests.mutation`` (``make mutation``) seeds one small bug at a time
into each target module with cosmic-ray and runs the module's unit tests
against it; a bug the tests do not notice is a *survivor*. See
:mod:`tests.mutation.targets` for the modules, their tests and the survivors
that are equivalent to the original code.
"""
