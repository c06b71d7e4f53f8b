package io.crmhub.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MappingConfiguration;
import io.crmhub.connectors.crm.CrmEntity;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.crm.CrmWriter;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.erp.ErpChangeReader;
import io.crmhub.connectors.store.PollerLeases;
import io.crmhub.connectors.store.QuarantineStore;
import io.crmhub.connectors.store.Watermarks;
import io.crmhub.connectors.sync.InboundChanges;
import io.crmhub.connectors.sync.InboundChanges.Outcome;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.mapping.CodeTables;
import io.crmhub.transformers.mapping.MappedRecord;
import io.crmhub.transformers.mapping.RecordMapper;
import io.crmhub.transformers.model.SourceRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Contacts and orders from the ERP: parents first or waiting for them, lines with their order, batches. */
class ContactOrderSyncIT {

    private static HikariDataSource crm;
    private static NamedParameterJdbcTemplate named;
    private static JdbcTemplate jdbc;
    private static ObjectMapper json;
    private static CodeTables codes;
    private static InboundChanges accounts;
    private static InboundChanges contacts;
    private static InboundChanges orders;
    private static WaitingRecords waiting;
    private static QuarantineStore quarantine;
    private static TransactionTemplate tx;

    @BeforeAll
    static void setUp() {
        crm = TestServices.newCrmDataSource();
        CrmStoreConfiguration.migrate(crm);
        named = new NamedParameterJdbcTemplate(crm);
        jdbc = named.getJdbcTemplate();
        json = new ObjectMapper().registerModule(new JavaTimeModule());
        codes = MappingConfiguration.loadCodeTables("../config");
        waiting = new WaitingRecords(named, json);
        quarantine = new QuarantineStore(named, json);
        tx = new TransactionTemplate(new DataSourceTransactionManager(crm));
        accounts = inbound("erp-account", Duration.ofHours(1), Clock.systemUTC());
        contacts = inbound("erp-contact", Duration.ofHours(1), Clock.systemUTC());
        orders = inbound("erp-order", Duration.ofHours(1), Clock.systemUTC());
    }

    @AfterAll
    static void tearDown() {
        crm.close();
    }

    private static RecordMapper mapper(String name) {
        return new RecordMapper(MappingConfiguration.loadMapping("../config", name), codes);
    }

    private static InboundChanges inbound(String mapping, Duration parentWait, Clock clock) {
        RecordMapper m = mapper(mapping);
        CrmWriter writer = new CrmWriter(CrmEntity.named(m.mapping().entity()), jdbc, tx, waiting, json,
                m.mapping().references(), Set.of(), Set.of(), Duration.ofSeconds(5));
        return new InboundChanges(m, writer, quarantine, waiting, tx, json, parentWait, clock);
    }

    private static SourceRecord account(String custno, String name, Instant at) {
        return new SourceRecord("erp", "account", custno, at,
                Map.of("CUSTNO", custno, "CNAME", name, "CCTRY", "DE", "CSTAT", "A"));
    }

    private static SourceRecord contact(String contno, String custno, String lastName, Instant at) {
        return new SourceRecord("erp", "contact", contno, at, Map.of("CONTNO", contno, "CUSTNO", custno, "FNAME", "Anna",
                "LNAME", lastName, "CROLE", "BUY", "CPHON", "0221 9876540", "CCTRY", "DE"));
    }

