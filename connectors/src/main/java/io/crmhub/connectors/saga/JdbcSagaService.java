package io.crmhub.connectors.saga;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.saga.CamelSagaCoordinator;
import org.apache.camel.saga.CamelSagaService;
import org.apache.camel.saga.CamelSagaStep;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A saga service for Camel's Saga EIP ({@code .saga()}) that keeps every saga in the CRM store,
 * where Camel's own {@code InMemorySagaService} forgets everything on a crash.
 * <ul>
 *   <li>A saga is a row in {@code saga}; each step that begins is a row in {@code saga_step} with
 *   its compensation and completion endpoints and its option values. The rows are written with
 *   the caller's JDBC transaction when there is one (a transacted route): a step is recorded
 *   exactly when its local effect is.</li>
 *   <li>On failure the steps are compensated in reverse order, on success completed in order; each
 *   step is marked when its endpoint has run. An endpoint that fails is tried again later with
 *   back-off, by this instance or any other.</li>
 *   <li>A poller resumes sagas left compensating or completing (by a crash, or a failed endpoint) and
 *   compensates sagas past their time-out. A claim with a lease keeps two instances off the same saga.</li>
 * </ul>
 * Compensation and completion endpoints receive the saga id ({@code Long-Running-Action}) and the
 * step's options as headers, never the body. They must be idempotent and must tolerate running
 * before the action they undo: after a crash a step may be compensated twice, or be compensated
 * although its action never ran.
 */
public class JdbcSagaService extends ServiceSupport implements CamelSagaService {

    public enum Status { RUNNING, COMPENSATING, COMPENSATED, COMPLETING, COMPLETED }

    /** One saga as operators see it. */
    public record SagaView(String id, String status, String reason, OffsetDateTime createdAt, OffsetDateTime updatedAt,
                           OffsetDateTime timeoutAt, int attempts, String lastError, int steps, int compensated, int completed) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(JdbcSagaService.class);

    private final JdbcTemplate jdbc;
    private final ObjectMapper json;
    private final Duration defaultTimeout;
    private final Duration pollInterval;
    private final Duration lease;
    private final Duration retryDelay;
    private CamelContext camelContext;
    private ProducerTemplate producer;
    private ScheduledExecutorService poller;

    /**
     * @param defaultTimeout a saga still running after this long is compensated (a step's own
     *                       {@code timeout} makes it shorter)
     * @param pollInterval   how often sagas to resume or time out are looked for
     * @param lease          how long a claim keeps other instances off a saga; after a crash, the
     *                       saga is resumed once it has passed
     * @param retryDelay     the wait after a failed compensation or completion, doubled per attempt (at most 5 min)
     */
    public JdbcSagaService(JdbcTemplate crmJdbc, ObjectMapper json, Duration defaultTimeout, Duration pollInterval,
                           Duration lease, Duration retryDelay) {
        this.jdbc = crmJdbc;
        this.json = json;
        this.defaultTimeout = defaultTimeout;
        this.pollInterval = pollInterval;
        this.lease = lease;
        this.retryDelay = retryDelay;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    protected void doStart() {
        producer = camelContext.createProducerTemplate();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "saga-recovery");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::recoverSafely, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() throws Exception {
        if (poller != null) {
            poller.shutdownNow();
            poller.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (producer != null) {
            producer.stop();
        }
    }

    @Override
    public CompletableFuture<CamelSagaCoordinator> newSaga(Exchange exchange) {
        String id = UUID.randomUUID().toString();
        jdbc.update("insert into saga (id, status, timeout_at) values (?, 'RUNNING', now() + cast(? as interval))",
                id, defaultTimeout.toMillis() + " milliseconds");
        return CompletableFuture.completedFuture(new Coordinator(id));
    }

    @Override
    public CompletableFuture<CamelSagaCoordinator> getSaga(String id) {
        List<String> found = jdbc.queryForList("select id from saga where id = ?", String.class, id);
        return CompletableFuture.completedFuture(found.isEmpty() ? null : new Coordinator(id));
    }

    @Override
    public void registerStep(CamelSagaStep step) {
        // steps are recorded when they begin, with their option values
    }

    /** Sagas by status, for operators and metrics. */
    public Map<String, Long> counts() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Status s : Status.values()) {
            out.put(s.name(), 0L);
        }
        jdbc.query("select status, count(*) from saga group by status", rs -> {
            out.put(rs.getString(1), rs.getLong(2));
        });
        return out;
    }

