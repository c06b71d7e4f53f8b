-- The saga log: every saga the hub runs and each step's compensation and completion, recorded in
-- the CRM store (a step's row in the same transaction as the step's local effect when the route
-- runs transacted), so that a crash forgets nothing: on restart, sagas that were compensating or
-- completing carry on, and sagas past their time-out are compensated.
create table saga (
    id              text primary key,
    status          text not null check (status in ('RUNNING', 'COMPENSATING', 'COMPENSATED', 'COMPLETING', 'COMPLETED')),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    timeout_at      timestamptz not null,
    attempts        int not null default 0,
    next_attempt_at timestamptz,
    claimed_by      text,
    claimed_until   timestamptz,
    -- why it was compensated: the failure of the route, or 'timed out'
    reason          text,
    -- the last failure of a compensation or completion endpoint (tried again with back-off)
    last_error      text
);
create index saga_pending_idx on saga (status, timeout_at) where status in ('RUNNING', 'COMPENSATING', 'COMPLETING');

-- A step: the endpoints that undo it (compensation) and confirm it (completion), the option values
-- they receive as headers, and when each ran. Steps are undone in reverse order of their id.
create table saga_step (
    id             bigserial primary key,
    saga_id        text not null references saga (id),
    compensation   text,
    completion     text,
    options        jsonb not null,
    began_at       timestamptz not null default now(),
    compensated_at timestamptz,
    completed_at   timestamptz
);
create index saga_step_saga_idx on saga_step (saga_id, id);
