package io.crmhub.connectors.config;

import com.zaxxer.hikari.HikariDataSource;

/** JDBC connection pools of the hub's databases, named so that metrics and logs tell them apart. */
public final class Pools {

    private Pools() {
    }

    public static HikariDataSource hikari(String name, String url, String username, String password, int size) {
        HikariDataSource ds = new HikariDataSource();
        ds.setPoolName(name);
        ds.setJdbcUrl(url);
        ds.setUsername(username);
        ds.setPassword(password);
        ds.setMaximumPoolSize(size);
        if (url != null && url.startsWith("jdbc:postgresql:")) {
            // JDBC batches of inserts travel as multi-row statements.
            ds.addDataSourceProperty("reWriteBatchedInserts", "true");
            // Plan each statement for its actual arguments. A server-side prepared statement
            // keeps the generic plan it chose while a table was small: the batch look-ups by
            // key array (xref, processed_message) then stay sequential scans as the table grows
            // to millions of rows during an initial load.
            ds.addDataSourceProperty("options", "-c plan_cache_mode=force_custom_plan");
        }
        return ds;
    }
}
