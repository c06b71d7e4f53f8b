-- Legacy migrations: one row per run of a job (config/migrations/<job>.yml). A real run commits
-- each batch together with its progress (source position and counts), so a run killed at any
-- point resumes from its last committed batch, neither repeating nor skipping a record.
create table migration_run (
    id            uuid primary key,
    job           text        not null,
    dry_run       boolean     not null,
    trigger       text        not null,                -- SCHEDULE | API | CLI
    scheduled_for timestamptz,                          -- the cron time a scheduled run answers
    status        text        not null,                -- RUNNING | SUCCEEDED | STOPPED | FAILED
    reason        text,
    owner_node    text,
    lease_until   timestamptz,
    resumed       integer     not null default 0,      -- times taken over after its node died
    progress      jsonb       not null,
    report        jsonb,                                -- the final report, once ended
    started_at    timestamptz not null default now(),
    finished_at   timestamptz,
    -- one run per cron time, whichever node fires first
    unique (job, scheduled_for)
);
-- one running run per job, whatever the number of hubs
create unique index migration_run_running_idx on migration_run (job) where status = 'RUNNING';
create index migration_run_job_idx on migration_run (job, started_at desc);

-- Records a run refused (one row per reason) and records whose parent is missing.
create table migration_rejected (
    run_id    uuid   not null references migration_run (id) on delete cascade,
    seq       bigserial,
    step      text   not null,
    kind      text   not null,                         -- QUARANTINED | MISSING_PARENT
    source_id text,
    line      bigint,
    field     text,
    reason    text   not null,
    value     text,
    payload   jsonb,
    primary key (run_id, seq)
);

-- The source system of the shipped legacy mappings (config/mappings/legacy-*.yml).
insert into external_system values ('LEGACY', 'Legacy CRM exports (migrations)');
