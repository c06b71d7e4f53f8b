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
        ds.setExceptionOverrideClassName(BrokenConnections.class.getName());
        if (url != null && url.startsWith("jdbc:postgresql:")) {
            // JDBC batches of inserts travel as multi-row statements.
            ds.addDataSourceProperty("reWriteBatchedInserts", "true");
        }
        return ds;
    }
}
