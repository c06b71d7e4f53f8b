-- CRM store, version 1: the entities, their picklists, and the hub's own bookkeeping.
-- Picklists are reference tables with foreign keys, so the database itself refuses free text.

create table country (
    code char(2) primary key check (code ~ '^[A-Z]{2}$'),
    name text not null
);

create table account_status (code text primary key, description text not null);
insert into account_status values
    ('ACTIVE', 'Doing business'), ('INACTIVE', 'No longer doing business'),
    ('BLOCKED', 'Blocked for orders (credit, legal)'), ('MERGED', 'Merged into another account');

create table contact_role (code text primary key, description text not null);
insert into contact_role values
    ('DECISION_MAKER', 'Decides on purchases'), ('BUYER', 'Places orders'), ('BILLING', 'Receives invoices'),
    ('TECHNICAL', 'Technical contact'), ('EXECUTIVE', 'Executive, C-level'), ('OWNER', 'Owner of the business'),
    ('OTHER', 'Any other role');

create table order_status (code text primary key, description text not null);
insert into order_status values
    ('NEW', 'Placed, not yet processed'), ('CONFIRMED', 'Accepted by the ERP'), ('SHIPPED', 'Goods shipped'),
    ('INVOICED', 'Invoice created'), ('COMPLETED', 'Done, customer notified'), ('CANCELLED', 'Cancelled'),
    ('FAILED', 'Could not be processed; see failure_reason');

create table task_priority (code text primary key, rank int not null unique);
insert into task_priority values ('LOW', 1), ('NORMAL', 2), ('HIGH', 3), ('URGENT', 4);

create table task_status (code text primary key, description text not null);
insert into task_status values
    ('OPEN', 'Not started'), ('IN_PROGRESS', 'Being worked on'), ('DONE', 'Completed'), ('CANCELLED', 'Cancelled');

create table external_system (code text primary key, description text not null);
insert into external_system values
    ('ERP', 'Legacy ERP'), ('BILLING', 'Billing system'), ('SALESFORCE', 'Salesforce'), ('MAIL', 'E-mail');

create table app_user (
    id           uuid primary key default gen_random_uuid(),
    username     text not null unique,
    display_name text not null,
    email        text,
    active       boolean not null default true,
    created_at   timestamptz not null default now()
);

create table account (
    id             uuid primary key default gen_random_uuid(),
    name           text not null check (length(btrim(name)) > 0),
    parent_id      uuid references account (id),
    owner_id       uuid references app_user (id),
    street         text,
    postal_code    text,
    city           text,
    country        char(2) references country (code),
    phone          text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
    email          text check (email = lower(email)),
    website        text,
    credit_terms   text,
    status         text not null default 'ACTIVE' references account_status (code),
    customer_since date,
    merged_into    uuid references account (id),
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    version        bigint not null default 0,
    check (parent_id is null or parent_id <> id),
    check ((status = 'MERGED') = (merged_into is not null))
);
create index account_parent_idx on account (parent_id);
create index account_owner_idx on account (owner_id);
create index account_lower_name_idx on account (lower(name));

create table contact (
    id         uuid primary key default gen_random_uuid(),
    account_id uuid not null references account (id),
    owner_id   uuid references app_user (id),
    first_name text,
    last_name  text not null check (length(btrim(last_name)) > 0),
    email      text check (email = lower(email)),
    phone      text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
    role       text references contact_role (code),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version    bigint not null default 0
);
create index contact_account_idx on contact (account_id);
create index contact_email_idx on contact (email);

create table sales_order (
    id             uuid primary key default gen_random_uuid(),
    account_id     uuid not null references account (id),
    contact_id     uuid references contact (id),
    owner_id       uuid references app_user (id),
    order_number   text not null unique,
    order_date     date not null,
    status         text not null default 'NEW' references order_status (code),
    currency       char(3) not null check (currency ~ '^[A-Z]{3}$'),
    total          numeric(15, 2) not null check (total >= 0),
    failure_reason text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    version        bigint not null default 0,
    check ((status = 'FAILED') = (failure_reason is not null))
);
create index sales_order_account_idx on sales_order (account_id);

create table order_line (
    order_id    uuid not null references sales_order (id) on delete cascade,
    line_number int not null check (line_number > 0),
    sku         text not null,
    description text,
    quantity    numeric(15, 3) not null check (quantity > 0),
    unit_price  numeric(15, 2) not null check (unit_price >= 0),
    primary key (order_id, line_number)
);

