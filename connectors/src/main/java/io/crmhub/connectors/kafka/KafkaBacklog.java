package io.crmhub.connectors.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The hub's admin client on Kafka: what waits there (a consumer group's lag on its topics, the
 * offsets a topic's partitions hold; a topic not created yet holds nothing) and whether the cluster
 * answers at all.
 */
public class KafkaBacklog implements AutoCloseable {

    /** The offsets a partition holds: from {@code start} (inclusive) to {@code end} (exclusive). */
    public record Range(long start, long end) {

        public long size() {
            return end - start;
        }

        public boolean holds(long offset) {
            return offset >= start && offset < end;
        }
    }

    /** The cluster as it describes itself. */
    public record Cluster(String id, int brokers) {
    }

    private final Admin admin;
    private final long timeoutMs;

    public KafkaBacklog(String brokers, Duration timeout) {
        this.timeoutMs = timeout.toMillis();
        this.admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeoutMs,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeoutMs,
                AdminClientConfig.CLIENT_ID_CONFIG, "crm-hub-backlog"));
    }

    /** The cluster's id and live brokers; fails when it does not answer in time. */
    public Cluster cluster() {
        DescribeClusterResult cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMs));
        return new Cluster(get(cluster.clusterId(), "its cluster id"), get(cluster.nodes(), "its brokers").size());
    }

    /** Each partition's offsets, by partition number; empty when the topic does not exist (yet). */
    public Map<Integer, Range> ranges(String topic) {
        Map<TopicPartition, Range> ranges = ranges(List.of(topic));
        Map<Integer, Range> byPartition = new TreeMap<>();
        ranges.forEach((tp, r) -> byPartition.put(tp.partition(), r));
        return byPartition;
    }

    /**
     * The group's lag on each topic: the records published to it that the group has not committed
     * yet. A partition where the group committed nothing counts from its start (the hub's consumers
     * begin at the earliest offset), and one whose committed offset fell out of retention from its
     * start too.
     */
    public Map<String, Long> lag(String group, Collection<String> topics) {
        Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(),
                "the committed offsets of group " + group);
        Map<String, Long> lag = new LinkedHashMap<>();
        topics.forEach(t -> lag.put(t, 0L));
        ranges(topics).forEach((tp, range) -> {
            OffsetAndMetadata done = committed.get(tp);
            long from = done == null ? range.start() : Math.max(range.start(), Math.min(done.offset(), range.end()));
            lag.merge(tp.topic(), range.end() - from, Long::sum);
        });
        return lag;
    }

    private Map<TopicPartition, Range> ranges(Collection<String> topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        admin.describeTopics(topics).topicNameValues().forEach((topic, future) -> {
            try {
                TopicDescription d = future.get(timeoutMs, TimeUnit.MILLISECONDS);
                d.partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw failed("the partitions of " + topic, e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failed("the partitions of " + topic, e);
            } catch (TimeoutException e) {
                throw failed("the partitions of " + topic, e);
            }
        });
        if (partitions.isEmpty()) {
            return Map.of();
        }
        Map<TopicPartition, Long> start = offsets(partitions, OffsetSpec.earliest());
        Map<TopicPartition, Long> end = offsets(partitions, OffsetSpec.latest());
        Map<TopicPartition, Range> ranges = new LinkedHashMap<>();
        partitions.forEach(tp -> ranges.put(tp, new Range(start.get(tp), end.get(tp))));
        return ranges;
    }

    private Map<TopicPartition, Long> offsets(List<TopicPartition> partitions, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = partitions.stream().collect(Collectors.toMap(Function.identity(), tp -> spec));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets = get(admin.listOffsets(request).all(),
                "the offsets of " + partitions.stream().map(TopicPartition::topic).distinct().toList());
        Map<TopicPartition, Long> result = new LinkedHashMap<>();
        offsets.forEach((tp, info) -> result.put(tp, info.offset()));
        return result;
    }

    private <T> T get(KafkaFuture<T> future, String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failed(what, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(what, e);
        } catch (TimeoutException e) {
            throw failed(what, e);
        }
    }

    private IllegalStateException failed(String what, Throwable cause) {
        return new IllegalStateException("Kafka did not tell " + what + " within " + timeoutMs + " ms: " + cause, cause);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(2));
    }
}
