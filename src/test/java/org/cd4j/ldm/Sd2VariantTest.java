package org.cd4j.ldm;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.io.SafetensorsWriter;
import org.cd4j.io.TorchPickleWriter;
import org.cd4j.nn.Tensors;
import org.cd4j.unet.UNetConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An SD-2 single file that does not say whether it predicts noise or v: Stability's two known
 * {@code global_step}s decide as in diffusers' converter, otherwise AUTOMATIC1111's probe of the
 * UNet does; anything the file or a config states is kept. The tiny SD-2 model's output layer is
 * set so that its answer to the probe is known: {@code conv_out} weights 0 and bias b make every
 * output b, so the probe's mean change is b − 0.5.
 */
class Sd2VariantTest {
    static final String CONV_OUT = "model.diffusion_model.out.2.";
    @TempDir
    static Path shared;
    @TempDir
    Path tmp;

    /** The tiny SD-2 model as a single file without metadata (as model sites have SD-2.x files). */
    static Map<String, Tensor> bare;
    /** Its heads, which a tiny model's widths cannot tell (and nothing about the prediction). */
    static Path heads;
    static UNetConfig unetConfig;

    @BeforeAll
    static void tinySd2() throws IOException {
        Path file = shared.resolve("tiny-sd2.safetensors");
        Path folder = TinyModels.sd2(shared.resolve("tiny-sd2"));
        SingleFileRoundTripTest.writeSingleFile(folder, file);
        unetConfig = UNetConfig.load(folder.resolve("unet/config.json"));
        bare = TinyModels.load(file);
        heads = Files.writeString(shared.resolve("heads.json"),
                "{\"unet\": {\"attention_head_dim\": [2, 4]}, \"text_encoder\": {\"num_attention_heads\": 4}}");
    }

    /** The bare weights with every UNet output equal to {@code bias}. */
    static Map<String, Tensor> answering(double bias) {
        Map<String, Tensor> w = new LinkedHashMap<>(bare);
        w.put(CONV_OUT + "weight", w.get(CONV_OUT + "weight").mul(Tensors.scalar(0.0)));
        float[] b = new float[(int) w.get(CONV_OUT + "bias").size(0)];
        java.util.Arrays.fill(b, (float) bias);
        w.put(CONV_OUT + "bias", Tensors.fromFloats(b, b.length));
        return w;
    }

    Path safetensors(String name, Map<String, Tensor> w, Map<String, String> metadata) throws IOException {
        Path f = tmp.resolve(name);
        SafetensorsWriter.write(f, w, metadata);
        return f;
    }

    Path ckpt(String name, Map<String, Tensor> w, long globalStep) throws IOException {
        Path f = tmp.resolve(name);
        TorchPickleWriter.write(f, Map.of("state_dict", new LinkedHashMap<String, Object>(w), "global_step", globalStep));
        return f;
    }

    /** Converts {@code file} with {@code config} and returns its unet and scheduler configs and the notes. */
    record Converted(JsonNode unet, JsonNode scheduler, List<String> notes) {}

    Converted convert(Path file, Path config) throws IOException {
        Path out = tmp.resolve(file.getFileName() + "-folder");
        List<String> notes = SingleFileModel.convert(file, config, out, false);
        return new Converted(ModelConfigs.JSON.readTree(out.resolve("unet/config.json").toFile()),
                ModelConfigs.JSON.readTree(out.resolve("scheduler/scheduler_config.json").toFile()), notes);
    }

