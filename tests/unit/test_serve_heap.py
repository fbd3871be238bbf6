"""chassis.serve's start-up heap: collected, then frozen out of the collector's sight."""
import gc
import weakref

from chassis.serve import freeze_heap


class Node:
    def __init__(self):
        self.me = self   # a cycle: only the collector frees it


def test_start_up_garbage_is_collected_and_what_lives_is_frozen():
    garbage, kept = Node(), Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        freeze_heap()
        assert gone() is None
        assert gc.get_freeze_count() > 0
        assert not any(found is kept for found in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
    assert any(found is kept for found in gc.get_objects(generation=2))
