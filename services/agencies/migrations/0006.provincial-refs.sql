-- What provinces call the agencies and policies they publish: their own reference per
-- province and kind, mapped to OneNet's id (a newer version of a published policy maps
-- the reference to the policy that replaced it).
CREATE TABLE provincial_ref (
    province    char(2) NOT NULL,
    kind        text    NOT NULL CHECK (kind IN ('agency', 'policy')),
    ref         text    NOT NULL,
    local_id    integer NOT NULL,
    PRIMARY KEY (province, kind, ref)
);
