"""A provincial roll-out: many enterprises registered from JSON lines or CSV at once."""
from services.enterprises import authority, domain, imports, store


def read_rows(content, format, scope, actor, on):
    """``(profiles, rejected, received)``: the rows that may be stored as ``[(line, profile)]``, and
    each bad row with its line and problems by field (outside ``scope``, tiers ``actor`` does not
    award, …). Pure: no transaction is held while a large file is read."""
    profiles, rejected, received = imports.profiles_from(content, format, on, scope)
    if actor is not None:
        refused = {line: problems for line, profile in profiles
                   if (problems := authority.award_problems(actor["role"], [], profile["tiers"]))}
        rejected += [{"line": line, "uscc": profile["uscc"], "errors": {"tiers": refused[line]}}
                     for line, profile in profiles if line in refused]
        profiles = [(line, profile) for line, profile in profiles if line not in refused]
    return profiles, rejected, received


def store_rows(tx, outbox, profiles, on):
    """Store ``[(line, profile)]`` in one set-based step, each with its figures, tiers and
    ``enterprise.registered`` event: the USCCs stored, and a rejection for each already registered."""
    stored = store.import_profiles(tx, [profile for _, profile in profiles], on)
    outbox.add_many(tx, "enterprise.registered", [(domain.registered_event(profile, on), profile["uscc"])
                                                  for _, profile in profiles if profile["uscc"] in stored])
    return stored, [{"line": line, "uscc": profile["uscc"], "errors": {"uscc": ["already registered"]}}
                    for line, profile in profiles if profile["uscc"] not in stored]
