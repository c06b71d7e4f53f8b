-- Duplicate detection in the CRM store.

-- Blocking keys of every CRM account: the duplicate check of an incoming record is an indexed
-- look-up of its keys, never a scan.
create table match_key (
    entity_type text not null,
    key         text not null,
    crm_id      uuid not null,
    primary key (entity_type, key, crm_id)
);
create index match_key_record_idx on match_key (crm_id);

-- Possible duplicates for a person to decide: the record that came in, the one it may duplicate,
-- and the evidence.
create table duplicate_candidate (
    id          bigserial primary key,
    entity_type text not null,
    crm_id      uuid not null,
    other_id    uuid not null,
    score       numeric not null,
    evidence    jsonb not null,
    source      text,
    detected_at timestamptz not null default now(),
    status      text not null default 'OPEN' check (status in ('OPEN', 'MERGED', 'DISTINCT')),
    decided_by  text,
    decided_at  timestamptz,
    check (crm_id <> other_id),
    unique (entity_type, crm_id, other_id)
);
create index duplicate_candidate_open_idx on duplicate_candidate (entity_type, detected_at) where status = 'OPEN';

-- Pairs a person declared different: never proposed again. The lower id first.
create table distinct_pair (
    entity_type text not null,
    low_id      uuid not null,
    high_id     uuid not null,
    decided_by  text not null,
    decided_at  timestamptz not null default now(),
    primary key (entity_type, low_id, high_id),
    check (low_id < high_id)
);

-- Every merge: who survived, who was merged into it, which record each field's value came from,
-- and what moved.
create table merge_history (
    id          bigserial primary key,
    entity_type text not null,
    survivor_id uuid not null,
    merged_id   uuid not null,
    merged_by   text not null,
    merged_at   timestamptz not null default now(),
    fields      jsonb not null,
    moved       jsonb not null
);
create index merge_history_survivor_idx on merge_history (survivor_id);

-- After a merge one CRM record holds the ids of both records in a system (two ERP customers that
-- were one company): every one of them must keep landing on the survivor.
-- Such a second id is secondary: it names a duplicate inside its own system. Its changes only fill
-- fields the CRM record lacks, and the hub writes CRM changes to the system's primary id only.
alter table xref drop constraint xref_entity_type_crm_id_system_key;
alter table xref add column secondary boolean not null default false;
create index xref_crm_idx on xref (entity_type, crm_id);
