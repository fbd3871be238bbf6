-- The newest source version each province has sent per entity (in every service schema):
-- a provincial update older than, or as old as, the one applied is ignored and counted.
-- Keyed by province too: an entity moved to another province starts that province's count.

CREATE TABLE provincial_version (
    province        char(2)     NOT NULL,
    entity          text        NOT NULL,
    entity_key      text        NOT NULL,
    source_version  bigint      NOT NULL,
    event_id        uuid        NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province, entity, entity_key)
);
