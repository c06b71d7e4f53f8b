package io.crmhub.connectors.store;

import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;

import java.util.Map;

/**
 * Keys of messages already applied, per consumer. Recording a key must happen in the same
 * transaction as the effect it guards: the unique key then makes "already done" a database fact.
 */
@Repository
public class ProcessedMessages {

    private final NamedParameterJdbcTemplate jdbc;

    public ProcessedMessages(NamedParameterJdbcTemplate crmJdbc) {
        this.jdbc = crmJdbc;
    }

    /** Records the key; {@code false} when it was recorded before (the message is a duplicate). */
    public boolean markProcessed(String consumer, String messageKey) {
        return jdbc.update("""
                insert into processed_message (consumer, message_key) values (:consumer, :key)
                on conflict do nothing""", Map.of("consumer", consumer, "key", messageKey)) == 1;
    }
}
