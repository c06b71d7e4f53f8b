-- Blocking keys stored as 64-bit hashes instead of their text.
--
-- match_key is the largest index a load writes: about five rows per account or contact, each
-- entry in its primary key carrying the entity type and the key's text (some 30 bytes) and
-- compared as strings. A record's keys are computed again from its values whenever they are
-- needed, so the text is never read back: the store only has to find the records under a key.
-- A 64-bit hash of entity type and key does that with an entry of fixed size compared as an
-- integer. Two different keys on one hash (among 5 million keys, the chance that any two share one
-- is below one in a million) only add a candidate that the matcher then compares like any other.
--
-- The hash is the first 64 bits of the MD5 of "entity_type:key" in UTF-8, the same in SQL (this
-- function, for operators and for the rows below) and in the hub (CrmDuplicates.keyHash).
create function blocking_key_hash(entity_type text, key text) returns bigint
    language sql immutable strict parallel safe
    as $$ select ('x' || substr(md5(entity_type || ':' || key), 1, 16))::bit(64)::bigint $$;

create table match_key_hashed (
    key_hash bigint not null,
    crm_id   uuid   not null,
    primary key (key_hash, crm_id)
);
insert into match_key_hashed (key_hash, crm_id)
select distinct blocking_key_hash(entity_type, key), crm_id from match_key;
drop table match_key;
alter table match_key_hashed rename to match_key;
alter index match_key_hashed_pkey rename to match_key_pkey;
create index match_key_record_idx on match_key (crm_id);
analyze match_key;
