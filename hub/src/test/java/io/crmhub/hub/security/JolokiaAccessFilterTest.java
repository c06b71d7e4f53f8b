package io.crmhub.hub.security;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class JolokiaAccessFilterTest {

    private static boolean allReadOnly(String json) {
        var ops = JolokiaAccessFilter.fromJson(json.getBytes(StandardCharsets.UTF_8));
        return !ops.isEmpty() && ops.stream().allMatch(JolokiaAccessFilter.Operation::readOnly);
    }

    @Test
    void readsAndReportingOperationsAreViewerSafe() {
        assertThat(JolokiaAccessFilter.fromPath("/read/java.lang:type=Memory").readOnly()).isTrue();
        assertThat(JolokiaAccessFilter.fromPath("/list").readOnly()).isTrue();
        assertThat(JolokiaAccessFilter.fromPath("/exec/org.apache.camel:type=context/dumpRoutesAsXml()").readOnly()).isTrue();
        assertThat(allReadOnly("{\"type\":\"exec\",\"mbean\":\"x\",\"operation\":\"getState()\"}")).isTrue();
    }

    @Test
    void writesStateChangingOperationsAndAnythingUnclassifiableNeedAdmin() {
        assertThat(JolokiaAccessFilter.fromPath("/exec/org.apache.camel:type=routes/stop()").readOnly()).isFalse();
        assertThat(JolokiaAccessFilter.fromPath("/write/java.lang:type=Memory/Verbose/true").readOnly()).isFalse();
        assertThat(allReadOnly("{\"type\":\"exec\",\"mbean\":\"java.lang:type=Memory\",\"operation\":\"gc()\"}")).isFalse();
        assertThat(allReadOnly("[{\"type\":\"read\",\"mbean\":\"a\"},{\"type\":\"EXEC\",\"mbean\":\"b\",\"operation\":\"stop\"}]")).isFalse();
        assertThat(allReadOnly("{\"mbean\":\"no type\"}")).isFalse();
        assertThat(allReadOnly("not json")).isFalse();
        assertThat(allReadOnly("")).isFalse();
    }
}
