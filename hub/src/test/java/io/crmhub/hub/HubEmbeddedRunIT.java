package io.crmhub.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.embedded.TestServices;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hub as a newcomer runs it: embedded profile, in-process services (or, with the real-services
 * profile, the machine's PostgreSQL and MariaDB, which must switch the embedded ones off), real
 * HTTP against the management surfaces.
 */
@AutoConfigureObservability
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "hub.embedded.data-dir=",
        "hub.erp.poll-interval=300ms",
        "hub.retry.initial-delay=10ms",
        "hub.metrics.backlog-refresh=200ms"})
class HubEmbeddedRunIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTEXT_MBEAN = "org.apache.camel:context=crm-hub,type=context,name=%22crm-hub%22";
    private static final String POLLER_MBEAN = "org.apache.camel:context=crm-hub,type=routes,name=%22account-erp-to-kafka%22";

    @DynamicPropertySource
    static void realServices(DynamicPropertyRegistry registry) {
        RealServices.register(registry);
    }

    @LocalServerPort
    int port;

    @Autowired
    Environment env;

    @Autowired
    NamedParameterJdbcTemplate crmJdbc;

    @Autowired
    @Qualifier("erpDataSource")
    DataSource erpDataSource;

    @Test
    void embeddedPartsStartOnlyForEndpointsNotConfigured() {
        Set<String> started = Set.of(env.getProperty("hub.embedded.started", "").split(","));
        if (TestServices.real()) {
            assertThat(started).containsExactlyInAnyOrder("kafka", "mail", "billing");
        } else {
            assertThat(started).containsExactlyInAnyOrder("postgres", "kafka", "mail", "erp", "billing");
        }
    }

    @Test
    void demoErpAccountsReachTheCrmThroughKafkaAndDirtyOnesAreQuarantined() throws Exception {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(crmJdbc.getJdbcTemplate().queryForObject(
                "select count(*) from account a join xref x on x.crm_id = a.id and x.entity_type = 'ACCOUNT' and x.system = 'ERP'",
                Integer.class)).isEqualTo(19));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(getJson("viewer", "/api/quarantine?limit=500")).hasSize(6));

        // The seed's duplicates (four Acme Products, Müller/Mueller, The Widget Company/Widget Co)
        // are linked to one account each instead of being created again.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(crmJdbc.getJdbcTemplate().queryForObject(
                "select count(distinct crm_id) from xref where entity_type = 'ACCOUNT' and system = 'ERP'", Integer.class)).isEqualTo(14));
        assertThat(crmJdbc.getJdbcTemplate().queryForObject("""
                select count(distinct crm_id) from xref where entity_type = 'ACCOUNT'
                and external_id in ('0000010001', '0000010002', '0000010003', '0000010004')""", Integer.class)).isEqualTo(1);
        JsonNode mueller = getJson("viewer", "/api/accounts?name=" + enc("Müller"));
        assertThat(mueller).hasSize(1);
        JsonNode account = getJson("viewer", "/api/accounts/" + mueller.get(0).get("id").asText());
        assertThat(account.get("city").asText()).as("the duplicate only fills gaps").isEqualTo("Köln");
        assertThat(account.get("country").asText()).isEqualTo("DE");
        List<String> ids = new ArrayList<>();
        account.get("externalIds").forEach(x -> ids.add(x.get("system").asText() + ":" + x.get("externalId").asText()));
        assertThat(ids).containsExactlyInAnyOrder("ERP:0000010010", "ERP:0000010011");

        List<String> reasons = new ArrayList<>();
        getJson("viewer", "/api/quarantine").forEach(q -> q.get("reasons").forEach(r -> reasons.add(q.get("sourceId").asText() + "/" + r.get("code").asText())));
        assertThat(reasons).contains("0000010070/REQUIRED", "0000010071/UNKNOWN_CODE", "0000010021/INVALID_FORMAT",
                "C000020005/INVALID_FORMAT", "C000020008/INVALID_FORMAT");
        assertThat(getJson("viewer", "/api/quarantine").get(0).get("payload").asText()).contains("CUSTNO");

        // Contacts and orders follow their accounts; those whose customer is not in the CRM wait for it.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(crmJdbc.getJdbcTemplate().queryForList("""
                select x.external_id from xref x where x.system = 'ERP' and x.entity_type in ('CONTACT', 'ORDER')
                order by 1""", String.class)).containsExactly("C000020001", "C000020002", "C000020003", "C000020004",
                "C000020007", "O000030001", "O000030002", "O000030003"));
        List<String> waiting = new ArrayList<>();
        getJson("viewer", "/api/waiting").forEach(w -> waiting.add(w.get("externalId").asText() + "->" + w.get("waitsFor").asText()
                + " " + w.get("parentExternalId").asText()));
        assertThat(waiting).containsExactlyInAnyOrder("C000020006->account 0000099999", "O000030004->account 0000088888");
        JsonNode muellerContacts = getJson("viewer", "/api/contacts?accountId=" + mueller.get(0).get("id").asText());
        assertThat(muellerContacts).hasSize(1);
        assertThat(muellerContacts.get(0).get("phone").asText()).as("read in the account's country").isEqualTo("+492219876540");
    }

    @Test
    void everyManagementSurfaceNeedsALoginButBareHealthDoesNot() throws Exception {
        for (String path : List.of("/api/accounts", "/api/quarantine", "/api/openapi", "/actuator/prometheus",
                "/actuator/jolokia/version", "/actuator/hawtio/", "/actuator/jolokia/read/java.lang:type=Memory")) {
            assertThat(send(null, HttpRequest.newBuilder(uri(path)).GET()).statusCode()).as(path).isEqualTo(401);
        }
        HttpResponse<String> health = send(null, HttpRequest.newBuilder(uri("/actuator/health")).GET());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).has("components")).as("no details without login").isFalse();
        assertThat(send("viewer", "wrong-password", HttpRequest.newBuilder(uri("/api/accounts")).GET()).statusCode()).isEqualTo(401);
    }

    @Test
    void nothingButHealthMetricsHawtioAndJolokiaIsExposedEvenToAdmin() throws Exception {
        for (String path : List.of("/actuator/env", "/actuator/beans", "/actuator/configprops", "/actuator/heapdump",
                "/actuator/loggers", "/actuator/threaddump", "/actuator/shutdown")) {
            assertThat(send("admin", HttpRequest.newBuilder(uri(path)).GET()).statusCode()).as(path).isEqualTo(404);
        }
    }

    @Test
    void healthHasOneComponentPerConnectorAllUp() throws Exception {
        JsonNode components = getJson("viewer", "/actuator/health").get("components");
        for (String c : List.of("crmStore", "erp", "kafka", "mail")) {
            assertThat(components.get(c).get("status").asText()).as(c).isEqualTo("UP");
        }
    }

    @Test
    void prometheusExposesCamelRouteMetrics() throws Exception {
        HttpResponse<String> r = send("viewer", HttpRequest.newBuilder(uri("/actuator/prometheus")).GET());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("routeId=\"account-kafka-to-crm\"").contains("hikaricp_connections");
    }

    @Test
    void backlogsShowWhatWaitsInPrometheusAndInJmx() throws Exception {
        // The demo's refused and waiting records; its changes all consumed, its events all published.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            String body = send("viewer", HttpRequest.newBuilder(uri("/actuator/prometheus")).GET()).body();
            assertThat(gauge(body, "crmhub_quarantine_open", "entity=\"ACCOUNT\"")).isEqualTo(4.0);
            assertThat(gauge(body, "crmhub_quarantine_open", "entity=\"CONTACT\"")).isEqualTo(2.0);
            assertThat(gauge(body, "crmhub_sync_waiting", "entity=\"CONTACT\"")).isEqualTo(1.0);
            assertThat(gauge(body, "crmhub_sync_waiting", "entity=\"ORDER\"")).isEqualTo(1.0);
            assertThat(gauge(body, "crmhub_sync_poller_active", "source=\"erp.account\"")).isEqualTo(1.0);
            assertThat(gauge(body, "crmhub_erp_changes_pending", "source=\"erp.account\"")).isEqualTo(0.0);
            assertThat(gauge(body, "crmhub_erp_changes_pending", "source=\"erp.order\"")).isEqualTo(0.0);
            assertThat(gauge(body, "crmhub_kafka_consumer_lag", "topic=\"" + env.getProperty("hub.topics.erp-account-changed") + "\""))
                    .isEqualTo(0.0);
            assertThat(gauge(body, "crmhub_outbox_pending", "")).isEqualTo(0.0);
            assertThat(gauge(body, "crmhub_dead_letters_unreplayed", "")).isEqualTo(0.0);
        });
        JsonNode quarantine = getJson("viewer", "/actuator/jolokia/read/io.crmhub:type=Backlog/QuarantineOpen").get("value");
        assertThat(quarantine.get("ACCOUNT").asLong()).isEqualTo(4);
        assertThat(quarantine.get("CONTACT").asLong()).isEqualTo(2);
        assertThat(getJson("viewer", "/actuator/jolokia/read/io.crmhub:type=Backlog/ErpChangesPending").get("value")
                .get("erp.contact").asLong()).isZero();
        assertThat(getJson("viewer", "/actuator/jolokia/read/io.crmhub:type=Backlog/Problem").get("value").isNull()).isTrue();
    }

    /** The value of a gauge in Prometheus' text format: the series of that name whose labels contain {@code label}. */
    private static double gauge(String body, String name, String label) {
        Matcher m = Pattern.compile("^" + name + "(?:\\{([^}]*)\\})? (\\S+)$", Pattern.MULTILINE).matcher(body);
        while (m.find()) {
            if (m.group(1) == null ? label.isEmpty() : m.group(1).contains(label)) {
                return Double.parseDouble(m.group(2));
            }
        }
        throw new AssertionError("no " + name + " {" + label + "} in the scrape");
    }

    @Test
    void viewerSeesRouteDiagramsButOnlyAdminMayStopARoute() throws Exception {
        JsonNode dump = getJson("viewer", "/actuator/jolokia/exec/" + CONTEXT_MBEAN + "/dumpRoutesAsXml()");
        assertThat(dump.get("value").asText()).contains("id=\"account-erp-to-kafka\"").contains("id=\"account-kafka-to-crm\"");

        assertThat(send("viewer", HttpRequest.newBuilder(uri("/actuator/jolokia/exec/" + POLLER_MBEAN + "/stop()")).GET())
                .statusCode()).isEqualTo(403);
        String stop = "{\"type\":\"exec\",\"mbean\":\"" + POLLER_MBEAN.replace("%22", "\\\"") + "\",\"operation\":\"stop()\"}";
        String bulk = "[{\"type\":\"read\",\"mbean\":\"java.lang:type=Memory\"}," + stop + "]";
        assertThat(postWithCsrf("viewer", "/actuator/jolokia", bulk).statusCode()).as("bulk hiding an exec").isEqualTo(403);
        assertThat(routeState("viewer")).isEqualTo("Started");

        assertThat(postWithCsrf("admin", "/actuator/jolokia", stop).statusCode()).isEqualTo(200);
        assertThat(routeState("admin")).isEqualTo("Stopped");
        getJson("admin", "/actuator/jolokia/exec/" + POLLER_MBEAN + "/start()");
        assertThat(routeState("viewer")).isEqualTo("Started");
    }

    @Test
    void hawtioLoginGoesThroughSpringSecurityAndKnowsTheUser() throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(uri("/actuator/hawtio/"))
                .header("Accept", "text/html").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("Location").orElse("")).endsWith("/login");

        String form = browser.send(HttpRequest.newBuilder(uri("/login")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher csrf = Pattern.compile("name=\"_csrf\" type=\"hidden\" value=\"([^\"]+)\"").matcher(form);
        assertThat(csrf.find()).isTrue();
        HttpResponse<String> login = browser.send(HttpRequest.newBuilder(uri("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("username=viewer&password=viewer&_csrf=" + enc(csrf.group(1))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.headers().firstValue("Location").orElse("")).contains("/actuator/hawtio/");

        assertThat(browser.send(HttpRequest.newBuilder(uri("/actuator/hawtio/")).header("Accept", "text/html").GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        HttpResponse<String> user = browser.send(HttpRequest.newBuilder(uri("/actuator/hawtio/user")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(user.body().strip()).as(user.statusCode() + " " + user.headers().map()).isEqualTo("\"viewer\"");
    }

    @Test
    void adminApiIsDocumentedAndAnswersClearly() throws Exception {
        JsonNode paths = getJson("viewer", "/api/openapi").get("paths");
        assertThat(paths.has("/api/accounts/{id}")).isTrue();
        assertThat(paths.has("/api/quarantine")).isTrue();
        assertThat(paths.has("/api/orders/{id}")).isTrue();
        assertThat(send("viewer", HttpRequest.newBuilder(uri("/api/accounts/00000000-0000-0000-0000-000000000000")).GET())
                .statusCode()).isEqualTo(404);
        assertThat(send("viewer", HttpRequest.newBuilder(uri("/api/quarantine?status=BOGUS")).GET()).statusCode()).isEqualTo(400);
        assertThat(send("viewer", HttpRequest.newBuilder(uri("/api/contacts")).GET()).statusCode()).isEqualTo(200);
        assertThat(send("viewer", HttpRequest.newBuilder(uri("/api/orders")).GET()).statusCode()).isEqualTo(200);
    }

    @Test
    void contactsAndOrdersAreReadWithTheirLinesAndCrossReferences() throws Exception {
        var jdbc = crmJdbc.getJdbcTemplate();
        String account = jdbc.queryForObject("insert into account (name, country) values ('Hansen & Co. KG', 'DE') returning id::text", String.class);
        String contact = jdbc.queryForObject("insert into contact (account_id, first_name, last_name, email, role) "
                + "values (?::uuid, 'Käthe', 'Schröder', 'kaethe@hansen.de', 'BILLING') returning id::text", String.class, account);
        String order = jdbc.queryForObject("insert into sales_order (account_id, contact_id, order_number, order_date, currency, total) "
                + "values (?::uuid, ?::uuid, 'SO-1', date '2024-01-10', 'EUR', 349.90) returning id::text", String.class, account, contact);
        jdbc.update("insert into order_line (order_id, line_number, sku, quantity, unit_price) values (?::uuid, 1, 'BRT-001', 1, 349.90)", order);
        jdbc.update("insert into xref (entity_type, system, external_id, crm_id) values ('CONTACT', 'ERP', 'C-API-1', ?::uuid), "
                + "('ORDER', 'BILLING', 'in_1Q', ?::uuid)", contact, order);

        JsonNode c = getJson("viewer", "/api/contacts/" + contact);
        assertThat(c.get("lastName").asText()).isEqualTo("Schröder");
        assertThat(c.get("role").asText()).isEqualTo("BILLING");
        assertThat(c.get("externalIds").get(0).get("externalId").asText()).isEqualTo("C-API-1");
        assertThat(getJson("viewer", "/api/contacts?accountId=" + account)).hasSize(1);

        JsonNode o = getJson("viewer", "/api/orders/" + order);
        assertThat(o.get("status").asText()).isEqualTo("NEW");
        assertThat(o.get("lines").get(0).get("sku").asText()).isEqualTo("BRT-001");
        assertThat(o.get("externalIds").get(0).get("system").asText()).isEqualTo("BILLING");
        assertThat(getJson("viewer", "/api/orders?accountId=" + account)).hasSize(1);
    }

    @Test
    void possibleDuplicatesAreListedWithTheirEvidenceAndMergedByAnAdmin() throws Exception {
        JdbcTemplate erp = new JdbcTemplate(erpDataSource);
        Timestamp now = Timestamp.from(Instant.now());
        erp.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES ('0000077001', 'Polaris Instruments Ltd', 'DE', 'A', ?, 'IT')", now);
        erp.update("INSERT INTO CUSTMST (CUSTNO, CNAME, CCTRY, CSTAT, LCHG, LUSR) VALUES ('0000077002', 'Polaris Instruments Holding Group', 'DE', 'A', ?, 'IT')",
                Timestamp.from(now.toInstant().plusSeconds(1)));
        JsonNode proposal = await().atMost(Duration.ofSeconds(30)).until(() -> {
            for (JsonNode c : getJson("viewer", "/api/duplicates?limit=500")) {
                if (c.get("record").get("name").asText().startsWith("Polaris")) {
                    return c;
                }
            }
            return null;
        }, java.util.Objects::nonNull);
        assertThat(proposal.get("other").get("name").asText()).startsWith("Polaris");
        assertThat(proposal.get("evidence").toString()).contains("name.same-distinctive");
        String path = "/api/duplicates/" + proposal.get("id").asText() + "/merge";

        assertThat(postWithCsrf("viewer", path, "{}").statusCode()).isEqualTo(403);
        HttpResponse<String> merged = postWithCsrf("admin", path, "{}");
        assertThat(merged.statusCode()).as(merged.body()).isEqualTo(200);
        JsonNode result = JSON.readTree(merged.body());
        assertThat(result.get("moved").get("externalIds").asInt()).isEqualTo(1);
        assertThat(getJson("viewer", "/api/accounts/" + result.get("merged").asText()).get("status").asText()).isEqualTo("MERGED");
        assertThat(postWithCsrf("admin", path, "{}").statusCode()).as("decided already").isEqualTo(409);
    }

    private String routeState(String user) throws Exception {
        return getJson(user, "/actuator/jolokia/exec/" + POLLER_MBEAN + "/getState()").get("value").asText();
    }

    private HttpResponse<String> postWithCsrf(String user, String path, String body) throws Exception {
        HttpClient client = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        HttpResponse<String> first = client.send(authed(user, user, HttpRequest.newBuilder(uri("/actuator/jolokia/version")).GET()),
                HttpResponse.BodyHandlers.ofString());
        String token = first.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("XSRF-TOKEN="))
                .map(c -> c.substring("XSRF-TOKEN=".length(), c.indexOf(';'))).findFirst().orElseThrow();
        return client.send(authed(user, user, HttpRequest.newBuilder(uri(path)).header("X-XSRF-TOKEN", token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body))),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode getJson(String user, String path) throws IOException, InterruptedException {
        return api().getJson(user, path);
    }

    private HttpResponse<String> send(String user, HttpRequest.Builder request) throws IOException, InterruptedException {
        return api().send(user, request);
    }

    private HttpResponse<String> send(String user, String password, HttpRequest.Builder request) throws IOException, InterruptedException {
        return api().send(user, password, request);
    }

    private static HttpRequest authed(String user, String password, HttpRequest.Builder request) {
        return AdminClient.authed(user, password, request);
    }

    private URI uri(String path) {
        return api().uri(path);
    }

    private AdminClient api() {
        return new AdminClient(port);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
