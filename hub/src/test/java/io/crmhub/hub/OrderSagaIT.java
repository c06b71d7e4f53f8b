package io.crmhub.hub;

import io.crmhub.connectors.order.OrderSaga;
import io.crmhub.connectors.order.OrderSaga.LineInput;
import io.crmhub.embedded.BillingSimulator;
import io.crmhub.embedded.BillingSimulator.Fault;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Orders placed in the CRM run as sagas through the real ERP database, the billing simulator over
 * HTTP (faults switched on), the real SMTP/IMAP server and Kafka; compensation when billing fails
 * for good, one invoice despite a lost answer, one confirmation despite a redelivery, and a burst
 * of orders with random billing faults. Figures seen are printed as {@code FIGURES ...} lines.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "hub.embedded.data-dir=",
        "hub.erp.poll-interval=300ms",
        "hub.billing.attempts=2",
        "hub.billing.initial-backoff=10ms",
        "hub.billing.timeout=2s",
        "hub.saga.recovery-interval=200ms",
        "hub.saga.retry-delay=50ms"})
class OrderSagaIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String BILLING_KEY = "sk_test_" + UUID.randomUUID().toString().replace("-", "");
    private static final BillingSimulator BILLING = new BillingSimulator(BILLING_KEY);

    @DynamicPropertySource
    static void services(DynamicPropertyRegistry registry) {
        RealServices.register(registry);
        registry.add("hub.billing.url", () -> BILLING.url().toString());
        registry.add("hub.billing.api-key", () -> BILLING_KEY);
    }

    @AfterAll
    static void stopBilling() {
        BILLING.close();
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
    @Autowired
    OrderSaga orders;

    private JdbcTemplate crm;
    private JdbcTemplate erp;
    private UUID account;

    @BeforeEach
    void demoAccount() {
        crm = crmJdbc.getJdbcTemplate();
        erp = new JdbcTemplate(erpDataSource);
        await().atMost(WAIT).until(() -> !crm.queryForList(
                "select crm_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and external_id = '0000010010'", UUID.class).isEmpty());
        account = crm.queryForObject("select crm_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and external_id = '0000010010'",
                UUID.class);
    }

    @AfterEach
    void heal() {
        BILLING.heal();
    }

    private UUID contact(String email) {
        UUID id = UUID.randomUUID();
        crm.update("insert into contact (id, account_id, first_name, last_name, email) values (?, ?, 'Anna', 'Schmidt', ?)", id, account, email);
        return id;
    }

    private static List<LineInput> lines(int n) {
        List<LineInput> lines = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            lines.add(new LineInput("SKU-" + i, "Widget " + i, BigDecimal.valueOf(i), new BigDecimal("12.50")));
        }
        return lines;
    }

    private String status(UUID order) {
        return crm.queryForObject("select status from sales_order where id = ?", String.class, order);
    }

    private long invoicesOf(UUID order, String status) {
        return BILLING.invoices().stream().filter(i -> order.toString().equals(((Map<?, ?>) i.get("metadata")).get("order_key")))
                .filter(i -> status == null || status.equals(i.get("status"))).count();
    }

    private List<String> mailbox(String user, String password) throws Exception {
        return Mailboxes.subjects(Integer.parseInt(env.getProperty("hub.mail.imap-port")), user, password);
    }

    @Test
    void billingDownForGoodCancelsTheErpOrderAndFailsTheCrmOrderWithItsReasonAndNoInvoice() throws Exception {
        BILLING.failAlways("invoices.create", Fault.SERVER_ERROR);
        OrderSaga.Placed placed = orders.place(account, contact("fail@mueller.example"), "EUR", lines(2));

        await().atMost(WAIT).until(() -> status(placed.orderId()).equals("FAILED"));
        assertThat(crm.queryForObject("select failure_reason from sales_order where id = ?", String.class, placed.orderId()))
                .contains("500");
        assertThat(erp.queryForObject("SELECT OSTAT FROM ORDHDR WHERE ORDNO = ?", String.class, placed.orderNumber())).isEqualTo("CA");
        assertThat(invoicesOf(placed.orderId(), null)).isZero();
        String saga = crm.queryForObject("select saga_id from sales_order where id = ?", String.class, placed.orderId());
        await().atMost(WAIT).until(() -> crm.queryForObject("select status from saga where id = ?", String.class, saga).equals("COMPENSATED"));
        assertThat(mailbox("hub", env.getProperty("hub.mail.password"))).contains("Order " + placed.orderNumber() + " failed");
        assertThat(mailbox("fail@mueller.example", "fail@mueller.example")).as("no confirmation").isEmpty();

        // the ERP poller reads the hub's own writes back: echoes, which leave the order as it is
        java.sql.Timestamp cancelled = erp.queryForObject("SELECT LCHG FROM ORDHDR WHERE ORDNO = ?", java.sql.Timestamp.class, placed.orderNumber());
        await().atMost(WAIT).until(() -> !crm.queryForList("select 1 from watermark where source = 'erp.order' and last_changed_at >= ?",
                Integer.class, cancelled).isEmpty());
        assertThat(status(placed.orderId())).isEqualTo("FAILED");
        assertThat(crm.queryForObject("select count(*) from sales_order where order_number = ?", Long.class, placed.orderNumber())).isEqualTo(1);
        System.out.printf("FIGURES saga test 1: order %s FAILED (%s), ERP OSTAT CA, invoices 0, saga COMPENSATED%n", placed.orderNumber(),
                crm.queryForObject("select failure_reason from sales_order where id = ?", String.class, placed.orderId()));
    }

    @Test
    void anInvoiceWhoseAnswerIsLostIsCreatedOnceAndTheOrderCompletes() throws Exception {
        BILLING.failNext("invoices.create", Fault.LOST_RESPONSE, 1);
        long creates = BILLING.requests("invoices.create");
        OrderSaga.Placed placed = orders.place(account, contact("lost@mueller.example"), "EUR", lines(3));

        await().atMost(WAIT).until(() -> status(placed.orderId()).equals("COMPLETED"));
        assertThat(BILLING.requests("invoices.create") - creates).as("lost, then replayed under the same key").isEqualTo(2);
        assertThat(invoicesOf(placed.orderId(), "open")).isEqualTo(1);
        assertThat(invoicesOf(placed.orderId(), null)).isEqualTo(1);
        assertThat(erp.queryForObject("SELECT OSTAT FROM ORDHDR WHERE ORDNO = ?", String.class, placed.orderNumber())).isEqualTo("OP");
        assertThat(mailbox("lost@mueller.example", "lost@mueller.example")).containsExactly("Order " + placed.orderNumber() + " confirmed");
        System.out.printf("FIGURES saga test 2: invoice create requests %d, invoices %d, order %s%n",
                BILLING.requests("invoices.create") - creates, invoicesOf(placed.orderId(), null), status(placed.orderId()));
    }

    @Test
    void theConfirmationArrivesOnceWhenTheOrderEventIsDeliveredAgainAndBillingRetries() throws Exception {
        BILLING.failNext("invoices.finalize", Fault.LOST_RESPONSE, 1);
        OrderSaga.Placed placed = orders.place(account, contact("once@mueller.example"), "EUR", lines(1));
        await().atMost(WAIT).until(() -> status(placed.orderId()).equals("COMPLETED"));
        String idle = "select count(*) from saga s where s.status = 'COMPLETED' and not exists (select 1 from sales_order o where o.saga_id = s.id)";
        long idleSagas = crm.queryForObject(idle, Long.class);

        // the same "order placed" event again, as a producer retry or a replay would deliver it
        String event = crm.queryForObject("""
                select json_build_object('id', id, 'aggregateType', aggregate_type, 'aggregateId', aggregate_id, 'eventType', event_type,
                  'origin', origin, 'payload', payload, 'createdAt', created_at)::text
                from outbox_event where aggregate_id = ? and event_type = 'ORDER_PLACED'""", String.class, placed.orderId());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                env.getProperty("camel.component.kafka.brokers")), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(env.getProperty("hub.topics.crm-changed"), placed.orderId().toString(), event)).get();
        }
        // the redelivery starts a saga that finds the order taken by another, and ends without doing anything
        await().atMost(WAIT).until(() -> crm.queryForObject(idle, Long.class) > idleSagas);
        assertThat(mailbox("once@mueller.example", "once@mueller.example")).containsExactly("Order " + placed.orderNumber() + " confirmed");
        assertThat(invoicesOf(placed.orderId(), null)).isEqualTo(1);
        assertThat(status(placed.orderId())).isEqualTo("COMPLETED");
    }

    @Test
    void anOrderPlacedOverTheApiRunsAndAViewerCannotPlaceOne() throws Exception {
        UUID contact = contact("api@mueller.example");
        String body = """
                {"accountId": "%s", "contactId": "%s", "currency": "EUR",
                 "lines": [{"sku": "SKU-9", "description": "Gear", "quantity": 2, "unitPrice": 99.90}]}""".formatted(account, contact);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> viewer = http.send(post(body, "viewer", "viewer"), HttpResponse.BodyHandlers.ofString());
        assertThat(viewer.statusCode()).isEqualTo(403);
        HttpResponse<String> bad = http.send(post(body.replace("\"EUR\"", "\"euro\""), "admin", "admin"), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        HttpResponse<String> placed = http.send(post(body, "admin", "admin"), HttpResponse.BodyHandlers.ofString());
        assertThat(placed.statusCode()).isEqualTo(202);
        UUID order = UUID.fromString(placed.body().replaceAll(".*\"orderId\":\"([^\"]+)\".*", "$1"));
        await().atMost(WAIT).until(() -> status(order).equals("COMPLETED"));
        assertThat(crm.queryForObject("select total from sales_order where id = ?", BigDecimal.class, order)).isEqualByComparingTo("199.80");
        HttpResponse<String> sagas = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/sagas?status=COMPLETED"))
                .header("Authorization", basic("viewer", "viewer")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sagas.statusCode()).isEqualTo(200);
        assertThat(sagas.body()).contains("\"status\":\"COMPLETED\"");
    }

    @Test
    void aBurstOfOrdersWithRandomBillingFaultsEndsEachCompletedOrFailedAndCompensated() throws Exception {
        int n = 1000;
        BILLING.failRandomly("invoices.create", Fault.SERVER_ERROR, 0.10, 20261123)
                .failRandomly("invoiceitems.create", Fault.LOST_RESPONSE, 0.10, 7)
                .failRandomly("invoices.finalize", Fault.RATE_LIMITED, 0.02, 11);
        UUID contact = contact("burst@mueller.example");
        List<UUID> placed = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            placed.add(orders.place(account, contact, "EUR", lines(1 + i % 3)).orderId());
        }
        String ids = placed.stream().map(u -> "'" + u + "'").reduce((a, b) -> a + "," + b).orElseThrow();
        await().atMost(Duration.ofMinutes(5)).until(() -> crm.queryForObject(
                "select count(*) from sales_order where id in (" + ids + ") and status in ('COMPLETED', 'FAILED')", Long.class) == n);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long completed = crm.queryForObject("select count(*) from sales_order where id in (" + ids + ") and status = 'COMPLETED'", Long.class);
        long failed = n - completed;
        long open = placed.stream().mapToLong(o -> invoicesOf(o, "open")).sum();
        assertThat(open).as("invoices equal completed orders").isEqualTo(completed);
        for (UUID o : placed) {
            if (status(o).equals("FAILED")) {
                assertThat(invoicesOf(o, "open")).isZero();
                String number = crm.queryForObject("select order_number from sales_order where id = ?", String.class, o);
                assertThat(erp.queryForList("SELECT OSTAT FROM ORDHDR WHERE ORDNO = ?", String.class, number)).containsOnly("CA");
            }
        }
        await().atMost(WAIT).until(() -> crm.queryForObject("select count(*) from sales_order o join saga s on s.id = o.saga_id where o.id in ("
                + ids + ") and s.status in ('COMPENSATED', 'COMPLETED')", Long.class) == n);
        assertThat(failed).as("some orders met a billing fault twice in a row").isPositive();
        System.out.printf("FIGURES saga test 6: %d orders with 10%% invoice-create 500s, 10%% lost item answers, 2%% 429s, 2 attempts per request: "
                + "%d COMPLETED, %d FAILED and compensated, %d open invoices, none in between; %.1f s (%.0f orders/s)%n",
                n, completed, failed, open, seconds, n / seconds);
    }

    private HttpRequest post(String body, String user, String password) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/orders"))
                .header("Authorization", basic(user, password)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }
}
