package io.crmhub.connectors.billing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The billing system's REST API (Stripe's shape: form-encoded requests, JSON answers, a secret key
 * as bearer token). Every create carries an {@code Idempotency-Key} derived from the business key
 * (the CRM account, the order), so a retry after a lost answer returns the same customer or
 * invoice, never a second one. Failures that may pass (no answer, time-out, 5xx, 429) are retried
 * with back-off, honouring {@code Retry-After}, up to {@code attempts}; a refused request is not.
 * <p>
 * Before creating, the client also searches by the business key in the metadata, so a customer or
 * invoice created by an attempt older than the billing system keeps idempotency keys (Stripe: 24
 * hours) is found rather than created again.
 */
public class BillingClient {

    /** An invoice line: amount in the currency's minor unit (cents). */
    public record Line(int number, String description, long amount) {
    }

    /** An invoice as the billing system holds it. */
    public record Invoice(String id, String status, String customer, String currency, long total, int lines) {

        public boolean open() {
            return "open".equals(status) || "paid".equals(status);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(BillingClient.class);

    private final URI base;
    private final String apiKey;
    private final Duration timeout;
    private final int attempts;
    private final Duration initialBackoff;
    private final ObjectMapper json;
    private final HttpClient http;

    /**
     * @param timeout        how long one request may take before it counts as failed (and is retried)
     * @param attempts       tries per call, the first included
     * @param initialBackoff the wait after the first failure, doubled after each (at most 10 s), or the
     *                       server's {@code Retry-After} when it gives one
     */
    public BillingClient(URI base, String apiKey, Duration timeout, int attempts, Duration initialBackoff, ObjectMapper json) {
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("the billing API key must be set (from the environment, never in the repository)");
        }
        this.base = base;
        this.apiKey = apiKey;
        this.timeout = timeout;
        this.attempts = Math.max(1, attempts);
        this.initialBackoff = initialBackoff;
        this.json = json;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    /** The billing customer of a CRM account: found by the account's id in its metadata, or created once. */
    public String ensureCustomer(String crmAccountId, String name, String email) {
        Optional<JsonNode> found = searchOne("/v1/customers/search", "crm_account_id", crmAccountId);
        if (found.isPresent()) {
            return found.get().path("id").asText();
        }
        Map<String, String> form = new LinkedHashMap<>();
        put(form, "name", name);
        put(form, "email", email);
        form.put("metadata[crm_account_id]", crmAccountId);
        return call("POST", "/v1/customers", form, "crmhub-customer-" + crmAccountId).path("id").asText();
    }

    /**
     * The invoice of an order: created as a draft, its lines added, finalized — each request under
     * its own key derived from the order. A call after a partial earlier one completes that invoice.
     */
    public Invoice invoice(String orderKey, String customerId, String currency, String description, List<Line> lines) {
        String key = "crmhub-invoice-" + orderKey;
        JsonNode inv = searchOne("/v1/invoices/search", "order_key", orderKey).orElse(null);
        if (inv == null) {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("customer", customerId);
            form.put("currency", currency.toLowerCase(java.util.Locale.ROOT));
            put(form, "description", description);
            form.put("auto_advance", "false");
            form.put("metadata[order_key]", orderKey);
            inv = call("POST", "/v1/invoices", form, key);
        }
        if (!"draft".equals(inv.path("status").asText())) {
            return invoice(inv);
        }
        String id = inv.path("id").asText();
        List<String> present = new ArrayList<>();
        inv.path("lines").path("data").forEach(l -> present.add(l.path("metadata").path("line").asText()));
        for (Line line : lines) {
            if (present.contains(Integer.toString(line.number()))) {
                continue;
            }
            Map<String, String> form = new LinkedHashMap<>();
            form.put("customer", customerId);
            form.put("invoice", id);
            form.put("amount", Long.toString(line.amount()));
            form.put("currency", currency.toLowerCase(java.util.Locale.ROOT));
            put(form, "description", line.description());
            form.put("metadata[line]", Integer.toString(line.number()));
            call("POST", "/v1/invoiceitems", form, key + "-line-" + line.number());
        }
        try {
            return invoice(call("POST", "/v1/invoices/" + id + "/finalize", Map.of(), key + "-finalize"));
        } catch (BillingException e) {
            if ("invoice_unexpected_status".equals(e.code())) {
                return invoice(call("GET", "/v1/invoices/" + id, Map.of(), null));
            }
            throw e;
        }
    }

    /** The order's invoice, if the billing system has one. */
    public Optional<Invoice> findInvoice(String orderKey) {
        return searchOne("/v1/invoices/search", "order_key", orderKey).map(BillingClient::invoice);
    }

    /**
     * Undoes the order's invoice: an open one is voided, a draft deleted. Idempotent, and safe
     * before the invoice exists (nothing to undo). Returns whether this call undid something.
     */
    public boolean voidInvoice(String orderKey) {
        Optional<JsonNode> found = searchOne("/v1/invoices/search", "order_key", orderKey);
        if (found.isEmpty()) {
            return false;
        }
        JsonNode inv = found.get();
        String id = inv.path("id").asText();
        String status = inv.path("status").asText();
        try {
            switch (status) {
                case "draft" -> call("DELETE", "/v1/invoices/" + id, Map.of(), null);
                case "open" -> call("POST", "/v1/invoices/" + id + "/void", Map.of(), "crmhub-invoice-" + orderKey + "-void");
                default -> {
                    return false;
                }
            }
            return true;
        } catch (BillingException e) {
            // another attempt got there first
            if ("invoice_unexpected_status".equals(e.code()) || "resource_missing".equals(e.code())) {
                return false;
            }
            throw e;
        }
    }

    private Optional<JsonNode> searchOne(String path, String metadataKey, String value) {
        JsonNode result = call("GET", path + "?query=" + URLEncoder.encode("metadata['" + metadataKey + "']:'" + value + "'",
                StandardCharsets.UTF_8), Map.of(), null);
        JsonNode data = result.path("data");
        return data.isEmpty() ? Optional.empty() : Optional.of(data.get(0));
    }

    private static Invoice invoice(JsonNode n) {
        return new Invoice(n.path("id").asText(), n.path("status").asText(), n.path("customer").asText(),
                n.path("currency").asText(), n.path("total").asLong(), n.path("lines").path("data").size());
    }

    private static void put(Map<String, String> form, String key, String value) {
        if (value != null) {
            form.put(key, value);
        }
    }

    /** One API call with its retries; the same idempotency key on every attempt. */
    private JsonNode call(String method, String path, Map<String, String> form, String idempotencyKey) {
        Duration backoff = initialBackoff;
        BillingException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            Duration wait = backoff;
            try {
                HttpResponse<String> r = http.send(request(method, path, form, idempotencyKey), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() < 300) {
                    return json.readTree(r.body());
                }
                JsonNode error = readError(r.body());
                String code = error.path("code").isMissingNode() ? null : error.path("code").asText();
                String message = method + " " + path + ": " + r.statusCode() + " " + error.path("message").asText(r.body());
                boolean retryable = r.statusCode() >= 500 || r.statusCode() == 429 || r.statusCode() == 409;
                last = new BillingException(message, r.statusCode(), code, !retryable, null);
                if (!retryable) {
                    throw last;
                }
                wait = r.headers().firstValue("Retry-After").map(BillingClient::seconds).orElse(backoff);
            } catch (IOException e) {
                // no answer: the request may or may not have been carried out; the key makes the retry safe
                last = new BillingException(method + " " + path + ": no answer (" + e.getClass().getSimpleName() + ": "
                        + e.getMessage() + ")", 0, null, false, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BillingException(method + " " + path + ": interrupted", 0, null, false, e);
            }
            if (attempt < attempts) {
                LOG.info("Billing {} {} failed (attempt {} of {}): {}; again in {} ms", method, path, attempt, attempts,
                        last.getMessage(), wait.toMillis());
                pause(wait);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : backoff.multipliedBy(2);
            }
        }
        throw last;
    }

    private HttpRequest request(String method, String path, Map<String, String> form, String idempotencyKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Authorization", "Bearer " + apiKey).header("Accept", "application/json");
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        if (method.equals("POST")) {
            StringJoiner body = new StringJoiner("&");
            form.forEach((k, v) -> body.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
            b.header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private JsonNode readError(String body) {
        try {
            return json.readTree(body).path("error");
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }

    private static Duration seconds(String retryAfter) {
        try {
            return Duration.ofSeconds(Math.min(60, Long.parseLong(retryAfter.strip())));
        } catch (NumberFormatException e) {
            return Duration.ofSeconds(1);
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BillingException("interrupted while waiting to retry", 0, null, false, e);
        }
    }
}