    private static SourceRecord order(String ordno, String custno, Instant at, String... lines) {
        List<Map<String, String>> l = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String[] sq = lines[i].split("x");
            l.add(Map.of("ORDNO", ordno, "LINNO", String.valueOf(i + 1), "ITEM", sq[0], "QTY", sq[1], "PRICE", "10.00"));
        }
        return new SourceRecord("erp", "order", ordno, at, Map.of("ORDNO", ordno, "CUSTNO", custno, "ODATE", "20240110",
                "OSTAT", "OP", "CURR", "eur", "OTOTL", "100.00"), l);
    }

    @Test
    void aContactBeforeItsAccountWaitsWithoutOrphanOrPlaceholderAndLandsWhenTheAccountArrives() {
        Instant t = Instant.parse("2024-06-01T08:00:00Z");
        assertThat(contacts.apply(contact("K-C1", "K-A1", "Early", t)).count(Outcome.WAITING)).isEqualTo(1);
        assertThat(contacts.apply(contact("K-C1", "K-A1", "Early", t)).count(Outcome.WAITING)).as("redelivered").isEqualTo(1);
        assertThat(contacts.apply(contact("K-C1", "K-A1", "Later", t.plusSeconds(5))).count(Outcome.WAITING)).isEqualTo(1);
        assertThat(count("select count(*) from waiting_record where external_id = 'K-C1'")).isEqualTo(2);
        assertThat(contacts.retryWaiting(100).counts()).as("the account is still missing").isEmpty();
        assertThat(count("select count(*) from contact where last_name in ('Early', 'Later')")).isZero();
        assertThat(count("select count(*) from account where name like 'K-A1%'")).as("no placeholder").isZero();

        accounts.apply(account("K-A1", "K-A1 Handels GmbH", t));
        InboundChanges.Result retried = contacts.retryWaiting(100);
        assertThat(retried.count(Outcome.CREATED)).isEqualTo(1);
        assertThat(retried.count(Outcome.STALE)).as("the earlier version, overtaken").isEqualTo(1);
        assertThat(jdbc.queryForList("""
                select c.last_name || '|' || c.phone || '|' || c.role || '|' || a.name from contact c
                join account a on a.id = c.account_id join xref x on x.crm_id = c.id and x.external_id = 'K-C1'""", String.class))
                .containsExactly("Later|+492219876540|BUYER|K-A1 Handels GmbH");
        assertThat(count("select count(*) from waiting_record where external_id = 'K-C1'")).isZero();
    }

    @Test
    void aRecordWhoseParentNeverArrivesGoesToQuarantineAfterTheWaitWithItsPayload() {
        contacts.apply(contact("K-C9", "K-NOBODY", "Orphan", Instant.parse("2024-06-01T08:00:00Z")));
        InboundChanges twoHoursLater = inbound("erp-contact", Duration.ofHours(1),
                Clock.offset(Clock.systemUTC(), Duration.ofHours(2)));
        assertThat(twoHoursLater.retryWaiting(100).count(Outcome.QUARANTINED)).isEqualTo(1);
        var entry = quarantine.list("OPEN", "erp", 100, 0).stream().filter(e -> "K-C9".equals(e.sourceId())).findFirst().orElseThrow();
        assertThat(entry.reasons()).extracting(r -> r.get("code") + ":" + r.get("field")).containsExactly("MISSING_PARENT:account");
        assertThat(entry.reasons().get(0).get("message")).contains("K-NOBODY");
        assertThat(entry.payload()).contains("\"LNAME\":\"Orphan\"");
        assertThat(count("select count(*) from waiting_record where external_id = 'K-C9'")).isZero();
        assertThat(count("select count(*) from contact where last_name = 'Orphan'")).isZero();
    }

    @Test
    void orderLinesTravelWithTheirOrderAndAreReplacedOnlyWhenTheyChange() {
        Instant t = Instant.parse("2024-06-02T08:00:00Z");
        accounts.apply(account("K-A2", "K-A2 AG", t));
        assertThat(orders.apply(order("K-O1", "K-A2", t, "WID-1x10", "WID-2x1.5")).count(Outcome.CREATED)).isEqualTo(1);
        assertThat(lines("K-O1")).containsExactly("1|WID-1|10.000|10.00", "2|WID-2|1.500|10.00");
        assertThat(orders.apply(order("K-O1", "K-A2", t.plusSeconds(1), "WID-1x10.0", "WID-2x1.50")).count(Outcome.UNCHANGED))
                .as("same values, other notation").isEqualTo(1);
        assertThat(orders.apply(order("K-O1", "K-A2", t.plusSeconds(2), "WID-1x12", "WID-2x1.5", "WID-3x1")).count(Outcome.UPDATED))
                .isEqualTo(1);
        assertThat(lines("K-O1")).containsExactly("1|WID-1|12.000|10.00", "2|WID-2|1.500|10.00", "3|WID-3|1.000|10.00");
        assertThat(jdbc.queryForObject("""
                select o.currency || '|' || o.status || '|' || o.version from sales_order o
                join xref x on x.crm_id = o.id and x.entity_type = 'ORDER' and x.external_id = 'K-O1'""", String.class))
                .isEqualTo("EUR|CONFIRMED|1");

        SourceRecord badLine = order("K-O2", "K-A2", t, "WID-1xmany");
        assertThat(orders.apply(badLine).count(Outcome.QUARANTINED)).isEqualTo(1);
        var entry = quarantine.list("OPEN", "erp", 100, 0).stream().filter(e -> "K-O2".equals(e.sourceId())).findFirst().orElseThrow();
        assertThat(entry.reasons()).extracting(r -> r.get("code") + ":" + r.get("field")).containsExactly("INVALID_FORMAT:lines[0].quantity");
    }

    @Test
    void aShuffledBatchWithRedeliveriesAndSeveralVersionsOfARecordLeavesTheLatestOnceInOneTransaction() {
        Instant t = Instant.parse("2024-06-03T08:00:00Z");
        List<SourceRecord> batch = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            for (int v = 0; v <= i % 3; v++) {
                SourceRecord r = account("K-B" + i, "Batch " + i + " v" + v, t.plusSeconds(v));
                for (int d = 0; d <= (i + v) % 2; d++) {
                    batch.add(r);
                }
            }
        }
        Collections.shuffle(batch, new Random(7));
        InboundChanges.Result result = accounts.applyAll(batch);
        assertThat(result.count(Outcome.CREATED)).isEqualTo(200);
        assertThat(result.count(Outcome.CREATED) + result.count(Outcome.STALE) + result.count(Outcome.DUPLICATE)).isEqualTo(batch.size());
        assertThat(jdbc.queryForList("select name from account where name like 'Batch %' order by name", String.class))
                .hasSize(200).allMatch(n -> n.endsWith(" v" + (Integer.parseInt(n.split(" ")[1]) % 3)));
        assertThat(accounts.applyAll(batch).count(Outcome.DUPLICATE)).as("the whole batch again").isEqualTo(batch.size());
    }

    @Test
    void demoContactsAndOrdersMapWithTheShippedConfiguration() {
        try (HikariDataSource erp = TestServices.newErpDataSource(true)) {
            Watermarks fromStart = new Watermarks(named) {
                @Override
                public Position get(String source) {
                    return Position.START;
                }
            };
            RecordMapper contactMapper = mapper("erp-contact");
            List<MappedRecord> cs = new ErpChangeReader(contactMapper.mapping(), erp, fromStart, 100, new PollerLeases(named),
                    Duration.ofSeconds(30)).readNextBatch().records().stream().map(contactMapper::map).toList();
            assertThat(cs).hasSize(8);
            Map<String, MappedRecord> byId = new LinkedHashMap<>();
            cs.forEach(m -> byId.put(m.source().externalId(), m));
            assertThat(byId.get("C000020003").text("phone")).as("national number read in the customer's country").isEqualTo("+492219876540");
            assertThat(byId.get("C000020003").text("lastName")).isEqualTo("Müller");
            assertThat(byId.get("C000020001").text("phone")).isEqualTo("+12165550150");
            assertThat(byId.get("C000020008").violations()).extracting(v -> v.code() + ":" + v.field())
                    .containsExactly("INVALID_FORMAT:phone");

            RecordMapper orderMapper = mapper("erp-order");
            List<MappedRecord> os = new ErpChangeReader(orderMapper.mapping(), erp, fromStart, 100, new PollerLeases(named),
                    Duration.ofSeconds(30)).readNextBatch().records().stream().map(orderMapper::map).toList();
            assertThat(os).hasSize(4).allMatch(MappedRecord::valid);
            assertThat(os.get(0).lines()).hasSize(2);
            assertThat(os.get(1).lines().get(0).get("description")).isEqualTo("Brötchen-Automat");
        }
    }

    private static List<String> lines(String ordno) {
        return jdbc.queryForList("""
                select l.line_number || '|' || l.sku || '|' || l.quantity || '|' || l.unit_price from order_line l
                join xref x on x.crm_id = l.order_id and x.entity_type = 'ORDER' and x.external_id = ?
                order by l.line_number""", String.class, ordno);
    }

    private static long count(String sql) {
        Long n = jdbc.queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }
}
