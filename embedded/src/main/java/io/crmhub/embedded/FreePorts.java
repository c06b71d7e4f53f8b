package io.crmhub.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free loopback ports for in-process servers that must know their port before they bind. */
final class FreePorts {

    private FreePorts() {
    }

    static int pick() {
        return pick(-1);
    }

    /**
     * A free port other than {@code not}: a server with two listeners needs two ports, and the
     * system may hand out the port just released again.
     */
    static int pick(int not) {
        for (int attempt = 0; attempt < 20; attempt++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                if (s.getLocalPort() != not) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free loopback port", e);
            }
        }
        throw new IllegalStateException("no free loopback port other than " + not);
    }
}
