package io.crmhub.connectors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** A copy of the repository's {@code config/} that a test adds its own migration jobs to. */
public final class ConfigCopy {

    private ConfigCopy() {
    }

    /** Copies {@code ../config} to {@code target} and returns it. */
    public static Path of(Path target) throws IOException {
        Path from = Path.of("../config");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path copy = target.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(f, copy);
                }
            }
        }
        return target;
    }
}
