package org.cd4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Plain values pickled by CPython's own pickle module with every protocol 0-5 (made with
 * {@code pickle.dumps(obj, protocol=p)}) read back the same: text and binary opcodes, FRAME,
 * MEMOIZE, SHORT_BINUNICODE, LONG1, bytes via {@code _codecs.encode} (protocols 0-2) or BINBYTES.
 */
class PickleProtocolsTest {
    /** pickle.dumps({'a': [1, 2.5, None, True, False, 'x', 'ü€', (1, 2), (), (3,), 2**70, -5, 70000,
     *  -70000, 2**31, {}, b'by\\xff'], 'k': {1: 'int key'}, 'long': 'y'*300}, protocol=p) */
    static final String[] PICKLES = {
            // protocol 0
            "KGRwMApWYQpwMQoobHAyCkkxCmFGMi41CmFOYUkwMQphSTAwCmFWeApwMwphVvxcdTIwYWMKcDQKYShJMQpJMgp0cDUKYSh0YShJ"
                + "Mwp0cDYKYUwxMTgwNTkxNjIwNzE3NDExMzAzNDI0TAphSS01CmFJNzAwMDAKYUktNzAwMDAKYUwyMTQ3NDgzNjQ4TAphKGRwNwph"
                + "Y19jb2RlY3MKZW5jb2RlCnA4CihWYnn/CnA5ClZsYXRpbjEKcDEwCnRwMTEKUnAxMgphc1ZrCnAxMwooZHAxNApJMQpWaW50IGtl"
                + "eQpwMTUKc3NWbG9uZwpwMTYKVnl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eQpwMTcKcy4=",
            // protocol 1
            "fXEAKFgBAAAAYXEBXXECKEsBR0AEAAAAAAAATkkwMQpJMDAKWAEAAAB4cQNYBQAAAMO84oKscQQoSwFLAnRxBSkoSwN0cQZMMTE4"
                + "MDU5MTYyMDcxNzQxMTMwMzQyNEwKSvv///9KcBEBAEqQ7v7/TDIxNDc0ODM2NDhMCn1xB2NfY29kZWNzCmVuY29kZQpxCChYBAAA"
                + "AGJ5w79xCVgGAAAAbGF0aW4xcQp0cQtScQxlWAEAAABrcQ19cQ5LAVgHAAAAaW50IGtleXEPc1gEAAAAbG9uZ3EQWCwBAAB5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXlxEXUu",
            // protocol 2
            "gAJ9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABOiIlYAQAAAHhxA1gFAAAAw7zigqxxBEsBSwKGcQUpSwOFcQaKCQAAAAAAAAAA"
                + "QEr7////SnARAQBKkO7+/4oFAAAAgAB9cQdjX2NvZGVjcwplbmNvZGUKcQhYBAAAAGJ5w79xCVgGAAAAbGF0aW4xcQqGcQtScQxl"
                + "WAEAAABrcQ19cQ5LAVgHAAAAaW50IGtleXEPc1gEAAAAbG9uZ3EQWCwBAAB5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXlxEXUu",
            // protocol 3
            "gAN9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABOiIlYAQAAAHhxA1gFAAAAw7zigqxxBEsBSwKGcQUpSwOFcQaKCQAAAAAAAAAA"
                + "QEr7////SnARAQBKkO7+/4oFAAAAgAB9cQdDA2J5/3EIZVgBAAAAa3EJfXEKSwFYBwAAAGludCBrZXlxC3NYBAAAAGxvbmdxDFgs"
                + "AQAAeXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5cQ11Lg==",
            // protocol 4
            "gASVpwEAAAAAAAB9lCiMAWGUXZQoSwFHQAQAAAAAAABOiImMAXiUjAXDvOKCrJRLAUsChpQpSwOFlIoJAAAAAAAAAABASvv///9K"
                + "cBEBAEqQ7v7/igUAAACAAH2UQwNief+UZYwBa5R9lEsBjAdpbnQga2V5lHOMBGxvbmeUWCwBAAB5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXmUdS4=",
            // protocol 5
            "gAWVpwEAAAAAAAB9lCiMAWGUXZQoSwFHQAQAAAAAAABOiImMAXiUjAXDvOKCrJRLAUsChpQpSwOFlIoJAAAAAAAAAABASvv///9K"
                + "cBEBAEqQ7v7/igUAAACAAH2UQwNief+UZYwBa5R9lEsBjAdpbnQga2V5lHOMBGxvbmeUWCwBAAB5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5"
                + "eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXl5eXmUdS4="
    };

    @TempDir
    Path tmp;

    @Test
    void readsEveryProtocol() throws IOException {
        for (int p = 0; p < PICKLES.length; p++) {
            byte[] pkl = Base64.getDecoder().decode(PICKLES[p]);
            Path f = PickleAsm.zip(tmp.resolve("p" + p + ".pt"), Map.of("archive/data.pkl", pkl));
            Map<String, Object> d = TorchPickleReader.readDict(f, TorchPickleReader.Mode.STRICT);
            assertThat(d.keySet()).as("protocol " + p).containsExactly("a", "k", "long");
            @SuppressWarnings("unchecked")
            List<Object> a = (List<Object>) d.get("a");
            assertThat(a.subList(0, 16)).as("protocol " + p).containsExactly((Object) 1L, 2.5, null, true, false, "x", "\u00fc\u20ac",
                    List.of(1L, 2L), List.of(), List.of(3L), BigInteger.TWO.pow(70), -5L, 70000L, -70000L, 2147483648L, Map.of());
            assertThat((byte[]) a.get(16)).as("protocol " + p).containsExactly('b', 'y', 0xff);
            assertThat(d.get("k")).as("protocol " + p).isEqualTo(Map.of("1", "int key"));
            assertThat(d.get("long")).isEqualTo("y".repeat(300));
        }
    }
}
