"""Demo agencies (filled in with the agencies capability)."""


def load(services):
    return 0
