package org.cd4j.concept.delta;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.cd4j.concept.TrainMode;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.nn.DType;
import org.cd4j.nn.Rng;
import org.cd4j.nn.Tensors;
import org.cd4j.pipeline.StableDiffusion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Deltas of the paper's baselines: a full-UNet fine-tune ({@code none}: any UNet parameter, any
 * shape) and a token-only one ({@code all}: no weight) — inference of the mode, strictness of the
 * cross-attention modes, round trips, application, and the formats that cannot hold them.
 */
class BaselineDeltaTest {
    @TempDir
    Path tmp;

    private static final String KV = "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight";

    /** Every UNet parameter of tiny-sd1 moved by +0.01, and one token row. */
    private static ConceptDelta fullUNet() throws Exception {
        StableDiffusion sd = StableDiffusion.load(DeltaFixtures.tinySd1(), DType.F32);
        Map<String, DeltaWeight> w = new LinkedHashMap<>();
        sd.unet().namedParameters().forEach((k, v) -> w.put(k, DeltaWeight.full(v.detach().add(new Scalar(0.01)))));
        return new ConceptDelta(w, tokens(), DeltaInfo.empty());
    }

    private static ConceptDelta tokenOnly() {
        return new ConceptDelta(Map.of(), tokens(), DeltaInfo.empty());
    }

    private static Map<String, Tensor> tokens() {
        return Map.of("<new1>", Rng.seeded(4).randn(32));
    }

    private static Tensor zeros(long... shape) {
        return Tensors.fromFloats(new float[(int) Tensors.numel(shape)], shape);
    }

