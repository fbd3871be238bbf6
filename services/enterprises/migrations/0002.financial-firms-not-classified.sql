-- Financial firms (GB/T 4754 section J 金融业) are not classified under 300号: they come
-- under 金融业企业划型标准规定 (银发〔2015〕309号), which OneNet cannot apply exactly (an
-- industry code does not give the kind of financial institution). They have no size
-- class, and size_rule says why.
--
-- Firms registered before were classified by analogy with row 16; they lose that class
-- here, each with its enterprise.size_class_changed event in the outbox.

ALTER TABLE enterprise ALTER COLUMN size_class DROP NOT NULL;
ALTER TABLE enterprise ADD CONSTRAINT enterprise_size_class_or_reason
    CHECK ((size_class IS NULL) = (size_rule LIKE '%:not_classified'));

WITH unclassified AS (
    UPDATE enterprise e SET size_class = NULL, size_rule = 'financial:not_classified', updated_at = now()
    FROM (SELECT uscc, size_class FROM enterprise WHERE industry_code LIKE 'J%' FOR UPDATE) before
    WHERE e.uscc = before.uscc
    RETURNING e.uscc, e.region_code, e.figures_year, before.size_class AS old_class
), events AS (
    SELECT gen_random_uuid() AS event_id, uscc, region_code, figures_year, old_class FROM unclassified
)
INSERT INTO outbox (event_id, event_type, aggregate_id, envelope)
SELECT event_id, 'enterprise.size_class_changed', uscc, jsonb_build_object(
    'event_id', event_id, 'type', 'enterprise.size_class_changed', 'version', 1,
    'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
    'source', 'enterprises', 'correlation_id', 'migration-0002-financial-firms',
    'payload', jsonb_build_object('uscc', uscc, 'region_code', region_code, 'from', old_class,
                                  'to', NULL, 'size_rule', 'financial:not_classified',
                                  'figures_year', figures_year))
FROM events;
