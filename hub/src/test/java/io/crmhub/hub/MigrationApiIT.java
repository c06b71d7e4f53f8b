package io.crmhub.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The legacy migration as a data team runs it through the admin API: the demo job's dry run, then
 * the real run, each followed to its end; the report as JSON, as a page and mailed; the refused
 * records as CSV; progress in the metrics and in JMX (Hawtio).
 */
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "hub.embedded.data-dir=",
        "hub.config-dir=../config",
        "hub.erp.poll-interval=300ms"})
class MigrationApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        RealServices.register(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    Environment env;
    @Autowired
    NamedParameterJdbcTemplate crmJdbc;

    private long count(String sql) {
        Long n = crmJdbc.getJdbcTemplate().queryForObject(sql, Long.class);
        return n == null ? 0 : n;
    }

    private JsonNode runToItsEnd(AdminClient api, boolean dryRun) throws Exception {
        HttpResponse<String> started = api.postJson("admin", "/api/migrations/legacy-demo/runs?dryRun=" + dryRun, "{}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String run = JSON.readTree(started.body()).get("runId").asText();
        await().atMost(WAIT).until(() -> !"RUNNING".equals(api.getJson("viewer", "/api/migrations/runs/" + run).get("status").asText()));
        assertThat(api.getJson("viewer", "/api/migrations/runs/" + run).get("status").asText()).isEqualTo("SUCCEEDED");
        return api.getJson("viewer", "/api/migrations/runs/" + run + "/report");
    }

    @Test
    void theDemoJobsDryRunForecastsTheRealRunAndItsReportIsServedMailedAndMeasured() throws Exception {
        AdminClient api = new AdminClient(port);
        // the ERP sync of the demo data first: the legacy records meet the accounts it brings
        await().atMost(WAIT).until(() -> count("select count(*) from xref where system = 'ERP' and entity_type = 'ACCOUNT'") == 19);
        assertThat(api.getJson("viewer", "/api/migrations").get("jobs").findValuesAsText("name")).contains("legacy-demo");
        HttpResponse<String> refused = api.postJson("viewer", "/api/migrations/legacy-demo/runs", "{}");
        assertThat(refused.statusCode()).as("a viewer cannot start a migration").isEqualTo(403);
        assertThat(api.postJson("admin", "/api/migrations/no-such-job/runs", "{}").statusCode()).isEqualTo(404);

        JsonNode dry = runToItsEnd(api, true);
        assertThat(count("select count(*) from xref where system = 'LEGACY'")).as("the dry run wrote nothing").isZero();
        JsonNode real = runToItsEnd(api, false);

        assertThat(real.get("steps")).as("the real run does what the dry run forecast").isEqualTo(dry.get("steps"));
        JsonNode accounts = real.get("steps").get(0);
        assertThat(accounts.get("read").asLong()).isEqualTo(11);
        assertThat(accounts.get("quarantined").asLong())
                .as("blank name, country XX, 'at' e-mail, a Danish number that is none, a formula as phone").isEqualTo(5);
        assertThat(accounts.get("merged").asLong()).as("second entries, and companies the ERP sync brought already").isPositive();
        JsonNode contacts = real.get("steps").get(1);
        assertThat(contacts.get("missingParent").asLong()).as("C-6 at customer L-9999, and contacts of refused accounts").isPositive();
        assertThat(real.get("missingParents").findValuesAsText("value")).contains("L-9999");
        assertThat(count("""
                select count(*) from account a join xref x on x.crm_id = a.id
                where x.system = 'LEGACY' and x.external_id = 'L-1003' and a.name = 'Bäckerei Schäfer KG' and a.city = 'München'"""))
                .as("read from ISO-8859-1 as it was written").isEqualTo(1);
        assertThat(count("select count(*) from contact c join xref x on x.crm_id = c.id where x.external_id = 'C-5' and c.first_name = 'Zoë'"))
                .as("read from Windows-1252 as it was written").isEqualTo(1);

        String runId = real.get("runId").asText();
        HttpResponse<String> page = api.get("viewer", "/api/migrations/runs/" + runId + "/report.html");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(page.body()).contains("Migration legacy-demo").contains("Data quality").contains("Missing parents").contains("L-9999");
        HttpResponse<String> csv = api.get("viewer", "/api/migrations/runs/" + runId + "/rejected.csv");
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.body()).startsWith("table,source_id,line,field,reason,value")
                .contains("accounts,L-1007,8,name,REQUIRED: company is blank,")
                .contains("contacts,C-6,6,account,MISSING_PARENT: account L-9999 is not in the CRM")
                .contains("'=1+2").doesNotContain(",=1+2");

        int imap = Integer.parseInt(env.getProperty("hub.mail.imap-port"));
        await().atMost(WAIT).until(() -> Mailboxes.subjects(imap, "data-team@crmhub.local", "data-team@crmhub.local").size() == 2);
        assertThat(Mailboxes.subjects(imap, "data-team@crmhub.local", "data-team@crmhub.local"))
                .containsExactlyInAnyOrder("Dry run legacy-demo: SUCCEEDED", "Migration legacy-demo: SUCCEEDED");

        assertThat(api.get("viewer", "/actuator/prometheus").body()).contains("crmhub_migration_records_read{job=\"legacy-demo\"}");
        JsonNode mbean = api.getJson("viewer", "/actuator/jolokia/read/io.crmhub:type=Migration,name=%22legacy-demo%22");
        assertThat(mbean.get("value").get("Running").asBoolean()).isFalse();
        System.out.printf("FIGURES migration API: dry run %s = real run %s%n", dry.get("steps"), real.get("steps"));
    }
}