    /** The latest sagas, of one status or all. */
    public List<SagaView> recent(String status, int limit) {
        return jdbc.query("""
                select s.id, s.status, s.reason, s.created_at, s.updated_at, s.timeout_at, s.attempts, s.last_error,
                       count(t.id), count(t.compensated_at), count(t.completed_at)
                from saga s left join saga_step t on t.saga_id = s.id
                where cast(? as text) is null or s.status = cast(? as text)
                group by s.id order by s.updated_at desc limit ?""",
                (rs, i) -> new SagaView(rs.getString(1), rs.getString(2), rs.getString(3), rs.getObject(4, OffsetDateTime.class),
                        rs.getObject(5, OffsetDateTime.class), rs.getObject(6, OffsetDateTime.class), rs.getInt(7),
                        rs.getString(8), rs.getInt(9), rs.getInt(10), rs.getInt(11)), status, status, limit);
    }

    private final class Coordinator implements CamelSagaCoordinator {

        private final String id;

        Coordinator(String id) {
            this.id = id;
        }

        @Override
        public String getId() {
            return id;
        }

        @Override
        public CompletableFuture<Void> beginStep(Exchange exchange, CamelSagaStep step) {
            try {
                Map<String, String> options = new LinkedHashMap<>();
                for (Map.Entry<String, Expression> o : step.getOptions().entrySet()) {
                    Object v = o.getValue().evaluate(exchange, Object.class);
                    if (v != null) {
                        options.put(o.getKey(), String.valueOf(v));
                    }
                }
                if (step.isEmpty()) {
                    // a saga() without compensation nor completion: nothing to record, but it must still be running
                    return jdbc.queryForList("select id from saga where id = ? and status = 'RUNNING'", String.class, id).isEmpty()
                            ? CompletableFuture.failedFuture(new IllegalStateException("saga " + id + " is not running any more"))
                            : CompletableFuture.completedFuture(null);
                }
                // the step joins only a running saga: one compensating (e.g. timed out) takes no more steps
                int added = jdbc.update("""
                        insert into saga_step (saga_id, compensation, completion, options)
                        select id, ?, ?, cast(? as jsonb) from saga where id = ? and status = 'RUNNING'""",
                        step.getCompensation().map(Endpoint::getEndpointUri).orElse(null),
                        step.getCompletion().map(Endpoint::getEndpointUri).orElse(null), json.writeValueAsString(options), id);
                if (added == 0) {
                    return CompletableFuture.failedFuture(new IllegalStateException("saga " + id + " is not running any more"));
                }
                step.getTimeoutInMilliseconds().ifPresent(ms -> jdbc.update(
                        "update saga set timeout_at = least(timeout_at, now() + cast(? as interval)) where id = ?",
                        ms + " milliseconds", id));
                return CompletableFuture.completedFuture(null);
            } catch (RuntimeException | JsonProcessingException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public CompletableFuture<Void> compensate(Exchange exchange) {
            Exception cause = exchange == null ? null : exchange.getException();
            return finish(id, Status.COMPENSATING, cause == null ? "compensation requested" : cause.getMessage());
        }

        @Override
        public CompletableFuture<Void> complete(Exchange exchange) {
            return finish(id, Status.COMPLETING, null);
        }
    }

    /**
     * Moves a running saga to compensating or completing and runs its endpoints now. Whatever
     * fails is left to the poller: the future completes either way, the saga's row says how it ends.
     */
    private CompletableFuture<Void> finish(String id, Status to, String reason) {
        try {
            jdbc.update("update saga set status = ?, reason = ?, updated_at = now() where id = ? and status = 'RUNNING'",
                    to.name(), reason, id);
            String token = UUID.randomUUID().toString();
            List<String> claimed = jdbc.queryForList("""
                    update saga set claimed_by = ?, claimed_until = now() + cast(? as interval)
                    where id = ? and status = ? and (claimed_until is null or claimed_until < now()) returning id""",
                    String.class, token, lease.toMillis() + " milliseconds", id, to.name());
            if (!claimed.isEmpty()) {
                run(id, to, token);
            }
        } catch (RuntimeException e) {
            LOG.warn("Saga {}: {} interrupted ({}); the recovery poller carries on", id, to, e.getMessage());
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Runs the saga's outstanding compensations (newest step first) or completions (oldest first). */
    private void run(String id, Status status, String token) {
        boolean compensating = status == Status.COMPENSATING;
        String endpointColumn = compensating ? "compensation" : "completion";
        String doneColumn = compensating ? "compensated_at" : "completed_at";
        List<Object[]> steps = jdbc.query("select id, " + endpointColumn + ", options::text from saga_step where saga_id = ? and "
                + doneColumn + " is null and " + endpointColumn + " is not null order by id " + (compensating ? "desc" : "asc"),
                (rs, i) -> new Object[]{rs.getLong(1), rs.getString(2), rs.getString(3)}, id);
        for (Object[] step : steps) {
            String error = send(id, (String) step[1], (String) step[2]);
            if (error != null) {
                jdbc.update("""
                        update saga set attempts = attempts + 1, last_error = ?, updated_at = now(), claimed_by = null, claimed_until = null,
                          next_attempt_at = now() + least(cast(? as interval) * power(2, least(attempts, 12)), interval '5 minutes')
                        where id = ? and claimed_by = ?""", error, retryDelay.toMillis() + " milliseconds", id, token);
                LOG.warn("Saga {}: {} of step {} failed ({}); tried again later", id, endpointColumn, step[0], error);
                return;
            }
            jdbc.update("update saga_step set " + doneColumn + " = now() where id = ?", step[0]);
        }
        jdbc.update("""
                update saga set status = ?, updated_at = now(), claimed_by = null, claimed_until = null
                where id = ? and claimed_by = ?""", compensating ? Status.COMPENSATED.name() : Status.COMPLETED.name(), id, token);
    }

    /** Sends one compensation or completion; returns the failure, or null. */
    private String send(String sagaId, String uri, String options) {
        try {
            Map<String, String> values = json.readValue(options, new TypeReference<>() {
            });
            Endpoint endpoint = camelContext.getEndpoint(uri);
            Exchange ex = endpoint.createExchange();
            ex.getMessage().setHeader(Exchange.SAGA_LONG_RUNNING_ACTION, sagaId);
            values.forEach(ex.getMessage()::setHeader);
            Exchange done = producer.send(endpoint, ex);
            return done.getException() == null ? null : done.getException().getClass().getSimpleName() + ": " + done.getException().getMessage();
        } catch (JsonProcessingException | RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private void recoverSafely() {
        try {
            recover();
        } catch (RuntimeException e) {
            LOG.warn("Saga recovery failed ({}); next try in {}", e.getMessage(), pollInterval);
        }
    }

    /**
     * Claims sagas whose compensation or completion is due (after a crash, or a failed endpoint)
     * and sagas past their time-out (these are compensated), and carries them on.
     */
    public int recover() {
        String token = UUID.randomUUID().toString();
        List<Object[]> claimed = new ArrayList<>();
        jdbc.query("""
                update saga set claimed_by = ?, claimed_until = now() + cast(? as interval), updated_at = now(),
                  status = case when status = 'RUNNING' then 'COMPENSATING' else status end,
                  reason = case when status = 'RUNNING' then 'timed out' else reason end
                where id in (select id from saga
                             where ((status in ('COMPENSATING', 'COMPLETING') and coalesce(next_attempt_at, updated_at) <= now())
                                    or (status = 'RUNNING' and timeout_at <= now()))
                               and (claimed_until is null or claimed_until < now())
                             order by updated_at limit 50 for update skip locked)
                returning id, status""", rs -> {
                    claimed.add(new Object[]{rs.getString(1), Status.valueOf(rs.getString(2))});
                }, token, lease.toMillis() + " milliseconds");
        for (Object[] c : claimed) {
            LOG.info("Saga {}: resuming, {}", c[0], c[1]);
            run((String) c[0], (Status) c[1], token);
        }
        return claimed.size();
    }

}
