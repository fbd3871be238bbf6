"""The requests service's contracts."""
from marshmallow import Schema, fields, validate

STATES = ("submitted", "assigned", "accepted", "in_progress", "resolved",
          "revisited", "closed", "withdrawn")


class ServiceRequest(Schema):
    """诉求: a request an SME raises with the network."""

    id = fields.UUID()
    uscc = fields.String()
    service_area = fields.String()
    title = fields.String()
    region_code = fields.String()
    state = fields.String(validate=validate.OneOf(STATES))
    agency_id = fields.Integer(allow_none=True)
    submitted_at = fields.DateTime()
