-- Requests a provincial portal submitted: the province and the portal's own reference,
-- so the request's progress flows back to that province and the portal can act on it.
ALTER TABLE service_request ADD COLUMN origin_province char(2), ADD COLUMN origin_ref text;
CREATE UNIQUE INDEX service_request_origin ON service_request (origin_province, origin_ref)
    WHERE origin_province IS NOT NULL;
