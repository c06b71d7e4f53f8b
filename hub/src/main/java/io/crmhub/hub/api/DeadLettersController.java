package io.crmhub.hub.api;

import io.crmhub.connectors.kafka.DeadLetters;
import io.crmhub.connectors.kafka.DeadLetters.DeadLetter;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import java.security.Principal;
import java.util.List;
import java.util.NoSuchElementException;

/** Messages that failed for good: why, where from, and their replay through the same receiver. */
@RestController
@RequestMapping("/api/dead-letters")
@Tag(name = "Dead letters", description = "List the dead-letter topic and replay a message after a fix")
public class DeadLettersController {

    /** Why an operator replays a message; kept in the log with the operator's name. */
    public record ReplayRequest(String reason, boolean force) {
    }

    private final DeadLetters deadLetters;

    public DeadLettersController(DeadLetters deadLetters) {
        this.deadLetters = deadLetters;
    }

    @GetMapping
    @Operation(summary = "List dead letters, oldest first, with cause, source topic, partition and offset")
    public List<DeadLetter> list(@RequestParam(defaultValue = "100") int limit) {
        return deadLetters.list(Math.max(1, Math.min(limit, 1000)));
    }

    @PostMapping(path = "/{partition}/{offset}/replay", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Send a dead letter back to its source topic (once, unless force is true)")
    public DeadLetter replay(@PathVariable int partition, @PathVariable long offset,
                             @RequestBody(required = false) ReplayRequest request, Principal operator) {
        try {
            return deadLetters.replay(partition, offset, operator.getName(), request != null && request.force());
        } catch (NoSuchElementException e) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, e.getMessage());
        } catch (IllegalStateException e) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, e.getMessage());
        }
    }
}
