package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Legacy migrations ({@code LegacyMigrations}): a timer starts the scheduled runs that are due (one
 * hub of several starts each, the run table decides) and takes over runs whose hub died (their
 * lease ran out), which resume from their last committed batch. The runs themselves work on the
 * migration service's own thread, not on this route's.
 */
@Component
public class LegacyMigrationRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("timer:legacy-migrations?period={{hub.migration.poll-interval}}&delay=5000")
                .routeId("legacy-migration-scheduler")
                .bean("legacyMigrations", "fireDue").id("start-due-migrations")
                .bean("legacyMigrations", "resumeAbandoned").id("resume-abandoned-migrations");
    }
}
