package org.cd4j.io;

import org.bytedeco.pytorch.Tensor;
import org.cd4j.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Corrupt and hostile torch.save files: each fails with a FormatException naming the file. */
class TorchPickleHostileTest {
    @TempDir
    Path tmp;

    Path archive(byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> r = new LinkedHashMap<>();
        r.put("archive/data.pkl", pickle);
        storages.forEach((k, v) -> r.put("archive/data/" + k, v));
        r.put("archive/version", "3\n".getBytes());
        return PickleAsm.zip(tmp.resolve("x.bin"), r);
    }

    /** {'w': tensor} with the given layout on a 4-float storage '0'. */
    byte[] oneTensor(String cls, long numel, long offset, long[] size, long[] stride) {
        return PickleAsm.proto2().op('}').str("w").tensor(cls, "0", numel, offset, size, stride).op('s', '.').bytes();
    }

    void assertBad(Path p, String... fragments) {
        assertThatThrownBy(() -> TorchPickleReader.read(p))
                .isInstanceOf(FormatException.class)
                .hasMessageStartingWith(p + ": ")
                .satisfies(e -> {
                    for (String f : fragments) assertThat(e.getMessage()).contains(f);
                });
    }

    @Test
    void readsAWellFormedHandMadeArchive() throws IOException {
        Path p = archive(oneTensor("FloatStorage", 4, 1, new long[] {2}, new long[] {2}),
                Map.of("0", PickleAsm.floats(1, 2, 3, 4)));
        Tensor w = (Tensor) TorchPickleReader.readDict(p, TorchPickleReader.Mode.STRICT).get("w");
        assertThat(Tensors.toFloats(w)).containsExactly(2, 4);
    }

    @Test
    void refusesCodeExecution() throws IOException {
        byte[] pkl = PickleAsm.proto2().global("os", "system").str("echo hacked").op(0x85, 'R', '.').bytes();
        assertBad(archive(pkl, Map.of()), "refuses to load pickle global 'os.system'",
                "only tensors, dicts and lists are allowed");
        byte[] builtins = PickleAsm.proto2().global("builtins", "eval").str("1").op(0x85, 'R', '.').bytes();
        assertBad(archive(builtins, Map.of()), "'builtins.eval'");
        // STACK_GLOBAL spelling (protocol 4)
        byte[] sg = PickleAsm.proto2().op(0x8c, 2).op('o', 's').op(0x8c, 6).op('s', 'y', 's', 't', 'e', 'm')
                .op(0x93, ')', 'R', '.').bytes();
        assertBad(archive(sg, Map.of()), "'os.system'");
    }

    @Test
    void rejectsTruncatedZip() throws IOException {
        byte[] good = Files.readAllBytes(Path.of("src/test/resources/fixtures/custom_diffusion/adobe_train/delta.bin"));
        Path p = tmp.resolve("cut.bin");
        Files.write(p, Arrays.copyOf(good, good.length / 2));
        assertBad(p, "not a readable ZIP archive", "truncated");
    }

    @Test
    void rejectsMissingPickle() throws IOException {
        Path p = PickleAsm.zip(tmp.resolve("nopkl.bin"), Map.of("archive/version", "3\n".getBytes()));
        assertBad(p, "no record 'archive/data.pkl'");
        Path flat = PickleAsm.zip(tmp.resolve("flat.bin"), Map.of("data.pkl", new byte[] {'.'}));
        assertBad(flat, "outside any folder");
    }

    @Test
    void rejectsMissingStorage() throws IOException {
        assertBad(archive(oneTensor("FloatStorage", 4, 0, new long[] {4}, new long[] {1}), Map.of()),
                "storage '0'", "no record 'archive/data/0'");
    }

    @Test
    void rejectsViewsOutsideTheStorage() throws IOException {
        Map<String, byte[]> s = Map.of("0", PickleAsm.floats(1, 2, 3, 4));
        assertBad(archive(oneTensor("FloatStorage", 4, 0, new long[] {3}, new long[] {2}), s), "reaches element 4 of a storage of 4");
        assertBad(archive(oneTensor("FloatStorage", 4, 4, new long[] {1}, new long[] {1}), s), "stay inside the storage");
        assertBad(archive(oneTensor("FloatStorage", 4, 0, new long[] {2, 2}, new long[] {1}), s), "different lengths");
        assertBad(archive(oneTensor("FloatStorage", 4, 0, new long[] {1L << 20, 1L << 20}, new long[] {0, 0}), s),
                "expands a storage");
    }

    @Test
    void rejectsHugeElementCounts() throws IOException {
        Map<String, byte[]> s = Map.of("0", PickleAsm.floats(1, 2, 3, 4));
        assertBad(archive(oneTensor("FloatStorage", 1L << 40, 0, new long[] {4}, new long[] {1}), s),
                "holds 16 bytes, expected 4398046511104");
        assertBad(archive(oneTensor("FloatStorage", Long.MAX_VALUE / 2, 0, new long[] {4}, new long[] {1}), s),
                "holds 16 bytes");
    }

