package io.crmhub.transformers.model;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/** The canonical order of an account, with its lines and a standardized status. */
public record Order(
        String orderNumber,
        LocalDate orderDate,
        String status,
        String currency,
        BigDecimal total,
        List<OrderLine> lines) {

    public Order {
        lines = lines == null ? List.of() : List.copyOf(lines);
    }
}
