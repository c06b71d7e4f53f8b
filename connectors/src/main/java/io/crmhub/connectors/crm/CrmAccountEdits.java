package io.crmhub.connectors.crm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * Edits of accounts made in the CRM (by its users, the admin API, or the CRM application writing
 * through the hub): the change and its outbox event commit together, with origin {@code CRM}.
 */
@Repository
public class CrmAccountEdits {

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final ObjectMapper json;

    public CrmAccountEdits(NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions, ObjectMapper json) {
        this.jdbc = crmJdbc;
        this.tx = crmTransactions;
        this.json = json;
    }

    /** Sets canonical fields of an account; returns the new version. */
    public long update(UUID accountId, Map<String, Object> changes) {
        if (changes.isEmpty()) {
            throw new IllegalArgumentException("nothing to change");
        }
        StringJoiner set = new StringJoiner(", ");
        MapSqlParameterSource p = new MapSqlParameterSource("id", accountId);
        changes.forEach((field, value) -> {
            set.add(CrmEntity.ACCOUNT.column(field) + " = :" + field);
            p.addValue(field, value);
        });
        Long version = tx.execute(status -> {
            Long v = jdbc.queryForObject("update account set " + set + ", updated_at = now(), version = version + 1"
                    + " where id = :id returning version", p, Long.class);
            for (String field : changes.keySet()) {
                jdbc.update("""
                        insert into field_edit (entity_type, crm_id, field, edited_at) values ('ACCOUNT', :id, :field, now())
                        on conflict (entity_type, crm_id, field) do update set edited_at = excluded.edited_at""",
                        new MapSqlParameterSource("id", accountId).addValue("field", field));
            }
            Map<String, Object> state = jdbc.queryForMap(
                    "select " + CrmEntity.ACCOUNT.canonicalSelect() + " from account where id = :id", p);
            state.values().removeIf(java.util.Objects::isNull);
            try {
                jdbc.update("""
                        insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload)
                        values ('ACCOUNT', :id, 'ACCOUNT_UPDATED', 'CRM', cast(:payload as jsonb))""",
                        p.addValue("payload", json.writeValueAsString(state)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            return v;
        });
        return version == null ? -1 : version;
    }
}
