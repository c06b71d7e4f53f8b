package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.match.Deduplicator.Decision;
import io.crmhub.transformers.match.Matcher;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store keeps blocking keys as 64-bit hashes (V15): the hub's hash and the store's
 * {@code blocking_key_hash} agree, and a store that held its keys as text before the upgrade
 * finds its duplicates after it.
 */
class BlockingKeyHashIT {

    private static final Matcher MATCHER = new Matcher(MatchingConfiguration.loadRules("../config"));

    @Test
    void theHubAndTheStoreHashAKeyAlike() {
        try (HikariDataSource db = TestServices.newCrmDataSource()) {
            CrmStoreConfiguration.migrate(db);
            JdbcTemplate jdbc = new JdbcTemplate(db);
            String scope = UUID.randomUUID() + "/";
            for (String entity : List.of("ACCOUNT", "CONTACT")) {
                for (String key : List.of("n:acme", "p:+493012345678", "e:jörg.müller@bäckerei.de", scope + "n:straße", "x")) {
                    assertThat(CrmDuplicates.keyHash(entity, key)).as(entity + ":" + key)
                            .isEqualTo(jdbc.queryForObject("select blocking_key_hash(?, ?)", Long.class, entity, key));
                }
            }
            assertThat(CrmDuplicates.keyHash("ACCOUNT", "n:acme")).as("the entity type is part of the hash")
                    .isNotEqualTo(CrmDuplicates.keyHash("CONTACT", "n:acme"));
        }
    }

    @Test
    void aStoreWhoseKeysWereTextFindsItsDuplicatesAfterTheUpgrade() {
        try (HikariDataSource db = TestServices.newCrmDataSource()) {
            Flyway.configure().dataSource(db).locations(CrmStoreConfiguration.MIGRATIONS).target("14").load().migrate();
            JdbcTemplate jdbc = new JdbcTemplate(db);
            CrmDuplicates duplicates = new CrmDuplicates(jdbc, MATCHER, new ObjectMapper());
            UUID acme = UUID.randomUUID();
            UUID other = UUID.randomUUID();
            CrmDuplicates.Subject stored = storedAccount(jdbc, duplicates, acme, "Acme Products", "+49301234567", "Berlin");
            CrmDuplicates.Subject unrelated = storedAccount(jdbc, duplicates, other, "Zeta Tools GmbH", "+493641123456", "Jena");
            assertThat(stored.keys()).hasSizeGreaterThan(1);

            CrmStoreConfiguration.migrate(db);

            assertThat(jdbc.queryForList("select key_hash from match_key where crm_id = ? order by 1", Long.class, acme))
                    .as("each text key became its hash").containsExactlyElementsOf(stored.keys().stream()
                            .map(k -> CrmDuplicates.keyHash("ACCOUNT", k)).sorted().toList());
            assertThat(jdbc.queryForObject("select count(*) from match_key", Long.class))
                    .isEqualTo(stored.keys().size() + unrelated.keys().size());

            CrmDuplicates.Subject incoming = duplicates.subject(CrmEntity.ACCOUNT, UUID.randomUUID(), Map.of(
                    "name", "ACME PRODUCTS, INC.", "phone", "+49301234567", "city", "Berlin", "country", "DE"));
            Decision decision = duplicates.check(CrmEntity.ACCOUNT, List.of(incoming)).decisions().get(0);
            assertThat(decision.kind()).isEqualTo(Decision.Kind.LINK);
            assertThat(decision.best().b()).isEqualTo(acme.toString());
            assertThat(decision.candidates()).extracting(m -> m.b()).doesNotContain(other.toString());
        }
    }

    /** An account and its blocking keys as text rows, as the store held them from V5 to V14. */
    private static CrmDuplicates.Subject storedAccount(JdbcTemplate jdbc, CrmDuplicates duplicates, UUID id, String name, String phone,
                                                       String city) {
        jdbc.update("insert into account (id, name, phone, city, country) values (?, ?, ?, ?, 'DE')", id, name, phone, city);
        CrmDuplicates.Subject s = duplicates.subject(CrmEntity.ACCOUNT, id, Map.of("name", name, "phone", phone, "city", city,
                "country", "DE"));
        s.keys().forEach(k -> jdbc.update("insert into match_key (entity_type, key, crm_id) values ('ACCOUNT', ?, ?)", k, id));
        return s;
    }
}
