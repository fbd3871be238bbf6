"""Rules of a request's lifecycle, free of I/O."""

OPEN_STATES = frozenset({"submitted", "assigned", "accepted", "in_progress", "resolved", "revisited"})


def is_open(state):
    """Whether a request in ``state`` still awaits the network's work."""
    return state in OPEN_STATES
