package io.crmhub.embedded;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A real SMTP and IMAP server (GreenMail) on loopback, with one mailbox for the hub. */
public final class EmbeddedMailServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMailServer.class);

    private final GreenMail greenMail;
    private final int smtpPort;
    private final int imapPort;

    private EmbeddedMailServer(GreenMail greenMail, int smtpPort, int imapPort) {
        this.greenMail = greenMail;
        this.smtpPort = smtpPort;
        this.imapPort = imapPort;
    }

    /** Starts SMTP and IMAP (0 picks free ports) and creates the mailbox {@code address}. */
    public static EmbeddedMailServer start(int smtpPort, int imapPort, String address, String user, String password) {
        int smtp = smtpPort == 0 ? FreePorts.pick() : smtpPort;
        int imap = imapPort == 0 ? FreePorts.pick(smtp) : imapPort;
        GreenMail gm = new GreenMail(new ServerSetup[]{
                new ServerSetup(smtp, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
                new ServerSetup(imap, "127.0.0.1", ServerSetup.PROTOCOL_IMAP)});
        gm.start();
        gm.setUser(address, user, password);
        LOG.info("Embedded mail server: SMTP 127.0.0.1:{}, IMAP 127.0.0.1:{}", smtp, imap);
        return new EmbeddedMailServer(gm, smtp, imap);
    }

    public int smtpPort() {
        return smtpPort;
    }

    public int imapPort() {
        return imapPort;
    }

    public GreenMail greenMail() {
        return greenMail;
    }

    @Override
    public void close() {
        greenMail.stop();
    }
}
