package io.crmhub.routes;

import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * Relays CRM changes (accounts, contacts, orders) from the transactional outbox to Kafka, keyed by the CRM record id.
 * Claim, publish and mark run in one CRM transaction: a failed publish leaves the events for the
 * next poll (a batch partly sent before is sent again: at least once, absorbed by the consumers'
 * idempotent receivers). One hub instance relays at a time ({@code OutboxRelay}): a record's
 * events leave in the order its changes committed.
 */
@Component
public class CrmOutboxToKafkaRoute extends RouteBuilder {

    static final String CLAIMED = "hubClaimedEvents";
    static final String FULL = "hubOutboxBatchFull";

    @Override
    public void configure() {
        // Batch after batch, each in its own transaction, while they come full; then the next poll.
        // (One batch per poll capped the relay at outbox-batch events per outbox-poll-interval:
        // 500 a second, far below what the sync writes.)
        from("timer:crm-outbox-relay?delay=1000&period={{hub.sync.outbox-poll-interval}}&synchronous=true")
                .routeId("crm-outbox-to-kafka")
                .setProperty(FULL, constant(true))
                .loopDoWhile(exchange -> exchange.getProperty(FULL, false, Boolean.class) && !exchange.getContext().isStopping())
                        .id("while-batches-come-full")
                    .to("direct:crm-outbox-batch").id("relay-a-batch")
                .end();

        from("direct:crm-outbox-batch")
                .routeId("crm-outbox-batch")
                .transacted()
                .bean("outboxRelay", "claimBatch(${properties:hub.sync.outbox-batch})").id("claim-outbox-events")
                .setProperty(FULL, simple("${body.size} >= ${properties:hub.sync.outbox-batch}", Boolean.class))
                .filter(simple("${body.size} > 0")).id("any-events")
                    .setProperty(CLAIMED, body())
                    // the batch goes in one send: each event a record keyed by its CRM record id, with its
                    // type and origin as headers; the producer pipelines them and waits for all their
                    // acknowledgements
                    .bean("kafkaRecords", "outbox").id("as-kafka-records")
                    .to("kafka:{{hub.topics.crm-changed}}?batchWithIndividualHeaders=true").id("publish-crm-changes")
                    .setBody(exchangeProperty(CLAIMED))
                    .bean("outboxRelay", "markPublished").id("mark-published")
                .end();
    }
}
