package io.crmhub.hub.api;

import io.crmhub.connectors.crm.DuplicateReview;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

import java.security.Principal;
import java.util.List;
import java.util.UUID;

/** The review queue of possible duplicate accounts and contacts: the evidence, and a person's decision. */
@RestController
@RequestMapping("/api/duplicates")
@Tag(name = "Duplicates", description = "Possible duplicate accounts and contacts: merge them, or mark them distinct (never proposed again)")
public class DuplicatesController {

    private final DuplicateReview review;

    public DuplicatesController(DuplicateReview review) {
        this.review = review;
    }

    @GetMapping
    @Operation(summary = "List open proposals, the most likely first, with both records and the rules that matched")
    public List<DuplicateReview.Candidate> list(@RequestParam(defaultValue = "50") int limit, @RequestParam(defaultValue = "0") int offset) {
        return review.open(Math.max(1, Math.min(limit, 500)), Math.max(0, offset));
    }

    @PostMapping("/{id}/merge")
    @Operation(summary = "Merge the two records (survivor: one of the two ids; default the older record)")
    public DuplicateReview.Merged merge(@PathVariable long id, @RequestParam(required = false) UUID survivor, Principal operator) {
        try {
            return review.merge(id, survivor, operator.getName());
        } catch (DuplicateReview.ReviewException e) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, e.getMessage());
        }
    }

    @PostMapping("/{id}/distinct")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "The two records are different parties: close the proposal and never propose the pair again")
    public void distinct(@PathVariable long id, Principal operator) {
        try {
            review.distinct(id, operator.getName());
        } catch (DuplicateReview.ReviewException e) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, e.getMessage());
        }
    }
}
