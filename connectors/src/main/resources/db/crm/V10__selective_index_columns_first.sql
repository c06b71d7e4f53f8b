-- Indexes lead with their selective column. The cross-reference's key led with entity_type and
-- system: statistics taken before a table held any orders say entity_type = 'ORDER' matches about
-- one row, and the planner then read every order's xref row for each key looked up (by the
-- (entity_type, crm_id) index, filtering on external_id: the order step of a legacy migration fell
-- to a few hundred records per second until autovacuum analyzed the table). With external_id
-- first, a look-up by external id has one way to go. The processed keys are looked up by key alone
-- when the ERP poller checks its overlap window: the key first, so that this is an index look-up.
alter table xref drop constraint xref_pkey;
alter table xref add primary key (external_id, entity_type, system);
drop index xref_crm_idx;
create index xref_crm_idx on xref (crm_id, entity_type);

alter table processed_message drop constraint processed_message_pkey;
alter table processed_message add primary key (message_key, consumer);
