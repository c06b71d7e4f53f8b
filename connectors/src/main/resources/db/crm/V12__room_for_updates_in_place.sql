-- What a synchronized record costs to write, insert or update.
--
-- Pointers most records leave empty are indexed only where they are set: an account without
-- parent or owner (nearly all that the ERP and the legacy loads bring) wrote two index entries
-- for nothing, and two more on each update that moved the row. Look-ups by these columns, the
-- foreign keys' checks among them, name a value and still use the indexes.
drop index account_parent_idx;
create index account_parent_idx on account (parent_id) where parent_id is not null;
drop index account_owner_idx;
create index account_owner_idx on account (owner_id) where owner_id is not null;
drop index sales_order_saga_idx;
create unique index sales_order_saga_idx on sales_order (saga_id) where saga_id is not null;

-- Tables a running sync updates in place keep room on each page, so that an update that changes
-- no indexed column can stay on its page (a HOT update) and write no index entry at all. Pages
-- filled by COPY had none: every ERP change of an account moved it to another page. This applies
-- to pages written from now on; a table loaded before gains it as its rows are rewritten.
alter table account set (fillfactor = 85);
alter table contact set (fillfactor = 85);
alter table sales_order set (fillfactor = 85);
alter table xref set (fillfactor = 85);
