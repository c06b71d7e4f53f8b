package io.crmhub.connectors.mail;

import io.crmhub.connectors.config.HubProperties;
import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * Sends plain-text mail through the hub's SMTP server. Each message carries a Message-ID the caller
 * derives from its business key, so a message sent twice after a crash is recognisably the same.
 */
public class Mailer {

    private final Session session;
    private final String from;

    public Mailer(HubProperties.Mail mail) {
        Properties p = new Properties();
        p.put("mail.smtp.host", mail.host());
        p.put("mail.smtp.port", Integer.toString(mail.smtpPort()));
        p.put("mail.smtp.connectiontimeout", "10000");
        p.put("mail.smtp.timeout", "10000");
        boolean auth = mail.username() != null && !mail.username().isBlank();
        p.put("mail.smtp.auth", Boolean.toString(auth));
        this.session = auth ? Session.getInstance(p, new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
                return new PasswordAuthentication(mail.username(), mail.password());
            }
        }) : Session.getInstance(p);
        this.from = mail.from();
    }

    /** The hub's own address, where notices go when nobody else is named. */
    public String from() {
        return from;
    }

    /**
     * @param messageId a stable id, such as {@code order-<id>.confirmation}: the domain is added
     */
    public void send(String to, String subject, String text, String messageId) {
        try {
            MimeMessage m = new MimeMessage(session) {
                @Override
                protected void updateMessageID() throws MessagingException {
                    setHeader("Message-ID", "<" + messageId + "@crmhub>");
                }
            };
            m.setFrom(new InternetAddress(from));
            m.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to));
            m.setSubject(subject, StandardCharsets.UTF_8.name());
            m.setText(text, StandardCharsets.UTF_8.name());
            Transport.send(m);
        } catch (MessagingException e) {
            throw new IllegalStateException("cannot send mail '" + subject + "' to " + to + ": " + e.getMessage(), e);
        }
    }
}
