package io.crmhub.hub;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.spring.boot.CamelContextConfiguration;
import org.springframework.boot.SpringApplication;
import org.springframework.context.support.GenericApplicationContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.LockSupport;

/**
 * The hub as a separate process for crash tests. With {@code -Dhub.test.crash-marker=FILE}, the first
 * exchange to reach the step {@code hub.test.crash-before} of the route {@code hub.test.crash-route}
 * (by default: the ERP poller right before it commits its watermark) writes FILE and stops dead
 * there, so that the test can kill the process exactly at that point.
 */
public final class CrashPointHub {

    private CrashPointHub() {
    }

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(HubApplication.class);
        String marker = System.getProperty("hub.test.crash-marker");
        String route = System.getProperty("hub.test.crash-route", "account-erp-to-kafka");
        String step = System.getProperty("hub.test.crash-before", "commit-account-watermark");
        if (marker != null) {
            app.addInitializers(ctx -> ((GenericApplicationContext) ctx).registerBean("crashPoint",
                    CamelContextConfiguration.class, () -> new CamelContextConfiguration() {
                        @Override
                        public void beforeApplicationStart(CamelContext camel) {
                            try {
                                AdviceWith.adviceWith(camel, route, a -> a.weaveById(step)
                                        .before().process(e -> {
                                            Files.writeString(Path.of(marker), "before " + step);
                                            while (true) {
                                                LockSupport.park();
                                            }
                                        }));
                            } catch (Exception e) {
                                throw new IllegalStateException("cannot place the crash point", e);
                            }
                        }

                        @Override
                        public void afterApplicationStart(CamelContext camel) {
                            // nothing to do
                        }
                    }));
        }
        app.run(args);
    }
}