create table task (
    id            uuid primary key default gen_random_uuid(),
    subject       text not null,
    assignee_id   uuid references app_user (id),
    due_date      date,
    priority      text not null default 'NORMAL' references task_priority (code),
    status        text not null default 'OPEN' references task_status (code),
    concerns_type text not null check (concerns_type in ('ACCOUNT', 'CONTACT', 'ORDER')),
    concerns_id   uuid not null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index task_concerns_idx on task (concerns_type, concerns_id);
create index task_assignee_open_idx on task (assignee_id) where status in ('OPEN', 'IN_PROGRESS');

create table note (
    id            uuid primary key default gen_random_uuid(),
    concerns_type text not null check (concerns_type in ('ACCOUNT', 'CONTACT', 'ORDER')),
    concerns_id   uuid not null,
    author_id     uuid references app_user (id),
    body          text not null,
    created_at    timestamptz not null default now()
);
create index note_concerns_idx on note (concerns_type, concerns_id);

-- The backbone of "no duplicates": every CRM record's id in every outside system. One external id
-- maps to one CRM record, and one CRM record has at most one id per system.
create table xref (
    entity_type       text not null check (entity_type in ('ACCOUNT', 'CONTACT', 'ORDER')),
    system            text not null references external_system (code),
    external_id       text not null,
    crm_id            uuid not null,
    source_changed_at timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (entity_type, system, external_id),
    unique (entity_type, crm_id, system)
);

-- Transactional outbox: CRM change events written in the same transaction as the change.
create table outbox_event (
    id             bigserial primary key,
    aggregate_type text not null,
    aggregate_id   uuid not null,
    event_type     text not null,
    origin         text not null,
    payload        jsonb not null,
    created_at     timestamptz not null default now(),
    published_at   timestamptz
);
create index outbox_unpublished_idx on outbox_event (id) where published_at is null;

-- Idempotent receivers: a message key is recorded in the same transaction as its effect.
create table processed_message (
    consumer     text not null,
    message_key  text not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, message_key)
);

-- Per-source change-polling position: the last (changed_at, key) fully published.
create table watermark (
    source          text primary key,
    last_changed_at timestamp not null,
    last_key        text not null,
    updated_at      timestamptz not null default now()
);

-- Rejected records, with every reason and the payload exactly as it arrived. A redelivered
-- message (same message_key) is quarantined once.
create table quarantine (
    id          bigserial primary key,
    message_key text unique,
    source      text not null,
    entity_type text not null,
    source_id   text,
    reasons     jsonb not null check (jsonb_typeof(reasons) = 'array' and jsonb_array_length(reasons) > 0),
    payload     text not null,
    received_at timestamptz not null default now(),
    status      text not null default 'OPEN' check (status in ('OPEN', 'REPLAYED', 'DISCARDED')),
    resolved_at timestamptz
);
create index quarantine_open_idx on quarantine (source, entity_type) where status = 'OPEN';

