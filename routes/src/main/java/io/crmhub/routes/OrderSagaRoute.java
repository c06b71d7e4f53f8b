package io.crmhub.routes;

import org.apache.camel.Exchange;
import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;

import org.apache.camel.model.SagaPropagation;
import org.springframework.stereotype.Component;

/**
 * An order placed in the CRM runs as a saga on the hub's saga log ({@code JdbcSagaService}):
 * <ol>
 *   <li>{@code order-erp-reserve}: the order in the ERP; undone by {@code order-erp-cancel};</li>
 *   <li>{@code order-billing}: the invoice (the billing customer first, if missing); undone by
 *   {@code order-billing-void};</li>
 *   <li>{@code order-confirmation}: the e-mail to the order's contact, sent once.</li>
 * </ol>
 * The saga's own step, taken first and so undone last, marks the order FAILED with the reason and
 * tells its owner ({@code order-failed}). These routes have no error handler of their own: a failed
 * step's exception goes straight to the saga (which compensates) and a failed compensation's to the
 * saga log (which tries it again); the billing client retries by itself. A step that fails for good (after the billing client's
 * retries, or refused) compensates the saga; the failure then ends here, logged, as the order's
 * outcome, not as a poison message.
 * <p>
 * {@code order-kafka-to-saga} reads the CRM changes a Kafka batch at a time and hands each order
 * placed to {@code order-placed}, one after the other; the batch is committed once they are done.
 */
@Component
public class OrderSagaRoute extends RouteBuilder {

    @Override
    public void configure() {
        from("kafka:{{hub.topics.crm-changed}}?groupId={{hub.saga.order-consumer-group}}&consumersCount={{hub.saga.order-consumers}}&"
                + KafkaBatch.CONSUMER + "&" + KafkaRecords.TEXT_HEADERS)
                .routeId("order-kafka-to-saga")
                .setProperty(KafkaBatch.KEPT, body())
                // other changes passed by on their event type header, unread (changes relayed without it are read)
                .split(method(KafkaBatch.class, "possibly(*, '" + KafkaRecords.EVENT_TYPE + "', 'ORDER_PLACED')")).id("orders-placed-one-at-a-time")
                    .to("direct:order-placed")
                .end()
                .bean("kafkaCommits", "commit").id("commit-crm-changes-read");

        from("direct:order-placed")
                .routeId("order-placed")
                .routeConfigurationId("kafka-consumer")
                .unmarshal("outboxEventJson").id("read-order-event")
                .filter(simple("${body.eventType} == 'ORDER_PLACED'")).id("orders-placed")
                    .setHeader("orderId", simple("${body.aggregateId}"))
                    .doTry()
                        .to("direct:order-saga").id("run-order-saga")
                    .doCatch(Exception.class)
                        .choice()
                            .when(method("orderSaga", "hasSaga(${header.orderId})"))
                                .log(LoggingLevel.WARN, "Order ${header.orderId} failed and was compensated: ${exception.message}")
                            .otherwise()
                                // the saga never started: an infrastructure failure, for redelivery and the dead-letter topic
                                .process(e -> {
                                    throw e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
                                })
                        .end()
                    .end()
                .end();

        from("direct:order-saga").routeId("order-saga").errorHandler(noErrorHandler())
                .saga()
                    .compensation("direct:order-failed").option("orderId", header("orderId"))
                .filter(method("orderSaga", "claim(${header.orderId}, ${header." + Exchange.SAGA_LONG_RUNNING_ACTION + "})")).id("claim-order")
                    .to("direct:order-erp-reserve").id("erp-step")
                    .to("direct:order-billing").id("billing-step")
                    .to("direct:order-confirmation").id("confirmation-step")
                    .bean("orderSaga", "completed(${header.orderId})").id("order-completed")
                .end();

        from("direct:order-erp-reserve").routeId("order-erp-reserve").errorHandler(noErrorHandler())
                .saga().propagation(SagaPropagation.MANDATORY)
                    .compensation("direct:order-erp-cancel").option("orderId", header("orderId"))
                .bean("orderSaga", "reserveInErp(${header.orderId})").id("reserve-in-erp");

        from("direct:order-billing").routeId("order-billing").errorHandler(noErrorHandler())
                .saga().propagation(SagaPropagation.MANDATORY)
                    .compensation("direct:order-billing-void").option("orderId", header("orderId"))
                .bean("orderSaga", "invoice(${header.orderId})").id("invoice-order");

        from("direct:order-confirmation").routeId("order-confirmation").errorHandler(noErrorHandler())
                .saga().propagation(SagaPropagation.MANDATORY)
                .bean("orderSaga", "sendConfirmation(${header.orderId})").id("mail-confirmation");

        from("direct:order-erp-cancel").routeId("order-erp-cancel").errorHandler(noErrorHandler())
                .bean("orderSaga", "cancelInErp(${header.orderId})").id("cancel-in-erp");

        from("direct:order-billing-void").routeId("order-billing-void").errorHandler(noErrorHandler())
                .bean("orderSaga", "voidInvoice(${header.orderId})").id("void-invoice");

        from("direct:order-failed").routeId("order-failed").errorHandler(noErrorHandler())
                .bean("orderSaga", "failed(${header.orderId}, ${header." + Exchange.SAGA_LONG_RUNNING_ACTION + "})").id("mark-order-failed");
    }
}
