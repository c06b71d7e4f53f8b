package io.crmhub.hub.api;

import io.crmhub.connectors.order.OrderSaga;
import io.crmhub.connectors.saga.JdbcSagaService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Orders placed in the CRM, and the sagas that run them: placing an order starts its saga (ERP,
 * billing, confirmation e-mail); operators see every saga's state here and in the metrics
 * ({@code crmhub.sagas{status}}, {@code SagaMetrics}).
 */
@RestController
@Tag(name = "Orders and sagas", description = "Place an order (its saga runs it through ERP, billing and e-mail); saga states")
public class OrderSagaController {

    /** An order as placed: the account, the contact who gets the confirmation, the lines. */
    public record PlaceOrder(UUID accountId, UUID contactId, String currency, List<OrderSaga.LineInput> lines) {
    }

    private final OrderSaga orders;
    private final JdbcSagaService sagas;

    public OrderSagaController(OrderSaga orders, JdbcSagaService sagas) {
        this.orders = orders;
        this.sagas = sagas;
    }

    @PostMapping("/api/orders")
    @ResponseStatus(HttpStatus.ACCEPTED)
    @Operation(summary = "Place an order: stored as NEW, then run by its saga (GET /api/orders/{id} shows where it is)")
    public OrderSaga.Placed place(@RequestBody PlaceOrder order) {
        try {
            return orders.place(order.accountId(), order.contactId(), order.currency(), order.lines());
        } catch (IllegalArgumentException e) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, e.getMessage());
        }
    }

    @GetMapping("/api/sagas")
    @Operation(summary = "The latest sagas with their steps and outcome, of one status or all")
    public List<JdbcSagaService.SagaView> list(@RequestParam(required = false) String status,
                                               @RequestParam(defaultValue = "50") int limit) {
        if (status != null && Arrays.stream(JdbcSagaService.Status.values()).noneMatch(s -> s.name().equals(status))) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "status must be one of "
                    + Arrays.toString(JdbcSagaService.Status.values()));
        }
        return sagas.recent(status, Math.max(1, Math.min(limit, 500)));
    }

    @GetMapping("/api/sagas/counts")
    @Operation(summary = "Sagas by status")
    public Map<String, Long> counts() {
        return sagas.counts();
    }
}
