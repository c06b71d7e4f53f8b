package io.crmhub.hub.api;

import io.crmhub.connectors.crm.WaitingRecords;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.OffsetDateTime;
import java.util.List;

/** Contacts and orders that arrived before their account: what they wait for and since when. */
@RestController
@RequestMapping("/api/waiting")
@Tag(name = "Waiting", description = "Records waiting for their parent record (applied when it arrives, quarantined after hub.sync.parent-wait)")
public class WaitingController {

    /** One waiting record, as an operator reads it. */
    public record Entry(String system, String entity, String externalId, String waitsFor, String parentExternalId,
                        OffsetDateTime since) {
    }

    private final WaitingRecords waiting;

    public WaitingController(WaitingRecords waiting) {
        this.waiting = waiting;
    }

    @GetMapping
    @Operation(summary = "List waiting records, oldest first")
    public List<Entry> list(@RequestParam(defaultValue = "50") int limit, @RequestParam(defaultValue = "0") int offset) {
        return waiting.list(Math.max(1, Math.min(limit, 500)), Math.max(0, offset)).stream()
                .map(w -> new Entry(w.record().system(), w.record().entity(), w.record().externalId(),
                        w.parentType().toLowerCase(java.util.Locale.ROOT), w.parentExternalId(), w.since()))
                .toList();
    }
}
