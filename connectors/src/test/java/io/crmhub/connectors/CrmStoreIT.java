package io.crmhub.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MappingConfiguration;
import io.crmhub.connectors.crm.CrmEntity;
import io.crmhub.connectors.crm.CrmWriter;
import io.crmhub.connectors.crm.CrmWriter.Outcome;
import io.crmhub.connectors.crm.OutboxEvent;
import io.crmhub.connectors.crm.OutboxRelay;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.crm.CrmAccountEdits;
import io.crmhub.connectors.crm.CrmReadModel;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.erp.ErpChangeReader;
import io.crmhub.connectors.store.Housekeeping;
import io.crmhub.connectors.store.HousekeepingProperties;
import io.crmhub.connectors.store.PollerLeases;
import io.crmhub.connectors.store.QuarantineStore;
import io.crmhub.connectors.store.Watermarks;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.mapping.MappedRecord;
import io.crmhub.transformers.mapping.RecordMapper;
import io.crmhub.transformers.model.SourceRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CrmStoreIT {

    private static HikariDataSource crm;
    private static HikariDataSource erp;
    private static NamedParameterJdbcTemplate jdbc;
    private static CrmWriter writer;
    private static RecordMapper mapper;
    private static Watermarks watermarks;
    private static QuarantineStore quarantine;
    private static CrmReadModel read;
    /** This test JVM acting as one hub instance. */
    private static PollerLeases leases;

    @BeforeAll
    static void setUp() {
        crm = TestServices.newCrmDataSource();
        CrmStoreConfiguration.migrate(crm);
        erp = TestServices.newErpDataSource(true);
        jdbc = new NamedParameterJdbcTemplate(crm);
        ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
        writer = new CrmWriter(CrmEntity.ACCOUNT, jdbc.getJdbcTemplate(), new TransactionTemplate(new DataSourceTransactionManager(crm)),
                new WaitingRecords(jdbc, json), json, Map.of(), Set.of(), Set.of("city"), Duration.ofSeconds(5));
        mapper = new RecordMapper(MappingConfiguration.loadMapping("../config", "erp-account"),
                MappingConfiguration.loadCodeTables("../config"));
        watermarks = new Watermarks(jdbc);
        quarantine = new QuarantineStore(jdbc, json);
        read = new CrmReadModel(jdbc);
        leases = new PollerLeases(jdbc);
    }

    @AfterAll
    static void tearDown() {
        crm.close();
        erp.close();
    }

    @Test
    void anAccountsCountryIsCheckedByTheCountrysKeyNotByReadingAllCountries() {
        // The statement PostgreSQL's foreign key trigger runs for each account written, planned as
        // it plans it: once, for any value; with the statistics autovacuum soon takes of a table
        // loaded by the migrations (before them the planner guesses its size from its pages).
        JdbcTemplate t = jdbc.getJdbcTemplate();
        t.execute("analyze country");
        List<String> plan = new TransactionTemplate(new DataSourceTransactionManager(crm)).execute(status -> {
            t.execute("set local plan_cache_mode = force_generic_plan");
            t.execute("prepare country_check(bpchar) as select 1 from only country x where code operator(pg_catalog.=) $1 for key share of x");
            try {
                return t.queryForList("explain execute country_check('DE')", String.class);
            } finally {
                t.execute("deallocate country_check");
            }
        });
        assertThat(String.join("\n", plan)).contains("Index Scan using country_pkey").doesNotContain("Seq Scan");
    }

    /** A poller's position kept in memory: a source of the test's own, whatever other tests polled. */
    private static Watermarks watermarksOfItsOwn(Watermarks.Position start) {
        return new Watermarks(jdbc) {
            private Position at = start;

            @Override
            public Position get(String source) {
                return at;
            }

            @Override
            public void advance(String source, Position to) {
                at = to;
            }
        };
    }

    private static SourceRecord erpRow(String custno, String name, Instant changedAt) {
        Map<String, String> cols = new LinkedHashMap<>();
        cols.put("CUSTNO", custno);
        cols.put("CNAME", name);
        cols.put("CCTRY", "D");
        cols.put("CSTAT", "A");
        return new SourceRecord("erp", "account", custno, changedAt, cols);
    }

    @Test
    void housekeepingRemovesOnlyKeysAndPublishedEventsPastTheirRetentionAndAChangeDeliveredAgainIsStillRefused() {
        var j = jdbc.getJdbcTemplate();
        for (int i = 0; i < 5; i++) {
            j.update("insert into processed_message (consumer, message_key, processed_at) values ('hk', ?, now() - interval '40 days')", "old-" + i);
        }
        for (int i = 0; i < 2; i++) {
            j.update("insert into processed_message (consumer, message_key, processed_at) values ('hk', ?, now() - interval '29 days')", "kept-" + i);
        }
        UUID aggregate = UUID.randomUUID();
        String event = "insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload, created_at, published_at) "
                + "values ('ACCOUNT', ?, ?, 'CRM', '{}', now() - cast(? as interval), now() - cast(? as interval))";
        for (int i = 0; i < 3; i++) {
            j.update(event, aggregate, "PUBLISHED_8_DAYS_AGO", "8 days", "8 days");
        }
        j.update(event, aggregate, "PUBLISHED_6_DAYS_AGO", "6 days", "6 days");
        j.update("insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload, created_at) "
                + "values ('ACCOUNT', ?, 'NEVER_PUBLISHED', 'CRM', '{}', now() - interval '30 days')", aggregate);

        // chunks of 2: five keys go in three statements, three events in two
        Housekeeping housekeeping = new Housekeeping(jdbc, new HousekeepingProperties(Duration.ofDays(30), Duration.ofDays(7),
                Duration.ofHours(1), 2), Clock.systemUTC());
        assertThat(housekeeping.purge()).isEqualTo(new Housekeeping.Purged(5, 3));
        assertThat(j.queryForList("select message_key from processed_message where consumer = 'hk' order by 1", String.class))
                .containsExactly("kept-0", "kept-1");
        assertThat(j.queryForList("select event_type from outbox_event where aggregate_id = ? order by 1", String.class, aggregate))
                .as("a recent event and one that never went out stay").containsExactly("NEVER_PUBLISHED", "PUBLISHED_6_DAYS_AGO");
        assertThat(housekeeping.purge()).isEqualTo(new Housekeeping.Purged(0, 0));

        // a change applied, its key removed at the end of its retention, the change delivered again:
        // its version in the cross-reference refuses it
        SourceRecord change = erpRow("HK-1", "Haushalt GmbH", Instant.parse("2024-05-01T10:00:00Z"));
        assertThat(writer.apply(mapper.map(change)).outcome()).isEqualTo(Outcome.CREATED);
        String written = "select count(*) || ' at version ' || max(version) from account where name = 'Haushalt GmbH'";
        String once = j.queryForObject(written, String.class);
        j.update("update processed_message set processed_at = now() - interval '31 days' where message_key = ?", change.versionKey());
        assertThat(housekeeping.purge().processedKeys()).isEqualTo(1);
        assertThat(writer.apply(mapper.map(change)).outcome()).isEqualTo(Outcome.STALE);
        assertThat(j.queryForObject(written, String.class)).as("one account, not written again").isEqualTo(once).startsWith("1 at");
    }

    @Test
    void redeliveredChangeIsAppliedOnceAndAnOlderOneNeverOverwritesANewer() {
        Instant t1 = Instant.parse("2024-03-01T10:00:00Z");
        Instant t2 = t1.plusSeconds(1);
        var first = writer.apply(mapper.map(erpRow("C-1", "Müller GmbH", t1)));
        assertThat(first.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(writer.apply(mapper.map(erpRow("C-1", "Müller GmbH", t1))).outcome()).isEqualTo(Outcome.DUPLICATE);
        assertThat(writer.apply(mapper.map(erpRow("C-1", "Müller GmbH & Co. KG", t2))).outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(writer.apply(mapper.map(erpRow("C-1", "Mueller (old)", t1.minusSeconds(5)))).outcome()).isEqualTo(Outcome.STALE);

        var account = read.account(first.crmId()).orElseThrow();
        assertThat(account.name()).isEqualTo("Müller GmbH & Co. KG");
        assertThat(account.country()).isEqualTo("DE");
        assertThat(account.externalIds()).extracting(CrmReadModel.ExternalId::system, CrmReadModel.ExternalId::externalId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ERP", "C-1"));
        assertThat(count("select count(*) from xref where external_id = 'C-1'")).isEqualTo(1);
        assertThat(count("select count(*) from outbox_event where aggregate_id = '" + first.crmId() + "'"))
                .as("one event per applied change").isEqualTo(2);
    }

    @Test
    void onlyOneInstanceHoldsASourcesPollerLeaseUntilItLapsesOrIsReleased() {
        PollerLeases a = new PollerLeases(jdbc);
        PollerLeases b = new PollerLeases(jdbc);
        assertThat(a.acquire("lease-test", Duration.ofSeconds(30))).isTrue();
        assertThat(b.acquire("lease-test", Duration.ofSeconds(30))).as("held by a").isFalse();
        assertThat(a.acquire("lease-test", Duration.ofSeconds(30))).as("a renews").isTrue();
        a.release("lease-test");
        assertThat(b.acquire("lease-test", Duration.ofMillis(1))).as("released").isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.acquire("lease-test", Duration.ofSeconds(30)));
    }

    @Test
    void sharedFieldChangedOnBothSidesGoesToTheLaterWriterOrToReviewWithinTheSkewTolerance() {
        Instant t0 = Instant.parse("2024-05-01T10:00:00Z");
        UUID id = writer.apply(mapper.map(erpRow("C-20", "Start GmbH", t0))).crmId();
        CrmAccountEdits edits = new CrmAccountEdits(jdbc, new TransactionTemplate(new DataSourceTransactionManager(crm)),
                new ObjectMapper().registerModule(new JavaTimeModule()));
        edits.update(id, Map.of("name", "CRM Name GmbH", "city", "CRM City"));
        Instant edited = jdbc.queryForObject("select edited_at from field_edit where crm_id = :id and field = 'name'",
                Map.of("id", id), java.sql.Timestamp.class).toInstant();

        // Two seconds apart, inside the 5 s tolerance: nobody can tell which came last.
        Map<String, String> withCity = new LinkedHashMap<>(erpRow("C-20", "ERP Name GmbH", edited.plusSeconds(2)).columns());
        withCity.put("CCITY", "ERP City");
        var conflict = writer.apply(mapper.map(new SourceRecord("erp", "account", "C-20", edited.plusSeconds(2), withCity)));
        assertThat(conflict.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(read.account(id).orElseThrow().name()).as("CRM value stays").isEqualTo("CRM Name GmbH");
        assertThat(read.account(id).orElseThrow().city()).as("source-owned field: the ERP wins").isEqualTo("ERP City");
        assertThat(jdbc.queryForList("select field || '=' || crm_value || '|' || source_value from sync_conflict where crm_id = :id",
                Map.of("id", id), String.class)).containsExactly("name=CRM Name GmbH|ERP Name GmbH");

        // A minute after the CRM edit: the ERP's change is the later one and wins.
        assertThat(writer.apply(mapper.map(erpRow("C-20", "ERP Later GmbH", edited.plusSeconds(60)))).outcome()).isEqualTo(Outcome.UPDATED);
        assertThat(read.account(id).orElseThrow().name()).isEqualTo("ERP Later GmbH");

        // The CRM edits again, later than the next ERP change: the CRM value stands.
        edits.update(id, Map.of("name", "CRM Again GmbH"));
        jdbc.update("update field_edit set edited_at = :t where crm_id = :id and field = 'name'",
                new org.springframework.jdbc.core.namedparam.MapSqlParameterSource("id", id)
                        .addValue("t", java.sql.Timestamp.from(edited.plusSeconds(300))));
        assertThat(writer.apply(mapper.map(erpRow("C-20", "ERP Older GmbH", edited.plusSeconds(120)))).outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(read.account(id).orElseThrow().name()).isEqualTo("CRM Again GmbH");
        assertThat(count("select count(*) from sync_conflict where crm_id = '" + id + "'")).isEqualTo(1);
    }

    @Test
    void databaseRefusesValuesOutsideThePicklists() {
        assertThatThrownBy(() -> jdbc.getJdbcTemplate().update("insert into account (name, country) values ('X', 'XX')"))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThatThrownBy(() -> jdbc.getJdbcTemplate().update("insert into account (name, status) values ('X', 'GONE')"))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThatThrownBy(() -> jdbc.getJdbcTemplate().update("insert into account (name, phone) values ('X', '0221 123')"))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThat(count("select count(*) from country")).isGreaterThanOrEqualTo(249);
    }

    @Test
    void invalidRecordIsQuarantinedWithEveryReasonAndItsOriginalPayload() {
        Map<String, String> cols = new LinkedHashMap<>();
        cols.put("CUSTNO", "C-9");
        cols.put("CNAME", "   ");
        cols.put("CCTRY", "XX");
        cols.put("CSTAT", "A");
        cols.put("CEMAL", "info@@x.de");
        MappedRecord bad = mapper.map(new SourceRecord("erp", "account", "C-9", Instant.now(), cols));
        assertThatThrownBy(() -> writer.apply(bad)).isInstanceOf(IllegalArgumentException.class);

        long id = quarantine.reject(bad);
        assertThat(quarantine.reject(bad)).as("a redelivery is quarantined once").isEqualTo(id);
        var entry = quarantine.list("OPEN", "erp", 100, 0).stream().filter(e -> e.id() == id).findFirst().orElseThrow();
        assertThat(entry.sourceId()).isEqualTo("C-9");
        assertThat(entry.reasons()).extracting(r -> r.get("code") + ":" + r.get("field"))
                .containsExactly("REQUIRED:name", "UNKNOWN_CODE:country", "INVALID_FORMAT:email");
        assertThat(entry.payload()).contains("info@@x.de").contains("\"CUSTNO\":\"C-9\"");
    }

    @Test
    void changeReaderPagesThroughTiesWithoutLosingOrRepeatingRowsAndWatermarkNeverMovesBack() {
        try (HikariDataSource erpDb = TestServices.newErpDataSource(false)) {
            var insert = new NamedParameterJdbcTemplate(erpDb);
            for (int i = 0; i < 7; i++) {
                insert.getJdbcTemplate().update("INSERT INTO CUSTMST (CUSTNO, CNAME, CSTAT, LCHG, LUSR) VALUES (?, ?, 'A', ?, 'T')",
                        String.format("%010d", i), "Tie " + i, java.sql.Timestamp.valueOf(LocalDateTime.of(2024, 1, 1, 12, 0)));
            }
            ErpChangeReader reader = new ErpChangeReader(mapper.mapping(), erpDb, watermarks, 3, leases, Duration.ofSeconds(30));
            Set<String> seen = new HashSet<>();
            List<Integer> pageSizes = new ArrayList<>();
            for (int page = 0; page < 5; page++) {
                var batch = reader.readNextBatch();
                pageSizes.add(batch.records().size());
                batch.records().forEach(r -> assertThat(seen.add(r.externalId())).as("read twice: " + r.externalId()).isTrue());
                reader.commit(batch);
            }
            assertThat(seen).hasSize(7);
            assertThat(pageSizes).containsExactly(3, 3, 1, 0, 0);

            var at = watermarks.get(reader.watermarkName());
            watermarks.advance(reader.watermarkName(), new Watermarks.Position(at.changedAt().minusDays(1), "0"));
            assertThat(watermarks.get(reader.watermarkName())).isEqualTo(at);
        }
    }

    @Test
    void aRowCommittedLateBehindTheWatermarkIsPickedUpInsideTheOverlapWindowOnce() {
        try (HikariDataSource erpDb = TestServices.newErpDataSource(false)) {
            var erpJdbc = new NamedParameterJdbcTemplate(erpDb).getJdbcTemplate();
            LocalDateTime t = LocalDateTime.of(2024, 2, 1, 12, 0);
            erpJdbc.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES ('L-2', 'Zwei', 'DE', 'A', ?, 'T')",
                    java.sql.Timestamp.valueOf(t));
            Watermarks own = watermarksOfItsOwn(Watermarks.Position.START);
            ErpChangeReader reader = new ErpChangeReader(mapper.mapping(), erpDb, own, 100, leases, Duration.ofSeconds(30),
                    Duration.ofMinutes(2), jdbc);
            var first = reader.readNextBatch();
            assertThat(first.records()).extracting(SourceRecord::externalId).containsExactly("L-2");
            first.records().forEach(r -> writer.apply(mapper.map(r)));
            reader.commit(first);

            // A transaction that stamped its row a minute earlier commits only now; another ten minutes earlier.
            erpJdbc.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES ('L-1', 'Eins', 'DE', 'A', ?, 'T')",
                    java.sql.Timestamp.valueOf(t.minusMinutes(1)));
            erpJdbc.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES ('L-0', 'Null', 'DE', 'A', ?, 'T')",
                    java.sql.Timestamp.valueOf(t.minusMinutes(10)));
            var second = reader.readNextBatch();
            assertThat(second.records()).extracting(SourceRecord::externalId).as("late, inside the window only").containsExactly("L-1");
            second.records().forEach(r -> writer.apply(mapper.map(r)));
            reader.commit(second);
            assertThat(reader.readNextBatch().records()).as("applied rows are not published again").isEmpty();
        }
    }

    @Test
    void aLateRowIsFoundAnywhereInABusyOverlapWindowAndRowsPublishedButNotYetAppliedAreNotPublishedAgain() {
        try (HikariDataSource erpDb = TestServices.newErpDataSource(false)) {
            var erpJdbc = new NamedParameterJdbcTemplate(erpDb).getJdbcTemplate();
            LocalDateTime t = LocalDateTime.of(2024, 3, 1, 12, 0);
            // a busy minute: ten changes, five seconds apart, more than a page of 3
            for (int i = 0; i < 10; i++) {
                erpJdbc.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES (?, ?, 'DE', 'A', ?, 'T')",
                        String.format("W-%02d", i), "Welle " + i, java.sql.Timestamp.valueOf(t.minusSeconds(60 - 5L * i)));
            }
            Watermarks own = watermarksOfItsOwn(new Watermarks.Position(t.minusMinutes(5), ""));
            ErpChangeReader reader = new ErpChangeReader(mapper.mapping(), erpDb, own, 3, leases, Duration.ofSeconds(30),
                    Duration.ofMinutes(2), jdbc);
            // The consumers lag: nothing read is in the CRM yet. Each poll's first page looks behind.
            List<String> published = new ArrayList<>();
            List<Integer> pages = new ArrayList<>();
            for (int poll = 0; poll < 6; poll++) {
                var batch = reader.readPage(0);
                pages.add(batch.records().size());
                batch.records().forEach(r -> published.add(r.externalId().strip()));
                reader.commit(batch);
            }
            assertThat(published).as("each row once, though the CRM has none of them yet")
                    .containsExactly("W-00", "W-01", "W-02", "W-03", "W-04", "W-05", "W-06", "W-07", "W-08", "W-09");
            assertThat(pages).containsExactly(3, 3, 3, 1, 0, 0);

            // A transaction that stamped its row 17 s before t commits only now: behind 8 of the window's rows.
            erpJdbc.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES ('W-LATE', 'Spät', 'DE', 'A', ?, 'T')",
                    java.sql.Timestamp.valueOf(t.minusSeconds(17)));
            var late = reader.readPage(0);
            assertThat(late.records()).extracting(r -> r.externalId().strip()).containsExactly("W-LATE");
            assertThat(late.full()).isFalse();
            reader.commit(late);
            assertThat(reader.readPage(0).records()).as("published once").isEmpty();

            // Another reader (a hub that took the source over) knows only what the CRM has.
            late.records().forEach(r -> writer.apply(mapper.map(r)));
            ErpChangeReader takeover = new ErpChangeReader(mapper.mapping(), erpDb, own, 3, leases, Duration.ofSeconds(30),
                    Duration.ofMinutes(2), jdbc);
            assertThat(takeover.readPage(0).records()).extracting(r -> r.externalId().strip())
                    .as("not applied yet: published again, for the idempotent receiver to absorb where it arrives twice")
                    .containsExactly("W-00", "W-01", "W-02", "W-03", "W-04", "W-05", "W-06", "W-07", "W-08", "W-09");
            // What it found in the CRM it remembers: a window that stays put costs no look-ups poll after poll
            // (were W-LATE's key gone from the CRM, it would be published again if asked).
            jdbc.getJdbcTemplate().update("delete from processed_message where message_key = ?", late.records().get(0).versionKey());
            assertThat(takeover.readPage(0).records()).extracting(r -> r.externalId().strip()).doesNotContain("W-LATE");
            assertThat(new ErpChangeReader(mapper.mapping(), erpDb, own, 3, leases, Duration.ofSeconds(30), Duration.ofMinutes(2), jdbc)
                    .readPage(0).records()).extracting(r -> r.externalId().strip()).contains("W-LATE");
        }
    }

    @Test
    void aRowCommittedTwiceWithinOneSecondIsReadOnceItsSecondIsOverWithTheLastCommitsValues() {
        try (HikariDataSource erpDb = TestServices.newErpDataSource(false)) {
            var erpJdbc = new NamedParameterJdbcTemplate(erpDb).getJdbcTemplate();
            LocalDateTime erpNow = erpJdbc.queryForObject("SELECT LOCALTIMESTAMP", java.sql.Timestamp.class).toLocalDateTime();
            // a second still running by the ERP's clock when the row is first polled
            LocalDateTime stamp = erpNow.plusSeconds(2).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            ErpChangeReader reader = new ErpChangeReader(mapper.mapping(), erpDb, watermarksOfItsOwn(
                    new Watermarks.Position(erpNow.minusMinutes(1), "")), 100, leases, Duration.ofSeconds(30))
                    .settling(Duration.ofSeconds(1), "SELECT LOCALTIMESTAMP");
            erpJdbc.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES ('S-1', 'Erster Stand', 'DE', 'A', ?, 'T')",
                    java.sql.Timestamp.valueOf(stamp));
            assertThat(reader.readPage(0).records()).as("its second is not over").isEmpty();
            // the same row committed again within the same second: the same stamp
            erpJdbc.update("UPDATE CUSTMST SET CNAME = 'Zweiter Stand' WHERE CUSTNO = 'S-1'");

            List<SourceRecord> read = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> reader.readPage(0).records(), r -> !r.isEmpty());
            assertThat(read).extracting(r -> r.columns().get("CNAME").strip()).as("read once, with the last commit's values")
                    .containsExactly("Zweiter Stand");
            assertThat(read.get(0).changedAt()).isEqualTo(stamp.toInstant(java.time.ZoneOffset.UTC));
        }
    }

    @Test
    void oneOutboxRelayAtATimeSoEventsLeaveInTheOrderTheyCommitted() throws Exception {
        JdbcTemplate t = jdbc.getJdbcTemplate();
        t.update("update outbox_event set published_at = now() where published_at is null");
        UUID record = UUID.randomUUID();
        for (int i = 1; i <= 3; i++) {
            t.update("insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload) "
                    + "values ('ACCOUNT', ?, 'ACCOUNT_UPDATED', 'CRM', cast(? as jsonb))", record, "{\"version\": " + i + "}");
        }
        OutboxRelay relay = new OutboxRelay(jdbc, new ObjectMapper());
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(crm));
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            List<Integer> first = new ArrayList<>();
            List<Integer> besideIt = new ArrayList<>();
            tx.executeWithoutResult(s -> {
                List<OutboxEvent> batch = relay.claimBatch(2);
                batch.forEach(e -> first.add(e.payload().get("version").asInt()));
                // a second hub's relay, while this one's batch is on its way
                try {
                    other.submit(() -> tx.executeWithoutResult(s2 -> relay.claimBatch(2)
                            .forEach(e -> besideIt.add(e.payload().get("version").asInt())))).get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                relay.markPublished(batch);
            });
            List<Integer> after = new ArrayList<>();
            other.submit(() -> tx.executeWithoutResult(s -> {
                List<OutboxEvent> batch = relay.claimBatch(2);
                batch.forEach(e -> after.add(e.payload().get("version").asInt()));
                relay.markPublished(batch);
            })).get();

            assertThat(first).containsExactly(1, 2);
            assertThat(besideIt).as("nothing while another relay holds its batch").isEmpty();
            assertThat(after).as("the next batch once that one is done").containsExactly(3);
            assertThat(count("select count(*) from outbox_event where published_at is null")).isZero();
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void demoErpAccountsMapWithTheShippedConfiguration() {
        ErpChangeReader reader = new ErpChangeReader(mapper.mapping(), erp, new Watermarks(jdbc) {
            @Override
            public Position get(String source) {
                return Position.START;
            }
        }, 1000, leases, Duration.ofSeconds(30));
        List<MappedRecord> mapped = reader.readNextBatch().records().stream().map(mapper::map).toList();
        assertThat(mapped).hasSize(23);
        Map<String, MappedRecord> byId = new LinkedHashMap<>();
        mapped.forEach(m -> byId.put(m.source().externalId(), m));
        assertThat(byId.get("0000010010").text("city")).isEqualTo("Köln");
        assertThat(byId.get("0000010010").text("phone")).isEqualTo("+492219876543");
        assertThat(byId.get("0000010072").violations()).hasSize(4);
        assertThat(mapped.stream().filter(m -> !m.valid()).map(m -> m.source().externalId()))
                .as("blank name, unknown country, four faults, e-mail 'sales at ...'")
                .containsExactlyInAnyOrder("0000010021", "0000010070", "0000010071", "0000010072");
    }

    private static long count(String sql) {
        Long n = jdbc.getJdbcTemplate().queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }
}
