package org.cd4j.io;

import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsWriterTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    @TempDir
    Path tmp;

    static Tensor of(DType dt, long... shape) {
        int n = (int) Tensors.numel(shape);
        // (Tensors.fromFloats cannot fill an empty tensor: its data pointer is null)
        if (n == 0) return torch.empty(shape, Tensors.options(dt), new MemoryFormatOptional());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 7) - 2.5f + i * 0.125f;
        return Tensors.fromFloats(v, shape).to(dt.scalarType);
    }

    @Test
    void roundTripsEveryDtypeAndShape() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (DType dt : DType.values()) {
            in.put("m." + dt, of(dt, 3, 5));
            in.put("s." + dt, of(dt));            // 0-d
            in.put("e." + dt, of(dt, 2, 0, 3));   // empty
        }
        in.put("transposed", of(DType.F32, 4, 6).t()); // non-contiguous: stored by value in C order
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "ünïcode \"quoted\"\n");
        Path p = tmp.resolve("all.safetensors");
        SafetensorsWriter.write(p, in, meta);

        byte[] file = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(n % 8).isZero();
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.keys()).containsExactlyElementsOf(in.keySet());
            assertThat(f.metadata()).containsExactlyEntriesOf(meta);
            for (Map.Entry<String, Tensor> e : in.entrySet()) {
                Tensor back = f.tensor(e.getKey());
                assertThat(TensorDTypes.ofOrNull(back)).as(e.getKey()).isEqualTo(TensorDTypes.ofOrNull(e.getValue()));
                assertThat(Tensors.shape(back)).as(e.getKey()).isEqualTo(Tensors.shape(e.getValue()));
                assertThat(Tensors.bytes(back)).as(e.getKey()).isEqualTo(Tensors.bytes(e.getValue()));
            }
        }
    }

    @Test
    void omitsAbsentMetadataAndWritesEmptyFiles() throws IOException {
        Path p = tmp.resolve("empty.safetensors");
        SafetensorsWriter.write(p, Map.of(), null);
        byte[] b = Files.readAllBytes(p);
        // the reference library writes exactly this for an empty dict
        assertThat(b).containsExactly(8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ');
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.keys()).isEmpty();
            assertThat(f.metadata()).isEmpty();
        }
    }

    /** Re-writing each fixture with its own order and metadata reproduces it byte for byte. */
    @Test
    void reproducesFixtureFilesExactly() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(FIXTURES, FileVisitOption.FOLLOW_LINKS)) {
            files = s.filter(x -> x.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThan(10);
        int i = 0;
        for (Path fx : files) {
            Path out = tmp.resolve("copy" + (i++) + ".safetensors");
            try (SafetensorsFile f = SafetensorsFile.open(fx)) {
                SafetensorsWriter.write(out, f.tensors(), f.metadata());
            }
            assertThat(Files.readAllBytes(out)).as(fx.toString()).isEqualTo(Files.readAllBytes(fx));
        }
    }

    @Test
    void refusesToOverwriteUnlessAsked() throws IOException {
        Path p = tmp.resolve("w.safetensors");
        SafetensorsWriter.write(p, Map.of("a", of(DType.F32, 2)), null);
        byte[] before = Files.readAllBytes(p);
        assertThatThrownBy(() -> SafetensorsWriter.write(p, Map.of("b", of(DType.F32, 3)), null))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("overwrite");
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
        SafetensorsWriter.write(p, Map.of("b", of(DType.F32, 3)), null, true);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.keys()).containsExactly("b");
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(x -> x.getFileName().toString())).containsExactly("w.safetensors");
        }
    }

    @Test
    void leavesNothingBehindWhenATensorCannotBeWritten() throws IOException {
        Path p = tmp.resolve("bad.safetensors");
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("ok", of(DType.F32, 2));
        in.put("__metadata__", of(DType.F32, 2));
        assertThatThrownBy(() -> SafetensorsWriter.write(p, in, null)).hasMessageContaining("reserved");
        Map<String, Tensor> c = Map.of("c", Tensors.fromFloats(new float[] {1, 2}, 2).to(torch.ScalarType.ComplexFloat));
        assertThatThrownBy(() -> SafetensorsWriter.write(p, c, null)).hasMessageContaining("tensor 'c'");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).isEmpty();
        }
    }

    /**
     * A 3 GiB sparse file: the data region is mapped in two pieces and the tensor after the
     * 2 GiB mark still reads right.
     */
    @Test
    void readsFilesLargerThanTwoGiB() throws IOException {
        long big = 3L << 29; // 1.5 GiB
        String h = "{\"a\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[" + big + "," + 2 * big + "]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + 2 * big + "," + (2 * big + 8) + "]}}";
        byte[] hb = (h + " ".repeat((8 - h.length() % 8) % 8)).getBytes(StandardCharsets.UTF_8);
        Path p = tmp.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hb.length).array());
            raf.write(hb);
            raf.seek(8 + hb.length + 2 * big);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array());
        }
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(Tensors.toFloats(f.tensor("c"))).containsExactly(1.5f, -2f);
            assertThat(Tensors.shape(f.tensor("b"))).containsExactly(big);
        }
    }
}
