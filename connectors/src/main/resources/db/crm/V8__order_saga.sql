-- Orders placed in the CRM run as a saga (ERP, billing, confirmation e-mail): the order holds the
-- saga that runs it, set once, so a redelivered "order placed" event never starts a second one.
alter table sales_order add column saga_id text references saga (id);
create unique index sales_order_saga_idx on sales_order (saga_id);

-- CRM order numbers fit the ERP's ten-character order number: C000000001, C000000002, ...
create sequence crm_order_number_seq;
