-- Records that arrived before the record they point to (a contact or an order before its
-- account). They are not written as orphans and get no placeholder parent: they wait here, are
-- applied as soon as the parent is in the CRM, and go to quarantine (MISSING_PARENT) once they
-- have waited longer than hub.sync.parent-wait.
create table waiting_record (
    message_key        text primary key,
    entity_type        text not null,
    system             text not null references external_system (code),
    external_id        text not null,
    parent_type        text not null,
    parent_external_id text not null,
    payload            jsonb not null,
    first_seen_at      timestamptz not null default now()
);
create index waiting_record_parent_idx on waiting_record (parent_type, system, parent_external_id);
create index waiting_record_entity_idx on waiting_record (entity_type, first_seen_at);