    @Test
    void theProbeTellsAVModelFromANoiseModel() throws IOException {
        assertThat(Sd2Variant.probe(unetConfig, unetOf(answering(-2.0)))).isCloseTo(-2.5, org.assertj.core.data.Offset.offset(1e-6));

        Converted v = convert(safetensors("v.safetensors", answering(-2.0), Map.of()), heads);
        assertThat(v.scheduler().path("prediction_type").asText()).isEqualTo("v_prediction");
        assertThat(v.unet().path("sample_size").asInt()).as("768 px over the VAE's factor 8").isEqualTo(96);
        assertThat(v.unet().path("upcast_attention").asBoolean()).isFalse();
        assertThat(v.notes()).anyMatch(n -> n.contains("mean change of -2.500") && n.contains("so v_prediction at 768 px"));

        Converted eps = convert(safetensors("eps.safetensors", answering(0.5), Map.of()), heads);
        assertThat(eps.scheduler().path("prediction_type").asText()).isEqualTo("epsilon");
        assertThat(eps.unet().path("sample_size").asInt()).isEqualTo(64);
        assertThat(eps.notes()).anyMatch(n -> n.contains("mean change of 0.000") && n.contains("so epsilon at 512 px"));
    }

    @Test
    void stabilitysKnownStepsDecideAsInDiffusers() throws IOException {
        // the UNet would answer "v", but the step says SD-2.0-base
        Converted base = convert(ckpt("base.ckpt", answering(-2.0), Sd2Variant.SD20_BASE_STEP), heads);
        assertThat(base.scheduler().path("prediction_type").asText()).isEqualTo("epsilon");
        assertThat(base.unet().path("sample_size").asInt()).isEqualTo(64);
        assertThat(base.notes()).anyMatch(n -> n.contains("global_step 875000 is Stability's SD-2.0-base"));

        Converted v21 = convert(ckpt("v21.ckpt", answering(0.5), Sd2Variant.SD21_768_STEP), heads);
        assertThat(v21.scheduler().path("prediction_type").asText()).isEqualTo("v_prediction");
        assertThat(v21.unet().path("sample_size").asInt()).isEqualTo(96);
        assertThat(v21.unet().path("upcast_attention").asBoolean()).isTrue();

        Converted other = convert(ckpt("other.ckpt", answering(-2.0), 1234), heads);
        assertThat(other.scheduler().path("prediction_type").asText()).as("another step: the probe decides").isEqualTo("v_prediction");
    }

    @Test
    void whatTheFileOrAConfigStatesIsKept() throws IOException {
        Converted spec = convert(safetensors("spec.safetensors", answering(-2.0),
                Map.of("modelspec.architecture", "stable-diffusion-v2-512")), heads);
        assertThat(spec.scheduler().path("prediction_type").asText()).isEqualTo("epsilon");
        assertThat(spec.notes()).noneMatch(n -> n.contains("prediction type"));

        Path config = Files.writeString(tmp.resolve("eps.json"), "{\"prediction_type\": \"epsilon\", \"unet\": {\"attention_head_dim\": [2, 4],"
                + " \"sample_size\": 40}, \"text_encoder\": {\"num_attention_heads\": 4}}");
        Converted given = convert(safetensors("given.safetensors", answering(-2.0), Map.of()), config);
        assertThat(given.scheduler().path("prediction_type").asText()).isEqualTo("epsilon");
        assertThat(given.unet().path("sample_size").asInt()).isEqualTo(40);

        // a v model whose size is stated keeps it
        Path size = Files.writeString(tmp.resolve("size.json"), "{\"unet\": {\"attention_head_dim\": [2, 4], \"sample_size\": 40},"
                + " \"text_encoder\": {\"num_attention_heads\": 4}}");
        Converted sized = convert(safetensors("sized.safetensors", answering(-2.0), Map.of()), size);
        assertThat(sized.scheduler().path("prediction_type").asText()).isEqualTo("v_prediction");
        assertThat(sized.unet().path("sample_size").asInt()).isEqualTo(40);
    }

    /** The UNet weights of a single file in diffusers names. */
    static Map<String, Tensor> unetOf(Map<String, Tensor> ldm) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        LdmKeys.Names names = LdmKeys.unet(unetConfig);
        ldm.forEach((k, t) -> {
            if (k.startsWith(LdmKeys.UNET)) out.put(names.toDiffusers(k.substring(LdmKeys.UNET.length())), t);
        });
        return out;
    }
}
