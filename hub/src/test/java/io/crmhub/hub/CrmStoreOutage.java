package io.crmhub.hub;

import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.Callable;

/** The CRM store taken away from a running hub: its connections cut, no new ones taken. */
final class CrmStoreOutage {

    private CrmStoreOutage() {
    }

    /** Runs {@code during} while the hub's CRM store (the database of {@code crm}) is away. */
    static <T> T during(Environment env, JdbcTemplate crm, Callable<T> during) throws Exception {
        String db = crm.queryForObject("select current_database()", String.class);
        String adminUrl = env.getProperty("hub.crm.url").replaceFirst("^(jdbc:postgresql://[^/]+/)[^?]*", "$1postgres");
        try (Connection admin = DriverManager.getConnection(adminUrl, env.getProperty("hub.crm.username"),
                env.getProperty("hub.crm.password", ""));
             Statement sql = admin.createStatement()) {
            sql.execute("alter database \"" + db + "\" with allow_connections false");
            try {
                sql.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + db + "'");
                return during.call();
            } finally {
                sql.execute("alter database \"" + db + "\" with allow_connections true");
            }
        }
    }
}
