package io.crmhub.connectors.crm;

import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.embedded.TestServices;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import java.sql.Connection;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cross-reference probe stays one index probe per key on a store whose tables were never
 * analyzed, as a fresh store's first migration finds them, also in the generic plan a pooled
 * connection settles on. Pulled up into a join, it read every cross-reference for each key.
 */
class XrefProbeIT {

    @ParameterizedTest(name = "locked: {0}")
    @ValueSource(booleans = {false, true})
    void probesTheKeyOnATableNeverAnalyzed(boolean locked) throws Exception {
        try (HikariDataSource db = TestServices.newCrmDataSource()) {
            CrmStoreConfiguration.migrate(db);
            try (Connection c = db.getConnection()) {
                JdbcTemplate jdbc = new JdbcTemplate(new SingleConnectionDataSource(c, true));
                assertThat(jdbc.queryForObject("select reltuples from pg_class where relname = 'xref'", Float.class))
                        .as("never analyzed").isNegative();
                String sql = CrmWriter.xrefProbe(locked);
                int n = 0;
                StringBuilder numbered = new StringBuilder();
                for (char ch : sql.toCharArray()) {
                    numbered.append(ch == '?' ? "$" + ++n : String.valueOf(ch));
                }
                assertThat(n).isEqualTo(3);
                jdbc.execute("set plan_cache_mode = force_generic_plan");
                jdbc.execute("prepare probe(varchar[], text, text) as " + numbered);
                String plan = String.join("\n", jdbc.queryForList(
                        "explain execute probe('{C-1,C-2}', 'ACCOUNT', 'LEGACY')", String.class));

                assertThat(plan).as(plan).contains("Index Cond: ((external_id = (k.k)::text)").doesNotContain("Join Filter");
            }
        }
    }
}
