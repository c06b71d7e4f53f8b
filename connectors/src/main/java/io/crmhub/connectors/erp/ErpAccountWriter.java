package io.crmhub.connectors.erp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.crm.OutboxEvent;
import io.crmhub.connectors.store.ProcessedMessages;
import io.crmhub.transformers.mapping.EntityMapping;
import io.crmhub.transformers.mapping.ReverseMapper;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

import javax.sql.DataSource;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * Writes CRM account changes to the ERP customer found through the cross-reference, as the hub's
 * ERP user. Never writes a change back to the system it came from, never writes ERP-owned fields,
 * and applies each outbox event once (its id is recorded after the ERP write: a crash in between
 * writes the same values again, which the ERP poller then sees as an unchanged echo).
 */
@Component
public class ErpAccountWriter {

    /** Consumer name under which applied outbox event ids are recorded. */
    public static final String CONSUMER = "erp-account-writer";

    /** What writing an event did. */
    public enum Outcome {
        WRITTEN,
        /** The change came from the ERP: it is not sent back. */
        FROM_ERP,
        DUPLICATE,
        /** The account has no ERP customer (creating ERP customers is not the hub's job yet). */
        NOT_LINKED,
        /** The cross-referenced ERP customer no longer exists. */
        NOT_IN_ERP
    }

    private final ReverseMapper reverse;
    private final NamedParameterJdbcTemplate erp;
    private final NamedParameterJdbcTemplate crm;
    private final ProcessedMessages processed;
    private final ObjectMapper json;
    private final Set<String> writable;
    private final String hubUser;

    public ErpAccountWriter(ReverseMapper erpAccountReverseMapper, @Qualifier("erpDataSource") DataSource erpDataSource,
                            NamedParameterJdbcTemplate crmJdbc, ProcessedMessages processed, ObjectMapper json,
                            HubProperties props) {
        this.reverse = erpAccountReverseMapper;
        this.erp = new NamedParameterJdbcTemplate(erpDataSource);
        this.crm = crmJdbc;
        this.processed = processed;
        this.json = json;
        this.hubUser = props.sync().hubUser();
        Set<String> fields = new HashSet<>(reverse.mapping().fields().keySet());
        fields.removeAll(props.sync().erpOwnedFields());
        this.writable = Set.copyOf(fields);
    }

    public Outcome apply(OutboxEvent event) {
        if (!"ACCOUNT".equals(event.aggregateType())) {
            throw new IllegalArgumentException("not an account event: " + event.aggregateType() + " " + event.id());
        }
        if ("ERP".equals(event.origin())) {
            return Outcome.FROM_ERP;
        }
        String key = "outbox:" + event.id();
        if (processed.isProcessed(CONSUMER, key)) {
            return Outcome.DUPLICATE;
        }
        List<String> erpIds = crm.queryForList("""
                select external_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and crm_id = :id""",
                new MapSqlParameterSource("id", event.aggregateId()), String.class);
        Outcome outcome = erpIds.isEmpty() ? Outcome.NOT_LINKED : write(erpIds.get(0), event);
        processed.markProcessed(CONSUMER, key);
        return outcome;
    }

    private Outcome write(String erpId, OutboxEvent event) {
        EntityMapping m = reverse.mapping();
        Map<String, Object> values = json.convertValue(event.payload(), new TypeReference<Map<String, Object>>() { });
        Map<String, String> columns = reverse.toColumns(values, writable);
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
