-- Demo data as a twenty-year-old ERP holds it: the same company under several spellings and
-- customer numbers, Latin-1 names, country codes of every vintage, broken e-mails and phones,
-- a blank mandatory field, an unknown status code, contacts whose customer does not exist.
INSERT INTO CUSTMST (CUSTNO, CNAME, CNAM2, CSTRT, CZIP, CCITY, CCTRY, CPHON, CEMAL, CWWW, CRTRM, CSTAT, CRDAT, LCHG, LUSR) VALUES
('0000010001', 'Acme Products',                 NULL, '1200 Industrial Pkwy', '44114', 'Cleveland', 'USA', '(216) 555-0142',   'sales@acmeproducts.com',   'www.acmeproducts.com', 'N30', 'A', '20040312', '2024-01-15 08:00:00', 'JSMITH'),
('0000010002', 'Acme Products, Inc.',           NULL, '1200 Industrial Parkway', '44114', 'Cleveland', 'US', '216-555-0142',  'SALES@ACMEPRODUCTS.COM',   'acmeproducts.com',     'N30', 'A', '20110907', '2024-01-15 08:00:00', 'MBROWN'),
('0000010003', 'ACME PRODUCTS INC',             NULL, '1200 INDUSTRIAL PKWY', '44114-2201', 'CLEVELAND', 'US', '2165550142', 'ap@acmeproducts.com',  NULL,                   'N45', 'A', '20150101', '2024-01-15 08:00:00', 'BATCH'),
('0000010004', 'Acme Products, Incorporated',   NULL, '1200 Industrial Pkwy.', '44114', 'Cleveland', 'USA', '+1 216 555 0142', NULL,                  'https://acmeproducts.com', 'N30', 'I', '20190620', '2024-01-15 08:00:01', 'JSMITH'),
('0000010010', 'Müller GmbH',                   NULL, 'Hohenzollernring 12',  '50672', 'Köln',      'D',   '0221 9876543',     'info@mueller-gmbh.de',     'www.mueller-gmbh.de',  'N14', 'A', '19990401', '2024-01-15 08:00:01', 'HKOCH'),
('0000010011', 'Mueller GmbH',                  NULL, 'Hohenzollernring 12',  '50672', 'Koeln',     'GER', '+49 221 9876543',  'info@mueller-gmbh.de',     NULL,                   'N14', 'A', '20120215', '2024-01-15 08:00:02', 'BATCH'),
('0000010012', 'Bäckerei Schröder & Söhne',     'Filiale Süd', 'Königstraße 7', '70173', 'Stuttgart', 'DE',  '0711/223344',   'kontakt@baeckerei-schroeder.de', NULL,         'N07', 'A', '20080101', '2024-01-15 08:00:02', 'HKOCH'),
('0000010020', 'Société Générale de Transport', NULL, '14 rue de la Paix',    '75002', 'Paris',     'F',   '01 42 68 53 00',   'contact@sgt-transport.fr', 'www.sgt-transport.fr', 'N60', 'A', '20070930', '2024-01-15 08:00:03', 'BATCH'),
('0000010021', 'Nordwind Logistik AG',          NULL, 'Bahnhofstrasse 45',    '8001',  'Zürich',    'CH',  '044 211 22 33',    'sales at nordwind.ch',     NULL,                   'N30', 'A', '20160512', '2024-01-15 08:00:03', 'BATCH'),
('0000010022', 'Ørsted Energi A/S',             NULL, 'Kraftværksvej 53',     '7000',  'Fredericia', 'DK', '+45 99 55 11 11',  'info@orsted-energi.dk',    NULL,                   'N30', 'A', '20180301', '2024-01-15 08:00:03', 'BATCH'),
('0000010030', 'SIA Rimi Latvia',               NULL, 'A. Deglava iela 161',  'LV-1021', 'Riga',    'LV',  '+371 67 045 409',  'info@rimi.lv',             'www.rimi.lv',          'N30', 'A', '20130815', '2024-01-15 08:00:04', 'BATCH'),
('0000010031', 'SIA Maxima Latvija',            NULL, 'Abrenes iela 1',       'LV-1050', 'Riga',    'LAT', '+371 67 087 000',  'info@maxima.lv',           NULL,                   'N30', 'A', '20130815', '2024-01-15 08:00:04', 'BATCH'),
('0000010040', 'Stripe Payments Europe Ltd',    NULL, '1 Grand Canal Street', 'D02 H210', 'Dublin', 'IRL', '+353 1 437 1234',  'billing@stripe.com',       'stripe.com',           'N30', 'A', '20200110', '2024-01-15 08:00:05', 'BATCH'),
('0000010041', 'Strix Ltd',                     NULL, 'Forrest House',        'IM9 2RG', 'Ronaldsway', 'IM', '01624 829829',    'info@strix.com',           'strix.com',            'N30', 'A', '20140404', '2024-01-15 08:00:05', 'BATCH'),
('0000010050', 'Ramesh Traders',                NULL, '12 MG Road',           '560001', 'Bengaluru', 'IN', '080 2558 1234',     'ramesh.traders@gmail.com', NULL,                   'N15', 'A', '20170707', '2024-01-15 08:00:06', 'BATCH'),
('0000010051', 'Ganesh Traders',                NULL, '14 MG Road',           '560001', 'Bengaluru', 'IN', '080 2558 9876',     'ganesh.traders@gmail.com', NULL,                   'N15', 'A', '20170708', '2024-01-15 08:00:06', 'BATCH'),
('0000010060', 'Acme Group Ltd',                NULL, '10 Fleet Street',      'EC4Y 1AA', 'London',  'UK',  '020 7946 0958',    'hello@acmegroup.co.uk',    NULL,                   'N30', 'A', '20210301', '2024-01-15 08:00:07', 'BATCH'),
('0000010061', 'Beta Group Ltd',                NULL, '12 Fleet Street',      'EC4Y 1AA', 'London',  'GB',  '020 7946 0321',    'hello@betagroup.co.uk',    NULL,                   'N30', 'A', '20210302', '2024-01-15 08:00:07', 'BATCH'),
('0000010070', '                                ', NULL, 'Unbekannt 1',      '10115', 'Berlin',    'DE',  NULL,               NULL,                       NULL,                   'N30', 'A', '20050505', '2024-01-15 08:00:08', 'BATCH'),
('0000010071', 'Kowalski Sp. z o.o.',           NULL, 'ul. Marszalkowska 10', '00-590', 'Warszawa', 'XX',  '+48 22 628 12 34',  'biuro@kowalski.pl',        NULL,                   'N30', 'A', '20100310', '2024-01-15 08:00:08', 'BATCH'),
('0000010072', 'Hansen & Co. KG',               NULL, 'Speicherstadt 3',      '20457', 'Hamburg',   'DE',  'n/a',              'info@@hansen-co.de',       NULL,                   'N30', 'Z', '20191345', '2024-01-15 08:00:09', 'BATCH'),
('0000010080', 'The Widget Company Ltd',        NULL, '5 Albert Square',      'M2 5DB', 'Manchester', 'GB', '0161 496 0000',    'orders@widgetco.co.uk',    'widgetco.co.uk',       'N30', 'A', '20030303', '2024-01-15 08:00:09', 'BATCH'),
('0000010081', 'Widget Co',                     NULL, '5 Albert Sq',          'M2 5DB', 'Manchester', 'UK', '+44 161 496 0000', 'ORDERS@WIDGETCO.CO.UK',    NULL,                   'N30', 'B', '20160101', '2024-01-15 08:00:10', 'BATCH');

