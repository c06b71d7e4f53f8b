package io.crmhub.connectors.crm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * Another writer committed a duplicate of a record this transaction was creating, after this
 * transaction had checked it (see {@link CrmDuplicates#confirm}). Transient: the transaction rolls
 * back, and tried again it finds the other's record and links to it.
 */
public class ConcurrentDuplicateException extends RuntimeException {

    /** Tries at most this often: each retry sees more of the other writers' commits, so it converges fast. */
    static final int ATTEMPTS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(ConcurrentDuplicateException.class);

    public ConcurrentDuplicateException(String message) {
        super(message);
    }

    /** Runs a whole transaction, again while it ends in this exception (at most {@value #ATTEMPTS} times). */
    public static <T> T retrying(Supplier<T> transaction) {
        for (int attempt = 1; ; attempt++) {
            try {
                return transaction.get();
            } catch (ConcurrentDuplicateException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                LOG.info("Rolled back and trying again (attempt {} of {}): {}", attempt + 1, ATTEMPTS, e.getMessage());
            }
        }
    }
}