    /** Writes {@code d} as a cd4j file, which records {@code mode} and reads back exactly. */
    private Path writeCd4j(ConceptDelta d, String mode) throws Exception {
        Path f = tmp.resolve(mode + ".cd4j.safetensors");
        Cd4jDeltaFile.write(f, d, false);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertThat(s.metadata()).containsEntry("train_mode", mode);
        }
        assertThat(Cd4jDeltaFile.read(f).contentEquals(d)).isTrue();
        return f;
    }

    @Test
    void theModeIsInferredFromTheWeights() throws Exception {
        assertThat(CrossAttnParams.inferMode(List.of())).isEqualTo(TrainMode.ALL);
        assertThat(CrossAttnParams.inferMode(List.of(KV, "conv_in.weight"))).isEqualTo(TrainMode.NONE);
        assertThat(CrossAttnParams.inferMode(List.of(KV))).isEqualTo(TrainMode.CROSSATTN_KV);
        assertThat(CrossAttnParams.inferMode(List.of(KV, KV.replace("to_k", "to_q")))).isEqualTo(TrainMode.CROSSATTN);
        assertThat(fullUNet().trainMode()).isEqualTo(TrainMode.NONE);
        assertThat(tokenOnly().trainMode()).isEqualTo(TrainMode.ALL);
        assertThat(TrainMode.parse("none")).isEqualTo(TrainMode.NONE);
        assertThat(TrainMode.parse("ALL")).isEqualTo(TrainMode.ALL);
        assertThatThrownBy(() -> TrainMode.parse("unet")).hasMessageContaining("the baselines none and all");
    }

    @Test
    void crossAttentionModesStayStrictAndEachModeCoversItsWeights() {
        Map<String, DeltaWeight> conv = Map.of("conv_in.weight", DeltaWeight.full(zeros(32, 4, 3, 3)));
        for (TrainMode m : List.of(TrainMode.CROSSATTN_KV, TrainMode.CROSSATTN)) {
            assertThatThrownBy(() -> new ConceptDelta(conv, tokens(), DeltaInfo.empty().withTrainMode(m)))
                    .hasMessageContaining("'conv_in.weight' is not a cross-attention weight");
        }
        assertThatThrownBy(() -> new ConceptDelta(conv, tokens(), DeltaInfo.empty().withTrainMode(TrainMode.ALL)))
                .hasMessageContaining("train mode all trains only the token embeddings, but the delta has the UNet weight conv_in.weight");
        assertThatThrownBy(() -> new ConceptDelta(Map.of("conv_in..weight", DeltaWeight.full(zeros(2))), tokens(), DeltaInfo.empty()))
                .hasMessageContaining("'conv_in..weight' is not a UNet parameter name");
        // a 4-d conv kernel and a norm bias are fine in a full-UNet delta; cross-attention shapes are still checked
        Map<String, DeltaWeight> ok = new LinkedHashMap<>(conv);
        ok.put("down_blocks.0.resnets.0.norm1.bias", DeltaWeight.full(zeros(32)));
        assertThat(new ConceptDelta(ok, tokens(), DeltaInfo.empty()).trainMode()).isEqualTo(TrainMode.NONE);
        ok.put(KV, DeltaWeight.full(zeros(64, 16)));
        assertThatThrownBy(() -> new ConceptDelta(ok, tokens(), DeltaInfo.empty()))
                .hasMessageContaining("token embeddings have 32 values but the cross-attention weights read 16-wide text states");
    }

    @Test
    void aFullUNetDeltaRoundTripsAndApplies() throws Exception {
        ConceptDelta d = fullUNet();
        Path f = writeCd4j(d, "none");
        ConceptDelta back = DeltaFiles.load(f).delta();

        StableDiffusion sd = StableDiffusion.load(DeltaFixtures.tinySd1(), DType.F32);
        back.applyTo(sd, 1.0, false, f.toString());
        for (Map.Entry<String, Tensor> e : sd.unet().namedParameters().entrySet()) {
            assertThat(DeltaFixtures.bitEqual(e.getValue(), d.weights().get(e.getKey()).full())).as(e.getKey()).isTrue();
        }
    }

    @Test
    void aFullUNetDeltaIsCheckedAgainstTheModelsShapesAndNames() throws Exception {
        Map<String, Tensor> rows = tokens();
        ConceptDelta wrong = new ConceptDelta(Map.of("conv_in.weight", DeltaWeight.full(zeros(32, 4, 1, 1))), rows, DeltaInfo.empty());
        StableDiffusion sd = StableDiffusion.load(DeltaFixtures.tinySd1(), DType.F32);
        Tensor before = sd.unet().namedParameters().get("conv_in.weight").clone();
        assertThatThrownBy(() -> wrong.applyTo(sd, 1.0, true, "w"))
                .hasMessageContaining("delta w does not fit the model tiny-sd1: conv_in.weight is [32, 4, 1, 1] in the delta but [32, 4, 3, 3] in the model");
        ConceptDelta unknown = new ConceptDelta(Map.of("down_blocks.7.resnets.0.conv1.bias", DeltaWeight.full(zeros(32))), rows,
                DeltaInfo.empty());
        assertThatThrownBy(() -> unknown.applyTo(sd, 1.0, true, "u")).hasMessageContaining("the UNet has no parameter down_blocks.7.resnets.0.conv1.bias");
        assertThat(Tensors.maxAbsDiff(sd.unet().namedParameters().get("conv_in.weight"), before)).as("nothing applied").isZero();
        assertThat(sd.tokenizer().tokenId("<new1>")).isEmpty();
    }

    @Test
    void referenceFormatsRefuseAFullUNetDelta() throws Exception {
        ConceptDelta d = fullUNet();
        Path bin = tmp.resolve("delta.bin");
        assertThatThrownBy(() -> DeltaFiles.save(d, DeltaFormat.ADOBE, bin, null, false))
                .hasMessageContaining("the adobe delta.bin holds only cross-attention weights")
                .hasMessageContaining("--freeze-model none");
        Path dir = tmp.resolve("diffusers");
        assertThatThrownBy(() -> DeltaFiles.save(d, DeltaFormat.DIFFUSERS, dir, null, false))
                .hasMessageContaining("pytorch_custom_diffusion_weights.safetensors holds only cross-attention weights")
                .hasMessageContaining("--freeze-model none");
        assertThat(bin).doesNotExist();
        assertThat(dir).doesNotExist();
    }

    @Test
    void aTokenOnlyDeltaInEveryFormat() throws Exception {
        ConceptDelta d = tokenOnly();
        try (SafetensorsFile s = SafetensorsFile.open(writeCd4j(d, "all"))) {
            assertThat(s.keys()).containsExactly("token_embedding.<new1>");
        }

        Path bin = tmp.resolve("delta.bin");
        DeltaFiles.save(d, DeltaFormat.ADOBE, bin, null, false); // {'unet': {}, 'modifier_token': {...}}
        LoadedDelta adobe = DeltaFiles.load(bin);
        assertThat(adobe.format()).isEqualTo(DeltaFormat.ADOBE);
        assertThat(adobe.delta().sameTensors(d)).isTrue();
        assertThat(adobe.delta().trainMode()).isEqualTo(TrainMode.ALL);

        Path dir = tmp.resolve("diffusers");
        List<Path> files = DeltaFiles.save(d, DeltaFormat.DIFFUSERS, dir, null, false);
        assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("<new1>.bin", "<new1>.safetensors");
        try (var listing = Files.list(dir)) {
            assertThat(listing.count()).as("only the textual-inversion token files").isEqualTo(2);
        }
        LoadedDelta diffusers = DeltaFiles.load(dir);
        assertThat(diffusers.format()).isEqualTo(DeltaFormat.DIFFUSERS);
        assertThat(diffusers.delta().sameTensors(d)).isTrue();
        assertThat(diffusers.delta().trainMode()).isEqualTo(TrainMode.ALL);
        assertThatThrownBy(() -> DeltaFiles.load(dir.resolve("<new1>.safetensors")))
                .hasMessageContaining("is a token-embedding file, not a delta");

        // next to another delta's weights, its token would be read as that delta's
        Path crowded = tmp.resolve("crowded");
        DeltaFiles.save(DeltaFiles.load(DeltaFixtures.diffusersTrain()).delta(), DeltaFormat.DIFFUSERS, crowded, null, false);
        ConceptDelta other = new ConceptDelta(Map.of(), Map.of("<new2>", Rng.seeded(5).randn(32)), DeltaInfo.empty());
        assertThatThrownBy(() -> DeltaFiles.save(other, DeltaFormat.DIFFUSERS, crowded, null, true))
                .hasMessageContaining("holds the Custom Diffusion weights of another delta");
        assertThat(crowded.resolve("<new2>.bin")).doesNotExist();
    }

    @Test
    void aTokenOnlyDeltaIsTiedToItsBaseModel() throws Exception {
        try (BaseModel sd1 = BaseModel.open(DeltaFixtures.tinySd1()); BaseModel other = BaseModel.open(DeltaFixtures.tinySd1_768())) {
            List<String> kv = StableDiffusion.load(DeltaFixtures.tinySd1(), DType.F32).unet().namedParameters().keySet()
                    .stream().filter(TrainMode.CROSSATTN_KV::trains).toList();
            assertThat(kv).hasSize(12);
            assertThat(sd1.identity(List.of())).isEqualTo(sd1.identity(kv)).isNotEqualTo(other.identity(List.of()));
            ConceptDelta stamped = tokenOnly().withBaseModel(sd1);
            assertThat(stamped.info().baseModelSha256()).isEqualTo(sd1.identity(kv));
        }
        ConceptDelta foreign = tokenOnly().withInfo(DeltaInfo.empty().withBaseModel("0".repeat(64), "elsewhere"));
        StableDiffusion sd = StableDiffusion.load(DeltaFixtures.tinySd1(), DType.F32);
        assertThatThrownBy(() -> foreign.applyTo(sd, 1.0, false, "t")).hasMessageContaining("delta t was trained on another base model");
    }
}
