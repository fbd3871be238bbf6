-- Library search in Chinese. PostgreSQL has no Chinese word splitter here, so every
-- entry is indexed by its character bigrams (the CJK bigram approach of Lucene's
-- CJKAnalyzer): a term's bigrams must all be present (GIN, @>), then ILIKE checks the
-- exact substring. Works for any script and any locale, for terms of two characters up.
-- fastupdate is off: entries change rarely, searches are frequent and must not wait
-- for a pending list to be merged.

CREATE FUNCTION bigrams(content text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT substr(lower(content), i, 2)), '{}')
    FROM generate_series(1, length(content) - 1) AS i
$$;

CREATE TABLE search_entry (
    kind           text        NOT NULL,
    ref_id         integer     NOT NULL,
    title          text        NOT NULL,
    body           text        NOT NULL,
    service_areas  text[]      NOT NULL,
    region_code    char(6),
    visible        boolean     NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    document       text        GENERATED ALWAYS AS (title || ' ' || body) STORED,
    grams          text[]      GENERATED ALWAYS AS (bigrams(title || ' ' || body)) STORED,
    PRIMARY KEY (kind, ref_id)
);
CREATE INDEX search_entry_grams ON search_entry USING gin (grams) WITH (fastupdate = off);
