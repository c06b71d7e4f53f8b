package io.crmhub.connectors;

import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

class OutagesTest {

    @Test
    void aSystemGoneOrBusyIsAnOutage() {
        assertThat(Outages.isOutage(new SQLException("I/O error", "08006"))).isTrue();
        assertThat(Outages.isOutage(new SQLException("terminating connection due to administrator command", "57P01"))).isTrue();
        assertThat(Outages.isOutage(new SQLException("too many connections", "53300"))).isTrue();
        assertThat(Outages.isOutage(new SQLException("deadlock detected", "40P01"))).isTrue();
        assertThat(Outages.isOutage(new SQLException("could not serialize access", "40001"))).isTrue();
        assertThat(Outages.isOutage(new SQLTransientConnectionException("crm - Connection is not available"))).isTrue();
        assertThat(Outages.isOutage(new CannotCreateTransactionException("Could not open JDBC Connection",
                new SQLException("database is not currently accepting connections", "55000")))).isTrue();
        assertThat(Outages.isOutage(new IllegalStateException("wrapped", new ConnectException("Connection refused")))).isTrue();
        assertThat(Outages.isOutage(new TimeoutException("Kafka did not answer"))).isTrue();
    }

    @Test
    void aFaultTheMessageCausesEveryTimeIsNot() {
        assertThat(Outages.isOutage(new DataIntegrityViolationException("check", new SQLException("violates check", "23514")))).isFalse();
        // Spring calls an index row too large a "resource failure"; the message causes it every time.
        assertThat(Outages.isOutage(new DataAccessResourceFailureException("too large",
                new SQLException("index row size exceeds maximum", "54000")))).isFalse();
        assertThat(Outages.isOutage(new SQLException("canceling statement due to statement timeout", "57014"))).isFalse();
        assertThat(Outages.isOutage(new IllegalArgumentException("bad value"))).isFalse();
        assertThat(Outages.isOutage(new SQLException("no state"))).isFalse();
        assertThat(Outages.isOutage(null)).isFalse();
    }

    @Test
    void aRollbackThatFailedOnTheBrokenConnectionDoesNotHideTheOutage() {
        TransactionSystemException outage = new TransactionSystemException("JDBC rollback failed", new SQLException("Connection is closed"));
        outage.initApplicationException(new DataAccessResourceFailureException("select n from match_epoch",
                new SQLException("terminating connection due to administrator command", "57P01")));
        assertThat(Outages.isOutage(outage)).isTrue();

        TransactionSystemException fault = new TransactionSystemException("JDBC rollback failed", new SQLException("Connection is closed"));
        fault.initApplicationException(new DataIntegrityViolationException("insert", new SQLException("duplicate key", "23505")));
        assertThat(Outages.isOutage(fault)).isFalse();
    }

    @Test
    void aCycleOfCausesEnds() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertThat(Outages.isOutage(a)).isFalse();
    }

    @Test
    void aConnectionThatFailedBecauseItIsGoneLeavesThePoolWhateverTheDriversState() {
        com.zaxxer.hikari.SQLExceptionOverride pool = new io.crmhub.connectors.config.BrokenConnections();
        // H2's own states for a broken connection and a database gone, unknown to the pool
        assertThat(pool.adjudicate(new java.sql.SQLNonTransientConnectionException("Connection is broken", "90067")))
                .isEqualTo(com.zaxxer.hikari.SQLExceptionOverride.Override.MUST_EVICT);
        assertThat(pool.adjudicate(new java.sql.SQLRecoverableException("Database is already closed", "90121")))
                .isEqualTo(com.zaxxer.hikari.SQLExceptionOverride.Override.MUST_EVICT);
        assertThat(pool.adjudicate(new SQLException("An I/O error occurred while sending to the backend", "08006")))
                .isEqualTo(com.zaxxer.hikari.SQLExceptionOverride.Override.MUST_EVICT);
        // H2's general I/O error when the connection is cut while a cursor fetches
        SQLException eof = new SQLException("IO Exception: \"java.io.EOFException\"", "90028", new java.io.EOFException());
        assertThat(pool.adjudicate(eof)).isEqualTo(com.zaxxer.hikari.SQLExceptionOverride.Override.MUST_EVICT);
        assertThat(Outages.isOutage(new IllegalStateException("step customers", new java.io.UncheckedIOException(
                new java.io.IOException("cannot read the ERP table", eof))))).isTrue();
        assertThat(Outages.isOutage(new SQLException("IO Exception: file locked", "90028"))).as("I/O, but not the connection's").isFalse();
        // the same cut met by H2's server first: its exception named in the message, no cause (seen in MigrationIT's ERP outage)
        SQLException serverSide = new SQLException("IO Exception: \"java.io.EOFException\" [90028-232]", "90028");
        assertThat(pool.adjudicate(serverSide)).isEqualTo(com.zaxxer.hikari.SQLExceptionOverride.Override.MUST_EVICT);
        assertThat(Outages.isOutage(new java.io.UncheckedIOException(new java.io.IOException("cannot read the ERP table", serverSide))))
                .isTrue();
        // a message's fault, or a statement time-out: the pool's own judgement stands
        assertThat(pool.adjudicate(new SQLException("duplicate key", "23505")))
                .isEqualTo(com.zaxxer.hikari.SQLExceptionOverride.Override.CONTINUE_EVICT);
        assertThat(pool.adjudicate(new SQLException("canceling statement due to statement timeout", "57014")))
                .isEqualTo(com.zaxxer.hikari.SQLExceptionOverride.Override.CONTINUE_EVICT);
    }
}
