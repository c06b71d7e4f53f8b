package io.crmhub.connectors.order;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crmhub.connectors.billing.BillingClient;
import io.crmhub.connectors.crm.CrmIds;
import io.crmhub.connectors.mail.Mailer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The steps of the order saga, each with its undo: an order placed in the CRM is reserved in the
 * ERP, invoiced in the billing system and confirmed to its contact by e-mail; if a step fails for
 * good, the ERP order is cancelled, the invoice voided, the CRM order marked FAILED with the reason
 * and its owner told. Every step and every undo may run more than once, and an undo may run before
 * its step (after a crash, or a time-out): each one checks what is there before it acts.
 * <p>
 * The hub's writes to the ERP carry a last-change time that is also stored as the cross-reference's
 * source time, so the ERP poller sees them come back as stale echoes, never as ERP changes.
 */
public class OrderSaga {

    /** A step that cannot succeed however often it is tried: the saga compensates. */
    public static class OrderRefused extends RuntimeException {
        public OrderRefused(String message) {
            super(message);
        }
    }

    /** An order line as placed. */
    public record LineInput(String sku, String description, BigDecimal quantity, BigDecimal unitPrice) {
    }

    public record Placed(UUID orderId, String orderNumber, BigDecimal total) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(OrderSaga.class);
    private static final DateTimeFormatter ERP_DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private final JdbcTemplate crm;
    private final TransactionTemplate crmTx;
    private final JdbcTemplate erp;
    private final TransactionTemplate erpTx;
    private final BillingClient billing;
    private final Mailer mailer;
    private final ObjectMapper json;
    private final String hubUser;
    private final Clock clock;

    public OrderSaga(JdbcTemplate crmJdbc, TransactionTemplate crmTransactions, DataSource erpDataSource, BillingClient billing,
                     Mailer mailer, ObjectMapper json, String hubUser, Clock clock) {
        this.crm = crmJdbc;
        this.crmTx = crmTransactions;
        this.erp = new JdbcTemplate(erpDataSource);
        this.erpTx = new TransactionTemplate(new DataSourceTransactionManager(erpDataSource));
        this.billing = billing;
        this.mailer = mailer;
        this.json = json;
        this.hubUser = hubUser;
        this.clock = clock;
    }

