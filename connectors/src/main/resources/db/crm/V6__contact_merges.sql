-- Duplicate contacts are merged like accounts: the merged contact stays, pointing to the one it was
-- merged into, so that nothing that referred to it is lost; it is never matched nor written again.
alter table contact add column merged_into uuid references contact (id);
