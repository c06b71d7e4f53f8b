package io.crmhub.connectors.crm;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.BulkSql.Col;
import io.crmhub.embedded.TestServices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BulkSqlIT {

    private static HikariDataSource db;
    private static JdbcTemplate jdbc;

    @BeforeAll
    static void setUp() {
        db = TestServices.newCrmDataSource();
        jdbc = new JdbcTemplate(db);
        jdbc.execute("create table copied (n int primary key, t text, status text not null, at timestamptz, amount numeric, doc jsonb)");
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void copiedValuesArriveAsWrittenWhateverCharactersTheyHold() {
        BulkSql insert = BulkSql.insert("copied", List.of(new Col("n", "int"), new Col("t", "text"),
                new Col("status", "text", "ACTIVE"), new Col("at", "timestamptz"), new Col("amount", "numeric"), new Col("doc", "jsonb")));
        String[] texts = {"plain", "tab\there", "two\nlines", "carriage\rreturn", "back\\slash", "\\N", "N", "", "Köln – Müller GmbH",
                "\\\t\n\r mixed \\\\", null};
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            rows.add(new Object[]{i, texts[i], i % 2 == 0 ? null : "BLOCKED", Timestamp.from(Instant.parse("2025-03-01T10:15:30Z")),
                    new BigDecimal("12.50"), "{\"quote\": \"a \\\"b\\\" \\\\ c\", \"tab\": \"x\\ty\"}"});
        }

        assertThat(insert.execute(jdbc, rows)).isEqualTo(texts.length);

        List<Map<String, Object>> stored = jdbc.queryForList(
                "select n, t, status, at = timestamptz '2025-03-01 10:15:30+00' as at_ok, amount::text as amount, doc->>'quote' as quote, doc->>'tab' as tab from copied order by n");
        assertThat(stored).hasSize(texts.length);
        for (int i = 0; i < texts.length; i++) {
            Map<String, Object> row = stored.get(i);
            assertThat(row.get("t")).as("row %d", i).isEqualTo(texts[i]);
            assertThat(row.get("status")).as("a null takes the column's value for null").isEqualTo(i % 2 == 0 ? "ACTIVE" : "BLOCKED");
            assertThat(row.get("at_ok")).isEqualTo(true);
            assertThat(row.get("amount")).isEqualTo("12.50");
            assertThat(row.get("quote")).isEqualTo("a \"b\" \\ c");
            assertThat(row.get("tab")).isEqualTo("x\ty");
        }
    }

    @Test
    void copiedTimestampsArriveAsTheInstantsTheyAre() {
        // written by hand for speed: each must mean to the server what Instant.toString() means
        List<Instant> instants = new ArrayList<>(List.of(Instant.EPOCH, Instant.parse("1969-12-31T23:59:59.5Z"),
                Instant.parse("1900-02-28T12:00:00.000001Z"), Instant.parse("2024-02-29T23:59:59.999999Z"),
                Instant.parse("2025-03-01T10:15:30.120Z"), Instant.parse("0001-01-01T00:00:00Z"),
                Instant.parse("9999-12-31T23:59:59.999999Z"), Instant.parse("2025-03-01T10:15:30.123456789Z")));
        java.util.Random random = new java.util.Random(29);
        for (int i = 0; i < 2_000; i++) {
            long micros = random.nextLong(-2_208_988_800_000_000L, 4_102_444_800_000_000L); // 1900 to 2100
            instants.add(Instant.EPOCH.plus(micros, java.time.temporal.ChronoUnit.MICROS));
        }
        jdbc.execute("create table copied_times (n int primary key, at timestamptz, said text)");
        BulkSql insert = BulkSql.insert("copied_times", List.of(new Col("n", "int"), new Col("at", "timestamptz"), new Col("said", "text")));
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < instants.size(); i++) {
            rows.add(new Object[]{i, Timestamp.from(instants.get(i)), instants.get(i).toString()});
        }

        assertThat(insert.execute(jdbc, rows)).isEqualTo(instants.size());

        assertThat(jdbc.queryForObject("select count(*) from copied_times where at = cast(said as timestamptz)", Long.class))
                .isEqualTo(instants.size());
        assertThat(BulkSql.timestamp(Timestamp.from(Instant.parse("1969-12-31T23:59:59.5Z")))).isEqualTo("1969-12-31T23:59:59.500000000Z");
        assertThat(BulkSql.timestamp(Timestamp.from(Instant.parse("2025-03-01T10:15:30Z")))).isEqualTo("2025-03-01T10:15:30Z");
    }

    @Test
    void aRefusedRowFailsTheWholeCopyAndTheTransactionWritesNothing() {
        BulkSql insert = BulkSql.insert("copied", List.of(new Col("n", "int"), new Col("t", "text"), new Col("status", "text")));
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(db));
        long before = jdbc.queryForObject("select count(*) from copied", Long.class);

        assertThatThrownBy(() -> tx.executeWithoutResult(s -> insert.execute(jdbc,
                List.of(new Object[]{1000, "fine", "ACTIVE"}, new Object[]{1001, "no status", null}))))
                .hasMessageContaining("status");

        assertThat(jdbc.queryForObject("select count(*) from copied", Long.class)).isEqualTo(before);
    }
}
