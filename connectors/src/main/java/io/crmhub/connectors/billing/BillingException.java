package io.crmhub.connectors.billing;

/**
 * The billing system refused a request, or could not be reached within the client's attempts.
 * {@link #permanent()} says whether trying again can help: a refused request (4xx other than 429)
 * will be refused again; a 5xx, a 429 or a network failure may pass later.
 */
public class BillingException extends RuntimeException {

    private final int status;
    private final String code;
    private final boolean permanent;

    public BillingException(String message, int status, String code, boolean permanent, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code;
        this.permanent = permanent;
    }

    /** The HTTP status, or 0 when no answer came. */
    public int status() {
        return status;
    }

    /** Stripe's error code ({@code resource_missing}, {@code invoice_unexpected_status} …), or null. */
    public String code() {
        return code;
    }

    public boolean permanent() {
        return permanent;
    }
}
