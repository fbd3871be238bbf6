-- Who each finance provider is and where, as its latest change says (provider.registered and
-- provider.updated, and the details provider.admitted and provider.exited carry): a provider that
-- moves region answers the financing needs of its new region. provider_membership keeps what each
-- admission said; the boards read the details from here.
CREATE TABLE provider (
    provider_id  integer PRIMARY KEY,
    name         text    NOT NULL,
    uscc         text COLLATE "C" NOT NULL,
    region_code  text COLLATE "C" NOT NULL,
    -- when the agencies service made the change copied here; an older one never overwrites it
    changed_at   timestamptz NOT NULL
);

INSERT INTO provider (provider_id, name, uscc, region_code, changed_at)
SELECT DISTINCT ON (provider_id) provider_id, name, uscc, region_code, changed_at
  FROM provider_membership ORDER BY provider_id, changed_at DESC;
