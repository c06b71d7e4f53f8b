package io.crmhub.transformers.mapping;

import io.crmhub.transformers.model.Account;

/** Builds the canonical {@link Account} from a mapped record's field values. */
public final class AccountFactory {

    private AccountFactory() {
    }

    public static Account from(MappedRecord r) {
        return new Account(
                r.text("name"),
                r.text("street"),
                r.text("postalCode"),
                r.text("city"),
                r.text("country"),
                r.text("phone"),
                r.text("email"),
                r.text("website"),
                r.text("creditTerms"),
                r.text("status"),
                r.date("customerSince"));
    }
}
