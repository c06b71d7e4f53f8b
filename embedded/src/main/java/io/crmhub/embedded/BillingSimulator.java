package io.crmhub.embedded;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A billing system for the tests and the embedded demo, speaking the subset of the Stripe API the
 * hub uses, over real HTTP: form-encoded requests, JSON responses, a secret key as bearer token,
 * Stripe's error objects, and {@code Idempotency-Key} on every POST (the first result of a key is
 * kept and replayed with {@code Idempotent-Replayed: true}; the same key with other parameters is
 * an {@code idempotency_error}).
 * <ul>
 *   <li>{@code POST /v1/customers}, {@code GET /v1/customers/{id}}, {@code GET /v1/customers/search?query=metadata['k']:'v'}</li>
 *   <li>{@code POST /v1/invoices} (a draft), {@code GET /v1/invoices/{id}}, {@code GET /v1/invoices/search},
 *   {@code POST /v1/invoices/{id}/finalize} (draft → open), {@code POST /v1/invoices/{id}/void}
 *   (open → void), {@code DELETE /v1/invoices/{id}} (drafts only)</li>
 *   <li>{@code POST /v1/invoiceitems} (a line of a draft invoice, amount in minor units)</li>
 * </ul>
 * Faults can be switched on per operation ({@link #failNext}, {@link #failAlways}, {@link #failRandomly}), in code or over
 * HTTP ({@code POST /_simulator/faults?operation=&fault=&times=}): a 500, a time-out (the answer
 * comes after {@link #slowness}), a 429 with {@code Retry-After}, and a lost response (the request is
 * carried out, then the connection closes without an answer). Injected faults model the network and
 * the infrastructure in front of the API: a failed one is not kept under its idempotency key.
 */
public final class BillingSimulator implements AutoCloseable {

    /** What can go wrong with a request. */
    public enum Fault {
        /** 500 api_error, nothing done */
        SERVER_ERROR,
        /** the request is carried out, but the answer comes only after {@link #slowness} */
        TIMEOUT,
        /** 429 rate_limit_error with Retry-After: 1, nothing done */
        RATE_LIMITED,
        /** the request is carried out, the connection closes without an answer */
        LOST_RESPONSE
    }

    /** Operation names for faults: {@code customers.create}, {@code invoices.create}, {@code invoiceitems.create}, {@code invoices.finalize}, {@code invoices.void}, {@code invoices.delete}, or {@code *}. */
    public static final List<String> OPERATIONS = List.of("customers.create", "invoices.create", "invoiceitems.create",
            "invoices.finalize", "invoices.void", "invoices.delete", "*");

    private static final Logger LOG = LoggerFactory.getLogger(BillingSimulator.class);
    private static final Pattern SEARCH = Pattern.compile("metadata\\['([^']+)'\\]:'([^']*)'");

    private final String apiKey;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "billing-simulator");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong ids = new AtomicLong(1000);
    private final Map<String, Map<String, Object>> customers = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> invoices = new ConcurrentHashMap<>();
    private final Map<String, Kept> idempotency = new ConcurrentHashMap<>();
    private final Map<String, List<Fault>> nextFaults = new ConcurrentHashMap<>();
    private final Map<String, Fault> alwaysFaults = new ConcurrentHashMap<>();
    private final Map<String, RandomFault> randomFaults = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    private volatile Duration slowness = Duration.ofSeconds(3);

    private record Kept(String fingerprint, int status, String body) {
    }

    private record RandomFault(Fault fault, double share, java.util.Random random) {

        Fault draw() {
            synchronized (random) {
                return random.nextDouble() < share ? fault : null;
            }
        }
    }

    private record Answer(int status, Object body) {
    }

    /** Starts on a free port of the loopback interface. */
    public BillingSimulator(String apiKey) {
        this(apiKey, 0);
    }

    public BillingSimulator(String apiKey, int port) {
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("the billing simulator needs a secret key");
        }
        this.apiKey = apiKey;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the billing simulator", e);
        }
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
        LOG.info("Billing simulator (Stripe API subset) on {}", url());
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next {@code times} requests of the operation meet the fault. */
    public BillingSimulator failNext(String operation, Fault fault, int times) {
        checkOperation(operation);
        List<Fault> queue = nextFaults.computeIfAbsent(operation, k -> java.util.Collections.synchronizedList(new ArrayList<>()));
        for (int i = 0; i < times; i++) {
            queue.add(fault);
        }
        return this;
    }

    /** Every request of the operation meets the fault, until {@link #heal}. */
    public BillingSimulator failAlways(String operation, Fault fault) {
        checkOperation(operation);
        alwaysFaults.put(operation, fault);
        return this;
    }

    /** A share of the operation's requests meet the fault, drawn from a seeded sequence, until {@link #heal}. */
    public BillingSimulator failRandomly(String operation, Fault fault, double share, long seed) {
        checkOperation(operation);
        randomFaults.put(operation, new RandomFault(fault, share, new java.util.Random(seed)));
        return this;
    }

    /** No more faults. */
    public BillingSimulator heal() {
        nextFaults.clear();
        alwaysFaults.clear();
        randomFaults.clear();
        return this;
    }

    /** How late a {@link Fault#TIMEOUT} answers. */
    public BillingSimulator slowness(Duration d) {
        this.slowness = d;
        return this;
    }

    /** Every invoice, in any status. */
    public Collection<Map<String, Object>> invoices() {
        return List.copyOf(invoices.values());
    }

    public Collection<Map<String, Object>> customers() {
        return List.copyOf(customers.values());
    }

    /** Requests received for an operation, faulty ones included. */
    public long requests(String operation) {
        AtomicLong n = requests.get(operation);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    private static void checkOperation(String operation) {
        if (!OPERATIONS.contains(operation)) {
            throw new IllegalArgumentException("unknown operation '" + operation + "'; known: " + OPERATIONS);
        }
    }

    // ---- HTTP ------------------------------------------------------------------------------

    private void handle(HttpExchange http) throws IOException {
        try (http) {
            String auth = http.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8),
                    ("Bearer " + apiKey).getBytes(StandardCharsets.UTF_8))) {
                send(http, new Answer(401, error("invalid_request_error", null, "Invalid API Key provided")));
                return;
            }
            String method = http.getRequestMethod();
            String path = http.getRequestURI().getPath();
            Map<String, String> params = new TreeMap<>(form(new String(http.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            params.putAll(form(http.getRequestURI().getRawQuery()));
            if (path.equals("/_simulator/faults") && method.equals("POST")) {
                send(http, configureFaults(params));
                return;
            }
            String operation = operation(method, path);
            requests.computeIfAbsent(operation, k -> new AtomicLong()).incrementAndGet();
            Fault fault = fault(operation);
            if (fault == Fault.SERVER_ERROR) {
                send(http, new Answer(500, error("api_error", null, "An unknown error occurred (simulated)")));
                return;
            }
            if (fault == Fault.RATE_LIMITED) {
                http.getResponseHeaders().add("Retry-After", "1");
                send(http, new Answer(429, error("rate_limit_error", "rate_limit", "Too many requests (simulated)")));
                return;
            }
            String key = method.equals("POST") ? http.getRequestHeaders().getFirst("Idempotency-Key") : null;
            Answer answer = key == null ? route(method, path, params) : idempotent(key, method + " " + path + " " + params, method, path, params, http);
            if (fault == Fault.LOST_RESPONSE) {
                LOG.info("Billing simulator: {} {} done, answer lost (simulated)", method, path);
                return; // closes the exchange without a response: the client's connection ends
            }
            if (fault == Fault.TIMEOUT) {
                try {
                    Thread.sleep(slowness.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            send(http, answer);
        } catch (RuntimeException e) {
            LOG.warn("Billing simulator failed on {} {}", http.getRequestMethod(), http.getRequestURI(), e);
            send(http, new Answer(500, error("api_error", null, e.getMessage())));
        }
    }

    private Answer idempotent(String key, String request, String method, String path, Map<String, String> params, HttpExchange http) {
        String fingerprint = sha256(request);
        synchronized (idempotency) {
            Kept kept = idempotency.get(key);
            if (kept != null) {
                if (!kept.fingerprint().equals(fingerprint)) {
                    return new Answer(400, error("idempotency_error", null, "Keys for idempotent requests can only be used with the "
                            + "same parameters they were first used with. Try using a key other than '" + key + "'"));
                }
                http.getResponseHeaders().add("Idempotent-Replayed", "true");
                return new Answer(kept.status(), new RawJson(kept.body()));
            }
            Answer a = route(method, path, params);
            idempotency.put(key, new Kept(fingerprint, a.status(), toJson(a.body())));
            return a;
        }
    }

    private record RawJson(String text) {
    }

    private Fault fault(String operation) {
        for (String op : List.of(operation, "*")) {
            Fault always = alwaysFaults.get(op);
            if (always != null) {
                return always;
            }
            List<Fault> queue = nextFaults.get(op);
            if (queue != null) {
                synchronized (queue) {
                    if (!queue.isEmpty()) {
                        return queue.remove(0);
                    }
                }
            }
            RandomFault random = randomFaults.get(op);
            if (random != null) {
                Fault f = random.draw();
                if (f != null) {
                    return f;
                }
            }
        }
        return null;
    }

    private Answer configureFaults(Map<String, String> params) {
        String operation = params.getOrDefault("operation", "*");
        String fault = params.get("fault");
        if (fault == null || fault.equals("none")) {
            heal();
            return new Answer(200, Map.of("faults", "none"));
        }
        try {
            Fault f = Fault.valueOf(fault.toUpperCase(java.util.Locale.ROOT));
            if (params.containsKey("times")) {
                failNext(operation, f, Integer.parseInt(params.get("times")));
            } else {
                failAlways(operation, f);
            }
            return new Answer(200, Map.of("operation", operation, "fault", f.name(), "times", params.getOrDefault("times", "always")));
        } catch (IllegalArgumentException e) {
            return new Answer(400, error("invalid_request_error", null, e.getMessage()));
        }
    }

    private static String operation(String method, String path) {
        String[] p = path.split("/");
        if (p.length >= 3 && p[2].equals("customers") && method.equals("POST")) {
            return "customers.create";
        }
        if (p.length >= 3 && p[2].equals("invoiceitems") && method.equals("POST")) {
            return "invoiceitems.create";
        }
        if (p.length >= 3 && p[2].equals("invoices")) {
            if (method.equals("DELETE")) {
                return "invoices.delete";
            }
            if (method.equals("POST")) {
                return p.length == 5 ? "invoices." + p[4] : "invoices.create";
            }
        }
        return method.toLowerCase(java.util.Locale.ROOT) + " " + path;
    }

    // ---- the API ---------------------------------------------------------------------------

    private Answer route(String method, String path, Map<String, String> params) {
        String[] p = path.split("/");
        if (p.length < 3 || !p[1].equals("v1")) {
            return notFound("Unrecognized request URL (" + method + ": " + path + ")");
        }
        String resource = p[2];
        String id = p.length > 3 ? p[3] : null;
        String action = p.length > 4 ? p[4] : null;
        synchronized (this) {
            return switch (resource + " " + method + (id == null ? "" : id.equals("search") ? " search" : " id") + (action == null ? "" : " " + action)) {
                case "customers POST" -> createCustomer(params);
                case "customers GET id" -> found(customers.get(id), "customer", id);
                case "customers GET search" -> search(customers.values(), params.get("query"));
                case "invoices POST" -> createInvoice(params);
                case "invoices GET id" -> found(invoices.get(id), "invoice", id);
                case "invoices GET search" -> search(invoices.values(), params.get("query"));
                case "invoices POST id finalize" -> transition(id, "draft", "open");
                case "invoices POST id void" -> transition(id, "open", "void");
                case "invoices DELETE id" -> deleteDraft(id);
                case "invoiceitems POST" -> addItem(params);
                default -> notFound("Unrecognized request URL (" + method + ": " + path + ")");
            };
        }
    }

    private Answer createCustomer(Map<String, String> params) {
        String id = "cus_" + ids.incrementAndGet();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id);
        c.put("object", "customer");
        c.put("name", params.get("name"));
        c.put("email", params.get("email"));
        c.put("metadata", metadata(params));
        c.put("created", System.currentTimeMillis() / 1000);
        customers.put(id, c);
        return new Answer(200, c);
    }

    private Answer createInvoice(Map<String, String> params) {
        String customer = params.get("customer");
        if (customer == null) {
            return new Answer(400, error("invalid_request_error", "parameter_missing", "Missing required param: customer."));
        }
        if (!customers.containsKey(customer)) {
            return new Answer(400, error("invalid_request_error", "resource_missing", "No such customer: '" + customer + "'"));
        }
        String id = "in_" + ids.incrementAndGet();
        Map<String, Object> inv = new LinkedHashMap<>();
        inv.put("id", id);
        inv.put("object", "invoice");
        inv.put("customer", customer);
        inv.put("currency", params.getOrDefault("currency", "eur").toLowerCase(java.util.Locale.ROOT));
        inv.put("description", params.get("description"));
        inv.put("status", "draft");
        inv.put("total", 0L);
        inv.put("amount_due", 0L);
        inv.put("lines", new LinkedHashMap<>(Map.of("object", "list", "data", new ArrayList<>())));
        inv.put("metadata", metadata(params));
        inv.put("created", System.currentTimeMillis() / 1000);
        invoices.put(id, inv);
        return new Answer(200, inv);
    }

    @SuppressWarnings("unchecked")
    private Answer addItem(Map<String, String> params) {
        Map<String, Object> inv = invoices.get(params.getOrDefault("invoice", ""));
        if (inv == null) {
            return new Answer(400, error("invalid_request_error", "resource_missing", "No such invoice: '" + params.get("invoice") + "'"));
        }
        if (!"draft".equals(inv.get("status"))) {
            return new Answer(400, error("invalid_request_error", "invoice_not_editable",
                    "You can only add invoice items to draft invoices; " + inv.get("id") + " is " + inv.get("status")));
        }
        long amount;
        try {
            amount = Long.parseLong(params.getOrDefault("amount", ""));
        } catch (NumberFormatException e) {
            return new Answer(400, error("invalid_request_error", "parameter_invalid_integer", "Invalid integer: " + params.get("amount")));
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("id", "il_" + ids.incrementAndGet());
        line.put("object", "line_item");
        line.put("amount", amount);
        line.put("currency", inv.get("currency"));
        line.put("description", params.get("description"));
        line.put("metadata", metadata(params));
        ((List<Object>) ((Map<String, Object>) inv.get("lines")).get("data")).add(line);
        inv.put("total", (Long) inv.get("total") + amount);
        inv.put("amount_due", inv.get("total"));
        return new Answer(200, line);
    }

    private Answer transition(String id, String from, String to) {
        Map<String, Object> inv = invoices.get(id);
        if (inv == null) {
            return notFound("No such invoice: '" + id + "'");
        }
        if (!from.equals(inv.get("status"))) {
            return new Answer(400, error("invalid_request_error", "invoice_unexpected_status",
                    "This invoice can only be " + (to.equals("open") ? "finalized" : "voided") + " when it is " + from + "; it is " + inv.get("status") + "."));
        }
        inv.put("status", to);
        return new Answer(200, inv);
    }

    private Answer deleteDraft(String id) {
        Map<String, Object> inv = invoices.get(id);
        if (inv == null) {
            return notFound("No such invoice: '" + id + "'");
        }
        if (!"draft".equals(inv.get("status"))) {
            return new Answer(400, error("invalid_request_error", "invoice_unexpected_status", "Only draft invoices can be deleted."));
        }
        invoices.remove(id);
        return new Answer(200, Map.of("id", id, "object", "invoice", "deleted", true));
    }

    @SuppressWarnings("unchecked")
    private Answer search(Collection<Map<String, Object>> objects, String query) {
        Matcher m = query == null ? null : SEARCH.matcher(query.strip());
        if (m == null || !m.matches()) {
            return new Answer(400, error("invalid_request_error", "parameter_invalid", "Unsupported search query: " + query
                    + " (this simulator supports metadata['key']:'value')"));
        }
        List<Object> data = new ArrayList<>();
        for (Map<String, Object> o : objects) {
            if (m.group(2).equals(((Map<String, Object>) o.get("metadata")).get(m.group(1)))) {
                data.add(o);
            }
        }
        return new Answer(200, Map.of("object", "search_result", "data", data, "has_more", false));
    }

    private static Answer found(Map<String, Object> o, String type, String id) {
        return o == null ? notFound("No such " + type + ": '" + id + "'") : new Answer(200, o);
    }

    private static Answer notFound(String message) {
        return new Answer(404, error("invalid_request_error", "resource_missing", message));
    }

    private static Map<String, Object> error(String type, String code, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("type", type);
        if (code != null) {
            e.put("code", code);
        }
        e.put("message", message);
        return Map.of("error", e);
    }

    private static Map<String, String> metadata(Map<String, String> params) {
        Map<String, String> md = new TreeMap<>();
        params.forEach((k, v) -> {
            if (k.startsWith("metadata[") && k.endsWith("]")) {
                md.put(k.substring(9, k.length() - 1), v);
            }
        });
        return md;
    }

    private static Map<String, String> form(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return out;
        }
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private void send(HttpExchange http, Answer a) throws IOException {
        byte[] body = (a.body() instanceof RawJson raw ? raw.text() : toJson(a.body())).getBytes(StandardCharsets.UTF_8);
        http.getResponseHeaders().set("Content-Type", "application/json");
        http.sendResponseHeaders(a.status(), body.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(body);
        }
    }

    private String toJson(Object o) {
        if (o instanceof RawJson raw) {
            return raw.text();
        }
        try {
            return json.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
