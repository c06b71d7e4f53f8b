-- One poller per source across hub instances: whoever holds an unexpired lease polls.
create table poller_lease (
    source     text primary key,
    owner      text not null,
    expires_at timestamptz not null
);

-- Dead letters replayed by an operator, so that one is not replayed twice by accident.
create table dead_letter_replay (
    topic       text not null,
    partition   int not null,
    "offset"    bigint not null,
    replayed_by text not null,
    replayed_at timestamptz not null default now(),
    primary key (topic, partition, "offset")
);
