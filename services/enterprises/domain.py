"""Rules about an enterprise's profile (一企一档), free of I/O."""
from chassis import regions


def place(region_code):
    """The province and city codes above a county-level region code."""
    return {
        "region_code": region_code,
        "province_code": regions.province_of(region_code),
        "city_code": regions.city_of(region_code),
    }


def new_profile(registration):
    """The stored profile for a validated registration."""
    profile = dict(registration)
    profile["uscc"] = registration["uscc"].upper()
    profile["industry_code"] = registration["industry_code"].upper()
    profile.update(place(registration["region_code"]))
    return profile


def registered_event(profile):
    return {key: profile[key] for key in ("uscc", "name", "region_code", "industry_code")}
