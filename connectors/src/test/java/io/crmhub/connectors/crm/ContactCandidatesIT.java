package io.crmhub.connectors.crm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.config.MatchingConfiguration;
import io.crmhub.embedded.TestServices;
import io.crmhub.transformers.match.Deduplicator.Decision;
import io.crmhub.transformers.match.Matcher;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A contact's blocking keys live in its account's scope: it is compared with the contacts of its
 * account only, within one batch too. A contact moved to another account (its account merged)
 * is indexed again there: found there and no longer at its old account.
 */
class ContactCandidatesIT {

    private static final Matcher MATCHER = new Matcher(MatchingConfiguration.loadRules("../config"));

    @Test
    void aContactIsFoundAtItsAccountAndOnlyThere() {
        try (HikariDataSource db = TestServices.newCrmDataSource()) {
            CrmStoreConfiguration.migrate(db);
            JdbcTemplate jdbc = new JdbcTemplate(db);
            CrmDuplicates duplicates = new CrmDuplicates(jdbc, MATCHER, new ObjectMapper());
            UUID kestrel = account(jdbc, "Kestrel Logistik GmbH");
            UUID orion = account(jdbc, "Orion Handel AG");
            UUID empty = account(jdbc, "Zeta Tools GmbH");
            UUID robert = UUID.randomUUID();
            Map<String, String> values = person("Robert", "Fischer", "r.fischer@kestrel.example", kestrel);
            jdbc.update("insert into contact (id, account_id, first_name, last_name, email) values (?, ?, ?, ?, ?)", robert, kestrel,
                    values.get("firstName"), values.get("lastName"), values.get("email"));
            duplicates.indexNew(CrmEntity.CONTACT, List.of(duplicates.subject(CrmEntity.CONTACT, robert, values)));
            UUID other = UUID.randomUUID();
            jdbc.update("insert into contact (id, account_id, first_name, last_name) values (?, ?, 'Ilze', 'Berzina')", other, orion);
            duplicates.indexNew(CrmEntity.CONTACT, List.of(duplicates.subject(CrmEntity.CONTACT, other,
                    person("Ilze", "Berzina", null, orion))));

            // one batch: the same person at the account that holds him, at one with another contact, at one with none
            List<Decision> decisions = check(duplicates, kestrel, orion, empty);
            assertThat(decisions.get(0).kind()).isEqualTo(Decision.Kind.LINK);
            assertThat(decisions.get(0).best().b()).isEqualTo(robert.toString());
            assertThat(decisions.get(1).candidates()).as("another company's contacts are not his").isEmpty();
            assertThat(decisions.get(2).candidates()).isEmpty();

            // his company merged into the one without contacts: he moves there, indexed in its scope
            jdbc.update("update contact set account_id = ? where account_id = ?", empty, kestrel);
            duplicates.reindexAndRecheck(CrmEntity.CONTACT, List.of(robert), "TEST");
            decisions = check(duplicates, kestrel, orion, empty);
            assertThat(decisions.get(0).candidates()).as("no longer at his old company").isEmpty();
            assertThat(decisions.get(1).candidates()).isEmpty();
            assertThat(decisions.get(2).kind()).as("found where he moved").isEqualTo(Decision.Kind.LINK);
            assertThat(decisions.get(2).best().b()).isEqualTo(robert.toString());
        }
    }

    /** The same incoming person at each of the accounts, in one batch. */
    private static List<Decision> check(CrmDuplicates duplicates, UUID... accounts) {
        List<CrmDuplicates.Subject> batch = new java.util.ArrayList<>();
        for (UUID account : accounts) {
            batch.add(duplicates.subject(CrmEntity.CONTACT, UUID.randomUUID(),
                    person("Bob", "Fischer", "R.Fischer@Kestrel.example", account)));
        }
        return duplicates.check(CrmEntity.CONTACT, batch).decisions();
    }

    private static UUID account(JdbcTemplate jdbc, String name) {
        UUID id = UUID.randomUUID();
        jdbc.update("insert into account (id, name) values (?, ?)", id, name);
        return id;
    }

    private static Map<String, String> person(String first, String last, String email, UUID account) {
        Map<String, String> v = new HashMap<>();
        v.put("firstName", first);
        v.put("lastName", last);
        v.put("email", email);
        v.put("account", account.toString());
        return v;
    }
}
