package io.crmhub.embedded;

import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * CPU time used so far by this JVM and by the embedded PostgreSQL's processes, for benchmarks that
 * tell where their work goes. The machine's own PostgreSQL (under /usr/lib) is left out; a server
 * process that ended since the last reading takes its time with it.
 */
public final class ProcessCpu {

    private ProcessCpu() {
    }

    public static long jvmNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static long postgresNanos() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("/postgres") && !c.startsWith("/usr/lib")).orElse(false))
                .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L))
                .sum();
    }
}
