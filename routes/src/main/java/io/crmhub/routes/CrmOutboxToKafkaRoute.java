package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.KafkaConstants;
import org.springframework.stereotype.Component;

/**
 * Relays CRM changes (accounts, contacts, orders) from the transactional outbox to Kafka, keyed by the CRM record id.
 * Claim, publish and mark run in one CRM transaction: a failed publish leaves the events for the
 * next poll, and instances relaying at the same time take disjoint batches.
 */
@Component
public class CrmOutboxToKafkaRoute extends RouteBuilder {

    static final String CLAIMED = "hubClaimedEvents";

    @Override
    public void configure() {
        from("timer:crm-outbox-relay?delay=1000&period={{hub.sync.outbox-poll-interval}}&synchronous=true")
                .routeId("crm-outbox-to-kafka")
                .transacted()
                .bean("outboxRelay", "claimBatch(${properties:hub.sync.outbox-batch})").id("claim-outbox-events")
                .filter(simple("${body.size} > 0")).id("any-events")
                    .setProperty(CLAIMED, body())
                    .split(body()).stopOnException().id("each-event")
                        .setHeader(KafkaConstants.KEY, simple("${body.aggregateId}"))
                        .marshal("outboxEventJson")
                        .to("kafka:{{hub.topics.crm-changed}}").id("publish-crm-change")
                    .end()
                    .setBody(exchangeProperty(CLAIMED))
                    .bean("outboxRelay", "markPublished").id("mark-published")
                .end();
    }
}
