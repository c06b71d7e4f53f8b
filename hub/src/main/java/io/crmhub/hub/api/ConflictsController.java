package io.crmhub.hub.api;

import io.crmhub.connectors.crm.SyncConflicts;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.NotNull;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import java.security.Principal;
import java.util.List;
import java.util.NoSuchElementException;

/** The review list of fields both sides changed at about the same time. */
@RestController
@RequestMapping("/api/conflicts")
@Tag(name = "Conflicts", description = "Fields both systems changed within the clock-skew tolerance")
public class ConflictsController {

    /** Which value to keep. */
    public record Resolution(@NotNull SyncConflicts.Keep keep) {
    }

    private final SyncConflicts conflicts;

    public ConflictsController(SyncConflicts conflicts) {
        this.conflicts = conflicts;
    }

    @GetMapping
    @Operation(summary = "List conflicts, newest first (status OPEN or RESOLVED)")
    public List<SyncConflicts.Conflict> list(@RequestParam(required = false) String status,
                                             @RequestParam(defaultValue = "100") int limit) {
        return conflicts.list(status, Math.max(1, Math.min(limit, 1000)));
    }

    @PostMapping(path = "/{id}/resolve", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Keep the CRM's or the source's value; it is then written to every system")
    public void resolve(@PathVariable long id, @RequestBody @jakarta.validation.Valid Resolution resolution, Principal operator) {
        try {
            conflicts.resolve(id, resolution.keep(), operator.getName());
        } catch (NoSuchElementException e) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, e.getMessage());
        }
    }
}
