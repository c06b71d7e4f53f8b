package io.crmhub.embedded;

import com.zaxxer.hikari.HikariDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real services for tests, one set per JVM. By default everything runs in-process (embedded
 * PostgreSQL, H2 in MariaDB mode for the ERP, Kafka in KRaft mode). With
 * {@code -Dhub.test.services=real} (Maven profile {@code real-services}) the databases are the
 * machine's PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306. Every caller gets a database
 * of its own; databases created on the real servers are dropped when the JVM exits.
 */
public final class TestServices {

    public static final String REAL_PG_URL = System.getProperty("hub.test.pg-url", "jdbc:postgresql://127.0.0.1:5432/postgres");
    public static final String REAL_PG_USER = System.getProperty("hub.test.pg-user", "postgres");
    public static final String REAL_MARIADB_URL = System.getProperty("hub.test.mariadb-url", "jdbc:mariadb://127.0.0.1:3306/");
    public static final String REAL_MARIADB_USER = System.getProperty("hub.test.mariadb-user", "root");

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final List<Runnable> CLEANUP = new ArrayList<>();
    private static EmbeddedCrmDatabase crm;
    private static EmbeddedKafka kafka;
    private static org.h2.tools.Server h2;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TestServices::cleanUp, "test-services-cleanup"));
    }

    private TestServices() {
    }

    /** Whether the tests run against the machine's PostgreSQL and MariaDB. */
    public static boolean real() {
        return "real".equalsIgnoreCase(System.getProperty("hub.test.services", "embedded"));
    }

    /** A JDBC URL of a new, empty PostgreSQL database. */
    public static synchronized String newCrmDatabaseUrl() {
        String name = "crm_it_" + COUNTER.incrementAndGet() + "_" + shortId();
        try {
            if (real()) {
                try (Connection c = DriverManager.getConnection(REAL_PG_URL, REAL_PG_USER, "");
                     Statement s = c.createStatement()) {
                    s.execute("create database " + name);
                }
                CLEANUP.add(() -> exec(REAL_PG_URL, REAL_PG_USER, "drop database if exists " + name + " with (force)"));
                return REAL_PG_URL.substring(0, REAL_PG_URL.lastIndexOf('/') + 1) + name;
            }
            if (crm == null) {
                crm = EmbeddedCrmDatabase.start(null, 0, PostgresStatements.serverSettings());
                CLEANUP.add(() -> quietly(crm));
            }
            return crm.createDatabase(name);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create test database " + name + ": " + e.getMessage(), e);
        }
    }

    public static String crmUser() {
        return real() ? REAL_PG_USER : "postgres";
    }

    public static HikariDataSource newCrmDataSource() {
        return pool(newCrmDatabaseUrl(), crmUser());
    }

    /** A JDBC URL of a new, empty ERP database: MariaDB (latin1) when real, else H2 in MariaDB mode. */
    public static String newErpDatabaseUrl() {
        return newErpDatabaseUrl(false);
    }

    /**
     * @param sharedAcrossProcesses whether other JVMs must reach it too (an H2 file database with
     *                              automatic server mode instead of an in-memory one)
     */
    public static synchronized String newErpDatabaseUrl(boolean sharedAcrossProcesses) {
        String name = "erp_it_" + COUNTER.incrementAndGet() + "_" + shortId();
        if (real()) {
            exec(REAL_MARIADB_URL, REAL_MARIADB_USER, "create database " + name + " character set latin1");
            CLEANUP.add(() -> exec(REAL_MARIADB_URL, REAL_MARIADB_USER, "drop database if exists " + name));
            return REAL_MARIADB_URL + name;
        }
        if (sharedAcrossProcesses) {
            try {
                java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("erp-it-");
                return "jdbc:h2:file:" + dir.resolve(name) + ";MODE=MariaDB;AUTO_SERVER=TRUE";
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return "jdbc:h2:mem:" + name + ";MODE=MariaDB;DB_CLOSE_DELAY=-1";
    }

    /**
     * A new ERP database reached over TCP, so that a {@link TcpProxy} can stand between it and its
     * clients: MariaDB with real services, else an H2 server over TCP (one per JVM).
     */
    public static synchronized String newErpDatabaseUrlOverTcp() {
        if (real()) {
            return newErpDatabaseUrl();
        }
        if (h2 == null) {
            try {
                h2 = org.h2.tools.Server.createTcpServer("-tcpPort", String.valueOf(FreePorts.pick()), "-ifNotExists", "-tcpDaemon")
                        .start();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("cannot start the H2 TCP server: " + e.getMessage(), e);
            }
            CLEANUP.add(h2::stop);
        }
        return "jdbc:h2:tcp://127.0.0.1:" + h2.getPort() + "/mem:erp_tcp_" + COUNTER.incrementAndGet() + "_" + shortId()
                + ";MODE=MariaDB;DB_CLOSE_DELAY=-1";
    }

    /** A database URL reached through a relay that can cut it off, and the relay. */
    public record Relayed(String url, TcpProxy relay) {
    }

    /** Puts a relay between the clients of {@code url} (a TCP one: {@code //host:port/}) and its server. */
    public static Relayed relayed(String url) throws java.io.IOException {
        java.util.regex.Matcher at = java.util.regex.Pattern.compile("//([^:/]+):(\\d+)/").matcher(url);
        if (!at.find()) {
            throw new IllegalArgumentException("no host:port in " + url);
        }
        TcpProxy relay = new TcpProxy(at.group(1), Integer.parseInt(at.group(2)));
        CLEANUP.add(() -> quietly(relay));
        return new Relayed(url.substring(0, at.start()) + "//127.0.0.1:" + relay.port() + "/" + url.substring(at.end()), relay);
    }

    public static String erpUser() {
        return real() ? REAL_MARIADB_USER : "erp";
    }

    /** A new ERP database with the ERP tables, and the demo data when asked. */
    public static HikariDataSource newErpDataSource(boolean withDemoData) {
        HikariDataSource ds = pool(newErpDatabaseUrl(), erpUser());
        ErpFixtures.apply(ds, withDemoData);
        return ds;
    }

    /** The JVM's in-process Kafka broker (KRaft), started on first use. */
    public static synchronized String kafkaBootstrap() {
        if (kafka == null) {
            try {
                java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("kafka-it-");
                kafka = EmbeddedKafka.start(dir, 0);
                CLEANUP.add(() -> quietly(kafka));
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the test Kafka broker: " + e.getMessage(), e);
            }
        }
        return kafka.bootstrapServers();
    }

    public static HikariDataSource pool(String url, String user) {
        HikariDataSource ds = new HikariDataSource();
        ds.setJdbcUrl(url);
        ds.setUsername(user);
        ds.setPassword("");
        ds.setMaximumPoolSize(8);
        // Connections live as long as the pool: a benchmark longer than the default 30 min would
        // lose the CPU time of each retired connection's server process (ProcessCpu).
        ds.setMaxLifetime(0);
        return ds;
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static void exec(String url, String user, String sql) {
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed on " + url + ": " + e.getMessage(), e);
        }
    }

    private static void quietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the JVM is exiting
        }
    }

    private static synchronized void cleanUp() {
        for (int i = CLEANUP.size() - 1; i >= 0; i--) {
            try {
                CLEANUP.get(i).run();
            } catch (RuntimeException ignored) {
                // best effort at JVM exit
            }
        }
    }

    /** For callers holding a {@link DataSource} they no longer need. */
    public static void close(DataSource ds) {
        if (ds instanceof HikariDataSource h) {
            h.close();
        }
    }
}
