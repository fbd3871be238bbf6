-- A request may be about a published policy (e.g. raised after the policy's push notice);
-- the policy's reach counts the enterprises that raised one.
ALTER TABLE service_request ADD COLUMN policy_id integer;
