"""Text that OneNet stores: no control characters.

PostgreSQL refuses NUL in text, and no control character but tab, line feed and
carriage return belongs in a name, a title or a description. Input carrying one is
refused with the field it was in (422), before any service or database sees it.
:data:`TEXT_PATTERN` says the same to the OpenAPI document's readers.
"""
import re

# C0 controls other than tab (09), line feed (0A) and carriage return (0D); DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
MESSAGE = "control characters (such as NUL) are not allowed in text"


def control_character_problems(value, path=()):
    """``{field path: [message]}`` for every string in ``value`` (nested dicts and lists,
    keys too) that holds a control character; empty when there is none. Paths join
    keys and list positions with dots, as ``contact.phone`` or ``tiers.0.no``."""
    problems, pending = {}, [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if CONTROL_CHARACTERS.search(item):
                problems[".".join(map(str, where)) or "value"] = [MESSAGE]
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
                    problems[".".join(map(str, where + (key,)))] = ["control characters are not allowed in a key"]
                pending.append((child, where + (key,)))
        elif isinstance(item, list):
            pending.extend((child, where + (index,)) for index, child in enumerate(item))
    return problems
