"""Fault tests: the network under a stream of work while its processes, broker and database fail."""
