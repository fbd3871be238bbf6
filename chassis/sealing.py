"""Secrets a service keeps in its database to use again later, sealed at rest.

A webhook subscription's signing secret must be at hand at every delivery, so it cannot be
hashed like a password; stored as it is, every database dump, backup and replica would hand it
to whoever reads them. Sealed here, they hold Fernet tokens instead (``cryptography``'s Fernet:
AES-128-CBC and HMAC-SHA256 under one 32-byte key, url-safe base64; a token that was changed or
sealed under another key does not open).

The keys come from one setting, comma-separated: the first seals, every one opens
(``MultiFernet``). A key is rotated by putting a new one first, sealing every stored value again
under it (:meth:`SealingKeys.reseal`) and then removing the old one (docs/operations.md). A value
that no configured key opens is :class:`Unreadable`, never a wrong secret.
"""
import argparse
import sys

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Unreadable(ValueError):
    """A sealed value that none of the configured keys opens (a key missing, or the value not
    sealed at all)."""


def new_key():
    """A fresh Fernet key (32 random bytes, url-safe base64)."""
    return Fernet.generate_key().decode()


class SealingKeys:
    """Seals with the first of ``keys``, opens with any of them; ``setting`` names where the keys
    are configured, for the errors."""

    def __init__(self, keys, setting):
        self.setting = setting
        if not keys:
            raise ValueError(f"no sealing key configured: set {setting} (make a key with "
                             "`python -m chassis.sealing new-key`)")
        fernets = []
        for position, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                raise ValueError(f"key {position} of {setting} is not a Fernet key (32 bytes, url-safe "
                                 "base64; make one with `python -m chassis.sealing new-key`)") from None
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)
        self.count = len(fernets)

    @classmethod
    def from_setting(cls, value, setting):
        """The keys of a setting: a comma-separated string (as the environment gives it) or a list."""
        if isinstance(value, str):
            value = value.split(",")
        return cls([str(key).strip() for key in value or () if str(key).strip()], setting)

    def seal(self, secret):
        """``secret`` (text) as a token sealed under the first key."""
        return self._newest.encrypt(secret.encode()).decode()

    def open(self, sealed):
        """The secret ``sealed`` holds, or :class:`Unreadable`."""
        try:
            return self._all.decrypt(str(sealed).encode()).decode()
        except InvalidToken:
            raise self._unreadable() from None

    def reseal(self, sealed):
        """``sealed`` sealed again under the first key (the secret unchanged), or :class:`Unreadable`."""
        try:
            return self._all.rotate(str(sealed).encode()).decode()
        except InvalidToken:
            raise self._unreadable() from None

    def _unreadable(self):
        return Unreadable(f"a sealed secret opens with none of the {self.count} key(s) of {self.setting}: "
                          "a key it was sealed with is missing, or it was never sealed")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Keys for secrets sealed at rest.")
    parser.add_argument("command", choices=["new-key"], help="new-key: print a fresh key")
    parser.parse_args(argv)
    print(new_key())
    return 0


if __name__ == "__main__":
    sys.exit(main())
