package io.crmhub.connectors.kafka;

import io.crmhub.connectors.config.HubProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The dead-letter topic as operators use it: list what failed and why, and replay a message to
 * the topic it came from, where it passes the same idempotent receiver as any other. A replay is
 * recorded in the same transaction as the send, so a message is replayed once unless forced.
 */
@Component
public class DeadLetters {

    /** Header naming the topic a dead letter came from (set by the hub's dead-letter channel). */
    public static final String SOURCE_TOPIC = "hub-dlq-source-topic";
    /** Header put on a replayed message: which dead letter it is. */
    public static final String REPLAYED_FROM = "hub-replayed-from";

    /** One dead letter. */
    public record DeadLetter(int partition, long offset, String key, String payload, Map<String, String> headers,
                             Instant failedAt, boolean replayed) {
    }

    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration READ_LIMIT = Duration.ofSeconds(10);

    private final String brokers;
    private final String topic;
    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate tx;

    public DeadLetters(@Value("${camel.component.kafka.brokers}") String brokers, HubProperties props,
                       NamedParameterJdbcTemplate crmJdbc, TransactionTemplate crmTransactions) {
        this.brokers = brokers;
        this.topic = props.topics().deadLetter();
        this.jdbc = crmJdbc;
        this.tx = crmTransactions;
    }

    /** The oldest {@code limit} dead letters, with whether each was replayed. */
    public List<DeadLetter> list(int limit) {
        Set<String> replayed = new HashSet<>(jdbc.queryForList(
                "select partition || ':' || \"offset\" from dead_letter_replay where topic = :topic",
                Map.of("topic", topic), String.class));
        List<DeadLetter> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, READ_LIMIT).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + READ_LIMIT.toNanos();
            while (out.size() < limit && !reachedEnd(consumer, end) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(POLL)) {
                    if (out.size() < limit) {
                        out.add(toDeadLetter(r, replayed.contains(r.partition() + ":" + r.offset())));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The dead letters the topic still holds that nobody has replayed: what waits for an operator.
     * Counted by offsets (the dead-letter channel's producer writes no transaction markers).
     */
    public long unreplayed(KafkaBacklog kafka) {
        Map<Integer, KafkaBacklog.Range> held = kafka.ranges(topic);
        long replayed = jdbc.query("select partition, \"offset\" from dead_letter_replay where topic = :topic",
                Map.of("topic", topic), (rs, i) -> {
                    KafkaBacklog.Range r = held.get(rs.getInt(1));
                    return r != null && r.holds(rs.getLong(2));
                }).stream().filter(Boolean::booleanValue).count();
        return held.values().stream().mapToLong(KafkaBacklog.Range::size).sum() - replayed;
    }

    /**
     * Sends dead letter {@code partition}/{@code offset} back to its source topic.
     *
     * @throws IllegalStateException when it was replayed before and {@code force} is false
     * @throws java.util.NoSuchElementException when there is no such dead letter
     */
    public DeadLetter replay(int partition, long offset, String operator, boolean force) {
        DeadLetter letter = find(partition, offset).orElseThrow(() ->
                new java.util.NoSuchElementException("no dead letter at " + topic + "/" + partition + "/" + offset));
        String target = letter.headers().get(SOURCE_TOPIC);
        if (target == null || target.isBlank() || "null".equals(target)) {
            throw new IllegalStateException("dead letter " + partition + "/" + offset + " does not say where it came from");
        }
        tx.executeWithoutResult(status -> {
            MapSqlParameterSource p = new MapSqlParameterSource("topic", topic).addValue("partition", partition)
                    .addValue("offset", offset).addValue("operator", operator);
            try {
                jdbc.update("""
                        insert into dead_letter_replay (topic, partition, "offset", replayed_by) values (:topic, :partition, :offset, :operator)""", p);
            } catch (DuplicateKeyException e) {
                if (!force) {
                    throw new IllegalStateException("dead letter " + partition + "/" + offset + " was replayed before; force to replay again");
                }
                jdbc.update("""
                        update dead_letter_replay set replayed_by = :operator, replayed_at = now()
                        where topic = :topic and partition = :partition and "offset" = :offset""", p);
            }
            send(target, letter);
        });
        return new DeadLetter(letter.partition(), letter.offset(), letter.key(), letter.payload(), letter.headers(),
                letter.failedAt(), true);
    }

    private void send(String target, DeadLetter letter) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(target, letter.key(), letter.payload());
            record.headers().add(REPLAYED_FROM, (topic + "/" + letter.partition() + "/" + letter.offset()).getBytes(StandardCharsets.UTF_8));
            producer.send(record).get(READ_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("replay to " + target + " failed: " + e.getMessage(), e);
        }
    }

    private Optional<DeadLetter> find(int partition, long offset) {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(topic, partition);
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).getOrDefault(tp, 0L);
            if (offset >= end) {
                return Optional.empty();
            }
            consumer.seek(tp, offset);
            long deadline = System.nanoTime() + READ_LIMIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(POLL)) {
                    if (r.offset() == offset) {
                        return Optional.of(toDeadLetter(r, false));
                    }
                    if (r.offset() > offset) {
                        return Optional.empty();
                    }
                }
            }
            return Optional.empty();
        }
    }

    private static boolean reachedEnd(KafkaConsumer<String, String> consumer, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    private static DeadLetter toDeadLetter(ConsumerRecord<String, String> r, boolean replayed) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header h : r.headers()) {
            if (h.key().startsWith("hub-") && h.value() != null) {
                headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        return new DeadLetter(r.partition(), r.offset(), r.key(), r.value(), headers, Instant.ofEpochMilli(r.timestamp()), replayed);
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "crm-hub-dead-letters",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500), new StringDeserializer(), new StringDeserializer());
    }
}
