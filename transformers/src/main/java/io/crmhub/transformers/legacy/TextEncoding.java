package io.crmhub.transformers.legacy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The character encoding of a legacy export: declared by the job, or detected from the first
 * bytes. A byte-order mark wins (and is skipped, so the first header is read as written); text that
 * decodes as UTF-8 is UTF-8; otherwise it is Windows-1252 when it uses the bytes 0x80–0x9F (€, „, “,
 * – in Windows, unprintable control codes in ISO-8859-1), else ISO-8859-1. A file is decoded
 * strictly: a byte sequence the encoding cannot have is an error, never mojibake stored.
 */
public final class TextEncoding {

    /** How much of a file detection looks at. */
    public static final int SAMPLE = 64 * 1024;

    public static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

    /** What was decided for a file, and why. */
    public record Detected(Charset charset, int bomLength, String reason) {
    }

    private TextEncoding() {
    }

    /** Decides the encoding of a file from its first bytes; {@code declared} (e.g. {@code ISO-8859-1}, or null / {@code auto}) wins over detection except for a BOM. */
    public static Detected detect(byte[] head, int length, String declared) {
        if (length >= 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF) {
            return new Detected(StandardCharsets.UTF_8, 3, "UTF-8 byte-order mark");
        }
        if (length >= 2 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xFE) {
            return new Detected(StandardCharsets.UTF_16LE, 2, "UTF-16LE byte-order mark");
        }
        if (length >= 2 && (head[0] & 0xFF) == 0xFE && (head[1] & 0xFF) == 0xFF) {
            return new Detected(StandardCharsets.UTF_16BE, 2, "UTF-16BE byte-order mark");
        }
        if (declared != null && !declared.isBlank() && !declared.equalsIgnoreCase("auto")) {
            return new Detected(Charset.forName(declared.strip()), 0, "declared by the job");
        }
        if (validUtf8(head, length)) {
            return new Detected(StandardCharsets.UTF_8, 0, "decodes as UTF-8");
        }
        for (int i = 0; i < length; i++) {
            int b = head[i] & 0xFF;
            if (b >= 0x80 && b <= 0x9F) {
                return new Detected(WINDOWS_1252, 0, "not UTF-8, uses 0x" + Integer.toHexString(b).toUpperCase(Locale.ROOT)
                        + " (a Windows-1252 character)");
            }
        }
        return new Detected(StandardCharsets.ISO_8859_1, 0, "not UTF-8, no Windows-1252 characters");
    }

    /**
     * Opens a file's text: detects (or takes) its encoding, skips a byte-order mark, and decodes
     * strictly (an impossible byte sequence fails the read with {@link CharacterCodingException}).
     */
    public static Opened open(InputStream raw, String declared) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, SAMPLE);
        in.mark(SAMPLE);
        byte[] head = new byte[SAMPLE];
        int n = in.readNBytes(head, 0, SAMPLE);
        in.reset();
        Detected d = detect(head, n, declared);
        in.skipNBytes(d.bomLength());
        Reader reader = new InputStreamReader(in, d.charset().newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
        return new Opened(reader, d);
    }

    /** A decoding reader and the encoding decided for it. */
    public record Opened(Reader reader, Detected encoding) {
    }

    private static boolean validUtf8(byte[] head, int length) {
        // a sample may end inside a multi-byte character: forgive up to three trailing bytes
        for (int cut = 0; cut <= Math.min(3, length); cut++) {
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(head, 0, length - cut));
                return true;
            } catch (CharacterCodingException e) {
                if (length < SAMPLE) {
                    return false; // the whole file: no cut character to forgive
                }
            }
        }
        return false;
    }
}
