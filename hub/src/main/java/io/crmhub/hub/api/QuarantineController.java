package io.crmhub.hub.api;

import io.crmhub.connectors.store.QuarantineStore;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import java.util.List;
import java.util.Set;

/** Records rejected at the door: why, and the payload as it arrived. */
@RestController
@RequestMapping("/api/quarantine")
@Tag(name = "Quarantine", description = "Rejected records with reason codes and original payload")
public class QuarantineController {

    private static final Set<String> STATUSES = Set.of("OPEN", "REPLAYED", "DISCARDED");

    private final QuarantineStore quarantine;

    public QuarantineController(QuarantineStore quarantine) {
        this.quarantine = quarantine;
    }

    @GetMapping
    @Operation(summary = "List quarantined records, newest first")
    public List<QuarantineStore.Entry> list(
            @Parameter(description = "OPEN, REPLAYED or DISCARDED") @RequestParam(required = false) String status,
            @Parameter(description = "source system, e.g. erp") @RequestParam(required = false) String source,
            @RequestParam(defaultValue = "50") int limit,
            @RequestParam(defaultValue = "0") int offset) {
        if (status != null && !STATUSES.contains(status)) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "status must be one of " + STATUSES);
        }
        return quarantine.list(status, source, Math.max(1, Math.min(limit, 500)), Math.max(0, offset));
    }
}
