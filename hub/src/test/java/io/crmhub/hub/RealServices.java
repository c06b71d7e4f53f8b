package io.crmhub.hub;

import io.crmhub.embedded.TestServices;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * With {@code -Dhub.test.services=real}, points a hub test at the machine's PostgreSQL and a
 * MariaDB ERP with the demo data, so that only Kafka and mail run embedded.
 */
final class RealServices {

    private RealServices() {
    }

    static void register(DynamicPropertyRegistry registry) {
        if (!TestServices.real()) {
            return;
        }
        String crm = TestServices.newCrmDatabaseUrl();
        registry.add("hub.crm.url", () -> crm);
        registry.add("hub.crm.username", TestServices::crmUser);
        var erp = TestServices.newErpDataSource(true);
        registry.add("hub.erp.url", erp::getJdbcUrl);
        registry.add("hub.erp.username", TestServices::erpUser);
    }
}