    @Test
    void rejectsUnsupportedStorageTypes() throws IOException {
        assertBad(archive(oneTensor("ComplexFloatStorage", 2, 0, new long[] {2}, new long[] {1}),
                Map.of("0", new byte[16])), "torch.ComplexFloatStorage", "torch.FloatStorage");
    }

    @Test
    void rejectsCorruptPickles() throws IOException {
        byte[] good = oneTensor("FloatStorage", 4, 0, new long[] {4}, new long[] {1});
        Map<String, byte[]> s = Map.of("0", PickleAsm.floats(1, 2, 3, 4));
        assertBad(archive(Arrays.copyOf(good, good.length - 3), s), "archive/data.pkl", "ends early");
        assertBad(archive(PickleAsm.proto2().op('s', '.').bytes(), s), "stack underflow");
        assertBad(archive(PickleAsm.proto2().op('h', 7, '.').bytes(), s), "memo has no entry 7");
        assertBad(archive(PickleAsm.proto2().op(0xff).bytes(), s), "unsupported pickle opcode 0xff");
        assertBad(archive(PickleAsm.proto2().op('X').le(1L << 31, 4).bytes(), s), "ends early");
        // a list appended to itself
        assertBad(archive(PickleAsm.proto2().op(']', 'q', 0, 'h', 0, 'a', '.').bytes(), s), "contains itself");
        PickleAsm deep = PickleAsm.proto2();
        for (int i = 0; i < 5000; i++) deep.op(']');
        for (int i = 0; i < 4999; i++) deep.op('a');
        assertBad(archive(deep.op('.').bytes(), s), "more than 1000 levels");
    }

    @Test
    void recognisesOtherFormats() throws IOException {
        Path legacy = tmp.resolve("old.pt");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46});
        assertBad(legacy, "legacy torch.save format (pre-1.6)", "torch>=1.6");
        assertBad(Path.of("src/test/resources/fixtures/custom_diffusion/adobe_train/delta.safetensors"), "safetensors");
        Path text = tmp.resolve("readme.bin");
        Files.writeString(text, "hello world, not a zip");
        assertBad(text, "not a ZIP archive");
    }

    @Test
    void lenientModeKeepsUnknownObjectsOpaque() throws IOException {
        PickleAsm a = PickleAsm.proto2().op('}', '(');
        a.str("state_dict").op('}').str("w").tensor("FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1}).op('s');
        a.str("callbacks").global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint").op(')', 'R')
                .op('}').str("best").integer(3).op('s', 'b');
        a.str("hparams").global("omegaconf.dictconfig", "DictConfig").op(')', 0x81).str("lr").integer(1).op('s');
        byte[] pkl = a.op('u', '.').bytes();
        Path p = archive(pkl, Map.of("0", PickleAsm.floats(1, 2, 3, 4)));
        assertBad(p, "refuses to load pickle global 'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint'");

        Map<String, Object> d = TorchPickleReader.readDict(p, TorchPickleReader.Mode.LENIENT);
        assertThat(d).containsOnlyKeys("state_dict", "callbacks", "hparams");
        @SuppressWarnings("unchecked")
        Map<String, Object> sd = (Map<String, Object>) d.get("state_dict");
        assertThat(Tensors.toFloats((Tensor) sd.get("w"))).containsExactly(1, 2, 3, 4);
        PickleObject cb = (PickleObject) d.get("callbacks");
        assertThat(cb.qualifiedName()).isEqualTo("pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint");
        assertThat(cb.args()).isEmpty();
        assertThat(cb.state()).isEqualTo(Map.of("best", 3L));
        PickleObject hp = (PickleObject) d.get("hparams");
        assertThat(hp.dictItems()).isEqualTo(Map.of("lr", 1L));
        assertThat(hp.toString()).contains("omegaconf.dictconfig.DictConfig");
    }

    @Test
    void readsBigEndianArchives() throws IOException {
        Map<String, byte[]> r = new LinkedHashMap<>();
        r.put("archive/data.pkl", oneTensor("FloatStorage", 2, 0, new long[] {2}, new long[] {1}));
        r.put("archive/byteorder", "big".getBytes());
        java.nio.ByteBuffer be = java.nio.ByteBuffer.allocate(8).putFloat(1.5f).putFloat(-3f);
        r.put("archive/data/0", be.array());
        Path p = PickleAsm.zip(tmp.resolve("be.bin"), r);
        Tensor w = (Tensor) TorchPickleReader.readDict(p, TorchPickleReader.Mode.STRICT).get("w");
        assertThat(Tensors.toFloats(w)).containsExactly(1.5f, -3f);
    }

    @Test
    void topLevelMustBeADictForReadDict() throws IOException {
        Path p = archive(PickleAsm.proto2().op(']', '.').bytes(), Map.of());
        assertThat(TorchPickleReader.read(p)).isEqualTo(List.of());
        assertThatThrownBy(() -> TorchPickleReader.readDict(p, TorchPickleReader.Mode.STRICT))
                .isInstanceOf(FormatException.class).hasMessageContaining("a list at the top level, expected a dict");
    }
}