insert into country (code, name) values
    ('AD', 'Andorra'),
    ('AE', 'United Arab Emirates'),
    ('AF', 'Afghanistan'),
    ('AG', 'Antigua & Barbuda'),
    ('AI', 'Anguilla'),
    ('AL', 'Albania'),
    ('AM', 'Armenia'),
    ('AO', 'Angola'),
    ('AQ', 'Antarctica'),
    ('AR', 'Argentina'),
    ('AS', 'American Samoa'),
    ('AT', 'Austria'),
    ('AU', 'Australia'),
    ('AW', 'Aruba'),
    ('AX', 'Åland Islands'),
    ('AZ', 'Azerbaijan'),
    ('BA', 'Bosnia & Herzegovina'),
    ('BB', 'Barbados'),
    ('BD', 'Bangladesh'),
    ('BE', 'Belgium'),
    ('BF', 'Burkina Faso'),
    ('BG', 'Bulgaria'),
    ('BH', 'Bahrain'),
    ('BI', 'Burundi'),
    ('BJ', 'Benin'),
    ('BL', 'St. Barthélemy'),
    ('BM', 'Bermuda'),
    ('BN', 'Brunei'),
    ('BO', 'Bolivia'),
    ('BQ', 'Caribbean Netherlands'),
    ('BR', 'Brazil'),
    ('BS', 'Bahamas'),
    ('BT', 'Bhutan'),
    ('BV', 'Bouvet Island'),
    ('BW', 'Botswana'),
    ('BY', 'Belarus'),
    ('BZ', 'Belize'),
    ('CA', 'Canada'),
    ('CC', 'Cocos (Keeling) Islands'),
    ('CD', 'Congo - Kinshasa'),
    ('CF', 'Central African Republic'),
    ('CG', 'Congo - Brazzaville'),
    ('CH', 'Switzerland'),
    ('CI', 'Côte d’Ivoire'),
    ('CK', 'Cook Islands'),
    ('CL', 'Chile'),
    ('CM', 'Cameroon'),
    ('CN', 'China'),
    ('CO', 'Colombia'),
    ('CR', 'Costa Rica'),
    ('CU', 'Cuba'),
    ('CV', 'Cape Verde'),
    ('CW', 'Curaçao'),
    ('CX', 'Christmas Island'),
    ('CY', 'Cyprus'),
    ('CZ', 'Czechia'),
    ('DE', 'Germany'),
    ('DJ', 'Djibouti'),
    ('DK', 'Denmark'),
    ('DM', 'Dominica'),
    ('DO', 'Dominican Republic'),
    ('DZ', 'Algeria'),
    ('EC', 'Ecuador'),
    ('EE', 'Estonia'),
    ('EG', 'Egypt'),
    ('EH', 'Western Sahara'),
    ('ER', 'Eritrea'),
    ('ES', 'Spain'),
    ('ET', 'Ethiopia'),
    ('FI', 'Finland'),
    ('FJ', 'Fiji'),
    ('FK', 'Falkland Islands'),
    ('FM', 'Micronesia'),
    ('FO', 'Faroe Islands'),
    ('FR', 'France'),
    ('GA', 'Gabon'),
    ('GB', 'United Kingdom'),
    ('GD', 'Grenada'),
    ('GE', 'Georgia'),
    ('GF', 'French Guiana'),
    ('GG', 'Guernsey'),
    ('GH', 'Ghana'),
    ('GI', 'Gibraltar'),
    ('GL', 'Greenland'),
    ('GM', 'Gambia'),
    ('GN', 'Guinea'),
    ('GP', 'Guadeloupe'),
    ('GQ', 'Equatorial Guinea'),
    ('GR', 'Greece'),
    ('GS', 'South Georgia & South Sandwich Islands'),
    ('GT', 'Guatemala'),
    ('GU', 'Guam'),
    ('GW', 'Guinea-Bissau'),
    ('GY', 'Guyana'),
    ('HK', 'Hong Kong SAR China'),
    ('HM', 'Heard & McDonald Islands'),
    ('HN', 'Honduras'),
    ('HR', 'Croatia'),
    ('HT', 'Haiti'),
    ('HU', 'Hungary'),
    ('ID', 'Indonesia'),
    ('IE', 'Ireland'),
    ('IL', 'Israel'),
    ('IM', 'Isle of Man'),
    ('IN', 'India'),
    ('IO', 'British Indian Ocean Territory'),
    ('IQ', 'Iraq'),
    ('IR', 'Iran'),
    ('IS', 'Iceland'),
    ('IT', 'Italy'),
    ('JE', 'Jersey'),
    ('JM', 'Jamaica'),
    ('JO', 'Jordan'),
    ('JP', 'Japan'),
    ('KE', 'Kenya'),
    ('KG', 'Kyrgyzstan'),
    ('KH', 'Cambodia'),
    ('KI', 'Kiribati'),
    ('KM', 'Comoros'),
    ('KN', 'St. Kitts & Nevis'),
    ('KP', 'North Korea'),
    ('KR', 'South Korea'),
    ('KW', 'Kuwait'),
    ('KY', 'Cayman Islands'),
    ('KZ', 'Kazakhstan'),
    ('LA', 'Laos'),
    ('LB', 'Lebanon'),
    ('LC', 'St. Lucia'),
    ('LI', 'Liechtenstein'),
    ('LK', 'Sri Lanka'),
    ('LR', 'Liberia'),
    ('LS', 'Lesotho'),
    ('LT', 'Lithuania'),
    ('LU', 'Luxembourg'),
    ('LV', 'Latvia'),
    ('LY', 'Libya'),
    ('MA', 'Morocco'),
    ('MC', 'Monaco'),
    ('MD', 'Moldova'),
    ('ME', 'Montenegro'),
    ('MF', 'St. Martin'),
    ('MG', 'Madagascar'),
    ('MH', 'Marshall Islands'),
    ('MK', 'North Macedonia'),
    ('ML', 'Mali'),
    ('MM', 'Myanmar (Burma)'),
    ('MN', 'Mongolia'),
    ('MO', 'Macao SAR China'),
    ('MP', 'Northern Mariana Islands'),
    ('MQ', 'Martinique'),
    ('MR', 'Mauritania'),
    ('MS', 'Montserrat'),
    ('MT', 'Malta'),
    ('MU', 'Mauritius'),
    ('MV', 'Maldives'),
    ('MW', 'Malawi'),
    ('MX', 'Mexico'),
    ('MY', 'Malaysia'),
    ('MZ', 'Mozambique'),
    ('NA', 'Namibia'),
    ('NC', 'New Caledonia'),
    ('NE', 'Niger'),
    ('NF', 'Norfolk Island'),
    ('NG', 'Nigeria'),
    ('NI', 'Nicaragua'),
    ('NL', 'Netherlands'),
    ('NO', 'Norway'),
    ('NP', 'Nepal'),
    ('NR', 'Nauru'),
    ('NU', 'Niue'),
    ('NZ', 'New Zealand'),
    ('OM', 'Oman'),
    ('PA', 'Panama'),
    ('PE', 'Peru'),
    ('PF', 'French Polynesia'),
    ('PG', 'Papua New Guinea'),
    ('PH', 'Philippines'),
    ('PK', 'Pakistan'),
    ('PL', 'Poland'),
    ('PM', 'St. Pierre & Miquelon'),
    ('PN', 'Pitcairn Islands'),
    ('PR', 'Puerto Rico'),
    ('PS', 'Palestinian Territories'),
    ('PT', 'Portugal'),
    ('PW', 'Palau'),
    ('PY', 'Paraguay'),
    ('QA', 'Qatar'),
    ('RE', 'Réunion'),
    ('RO', 'Romania'),
    ('RS', 'Serbia'),
    ('RU', 'Russia'),
    ('RW', 'Rwanda'),
    ('SA', 'Saudi Arabia'),
    ('SB', 'Solomon Islands'),
    ('SC', 'Seychelles'),
    ('SD', 'Sudan'),
    ('SE', 'Sweden'),
    ('SG', 'Singapore'),
    ('SH', 'St. Helena'),
    ('SI', 'Slovenia'),
    ('SJ', 'Svalbard & Jan Mayen'),
    ('SK', 'Slovakia'),
    ('SL', 'Sierra Leone'),
    ('SM', 'San Marino'),
    ('SN', 'Senegal'),
    ('SO', 'Somalia'),
    ('SR', 'Suriname'),
    ('SS', 'South Sudan'),
    ('ST', 'São Tomé & Príncipe'),
    ('SV', 'El Salvador'),
    ('SX', 'Sint Maarten'),
    ('SY', 'Syria'),
    ('SZ', 'Eswatini'),
    ('TC', 'Turks & Caicos Islands'),
    ('TD', 'Chad'),
    ('TF', 'French Southern Territories'),
    ('TG', 'Togo'),
    ('TH', 'Thailand'),
    ('TJ', 'Tajikistan'),
    ('TK', 'Tokelau'),
    ('TL', 'Timor-Leste'),
    ('TM', 'Turkmenistan'),
    ('TN', 'Tunisia'),
    ('TO', 'Tonga'),
    ('TR', 'Turkey'),
    ('TT', 'Trinidad & Tobago'),
    ('TV', 'Tuvalu'),
    ('TW', 'Taiwan'),
    ('TZ', 'Tanzania'),
    ('UA', 'Ukraine'),
    ('UG', 'Uganda'),
    ('UM', 'U.S. Outlying Islands'),
    ('US', 'United States'),
    ('UY', 'Uruguay'),
    ('UZ', 'Uzbekistan'),
    ('VA', 'Vatican City'),
    ('VC', 'St. Vincent & Grenadines'),
    ('VE', 'Venezuela'),
    ('VG', 'British Virgin Islands'),
    ('VI', 'U.S. Virgin Islands'),
    ('VN', 'Vietnam'),
    ('VU', 'Vanuatu'),
    ('WF', 'Wallis & Futuna'),
    ('WS', 'Samoa'),
    ('YE', 'Yemen'),
    ('YT', 'Mayotte'),
    ('ZA', 'South Africa'),
    ('ZM', 'Zambia'),
    ('ZW', 'Zimbabwe');
