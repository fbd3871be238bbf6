"""The enterprises service's use cases: plain functions of the transaction and their ports (the
outbox, the day), one module per part of the SME database, so that each runs under a unit test with
fakes (``tests/unit/test_enterprises_use_cases.py``) and the nameko class stays an adapter.

:mod:`.profiles` registers and changes one enterprise's file (一企一档), :mod:`.bulk` stores a
provincial roll-out at once, :mod:`.tiers` announces the awards that expired.
"""
