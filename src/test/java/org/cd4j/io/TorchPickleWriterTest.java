package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TorchPickleWriterTest {
    static final Path CD = Path.of("src/test/resources/fixtures/custom_diffusion");

    @TempDir
    Path tmp;

    /** Asserts two read/written structures are equal, tensors by dtype, shape and bytes. */
    static void assertSame(Object expected, Object actual, String at) {
        if (expected instanceof Tensor e) {
            assertThat(actual).as(at).isInstanceOf(Tensor.class);
            Tensor a = (Tensor) actual;
            assertThat(TensorDTypes.ofOrNull(a)).as(at).isEqualTo(TensorDTypes.ofOrNull(e));
            assertThat(Tensors.shape(a)).as(at).isEqualTo(Tensors.shape(e));
            assertThat(Tensors.bytes(a)).as(at).isEqualTo(Tensors.bytes(e));
        } else if (expected instanceof Map<?, ?> e) {
            assertThat(actual).as(at).isInstanceOf(Map.class);
            Map<?, ?> a = (Map<?, ?>) actual;
            assertThat(new ArrayList<Object>(a.keySet())).as(at).isEqualTo(new ArrayList<Object>(e.keySet()));
            for (Object k : e.keySet()) assertSame(e.get(k), a.get(k), at + "/" + k);
        } else if (expected instanceof List<?> e) {
            assertThat(actual).as(at).isInstanceOf(List.class);
            List<?> a = (List<?>) actual;
            assertThat(a).as(at).hasSameSizeAs(e);
            for (int i = 0; i < e.size(); i++) assertSame(e.get(i), a.get(i), at + "[" + i + "]");
        } else if (expected instanceof byte[] e) {
            assertThat((byte[]) actual).as(at).isEqualTo(e);
        } else {
            assertThat(actual).as(at).isEqualTo(expected);
        }
    }

    @Test
    void roundTripsEveryValueAndDtype() throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        Map<String, Object> tensors = new LinkedHashMap<>();
        for (DType dt : DType.values()) {
            tensors.put("m." + dt, SafetensorsWriterTest.of(dt, 2, 3, 4, 5)); // > 3 dims: MARK ... TUPLE
            tensors.put("s." + dt, SafetensorsWriterTest.of(dt));
            tensors.put("e." + dt, SafetensorsWriterTest.of(dt, 0, 3));
        }
        root.put("tensors", tensors);
        root.put("empty", new LinkedHashMap<>());
        List<Object> values = new ArrayList<>(List.of(0L, 255L, 256L, 65536L, -1L, (long) Integer.MIN_VALUE,
                Long.MAX_VALUE, Long.MIN_VALUE, 1.5, -0.0, Double.NaN, true, false, "ünï€"));
        values.add(null);
        values.add(BigInteger.TWO.pow(100).negate());
        values.add(new byte[] {0, 1, (byte) 0xff});
        values.add(new byte[0]);
        root.put("values", values);
        List<Object> many = new ArrayList<>();
        for (int i = 0; i < 2500; i++) many.add((long) i); // several APPENDS batches
        root.put("many", many);
        Map<String, Object> wide = new LinkedHashMap<>();
        for (int i = 0; i < 1500; i++) wide.put("k" + i, (long) i);
        root.put("wide", wide);
        root.put("transposed", SafetensorsWriterTest.of(DType.F32, 3, 4).t());

        Path p = tmp.resolve("all.pt");
        TorchPickleWriter.write(p, root);
        Object back = TorchPickleReader.read(p);
        Map<String, Object> expected = new LinkedHashMap<>(root);
        expected.put("transposed", ((Tensor) root.get("transposed")).contiguous());
        assertSame(expected, back, "");
    }

    @Test
    void layoutIsTorchs() throws IOException {
        Path p = tmp.resolve("w.bin");
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("a", SafetensorsWriterTest.of(DType.F32, 3, 7));
        root.put("b", SafetensorsWriterTest.of(DType.F16, 5));
        TorchPickleWriter.write(p, root);
        byte[] file = Files.readAllBytes(p);
        try (ZipFile z = new ZipFile(p.toFile())) {
            List<String> names = Collections.list(z.entries()).stream().map(ZipEntry::getName).toList();
            assertThat(names).containsExactly("archive/data.pkl", "archive/byteorder", "archive/data/0",
                    "archive/data/1", "archive/version");
            assertThat(new String(z.getInputStream(z.getEntry("archive/version")).readAllBytes())).isEqualTo("3\n");
            assertThat(new String(z.getInputStream(z.getEntry("archive/byteorder")).readAllBytes())).isEqualTo("little");
            for (ZipEntry e : Collections.list(z.entries())) assertThat(e.getMethod()).isEqualTo(ZipEntry.STORED);
        }
        // every record's data starts on a 64-byte boundary, after an "FB" padding field
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int records = 0;
        for (int at = 0; b.getInt(at) == 0x04034b50; records++) {
            int nameLen = b.getShort(at + 26);
            int extraLen = b.getShort(at + 28);
            int data = at + 30 + nameLen + extraLen;
            assertThat(data % 64).isZero();
            assertThat(new String(file, at + 30 + nameLen, 2)).isEqualTo("FB");
            at = data + b.getInt(at + 22);
        }
        assertThat(records).isEqualTo(5);
    }

    @Test
    void zip64LayoutIsReadable() throws IOException {
        Path p = tmp.resolve("z64.bin");
        Map<String, Object> root = Map.of("w", SafetensorsWriterTest.of(DType.F32, 4, 4));
        TorchPickleWriter.write(p, root, false, true);
        assertSame(root, TorchPickleReader.read(p), "");
    }

    /** The writer reproduces the pickle torch 1.13 + diffusers wrote, byte for byte. */
    @Test
    void reproducesDiffusersPickleExactly() throws IOException {
        Path fixture = CD.resolve("diffusers_train/pytorch_custom_diffusion_weights.bin");
        Object read = TorchPickleReader.read(fixture);
        Path p = tmp.resolve("copy.bin");
        TorchPickleWriter.write(p, read);
        assertSame(read, TorchPickleReader.read(p), "");
        try (ZipFile a = new ZipFile(fixture.toFile()); ZipFile b = new ZipFile(p.toFile())) {
            byte[] expected = a.getInputStream(a.getEntry("pytorch_custom_diffusion_weights/data.pkl")).readAllBytes();
            byte[] actual = b.getInputStream(b.getEntry("archive/data.pkl")).readAllBytes();
            assertThat(actual).isEqualTo(expected);
            for (int i = 0; i < 12; i++) {
                assertThat(b.getInputStream(b.getEntry("archive/data/" + i)).readAllBytes())
                        .isEqualTo(a.getInputStream(a.getEntry("pytorch_custom_diffusion_weights/data/" + i)).readAllBytes());
            }
        }
    }

    @Test
    void everyFixtureRoundTrips() throws IOException {
        List<Path> bins;
        try (Stream<Path> s = Files.walk(CD, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            bins = s.filter(x -> x.toString().endsWith(".bin")).sorted().toList();
        }
        int i = 0;
        for (Path bin : bins) {
            Object read = TorchPickleReader.read(bin);
            Path p = tmp.resolve("rt" + (i++) + ".bin");
            TorchPickleWriter.write(p, read);
            assertSame(read, TorchPickleReader.read(p), bin.toString());
        }
        assertThat(i).isGreaterThanOrEqualTo(8);
    }

    @Test
    void viewsAreStoredCompactlyAndSharedTensorsOnce() throws IOException {
        Tensor matrix = SafetensorsWriterTest.of(DType.F32, 100, 8);
        Tensor row = matrix.select(0, 42);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("row", row);
        root.put("again", row);
        Path p = tmp.resolve("row.bin");
        TorchPickleWriter.write(p, root);
        try (ZipFile z = new ZipFile(p.toFile())) {
            assertThat(z.getEntry("archive/data/0").getSize()).isEqualTo(32);
            assertThat(z.getEntry("archive/data/1")).isNull();
        }
        Map<String, Object> back = TorchPickleReader.readDict(p, TorchPickleReader.Mode.STRICT);
        assertThat(back.get("again")).isSameAs(back.get("row"));
        assertThat(Tensors.toFloats((Tensor) back.get("row"))).containsExactly(Tensors.toFloats(row));
    }

    @Test
    void refusesOverwriteAndUnwritableValues() throws IOException {
        Path p = tmp.resolve("x.bin");
        TorchPickleWriter.write(p, Map.of("a", 1L));
        assertThatThrownBy(() -> TorchPickleWriter.write(p, Map.of("a", 2L)))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining(p.toString());
        TorchPickleWriter.write(p, Map.of("a", 2L), true);
        assertThat(TorchPickleReader.read(p)).isEqualTo(Map.of("a", 2L));

        Path q = tmp.resolve("y.bin");
        assertThatThrownBy(() -> TorchPickleWriter.write(q, Map.of("a", Map.of("b", new Object()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a/b'");
        assertThat(Files.exists(q)).isFalse();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(x -> x.getFileName().toString())).containsExactly("x.bin");
        }
    }
}
