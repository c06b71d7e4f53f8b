-- The duplicate check's commit order: every writer that indexes blocking keys moves this counter
-- before it commits and holds its row lock until then (CrmDuplicates.confirm). It replaces one
-- advisory lock per key, which put thousands of locks into one migration batch.
create table match_epoch (
    id int primary key check (id = 1),
    n  bigint not null
);
insert into match_epoch values (1, 0);
