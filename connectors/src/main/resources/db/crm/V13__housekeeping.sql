-- The purge of what only the hub's machinery needs (Housekeeping) finds rows by age. BRIN indexes
-- suit columns that grow with the table's insertion order: a few pages for millions of rows, next
-- to nothing to maintain per insert, and a purge with nothing to remove reads a handful of pages
-- instead of the whole table.
create index processed_message_age_idx on processed_message using brin (processed_at) with (autosummarize = on);
create index outbox_event_age_idx on outbox_event using brin (created_at) with (autosummarize = on);