    /**
     * Places an order in the CRM: the order, its lines and the {@code ORDER_PLACED} event that starts
     * its saga, in one transaction.
     */
    public Placed place(UUID accountId, UUID contactId, String currency, List<LineInput> lines) {
        if (lines == null || lines.isEmpty()) {
            throw new IllegalArgumentException("an order needs at least one line");
        }
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("currency must be an ISO 4217 code such as EUR, got " + currency);
        }
        BigDecimal total = BigDecimal.ZERO;
        for (LineInput l : lines) {
            if (l.sku() == null || l.sku().isBlank() || l.sku().length() > 18) {
                throw new IllegalArgumentException("a line's sku must have 1 to 18 characters (the ERP's item number), got " + l.sku());
            }
            if (l.quantity() == null || l.quantity().signum() <= 0 || l.unitPrice() == null || l.unitPrice().signum() < 0) {
                throw new IllegalArgumentException("a line needs a quantity above 0 and a unit price of 0 or more: " + l);
            }
            total = total.add(l.quantity().multiply(l.unitPrice()));
        }
        BigDecimal orderTotal = total.setScale(2, RoundingMode.HALF_UP);
        return crmTx.execute(status -> {
            List<String> account = crm.queryForList("select status from account where id = ?", String.class, accountId);
            if (account.isEmpty() || "MERGED".equals(account.get(0))) {
                throw new IllegalArgumentException("no account " + accountId + (account.isEmpty() ? "" : " (it was merged)"));
            }
            List<String> email = crm.queryForList("select coalesce(email, '') from contact where id = ? and account_id = ? and merged_into is null",
                    String.class, contactId, accountId);
            if (email.isEmpty() || email.get(0).isEmpty()) {
                throw new IllegalArgumentException("contact " + contactId + " is not a contact of account " + accountId
                        + " with an e-mail address (the confirmation goes there)");
            }
            UUID id = CrmIds.next();
            String number = crm.queryForObject("select 'C' || lpad(nextval('crm_order_number_seq')::text, 9, '0')", String.class);
            crm.update("""
                    insert into sales_order (id, account_id, contact_id, owner_id, order_number, order_date, status, currency, total)
                    select ?, a.id, ?, a.owner_id, ?, ?, 'NEW', ?, ? from account a where a.id = ?""",
                    id, contactId, number, LocalDate.now(clock), currency, orderTotal, accountId);
            int n = 1;
            for (LineInput l : lines) {
                crm.update("insert into order_line (order_id, line_number, sku, description, quantity, unit_price) values (?, ?, ?, ?, ?, ?)",
                        id, n++, l.sku(), l.description(), l.quantity(), l.unitPrice());
            }
            crm.update("""
                    insert into outbox_event (aggregate_type, aggregate_id, event_type, origin, payload)
                    values ('ORDER', ?, 'ORDER_PLACED', 'CRM', cast(? as jsonb))""", id, toJson(Map.of("orderNumber", number,
                    "account", accountId.toString(), "contact", contactId.toString(), "currency", currency, "total", orderTotal.toPlainString())));
            return new Placed(id, number, orderTotal);
        });
    }

    /**
     * Ties the order to the saga that runs it; false if another saga has it already (the event was
     * delivered again) or the order is no longer new.
     */
    public boolean claim(UUID orderId, String sagaId) {
        boolean claimed = crm.update("update sales_order set saga_id = ?, updated_at = now() where id = ? and saga_id is null and status = 'NEW'",
                sagaId, orderId) == 1;
        if (!claimed) {
            LOG.info("Order {}: already handled by a saga or not new; this delivery does nothing", orderId);
        }
        return claimed;
    }

    /** Whether a saga runs or ran the order. */
    public boolean hasSaga(UUID orderId) {
        return !crm.queryForList("select 1 from sales_order where id = ? and saga_id is not null", Integer.class, orderId).isEmpty();
    }

    // ---- step 1: the ERP -------------------------------------------------------------------

    /** Creates the order in the ERP (once) as open, under the account's ERP customer number. */
    public void reserveInErp(UUID orderId) {
        Map<String, Object> o = order(orderId);
        List<String> customer = crm.queryForList(
                "select external_id from xref where entity_type = 'ACCOUNT' and system = 'ERP' and crm_id = ? and not secondary",
                String.class, o.get("account_id"));
        if (customer.isEmpty()) {
            throw new OrderRefused("the account has no ERP customer number: the ERP cannot take its order");
        }
        String number = (String) o.get("order_number");
        Instant at = now();
        // the cross-reference first: the ERP poller may read the new ERP order at once, and must find it the hub's
        echoAt(orderId, number, at);
        erpTx.executeWithoutResult(s -> {
            if (!erp.queryForList("SELECT ORDNO FROM ORDHDR WHERE ORDNO = ?", String.class, number).isEmpty()) {
                return; // a retry: the order is there
            }
            erp.update("INSERT INTO ORDHDR (ORDNO, CUSTNO, ODATE, OSTAT, CURR, OTOTL, LCHG, LUSR) VALUES (?, ?, ?, 'OP', ?, ?, ?, ?)",
                    number, customer.get(0), ((java.sql.Date) o.get("order_date")).toLocalDate().format(ERP_DATE), o.get("currency"),
                    o.get("total"), erpTime(at), hubUser);
            for (Map<String, Object> l : lines(orderId)) {
                String description = (String) l.get("description");
                erp.update("INSERT INTO ORDLIN (ORDNO, LINNO, ITEM, IDESC, QTY, PRICE) VALUES (?, ?, ?, ?, ?, ?)", number, l.get("line_number"),
                        l.get("sku"), description == null ? null : description.substring(0, Math.min(40, description.length())),
                        l.get("quantity"), l.get("unit_price"));
            }
        });
        crm.update("update sales_order set status = 'CONFIRMED', updated_at = now() where id = ? and status = 'NEW'", orderId);
    }

    /** Cancels the order in the ERP; nothing if the ERP never got it or cancelled it already. */
    public void cancelInErp(UUID orderId) {
        String number = crm.queryForObject("select order_number from sales_order where id = ?", String.class, orderId);
        Instant at = now();
        // the echo's time first, as for the reservation
        crm.update("""
                update xref set source_changed_at = greatest(source_changed_at, ?), updated_at = now()
                where entity_type = 'ORDER' and system = 'ERP' and external_id = ?""", Timestamp.from(at), number);
        int cancelled = erp.update("UPDATE ORDHDR SET OSTAT = 'CA', LCHG = ?, LUSR = ? WHERE ORDNO = ? AND OSTAT <> 'CA'",
                erpTime(at), hubUser, number);
        if (cancelled > 0) {
            LOG.info("Order {}: cancelled in the ERP", number);
        }
    }

    /** The ERP id of the order, with the time of the hub's last write: the poller reads it back as an echo. */
    private void echoAt(UUID orderId, String number, Instant at) {
        crm.update("""
                insert into xref (entity_type, system, external_id, crm_id, source_changed_at) values ('ORDER', 'ERP', ?, ?, ?)
                on conflict (entity_type, system, external_id)
                do update set source_changed_at = greatest(xref.source_changed_at, excluded.source_changed_at), updated_at = now()""",
                number, orderId, Timestamp.from(at));
    }

    // ---- step 2: billing -------------------------------------------------------------------

    /** Invoices the order (the billing customer created first if the account has none), once. */
    public String invoice(UUID orderId) {
        Map<String, Object> o = order(orderId);
        UUID accountId = (UUID) o.get("account_id");
        List<String> known = crm.queryForList("select external_id from xref where entity_type = 'ACCOUNT' and system = 'BILLING' and crm_id = ?",
                String.class, accountId);
        String customer;
        if (known.isEmpty()) {
            Map<String, Object> a = crm.queryForMap("select name, email from account where id = ?", accountId);
            customer = billing.ensureCustomer(accountId.toString(), (String) a.get("name"), (String) a.get("email"));
            crm.update("""
                    insert into xref (entity_type, system, external_id, crm_id, secondary) values ('ACCOUNT', 'BILLING', ?, ?, false)
                    on conflict do nothing""", customer, accountId);
        } else {
            customer = known.get(0);
        }
        List<BillingClient.Line> lines = new ArrayList<>();
        for (Map<String, Object> l : lines(orderId)) {
            BigDecimal amount = ((BigDecimal) l.get("quantity")).multiply((BigDecimal) l.get("unit_price")).movePointRight(2)
                    .setScale(0, RoundingMode.HALF_UP);
            lines.add(new BillingClient.Line((Integer) l.get("line_number"), article(l) + " x " + quantity(l), amount.longValueExact()));
        }
        BillingClient.Invoice invoice = billing.invoice(orderId.toString(), customer, (String) o.get("currency"),
                "Order " + o.get("order_number"), lines);
        if (!invoice.open()) {
            throw new OrderRefused("the order's invoice " + invoice.id() + " is " + invoice.status());
        }
        crm.update("""
                insert into xref (entity_type, system, external_id, crm_id) values ('ORDER', 'BILLING', ?, ?)
                on conflict do nothing""", invoice.id(), orderId);
        return invoice.id();
    }

    /** Voids the order's invoice; nothing if there is none (yet) or it is void already. */
    public void voidInvoice(UUID orderId) {
        if (billing.voidInvoice(orderId.toString())) {
            LOG.info("Order {}: invoice voided", orderId);
        }
    }

    // ---- step 3: the confirmation ----------------------------------------------------------

    /** Mails the confirmation to the order's contact, once: a retry finds it recorded and sends nothing. */
    public void sendConfirmation(UUID orderId) {
        if (recorded("order-confirmation", orderId)) {
            return;
        }
        Map<String, Object> o = crm.queryForMap("""
                select o.order_number, o.currency, o.total, c.first_name, c.last_name, c.email, x.external_id as invoice
                from sales_order o join contact c on c.id = o.contact_id
                left join xref x on x.entity_type = 'ORDER' and x.system = 'BILLING' and x.crm_id = o.id
                where o.id = ?""", orderId);
        StringBuilder text = new StringBuilder("Dear " + (o.get("first_name") == null ? "" : o.get("first_name") + " ") + o.get("last_name")
                + ",\n\nthank you for your order " + o.get("order_number") + ":\n\n");
        for (Map<String, Object> l : lines(orderId)) {
            text.append("  ").append(l.get("line_number")).append(". ").append(article(l))
                    .append(", ").append(quantity(l)).append(" x ").append(l.get("unit_price")).append('\n');
        }
        text.append("\nTotal: ").append(o.get("total")).append(' ').append(o.get("currency"))
                .append("\nInvoice: ").append(o.get("invoice")).append('\n');
        mailer.send((String) o.get("email"), "Order " + o.get("order_number") + " confirmed", text.toString(),
                "order-" + orderId + ".confirmation");
        record("order-confirmation", orderId);
    }

    /** The saga ended well. */
    public void completed(UUID orderId) {
        crm.update("update sales_order set status = 'COMPLETED', updated_at = now() where id = ? and status in ('NEW', 'CONFIRMED')", orderId);
    }

    // ---- the saga's own compensation, run last ---------------------------------------------

    /** Marks the order FAILED with the saga's reason and tells its owner (once). */
    public void failed(UUID orderId, String sagaId) {
        String reason = crm.queryForList("select coalesce(reason, status) from saga where id = ?", String.class, sagaId).stream()
                .findFirst().orElse("the saga failed");
        int marked = crm.update("""
                update sales_order set status = 'FAILED', failure_reason = ?, updated_at = now()
                where id = ? and status <> 'FAILED' and (saga_id = ? or saga_id is null)""", reason, orderId, sagaId);
        if (marked == 0 || recorded("order-failure-notice", orderId)) {
            return;
        }
        Map<String, Object> o = crm.queryForMap("""
                select o.order_number, u.email from sales_order o left join app_user u on u.id = o.owner_id where o.id = ?""", orderId);
        String to = o.get("email") == null ? mailer.from() : (String) o.get("email");
        mailer.send(to, "Order " + o.get("order_number") + " failed", "The order " + o.get("order_number")
                + " could not be processed and was undone (ERP order cancelled, invoice voided).\n\nReason: " + reason + "\n",
                "order-" + orderId + ".failure");
        record("order-failure-notice", orderId);
    }

    // ---------------------------------------------------------------------------------------

    private Map<String, Object> order(UUID orderId) {
        List<Map<String, Object>> found = crm.queryForList("select * from sales_order where id = ?", orderId);
        if (found.isEmpty()) {
            throw new OrderRefused("no order " + orderId);
        }
        return found.get(0);
    }

    /** A line's item as people read it: the SKU and its description. */
    private static String article(Map<String, Object> line) {
        return line.get("sku") + (line.get("description") == null ? "" : " " + line.get("description"));
    }

    private static String quantity(Map<String, Object> line) {
        return ((BigDecimal) line.get("quantity")).stripTrailingZeros().toPlainString();
    }

    private List<Map<String, Object>> lines(UUID orderId) {
        return crm.queryForList("select * from order_line where order_id = ? order by line_number", orderId);
    }

    private boolean recorded(String consumer, UUID orderId) {
        return !crm.queryForList("select 1 from processed_message where consumer = ? and message_key = ?", Integer.class,
                consumer, orderId.toString()).isEmpty();
    }

    private void record(String consumer, UUID orderId) {
        crm.update("insert into processed_message (consumer, message_key) values (?, ?) on conflict do nothing", consumer, orderId.toString());
    }

    /** Now, to the second: the ERP keeps last-change times in whole seconds. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    private static Timestamp erpTime(Instant at) {
        return Timestamp.valueOf(LocalDateTime.ofInstant(at, ZoneOffset.UTC));
    }

    private String toJson(Map<String, String> o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
