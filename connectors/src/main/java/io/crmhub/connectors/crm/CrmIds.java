package io.crmhub.connectors.crm;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ids of the records the hub creates in the CRM store: time-ordered UUIDs (version 7, RFC 9562),
 * 48 bits of Unix milliseconds, then 74 random bits.
 * <p>
 * Every index on a record's id ({@code account}'s key, {@code xref}'s and {@code match_key}'s look-up
 * by CRM id, the foreign keys' indexes) then receives new entries at its right edge, on the few
 * pages the last writes touched, instead of on a random leaf page of the whole index (the
 * version 4 ids of {@link UUID#randomUUID()}). Random ids cost one leaf page read or written back,
 * and a full page image in the WAL after each checkpoint, per index per record once an index
 * outgrows the cache; and pages split in halves that stay half empty.
 * <p>
 * The ids are unique, not secret: the random bits come from {@link ThreadLocalRandom}, not from a
 * cryptographic source, and the id tells when its record was created. No surface of the hub takes
 * a CRM id as a proof of anything.
 */
public final class CrmIds {

    private CrmIds() {
    }

    /** A new id, ordered after those created in an earlier millisecond. */
    public static UUID next() {
        return at(System.currentTimeMillis());
    }

    static UUID at(long epochMillis) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (epochMillis & 0xFFFF_FFFF_FFFFL) << 16
                | 0x7000L                                  // version 7
                | (random.nextLong() & 0x0FFFL);           // rand_a, 12 bits
        long low = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL)
                | 0x8000_0000_0000_0000L;                  // variant 10, then rand_b, 62 bits
        return new UUID(high, low);
    }
}
