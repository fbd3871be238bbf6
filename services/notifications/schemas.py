"""The notifications service's contracts."""
from marshmallow import Schema, fields


class Notice(Schema):
    """One notice in an enterprise's inbox (站内信)."""

    id = fields.UUID()
    kind = fields.String(metadata={"description": "welcome, policy_match, request_update, ..."})
    title = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
