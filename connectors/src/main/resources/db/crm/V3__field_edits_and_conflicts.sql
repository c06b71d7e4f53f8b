-- When the CRM last edited each field of a record: the CRM's side of last-writer-wins.
create table field_edit (
    entity_type text not null,
    crm_id      uuid not null,
    field       text not null,
    edited_at   timestamptz not null,
    primary key (entity_type, crm_id, field)
);

-- Fields both sides changed within the clock-skew tolerance: kept for a person to decide. The CRM
-- value stays in place meanwhile; the source's value is kept here, so nothing is lost.
create table sync_conflict (
    id                bigserial primary key,
    entity_type       text not null,
    crm_id            uuid not null,
    field             text not null,
    crm_value         text,
    crm_edited_at     timestamptz not null,
    source            text not null,
    source_value      text,
    source_changed_at timestamptz not null,
    detected_at       timestamptz not null default now(),
    status            text not null default 'OPEN' check (status in ('OPEN', 'RESOLVED')),
    resolution        text,
    resolved_by       text,
    resolved_at       timestamptz
);
create index sync_conflict_open_idx on sync_conflict (entity_type, crm_id) where status = 'OPEN';
