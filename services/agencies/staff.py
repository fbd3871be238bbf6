"""队伍建设: an agency's service staff, their training and their secondments.

Staff are known by the subject of their token (the ``sub`` claim), which is what
the requests service records as the actor of every step they take; their
performance figures are derived from that history (the requests service's
``staff_performance``), never typed in. An agency's admins (the admins of its
region) keep its roster: name, post, qualifications, active. Training records
(course, hours, date, provider) and secondments (派驻: to a park or an
enterprise, from and to) are added, never changed, so that the training hours a
scoring run counted stay what they were.
"""
from chassis.errors import ValidationFailed
from services.agencies import capacity_store, domain


def member_view(tx, member, agency):
    """A roster entry with its agency's region, trainings and secondments."""
    trainings = capacity_store.trainings(tx, member["id"])
    return {**member, "agency_region_code": agency["region_code"],
            "training_hours": float(sum(row["hours"] for row in trainings)),
            "trainings": trainings, "secondments": capacity_store.secondments(tx, member["id"])}


def add_member(tx, agency, data):
    """Put a staff member on the agency's roster; a subject already on it is a conflict."""
    return capacity_store.insert_staff(tx, {**data, "agency_id": agency["id"]})


def change_member(tx, member, changes):
    """Change a member's name, post, qualifications or active flag; the subject is fixed."""
    if "subject" in changes and changes["subject"] != member["subject"]:
        message = "the subject identifies the staff member and cannot change"
        raise ValidationFailed(message, {"subject": [message]})
    changes = {key: value for key, value in changes.items() if key != "subject"}
    return capacity_store.update_staff(tx, member["id"], changes) if changes else member


def record_training(tx, member, data, actor, now):
    return capacity_store.insert_training(tx, {**data, "staff_id": member["id"], "recorded_by": actor,
                                               "recorded_at": now})


def record_secondment(tx, member, agency, data, actor, now):
    """A secondment to a place within the agency's region (422 otherwise)."""
    if not data["region_code"].startswith(domain.coverage_prefix(agency["region_code"])):
        message = f"{data['region_code']} is outside the agency's region {agency['region_code']}"
        raise ValidationFailed(message, {"region_code": [message]})
    return capacity_store.insert_secondment(tx, {
        "staff_id": member["id"], "kind": data["kind"], "place": data["place"], "uscc": data.get("uscc"),
        "region_code": data["region_code"], "starts_on": data["starts_on"], "ends_on": data.get("ends_on"),
        "recorded_by": actor, "recorded_at": now})
