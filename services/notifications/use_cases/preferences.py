"""Which channels each kind of notice goes by for a recipient, its e-mail and its quiet hours."""
from services.notifications import domain, schemas, store


def preferences(tx, recipient):
    """The recipient's preferences as the API shows them (every kind, defaults filled in)."""
    return view(*store.preferences(tx, recipient))


def replace(tx, recipient, data):
    """Replace the recipient's preferences with a loaded :class:`schemas.Preferences`; the new view."""
    channels = {kind: domain.channels_for({kind: chosen}, kind) for kind, chosen in data["channels"].items()}
    store.replace_preferences(tx, recipient, channels, data.get("email"), data.get("quiet_hours"))
    return preferences(tx, recipient)


def view(channels, setting):
    setting = setting or {}
    quiet = None
    if setting.get("quiet_start") is not None:
        quiet = {"start": setting["quiet_start"].strftime("%H:%M"), "end": setting["quiet_end"].strftime("%H:%M"),
                 "time_zone": setting["time_zone"]}
    return {"channels": {kind: domain.channels_for(channels, kind) for kind in schemas.KINDS},
            "email": setting.get("email"), "quiet_hours": quiet}
