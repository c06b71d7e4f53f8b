package io.crmhub.connectors.config;

import com.zaxxer.hikari.SQLExceptionOverride;
import io.crmhub.connectors.Outages;

import java.sql.SQLException;

/**
 * Makes the pool drop a connection that failed because it is gone, whatever SQL state its driver
 * gives. The pool itself knows only the standard states (08...) and a few vendor codes: with H2's
 * own states, the connections an outage had broken went back to the pool and every try after the
 * outage failed on them again ("Database is already closed"), as long as tries came faster than
 * the pool's half-second validity check.
 */
public final class BrokenConnections implements SQLExceptionOverride {

    @java.lang.Override
    public Override adjudicate(SQLException failure) {
        return Outages.brokenConnection(failure) ? Override.MUST_EVICT : Override.CONTINUE_EVICT;
    }
}
