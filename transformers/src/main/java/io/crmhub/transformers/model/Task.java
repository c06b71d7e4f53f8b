package io.crmhub.transformers.model;

import java.time.LocalDate;

/** The canonical task: something a user must do about a CRM record, by a due date. */
public record Task(
        String subject,
        String assignee,
        LocalDate dueDate,
        String priority,
        String status,
        String concernsType,
        String concernsId) {
}