INSERT INTO CONTMST (CONTNO, CUSTNO, FNAME, LNAME, CROLE, CPHON, CEMAL, LCHG, LUSR) VALUES
('C000020001', '0000010001', 'Robert',   'Miller',    'BUY', '(216) 555-0150', 'bob.miller@acmeproducts.com',  '2024-01-15 08:10:00', 'JSMITH'),
('C000020002', '0000010002', 'Bob',      'Miller',    'BUY', '216.555.0150',   'Bob.Miller@AcmeProducts.com',  '2024-01-15 08:10:00', 'MBROWN'),
('C000020003', '0000010010', 'Jürgen',   'Müller',    'CEO', '0221 9876540',   'j.mueller@mueller-gmbh.de',    '2024-01-15 08:10:01', 'HKOCH'),
('C000020004', '0000010012', 'Käthe',    'Schröder',  'OWN', '0711/223340',    'kaethe@baeckerei-schroeder.de','2024-01-15 08:10:01', 'HKOCH'),
('C000020005', '0000010020', 'François', 'Lefèvre',   'ACC', '01 42 68 53 01', 'f.lefevre@sgt-transport',      '2024-01-15 08:10:02', 'BATCH'),
('C000020006', '0000099999', 'Peggy',    'Olson',     'BUY', '+1 212 555 0101','peggy@sterling-cooper.com',    '2024-01-15 08:10:02', 'BATCH'),
('C000020007', '0000010030', 'Ilze',     'Berzina',   'ACC', '+371 2000 0000', 'ilze.berzina@rimi.lv',         '2024-01-15 08:10:03', 'BATCH'),
('C000020008', '0000010050', 'Ramesh',   'Kumar',     'OWN', 'none',           'ramesh.traders@gmail.com',     '2024-01-15 08:10:03', 'BATCH');

INSERT INTO ORDHDR (ORDNO, CUSTNO, ODATE, OSTAT, CURR, OTOTL, LCHG, LUSR) VALUES
('O000030001', '0000010001', '20240110', 'OP', 'USD',  1250.00, '2024-01-15 08:20:00', 'JSMITH'),
('O000030002', '0000010010', '20240111', 'SH', 'EUR',   349.90, '2024-01-15 08:20:00', 'HKOCH'),
('O000030003', '0000010020', '20240112', 'IN', 'EUR', 12000.00, '2024-01-15 08:20:01', 'BATCH'),
('O000030004', '0000088888', '20240113', 'OP', 'EUR',    99.00, '2024-01-15 08:20:01', 'BATCH');

INSERT INTO ORDLIN (ORDNO, LINNO, ITEM, IDESC, QTY, PRICE) VALUES
('O000030001', 1, 'WID-100', 'Widget, standard',  100.000,   10.00),
('O000030001', 2, 'WID-200', 'Widget, deluxe',     10.000,   25.00),
('O000030002', 1, 'BRT-001', 'Brötchen-Automat',    1.000,  349.90),
('O000030003', 1, 'SRV-LOG', 'Logistikleistung',   12.000, 1000.00),
('O000030004', 1, 'WID-100', 'Widget, standard',    9.900,   10.00);
