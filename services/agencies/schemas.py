"""The agencies service's contracts."""
from marshmallow import Schema, fields, validate

LEVELS = ("national", "province", "city", "county", "station")


class Agency(Schema):
    """A public-service agency (中小企业公共服务机构) or service station (服务站点)."""

    id = fields.Integer()
    name = fields.String()
    level = fields.String(validate=validate.OneOf(LEVELS))
    region_code = fields.String()
    parent_id = fields.Integer(allow_none=True)
