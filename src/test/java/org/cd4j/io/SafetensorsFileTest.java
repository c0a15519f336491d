package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.DType;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsFileTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    @TempDir
    Path tmp;

    /** A file made of a given header text and {@code dataBytes} bytes of data (0, 1, 2, ...). */
    Path file(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < dataBytes; i++) b.put((byte) i);
        Path p = tmp.resolve("t.safetensors");
        Files.write(p, b.array());
        return p;
    }

    void assertBad(Path p, String... fragments) {
        assertThatThrownBy(() -> SafetensorsFile.open(p).close())
                .isInstanceOf(FormatException.class)
                .hasMessageStartingWith(p.toString() + ": ")
                .satisfies(e -> {
                    for (String f : fragments) assertThat(e.getMessage()).contains(f);
                });
    }

    @Test
    void readsTinyModelWeights() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(FIXTURES.resolve("tiny-sd1/unet/diffusion_pytorch_model.safetensors"))) {
            assertThat(f.keys()).hasSize(304);
            assertThat(f.metadata()).containsEntry("format", "pt");
            String k = f.keys().get(0);
            Tensor t = f.tensor(k);
            assertThat(Tensors.shape(t)).isEqualTo(f.info(k).shape());
            assertThat(TensorDTypes.ofOrNull(t)).isEqualTo(DType.F32);
        }
    }

    @Test
    void readsValuesAndEmptyAndScalarTensors() throws IOException {
        Path p = file("{\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
                + "\"s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]},"
                + "\"v\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[1,5]},"
                + "\"__metadata__\":{\"a\":\"b\"}}", 5);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.keys()).containsExactly("e", "s", "v");
            assertThat(Tensors.shape(f.tensor("e"))).containsExactly(0, 3);
            assertThat(Tensors.shape(f.tensor("s"))).isEmpty();
            assertThat(Tensors.toLongs(f.tensor("s"))).containsExactly(0);
            // I16 at an odd offset is copied, not viewed: values still right (LE 0x0201, 0x0403)
            assertThat(Tensors.toLongs(f.tensor("v"))).containsExactly(0x0201, 0x0403);
            assertThat(f.metadata()).containsEntry("a", "b");
        }
    }

    @Test
    void rejectsShortFile() throws IOException {
        Path p = tmp.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertBad(p, "3 bytes long", "expected at least 8");
    }

    @Test
    void rejectsAbsurdHeaderLength() throws IOException {
        Path p = tmp.resolve("huge.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).putLong(0);
        Files.write(p, b.array());
        assertBad(p, "larger than 100 MB");
        b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
        Files.write(p, b.array());
        assertBad(p, "header length 1000 exceeds the file size 16");
    }

    @Test
    void recognisesOtherFormats() throws IOException {
        Path p = tmp.resolve("lfs.safetensors");
        Files.writeString(p, "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n");
        assertBad(p, "Git LFS");
        Path legacy = tmp.resolve("legacy.safetensors");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20});
        assertBad(legacy, "legacy torch.save");
        Path z = FIXTURES.resolve("custom_diffusion/adobe_train/delta.bin");
        assertBad(z, "ZIP archive", "TorchPickleReader");
    }

    @Test
    void rejectsBadHeaders() throws IOException {
        assertBad(file("not json", 0), "not valid JSON");
        assertBad(file("[1,2]", 0), "expected a JSON object");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", 4), "not valid JSON");
        Path p = tmp.resolve("utf.safetensors");
        ByteBuffer b = ByteBuffer.allocate(8 + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(4).put(new byte[] {'{', (byte) 0xff, '}', ' '});
        Files.write(p, b.array());
        assertBad(p, "not valid UTF-8");
    }

    @Test
    void rejectsBadEntries() throws IOException {
        assertBad(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'a' has no 'dtype'");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "tensor 'a' has no 'shape'");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "tensor 'a' has no 'data_offsets'");
        assertBad(file("{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "dtype 'C64'", "F32");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "non-negative");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4), "non-negative integer");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4), "expected [begin, end]");
        assertBad(file("{\"a\":3}", 0), "tensor 'a' is a JSON NUMBER");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "duplicate key");
    }

    @Test
    void rejectsBadOffsets() throws IOException {
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4), "expected end >= begin");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4), "spans 4 bytes, expected 8");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", 6), "overlaps");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "leaves a gap");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2), "beyond the data region", "truncated");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 9), "cover 4 bytes of a 9-byte");
        assertBad(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", 4), "overflows");
    }

    @Test
    void rejectsBadMetadata() throws IOException {
        assertBad(file("{\"__metadata__\":{\"a\":1}}", 0), "__metadata__ value of 'a'", "expected a string");
        assertBad(file("{\"__metadata__\":[1]}", 0), "expected an object of string values");
        try (SafetensorsFile f = SafetensorsFile.open(file("{\"__metadata__\":null}", 0))) {
            assertThat(f.metadata()).isEmpty();
            assertThat(f.keys()).isEmpty();
        }
    }

    @Test
    void acceptsAnyHeaderOrder() throws IOException {
        Path p = file("{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 4);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.keys()).containsExactly("b", "a");
            assertThat(Tensors.toLongs(f.tensor("b"))).containsExactly(2, 3);
            assertThat(Tensors.toLongs(f.tensor("a"))).containsExactly(0, 1);
        }
    }

    @Test
    void unknownKeyAndClosedFile() throws IOException {
        Path p = file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        SafetensorsFile f = SafetensorsFile.open(p);
        assertThatThrownBy(() -> f.info("zz")).hasMessageContaining("has no tensor 'zz'");
        f.close();
        assertThatThrownBy(() -> f.tensor("a")).hasMessageContaining("closed");
    }
}
