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
 * The hub as a separate process for crash tests. With {@code -Dhub.test.crash-marker=FILE} the ERP
 * poller, once it has read and published its first page, writes FILE and stops dead right before
 * committing the watermark, so that the test can kill the process exactly there.
 */
public final class CrashPointHub {

    private CrashPointHub() {
    }

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(HubApplication.class);
        String marker = System.getProperty("hub.test.crash-marker");
        if (marker != null) {
            app.addInitializers(ctx -> ((GenericApplicationContext) ctx).registerBean("crashPoint",
                    CamelContextConfiguration.class, () -> new CamelContextConfiguration() {
                        @Override
                        public void beforeApplicationStart(CamelContext camel) {
                            try {
                                AdviceWith.adviceWith(camel, "account-erp-to-kafka", a -> a.weaveById("commit-account-watermark")
                                        .before().process(e -> {
                                            Files.writeString(Path.of(marker), "before commit-watermark");
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
