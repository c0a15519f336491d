package org.cd4j.hub;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which files of a Stable Diffusion repository are fetched, with and without a variant. */
class StableDiffusionFilesTest {
    static final Set<String> ALL = Set.copyOf(StableDiffusionFiles.PARTS);

    /** The file list of runwayml/stable-diffusion-v1-5 (abridged, as its API lists it). */
    static final List<String> SD15 = List.of(
            ".gitattributes", "README.md", "feature_extractor/preprocessor_config.json", "model_index.json",
            "safety_checker/config.json", "safety_checker/model.fp16.safetensors", "safety_checker/model.safetensors",
            "safety_checker/pytorch_model.bin", "safety_checker/pytorch_model.fp16.bin",
            "scheduler/scheduler_config.json",
            "text_encoder/config.json", "text_encoder/model.fp16.safetensors", "text_encoder/model.safetensors",
            "text_encoder/pytorch_model.bin", "text_encoder/pytorch_model.fp16.bin",
            "tokenizer/merges.txt", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json", "tokenizer/vocab.json",
            "unet/config.json", "unet/diffusion_pytorch_model.bin", "unet/diffusion_pytorch_model.fp16.bin",
            "unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.non_ema.bin",
            "unet/diffusion_pytorch_model.non_ema.safetensors", "unet/diffusion_pytorch_model.safetensors",
            "v1-5-pruned-emaonly.ckpt", "v1-5-pruned-emaonly.safetensors", "v1-5-pruned.ckpt", "v1-5-pruned.safetensors",
            "v1-inference.yaml",
            "vae/config.json", "vae/diffusion_pytorch_model.bin", "vae/diffusion_pytorch_model.fp16.bin",
            "vae/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors");

    static final List<String> SMALL = List.of("model_index.json", "unet/config.json", "vae/config.json", "text_encoder/config.json",
            "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json",
            "scheduler/scheduler_config.json");

    static List<String> plus(List<String> a, String... b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(b));
        return out;
    }

    @Test
    void thePlainSafetensorsWeightsAndTheSmallFilesFirst() {
        assertThat(StableDiffusionFiles.select(SD15, null, ALL)).containsExactlyElementsOf(plus(SMALL,
                "text_encoder/model.safetensors", "vae/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.safetensors"));
    }

    @Test
    void theFp16VariantPicksTheVariantFiles() {
        assertThat(StableDiffusionFiles.select(SD15, "fp16", ALL)).containsExactlyElementsOf(plus(SMALL,
                "text_encoder/model.fp16.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors",
                "unet/diffusion_pytorch_model.fp16.safetensors"));
    }

    @Test
    void aSelectionTellsWhetherItFellBackFromTheVariant() {
        assertThat(StableDiffusionFiles.allOfVariant(StableDiffusionFiles.select(SD15, "fp16", ALL), "fp16")).isTrue();
        assertThat(StableDiffusionFiles.allOfVariant(StableDiffusionFiles.select(SD15, null, ALL), "fp16")).isFalse();
        assertThat(StableDiffusionFiles.allOfVariant(StableDiffusionFiles.select(SD15, null, ALL), null)).isTrue();
        assertThat(StableDiffusionFiles.allOfVariant(StableDiffusionFiles.select(SD15, "fp16", Set.of("tokenizer")), "fp16"))
                .as("nothing to fall back from").isTrue();
    }

    @Test
    void aPartWithoutTheVariantFallsBackToItsPlainWeights() {
        List<String> files = SD15.stream().filter(f -> !f.equals("vae/diffusion_pytorch_model.fp16.safetensors")
                && !f.equals("vae/diffusion_pytorch_model.fp16.bin")).toList();
        assertThat(StableDiffusionFiles.select(files, "fp16", ALL))
                .contains("vae/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors");
    }

    @Test
    void binWeightsWhenThereAreNoSafetensors() {
        List<String> files = SD15.stream().filter(f -> !f.endsWith(".safetensors")).toList();
        assertThat(StableDiffusionFiles.select(files, null, ALL)).endsWith("text_encoder/pytorch_model.bin",
                "vae/diffusion_pytorch_model.bin", "unet/diffusion_pytorch_model.bin");
        assertThat(StableDiffusionFiles.select(files, "fp16", ALL)).endsWith("text_encoder/pytorch_model.fp16.bin",
                "vae/diffusion_pytorch_model.fp16.bin", "unet/diffusion_pytorch_model.fp16.bin");
    }

    @Test
    void onlyTheTokenizerWhenThatIsAllThatIsNeeded() {
        assertThat(StableDiffusionFiles.select(SD15, null, Set.of("tokenizer"))).containsExactly("model_index.json",
                "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json");
    }

    @Test
    void aRepositoryWithOnlyVariantWeightsSuggestsTheFlag() {
        List<String> files = SD15.stream().filter(f -> !f.startsWith("unet/diffusion_pytorch_model.safetensors")
                && !f.equals("unet/diffusion_pytorch_model.bin")).toList();
        assertThatThrownBy(() -> StableDiffusionFiles.select(files, null, ALL)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no unet weights").hasMessageContaining("fp16, non_ema").hasMessageContaining("--variant fp16");
    }

    @Test
    void shardedWeightsAndMissingPartsAreNamed() {
        List<String> sharded = SD15.stream().filter(f -> !f.startsWith("unet/diffusion_pytorch_model")).toList();
        List<String> withShards = plus(sharded, "unet/diffusion_pytorch_model.safetensors.index.json",
                "unet/diffusion_pytorch_model-00001-of-00002.safetensors", "unet/diffusion_pytorch_model-00002-of-00002.safetensors");
        assertThatThrownBy(() -> StableDiffusionFiles.select(withShards, null, ALL)).hasMessageContaining("shards");
        List<String> noMerges = SD15.stream().filter(f -> !f.equals("tokenizer/merges.txt")).toList();
        assertThatThrownBy(() -> StableDiffusionFiles.select(noMerges, null, ALL)).hasMessageContaining("tokenizer/merges.txt");
        assertThatThrownBy(() -> StableDiffusionFiles.select(List.of("README.md"), null, ALL)).hasMessageContaining("model_index.json");
    }

    @Test
    void aVariantIsAWord() {
        assertThatThrownBy(() -> StableDiffusionFiles.select(SD15, "../x", ALL)).hasMessageContaining("--variant");
        assertThatThrownBy(() -> StableDiffusionFiles.select(SD15, "fp16.safetensors", ALL)).hasMessageContaining("--variant");
    }
}
