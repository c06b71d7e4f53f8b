package io.crmhub.embedded;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The embedded run keeps its state in its data folder: a restart finds what was written. */
class EmbeddedRestartIT {

    @Test
    void postgresKeepsRowsAcrossARestart(@TempDir Path dir) throws Exception {
        try (EmbeddedCrmDatabase pg = EmbeddedCrmDatabase.start(dir, 0)) {
            exec(pg.createDatabase("crmhub"), "create table t (v text); insert into t values ('Müller GmbH')");
        }
        try (EmbeddedCrmDatabase pg = EmbeddedCrmDatabase.start(dir, 0);
             Connection c = DriverManager.getConnection(pg.createDatabase("crmhub"), "postgres", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select v from t")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("Müller GmbH");
        }
    }

    @Test
    void kafkaKeepsRecordsAcrossARestart(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                     "acks", "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("restart-test", "k", "kept")).get();
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir, 0);
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                     "group.id", "restart-test", "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("restart-test"));
            List<String> values = new ArrayList<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
                return !values.isEmpty();
            });
            assertThat(values).containsExactly("kept");
        }
    }

    private static void exec(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
