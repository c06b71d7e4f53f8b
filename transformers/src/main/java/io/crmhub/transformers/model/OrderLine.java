package io.crmhub.transformers.model;

import java.math.BigDecimal;

/** One line of a canonical order. */
public record OrderLine(int lineNumber, String sku, String description, BigDecimal quantity, BigDecimal unitPrice) {
}
