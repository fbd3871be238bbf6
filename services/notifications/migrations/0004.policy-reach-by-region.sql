-- The scoring runs read policy notices per region and period (政策直享 reach): enterprises' policy
-- notices by region code and time of writing.
CREATE INDEX notice_policy_by_region ON notice (region_code, created_at)
    WHERE about_type = 'policy' AND recipient_kind = 'enterprise';
