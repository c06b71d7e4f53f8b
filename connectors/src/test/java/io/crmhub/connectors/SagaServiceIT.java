package io.crmhub.connectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.crmhub.connectors.crm.CrmStoreConfiguration;
import io.crmhub.connectors.saga.JdbcSagaService;
import io.crmhub.embedded.TestServices;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.saga.CamelSagaCoordinator;
import org.apache.camel.saga.CamelSagaStep;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.builder.ExpressionBuilder;
import org.apache.camel.model.SagaPropagation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Camel's Saga EIP on the saga log in the CRM store (real PostgreSQL): compensation in reverse
 * order, one compensation per split line, retries of a failing compensation, a restart that
 * resumes a saga left compensating, time-outs, and a step recorded in the caller's transaction.
 */
class SagaServiceIT {

    private static HikariDataSource crm;
    private static JdbcTemplate jdbc;
    private final List<CamelContext> contexts = new ArrayList<>();
    /** Compensations whose endpoint should fail, until set to zero. */
    private final AtomicInteger failingUndos = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeAll
    static void setUp() {
        crm = TestServices.newCrmDataSource();
        CrmStoreConfiguration.migrate(crm);
        jdbc = new JdbcTemplate(crm);
        // what the compensations undo, once in effect: a second run of one finds its row and changes nothing
        jdbc.execute("create table saga_test_effect (saga_id text, what text, runs int not null default 1, primary key (saga_id, what))");
    }

    @AfterAll
    static void tearDown() {
        crm.close();
    }

    @AfterEach
    void stop() {
        contexts.forEach(CamelContext::stop);
    }

