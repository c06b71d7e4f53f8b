package io.crmhub.hub.health;

import io.crmhub.connectors.config.HubProperties;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.stereotype.Component;

import java.util.Properties;

/** The mail server is up when SMTP accepts a connection and IMAP a login. */
@Component("mailHealthIndicator")
public class MailHealthIndicator extends AbstractHealthIndicator {

    private static final String TIMEOUT_MS = "3000";

    private final HubProperties.Mail mail;

    public MailHealthIndicator(HubProperties props) {
        super("Mail health check failed");
        this.mail = props.mail();
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        Properties p = new Properties();
        for (String proto : new String[]{"smtp", "imap"}) {
            p.put("mail." + proto + ".connectiontimeout", TIMEOUT_MS);
            p.put("mail." + proto + ".timeout", TIMEOUT_MS);
        }
        Session session = Session.getInstance(p);
        try (Transport smtp = session.getTransport("smtp")) {
            smtp.connect(mail.host(), mail.smtpPort(), null, null);
        }
        if (mail.username() != null && !mail.username().isBlank()) {
            try (Store imap = session.getStore("imap")) {
                imap.connect(mail.host(), mail.imapPort(), mail.username(), mail.password());
            }
        }
        builder.up().withDetail("smtp", mail.host() + ":" + mail.smtpPort())
                .withDetail("imap", mail.host() + ":" + mail.imapPort());
    }
}
