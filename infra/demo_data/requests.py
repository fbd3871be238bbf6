"""Demo requests (filled in with the requests capability)."""


def load(services):
    return 0
