-- 一企一档: one row per SME, keyed by its unified social credit code.
CREATE TABLE enterprise (
    uscc           char(18)      PRIMARY KEY,
    name           text          NOT NULL,
    region_code    char(6)       NOT NULL,
    province_code  char(6)       NOT NULL,
    city_code      char(6),
    industry_code  varchar(5)    NOT NULL,
    employees      integer       NOT NULL CHECK (employees >= 0),
    revenue        numeric(14,2) NOT NULL CHECK (revenue >= 0),
    registered_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at     timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX enterprise_region ON enterprise (region_code);
CREATE INDEX enterprise_industry ON enterprise (industry_code);
