package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Housekeeping ({@code Housekeeping}): on a timer, idempotency keys past their retention and outbox
 * events published long ago are removed, in short chunks. Every hub runs it; they skip each
 * other's rows.
 */
@Component
public class HousekeepingRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("timer:housekeeping?period={{hub.housekeeping.interval}}&delay=60000")
                .routeId("housekeeping")
                .bean("housekeeping", "purge").id("purge-keys-and-published-events");
    }
}
