package io.crmhub.connectors.crm;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class CrmIdsTest {

    private static final long T = Instant.parse("2026-01-02T07:30:00.123Z").toEpochMilli();

    @Test
    void isAVersion7UuidCarryingItsMillisecond() {
        UUID id = CrmIds.at(T);

        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(T);
        // RFC 9562's layout, as text: the first 12 hex digits are the milliseconds
        assertThat(id.toString()).startsWith(String.format("%08x-%04x-7", T >>> 16, T & 0xFFFF));
    }

    @Test
    void sortsAfterEveryIdOfAnEarlierMillisecondAsPostgresqlComparesThem() {
        // PostgreSQL orders uuids by their bytes, unsigned: the order of their hex text
        for (int i = 0; i < 10_000; i++) {
            String earlier = CrmIds.at(T).toString();
            String later = CrmIds.at(T + 1).toString();
            assertThat(later).isGreaterThan(earlier);
        }
        assertThat(CrmIds.next().toString()).isGreaterThan(CrmIds.at(T).toString());
    }

    @Test
    void idsOfOneMillisecondDiffer() {
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < 1_000_000; i++) {
            ids.add(CrmIds.at(T));
        }
        assertThat(ids).hasSize(1_000_000);
    }
}
