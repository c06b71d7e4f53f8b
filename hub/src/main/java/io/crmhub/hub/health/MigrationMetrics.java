package io.crmhub.hub.health;

import io.crmhub.connectors.migration.LegacyMigrations;
import io.crmhub.connectors.migration.LegacyMigrations.Running;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * A running migration's progress, per job: in the metrics ({@code crmhub.migration.records.read},
 * {@code .records.per.second}, {@code .done.ratio}, {@code .eta.seconds}, tag {@code job}) and in
 * Hawtio's JMX tab ({@code io.crmhub:type=Migration,name=<job>}). A job not running reads 0.
 */
@Component
public class MigrationMetrics implements MeterBinder, DisposableBean {

    /** What Hawtio shows of a job's run. */
    public interface MigrationProgressMBean {
        boolean isRunning();

        String getRunId();

        boolean isDryRun();

        String getStep();

        long getRecordsRead();

        double getRecordsPerSecond();

        double getPercentDone();

        long getEtaSeconds();

        /** Null, or why the run's batch waits (the CRM store is out: since when, how many tries). */
        String getWaitingFor();
    }

    private final LegacyMigrations migrations;

    private final List<ObjectName> registered = new ArrayList<>();

    public MigrationMetrics(LegacyMigrations migrations) throws JMException {
        this.migrations = migrations;
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (String job : migrations.jobs().keySet()) {
            ObjectName name = new ObjectName("io.crmhub:type=Migration,name=" + ObjectName.quote(job));
            if (server.isRegistered(name)) {
                server.unregisterMBean(name); // left by an earlier context in this JVM
            }
            server.registerMBean(new StandardMBean(new JobProgress(job), MigrationProgressMBean.class), name);
            registered.add(name);
        }
    }

    @Override
    public void destroy() throws JMException {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName name : registered) {
            if (server.isRegistered(name)) {
                server.unregisterMBean(name);
            }
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String job : migrations.jobs().keySet()) {
            gauge(registry, job, "crmhub.migration.records.read", "Records read by the job's running run", r -> r.read());
            gauge(registry, job, "crmhub.migration.records.per.second", "Records per second of the job's running run",
                    Running::recordsPerSecond);
            gauge(registry, job, "crmhub.migration.done.ratio", "Share of the current step's source read", Running::done);
            gauge(registry, job, "crmhub.migration.eta.seconds", "Time left in the current step", r -> r.eta().toSeconds());
        }
    }

    private void gauge(MeterRegistry registry, String job, String name, String description, ToDoubleFunction<Running> value) {
        Gauge.builder(name, () -> running(job).map(value::applyAsDouble).orElse(0.0)).tag("job", job).description(description)
                .register(registry);
    }

    private Optional<Running> running(String job) {
        return migrations.running().stream().filter(r -> r.job().equals(job)).findFirst();
    }

    private final class JobProgress implements MigrationProgressMBean {

        private final String job;

        JobProgress(String job) {
            this.job = job;
        }

        @Override
        public boolean isRunning() {
            return running(job).isPresent();
        }

        @Override
        public String getRunId() {
            return running(job).map(r -> r.runId().toString()).orElse(null);
        }

        @Override
        public boolean isDryRun() {
            return running(job).map(Running::dryRun).orElse(false);
        }

        @Override
        public String getStep() {
            return running(job).map(Running::step).orElse(null);
        }

        @Override
        public long getRecordsRead() {
            return running(job).map(Running::read).orElse(0L);
        }

        @Override
        public double getRecordsPerSecond() {
            return running(job).map(Running::recordsPerSecond).orElse(0.0);
        }

        @Override
        public double getPercentDone() {
            return running(job).map(r -> r.done() * 100).orElse(0.0);
        }

        @Override
        public long getEtaSeconds() {
            return running(job).map(r -> r.eta().toSeconds()).orElse(0L);
        }

        @Override
        public String getWaitingFor() {
            return running(job).map(Running::waitingFor).orElse(null);
        }
    }
}
