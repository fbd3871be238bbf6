"""The agencies service's contract beside :mod:`services.agencies.schemas`: the rules other services
apply to their copies of the agencies' data, one module each (:mod:`.routing`)."""
