package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A CRM change event as it leaves through the transactional outbox.
 *
 * @param id      the outbox sequence number: the event's identity for idempotent receivers
 * @param origin  the system whose change this is ({@code CRM} for edits in the CRM, {@code ERP} for
 *                changes the hub applied from the ERP): receivers never send a change back to its origin
 * @param payload the record's full state after the change, canonical field names
 */
public record OutboxEvent(long id, String aggregateType, UUID aggregateId, String eventType, String origin,
                          JsonNode payload, OffsetDateTime createdAt) {
}
