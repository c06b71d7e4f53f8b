package io.crmhub.embedded;

import org.flywaydb.core.Flyway;

import javax.sql.DataSource;

/**
 * The legacy ERP's schema, and the demo seed of dirty data, applied by Flyway. The ERP is not ours
 * in production: these scripts are fixtures for the embedded demo and the tests, written for
 * MariaDB and for H2 in MariaDB mode.
 */
public final class ErpFixtures {

    /** The ERP tables only. */
    public static final String SCHEMA = "classpath:erp/schema";
    /** Realistic dirty demo data: duplicates, Latin-1 names, orphans, bad e-mails and phones. */
    public static final String DEMO_SEED = "classpath:erp/demo";

    private ErpFixtures() {
    }

    /** Creates the ERP tables, with the demo data when {@code withDemoData}. */
    public static void apply(DataSource erp, boolean withDemoData) {
        String[] locations = withDemoData ? new String[]{SCHEMA, DEMO_SEED} : new String[]{SCHEMA};
        Flyway.configure()
                .dataSource(erp)
                .locations(locations)
                .table("ERP_FIXTURE_HISTORY")
                .load()
                .migrate();
    }
}
