package io.crmhub.connectors;

import org.apache.kafka.common.errors.RetriableException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Tells an outage of a system the hub depends on (a database or Kafka gone, restarting, out of
 * connections; a deadlock or serialization failure) from a fault of the message itself. A message
 * that failed because of an outage is not at fault: it waits for the system to come back, it never
 * goes to the dead-letter topic. A statement time-out is not an outage: a message can cause it
 * every time.
 */
public final class Outages {

    private Outages() {
    }

    /**
     * Whether the failure, or anything that caused it, is an outage. A rollback that failed on a
     * connection the outage broke hides what the transaction failed on: that is looked at too.
     */
    public static boolean isOutage(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> todo = new ArrayDeque<>();
        if (failure != null) {
            todo.add(failure);
        }
        while (!todo.isEmpty()) {
            Throwable t = todo.poll();
            if (!seen.add(t)) {
                continue;
            }
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
            if (t instanceof TransactionSystemException rollback && rollback.getApplicationException() != null) {
                todo.add(rollback.getApplicationException());
            }
            // Judged by the driver's own exception and SQL state, found down the chain: Spring's
            // "resource failure" also stands for limits a message can hit every time (SQL state 54).
            if (t instanceof CannotCreateTransactionException
                    || t instanceof CannotGetJdbcConnectionException
                    || t instanceof SQLTransientConnectionException
                    || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException
                    || t instanceof ConnectException
                    || t instanceof NoRouteToHostException
                    || t instanceof SocketTimeoutException
                    || t instanceof RetriableException
                    || t instanceof SQLException sql && (outageState(sql.getSQLState()) || lostConnectionBeneath(sql))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the failure says the connection it happened on is gone (the server went away, the
     * network broke): such a connection must not go back to the pool. Judged by the exception's
     * type and SQL state, as the driver gives them: H2, for one, reports a broken connection with
     * states of its own (90067, 90121), which the pool does not know.
     */
    public static boolean brokenConnection(SQLException failure) {
        return failure instanceof SQLNonTransientConnectionException
                || failure instanceof SQLRecoverableException
                || failure.getSQLState() != null && failure.getSQLState().startsWith("08")
                || lostConnectionBeneath(failure);
    }

    /**
     * Whether a database error was caused by its connection's socket failing: reset, or closed in
     * the middle of a reply. H2 reports a connection cut while a cursor fetches as a general I/O
     * error (90028) over an {@link java.io.EOFException}; when its server is the one that met the
     * cut, the error comes back with the server's exception named in its message and no cause.
     */
    private static boolean lostConnectionBeneath(SQLException failure) {
        if ("90028".equals(failure.getSQLState()) && failure.getCause() == null && failure.getMessage() != null
                && (failure.getMessage().contains("java.io.EOFException") || failure.getMessage().contains("java.net.SocketException"))) {
            return true;
        }
        Throwable t = failure.getCause();
        for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
            if (t instanceof java.net.SocketException || t instanceof java.io.EOFException) {
                return true;
            }
        }
        return false;
    }

    /**
     * SQL states of outages: connection exceptions (08), insufficient resources (53, such as too
     * many connections), a server shutting down or starting (57P01-57P03), serialization failures
     * and deadlocks (40001, 40P01), and MariaDB's killed connection (70100).
     */
    static boolean outageState(String state) {
        if (state == null) {
            return false;
        }
        return state.startsWith("08") || state.startsWith("53")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")
                || state.equals("40001") || state.equals("40P01") || state.equals("70100");
    }
}
