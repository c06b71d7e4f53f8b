package io.crmhub.hub;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Mailboxes of the real IMAP server as a test reads them. */
final class Mailboxes {

    private Mailboxes() {
    }

    /** Messages in a mailbox (GreenMail: login and password are the address), by subject; none if it was never created. */
    static List<String> subjects(int imapPort, String user, String password) throws Exception {
        Store store = Session.getInstance(new Properties()).getStore("imap");
        try {
            store.connect("127.0.0.1", imapPort, user, password);
        } catch (jakarta.mail.AuthenticationFailedException e) {
            return List.of(); // the mail server creates a mailbox with its first message: none ever came
        }
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            List<String> subjects = new ArrayList<>();
            for (Message m : inbox.getMessages()) {
                subjects.add(m.getSubject());
            }
            inbox.close(false);
            return subjects;
        } finally {
            store.close();
        }
    }
}
