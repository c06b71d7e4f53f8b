package io.crmhub.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.billing.BillingClient;
import io.crmhub.connectors.billing.BillingClient.Invoice;
import io.crmhub.connectors.billing.BillingClient.Line;
import io.crmhub.connectors.billing.BillingException;
import io.crmhub.embedded.BillingSimulator;
import io.crmhub.embedded.BillingSimulator.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The billing client against the billing simulator over real HTTP, faults included. */
class BillingClientIT {

    private static final String KEY = "sk_test_" + UUID.randomUUID();
    private static BillingSimulator billing;
    private static BillingClient client;

    @BeforeAll
    static void start() {
        billing = new BillingSimulator(KEY).slowness(Duration.ofMillis(1500));
        client = new BillingClient(billing.url(), KEY, Duration.ofMillis(500), 4, Duration.ofMillis(20), new ObjectMapper());
    }

    @AfterAll
    static void stop() {
        billing.close();
    }

    @AfterEach
    void heal() {
        billing.heal();
    }

    private static List<Line> lines() {
        return List.of(new Line(1, "Widget", 1250), new Line(2, "Gadget", 4000));
    }

    private static long invoicesOf(String orderKey) {
        return billing.invoices().stream().filter(i -> orderKey.equals(((Map<?, ?>) i.get("metadata")).get("order_key"))).count();
    }

    @Test
    void anInvoiceWhoseAnswerIsLostIsCreatedOnceAndTheRetryReturnsIt() {
        String customer = client.ensureCustomer(UUID.randomUUID().toString(), "Acme Products", "billing@acme.example");
        billing.failNext("invoices.create", Fault.LOST_RESPONSE, 1).failNext("invoiceitems.create", Fault.LOST_RESPONSE, 1);
        long before = billing.requests("invoices.create");

        Invoice inv = client.invoice("SO-1001", customer, "EUR", "Order SO-1001", lines());

        assertThat(billing.requests("invoices.create") - before).as("the lost answer and the retry").isEqualTo(2);
        assertThat(invoicesOf("SO-1001")).isEqualTo(1);
        assertThat(inv.status()).isEqualTo("open");
        assertThat(inv.total()).isEqualTo(5250);
        assertThat(inv.lines()).as("the line whose answer was lost is there once").isEqualTo(2);
        // the whole call again (a saga step retried): the same invoice, nothing new
        assertThat(client.invoice("SO-1001", customer, "EUR", "Order SO-1001", lines()).id()).isEqualTo(inv.id());
        assertThat(invoicesOf("SO-1001")).isEqualTo(1);
    }

    @Test
    void aCustomerWhoseAnswerIsLostIsCreatedOnce() {
        String account = UUID.randomUUID().toString();
        billing.failNext("customers.create", Fault.LOST_RESPONSE, 1);
        String id = client.ensureCustomer(account, "Müller GmbH", "info@mueller.example");
        assertThat(client.ensureCustomer(account, "Müller GmbH", "info@mueller.example")).isEqualTo(id);
        assertThat(billing.customers().stream().filter(c -> account.equals(((Map<?, ?>) c.get("metadata")).get("crm_account_id"))))
                .hasSize(1);
    }

    @Test
    void rateLimitsServerErrorsAndTimeOutsAreRetriedWithTheSameKey() {
        String customer = client.ensureCustomer(UUID.randomUUID().toString(), "Zeta Tools", null);
        billing.failNext("invoices.create", Fault.RATE_LIMITED, 1).failNext("invoiceitems.create", Fault.SERVER_ERROR, 2)
                .failNext("invoices.finalize", Fault.TIMEOUT, 1);
        long finalizes = billing.requests("invoices.finalize");

        Invoice inv = client.invoice("SO-1002", customer, "EUR", null, lines());

        assertThat(inv.status()).isEqualTo("open");
        assertThat(inv.total()).isEqualTo(5250);
        assertThat(billing.requests("invoices.finalize") - finalizes).as("timed out once, replayed once").isEqualTo(2);
        assertThat(invoicesOf("SO-1002")).isEqualTo(1);
    }

    @Test
    void aBillingSystemDownForGoodFailsAfterTheAttemptsAndCreatesNothing() {
        String customer = client.ensureCustomer(UUID.randomUUID().toString(), "Orion Metals", null);
        billing.failAlways("invoices.create", Fault.SERVER_ERROR);
        long before = billing.requests("invoices.create");

        assertThatThrownBy(() -> client.invoice("SO-1003", customer, "EUR", null, lines()))
                .isInstanceOfSatisfying(BillingException.class, e -> {
                    assertThat(e.status()).isEqualTo(500);
                    assertThat(e.permanent()).as("a 500 may pass later").isFalse();
                });
        assertThat(billing.requests("invoices.create") - before).isEqualTo(4);
        assertThat(invoicesOf("SO-1003")).isZero();
    }

    @Test
    void aVoidUndoesTheInvoiceOnceAndIsHarmlessBeforeItExists() {
        String customer = client.ensureCustomer(UUID.randomUUID().toString(), "Kestrel Optics", null);
        assertThat(client.voidInvoice("SO-1004")).as("nothing to undo yet").isFalse();
        client.invoice("SO-1004", customer, "EUR", null, lines());
        billing.failNext("invoices.void", Fault.LOST_RESPONSE, 1);

        assertThat(client.voidInvoice("SO-1004")).isTrue();
        assertThat(client.findInvoice("SO-1004").orElseThrow().status()).isEqualTo("void");
        assertThat(client.voidInvoice("SO-1004")).as("a second compensation changes nothing").isFalse();
    }

    @Test
    void aRefusedRequestIsNotRetried() {
        BillingClient wrongKey = new BillingClient(billing.url(), "sk_test_wrong", Duration.ofSeconds(1), 4, Duration.ofMillis(20),
                new ObjectMapper());
        assertThatThrownBy(() -> wrongKey.ensureCustomer("x", "X", null))
                .isInstanceOfSatisfying(BillingException.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.permanent()).isTrue();
                });
        assertThatThrownBy(() -> client.invoice("SO-1005", "cus_unknown", "EUR", null, lines()))
                .isInstanceOfSatisfying(BillingException.class, e -> assertThat(e.code()).isEqualTo("resource_missing"));
    }
}
