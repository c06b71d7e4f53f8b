package io.crmhub.hub.health;

import java.util.Map;

/**
 * The backlog figures of {@link BacklogMetrics} in JMX ({@code io.crmhub:type=Backlog}), where
 * operators find them in Hawtio's JMX tab. -1 (or a missing entry) when a figure could not be read.
 */
public interface BacklogMXBean {

    /** When the figures were last read (ISO-8601), and what could not be read then, if anything. */
    String getReadAt();

    String getProblem();

    /** Records not yet committed, by {@code group topic}. */
    Map<String, Long> getConsumerLag();

    long getOutboxPending();

    double getOutboxOldestPendingSeconds();

    long getDeadLettersUnreplayed();

    /** By entity type. */
    Map<String, Long> getQuarantineOpen();

    Map<String, Long> getWaiting();

    Map<String, Long> getConflictsOpen();

    Map<String, Long> getDuplicatesOpen();

    /** By source: 1 while a hub holds its poller lease. */
    Map<String, Long> getPollersActive();

    /** By source: ERP rows changed after the committed watermark, not yet published. */
    Map<String, Long> getErpChangesPending();
}
