package io.crmhub.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MappingConfiguration;
import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.migration.LegacyMigrations;
import io.crmhub.connectors.migration.MigrationJob;
import io.crmhub.connectors.migration.MigrationProgress.StepCounts;
import io.crmhub.connectors.migration.MigrationReport;
import io.crmhub.connectors.migration.MigrationRuns;
import io.crmhub.embedded.LegacyExports;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.legacy.QualityScorecard;
import io.crmhub.transformers.match.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Legacy migrations against a real PostgreSQL CRM store: the tests 1, 2 and 4, the stop threshold and the schedule. */
class MigrationIT {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    @TempDir
    Path dir;
    private Path config;
    private HikariDataSource crm;
    private JdbcTemplate jdbc;
    private final List<LegacyMigrations> services = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        crm = TestServices.newCrmDataSource();
        CrmStoreConfiguration.migrate(crm);
        jdbc = new JdbcTemplate(crm);
        config = ConfigCopy.of(dir.resolve("config"));
    }

    @AfterEach
    void tearDown() {
        services.forEach(LegacyMigrations::close);
        crm.close();
    }

    private void job(String name, String yaml) throws IOException {
        Files.writeString(config.resolve("migrations/" + name + ".yml"), yaml);
    }

    private String accountsJob(Path csv, String encoding, int batch, int stopAfter) {
        return """
                owner: data-team@example.com
                batch-size: %d
                stop-after-failures: %d
                steps:
                  - name: accounts
                    mapping: legacy-account
                    source: { type: csv, path: "%s", encoding: %s }
                """.formatted(batch, stopAfter, csv.toAbsolutePath(), encoding);
    }

    /** accounts.csv and orders.csv (seeds {@code seed}, {@code seed + 1}) and a job that loads them, in that order. */
    private LegacyExports.Orders accountsAndOrders(String jobName, int accounts, int orders, int batch, int seed) throws IOException {
        Path accountsCsv = dir.resolve("accounts.csv");
        LegacyExports.accountsCsv(accountsCsv, accounts, 0, 0, seed, StandardCharsets.UTF_8);
        Path ordersCsv = dir.resolve("orders.csv");
        LegacyExports.Orders file = LegacyExports.ordersCsv(ordersCsv, orders, accounts, seed + 1, StandardCharsets.UTF_8);
        job(jobName, accountsJob(accountsCsv, "UTF-8", batch, 100) + """
                  - name: orders
                    mapping: legacy-order
                    source: { type: csv, path: "%s" }
                """.formatted(ordersCsv.toAbsolutePath()));
        return file;
    }

    /** Rows per order number in an orders CSV's lines (its header first). */
    private static Map<String, Long> rowsPerOrder(List<String> csvLines) {
        Map<String, Long> rows = new java.util.LinkedHashMap<>();
        csvLines.stream().skip(1).forEach(l -> rows.merge(l.split(",")[0], 1L, Long::sum));
        return rows;
    }

    private LegacyMigrations migrations(Clock clock) {
        return migrations(clock, null);
    }

    private LegacyMigrations migrations(Clock clock, javax.sql.DataSource erp) {
        return migrations(crm, clock, erp);
    }

    private LegacyMigrations migrations(javax.sql.DataSource store, Clock clock, javax.sql.DataSource erp) {
        NamedParameterJdbcTemplate named = new NamedParameterJdbcTemplate(store);
        JdbcTemplate jdbc = named.getJdbcTemplate();
        LegacyMigrations m = new LegacyMigrations(MigrationJob.loadAll(config.toString()),
                new MigrationRuns(jdbc, JSON, "node-" + UUID.randomUUID()), jdbc, new DataSourceTransactionManager(store),
                new WaitingRecords(named, JSON), JSON, new Matcher(MatchingConfiguration.loadRules(config.toString())),
                MappingConfiguration.loadCodeTables(config.toString()), erp, null, Duration.ofSeconds(30), Duration.ofSeconds(5),
                "http://hub.example/api/migrations", clock);
        services.add(m);
        return m;
    }

    private long count(String sql, Object... args) {
        Long n = jdbc.queryForObject(sql, Long.class, args);
        return n == null ? 0 : n;
    }

    @Test
    void tenThousandAccountsOfWhich37AreInvalidLoad9963AndQuarantine37WithTheirReasons() throws Exception {
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.Manifest manifest = LegacyExports.accountsCsv(csv, 10_000, 37, 0, 1, StandardCharsets.UTF_8);
        // batches of 5,000: their blocking keys once took about 35,000 advisory locks in one
        // transaction, more than PostgreSQL's lock table holds (out of shared memory)
        job("accounts", accountsJob(csv, "auto", 5000, 1000));

        long started = System.nanoTime();
        MigrationReport report = migrations(Clock.systemUTC()).runHere("accounts", false, "CLI");
        double seconds = (System.nanoTime() - started) / 1e9;

        StepCounts accounts = report.steps().get(0);
        assertThat(report.status()).isEqualTo("SUCCEEDED");
        assertThat(accounts.read()).isEqualTo(10_000);
        assertThat(accounts.loaded()).isEqualTo(9_963);
        assertThat(accounts.created()).as("distinct companies: none merged").isEqualTo(9_963);
        assertThat(accounts.quarantined()).isEqualTo(37);
        assertThat(count("select count(*) from account")).isEqualTo(9_963);
        assertThat(count("select count(*) from xref where entity_type = 'ACCOUNT' and system = 'LEGACY'")).isEqualTo(9_963);

        // each invalid record refused with the fault planted in it, and none of them in the CRM
        Map<String, String> planted = manifest.invalid();
        assertThat(planted).hasSize(37);
        for (Map.Entry<String, String> fault : planted.entrySet()) {
            String[] codeAndField = fault.getValue().split(" ");
            List<Map<String, Object>> reasons = jdbc.queryForList("""
                    select field, reason, payload->>'customer_no' as payload_id from migration_rejected
                    where run_id = ? and source_id = ? and kind = 'QUARANTINED'""", report.runId(), fault.getKey());
            assertThat(reasons).as(fault.getKey()).isNotEmpty();
            assertThat(reasons).anySatisfy(r -> {
                assertThat(r.get("field")).isEqualTo(codeAndField[1]);
                assertThat((String) r.get("reason")).startsWith(codeAndField[0] + ":");
            });
            assertThat(reasons.get(0).get("payload_id")).as("the original record kept").isEqualTo(fault.getKey());
            assertThat(count("select count(*) from xref where external_id = ?", fault.getKey())).isZero();
        }
        StringWriter rejectedCsv = new StringWriter();
        new MigrationRuns(jdbc, JSON, "reader").writeRejectedCsv(report.runId(), rejectedCsv);
        List<String> lines = rejectedCsv.toString().lines().toList();
        assertThat(lines.get(0)).isEqualTo("table,source_id,line,field,reason,value");
        assertThat(lines.stream().skip(1).map(l -> l.split(",")[1]).distinct()).hasSize(37);

        QualityScorecard.Line table = report.scorecard().stream().filter(l -> l.field() == null).findFirst().orElseThrow();
        assertThat(table.failed()).isEqualTo(37);
        assertThat(table.rate()).isEqualTo(37 / 10_000.0);
        assertThat(report.scorecard()).filteredOn(l -> "name".equals(l.field())).singleElement()
                .satisfies(l -> assertThat(l.failed()).as("blank and too long names").isEqualTo(15));
        assertThat(report.scorecardPassed()).as("0.37 %% refused, under 5 %%; every critical field under 1 %%").isTrue();
        assertThat(report.html()).contains("9,963").contains("Data quality");
        System.out.printf("FIGURES migration test1: 10,000 read, %d created, %d quarantined in %.1f s (%.0f records/s, batch 5,000)%n",
                accounts.created(), accounts.quarantined(), seconds, 10_000 / seconds);
    }

    @Test
    void anIso88591FileIsStoredCorrectlyAndAUtf8FileWithABomHasItsFirstHeaderRead() throws Exception {
        String header = String.join(",", LegacyExports.ACCOUNT_COLUMNS) + "\r\n";
        Path latin1 = dir.resolve("latin1.csv");
        Files.write(latin1, (header + "K-1,Müller GmbH,Domplatz 1,50667,Köln,DE,,,,aktiv\r\n").getBytes(StandardCharsets.ISO_8859_1));
        Path bom = dir.resolve("bom.csv");
        byte[] text = (header + "B-1,Schäfer Bäckerei KG,Marktplatz 2,80331,München,DE,,,,active\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[text.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(text, 0, withBom, 3, text.length);
        Files.write(bom, withBom);
        job("latin1", accountsJob(latin1, "auto", 100, 10));
        job("bom", accountsJob(bom, "auto", 100, 10));
        LegacyMigrations m = migrations(Clock.systemUTC());

        MigrationReport a = m.runHere("latin1", false, "CLI");
        MigrationReport b = m.runHere("bom", false, "CLI");

        assertThat(a.steps().get(0).created()).isEqualTo(1);
        assertThat(jdbc.queryForObject("select name || '|' || city from account a join xref x on x.crm_id = a.id where x.external_id = 'K-1'",
                String.class)).isEqualTo("Müller GmbH|Köln");
        assertThat(b.steps().get(0).created()).as("the key column after the BOM is found: the record loads").isEqualTo(1);
        assertThat(jdbc.queryForObject("select name || '|' || city from account a join xref x on x.crm_id = a.id where x.external_id = 'B-1'",
                String.class)).isEqualTo("Schäfer Bäckerei KG|München");
    }

    @Test
    void aDryRunWritesNothingAndTheRealRunDoesExactlyWhatItForecast() throws Exception {
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.Manifest manifest = LegacyExports.accountsCsv(csv, 3_000, 30, 150, 7, StandardCharsets.ISO_8859_1);
        Path contacts = dir.resolve("contacts.txt");
        StringBuilder lines = new StringBuilder();
        for (int i = 1; i <= 400; i++) {
            String account = i % 40 == 0 ? "L99999999" : String.format("L%08d", i * 7);
            lines.append(String.format("%-10s%-10s%-20s%-25s%-40s%-20s%-2s\r\n", "C" + i, account, "Anna" + (char) ('a' + i % 26),
                    i % 57 == 0 ? "" : "Schäfer" + i, "anna" + i + "@example.com", "", "DE"));
        }
        Files.write(contacts, lines.toString().getBytes(StandardCharsets.ISO_8859_1));
        job("full", accountsJob(csv, "ISO-8859-1", 250, 1000) + """
                  - name: contacts
                    mapping: legacy-contact
                    source: { type: fixed-width, path: "%s", encoding: windows-1252, layout: legacy-contact }
                """.formatted(contacts.toAbsolutePath()));
        LegacyMigrations m = migrations(Clock.systemUTC());

        MigrationReport dry = m.runHere("full", true, "API");
        assertThat(dry.status()).isEqualTo("SUCCEEDED");
        assertThat(count("select count(*) from account")).as("a dry run writes nothing").isZero();
        assertThat(count("select count(*) from contact") + count("select count(*) from xref") + count("select count(*) from match_key")
                + count("select count(*) from waiting_record") + count("select count(*) from outbox_event")
                + count("select count(*) from processed_message")).isZero();

        MigrationReport real = m.runHere("full", false, "API");
        assertThat(real.steps()).as("the real run does what the dry run forecast")
                .usingRecursiveComparison().isEqualTo(dry.steps());
        StepCounts accounts = real.steps().get(0);
        assertThat(accounts.quarantined()).isEqualTo(30);
        assertThat(accounts.merged()).as("second entries of a company, linked to it").isEqualTo(manifest.duplicateOf().size());
        assertThat(accounts.created()).isEqualTo(manifest.distinctValid());
        assertThat(count("select count(*) from account")).isEqualTo(manifest.distinctValid());
        for (Map.Entry<String, String> d : manifest.duplicateOf().entrySet()) {
            assertThat(count("""
                    select count(*) from xref a join xref b on a.crm_id = b.crm_id
                    where a.external_id = ? and b.external_id = ? and a.entity_type = 'ACCOUNT' and b.entity_type = 'ACCOUNT'""",
                    d.getKey(), d.getValue())).as(d.getKey() + " is " + d.getValue()).isEqualTo(1);
        }
        StepCounts contactCounts = real.steps().get(1);
        assertThat(contactCounts.missingParent()).as("contacts of an unknown customer, or of a refused or merged one")
                .isGreaterThanOrEqualTo(10);
        assertThat(count("select count(*) from contact")).isEqualTo(contactCounts.created());
        assertThat(contactCounts.quarantined()).as("blank last names").isEqualTo(7);
        assertThat(real.missingParentsTotal()).isEqualTo(contactCounts.missingParent());
        assertThat(real.missingParents()).extracting(MigrationRuns.Rejected::value).contains("L99999999");
        assertThat(count("select count(*) from contact c left join account a on a.id = c.account_id where a.id is null"))
                .as("no orphans").isZero();
        System.out.printf("FIGURES migration test4: dry run forecast %s; real run %s%n", dry.steps(), real.steps());
    }

    @Test
    void twoWritersLeaveExactlyWhatOneWriterLeaves() throws Exception {
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.Manifest manifest = LegacyExports.accountsCsv(csv, 3_000, 30, 150, 11, StandardCharsets.UTF_8);
        Path contacts = dir.resolve("contacts.txt");
        LegacyExports.contactsFixedWidth(contacts, 2_000, 3_000, 12, java.nio.charset.Charset.forName("windows-1252"));
        String steps = accountsJob(csv, "UTF-8", 50, 1000) + """
                  - name: contacts
                    mapping: legacy-contact
                    source: { type: fixed-width, path: "%s", encoding: windows-1252, layout: legacy-contact }
                """.formatted(contacts.toAbsolutePath());
        // batches of 50: second entries of a company land in the batch beside their first entry
        job("one", steps.replace("batch-size:", "writers: 1\nbatch-size:"));
        job("two", steps.replace("batch-size:", "writers: 2\nbatch-size:"));
        HikariDataSource other = TestServices.newCrmDataSource();
        try (other) {
            CrmStoreConfiguration.migrate(other);
            MigrationReport one = migrations(other, Clock.systemUTC(), null).runHere("one", false, "API");
            MigrationReport two = migrations(Clock.systemUTC()).runHere("two", false, "API");

            assertThat(two.status()).isEqualTo("SUCCEEDED");
            assertThat(two.steps()).usingRecursiveComparison().isEqualTo(one.steps());
            assertThat(two.steps().get(0).merged()).as("every second entry merged").isEqualTo(manifest.duplicateOf().size());
            JdbcTemplate oneJdbc = new JdbcTemplate(other);
            String records = """
                    select string_agg(x.external_id, ',' order by x.external_id) from xref x
                    where x.entity_type = ? group by x.crm_id order by 1""";
            String contactsOf = """
                    select cx.external_id || '>' || string_agg(ax.external_id, ',' order by ax.external_id) from contact c
                    join xref cx on cx.crm_id = c.id join xref ax on ax.crm_id = c.account_id
                    group by cx.external_id order by 1""";
            for (String entity : List.of("ACCOUNT", "CONTACT")) {
                assertThat(jdbc.queryForList(records, String.class, entity)).as(entity + " records, by their source ids")
                        .isEqualTo(oneJdbc.queryForList(records, String.class, entity)).isNotEmpty();
            }
            assertThat(jdbc.queryForList(contactsOf, String.class)).as("each contact under the same account")
                    .isEqualTo(oneJdbc.queryForList(contactsOf, String.class));
            for (String table : List.of("duplicate_candidate", "outbox_event", "waiting_record", "migration_rejected")) {
                assertThat(count("select count(*) from " + table)).as(table)
                        .isEqualTo(oneJdbc.queryForObject("select count(*) from " + table, Long.class));
            }
            // A key too common to say anything (more holders than max-candidates-per-key, 50) is
            // not indexed further once a batch knows it as such, which depends on how far the check
            // read ahead has got, with one writer too; every other key has the same holders.
            String usableKeys = """
                    select count(*) from match_key where key_hash in (select key_hash from match_key group by key_hash having count(*) <= 50)""";
            assertThat(count(usableKeys)).as("blocking keys").isEqualTo(oneJdbc.queryForObject(usableKeys, Long.class));
            System.out.printf("FIGURES migration two writers: %s, the same as one writer%n", two.steps());
        }
    }

    @Test
    void aSecondEntryUpdatedBesideItsFirstEntryLosesNeitherChange() throws Exception {
        String header = "customer_no,company,street,zip,city,country,phone,email,website,status\n";
        String first = "L-1001,Müller Maschinenbau GmbH,Hauptstraße 5,50667,Köln,DE,%s,info@mueller-maschinen.example,,aktiv\n";
        String second = "L-1002,Mueller Maschinenbau,Hauptstr. 5,50667,Koeln,Germany,+49 221 123456,info@mueller-maschinen.example,%s,active\n";
        Path csv = dir.resolve("accounts.csv");
        Files.writeString(csv, header + first.formatted("0221 123456") + second.formatted(""));
        // a batch per record: the second entry's batch is written beside the first entry's
        job("accounts", accountsJob(csv, "UTF-8", 1, 10).replace("batch-size:", "writers: 2\nbatch-size:"));
        LegacyMigrations m = migrations(Clock.systemUTC());
        assertThat(m.runHere("accounts", false, "API").steps().get(0).merged()).isEqualTo(1);

        // the first entry's phone changes; the second entry brings the web site the record lacks
        Files.writeString(csv, header + first.formatted("0221 999999") + second.formatted("mueller-maschinen.example"));
        StepCounts again = m.runHere("accounts", false, "API").steps().get(0);

        assertThat(again.updated()).isEqualTo(2);
        assertThat(jdbc.queryForMap("select phone, website from account")).as("one account, with both changes")
                .containsEntry("phone", "+49221999999").containsEntry("website", "mueller-maschinen.example");
    }

    @Test
    void aBatchBesideOneThatWaitsForItsLockGivesWayInsteadOfWaitingForever() throws Exception {
        String header = "customer_no,company,street,zip,city,country,phone,email,website,status\n";
        String mueller = "L-1001,Müller Maschinenbau GmbH,Hauptstraße 5,50667,Köln,DE,%s,info@mueller-maschinen.example,,aktiv\n";
        Path csv = dir.resolve("accounts.csv");
        Files.writeString(csv, header + mueller.formatted("0221 123456"));
        job("accounts", accountsJob(csv, "UTF-8", 3_000, 10).replace("batch-size:", "writers: 2\nbatch-size:"));
        LegacyMigrations m = migrations(Clock.systemUTC());
        assertThat(m.runHere("accounts", false, "API").steps().get(0).created()).isEqualTo(1);

        // The first batch creates 2,999 companies, then links a second entry of Müller to its
        // account, late in its transaction; the second batch, beside it, updates that account
        // first thing. Whichever locks the account first, the run ends, as if one batch came after
        // the other.
        StringBuilder file = new StringBuilder(header);
        for (int i = 0; i < 2_999; i++) {
            file.append("N-%d,Neue Firma %d AG,Weg %d,%05d,Stadt%d,DE,,,,aktiv%n".formatted(i, 7_000_000 + i, i, 10_000 + i, i));
        }
        file.append("L-1003,Mueller Maschinenbau,Hauptstr. 5,50667,Koeln,Germany,+49 221 123456,info@mueller-maschinen.example,"
                + "mueller-maschinen.example,active\n");
        file.append(mueller.formatted("0221 999999"));
        Files.writeString(csv, file.toString());
        StepCounts again = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(90),
                () -> m.runHere("accounts", false, "API")).steps().get(0);

        assertThat(again.created()).isEqualTo(2_999);
        assertThat(again.merged()).isEqualTo(1);
        assertThat(again.updated()).isEqualTo(1);
        // in the order of the file: the second entry fills the web site, then the first entry,
        // which owns the record and has none, clears it again and brings its new phone
        assertThat(jdbc.queryForMap("select a.phone, a.website from account a join xref x on x.crm_id = a.id where x.external_id = 'L-1003'"))
                .as("the first entry's change applied after the second entry's").containsEntry("phone", "+49221999999")
                .containsEntry("website", null);
        assertThat(count("select count(distinct crm_id) from xref where external_id in ('L-1001', 'L-1003')")).isEqualTo(1);
    }

    @Test
    void ordersArriveWithTheirLinesFromAFileAndFromErpTablesAndNoneWithoutItsAccount() throws Exception {
        Path orders = dir.resolve("orders.csv");
        LegacyExports.Orders file = accountsAndOrders("orders", 500, 1_000, 100, 11);
        try (HikariDataSource erp = TestServices.newErpDataSource(true)) {
            job("erp", """
                    batch-size: 5
                    steps:
                      - { name: customers, mapping: erp-account, source: { type: jdbc } }
                      - { name: orders, mapping: erp-order, source: { type: jdbc } }
                    """);
            LegacyMigrations m = migrations(Clock.systemUTC(), erp);

            MigrationReport fromFile = m.runHere("orders", false, "CLI");
            StepCounts o = fromFile.steps().get(1);
            assertThat(o.read()).isEqualTo(1_000);
            assertThat(o.position()).as("rows: one per line").isEqualTo(file.lines());
            assertThat(o.quarantined()).as("an unreadable quantity on a line refuses its order").isEqualTo(file.invalid().size());
            assertThat(o.missingParent()).isEqualTo(file.orphans().size());
            assertThat(o.created()).isEqualTo(1_000 - file.invalid().size() - file.orphans().size());
            // every order with exactly the lines of its rows, and its total
            Map<String, Long> rows = rowsPerOrder(Files.readAllLines(orders));
            List<Map<String, Object>> loaded = jdbc.queryForList("""
                    select x.external_id, count(l.*) as lines from sales_order s join xref x on x.crm_id = s.id and x.entity_type = 'ORDER'
                    left join order_line l on l.order_id = s.id group by 1""");
            assertThat(loaded).hasSize((int) o.created());
            loaded.forEach(r -> assertThat((Long) r.get("lines")).as((String) r.get("external_id"))
                    .isEqualTo(rows.get((String) r.get("external_id"))));
            assertThat(jdbc.queryForList("select reason from migration_rejected where run_id = ? and kind = 'QUARANTINED' and step = 'orders'",
                    String.class, fromFile.runId())).allSatisfy(r -> assertThat(r).startsWith("INVALID_FORMAT")).isNotEmpty();
            assertThat(jdbc.queryForList("select field from migration_rejected where run_id = ? and kind = 'QUARANTINED' and step = 'orders'",
                    String.class, fromFile.runId())).allSatisfy(f -> assertThat(f).matches("lines\\[\\d]\\.quantity"));

            MigrationReport fromErp = m.runHere("erp", false, "CLI");
            long erpOrders = new JdbcTemplate(erp).queryForObject("SELECT COUNT(*) FROM ORDHDR", Long.class);
            StepCounts eo = fromErp.steps().get(1);
            assertThat(eo.read()).as("an order per header, whatever its lines").isEqualTo(erpOrders);
            assertThat(eo.missingParent()).as("the order of customer 0000088888, whom the ERP does not have").isEqualTo(1);
            assertThat(eo.created()).isEqualTo(erpOrders - 1);
            for (Map<String, Object> h : new JdbcTemplate(erp).queryForList(
                    "SELECT h.ORDNO, COUNT(l.LINNO) N FROM ORDHDR h LEFT JOIN ORDLIN l ON l.ORDNO = h.ORDNO GROUP BY h.ORDNO")) {
                String ordno = (String) h.get("ORDNO");
                List<Long> crmLines = jdbc.queryForList("""
                        select count(l.*) from sales_order s join xref x on x.crm_id = s.id and x.entity_type = 'ORDER' and x.system = 'ERP'
                        left join order_line l on l.order_id = s.id where x.external_id = ? group by s.id""", Long.class, ordno);
                if (!crmLines.isEmpty()) {
                    assertThat(crmLines.get(0)).as(ordno).isEqualTo(((Number) h.get("N")).longValue());
                }
            }
            assertThat(fromErp.steps().get(0).read()).isEqualTo(new JdbcTemplate(erp).queryForObject("SELECT COUNT(*) FROM CUSTMST", Long.class));
            System.out.printf("FIGURES migration orders: file %s; ERP tables %s%n", fromFile.steps(), fromErp.steps());
        }
    }

    @Test
    void anOrderWhoseRowsAreApartInTheFileIsRefusedWholeNotLoadedWithPartOfItsLines() throws Exception {
        LegacyExports.Orders file = accountsAndOrders("unsorted", 100, 300, 50, 13);
        Path orders = dir.resolve("orders.csv");
        // an export not sorted by order number: the last row of one order of several lines comes last
        List<String> lines = new ArrayList<>(Files.readAllLines(orders, StandardCharsets.UTF_8));
        Map<String, Long> rows = rowsPerOrder(lines);
        String apart = rows.entrySet().stream()
                .filter(e -> e.getValue() >= 2 && !file.invalid().contains(e.getKey()) && !file.orphans().contains(e.getKey()))
                .map(Map.Entry::getKey).skip(10).findFirst().orElseThrow();
        int last = 0;
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).startsWith(apart + ",")) {
                last = i;
            }
        }
        lines.add(lines.remove(last));
        Files.write(orders, lines, StandardCharsets.UTF_8);

        MigrationReport report = migrations(Clock.systemUTC()).runHere("unsorted", false, "CLI");

        StepCounts o = report.steps().get(1);
        assertThat(o.read()).as("its two groups of rows are two records read").isEqualTo(301);
        assertThat(o.quarantined()).as("both of them refused, with the orders refused for a bad quantity")
                .isEqualTo(file.invalid().size() + 2);
        assertThat(o.created()).isEqualTo(300 - file.invalid().size() - file.orphans().size() - 1);
        assertThat(count("select count(*) from xref where entity_type = 'ORDER' and external_id = ?", apart)).isZero();
        assertThat(jdbc.queryForList("select reason from migration_rejected where run_id = ? and source_id = ?",
                String.class, report.runId(), apart)).hasSize(2)
                .allSatisfy(r -> assertThat(r).startsWith("SPLIT_RECORD").contains("order " + apart));
    }

    @Test
    void anOrderWithANumberTheStoreWouldRefuseIsQuarantinedWithItsReasonAndTheRunGoesOn() throws Exception {
        LegacyExports.Orders file = accountsAndOrders("numbers", 100, 300, 50, 17);
        Path orders = dir.resolve("orders.csv");
        List<String> lines = new ArrayList<>(Files.readAllLines(orders, StandardCharsets.UTF_8));
        List<String> good = rowsPerOrder(lines).keySet().stream()
                .filter(o -> !file.invalid().contains(o) && !file.orphans().contains(o)).sorted().toList();
        // a credit note's line, a price with 14 digits before the point (numeric(15,2) takes 13),
        // a line numbered 0: each passed the mapping before and failed the store's checks, and the run
        Map<String, int[]> planted = Map.of(good.get(3), new int[]{9}, good.get(7), new int[]{10}, good.get(11), new int[]{6});
        Map<String, String> value = Map.of(good.get(3), "-1", good.get(7), "12345678901234.50", good.get(11), "0");
        for (int i = 1; i < lines.size(); i++) {
            String[] cols = lines.get(i).split(",", -1);
            int[] column = planted.get(cols[0]);
            if (column != null) {
                cols[column[0]] = value.get(cols[0]);
                lines.set(i, String.join(",", cols));
            }
        }
        Files.write(orders, lines, StandardCharsets.UTF_8);

        MigrationReport report = migrations(Clock.systemUTC()).runHere("numbers", false, "CLI");

        assertThat(report.status()).isEqualTo("SUCCEEDED");
        StepCounts o = report.steps().get(1);
        assertThat(o.quarantined()).isEqualTo(file.invalid().size() + 3);
        assertThat(o.created()).isEqualTo(300 - file.invalid().size() - file.orphans().size() - 3);
        Map<String, String> reasons = new java.util.TreeMap<>();
        jdbc.query("select source_id, reason from migration_rejected where run_id = ? and reason like 'OUT_OF_RANGE%'",
                rs -> {
                    reasons.merge(rs.getString(1), rs.getString(2), (a, b) -> a + "; " + b);
                }, report.runId());
        assertThat(reasons).containsOnlyKeys(planted.keySet());
        assertThat(reasons.get(good.get(3))).contains("'-1' is not above 0");
        assertThat(reasons.get(good.get(7))).contains("'12345678901234.50' has more than 13 digits before the decimal point");
        assertThat(reasons.get(good.get(11))).contains("'0' is not above 0");
        assertThat(count("select count(*) from xref where entity_type = 'ORDER' and external_id = any(?)",
                (Object) planted.keySet().toArray(String[]::new))).isZero();
        System.out.printf("FIGURES migration numbers: %s; refused %s%n", report.steps(), reasons);
    }

    @Test
    void aRunStopsOnceMoreRecordsThanTheLimitAreRefused() throws Exception {
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.accountsCsv(csv, 2_000, 100, 0, 3, StandardCharsets.UTF_8);
        job("strict", accountsJob(csv, "UTF-8", 100, 20));

        MigrationReport report = migrations(Clock.systemUTC()).runHere("strict", false, "CLI");

        assertThat(report.status()).isEqualTo("STOPPED");
        assertThat(report.reason()).contains("more than the job's limit of 20");
        StepCounts s = report.steps().get(0);
        assertThat(s.quarantined()).isGreaterThan(20).isLessThan(30);
        assertThat(s.read()).isLessThan(2_000);
        assertThat(count("select count(*) from account")).as("the batches before the stop stay").isEqualTo(s.created());
    }

    @Test
    void anOutageOfTheCrmStoreMidRunIsWaitedOutAndTheRunEndsAsIfThereWasNone() throws Exception {
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.Manifest manifest = LegacyExports.accountsCsv(csv, 3_000, 30, 0, 11, StandardCharsets.UTF_8);
        job("outage", accountsJob(csv, "UTF-8", 500, 1000));
        // its own pool, which gives up on a connection after 1 s instead of 30
        HikariDataSource store = new HikariDataSource();
        store.setJdbcUrl(crm.getJdbcUrl());
        store.setUsername(crm.getUsername());
        store.setPassword(crm.getPassword());
        store.setMaximumPoolSize(4);
        store.setConnectionTimeout(1000);
        LegacyMigrations migrations = migrations(store, Clock.systemUTC(), null);
        UUID id = migrations.start("outage", false, "API").orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> migrations.running().stream().anyMatch(r -> r.read() >= 500));

        // The store goes away mid-run: its connections are cut and it takes no new ones.
        String db = jdbc.queryForObject("select current_database()", String.class);
        String adminUrl = crm.getJdbcUrl().replaceFirst("^(jdbc:postgresql://[^/]+/)[^?]*", "$1postgres");
        String waited;
        try (java.sql.Connection admin = java.sql.DriverManager.getConnection(adminUrl, crm.getUsername(), crm.getPassword());
             java.sql.Statement sql = admin.createStatement()) {
            sql.execute("alter database \"" + db + "\" with allow_connections false");
            try {
                sql.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + db + "'");
                waited = await().atMost(Duration.ofSeconds(60)).until(() -> migrations.running().stream()
                        .map(LegacyMigrations.Running::waitingFor).filter(w -> w != null && w.contains("(3 tries)"))
                        .findFirst(), Optional::isPresent).orElseThrow();
            } finally {
                sql.execute("alter database \"" + db + "\" with allow_connections true");
            }
        }

        // The pool comes back with the store: the first look-ups may still find it empty.
        MigrationRuns.Run run = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> new MigrationRuns(jdbc, JSON, "reader").find(id).orElseThrow(), r -> !"RUNNING".equals(r.status()));
        assertThat(run.status()).as(run.reason()).isEqualTo("SUCCEEDED");
        assertThat(run.resumed()).as("waited out by its own node, not taken over").isZero();
        StepCounts accounts = run.progress().steps().get(0);
        assertThat(accounts.read()).isEqualTo(3_000);
        assertThat(accounts.quarantined()).isEqualTo(30);
        assertThat(accounts.created()).isEqualTo(manifest.distinctValid());
        assertThat(count("select count(*) from account")).isEqualTo(manifest.distinctValid());
        assertThat(count("select count(*) from xref where entity_type = 'ACCOUNT'")).isEqualTo(manifest.distinctValid());
        migrations.close();
        store.close();
        System.out.printf("FIGURES migration outage: store out after %d records, run waited (%s); SUCCEEDED, resumed %d times, "
                + "%d read, %d created, %d quarantined%n", 500, waited.replaceAll(": .*", ""), run.resumed(), accounts.read(),
                accounts.created(), accounts.quarantined());
    }

    @Test
    void anOutageOfTheErpSourceMidRunIsWaitedOutAndTheRunReadsOnFromItsLastBatch() throws Exception {
        // The ERP over TCP, behind a relay that can cut it off; 5,000 customers, read through a cursor
        String direct = TestServices.newErpDatabaseUrlOverTcp();
        TestServices.Relayed relayed = TestServices.relayed(direct);
        int customers = 5_000;
        try (HikariDataSource seed = TestServices.pool(direct, TestServices.erpUser());
             HikariDataSource erp = TestServices.pool(relayed.url(), TestServices.erpUser())) {
            io.crmhub.embedded.ErpFixtures.apply(seed, false);
            List<Object[]> rows = new ArrayList<>();
            for (int i = 0; i < customers; i++) {
                rows.add(new Object[]{String.format("Q%09d", i), "Quelle Firma " + (3_000_000 + i) + " GmbH", "info@quelle" + i + ".example",
                        java.sql.Timestamp.valueOf(java.time.LocalDateTime.of(2020, 1, 1, 0, 0))});
            }
            new JdbcTemplate(seed).batchUpdate("INSERT INTO CUSTMST (CUSTNO, CNAME, CEMAL, CCTRY, CSTAT, LCHG, LUSR) "
                    + "VALUES (?, ?, ?, 'DE', 'A', ?, 'T')", rows);
            erp.setConnectionTimeout(1000); // gives up on a connection after 1 s instead of 30
            job("erp-outage", """
                    batch-size: 200
                    steps:
                      - { name: customers, mapping: erp-account, source: { type: jdbc } }
                    """);
            LegacyMigrations migrations = migrations(Clock.systemUTC(), erp);
            UUID id = migrations.start("erp-outage", false, "API").orElseThrow();
            await().atMost(Duration.ofSeconds(60)).until(() -> migrations.running().stream().anyMatch(r -> r.read() >= 400));

            // The ERP goes away mid-run: its connections, the cursor's too, are cut, and it takes no new ones.
            String waited;
            relayed.relay().cut();
            try {
                waited = await().atMost(Duration.ofSeconds(60)).until(() -> migrations.running().stream()
                        .map(LegacyMigrations.Running::waitingFor).filter(w -> w != null && w.contains("(3 tries)"))
                        .findFirst(), Optional::isPresent).orElseThrow();
            } finally {
                relayed.relay().restore();
            }

            MigrationRuns.Run run = await().atMost(Duration.ofSeconds(120))
                    .until(() -> new MigrationRuns(jdbc, JSON, "reader").find(id).orElseThrow(), r -> !"RUNNING".equals(r.status()));
            assertThat(run.status()).as(run.reason()).isEqualTo("SUCCEEDED");
            assertThat(run.resumed()).as("waited out by its own node, not taken over").isZero();
            StepCounts counts = run.progress().steps().get(0);
            assertThat(counts.read()).as("each row read once into the totals").isEqualTo(customers);
            assertThat(count("select count(*) from xref where entity_type = 'ACCOUNT' and system = 'ERP'"))
                    .as("every customer in the CRM once").isEqualTo(customers);
            assertThat(counts.created() + counts.merged()).isEqualTo(customers);
            System.out.printf("FIGURES migration ERP outage: ERP cut off after %d+ of %,d rows, run waited (%s); SUCCEEDED, resumed %d times,"
                    + " %,d read, %,d created, %,d merged; %,d cross-references%n", 400, customers, waited.replaceAll(": .*", ""),
                    run.resumed(), counts.read(), counts.created(), counts.merged(),
                    count("select count(*) from xref where entity_type = 'ACCOUNT' and system = 'ERP'"));
        }
    }

    @Test
    void aRunTakenOverFencesItsEarlierExecutionEvenOnTheSameNode() throws Exception {
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.accountsCsv(csv, 10, 0, 0, 9, StandardCharsets.UTF_8);
        job("fenced", accountsJob(csv, "UTF-8", 10, 10));
        MigrationJob job = MigrationJob.loadAll(config.toString()).get("fenced");
        MigrationRuns runs = new MigrationRuns(jdbc, JSON, "one-node");
        UUID id = runs.begin(job, false, "API", null, Duration.ofSeconds(30)).orElseThrow();
        MigrationRuns.Run first = runs.find(id).orElseThrow();
        assertThat(runs.begin(job, false, "API", null, Duration.ofSeconds(30))).as("the job runs already").isEmpty();
        assertThat(runs.takeOverAbandoned(null, Duration.ofSeconds(30))).as("its lease holds").isEmpty();

        jdbc.update("update migration_run set lease_until = now() - interval '1 second'");
        List<MigrationRuns.Run> taken = runs.takeOverAbandoned("fenced", Duration.ofSeconds(30));

        assertThat(taken).singleElement().satisfies(r -> assertThat(r.resumed()).isEqualTo(1));
        assertThat(runs.saveProgress(first, first.progress(), Duration.ofSeconds(30))).as("the earlier execution is fenced").isFalse();
        assertThat(runs.saveProgress(taken.get(0), first.progress(), Duration.ofSeconds(30))).isTrue();
        assertThat(runs.finish(first, "SUCCEEDED", null, first.progress(), null)).isFalse();
    }

    @Test
    void aScheduledRunIsStartedByOneOfTwoHubsOnly() throws Exception {
        Path csv = dir.resolve("accounts.csv");
        LegacyExports.accountsCsv(csv, 500, 0, 0, 5, StandardCharsets.UTF_8);
        job("nightly", accountsJob(csv, "UTF-8", 100, 10).replace("batch-size:", "schedule: \"0 0 2 * * *\"\nbatch-size:"));
        Instant before = Instant.parse("2026-11-23T01:59:30Z");
        MutableClock clock = new MutableClock(before);
        LegacyMigrations one = migrations(clock);
        LegacyMigrations two = migrations(clock);
        one.fireDue();
        two.fireDue();
        assertThat(count("select count(*) from migration_run")).as("not due yet").isZero();

        clock.now = Instant.parse("2026-11-23T02:00:10Z");
        one.fireDue();
        two.fireDue();

        assertThat(count("select count(*) from migration_run where job = 'nightly'")).isEqualTo(1);
        assertThat(jdbc.queryForObject("select scheduled_for from migration_run", java.time.OffsetDateTime.class).toInstant())
                .isEqualTo(Instant.parse("2026-11-23T02:00:00Z"));
        await().atMost(Duration.ofSeconds(60)).until(() -> "SUCCEEDED".equals(
                jdbc.queryForObject("select status from migration_run", String.class)));
        assertThat(count("select count(*) from account")).isEqualTo(500);
        Optional<String> stored = new MigrationRuns(jdbc, JSON, "reader").report(
                jdbc.queryForObject("select id from migration_run", UUID.class));
        assertThat(stored).isPresent();
        assertThat(JSON.readTree(stored.get()).at("/steps/0/created").asLong()).isEqualTo(500);
    }

    /** A clock the test moves. */
    private static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
