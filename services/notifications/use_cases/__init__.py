"""The notifications service's use cases on the caller's side: plain functions of the transaction
and what they are given, so that each runs under a unit test with a fake store
(``tests/unit/test_notifications_use_cases.py``) and the nameko class stays an adapter.

:mod:`.notices` pages and marks a recipient's notices, :mod:`.preferences` keeps the channels each
kind goes by, :mod:`.subscriptions` keeps webhook subscriptions and their delivery log, and
:mod:`.reach` tells who a policy reached. What events cause (the policy push, request and provider
notices) is :mod:`services.notifications.push` and :mod:`services.notifications.announcements`.
"""
