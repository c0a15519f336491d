package org.cd4j.concept.data;

import org.cd4j.io.FormatException;
import org.cd4j.io.ImageFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The training set of one or more concepts, with diffusers' {@code CustomDiffusionDataset}
 * semantics: the instance pictures of all concepts (each folder in natural name order) captioned
 * with their concept's prompt, shuffled once; the class pictures of all concepts (each set
 * truncated to {@code numClassImages}); {@code size() = max(#class, #instance)} with prior
 * preservation, else {@code #instance}; item {@code i} pairs instance {@code i % #instance} with
 * class picture {@code i % #class}.
 *
 * <p>Item {@code (epoch, i)} draws its augmentation from streams keyed by
 * {@code (seed, epoch, i)} ({@link DataRandom}), so any item can be produced on its own, in any
 * order, on any thread, and always comes out the same.
 *
 * <p>Every picture is decoded while building, so broken files surface before training:
 * {@link CorruptImagePolicy#REFUSE} stops with the file's name, {@link CorruptImagePolicy#SKIP}
 * leaves it out with one warning.
 */
public final class ConceptDataset {
    static final long TAG_INSTANCE_SHUFFLE = 0x1157;
    static final long TAG_INSTANCE = 0x1A57;
    static final long TAG_CLASS = 0xC1A5;

    /**
     * How to build the dataset.
     *
     * @param augmentation the per-picture transforms (resolution, latent factor, flips, zoom, crop)
     * @param seed the data seed: instance shuffle, epoch orders and every augmentation choice
     * @param withPriorPreservation include class pictures
     * @param numClassImages at most this many class pictures per concept
     * @param modifierTokens every instance prompt must hold one of these; empty to skip the check
     * @param corruptImages what to do with undecodable pictures
     * @param warnings receives one line per skipped file
     * @param cacheBytes decoded pictures kept in memory up to this many bytes
     */
    public record Options(Augmentation augmentation, long seed, boolean withPriorPreservation, int numClassImages,
                          List<String> modifierTokens, CorruptImagePolicy corruptImages, Consumer<String> warnings,
                          long cacheBytes) {
        /** Validates and copies. */
        public Options {
            Objects.requireNonNull(augmentation, "augmentation");
            Objects.requireNonNull(corruptImages, "corruptImages");
            Objects.requireNonNull(warnings, "warnings");
            modifierTokens = List.copyOf(modifierTokens);
            if (numClassImages < 1) throw new IllegalArgumentException("numClassImages must be at least 1, got " + numClassImages);
        }

        /** No prior preservation, 200 class pictures (the reference default), no token check, refuse broken files. */
        public static Options of(Augmentation augmentation, long seed) {
            return new Options(augmentation, seed, false, 200, List.of(), CorruptImagePolicy.REFUSE,
                    System.err::println, 256L << 20);
        }

        /** With prior preservation on or off and the class-set size. */
        public Options withPrior(boolean on, int numClassImages) {
            return new Options(augmentation, seed, on, numClassImages, modifierTokens, corruptImages, warnings, cacheBytes);
        }

        /** With the modifier tokens to check instance prompts against. */
        public Options withModifierTokens(List<String> tokens) {
            return new Options(augmentation, seed, withPriorPreservation, numClassImages, tokens, corruptImages, warnings, cacheBytes);
        }

        /** With a policy for broken pictures and where warnings go. */
        public Options withCorruptImages(CorruptImagePolicy policy, Consumer<String> sink) {
            return new Options(augmentation, seed, withPriorPreservation, numClassImages, modifierTokens, policy, sink, cacheBytes);
        }
    }

    /** One dataset item: the instance sample and, with prior preservation, the class sample (else null). */
    public record Item(Sample instance, Sample prior) {}

    private final Options options;
    private final List<CaptionedImage> instances;
    private final List<CaptionedImage> classes;
    private final DecodedImages decoded;

    private ConceptDataset(Options options, List<CaptionedImage> instances, List<CaptionedImage> classes, DecodedImages decoded) {
        this.options = options;
        this.instances = List.copyOf(instances);
        this.classes = List.copyOf(classes);
        this.decoded = decoded;
    }

    /**
     * Lists, checks and decodes the pictures of {@code concepts}.
     *
     * @throws IOException naming the folder, file or concept at fault
     */
    public static ConceptDataset build(List<Concept> concepts, Options o) throws IOException {
        if (concepts.isEmpty()) throw new IllegalArgumentException("no concepts to train");
        checkPrompts(concepts, o);
        DecodedImages decoded = new DecodedImages(o.cacheBytes());
        List<CaptionedImage> instances = new ArrayList<>();
        List<CaptionedImage> classes = new ArrayList<>();
        for (int c = 0; c < concepts.size(); c++) {
            Concept concept = concepts.get(c);
            String who = concepts.size() == 1 ? "" : "concept " + (c + 1) + ": ";
            List<CaptionedImage> inst = readable(instanceList(concept, who), decoded, o);
            if (inst.isEmpty()) {
                throw new FormatException(concept.instanceDataDir(), who + "none of the instance pictures is readable");
            }
            instances.addAll(inst);
            if (o.withPriorPreservation()) {
                if (concept.classDataDir() == null) {
                    throw new IllegalArgumentException(who + "prior preservation needs a class data folder (class_data_dir)");
                }
                ClassImages set = ClassImages.open(concept.classDataDir(), concept.classPrompt(), o.numClassImages());
                if (set.size() == 0) {
                    throw new FormatException(concept.classDataDir(), who + "the class set holds no pictures"
                            + " (expected pictures, or images.txt + caption.txt)");
                }
                List<CaptionedImage> cls = readable(set.items(), decoded, o);
                if (cls.isEmpty()) throw new FormatException(concept.classDataDir(), who + "none of the class pictures is readable");
                classes.addAll(cls);
            }
        }
        // The reference shuffles the instance list once (random.shuffle); seeded here.
        int[] perm = DataRandom.of(o.seed(), TAG_INSTANCE_SHUFFLE).permutation(instances.size());
        List<CaptionedImage> shuffled = new ArrayList<>(instances.size());
        for (int p : perm) shuffled.add(instances.get(p));
        return new ConceptDataset(o, shuffled, classes, decoded);
    }

    private static void checkPrompts(List<Concept> concepts, Options o) {
        if (o.modifierTokens().isEmpty()) return;
        for (int c = 0; c < concepts.size(); c++) {
            Concept concept = concepts.get(c);
            String who = concepts.size() == 1 ? "" : "concept " + (c + 1) + ": ";
            if (o.modifierTokens().stream().noneMatch(concept.instancePrompt()::contains)) {
                throw new IllegalArgumentException(who + "the instance prompt \"" + concept.instancePrompt()
                        + "\" contains none of the modifier tokens " + String.join(", ", o.modifierTokens())
                        + " (expected e.g. \"photo of a " + o.modifierTokens().get(0) + " cat\")");
            }
            String cp = concept.classPrompt();
            if (cp != null) {
                for (String t : o.modifierTokens()) {
                    if (cp.contains(t)) {
                        throw new IllegalArgumentException(who + "the class prompt \"" + cp + "\" contains the modifier token "
                                + t + "; class pictures must be captioned with the plain category (e.g. \"cat\")");
                    }
                }
            }
        }
    }

    private static List<CaptionedImage> instanceList(Concept concept, String who) throws IOException {
        Path dir = concept.instanceDataDir();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, who + (Files.exists(dir) ? "the instance data path is not a folder"
                    : "the instance data folder does not exist"));
        }
        List<Path> files = ImageFiles.listImages(dir);
        if (files.isEmpty()) {
            throw new FormatException(dir, who + "no instance pictures (expected files ending in "
                    + String.join(", ", ImageFiles.EXTENSIONS.stream().sorted().toList()) + ")");
        }
        List<CaptionedImage> out = new ArrayList<>();
        for (Path f : files) out.add(new CaptionedImage(f, concept.instancePrompt(), "instance folder " + dir));
        return out;
    }

    private static List<CaptionedImage> readable(List<CaptionedImage> items, DecodedImages decoded, Options o) throws FormatException {
        List<CaptionedImage> out = new ArrayList<>();
        for (CaptionedImage it : items) {
            try {
                decoded.load(it.path());
                out.add(it);
            } catch (FormatException e) {
                if (o.corruptImages() == CorruptImagePolicy.REFUSE) throw e;
                o.warnings().accept("skipping " + e.getMessage() + " [" + it.origin() + "]");
            }
        }
        return out;
    }

    /** Number of items per epoch. */
    public int size() {
        return options.withPriorPreservation() ? Math.max(classes.size(), instances.size()) : instances.size();
    }

    /** Item {@code index} of epoch {@code epoch}. */
    public Item get(long epoch, int index) {
        if (index < 0 || index >= size()) throw new IndexOutOfBoundsException("item " + index + " of " + size());
        Augmentation aug = options.augmentation();
        CaptionedImage inst = instances.get(index % instances.size());
        Sample instance = aug.instance(decoded.get(inst.path()), inst.caption(), inst.path(),
                DataRandom.of(options.seed(), TAG_INSTANCE, epoch, index));
        Sample prior = null;
        if (options.withPriorPreservation()) {
            CaptionedImage cls = classes.get(index % classes.size());
            prior = aug.classImage(decoded.get(cls.path()), cls.caption(), cls.path(),
                    DataRandom.of(options.seed(), TAG_CLASS, epoch, index));
        }
        return new Item(instance, prior);
    }

    /** The instance pictures in their (shuffled) dataset order. */
    public List<CaptionedImage> instances() {
        return instances;
    }

    /** The class pictures in dataset order (empty without prior preservation). */
    public List<CaptionedImage> classImages() {
        return classes;
    }

    /** True when items carry class samples. */
    public boolean withPriorPreservation() {
        return options.withPriorPreservation();
    }

    /** The data seed. */
    public long seed() {
        return options.seed();
    }

    /** The transforms. */
    public Augmentation augmentation() {
        return options.augmentation();
    }
}
