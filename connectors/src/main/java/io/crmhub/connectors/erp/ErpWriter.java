package io.crmhub.connectors.erp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.crm.CrmEntity;
import io.crmhub.connectors.crm.OutboxEvent;
import io.crmhub.connectors.store.ProcessedMessages;
import io.crmhub.transformers.mapping.EntityMapping;
import io.crmhub.transformers.mapping.FieldType;
import io.crmhub.transformers.mapping.ReverseMapper;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Writes CRM changes to the ERP record found through the cross-reference, as the hub's ERP user.
 * Never writes a change back to the system it came from, never writes ERP-owned fields nor
 * pointers (a contact's customer), and applies each outbox event once (its id is recorded after
 * the ERP write: a crash in between writes the same values again, which the ERP poller then sees
 * as an unchanged echo).
 */
public class ErpWriter {

    /** Consumer name under which applied outbox event ids are recorded. */
    public static final String CONSUMER = "erp-writer";

    /** What writing an event did. */
    public enum Outcome {
        WRITTEN,
        /** The change came from the ERP: it is not sent back. */
        FROM_ERP,
        DUPLICATE,
        /** The record has no ERP counterpart (creating records in the ERP is not the hub's job yet). */
        NOT_LINKED,
        /** The cross-referenced ERP record no longer exists. */
        NOT_IN_ERP,
        /** The ERP owns every field of this entity (orders), or it is not synchronized with the ERP. */
        ERP_OWNED
    }

    private record Target(CrmEntity entity, ReverseMapper reverse, Set<String> writable) {
    }

    private final Map<String, Target> targets = new HashMap<>();
    private final NamedParameterJdbcTemplate erp;
    private final NamedParameterJdbcTemplate crm;
    private final TransactionTemplate crmTransactions;
    private final ProcessedMessages processed;
    private final ObjectMapper json;
    private final String hubUser;

    /** @param reverseMappers the way back to the ERP per entity ({@code account}, {@code contact}, ...) */
    public ErpWriter(List<ReverseMapper> reverseMappers, DataSource erpDataSource, NamedParameterJdbcTemplate crmJdbc,
                     TransactionTemplate crmTransactions, ProcessedMessages processed, ObjectMapper json, HubProperties props) {
        this.erp = new NamedParameterJdbcTemplate(erpDataSource);
        this.crm = crmJdbc;
        this.crmTransactions = crmTransactions;
        this.processed = processed;
        this.json = json;
        this.hubUser = props.sync().hubUser();
        for (ReverseMapper reverse : reverseMappers) {
            EntityMapping m = reverse.mapping();
            CrmEntity entity = CrmEntity.named(m.entity());
            Set<String> writable = new HashSet<>();
            m.fields().forEach((field, rule) -> {
                if (rule.type() != FieldType.REFERENCE && entity.fields().containsKey(field)) {
                    writable.add(field);
                }
            });
            writable.removeAll(props.sync().erpOwnedFields(m.entity()));
            targets.put(entity.type(), new Target(entity, reverse, Set.copyOf(writable)));
        }
    }

    public Outcome apply(OutboxEvent event) {
        if ("ERP".equals(event.origin())) {
            return Outcome.FROM_ERP;
        }
        Target target = targets.get(event.aggregateType());
        if (target == null || target.writable().isEmpty()) {
            return Outcome.ERP_OWNED;
        }
        String key = "outbox:" + event.id();
        // The event's key is claimed first, in a CRM transaction held open while the ERP is written.
        // Another consumer handed the same event meanwhile (its partition reassigned while the first
        // waited out an ERP outage) waits on the key's row until this transaction ends, then finds
        // it: checked before and recorded after the write, both wrote. A failed write rolls the
        // claim back, for the event to be tried again.
        return crmTransactions.execute(status -> {
            if (!processed.markProcessed(CONSUMER, key)) {
                return Outcome.DUPLICATE;
            }
            List<String> erpIds = crm.queryForList("""
                    select external_id from xref where entity_type = :type and system = 'ERP' and crm_id = :id and not secondary""",
                    new MapSqlParameterSource("id", event.aggregateId()).addValue("type", event.aggregateType()), String.class);
            // The primary id only: a secondary one names a duplicate customer inside the ERP.
            return erpIds.isEmpty() ? Outcome.NOT_LINKED : write(target, erpIds.get(0), event);
        });
    }

    private Outcome write(Target target, String erpId, OutboxEvent event) {
        EntityMapping m = target.reverse().mapping();
        Map<String, Object> values = json.convertValue(event.payload(), new TypeReference<Map<String, Object>>() { });
        Map<String, String> columns = target.reverse().toColumns(values, target.writable());
        StringJoiner set = new StringJoiner(", ");
        MapSqlParameterSource p = new MapSqlParameterSource("hubKey", erpId).addValue("hubUser", hubUser);
        columns.forEach((column, value) -> {
            set.add(column + " = :" + column);
            p.addValue(column, value);
        });
        set.add(m.changedAtColumn() + " = CURRENT_TIMESTAMP");
        if (m.changedByColumn() != null) {
            set.add(m.changedByColumn() + " = :hubUser");
        }
        int rows = erp.update("UPDATE " + m.table() + " SET " + set + " WHERE " + m.keyColumn() + " = :hubKey", p);
        return rows == 0 ? Outcome.NOT_IN_ERP : Outcome.WRITTEN;
    }
}
