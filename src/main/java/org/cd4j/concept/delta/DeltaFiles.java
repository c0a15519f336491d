package org.cd4j.concept.delta;

import org.cd4j.io.FormatException;
import org.cd4j.io.SafetensorsFile;
import org.cd4j.io.TorchPickleReader;
import org.cd4j.io.WeightFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a delta in any supported format, recognised by content rather than by name, and writes
 * one in a chosen format. Errors name the file and say what was found, e.g. a token file given
 * where a delta is expected (reference §5 #16, {@code KeyError: 'unet'}) is reported as such.
 */
public final class DeltaFiles {
    private static final String EXPECTED = "expected a .cd4j.safetensors delta, an adobe delta.bin, a diffusers"
            + " pytorch_custom_diffusion_weights.{safetensors,bin} (or its folder) or a CompVis delta .ckpt";

    private DeltaFiles() {}

    /** {@link #load(Path, BaseModel)} without a base model (CompVis keys use the SD-1 layout). */
    public static LoadedDelta load(Path input) throws IOException {
        return load(input, null);
    }

    /**
     * Reads the delta at {@code input}: a file, or a folder holding a diffusers weights file, one
     * {@code *.cd4j.safetensors}, a {@code delta.bin}, or only token files (a token-only delta as
     * {@link DiffusersDeltaFolder#write} writes it). A token file given on its own is refused: it
     * is more likely the wrong file of a delta than a delta.
     *
     * @param base the model the delta belongs to, used to map CompVis keys (null: SD-1 layout)
     * @throws FormatException     when the input is not a delta (the message says what it is)
     * @throws NoSuchFileException when it does not exist
     */
    public static LoadedDelta load(Path input, BaseModel base) throws IOException {
        if (!Files.exists(input)) throw new NoSuchFileException(input.toString(), null, "delta not found");
        List<String> warnings = new ArrayList<>();
        if (Files.isDirectory(input)) {
            if (DiffusersDeltaFolder.weightsIn(input) != null) {
                return new LoadedDelta(DiffusersDeltaFolder.read(input, warnings), DeltaFormat.DIFFUSERS, input, warnings);
            }
            Path file = singleDeltaIn(input);
            if (file != null) return load(file, base);
            ConceptDelta tokensOnly = DiffusersDeltaFolder.readTokensOnly(input);
            if (tokensOnly != null) return new LoadedDelta(tokensOnly, DeltaFormat.DIFFUSERS, input, warnings);
            throw new FormatException(input, "holds no delta (" + EXPECTED + "); it contains " + abbreviate(listing(input)));
        }
        if (WeightFile.detect(input) == WeightFile.Format.SAFETENSORS) return loadSafetensors(input, warnings);
        Map<String, Object> root;
        try {
            root = TorchPickleReader.readDict(input, TorchPickleReader.Mode.LENIENT);
        } catch (FormatException e) {
            throw notADelta(input, e);
        }
        if (root.containsKey("unet")) {
            return new LoadedDelta(AdobeDeltaFile.fromTorch(input, root, warnings), DeltaFormat.ADOBE, input, warnings);
        }
        if (CompVisDeltaFile.looksLike(root)) {
            UNetLayout layout = base != null ? UNetLayout.of(base.unetConfig()) : UNetLayout.sd1();
            return new LoadedDelta(CompVisDeltaFile.fromTorch(input, root, layout, warnings), DeltaFormat.COMPVIS, input, warnings);
        }
        if (root.keySet().stream().anyMatch(DiffusersDeltaFolder::isProcessorKey)) {
            return new LoadedDelta(DiffusersDeltaFolder.fromEntries(input, root, warnings), DeltaFormat.DIFFUSERS, input, warnings);
        }
        if (TokenFiles.fromTorch(input, root, TokenFiles.stem(input)) != null) throw tokenFile(input);
        throw new FormatException(input, "is not a Custom Diffusion delta: a dict without 'unet' (adobe delta.bin),"
                + " 'state_dict' (CompVis delta .ckpt) or '…_custom_diffusion…' keys (diffusers); its keys are "
                + abbreviate(root.keySet().toString()));
    }

    private static LoadedDelta loadSafetensors(Path input, List<String> warnings) throws IOException {
        boolean cd4j, diffusers, token;
        List<String> keys;
        try (SafetensorsFile f = SafetensorsFile.open(input)) {
            cd4j = Cd4jDeltaFile.isCd4j(f.metadata());
            keys = f.keys();
            diffusers = keys.stream().anyMatch(DiffusersDeltaFolder::isProcessorKey);
            token = !cd4j && !diffusers && TokenFiles.fromSafetensors(f, TokenFiles.stem(input)) != null;
        } catch (FormatException e) {
            if (!looksLikeSafetensors(input)) {
                throw new FormatException(input, "is not a delta cd4j can read: it is neither a safetensors file nor a"
                        + " torch.save archive (" + EXPECTED + ")", e);
            }
            throw notADelta(input, e);
        }
        if (cd4j) return new LoadedDelta(Cd4jDeltaFile.read(input), DeltaFormat.CD4J, input, warnings);
        if (diffusers) return new LoadedDelta(DiffusersDeltaFolder.read(input, warnings), DeltaFormat.DIFFUSERS, input, warnings);
        if (token) throw tokenFile(input);
        throw new FormatException(input, "is a safetensors file but not a delta: it has no cd4j metadata (format="
                + Cd4jDeltaFile.FORMAT + ") and no '…_custom_diffusion…' keys; its keys are " + abbreviate(keys.toString()));
    }

    /** Whether the JSON header of a safetensors file starts where it should (byte 8). */
    private static boolean looksLikeSafetensors(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(9);
            return head.length == 9 && head[8] == '{';
        }
    }

    /** The one delta file in a folder that is not a diffusers output, or null when there is none. */
    private static Path singleDeltaIn(Path dir) throws IOException {
        List<Path> cd4j = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.sorted().filter(p -> p.getFileName().toString().endsWith(Cd4jDeltaFile.SUFFIX)).forEach(cd4j::add);
        }
        if (cd4j.size() == 1) return cd4j.get(0);
        if (cd4j.size() > 1) throw new FormatException(dir, "holds several cd4j deltas " + cd4j + "; pass one of them");
        if (Files.isRegularFile(dir.resolve("delta.bin"))) return dir.resolve("delta.bin");
        return null;
    }

    private static String listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList().toString();
        }
    }

    private static FormatException tokenFile(Path input) {
        return new FormatException(input, "is a token-embedding file, not a delta; pass the folder or the weights file"
                + " (" + DiffusersDeltaFolder.SAFETENSORS + " or " + DiffusersDeltaFolder.BIN + ")");
    }

    private static FormatException notADelta(Path input, FormatException e) {
        String m = e.getMessage();
        String prefix = input + ": ";
        if (m.startsWith(prefix)) m = m.substring(prefix.length());
        return new FormatException(input, "is not a delta cd4j can read (" + EXPECTED + "): " + m, e);
    }

    /**
     * Writes {@code d} in {@code format}. For {@link DeltaFormat#CD4J} and {@link DeltaFormat#ADOBE}
     * {@code output} is a file (an existing folder gets {@code delta.cd4j.safetensors} /
     * {@code delta.bin} inside); for {@link DeltaFormat#DIFFUSERS} it is a folder.
     *
     * @param base the base model, needed to expand low-rank weights into absolute ones (may be null otherwise)
     * @return the files written
     */
    public static List<Path> save(ConceptDelta d, DeltaFormat format, Path output, BaseModel base, boolean overwrite)
            throws IOException {
        switch (format) {
            case CD4J -> {
                Path f = Files.isDirectory(output) ? output.resolve("delta" + Cd4jDeltaFile.SUFFIX) : output;
                Cd4jDeltaFile.write(f, d, overwrite);
                return List.of(f);
            }
            case ADOBE -> {
                Path f = Files.isDirectory(output) ? output.resolve("delta.bin") : output;
                AdobeDeltaFile.write(f, d, base, overwrite);
                return List.of(f);
            }
            case DIFFUSERS -> {
                return DiffusersDeltaFolder.write(output, d, base, overwrite);
            }
            default -> throw new IllegalArgumentException("cd4j does not write " + format.id + " deltas; choose cd4j, diffusers or adobe");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 297) + "...";
    }
}