    private CamelContext start(Duration lease) throws Exception {
        CamelContext ctx = new DefaultCamelContext();
        JdbcSagaService sagas = new JdbcSagaService(jdbc, new ObjectMapper(), Duration.ofMinutes(5), Duration.ofMillis(100),
                lease, Duration.ofMillis(50));
        ctx.addService(sagas, true, true);
        ctx.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:three-steps").routeId("three-steps")
                        .saga()
                        .to("direct:step-a").to("direct:step-b").to("direct:step-c");
                for (String step : List.of("a", "b", "c")) {
                    from("direct:step-" + step).routeId("step-" + step)
                            .saga().propagation(SagaPropagation.MANDATORY)
                                .compensation("direct:undo").option("what", constant(step))
                            .filter(simple("${body} == '" + step + "'"))
                                .throwException(new IllegalStateException("step " + step + " fails"));
                }
                from("direct:lines").routeId("lines")
                        .saga()
                        .split(body()).stopOnException()
                            .to("direct:line")
                        .end()
                        .throwException(new IllegalStateException("the order fails after its lines"));
                from("direct:line").routeId("line")
                        .saga().propagation(SagaPropagation.MANDATORY)
                            .compensation("direct:undo").option("what", simple("line-${body}"))
                        .log("line ${body} reserved");
                from("direct:slow").routeId("slow")
                        .saga().timeout(300, TimeUnit.MILLISECONDS)
                            .compensation("direct:undo").option("what", constant("slow"))
                        .process(e -> release.await(30, TimeUnit.SECONDS));
                from("direct:undo").routeId("undo")
                        .process(e -> {
                            if (failingUndos.get() > 0) {
                                failingUndos.decrementAndGet();
                                throw new IllegalStateException("the system to undo in is down");
                            }
                        })
                        .process(e -> jdbc.update("""
                                insert into saga_test_effect (saga_id, what) values (?, ?)
                                on conflict (saga_id, what) do update set runs = saga_test_effect.runs + 1""",
                                e.getMessage().getHeader(Exchange.SAGA_LONG_RUNNING_ACTION, String.class),
                                e.getMessage().getHeader("what", String.class)));
            }
        });
        ctx.start();
        contexts.add(ctx);
        return ctx;
    }

    private static String sagaOf(String what) {
        return jdbc.queryForObject("select saga_id from saga_test_effect where what = ? order by saga_id limit 1", String.class, what);
    }

    private static String status(String sagaId) {
        return jdbc.queryForObject("select status from saga where id = ?", String.class, sagaId);
    }

    @Test
    void aFailingStepCompensatesEveryStepThatBeganInReverseOrderAndTheSuccessfulSagaCompletes() throws Exception {
        ProducerTemplate producer = start(Duration.ofSeconds(30)).createProducerTemplate();
        Exchange failed = producer.send("direct:three-steps", e -> e.getMessage().setBody("c"));

        assertThat(failed.getException()).hasMessage("step c fails");
        String saga = jdbc.queryForObject("select saga_id from saga_step order by id desc limit 1", String.class);
        assertThat(status(saga)).isEqualTo("COMPENSATED");
        assertThat(jdbc.queryForObject("select reason from saga where id = ?", String.class, saga)).isEqualTo("step c fails");
        assertThat(jdbc.queryForList("select options ->> 'what' from saga_step where saga_id = ? order by compensated_at, id desc",
                String.class, saga)).as("c (began, then failed), b, a").containsExactly("c", "b", "a");
        assertThat(jdbc.queryForList("select what from saga_test_effect where saga_id = ? order by what", String.class, saga))
                .containsExactly("a", "b", "c");

        Exchange ok = producer.send("direct:three-steps", e -> e.getMessage().setBody("none fails"));
        assertThat(ok.getException()).isNull();
        String completed = jdbc.queryForObject("select saga_id from saga_step order by id desc limit 1", String.class);
        assertThat(status(completed)).isEqualTo("COMPLETED");
        assertThat(jdbc.queryForObject("select count(*) from saga_test_effect where saga_id = ?", Long.class, completed)).isZero();
    }

    @Test
    void aSplitOfFiftyLinesEnlistingTheSameStepIsCompensatedLineByLine() throws Exception {
        ProducerTemplate producer = start(Duration.ofSeconds(30)).createProducerTemplate();
        List<Integer> lines = IntStream.rangeClosed(1, 50).boxed().toList();
        Exchange failed = producer.send("direct:lines", e -> e.getMessage().setBody(lines));

        assertThat(failed.getException()).hasMessage("the order fails after its lines");
        String saga = sagaOf("line-1");
        assertThat(status(saga)).isEqualTo("COMPENSATED");
        List<String> undone = jdbc.queryForList("select what from saga_test_effect where saga_id = ? and runs = 1", String.class, saga);
        assertThat(undone).hasSize(50).containsAll(lines.stream().map(i -> "line-" + i).toList());
    }

    @Test
    void aCompensationThatFailsIsTriedAgainUntilItPassesAndRunsOnceInEffect() throws Exception {
        ProducerTemplate producer = start(Duration.ofSeconds(30)).createProducerTemplate();
        failingUndos.set(3);
        Exchange failed = producer.send("direct:three-steps", e -> e.getMessage().setBody("b"));
        assertThat(failed.getException()).hasMessage("step b fails");
        String saga = jdbc.queryForObject("select saga_id from saga_step order by id desc limit 1", String.class);

        await().atMost(Duration.ofSeconds(20)).until(() -> status(saga).equals("COMPENSATED"));
        assertThat(jdbc.queryForObject("select attempts from saga where id = ?", Integer.class, saga)).isEqualTo(3);
        assertThat(jdbc.queryForList("select what || ':' || runs from saga_test_effect where saga_id = ? order by what", String.class, saga))
                .containsExactly("a:1", "b:1");
    }

    @Test
    void aSagaLeftCompensatingByAStoppedInstanceIsFinishedByTheNextOne() throws Exception {
        CamelContext first = start(Duration.ofMillis(500));
        failingUndos.set(Integer.MAX_VALUE);
        first.createProducerTemplate().send("direct:three-steps", e -> e.getMessage().setBody("c"));
        String saga = jdbc.queryForObject("select saga_id from saga_step order by id desc limit 1", String.class);
        assertThat(status(saga)).isEqualTo("COMPENSATING");
        first.stop();
        assertThat(jdbc.queryForObject("select count(*) from saga_test_effect where saga_id = ?", Long.class, saga)).isZero();

        failingUndos.set(0);
        start(Duration.ofMillis(500));
        await().atMost(Duration.ofSeconds(20)).until(() -> status(saga).equals("COMPENSATED"));
        assertThat(jdbc.queryForList("select what || ':' || runs from saga_test_effect where saga_id = ? order by what", String.class, saga))
                .containsExactly("a:1", "b:1", "c:1");
    }

    @Test
    void aStepIsRecordedInTheCallersTransactionAndRolledBackWithItsLocalEffect() throws Exception {
        CamelContext ctx = start(Duration.ofSeconds(30));
        JdbcSagaService sagas = ctx.hasService(JdbcSagaService.class);
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(crm));
        Exchange exchange = new DefaultExchange(ctx);
        CamelSagaCoordinator saga = sagas.newSaga(exchange).get();
        CamelSagaStep step = new CamelSagaStep(ctx.getEndpoint("direct:undo"), null,
                Map.of("what", ExpressionBuilder.constantExpression("local")), null);
        String steps = "select count(*) from saga_step where saga_id = '" + saga.getId() + "'";
        String effects = "select count(*) from saga_test_effect where saga_id = '" + saga.getId() + "'";

        tx.executeWithoutResult(status -> {
            saga.beginStep(exchange, step).join();
            jdbc.update("insert into saga_test_effect (saga_id, what) values (?, 'local')", saga.getId());
            status.setRollbackOnly();
        });
        assertThat(jdbc.queryForObject(steps, Long.class)).as("rolled back with the local effect").isZero();
        assertThat(jdbc.queryForObject(effects, Long.class)).isZero();

        tx.executeWithoutResult(status -> {
            saga.beginStep(exchange, step).join();
            jdbc.update("insert into saga_test_effect (saga_id, what) values (?, 'local')", saga.getId());
        });
        assertThat(jdbc.queryForObject(steps, Long.class)).as("committed with it").isEqualTo(1);
        saga.compensate(exchange).join();
        assertThat(status(saga.getId())).isEqualTo("COMPENSATED");
        assertThat(jdbc.queryForObject("select runs from saga_test_effect where saga_id = ?", Integer.class, saga.getId()))
                .as("the local effect, then its compensation").isEqualTo(2);
    }

    @Test
    void aSagaPastItsTimeOutIsCompensatedAndNeverCompleted() throws Exception {
        CamelContext ctx = start(Duration.ofSeconds(30));
        var pending = ctx.createProducerTemplate().asyncSend("direct:slow", e -> e.getMessage().setBody("x"));
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "select count(*) from saga_test_effect where what = 'slow'", Long.class) == 1);
        String saga = sagaOf("slow");
        // the compensation's effect commits before the saga's end is recorded: wait for the end, not the effect
        await().atMost(Duration.ofSeconds(20)).until(() -> status(saga).equals("COMPENSATED"));
        assertThat(jdbc.queryForObject("select reason from saga where id = ?", String.class, saga)).isEqualTo("timed out");

        release.countDown();
        pending.get(20, TimeUnit.SECONDS);
        assertThat(status(saga)).as("the late end of the route does not complete a compensated saga").isEqualTo("COMPENSATED");
    }
}
