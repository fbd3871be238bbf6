-- 一企一档: the SME database. One row per enterprise keyed by its unified social
-- credit code, its figures by year, and its tier awards.
--
-- The latest year's figures and the size class are copied onto the enterprise
-- row (settled by the service on every change) so that criteria counts read
-- one indexed table. Codes use the "C" collation, so prefix matches
-- (region_code LIKE '32%', industry_code LIKE 'C3%') use the btree indexes.

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE enterprise (
    uscc             text COLLATE "C" PRIMARY KEY CHECK (uscc ~ '^[0-9A-Z]{18}$'),
    name             text          NOT NULL,
    legal_form       text,
    registered_on    date,
    region_code      text COLLATE "C" NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    province_code    text COLLATE "C" NOT NULL,
    city_code        text COLLATE "C",
    park             text,
    industry_code    text COLLATE "C" NOT NULL CHECK (industry_code ~ '^[A-T][0-9]{0,4}$'),
    contact          jsonb,
    tags             text[]        NOT NULL DEFAULT '{}',
    -- the latest year's figures (copied from enterprise_figures)
    figures_year     smallint      NOT NULL,
    employees        integer       NOT NULL CHECK (employees >= 0),
    revenue          numeric(14,2) NOT NULL CHECK (revenue >= 0),
    total_assets     numeric(14,2) CHECK (total_assets >= 0),
    rd_expense       numeric(14,2) CHECK (rd_expense >= 0),
    ip_class1_count  integer       CHECK (ip_class1_count >= 0),
    -- computed under 工信部联企业〔2011〕300号, never typed in
    size_class       text          NOT NULL CHECK (size_class IN ('large', 'medium', 'small', 'micro')),
    size_rule        text          NOT NULL,
    created_at       timestamptz   NOT NULL DEFAULT now(),
    updated_at       timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX enterprise_region ON enterprise (region_code);
CREATE INDEX enterprise_industry ON enterprise (industry_code);
CREATE INDEX enterprise_size ON enterprise (size_class, region_code);
CREATE INDEX enterprise_tags ON enterprise USING gin (tags);
-- name substring search (pg_trgm extracts trigrams from Chinese text under a UTF-8 ctype)
CREATE INDEX enterprise_name_trgm ON enterprise USING gin (name public.gin_trgm_ops);
-- names listed in pinyin order
CREATE INDEX enterprise_name_order ON enterprise ((name COLLATE "zh-x-icu"), uscc);

-- 年度经营数据: one row per enterprise and year.
CREATE TABLE enterprise_figures (
    uscc             text COLLATE "C" NOT NULL REFERENCES enterprise (uscc) ON DELETE CASCADE,
    year             smallint      NOT NULL CHECK (year BETWEEN 1949 AND 2200),
    employees        integer       NOT NULL CHECK (employees >= 0),
    revenue          numeric(14,2) NOT NULL CHECK (revenue >= 0),
    total_assets     numeric(14,2) CHECK (total_assets >= 0),
    rd_expense       numeric(14,2) CHECK (rd_expense >= 0),
    ip_class1_count  integer       CHECK (ip_class1_count >= 0),
    PRIMARY KEY (uscc, year)
);

-- 优质中小企业梯度培育: tier awards, kept after they expire.
CREATE TABLE enterprise_tier (
    uscc              text COLLATE "C" NOT NULL REFERENCES enterprise (uscc) ON DELETE CASCADE,
    tier              text NOT NULL CHECK (tier IN ('tech_sme', 'innovative_sme', 'specialized_sme', 'little_giant')),
    certificate_no    text NOT NULL CHECK (certificate_no <> ''),
    level             text NOT NULL CHECK (level IN ('national', 'province', 'city')),
    awarded_on        date NOT NULL,
    expires_on        date NOT NULL CHECK (expires_on > awarded_on),
    -- whether enterprise.tier_changed has announced the expiry
    expiry_announced  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (uscc, tier, certificate_no)
);
CREATE INDEX enterprise_tier_current ON enterprise_tier (tier, expires_on, uscc);
CREATE INDEX enterprise_tier_expiring ON enterprise_tier (expires_on) WHERE NOT expiry_announced;
