"""Who may call a route, and what each caller gets: declared once, beside the route.

Every ``@route`` carries an ``access`` table, one line per caller that may
call it, giving the outcome for three objects: one in the caller's own scope,
one of another region and one of another enterprise::

    @route("GET", "/api/v1/enterprises/<uscc>", access='''
        national_admin  ok  ok      ok
        region_admins   ok  hidden  ok
        agency_staff    ok  hidden  ok
        enterprise      ok  hidden  hidden''')

Outcomes:

- ``ok``: answered (2xx);
- ``hidden``: 404, the very answer an object that does not exist gets (same
  status, same body), so that nobody learns what lies outside their scope;
- ``refused``: 403, for what names no object the caller cannot see (a new
  enterprise in another region, another enterprise's name on a form);
- ``-``: the situation does not arise on this route (a list has no object).

A caller without a line is refused with 403 (its role may not call the route)
and an anonymous caller with 401, unless the table has an ``anonymous`` (or
``everyone``) line: then the route is public. Lines may name a role or a
group: ``region_admins`` (province, city and county admins), ``admins`` (all
four levels), ``signed_in`` (every role) and ``everyone`` (every role and
anonymous callers).

The end-to-end authorization matrix reads these tables from the gateway's
route table and calls every route as every caller in every situation; any
answer other than the declared one fails it.
"""
from gateway import auth

OK, HIDDEN, REFUSED, DOES_NOT_ARISE = "ok", "hidden", "refused", "-"
OUTCOMES = (OK, HIDDEN, REFUSED, DOES_NOT_ARISE)
SITUATIONS = ("own", "other_region", "other_enterprise")
ANONYMOUS = "anonymous"
CALLERS = (ANONYMOUS,) + auth.ROLES

GROUPS = {
    "region_admins": (auth.PROVINCE_ADMIN, auth.CITY_ADMIN, auth.COUNTY_ADMIN),
    "admins": auth.REGION_ADMINS,
    "signed_in": auth.ROLES,
    "everyone": CALLERS,
}


class AccessTable(dict):
    """``{caller: {situation: outcome}}`` for the callers a route answers."""

    @property
    def public(self):
        return ANONYMOUS in self

    @property
    def roles(self):
        return frozenset(caller for caller in self if caller != ANONYMOUS)

    def outcome(self, caller, situation):
        """What ``caller`` gets in ``situation``; callers without a line are turned away."""
        if caller not in self:
            return "unauthenticated" if caller == ANONYMOUS else "denied"
        return self[caller][situation]


def table(text):
    """The :class:`AccessTable` written as lines of ``caller own other_region other_enterprise``."""
    found = AccessTable()
    for line in text.strip().splitlines():
        words = line.split()
        if len(words) != 1 + len(SITUATIONS):
            raise ValueError(f"an access line names a caller and {len(SITUATIONS)} outcomes: {line!r}")
        caller, outcomes = words[0], words[1:]
        unknown = [outcome for outcome in outcomes if outcome not in OUTCOMES]
        if unknown or (caller not in GROUPS and caller not in CALLERS):
            raise ValueError(f"unknown caller or outcome in access line {line!r}")
        for each in GROUPS.get(caller, (caller,)):
            if each in found:
                raise ValueError(f"{each} has two access lines")
            found[each] = dict(zip(SITUATIONS, outcomes))
    return found


def callers(*names):
    """Routes about no object (lists, creation in the caller's own name): these callers, answered."""
    return table("\n".join(f"{name} ok - -" for name in names))


PUBLIC = callers("everyone")
