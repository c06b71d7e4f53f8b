package io.crmhub.connectors.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.config.HubProperties;
import io.crmhub.connectors.crm.CrmDuplicates;
import io.crmhub.connectors.crm.CrmEntity;
import io.crmhub.connectors.crm.CrmWriter;
import io.crmhub.connectors.crm.WaitingRecords;
import io.crmhub.connectors.erp.ErpChangeReader;
import io.crmhub.connectors.erp.ErpWriter;
import io.crmhub.connectors.store.PollerLeases;
import io.crmhub.connectors.store.ProcessedMessages;
import io.crmhub.connectors.store.QuarantineStore;
import io.crmhub.connectors.store.Watermarks;
import io.crmhub.transformers.mapping.CodeTables;
import io.crmhub.transformers.mapping.RecordMapper;
import io.crmhub.transformers.mapping.ReverseMapper;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.List;

/**
 * The ERP sync of accounts, contacts and orders, one set of beans per entity, named after it so
 * that routes and operators find them: {@code erp<Entity>Changes} polls the ERP table,
 * {@code <entity>Inbound} applies its changes to the CRM; {@code erpWriter} writes CRM changes back.
 */
@Configuration(proxyBeanMethods = false)
public class SyncConfiguration {

    /** The entities synchronized with the ERP, parents first. */
    public static final List<String> ERP_ENTITIES = List.of("account", "contact", "order");

    private final HubProperties props;
    private final DataSource erp;
    private final NamedParameterJdbcTemplate crm;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final CrmDuplicates duplicates;

    public SyncConfiguration(HubProperties props, @Qualifier("erpDataSource") DataSource erpDataSource,
                             NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions, ObjectMapper json,
                             CrmDuplicates duplicates) {
        this.props = props;
        this.duplicates = duplicates;
        this.erp = erpDataSource;
        this.crm = crmJdbc;
        this.tx = crmTransactions;
        this.json = json;
    }

    @Bean(destroyMethod = "releaseLease")
    public ErpChangeReader erpAccountChanges(RecordMapper erpAccountMapper, Watermarks watermarks, PollerLeases leases) {
        return reader(erpAccountMapper, watermarks, leases);
    }

    @Bean(destroyMethod = "releaseLease")
    public ErpChangeReader erpContactChanges(RecordMapper erpContactMapper, Watermarks watermarks, PollerLeases leases) {
        return reader(erpContactMapper, watermarks, leases);
    }

    @Bean(destroyMethod = "releaseLease")
    public ErpChangeReader erpOrderChanges(RecordMapper erpOrderMapper, Watermarks watermarks, PollerLeases leases) {
        return reader(erpOrderMapper, watermarks, leases);
    }

    @Bean
    public InboundChanges accountInbound(RecordMapper erpAccountMapper, QuarantineStore quarantine, WaitingRecords waiting) {
        return inbound(erpAccountMapper, quarantine, waiting);
    }

    @Bean
    public InboundChanges contactInbound(RecordMapper erpContactMapper, QuarantineStore quarantine, WaitingRecords waiting) {
        return inbound(erpContactMapper, quarantine, waiting);
    }

    @Bean
    public InboundChanges orderInbound(RecordMapper erpOrderMapper, QuarantineStore quarantine, WaitingRecords waiting) {
        return inbound(erpOrderMapper, quarantine, waiting);
    }

    @Bean
    public ErpWriter erpWriter(RecordMapper erpAccountMapper, RecordMapper erpContactMapper, RecordMapper erpOrderMapper,
                               CodeTables codeTables, ProcessedMessages processed) {
        List<ReverseMapper> reverse = List.of(erpAccountMapper, erpContactMapper, erpOrderMapper).stream()
                .map(m -> new ReverseMapper(m.mapping(), codeTables)).toList();
        return new ErpWriter(reverse, erp, crm, tx, processed, json, props);
    }

    private ErpChangeReader reader(RecordMapper mapper, Watermarks watermarks, PollerLeases leases) {
        HubProperties.Erp e = props.erp();
        return new ErpChangeReader(mapper.mapping(), erp, watermarks, e.pageSize(), leases,
                e.pollInterval().multipliedBy(3).plusSeconds(5), e.overlap(), crm).settling(e.settle(), e.clockQuery());
    }

    private InboundChanges inbound(RecordMapper mapper, QuarantineStore quarantine, WaitingRecords waiting) {
        String entity = mapper.mapping().entity();
        CrmWriter writer = new CrmWriter(CrmEntity.named(entity), crm.getJdbcTemplate(), tx, waiting, json,
                mapper.mapping().references(), props.sync().crmOwnedFields(entity), props.sync().erpOwnedFields(entity),
                props.sync().clockSkewTolerance(), duplicates);
        return new InboundChanges(mapper, writer, quarantine, waiting, tx, json, props.sync().parentWait(), Clock.systemUTC());
    }
}
