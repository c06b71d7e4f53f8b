package io.crmhub.hub.api;

import io.crmhub.connectors.crm.CrmReadModel;
import io.crmhub.connectors.crm.CrmReadModel.AccountView;
import io.crmhub.connectors.crm.CrmReadModel.ContactView;
import io.crmhub.connectors.crm.CrmReadModel.OrderView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import java.util.List;
import java.util.UUID;

/** Read access to CRM accounts, contacts and orders, each with its ids in the outside systems. */
@RestController
@RequestMapping("/api")
@Tag(name = "CRM records", description = "Accounts, contacts and orders with their cross-references")
public class CrmRecordsController {

    private final CrmReadModel crm;

    public CrmRecordsController(CrmReadModel crm) {
        this.crm = crm;
    }

    @GetMapping("/accounts")
    @Operation(summary = "List accounts, optionally filtered by a part of the name")
    public List<AccountView> accounts(@Parameter(description = "part of the name, any case") @RequestParam(required = false) String name,
                                      @RequestParam(defaultValue = "50") int limit,
                                      @RequestParam(defaultValue = "0") int offset) {
        return crm.accounts(name, limit, offset);
    }

    @GetMapping("/accounts/{id}")
    @Operation(summary = "One account with its cross-references")
    public AccountView account(@PathVariable UUID id) {
        return crm.account(id).orElseThrow(() -> notFound("account", id));
    }

    @GetMapping("/contacts")
    @Operation(summary = "List contacts, optionally of one account")
    public List<ContactView> contacts(@RequestParam(required = false) UUID accountId,
                                      @RequestParam(defaultValue = "50") int limit,
                                      @RequestParam(defaultValue = "0") int offset) {
        return crm.contacts(accountId, limit, offset);
    }

    @GetMapping("/contacts/{id}")
    @Operation(summary = "One contact with its cross-references")
    public ContactView contact(@PathVariable UUID id) {
        return crm.contact(id).orElseThrow(() -> notFound("contact", id));
    }

    @GetMapping("/orders")
    @Operation(summary = "List orders, optionally of one account")
    public List<OrderView> orders(@RequestParam(required = false) UUID accountId,
                                  @RequestParam(defaultValue = "50") int limit,
                                  @RequestParam(defaultValue = "0") int offset) {
        return crm.orders(accountId, limit, offset);
    }

    @GetMapping("/orders/{id}")
    @Operation(summary = "One order with its lines and cross-references")
    public OrderView order(@PathVariable UUID id) {
        return crm.order(id).orElseThrow(() -> notFound("order", id));
    }

    private static ResponseStatusException notFound(String what, UUID id) {
        return new ResponseStatusException(HttpStatus.NOT_FOUND, "no " + what + " " + id);
    }
}
